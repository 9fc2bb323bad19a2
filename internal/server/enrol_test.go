package server_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/http/httptest"
	"net/netip"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"aead.dev/minisign"
	"golang.zx2c4.com/wireguard/wgctrl/wgtypes"

	"relais/internal/enrolment"
	"relais/internal/server"
	"relais/internal/server/avis"
	"relais/internal/server/config"
	"relais/internal/server/db"
	"relais/internal/server/enrol"
	"relais/internal/testenv"
)

// memGateway is an interface in memory (unit tests only).
type memGateway struct {
	mu    sync.Mutex
	key   string
	peers map[string][]netip.Prefix
}

func newMemGateway() *memGateway {
	k, _ := wgtypes.GeneratePrivateKey()
	return &memGateway{key: k.PublicKey().String(), peers: map[string][]netip.Prefix{}}
}

func (g *memGateway) PublicKey(context.Context) (string, error) { return g.key, nil }
func (g *memGateway) Peers(context.Context) (map[string][]netip.Prefix, error) {
	g.mu.Lock()
	defer g.mu.Unlock()
	out := map[string][]netip.Prefix{}
	for k, v := range g.peers {
		out[k] = v
	}
	return out, nil
}
func (g *memGateway) AddPeer(_ context.Context, k string, a []netip.Prefix) error {
	g.mu.Lock()
	defer g.mu.Unlock()
	g.peers[k] = a
	return nil
}
func (g *memGateway) RemovePeer(_ context.Context, k string) error {
	g.mu.Lock()
	defer g.mu.Unlock()
	delete(g.peers, k)
	return nil
}

func pubKey(t *testing.T) string {
	k, err := wgtypes.GeneratePrivateKey()
	if err != nil {
		t.Fatal(err)
	}
	return k.PublicKey().String()
}

func enrolBody(token, key, device string) *bytes.Reader {
	b, _ := json.Marshal(enrolment.Request{Token: token, PublicKey: key, DeviceName: device})
	return bytes.NewReader(b)
}

// Without [wireguard]: 404 not_enabled on both paths.
func TestEnrolNotEnabled(t *testing.T) {
	t.Parallel()
	in := startServer(t, openDB(t, db.Options{DataDir: t.TempDir()}), "", nil)
	for _, p := range []string{enrolment.Path, enrolment.StatusPath} {
		a := post(t, in.url(p), enrolBody("x", pubKey(t), "PC"))
		if a.status != 404 || a.errorCode(t) != enrolment.CodeNotEnabled {
			t.Fatalf("%s: %d %s", p, a.status, a.body)
		}
	}
}

// With [wireguard]: a token of setup_tokens_file enrols (upserted at
// start), the metrics count it, and failed guesses from one address end
// in 429 through the server's rate limiter.
func TestEnrolWired(t *testing.T) {
	t.Parallel()
	tok := enrolment.NewSetupToken()
	tokens := writeFile(t, "tokens.toml", fmt.Sprintf("[[token]]\nname = \"rentree\"\nsha256 = \"%s\"\nuses = 10\nexpires = %s\n",
		enrolment.Hash(tok), time.Now().Add(time.Hour).UTC().Format(time.RFC3339)))
	pub, priv, err := minisign.GenerateKey(nil)
	if err != nil {
		t.Fatal(err)
	}
	keyText, _ := priv.MarshalText()
	grantKey := writeFile(t, "grant.key", string(keyText))
	cfg, err := config.Parse("server.toml", []byte(fmt.Sprintf("[limits]\nrate_burst = 2\nrate_per_minute = 1.0\n"+
		"[wireguard]\ninterface = \"wg-test\"\npool = [\"10.44.0.0/24\"]\nsetup_tokens_file = %q\ngrant_key_file = %q\n", tokens, grantKey)))
	if err != nil {
		t.Fatal(err)
	}
	d := openDB(t, db.Options{DataDir: t.TempDir()})
	gw := newMemGateway()
	logs := &syncBuffer{}
	s, err := server.New(cfg, d, server.Options{Gateway: gw, Logger: slog.New(slog.NewJSONHandler(logs, nil))})
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(s)
	t.Cleanup(srv.Close)
	k := pubKey(t)
	a := post(t, srv.URL+enrolment.Path, enrolBody(tok, k, "PC-1"))
	if a.status != 201 {
		t.Fatalf("%d %s", a.status, a.body)
	}
	resp, _, err := enrolment.ParseResponse(a.body)
	if err != nil {
		t.Fatal(err)
	}
	if addrs, err := enrolment.VerifyGrant([]byte(resp.Grant), []byte(resp.GrantSignature), pub, k); err != nil || addrs[0].String() != "10.44.0.1/32" {
		t.Fatalf("grant: %v %v", addrs, err)
	}
	if !strings.Contains(logs.String(), pub.String()) {
		t.Fatalf("the grant key's public half is not logged at start: %s", logs.String())
	}
	if toks, _ := d.SetupTokens(ctxFor(t)); len(toks) != 1 || !toks[0].FromFile || toks[0].Uses != 1 {
		t.Fatalf("%+v", toks)
	}
	m := get(t, srv.URL+server.PathMetrics)
	if !strings.Contains(string(m.body), `relais_server_enrolments_total{outcome="enrolled"} 1`) {
		t.Fatalf("metrics: %s", m.body)
	}
	for i := 0; i < 2; i++ {
		if a := post(t, srv.URL+enrolment.Path, enrolBody(enrolment.NewCode(), pubKey(t), "PC-x")); a.status != 403 {
			t.Fatalf("guess %d: %d %s", i, a.status, a.body)
		}
	}
	a = post(t, srv.URL+enrolment.Path, enrolBody(tok, pubKey(t), "PC-2"))
	if a.status != 429 || a.errorCode(t) != enrolment.CodeRateLimited || a.header.Get("Retry-After") == "" {
		t.Fatalf("after the guesses: %d %s", a.status, a.body)
	}
	if strings.Contains(logs.String(), tok) {
		t.Fatal("the token is in the log")
	}
}

// Start-up errors of [wireguard], each wrapped for relais serve to word.
func TestEnrolStartErrors(t *testing.T) {
	t.Parallel()
	base := "[wireguard]\ninterface = \"relais-nope0\"\npool = [\"10.44.0.0/24\"]\n"
	if _, err := newServerErr(t, base); !errors.Is(err, server.ErrWireGuard) {
		t.Fatalf("missing interface: %v", err)
	} else if ge := (*enrol.GatewayError)(nil); !errors.As(err, &ge) || ge.Code != enrol.GatewayMissing {
		t.Fatalf("missing interface: %v", err)
	}
	_, err := newServerErr(t, base+fmt.Sprintf("grant_key_file = %q\n", filepath.Join(t.TempDir(), "none.key")))
	var ke *avis.KeyError
	if !errors.Is(err, server.ErrGrantKey) || !errors.As(err, &ke) || ke.Code != avis.KeyUnreadable {
		t.Fatalf("grant key: %v", err)
	}
	bad := writeFile(t, "tokens.toml", "[[token]]\nname = \"a\"\nsha256 = \"rlst_not_a_hash\"\nuses = 1\nexpires = 2027-01-01T00:00:00Z\n")
	_, err = newServerErr(t, base+fmt.Sprintf("setup_tokens_file = %q\n", bad))
	var te *enrol.TokensFileError
	if !errors.Is(err, server.ErrSetupTokens) || !errors.As(err, &te) || te.Code != enrol.TokensInvalid {
		t.Fatalf("tokens file: %v", err)
	}
	if strings.Contains(err.Error(), "rlst_not_a_hash") {
		t.Fatal("the file's value is in the error")
	}
}

// relais serve's Run on a real wireguard-go interface: the peer with no
// enrolment inside the pool goes at start (reconciliation), the peer
// added by hand outside it stays, and an enrolment over HTTP puts the
// peer on the interface, as wg(8) shows.
func TestRunEnrolWireGuard(t *testing.T) {
	t.Parallel()
	testenv.NeedRoot(t)
	testenv.NeedTools(t, "wireguard-go", "wg", "ip")
	id := fmt.Sprintf("%x", time.Now().UnixNano()&0xffffff)
	ns, ifc := "rlsv"+id, "wgsv"+id
	run := func(args ...string) string {
		t.Helper()
		out, err := exec.Command(args[0], args[1:]...).CombinedOutput()
		if err != nil {
			t.Fatalf("%v: %v: %s", args, err, out)
		}
		return string(out)
	}
	run("ip", "netns", "add", ns)
	t.Cleanup(func() { _ = exec.Command("ip", "netns", "del", ns).Run() })
	wg := exec.Command("ip", "netns", "exec", ns, "wireguard-go", "-f", ifc)
	wg.Env = append(os.Environ(), "WG_PROCESS_FOREGROUND=1", "LOG_LEVEL=error")
	if err := wg.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { wg.Process.Kill(); wg.Wait() })
	sock := filepath.Join("/var/run/wireguard", ifc+".sock")
	for i := 0; ; i++ {
		if _, err := os.Stat(sock); err == nil {
			break
		}
		if i > 500 {
			t.Fatal("wireguard-go did not start")
		}
		time.Sleep(20 * time.Millisecond)
	}
	key, _ := wgtypes.GeneratePrivateKey()
	keyFile := writeFile(t, "wg.key", key.String()+"\n")
	stray, manual := pubKey(t), pubKey(t)
	run("ip", "netns", "exec", ns, "wg", "set", ifc, "private-key", keyFile, "peer", stray, "allowed-ips", "10.45.0.9/32",
		"peer", manual, "allowed-ips", "192.168.50.0/24")

	d := t.TempDir()
	tok := enrolment.NewSetupToken()
	tokens := writeFile(t, "tokens.toml", fmt.Sprintf("[[token]]\nname = \"t\"\nsha256 = \"%s\"\nuses = 5\nexpires = %s\n",
		enrolment.Hash(tok), time.Now().Add(time.Hour).UTC().Format(time.RFC3339)))
	cfg, err := config.Parse("server.toml", []byte(fmt.Sprintf("listen = \"127.0.0.1:0\"\ndata_dir = %q\n"+
		"[wireguard]\ninterface = %q\npool = [\"10.45.0.0/24\"]\nsetup_tokens_file = %q\n", d, ifc, tokens)))
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(ctxFor(t))
	ready := make(chan string, 1)
	done := make(chan error, 1)
	go func() { done <- server.Run(ctx, cfg, server.Options{Ready: func(a string) { ready <- a }}) }()
	var addr string
	select {
	case addr = <-ready:
	case err := <-done:
		t.Fatal(err)
	}
	show := func() string { return run("ip", "netns", "exec", ns, "wg", "show", ifc, "allowed-ips") }
	if s := show(); strings.Contains(s, stray) || !strings.Contains(s, manual) {
		t.Fatalf("after start: %s", s)
	}
	k := pubKey(t)
	a := post(t, "http://"+addr+enrolment.Path, enrolBody(tok, k, "PC-1"))
	resp, _, err := enrolment.ParseResponse(a.body)
	if a.status != 201 || err != nil || resp.ServerPublicKey != key.PublicKey().String() || resp.Addresses[0] != "10.45.0.1/32" {
		t.Fatalf("%d %s %v", a.status, a.body, err)
	}
	if s := show(); !strings.Contains(s, k+"\t10.45.0.1/32") {
		t.Fatalf("after enrolment: %s", s)
	}
	cancel()
	if err := <-done; err != nil {
		t.Fatal(err)
	}
}
