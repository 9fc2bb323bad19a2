package enrol

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"golang.zx2c4.com/wireguard/wgctrl/wgtypes"

	"relais/internal/enrolment"
	"relais/internal/server/db"
	"relais/internal/server/db/pgtest"
	"relais/internal/testenv"
)

func TestMain(m *testing.M) {
	if os.Getenv(crashChildEnv) != "" {
		crashChild()
		return
	}
	os.Exit(pgtest.Main(m))
}

// fakeGateway is an interface in memory, or in a JSON file when path is
// set (so that a killed process's peers outlive it). Unit tests only.
type fakeGateway struct {
	mu    sync.Mutex
	key   string
	path  string
	peers map[string][]netip.Prefix
	fail  error // every change fails with it
}

func newFakeGateway(path string) *fakeGateway {
	k, _ := wgtypes.GeneratePrivateKey()
	return &fakeGateway{key: k.PublicKey().String(), path: path, peers: map[string][]netip.Prefix{}}
}

func (g *fakeGateway) load() {
	if g.path == "" {
		return
	}
	b, err := os.ReadFile(g.path)
	if err != nil {
		return
	}
	var st struct {
		Key   string
		Peers map[string][]netip.Prefix
	}
	if json.Unmarshal(b, &st) == nil {
		g.key, g.peers = st.Key, st.Peers
		if g.peers == nil {
			g.peers = map[string][]netip.Prefix{}
		}
	}
}

func (g *fakeGateway) save() error {
	if g.path == "" {
		return nil
	}
	b, _ := json.Marshal(struct {
		Key   string
		Peers map[string][]netip.Prefix
	}{g.key, g.peers})
	tmp := g.path + ".tmp"
	if err := os.WriteFile(tmp, b, 0o600); err != nil {
		return err
	}
	return os.Rename(tmp, g.path)
}

func (g *fakeGateway) PublicKey(context.Context) (string, error) {
	g.mu.Lock()
	defer g.mu.Unlock()
	g.load()
	return g.key, nil
}

func (g *fakeGateway) Peers(context.Context) (map[string][]netip.Prefix, error) {
	g.mu.Lock()
	defer g.mu.Unlock()
	g.load()
	out := make(map[string][]netip.Prefix, len(g.peers))
	for k, v := range g.peers {
		out[k] = v
	}
	return out, nil
}

func (g *fakeGateway) AddPeer(_ context.Context, key string, addrs []netip.Prefix) error {
	g.mu.Lock()
	defer g.mu.Unlock()
	if g.fail != nil {
		return g.fail
	}
	g.load()
	g.peers[key] = addrs
	return g.save()
}

func (g *fakeGateway) RemovePeer(_ context.Context, key string) error {
	g.mu.Lock()
	defer g.mu.Unlock()
	if g.fail != nil {
		return g.fail
	}
	g.load()
	delete(g.peers, key)
	return g.save()
}

// backends are the databases a test runs against.
type backend struct {
	name string
	opts func(t testing.TB) db.Options
}

func backends() []backend {
	return []backend{
		{"sqlite", func(t testing.TB) db.Options { return db.Options{DataDir: t.TempDir()} }},
		{"postgres", func(t testing.TB) db.Options {
			return db.Options{DatabaseURL: pgtest.Shared(t).NewDatabase(t)}
		}},
	}
}

func eachBackend(t *testing.T, f func(t *testing.T, opts db.Options)) {
	for _, b := range backends() {
		t.Run(b.name, func(t *testing.T) {
			t.Parallel()
			f(t, b.opts(t))
		})
	}
}

func openDB(t testing.TB, opts db.Options) *db.DB {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	d, err := db.Open(ctx, opts)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { d.Close() })
	return d
}

func tctx(t testing.TB) context.Context {
	c, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	t.Cleanup(cancel)
	return c
}

func pools(ps ...string) []netip.Prefix {
	var out []netip.Prefix
	for _, p := range ps {
		out = append(out, netip.MustParsePrefix(p))
	}
	return out
}

func newService(t testing.TB, o Options) *Service {
	t.Helper()
	s, err := New(tctx(t), o)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func wgKey(t testing.TB) string {
	k, err := wgtypes.GeneratePrivateKey()
	if err != nil {
		t.Fatal(err)
	}
	return k.PublicKey().String()
}

// client posts to a test server.
type client struct {
	t   testing.TB
	url string
}

func (c client) post(path string, body any) (int, []byte, http.Header) {
	c.t.Helper()
	var b []byte
	switch v := body.(type) {
	case string:
		b = []byte(v)
	default:
		b, _ = json.Marshal(v)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	req, _ := http.NewRequestWithContext(ctx, http.MethodPost, c.url+path, bytes.NewReader(b))
	req.Header.Set("Content-Type", "application/json")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		c.t.Fatal(err)
	}
	defer resp.Body.Close()
	out, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, out, resp.Header
}

// enrol posts an enrolment; it returns the status and the refusal's code
// or the parsed answer.
func (c client) enrol(token, key, device string) (int, string, enrolment.Response) {
	c.t.Helper()
	st, body, _ := c.post(enrolment.Path, enrolment.Request{Token: token, PublicKey: key, DeviceName: device})
	if st >= 300 {
		return st, enrolment.ParseErrorBody(body), enrolment.Response{}
	}
	resp, _, err := enrolment.ParseResponse(body)
	if err != nil {
		c.t.Fatalf("answer %s: %v", body, err)
	}
	return st, "", resp
}

func serve(t testing.TB, h http.Handler) client {
	srv := httptest.NewServer(h)
	t.Cleanup(srv.Close)
	return client{t: t, url: srv.URL}
}

// wgLab is a real wireguard-go interface in a network namespace of its
// own; wgctrl reaches it through its UAPI socket.
type wgLab struct {
	ns, ifc string
	key     wgtypes.Key
	cmd     *exec.Cmd
}

// newWGLab starts one when root with wireguard-go and wg, else skips (or
// fails under RELAIS_REQUIRE_E2E=1).
func newWGLab(t testing.TB) *wgLab {
	t.Helper()
	testenv.NeedRoot(t)
	testenv.NeedTools(t, "wireguard-go", "wg", "ip")
	id := fmt.Sprintf("%x", time.Now().UnixNano()&0xffffff)
	l := &wgLab{ns: "rlen" + id, ifc: "wgen" + id}
	if out, err := exec.Command("ip", "netns", "add", l.ns).CombinedOutput(); err != nil {
		t.Fatalf("ip netns add: %v: %s", err, out)
	}
	t.Cleanup(func() { _ = exec.Command("ip", "netns", "del", l.ns).Run() })
	l.cmd = exec.Command("ip", "netns", "exec", l.ns, "wireguard-go", "-f", l.ifc)
	l.cmd.Env = append(os.Environ(), "WG_PROCESS_FOREGROUND=1", "LOG_LEVEL=error")
	var out bytes.Buffer
	l.cmd.Stdout, l.cmd.Stderr = &out, &out
	if err := l.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		l.cmd.Process.Kill()
		l.cmd.Wait()
		os.Remove(filepath.Join("/var/run/wireguard", l.ifc+".sock"))
	})
	sock := filepath.Join("/var/run/wireguard", l.ifc+".sock")
	deadline := time.Now().Add(10 * time.Second)
	for {
		if _, err := os.Stat(sock); err == nil {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("wireguard-go did not start: %s", out.String())
		}
		time.Sleep(20 * time.Millisecond)
	}
	l.key, _ = wgtypes.GeneratePrivateKey()
	keyFile := filepath.Join(t.TempDir(), "wg.key")
	if err := os.WriteFile(keyFile, []byte(l.key.String()+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	if out, err := exec.Command("ip", "netns", "exec", l.ns, "wg", "set", l.ifc, "private-key", keyFile,
		"listen-port", "51820").CombinedOutput(); err != nil {
		t.Fatalf("wg set: %v: %s", err, out)
	}
	return l
}

// wgPeers is what wg(8) says the interface holds: key → allowed IPs.
func (l *wgLab) wgPeers(t testing.TB) map[string]string {
	t.Helper()
	out, err := exec.Command("ip", "netns", "exec", l.ns, "wg", "show", l.ifc, "allowed-ips").CombinedOutput()
	if err != nil {
		t.Fatalf("wg show: %v: %s", err, out)
	}
	m := map[string]string{}
	for _, line := range strings.Split(strings.TrimSpace(string(out)), "\n") {
		if f := strings.Fields(line); len(f) >= 2 {
			m[f[0]] = strings.Join(f[1:], " ")
		}
	}
	return m
}

func (g *fakeGateway) addrs(k string) []netip.Prefix {
	g.mu.Lock()
	defer g.mu.Unlock()
	return g.peers[k]
}

func (g *fakeGateway) has(k string) bool {
	g.mu.Lock()
	defer g.mu.Unlock()
	_, ok := g.peers[k]
	return ok
}

func (g *fakeGateway) count() int {
	g.mu.Lock()
	defer g.mu.Unlock()
	return len(g.peers)
}

var errBroken = errors.New("interface broken")

func (g *fakeGateway) setFail(err error) {
	g.mu.Lock()
	defer g.mu.Unlock()
	g.fail = err
}
