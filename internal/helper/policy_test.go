package helper

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/netip"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"aead.dev/minisign"
	"golang.zx2c4.com/wireguard/wgctrl/wgtypes"

	"relais/internal/enrolment"
	"relais/internal/helper/helpertest"
	"relais/internal/profile"
	"relais/internal/tunnel"
)

// upCode brings a tunnel up with req on a new connection and returns the
// helper's error code ("" when it went up); the connection stays open
// (it owns the tunnel) until the test ends.
func upCode(t *testing.T, socket string, req UpRequest) Code {
	t.Helper()
	c := dial(t, socket)
	t.Cleanup(func() { c.Close() })
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	_, err := c.Up(ctx, req)
	if err == nil {
		return ""
	}
	var he *Error
	if !errors.As(err, &he) {
		t.Fatalf("Up: %v", err)
	}
	return he.Code
}

// signed is a request for profile data signed by the fixture's key.
func (f *fixture) signed(data []byte) UpRequest {
	r := f.upRequest(1, "192.0.2.1:51820")
	r.Profile, r.Signature = data, f.trusted.Sign(data)
	return r
}

func withMark(dir string) func(*Server) {
	return func(s *Server) { s.HighWater = MarkFile{Path: filepath.Join(dir, MarkFileName)} }
}

// An old signed profile (wider routes, other DNS) is refused once a newer
// one has been up, as is another file reusing the newest serial; the same
// bytes come up again. The mark survives the helper: a new Server on the
// same state directory refuses the old profile too.
func TestUpRefusesRollback(t *testing.T) {
	dir := t.TempDir()
	f := startServerWith(t, nil, withMark(dir))
	newer := f.upRequest(2, "192.0.2.2:51820")
	if code := upCode(t, f.socket, newer); code != "" {
		t.Fatalf("serial 2: %s", code)
	}
	for name, req := range map[string]UpRequest{
		"serial 1":                  f.upRequest(1, "192.0.2.1:51820"),
		"serial 2, other content":   f.upRequest(2, "192.0.2.66:51820"),
		"serial 1, wider and other": f.signed(helpertest.Profile(1, helpertest.Tunnel{Endpoint: "192.0.2.1:51820", ServerPublicKey: serverKey.String(), AllowedIPs: []string{"0.0.0.0/0"}, DNS: []string{"192.0.2.53"}})),
	} {
		if code := upCode(t, f.socket, req); code != CodeRollback {
			t.Errorf("%s: code %q, want %s", name, code, CodeRollback)
		}
		if _, cfg, ups, _ := f.backend.state(); ups != 1 || cfg.Peer.Endpoint != "192.0.2.2:51820" {
			t.Fatalf("%s: the tunnel changed: %d ups, endpoint %s", name, ups, cfg.Peer.Endpoint)
		}
	}
	if code := upCode(t, f.socket, newer); code != "" {
		t.Fatalf("serial 2 again, same bytes: %s", code)
	}
	fi, err := os.Stat(filepath.Join(dir, MarkFileName))
	if err != nil || fi.Mode().Perm() != 0o600 {
		t.Fatalf("mark file: %v, %v", fi, err)
	}
	f.stop()

	// The helper restarts: the mark is read from the state directory.
	g := startServerWith(t, nil, func(s *Server) {
		withMark(dir)(s)
		s.TrustedKeys = func() ([]minisign.PublicKey, error) { return []minisign.PublicKey{f.trusted.Public}, nil }
	})
	if code := upCode(t, g.socket, f.upRequest(1, "192.0.2.1:51820")); code != CodeRollback {
		t.Errorf("after a restart, serial 1: code %q", code)
	}
	if code := upCode(t, g.socket, f.upRequest(3, "192.0.2.3:51820")); code != "" {
		t.Errorf("after a restart, serial 3: %s", code)
	}
}

// Without a state directory the mark lives as long as the Server.
func TestUpRefusesRollbackInMemory(t *testing.T) {
	f := startServer(t, nil)
	if code := upCode(t, f.socket, f.upRequest(2, "192.0.2.2:51820")); code != "" {
		t.Fatal(code)
	}
	if code := upCode(t, f.socket, f.upRequest(1, "192.0.2.1:51820")); code != CodeRollback {
		t.Errorf("code %q", code)
	}
}

// A profile whose expiry date has passed is refused, even the first one;
// one still valid comes up.
func TestUpRefusesExpired(t *testing.T) {
	now := time.Date(2031, 1, 1, 0, 0, 0, 0, time.UTC)
	f := startServerWith(t, nil, func(s *Server) { s.Now = func() time.Time { return now } })
	old := f.signed(helpertest.Expiring(testProfile(1, "192.0.2.1:51820"), now.Add(-time.Hour)))
	if code := upCode(t, f.socket, old); code != CodeExpired {
		t.Fatalf("expired: code %q", code)
	}
	if up, _, ups, _ := f.backend.state(); up || ups != 0 {
		t.Fatal("the backend was asked to go up")
	}
	valid := f.signed(helpertest.Expiring(testProfile(1, "192.0.2.1:51820"), now.Add(time.Hour)))
	if code := upCode(t, f.socket, valid); code != "" {
		t.Fatalf("valid: %s", code)
	}
}

// The mark moves only when the tunnel came up: a profile the system could
// not bring up does not make the previous one a rollback.
func TestMarkOnlyAfterUp(t *testing.T) {
	dir := t.TempDir()
	f := startServerWith(t, nil, withMark(dir))
	f.backend.mu.Lock()
	f.backend.fail = errors.New("no TUN")
	f.backend.mu.Unlock()
	if code := upCode(t, f.socket, f.upRequest(2, "192.0.2.2:51820")); code != CodeTunnel {
		t.Fatalf("code %q", code)
	}
	if _, err := os.Stat(filepath.Join(dir, MarkFileName)); !os.IsNotExist(err) {
		t.Fatalf("mark stored after a failed up: %v", err)
	}
	f.backend.mu.Lock()
	f.backend.fail = nil
	f.backend.mu.Unlock()
	if code := upCode(t, f.socket, f.upRequest(1, "192.0.2.1:51820")); code != "" {
		t.Fatalf("serial 1 after a failed serial 2: %s", code)
	}
}

// A mark that cannot be trusted (garbage, writable by others) refuses
// every up with its own code rather than let an old profile through; a
// missing mark is no mark.
func TestMarkUnreadable(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, MarkFileName)
	f := startServerWith(t, nil, withMark(dir))
	if err := os.WriteFile(path, []byte(`{"schema":1,"serial":`), 0o600); err != nil {
		t.Fatal(err)
	}
	if code := upCode(t, f.socket, f.upRequest(5, "192.0.2.1:51820")); code != CodeMarkUnreadable {
		t.Errorf("truncated: code %q", code)
	}
	if err := (MarkFile{Path: path}).Store(mustPrev(t, 7)); err != nil {
		t.Fatal(err)
	}
	if err := os.Chmod(path, 0o666); err != nil {
		t.Fatal(err)
	}
	if code := upCode(t, f.socket, f.upRequest(8, "192.0.2.1:51820")); code != CodeMarkUnreadable {
		t.Errorf("world-writable: code %q", code)
	}
	if up, _, _, _ := f.backend.state(); up {
		t.Fatal("up with an unreadable mark")
	}
	if err := os.Remove(path); err != nil {
		t.Fatal(err)
	}
	if code := upCode(t, f.socket, f.upRequest(1, "192.0.2.1:51820")); code != "" {
		t.Errorf("no mark: %s", code)
	}
}

func TestMarkFileRoundTrip(t *testing.T) {
	m := MarkFile{Path: filepath.Join(t.TempDir(), "sub", MarkFileName)}
	if p, err := m.Load(); err != nil || p.Serial != 0 {
		t.Fatalf("missing: %+v, %v", p, err)
	}
	want := mustPrev(t, 42)
	if err := m.Store(want); err != nil {
		t.Fatal(err)
	}
	if got, err := m.Load(); err != nil || got != want {
		t.Fatalf("read back %+v, %v", got, err)
	}
	for name, body := range map[string]string{
		"empty":       "",
		"no serial":   `{"schema":1,"sha256":"` + want.SHA256 + `"}`,
		"short hash":  `{"schema":1,"serial":3,"sha256":"abcd"}`,
		"schema 2":    `{"schema":2,"serial":3,"sha256":"` + want.SHA256 + `"}`,
		"extra field": `{"schema":1,"serial":3,"sha256":"` + want.SHA256 + `","x":1}`,
	} {
		if err := os.WriteFile(m.Path, []byte(body), 0o600); err != nil {
			t.Fatal(err)
		}
		var he *Error
		if _, err := m.Load(); !errors.As(err, &he) || he.Code != CodeMarkUnreadable {
			t.Errorf("%s: %v", name, err)
		}
	}
}

// A member may not replace another user's live tunnel, even with a valid
// profile; the same user may (a second session of theirs), and root may.
func TestOtherUserCannotReplaceTunnel(t *testing.T) {
	uids := make(chan uint32, 8)
	f := startServerWith(t, nil, func(s *Server) {
		s.PeerUID = func(net.Conn) (uint32, error) { return <-uids, nil }
	})
	as := func(uid uint32, req UpRequest) Code {
		uids <- uid
		return upCode(t, f.socket, req)
	}
	endpoint := func() string { _, cfg, _, _ := f.backend.state(); return cfg.Peer.Endpoint }
	if code := as(1001, f.upRequest(1, "192.0.2.1:51820")); code != "" {
		t.Fatalf("uid 1001: %s", code)
	}
	for _, req := range []UpRequest{f.upRequest(1, "192.0.2.1:51820"), f.upRequest(2, "192.0.2.2:51820")} {
		if code := as(1002, req); code != CodeOtherOwner {
			t.Errorf("uid 1002 over uid 1001's tunnel: code %q", code)
		}
		if got := endpoint(); got != "192.0.2.1:51820" {
			t.Fatalf("the tunnel changed: %s", got)
		}
	}
	if code := as(1001, f.upRequest(2, "192.0.2.2:51820")); code != "" {
		t.Fatalf("uid 1001 again: %s", code)
	}
	if code := as(0, f.upRequest(3, "192.0.2.3:51820")); code != "" {
		t.Fatalf("root: %s", code)
	}
	if got := endpoint(); got != "192.0.2.3:51820" {
		t.Fatalf("root's up: endpoint %s", got)
	}
	if code := as(1001, f.upRequest(3, "192.0.2.3:51820")); code != CodeOtherOwner {
		t.Errorf("uid 1001 over root's tunnel: code %q", code)
	}
}

func mustPrev(t *testing.T, serial int64) profile.Previous {
	t.Helper()
	return profile.Previous{Serial: serial, SHA256: strings.Repeat("ab", 32)}
}

// enrolFixture is a profile whose [enrolment] public_key signs grants, a
// device key and the grant the server gave it.
type enrolFixture struct {
	trusted, grantKey helpertest.Key
	profile, sig      []byte
	device            tunnel.Key
}

func newEnrolFixture(t testing.TB) *enrolFixture {
	t.Helper()
	e := &enrolFixture{trusted: helpertest.NewKey(t), grantKey: helpertest.NewKey(t)}
	e.profile = e.profileWith(e.grantKey.Public.String())
	e.sig = e.trusted.Sign(e.profile)
	e.device = newDeviceKey(t)
	return e
}

func (e *enrolFixture) profileWith(grantKey string) []byte {
	return helpertest.WithEnrolment(helpertest.Profile(1, helpertest.Tunnel{Endpoint: "192.0.2.1:51820", ServerPublicKey: serverKey.String(),
		AllowedIPs: []string{"10.99.0.0/24"}, AddressPool: []string{"10.20.128.0/17", "fd00:20::/64"}}), "https://relais.example.org/v1/enrol", grantKey)
}

func newDeviceKey(t testing.TB) tunnel.Key {
	t.Helper()
	k, err := wgtypes.GeneratePrivateKey()
	if err != nil {
		t.Fatal(err)
	}
	return tunnel.Key(k)
}

// grant is key's grant for device's public key and addrs.
func grant(t testing.TB, key helpertest.Key, device tunnel.Key, addrs ...string) (doc, sig string) {
	t.Helper()
	var list []netip.Prefix
	for _, a := range addrs {
		list = append(list, netip.MustParsePrefix(a))
	}
	d, s, err := enrolment.SignGrant(devicePublicKey(device), list, time.Now(), key.Private)
	if err != nil {
		t.Fatal(err)
	}
	return string(d), string(s)
}

func (e *enrolFixture) request(addrs ...string) UpRequest {
	r := UpRequest{Profile: e.profile, Signature: e.sig, PrivateKey: e.device}
	for _, a := range addrs {
		r.Addresses = append(r.Addresses, netip.MustParsePrefix(a))
	}
	return r
}

func (e *enrolFixture) build(req UpRequest) (tunnel.Config, Code) {
	cfg, _, err := BuildConfig(req, []minisign.PublicKey{e.trusted.Public}, profile.Previous{}, time.Now())
	if err == nil {
		return cfg, ""
	}
	var he *Error
	if !errors.As(err, &he) {
		return cfg, Code("untyped: " + err.Error())
	}
	return cfg, he.Code
}

func addrStrings(list []netip.Prefix) []string {
	var out []string
	for _, p := range list {
		out = append(out, p.String())
	}
	slices.Sort(out)
	return out
}

// With an [enrolment] public_key, the addresses brought up are exactly the
// grant's: none asked gives the grant's, the same set (any order) is
// accepted, the grant's addresses are what the tunnel gets.
func TestGrantGivesTheAddresses(t *testing.T) {
	e := newEnrolFixture(t)
	doc, sig := grant(t, e.grantKey, e.device, "10.20.128.7/32", "fd00:20::7/128")
	for name, asked := range map[string][]string{
		"none asked":        nil,
		"the same":          {"10.20.128.7/32", "fd00:20::7/128"},
		"the same, swapped": {"fd00:20::7/128", "10.20.128.7/32"},
	} {
		req := e.request(asked...)
		req.Grant, req.GrantSignature = doc, sig
		cfg, code := e.build(req)
		if code != "" {
			t.Fatalf("%s: refused: %s", name, code)
		}
		if got := addrStrings(cfg.Addresses); !slices.Equal(got, []string{"10.20.128.7/32", "fd00:20::7/128"}) {
			t.Errorf("%s: addresses %v", name, got)
		}
	}
}

// Each way of asking for what the grant does not give is refused with its
// own code, and nothing is built.
func TestGrantRefusals(t *testing.T) {
	e := newEnrolFixture(t)
	doc, sig := grant(t, e.grantKey, e.device, "10.20.128.7/32")
	otherDevice := newDeviceKey(t)
	otherDoc, otherSig := grant(t, e.grantKey, otherDevice, "10.20.128.8/32")
	forged, forgedSig := grant(t, helpertest.NewKey(t), e.device, "10.20.128.7/32")
	byProfileKey, byProfileKeySig := grant(t, e.trusted, e.device, "10.20.128.7/32")
	outside, outsideSig := grant(t, e.grantKey, e.device, "10.99.0.9/32")
	empty, emptySig := grant(t, e.grantKey, e.device)
	tampered := strings.Replace(doc, "10.20.128.7", "10.20.128.9", 1)
	with := func(doc, sig string, addrs ...string) UpRequest {
		r := e.request(addrs...)
		r.Grant, r.GrantSignature = doc, sig
		return r
	}
	cases := []struct {
		name string
		req  UpRequest
		want Code
	}{
		{"no grant, no addresses", e.request(), CodeNoGrant},
		{"no grant, an address of the pool", e.request("10.20.128.7/32"), CodeNoGrant},
		{"other addresses inside the pool", with(doc, sig, "10.20.128.99/32"), CodeGrantAddresses},
		{"one more address", with(doc, sig, "10.20.128.7/32", "10.20.128.8/32"), CodeGrantAddresses},
		{"another device's grant", with(otherDoc, otherSig), CodeGrantOtherDevice},
		{"another device's grant, its addresses", with(otherDoc, otherSig, "10.20.128.8/32"), CodeGrantOtherDevice},
		{"signed by another key", with(forged, forgedSig), CodeBadGrant},
		{"signed by the profile key", with(byProfileKey, byProfileKeySig), CodeBadGrant},
		{"tampered addresses", with(tampered, sig), CodeBadGrant},
		{"a signature without grant", with("", sig), CodeBadGrant},
		{"a grant without signature", with(doc, ""), CodeBadGrant},
		{"garbage", with("{", "untrusted comment: x\nRW"), CodeBadGrant},
		{"grant outside the pool", with(outside, outsideSig), CodeBadGrant},
		{"grant of no address", with(empty, emptySig), CodeBadGrant},
	}
	for _, c := range cases {
		cfg, code := e.build(c.req)
		if code != c.want {
			t.Errorf("%s: code %q, want %q", c.name, code, c.want)
		}
		if len(cfg.Addresses) != 0 {
			t.Errorf("%s: built %v", c.name, cfg.Addresses)
		}
	}
}

// The enrolment key must not be one of the keys the machine trusts for
// profiles: the profile is refused, even with a grant that key signed.
func TestGrantKeyIsNotAProfileKey(t *testing.T) {
	e := newEnrolFixture(t)
	e.profile = e.profileWith(e.trusted.Public.String())
	e.sig = e.trusted.Sign(e.profile)
	doc, sig := grant(t, e.trusted, e.device, "10.20.128.7/32")
	req := e.request()
	req.Grant, req.GrantSignature = doc, sig
	if _, code := e.build(req); code != CodeGrantKey {
		t.Fatalf("code %q, want %s", code, CodeGrantKey)
	}
}

// Without [enrolment] public_key (no section, or a URL only), the pool
// policy stands: a caller's address inside the pool comes up, a grant is
// not needed.
func TestNoEnrolmentKeyKeepsThePoolPolicy(t *testing.T) {
	e := newEnrolFixture(t)
	plain := helpertest.Profile(1, helpertest.Tunnel{Endpoint: "192.0.2.1:51820", ServerPublicKey: serverKey.String(),
		AllowedIPs: []string{"10.99.0.0/24"}, AddressPool: []string{"10.20.128.0/17"}})
	for name, data := range map[string][]byte{"no [enrolment]": plain, "url only": e.profileWith("")} {
		e.profile, e.sig = data, e.trusted.Sign(data)
		cfg, code := e.build(e.request("10.20.128.99/32"))
		if code != "" || fmt.Sprint(addrStrings(cfg.Addresses)) != "[10.20.128.99/32]" {
			t.Errorf("%s: %q, %v", name, code, cfg.Addresses)
		}
	}
}

// The grant crosses the socket: a helper refuses another device's grant
// and brings up the granted address for the right one.
func TestGrantOverTheSocket(t *testing.T) {
	f := startServer(t, nil)
	e := newEnrolFixture(t)
	e.trusted = f.trusted
	e.sig = e.trusted.Sign(e.profile)
	doc, sig := grant(t, e.grantKey, newDeviceKey(t), "10.20.128.8/32")
	req := e.request("10.20.128.8/32")
	req.Grant, req.GrantSignature = doc, sig
	if code := upCode(t, f.socket, req); code != CodeGrantOtherDevice {
		t.Fatalf("another device's grant: code %q", code)
	}
	if up, _, _, _ := f.backend.state(); up {
		t.Fatal("the backend was asked to go up")
	}
	req.Grant, req.GrantSignature = grant(t, e.grantKey, e.device, "10.20.128.7/32")
	req.Addresses = nil
	if code := upCode(t, f.socket, req); code != "" {
		t.Fatalf("own grant: %s", code)
	}
	if _, cfg, _, _ := f.backend.state(); fmt.Sprint(addrStrings(cfg.Addresses)) != "[10.20.128.7/32]" {
		t.Fatalf("addresses %v", cfg.Addresses)
	}
}

// Whatever grant a caller sends, the helper never panics, and brings up
// addresses only for a grant the enrolment key signed for this device:
// exactly that grant's.
func FuzzGrantedAddresses(f *testing.F) {
	e := newEnrolFixture(f)
	p, err := profile.Accept("profile.toml", e.profile, e.sig, []minisign.PublicKey{e.trusted.Public}, profile.Previous{}, time.Now())
	if err != nil {
		f.Fatal(err)
	}
	doc, sig := grant(f, e.grantKey, e.device, "10.20.128.7/32")
	other, otherSig := grant(f, e.grantKey, newDeviceKey(f), "10.20.128.8/32")
	f.Add(doc, sig, "")
	f.Add(doc, sig, "10.20.128.8/32")
	f.Add(other, otherSig, "10.20.128.8/32")
	f.Add(strings.Replace(doc, ".7/", ".9/", 1), sig, "")
	f.Add("{}", "", "10.20.128.7/32")
	f.Fuzz(func(t *testing.T, doc, sig, addr string) {
		req := e.request()
		req.Grant, req.GrantSignature = doc, sig
		if a, err := netip.ParsePrefix(addr); err == nil {
			req.Addresses = []netip.Prefix{a}
		}
		addrs, ok, err := grantedAddresses(req, p, []minisign.PublicKey{e.trusted.Public})
		if !ok {
			t.Fatal("the profile names an enrolment key: the grant policy must apply")
		}
		if err != nil {
			return
		}
		want, verr := enrolment.VerifyGrant([]byte(doc), []byte(sig), e.grantKey.Public, devicePublicKey(e.device))
		if verr != nil || !enrolment.SameAddresses(addrs, want) {
			t.Fatalf("accepted %v for a grant that verifies as %v, %v", addrs, want, verr)
		}
	})
}
