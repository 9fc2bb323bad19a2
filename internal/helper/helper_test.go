package helper

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"io"
	"net"
	"net/netip"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"aead.dev/minisign"

	"relais/internal/helper/helpertest"
	"relais/internal/profile"
	"relais/internal/tunnel"
)

// fakeBackend records what the server asks of the system.
type fakeBackend struct {
	mu    sync.Mutex // guards the fields below
	up    *tunnel.Config
	ups   int
	downs int
	fail  error
}

func (f *fakeBackend) Up(_ context.Context, cfg tunnel.Config) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.fail != nil {
		return f.fail
	}
	f.ups++
	f.up = &cfg
	return nil
}

func (f *fakeBackend) Down() error {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.up != nil {
		f.downs++
	}
	f.up = nil
	return nil
}

func (f *fakeBackend) Status() tunnel.Status {
	f.mu.Lock()
	defer f.mu.Unlock()
	st := tunnel.Status{Mode: tunnel.ModeSystem, Interface: "fake0"}
	if f.up != nil {
		st.Up = true
		st.Endpoint = f.up.Peer.Endpoint
		for _, a := range f.up.Addresses {
			st.Addresses = append(st.Addresses, a.String())
		}
	}
	return st
}

func (f *fakeBackend) state() (up bool, cfg tunnel.Config, ups, downs int) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.up != nil {
		return true, *f.up, f.ups, f.downs
	}
	return false, tunnel.Config{}, f.ups, f.downs
}

type fixture struct {
	socket  string
	backend *fakeBackend
	trusted helpertest.Key
	stop    func()
}

func startServer(t *testing.T, authorize func(net.Conn) error) *fixture {
	t.Helper()
	return startServerWith(t, authorize, nil)
}

func startServerWith(t *testing.T, authorize func(net.Conn) error, tune func(*Server)) *fixture {
	t.Helper()
	f := &fixture{socket: filepath.Join(t.TempDir(), "h.sock"), backend: &fakeBackend{}, trusted: helpertest.NewKey(t)}
	l, err := net.Listen("unix", f.socket)
	if err != nil {
		t.Fatal(err)
	}
	srv := &Server{Backend: f.backend, Interface: "fake0", Authorize: authorize, Logf: t.Logf,
		TrustedKeys: func() ([]minisign.PublicKey, error) { return []minisign.PublicKey{f.trusted.Public}, nil }}
	if tune != nil {
		tune(srv)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- srv.Serve(ctx, l) }()
	f.stop = func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("Serve: %v", err)
		}
	}
	t.Cleanup(func() {
		if ctx.Err() == nil {
			f.stop()
		}
	})
	return f
}

var serverKey = tunnel.Key{1, 2, 3}

func testProfile(serial int, endpoint string) []byte {
	return helpertest.Profile(serial, helpertest.Tunnel{Endpoint: endpoint, ServerPublicKey: serverKey.String(),
		AllowedIPs: []string{"10.99.0.0/24"}, DNS: []string{"10.99.0.1"}, DNSDomains: []string{"office.test"}})
}

func (f *fixture) upRequest(serial int, endpoint string) UpRequest {
	p := testProfile(serial, endpoint)
	return UpRequest{Profile: p, Signature: f.trusted.Sign(p), PrivateKey: tunnel.Key{9, 9, 9},
		Addresses: []netip.Prefix{netip.MustParsePrefix("10.99.0.2/32")}}
}

func dial(t *testing.T, socket string) *Client {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	c, err := Dial(ctx, socket)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(3 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

func TestUpStatusClose(t *testing.T) {
	f := startServer(t, nil)
	c := dial(t, f.socket)
	if c.Interface() != "fake0" {
		t.Errorf("Interface = %q", c.Interface())
	}
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	tun, err := c.Up(ctx, f.upRequest(1, "192.0.2.1:51820"))
	if err != nil {
		t.Fatal(err)
	}
	up, cfg, _, _ := f.backend.state()
	if !up || cfg.Peer.Endpoint != "192.0.2.1:51820" || cfg.PrivateKey != (tunnel.Key{9, 9, 9}) ||
		len(cfg.DNS) != 1 || cfg.Addresses[0].String() != "10.99.0.2/32" {
		t.Fatalf("backend got %+v", cfg)
	}
	st := tun.Status()
	if !st.Up || st.Mode != tunnel.ModeSystem || st.Interface != "fake0" {
		t.Errorf("Status = %+v", st)
	}
	if err := tun.Close(); err != nil {
		t.Fatal(err)
	}
	if up, _, _, downs := f.backend.state(); up || downs != 1 {
		t.Errorf("after Close: up %v, downs %d", up, downs)
	}
}

// The caller owns the tunnel: when its connection goes, so does the tunnel.
func TestTunnelDownWhenOwnerGoes(t *testing.T) {
	f := startServer(t, nil)
	c := dial(t, f.socket)
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	if _, err := c.Up(ctx, f.upRequest(1, "192.0.2.1:51820")); err != nil {
		t.Fatal(err)
	}
	c.Close() // no Down: the process died
	waitFor(t, "tear down", func() bool { up, _, _, _ := f.backend.state(); return !up })
}

// A second Up replaces the first; the first caller's Close then leaves the
// new tunnel alone.
func TestSecondUpReplaces(t *testing.T) {
	f := startServer(t, nil)
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	c1 := dial(t, f.socket)
	t1, err := c1.Up(ctx, f.upRequest(1, "192.0.2.1:51820"))
	if err != nil {
		t.Fatal(err)
	}
	c2 := dial(t, f.socket)
	t2, err := c2.Up(ctx, f.upRequest(2, "192.0.2.2:51820"))
	if err != nil {
		t.Fatal(err)
	}
	if err := t1.Close(); err != nil {
		t.Fatalf("first Close: %v", err)
	}
	up, cfg, ups, _ := f.backend.state()
	if !up || ups != 2 || cfg.Peer.Endpoint != "192.0.2.2:51820" {
		t.Fatalf("after replacing and closing the first: up %v, ups %d, endpoint %s", up, ups, cfg.Peer.Endpoint)
	}
	if err := t2.Close(); err != nil {
		t.Fatal(err)
	}
	if up, _, _, _ := f.backend.state(); up {
		t.Error("still up after the owner's Close")
	}
}

func TestRefusedProfiles(t *testing.T) {
	f := startServer(t, nil)
	other := helpertest.NewKey(t)
	good := f.upRequest(1, "192.0.2.1:51820")
	tests := []struct {
		name string
		req  func(r UpRequest) UpRequest
		code Code
		is   error
	}{
		{"untrusted key", func(r UpRequest) UpRequest { r.Signature = other.Sign(r.Profile); return r }, CodeUntrustedKey, profile.ErrUntrustedKey},
		{"unsigned", func(r UpRequest) UpRequest { r.Signature = nil; return r }, CodeUnsigned, profile.ErrUnsigned},
		{"tampered", func(r UpRequest) UpRequest {
			r.Profile = []byte(strings.Replace(string(r.Profile), "192.0.2.1", "192.0.2.66", 1))
			return r
		}, CodeBadSignature, profile.ErrBadSignature},
		{"no key", func(r UpRequest) UpRequest { r.PrivateKey = tunnel.Key{}; return r }, CodeBadRequest, nil},
		{"loopback address", func(r UpRequest) UpRequest {
			r.Addresses = []netip.Prefix{netip.MustParsePrefix("127.0.0.1/8")}
			return r
		}, CodeBadRequest, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := dial(t, f.socket)
			defer c.Close()
			ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
			defer cancel()
			_, err := c.Up(ctx, tt.req(good))
			var he *Error
			if !errors.As(err, &he) || he.Code != tt.code {
				t.Fatalf("Up = %v, want code %s", err, tt.code)
			}
			if tt.is != nil && !errors.Is(err, tt.is) {
				t.Errorf("%v is not %v", err, tt.is)
			}
			if up, _, ups, _ := f.backend.state(); up || ups != 0 {
				t.Errorf("backend was asked to go up")
			}
		})
	}
}

func TestRefusedCaller(t *testing.T) {
	f := startServer(t, func(net.Conn) error { return errorf(CodeForbidden, "uid 1000 is not in group relais") })
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	_, err := Dial(ctx, f.socket)
	var he *Error
	if !errors.As(err, &he) || he.Code != CodeForbidden {
		t.Fatalf("Dial = %v, want forbidden", err)
	}
}

func TestDialFailsFast(t *testing.T) {
	start := time.Now()
	_, err := Dial(context.Background(), filepath.Join(t.TempDir(), "none.sock"))
	if !errors.Is(err, ErrNoHelper) {
		t.Fatalf("Dial = %v", err)
	}
	// A socket that accepts but never greets.
	sock := filepath.Join(t.TempDir(), "mute.sock")
	l, err := net.Listen("unix", sock)
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 200*time.Millisecond)
	defer cancel()
	if _, err := Dial(ctx, sock); !errors.Is(err, ErrNoHelper) {
		t.Fatalf("Dial to a mute socket = %v", err)
	}
	if d := time.Since(start); d > 2*time.Second {
		t.Errorf("Dial took %v", d)
	}
}

func TestServeStopTearsDown(t *testing.T) {
	f := startServer(t, nil)
	c := dial(t, f.socket)
	defer c.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	if _, err := c.Up(ctx, f.upRequest(1, "192.0.2.1:51820")); err != nil {
		t.Fatal(err)
	}
	f.stop()
	if up, _, _, _ := f.backend.state(); up {
		t.Error("tunnel still up after the helper stopped")
	}
}

// The private key crosses the socket in the request only; a request
// printed by mistake does not show it.
func TestUpRequestNeverPrintsKey(t *testing.T) {
	k := tunnel.Key{0xAB, 0xCD}
	r := UpRequest{Profile: []byte("x"), PrivateKey: k}
	if s := r.String(); strings.Contains(s, k.String()) {
		t.Errorf("String shows the key: %s", s)
	}
	b, err := json.Marshal(Request{Op: OpUp, Up: &r})
	if err != nil {
		t.Fatal(err)
	}
	var back Request
	if err := json.Unmarshal(b, &back); err != nil {
		t.Fatal(err)
	}
	if back.Up.PrivateKey != k {
		t.Error("key lost on the wire")
	}
}

func TestExclude(t *testing.T) {
	tests := []struct {
		prefix, addr string
		want         []string
	}{
		{"10.99.0.0/24", "192.0.2.1", []string{"10.99.0.0/24"}},
		{"10.0.0.0/30", "10.0.0.1", []string{"10.0.0.2/31", "10.0.0.0/32"}},
		{"10.98.5.0/25", "10.98.5.1", []string{"10.98.5.64/26", "10.98.5.32/27", "10.98.5.16/28", "10.98.5.8/29", "10.98.5.4/30", "10.98.5.2/31", "10.98.5.0/32"}},
	}
	for _, tt := range tests {
		got := exclude(netip.MustParsePrefix(tt.prefix), netip.MustParseAddr(tt.addr))
		var s []string
		for _, p := range got {
			s = append(s, p.String())
		}
		if strings.Join(s, " ") != strings.Join(tt.want, " ") {
			t.Errorf("exclude(%s, %s) = %v, want %v", tt.prefix, tt.addr, s, tt.want)
		}
	}
	// The whole IPv4 space less one address: 32 routes, none holding it,
	// together covering everything else.
	ep := netip.MustParseAddr("203.0.113.7")
	got := routesFor([]netip.Prefix{netip.MustParsePrefix("0.0.0.0/0")}, ep)
	if len(got) != 32 {
		t.Fatalf("%d routes", len(got))
	}
	for _, p := range got {
		if p.Contains(ep) {
			t.Errorf("%s holds the endpoint", p)
		}
	}
	for _, probe := range []string{"203.0.113.6", "203.0.113.8", "1.1.1.1", "255.255.255.255", "0.0.0.0"} {
		a := netip.MustParseAddr(probe)
		n := 0
		for _, p := range got {
			if p.Contains(a) {
				n++
			}
		}
		if n != 1 {
			t.Errorf("%s is in %d routes", probe, n)
		}
	}
}

// A member of the group may not choose the machine's addresses: a network
// instead of one address (128.0.0.0/1 routed half the Internet into the
// tunnel), an address outside the signed profile's networks (the LAN
// gateway's), or thousands of them, are refused before anything changes.
func TestUpRefusesAddressesTheProfileDoesNotAllow(t *testing.T) {
	f := startServer(t, nil)
	c := dial(t, f.socket)
	many := make([]netip.Prefix, 20000)
	for i := range many {
		many[i] = netip.PrefixFrom(netip.AddrFrom4([4]byte{10, 99, 0, byte(i)}), 32)
	}
	for name, addrs := range map[string][]netip.Prefix{
		"half the Internet":   {netip.MustParsePrefix("128.0.0.0/1")},
		"the office network":  {netip.MustParsePrefix("10.99.0.0/24")},
		"a /24 in the office": {netip.MustParsePrefix("10.99.0.2/24")},
		"the LAN gateway":     {netip.MustParsePrefix("192.168.1.1/32")},
		"twenty thousand":     many,
	} {
		req := f.upRequest(1, "192.0.2.1:51820")
		req.Addresses = addrs
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		_, err := c.Up(ctx, req)
		cancel()
		var he *Error
		if !errors.As(err, &he) || he.Code != CodeBadRequest {
			t.Errorf("%s: %v", name, err)
		}
		if up, _, _, _ := f.backend.state(); up {
			t.Fatalf("%s: the tunnel went up", name)
		}
	}
	// One address of the office network is what a device has.
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if _, err := c.Up(ctx, f.upRequest(1, "192.0.2.1:51820")); err != nil {
		t.Fatal(err)
	}
}

// A caller that sends half a request and stops is not waited for: the
// read deadline closes its connection after IdleTimeout, without serving
// the half line (it was answered, and a half line that parsed would have
// been run), and the slot it held serves the next caller.
func TestHalfSentRequestIsClosed(t *testing.T) {
	f := startServerWith(t, nil, func(s *Server) { s.MaxConns, s.IdleTimeout = 1, 300*time.Millisecond })
	c, err := net.Dial("unix", f.socket)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	r := bufio.NewReader(c)
	if _, err := r.ReadString('\n'); err != nil { // the hello
		t.Fatal(err)
	}
	if _, err := c.Write([]byte(`{"op":"up","profile":"`)); err != nil {
		t.Fatal(err)
	}
	_ = c.SetReadDeadline(time.Now().Add(10 * time.Second))
	if line, err := r.ReadString('\n'); err == nil || errors.Is(err, os.ErrDeadlineExceeded) {
		t.Fatalf("the half-sent request was waited for: %q %v", line, err)
	}
	// Its slot is free again.
	dial(t, f.socket)
}

// With tunnel.address_pool, clients' addresses come from the pool only:
// an address of the office network the tunnel carries (allowed_ips) is
// refused, one of the pool is taken.
func TestUpTakesAddressesFromThePool(t *testing.T) {
	f := startServer(t, nil)
	c := dial(t, f.socket)
	p := helpertest.Profile(1, helpertest.Tunnel{Endpoint: "192.0.2.1:51820", ServerPublicKey: serverKey.String(),
		AllowedIPs: []string{"10.99.0.0/24", "10.20.0.0/16"}, AddressPool: []string{"10.20.128.0/17"}})
	for addr, ok := range map[string]bool{"10.99.0.7/32": false, "10.20.9.7/32": false, "10.20.130.5/32": true} {
		req := UpRequest{Profile: p, Signature: f.trusted.Sign(p), PrivateKey: tunnel.Key{9, 9, 9},
			Addresses: []netip.Prefix{netip.MustParsePrefix(addr)}}
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		_, err := c.Up(ctx, req)
		cancel()
		var he *Error
		if ok && err != nil || !ok && (!errors.As(err, &he) || he.Code != CodeBadRequest) {
			t.Errorf("%s: %v", addr, err)
		}
	}
}

// A caller that opens connections by the hundred and sends nothing is
// bounded: past MaxConns a connection is refused as busy, an idle one is
// closed after IdleTimeout, and the tunnel's own connection stays open as
// long as the tunnel is up.
func TestConnectionsAreBounded(t *testing.T) {
	f := startServerWith(t, nil, func(s *Server) { s.MaxConns, s.IdleTimeout = 4, 300*time.Millisecond })
	owner := dial(t, f.socket)
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	tun, err := owner.Up(ctx, f.upRequest(1, "192.0.2.1:51820"))
	if err != nil {
		t.Fatal(err)
	}
	var idle []net.Conn
	for range 3 {
		c, err := net.Dial("unix", f.socket)
		if err != nil {
			t.Fatal(err)
		}
		defer c.Close()
		idle = append(idle, c)
	}
	// The fifth: busy.
	extra, err := net.Dial("unix", f.socket)
	if err != nil {
		t.Fatal(err)
	}
	defer extra.Close()
	_ = extra.SetReadDeadline(time.Now().Add(3 * time.Second))
	var resp Response
	if err := json.NewDecoder(extra).Decode(&resp); err != nil || resp.Error == nil || resp.Error.Code != CodeBusy {
		t.Fatalf("fifth connection: %+v, %v", resp, err)
	}
	// The idle ones are closed; the owner's stays, and its tunnel too.
	for _, c := range idle {
		_ = c.SetReadDeadline(time.Now().Add(3 * time.Second))
		if _, err := io.ReadAll(c); err != nil {
			t.Fatalf("an idle connection was not closed: %v", err)
		}
	}
	time.Sleep(400 * time.Millisecond)
	if st := tun.Status(); !st.Up {
		t.Fatalf("the owner's tunnel went down with the idle ones: %+v", st)
	}
	if up, _, _, _ := f.backend.state(); !up {
		t.Fatal("the owner's connection was closed as idle")
	}
	// Slots are free again.
	waitFor(t, "a free slot", func() bool {
		c, err := Dial(context.Background(), f.socket)
		if err != nil {
			return false
		}
		c.Close()
		return true
	})
}
