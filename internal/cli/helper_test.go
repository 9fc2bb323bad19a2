package cli

import (
	"bytes"
	"context"
	"errors"
	"net"
	"net/netip"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"aead.dev/minisign"

	"relais/internal/backend"
	"relais/internal/helper"
	"relais/internal/helper/helpertest"
	"relais/internal/i18n"
	"relais/internal/profile"
	"relais/internal/store"
	"relais/internal/tunnel"
)

// recordingBackend stands in for the system: it records the tunnel the
// helper would make.
type recordingBackend struct {
	mu  sync.Mutex // guards cfg
	cfg *tunnel.Config
}

func (b *recordingBackend) Up(_ context.Context, cfg tunnel.Config) error {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.cfg = &cfg
	return nil
}

func (b *recordingBackend) Down() error {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.cfg = nil
	return nil
}

func (b *recordingBackend) Status() tunnel.Status {
	b.mu.Lock()
	defer b.mu.Unlock()
	return tunnel.Status{Mode: tunnel.ModeSystem, Up: b.cfg != nil, Interface: "relais0"}
}

func (b *recordingBackend) current() *tunnel.Config {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.cfg
}

// fakeHelper serves the helper's API, with the real server code and a
// recording backend, on a socket in a temporary directory.
func fakeHelper(t *testing.T, trusted minisign.PublicKey) (socket string, b *recordingBackend) {
	t.Helper()
	socket = filepath.Join(t.TempDir(), "helper.sock")
	l, err := net.Listen("unix", socket)
	if err != nil {
		t.Fatal(err)
	}
	b = &recordingBackend{}
	srv := &helper.Server{Backend: b, Interface: "relais0",
		TrustedKeys: func() ([]minisign.PublicKey, error) { return []minisign.PublicKey{trusted}, nil }}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { _ = srv.Serve(ctx, l); close(done) }()
	t.Cleanup(func() { cancel(); <-done })
	return socket, b
}

// helperRun is an invocation, and its machine, whose helper listens on
// socket.
func helperRun(socket string) (*run, *backend.Machine) {
	env := map[string]string{helper.SocketEnv: socket}
	r := &run{Env: Env{Stdout: &bytes.Buffer{}, Stderr: &bytes.Buffer{}, Env: backend.Env{Getenv: func(k string) string { return env[k] }, Now: time.Now}}, lang: i18n.FR}
	return r, &backend.Machine{Env: r.backendEnv()}
}

func TestSystemHelperAvailable(t *testing.T) {
	t.Parallel()
	key := helpertest.NewKey(t)
	socket, _ := fakeHelper(t, key.Public)
	_, m := helperRun(socket)
	if !m.SystemHelperAvailable(context.Background()) {
		t.Error("a helper answers, but it is not available")
	}
	_, m = helperRun(filepath.Join(t.TempDir(), "none.sock"))
	start := time.Now()
	if m.SystemHelperAvailable(context.Background()) {
		t.Error("no helper, but available")
	}
	if d := time.Since(start); d > time.Second {
		t.Errorf("took %v to find there is no helper", d)
	}
}

func TestStartSystemTunnel(t *testing.T) {
	t.Parallel()
	key := helpertest.NewKey(t)
	socket, fake := fakeHelper(t, key.Public)
	r, m := helperRun(socket)
	server := tunnel.Key{7}
	data := helpertest.Profile(3, helpertest.Tunnel{Endpoint: "192.0.2.1:51820", ServerPublicKey: server.String(), AllowedIPs: []string{"10.99.0.0/24"}})
	cur := &store.CachedProfile{Serial: 3, Bytes: data, Signature: key.Sign(data)}
	cfg := tunnel.Config{PrivateKey: tunnel.Key{42}, Addresses: []netip.Prefix{netip.MustParsePrefix("10.99.0.7/32")}}

	tun, err := m.StartSystemTunnel(context.Background(), cur, cfg)
	if err != nil {
		t.Fatal(err)
	}
	got := fake.current()
	if got == nil || got.PrivateKey != cfg.PrivateKey || got.Addresses[0] != cfg.Addresses[0] || got.Peer.PublicKey != server {
		t.Fatalf("the helper made %+v", got)
	}
	if st := tun.Status(); st.Mode != tunnel.ModeSystem || !st.Up || st.Interface != "relais0" {
		t.Errorf("Status = %+v", st)
	}
	if err := tun.Close(); err != nil {
		t.Fatal(err)
	}
	if fake.current() != nil {
		t.Error("still up after Close")
	}

	// Signed by a key this machine does not trust: refused, and said so in French.
	stranger := helpertest.NewKey(t)
	cur.Signature = stranger.Sign(data)
	_, err = m.StartSystemTunnel(context.Background(), cur, cfg)
	if !errors.Is(err, profile.ErrUntrustedKey) {
		t.Fatalf("err = %v, want untrusted key", err)
	}
	if fake.current() != nil {
		t.Error("an untrusted profile went up")
	}
	if got := r.describe(err); !strings.Contains(got, i18n.T(i18n.FR, "cli.reason.untrusted_key")) {
		t.Errorf("describe = %q", got)
	}
}

func TestStartSystemTunnelWithoutHelper(t *testing.T) {
	t.Parallel()
	r, m := helperRun(filepath.Join(t.TempDir(), "none.sock"))
	_, err := m.StartSystemTunnel(context.Background(), &store.CachedProfile{Bytes: []byte("x")}, tunnel.Config{})
	if !errors.Is(err, helper.ErrNoHelper) || !strings.HasPrefix(r.describe(err), i18n.T(i18n.FR, "cli.helper.error.no_helper")) {
		t.Fatalf("err = %v", err)
	}
}

// Every error code the helper can send has a sentence in both languages.
func TestHelperCodesTranslated(t *testing.T) {
	t.Parallel()
	// Every code the helper declares, read from its sources: a new one
	// without a sentence would reach a person as "other".
	var codes []helper.Code
	files, _ := filepath.Glob(filepath.Join("..", "helper", "*.go"))
	decl := regexp.MustCompile(`(?m)^\s*Code[A-Za-z]+\s+Code\s*=\s*"([a-z_]+)"`)
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		for _, m := range decl.FindAllStringSubmatch(string(b), -1) {
			codes = append(codes, helper.Code(m[1]))
		}
	}
	if len(codes) < 20 {
		t.Fatalf("found only %d codes in the helper's sources", len(codes))
	}
	for _, lang := range []string{i18n.FR, i18n.EN} {
		cat, err := i18n.Catalog(lang)
		if err != nil {
			t.Fatal(err)
		}
		for _, c := range codes {
			key, ok := backend.HelperCodeKeys[c]
			if !ok {
				t.Errorf("code %s has no message", c)
				continue
			}
			if _, ok := cat[key]; !ok {
				t.Errorf("%s: %s missing", lang, key)
			}
		}
		if _, ok := cat["cli.helper.error.other"]; !ok {
			t.Errorf("%s: cli.helper.error.other missing", lang)
		}
	}
}

func TestHelperUsage(t *testing.T) {
	t.Parallel()
	var stdout, stderr bytes.Buffer
	env := Env{Stdout: &stdout, Stderr: &stderr, Env: backend.Env{Getenv: func(string) string { return "" }}}
	if code := Main(context.Background(), []string{"helper", "extra", "--lang", "en"}, env); code != ExitUsage {
		t.Errorf("exit %d", code)
	}
	if !strings.Contains(stderr.String(), "relais helper [--socket PATH]") {
		t.Errorf("stderr: %s", stderr.String())
	}
}
