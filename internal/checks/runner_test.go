package checks

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/json"
	"fmt"
	"io"
	"log"
	"math/big"
	"net"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"os"
	"regexp"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"relais/internal/i18n"
	"relais/internal/profile"
	"relais/internal/tunnel"
)

var helpdesk = []profile.Contact{{Role: "helpdesk", Name: profile.Text{FR: "Centre de services", EN: "Service desk"}, Phone: "+1-555-0100"}}

// app is an essential app with checks, direct unless a check says otherwise.
// The tests' servers listen on loopback, so its checks say allow_local, as
// such a profile must (TestLocalTargetRefused runs checks that do not).
func app(id string, requires []string, checks ...profile.Check) profile.App {
	for i := range checks {
		checks[i].AllowLocal = true
		if checks[i].Via == "" {
			checks[i].Via = "direct"
		}
		if checks[i].ID == "" {
			checks[i].ID = fmt.Sprintf("%s-%d", id, i)
		}
	}
	return profile.App{ID: id, Name: profile.Text{FR: "Appli " + id, EN: "App " + id}, Criticality: "essential", Requires: requires, Checks: checks}
}

func runOne(t *testing.T, r *Runner, c profile.Check) CheckResult {
	t.Helper()
	p := &profile.Profile{Apps: []profile.App{app("a", nil, c)}}
	rep := r.Run(context.Background(), p)
	return rep.Apps[0].Checks[0]
}

func wantReason(t *testing.T, res CheckResult, state State, code string) {
	t.Helper()
	if res.State != state || res.Reason == nil && code != "" || res.Reason != nil && res.Reason.Code != code {
		b, _ := json.Marshal(res)
		t.Fatalf("got %s, want %s/%s", b, state, code)
	}
}

// certs makes a CA, a certificate it signed for 127.0.0.1, and an expired one.
func certs(t testing.TB) (pool *x509.CertPool, good, expired tls.Certificate) {
	t.Helper()
	key, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	ca := &x509.Certificate{SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "Relais test CA"},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(24 * time.Hour), IsCA: true,
		KeyUsage: x509.KeyUsageCertSign, BasicConstraintsValid: true}
	der, err := x509.CreateCertificate(rand.Reader, ca, ca, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	caCert, _ := x509.ParseCertificate(der)
	pool = x509.NewCertPool()
	pool.AddCert(caCert)
	leaf := func(serial int64, notBefore, notAfter time.Time) tls.Certificate {
		lk, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
		tmpl := &x509.Certificate{SerialNumber: big.NewInt(serial), Subject: pkix.Name{CommonName: "127.0.0.1"},
			NotBefore: notBefore, NotAfter: notAfter, IPAddresses: []net.IP{net.IPv4(127, 0, 0, 1)},
			ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth}, KeyUsage: x509.KeyUsageDigitalSignature}
		d, err := x509.CreateCertificate(rand.Reader, tmpl, caCert, &lk.PublicKey, key)
		if err != nil {
			t.Fatal(err)
		}
		return tls.Certificate{Certificate: [][]byte{d}, PrivateKey: lk}
	}
	return pool, leaf(2, time.Now().Add(-time.Hour), time.Now().Add(20*time.Hour)),
		leaf(3, time.Now().Add(-48*time.Hour), time.Now().Add(-24*time.Hour))
}

func tlsServer(t *testing.T, cert tls.Certificate, h http.Handler) *httptest.Server {
	srv := httptest.NewUnstartedServer(h)
	srv.TLS = &tls.Config{Certificates: []tls.Certificate{cert}}
	srv.Config.ErrorLog = log.New(io.Discard, "", 0)
	srv.StartTLS()
	t.Cleanup(srv.Close)
	return srv
}

func hostPort(u string) string {
	return strings.TrimPrefix(strings.TrimPrefix(u, "https://"), "http://")
}

func TestHTTPAndTLS(t *testing.T) {
	pool, good, expired := certs(t)
	ok := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch r.URL.Path {
		case "/panne":
			w.WriteHeader(503)
		case "/ailleurs":
			http.Redirect(w, r, "http://autre.example/", http.StatusFound)
		case "/ici":
			http.Redirect(w, r, "/sante", http.StatusFound)
		default:
			fmt.Fprint(w, `{"status":"ok"}`)
		}
	})
	plain := httptest.NewServer(ok)
	defer plain.Close()
	secure := tlsServer(t, good, ok)
	old := tlsServer(t, expired, ok)
	r := &Runner{RootCAs: pool, Contacts: helpdesk, RetryBackoff: time.Millisecond}
	untrusting := &Runner{Contacts: helpdesk} // system roots: the test CA is unknown

	res := runOne(t, r, profile.Check{Type: "http", Target: secure.URL + "/sante",
		Conditions: []string{"[STATUS] == 200", "[BODY] == pat(*ok*)", "[CERTIFICATE_EXPIRATION] > 1h"}})
	wantReason(t, res, StateOK, "")
	if res.Phases.Connect <= 0 || res.Phases.TLS <= 0 || res.Phases.FirstByte <= 0 || res.Attempts != 1 {
		t.Errorf("phases %+v attempts %d", res.Phases, res.Attempts)
	}
	if e := res.Conditions[2].Expr; !strings.HasPrefix(e, "[CERTIFICATE_EXPIRATION] (19h59m") && !strings.HasPrefix(e, "[CERTIFICATE_EXPIRATION] (20h0m0s)") {
		t.Errorf("expiry seen: %q", res.Conditions[2].Expr)
	}

	res = runOne(t, r, profile.Check{Type: "http", Target: plain.URL + "/panne", Conditions: []string{"[STATUS] == 200"}})
	wantReason(t, res, StateFailed, CodeHTTPStatus)
	if res.Conditions[0].Expr != "[STATUS] (503) == 200" || !strings.Contains(res.Reason.Text.FR, "503") || !strings.Contains(res.Reason.Text.EN, "503") {
		t.Errorf("%+v %+v", res.Conditions, res.Reason)
	}
	// No conditions: an http status below 400 is what answering means.
	wantReason(t, runOne(t, r, profile.Check{Type: "http", Target: plain.URL + "/panne"}), StateFailed, CodeHTTPStatus)
	wantReason(t, runOne(t, r, profile.Check{Type: "http", Target: plain.URL + "/sante"}), StateOK, "")
	// Redirects: followed on the same host, reported as seen towards another.
	wantReason(t, runOne(t, r, profile.Check{Type: "http", Target: plain.URL + "/ici", Conditions: []string{"[STATUS] == 200"}}), StateOK, "")
	res = runOne(t, r, profile.Check{Type: "http", Target: plain.URL + "/ailleurs", Conditions: []string{"[STATUS] == 200"}})
	if res.Conditions[0].Expr != "[STATUS] (302) == 200" {
		t.Errorf("redirect elsewhere: %+v", res.Conditions)
	}
	res = runOne(t, r, profile.Check{Type: "http", Target: plain.URL + "/sante", Conditions: []string{"[BODY] == pat(*erreur*)"}})
	wantReason(t, res, StateFailed, CodeCondition)
	res = runOne(t, r, profile.Check{Type: "http", Target: plain.URL + "/sante", DegradedIf: []string{"[RESPONSE_TIME] >= 0"}})
	wantReason(t, res, StateDegraded, CodeDegraded)

	wantReason(t, runOne(t, untrusting, profile.Check{Type: "http", Target: secure.URL + "/sante"}), StateFailed, CodeTLSUntrusted)
	wantReason(t, runOne(t, r, profile.Check{Type: "http", Target: old.URL + "/sante"}), StateFailed, CodeTLSExpired)

	res = runOne(t, r, profile.Check{Type: "tls", Target: hostPort(secure.URL), Conditions: []string{"[CERTIFICATE_EXPIRATION] > 72h"}})
	wantReason(t, res, StateFailed, CodeCondition)
	if res.Phases.TLS <= 0 || !strings.Contains(res.Conditions[0].Expr, "(20h0m0s)") && !strings.Contains(res.Conditions[0].Expr, "(19h59m") {
		t.Errorf("tls: %+v", res)
	}
	wantReason(t, runOne(t, r, profile.Check{Type: "tls", Target: hostPort(secure.URL)}), StateOK, "")
	wantReason(t, runOne(t, untrusting, profile.Check{Type: "tls", Target: hostPort(secure.URL)}), StateFailed, CodeTLSUntrusted)
	wantReason(t, runOne(t, r, profile.Check{Type: "tls", Target: hostPort(old.URL)}), StateFailed, CodeTLSExpired)
}

// closedPort is a local port nothing listens on.
func closedPort(t *testing.T) string {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	return addr
}

func TestRefusedAndRetries(t *testing.T) {
	addr := closedPort(t)
	r := &Runner{Contacts: helpdesk, RetryBackoff: time.Millisecond}
	res := runOne(t, r, profile.Check{Type: "tcp", Target: addr, Conditions: []string{"[CONNECTED] == true"}, Retries: 2})
	wantReason(t, res, StateFailed, CodeRefused)
	if res.Attempts != 3 || res.Conditions[0].Expr != "[CONNECTED] (false) == true" || res.Error == "" {
		t.Errorf("%+v", res)
	}
	wantReason(t, runOne(t, r, profile.Check{Type: "http", Target: "http://" + addr + "/"}), StateFailed, CodeRefused)

	// A server that fails once then answers: one retry makes it ok, in two attempts.
	var hits atomic.Int32
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		if hits.Add(1) == 1 {
			w.WriteHeader(500)
		}
	}))
	defer srv.Close()
	res = runOne(t, r, profile.Check{Type: "http", Target: srv.URL, Retries: 1})
	if res.State != StateOK || res.Attempts != 2 {
		t.Errorf("retry: %s after %d attempts", res.State, res.Attempts)
	}

	ln, _ := net.Listen("tcp", "127.0.0.1:0")
	defer ln.Close()
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			c.Close()
		}
	}()
	wantReason(t, runOne(t, r, profile.Check{Type: "tcp", Target: ln.Addr().String()}), StateOK, "")
}

// stuckDialer ignores its context: it never returns until the test ends.
type stuckDialer struct{ release chan struct{} }

func (d stuckDialer) Dial(context.Context, string, string) (net.Conn, error) {
	<-d.release
	return nil, os.ErrClosed
}

func TestDeadlineHeld(t *testing.T) {
	// A listener that never accepts: the connection is made (the kernel's backlog) but
	// nothing ever answers.
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	release := make(chan struct{})
	defer close(release)
	stuck := &Runner{Tunnel: stuckDialer{release}, TunnelDNS: []netip.Addr{netip.MustParseAddr("10.0.0.53")}, DNSDomains: []string{"intra"}}
	cases := []struct {
		name string
		r    *Runner
		c    profile.Check
		code string
	}{
		{"http blackhole", &Runner{}, profile.Check{Type: "http", Target: "http://" + ln.Addr().String() + "/"}, CodeTimeout},
		{"tls blackhole", &Runner{}, profile.Check{Type: "tls", Target: ln.Addr().String()}, CodeTimeout},
		{"dialer ignoring its deadline", stuck, profile.Check{Type: "tcp", Target: "10.0.0.1:80", Via: "tunnel"}, CodeTimeout},
		{"tunnel dns never answering", stuck, profile.Check{Type: "http", Target: "http://paie.intra/", Via: "tunnel"}, CodeDNSTimeout},
		{"dns check never answering", stuck, profile.Check{Type: "dns", Target: "paie.intra", Via: "tunnel"}, CodeDNSTimeout},
	}
	var wg sync.WaitGroup
	for _, tc := range cases {
		wg.Add(1)
		go func() {
			defer wg.Done()
			tc.c.Timeout = "700ms"
			start := time.Now()
			res := runOne(t, tc.r, tc.c)
			took := time.Since(start)
			if took > 700*time.Millisecond+time.Second {
				t.Errorf("%s: took %v, deadline 700ms", tc.name, took)
			}
			if res.State != StateFailed || res.Reason.Code != tc.code {
				t.Errorf("%s: %s %+v", tc.name, res.State, res.Reason)
			}
		}()
	}
	wg.Wait()
}

func TestTunnelDownAndBuiltins(t *testing.T) {
	r := &Runner{Contacts: helpdesk}
	wantReason(t, runOne(t, r, profile.Check{Type: "tcp", Target: "10.0.0.1:80", Via: "tunnel"}), StateFailed, CodeTunnelDown)

	now := time.Date(2026, 11, 3, 10, 0, 0, 0, time.UTC)
	p := &profile.Profile{Apps: []profile.App{app("a", []string{"tunnel"})}}
	for _, tc := range []struct {
		status func() tunnel.Status
		state  State
		code   string
	}{
		{nil, StateFailed, CodeTunnelDown},
		{func() tunnel.Status { return tunnel.Status{Up: false} }, StateFailed, CodeTunnelDown},
		{func() tunnel.Status { return tunnel.Status{Up: true} }, StateFailed, CodeTunnelNotSent},
		{func() tunnel.Status { return tunnel.Status{Up: true, TxBytes: 148} }, StateFailed, CodeTunnelNoAnswer},
		{func() tunnel.Status { return tunnel.Status{Up: true, LastHandshake: now.Add(-5 * time.Minute)} }, StateFailed, CodeTunnelHandshake},
		{func() tunnel.Status { return tunnel.Status{Up: true, LastHandshake: now.Add(-time.Minute)} }, StateOK, ""},
	} {
		r := &Runner{TunnelStatus: tc.status, Now: func() time.Time { return now }, HandshakeWait: -1}
		rep := r.Run(context.Background(), p)
		wantReason(t, rep.Builtins["tunnel"], tc.state, tc.code)
		if want := map[State]State{StateOK: StateOK, StateFailed: StateBlocked}[tc.state]; rep.Apps[0].State != want {
			t.Errorf("app %s, want %s", rep.Apps[0].State, want)
		}
	}

	portal := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/generate_204" {
			http.Redirect(w, r, "http://portail.hotel.example/login", http.StatusFound)
			return
		}
		fmt.Fprint(w, "bienvenue")
	}))
	defer portal.Close()
	clean := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) { w.WriteHeader(204) }))
	defer clean.Close()
	p = &profile.Profile{Apps: []profile.App{app("web", []string{"internet", "captive"})}}

	r = &Runner{InternetURL: clean.URL, CaptiveURL: clean.URL + "/generate_204", Contacts: helpdesk}
	rep := r.Run(context.Background(), p)
	wantReason(t, rep.Builtins["internet"], StateOK, "")
	wantReason(t, rep.Builtins["captive"], StateOK, "")

	r = &Runner{InternetURL: portal.URL, CaptiveURL: portal.URL + "/generate_204", Contacts: helpdesk}
	rep = r.Run(context.Background(), p)
	cp := rep.Builtins["captive"]
	wantReason(t, cp, StateFailed, CodeCaptivePortal)
	if !strings.Contains(cp.Reason.Sentence().FR, "Un portail de connexion (Wi-Fi d'hôtel, de gare…) bloque l'accès") ||
		!strings.Contains(cp.Reason.Sentence().FR, "ouvrez un navigateur") && !strings.Contains(cp.Reason.Sentence().FR, "Ouvrez un navigateur") {
		t.Errorf("captive reason: %q", cp.Reason.Sentence().FR)
	}
	// Behind the portal, the internet check is blocked by it, and the app names the portal only.
	wantReason(t, rep.Builtins["internet"], StateBlocked, CodeBlocked)
	if a := rep.App("web"); a.State != StateBlocked || strings.Join(a.BlockedBy, ",") != "captive" {
		t.Errorf("app behind the portal: %+v", a)
	}
	// A 200 with content is a portal too.
	r.CaptiveURL = portal.URL + "/"
	wantReason(t, r.RunChecks(context.Background(), p, []string{"captive"}).Builtins["captive"], StateFailed, CodeCaptivePortal)
	// No network at all.
	r = &Runner{InternetURL: "http://" + closedPort(t) + "/", Contacts: helpdesk}
	wantReason(t, r.RunChecks(context.Background(), p, []string{"internet"}).Builtins["internet"], StateFailed, CodeNoInternet)
}

func TestRequiresBlocked(t *testing.T) {
	var hits sync.Map
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		hits.Store(r.URL.Path, true)
		if r.URL.Path == "/b" {
			w.WriteHeader(500)
		}
	}))
	defer srv.Close()
	h := func(path string) profile.Check { return profile.Check{Type: "http", Target: srv.URL + path} }
	// c → a → b (fails); d → c and b; e is independent.
	p := &profile.Profile{Apps: []profile.App{
		app("c", []string{"a"}, h("/c")), app("a", []string{"b"}, h("/a")), app("b", nil, h("/b")),
		app("d", []string{"c", "b"}, h("/d")), app("e", nil, h("/e"))}}
	r := &Runner{Contacts: helpdesk}
	rep := r.Run(context.Background(), p)
	want := map[string]State{"a": StateBlocked, "b": StateFailed, "c": StateBlocked, "d": StateBlocked, "e": StateOK}
	for id, st := range want {
		a := rep.App(id)
		if a.State != st {
			t.Errorf("%s: %s, want %s", id, a.State, st)
		}
		if st == StateBlocked {
			if strings.Join(a.BlockedBy, ",") != "b" {
				t.Errorf("%s blocked by %v, want the root cause b only", id, a.BlockedBy)
			}
			if _, ran := hits.Load("/" + id); ran {
				t.Errorf("%s was run although blocked", id)
			}
			if c := a.Checks[0]; c.State != StateBlocked || c.Reason.Code != CodeBlocked || !strings.Contains(c.Reason.Text.FR, "Appli b") || c.Attempts != 0 {
				t.Errorf("%s: %+v", id, c)
			}
		}
	}
	if rep.EssentialsOK() {
		t.Error("EssentialsOK with failed essentials")
	}
	if got := []string{rep.Apps[0].ID, rep.Apps[4].ID}; got[0] != "c" || got[1] != "e" {
		t.Errorf("apps not in profile order: %v", got)
	}

	// RunChecks: only the named check, and what its app requires (whole).
	hits = sync.Map{}
	rep = r.RunChecks(context.Background(), p, []string{"a-0"})
	if len(rep.Apps) != 2 || rep.App("a") == nil || rep.App("b") == nil || rep.App("a").State != StateBlocked {
		t.Errorf("RunChecks: %+v", rep.Apps)
	}
	rep = r.RunChecks(context.Background(), p, []string{"e-0"})
	if len(rep.Apps) != 1 || rep.App("e").State != StateOK || !rep.EssentialsOK() {
		t.Errorf("RunChecks e: %+v", rep.Apps)
	}
}

func TestConcurrencyBound(t *testing.T) {
	var inFlight, peak atomic.Int32
	srv := httptest.NewServer(http.HandlerFunc(func(http.ResponseWriter, *http.Request) {
		n := inFlight.Add(1)
		for {
			p := peak.Load()
			if n <= p || peak.CompareAndSwap(p, n) {
				break
			}
		}
		time.Sleep(30 * time.Millisecond)
		inFlight.Add(-1)
	}))
	defer srv.Close()
	var checks []profile.Check
	for i := 0; i < 40; i++ {
		checks = append(checks, profile.Check{Type: "http", Target: srv.URL})
	}
	p := &profile.Profile{Apps: []profile.App{app("x", nil, checks[:20]...), app("y", nil, checks[20:]...)}}
	var progress atomic.Int32
	r := &Runner{Concurrency: 4, Progress: func(CheckResult) { progress.Add(1) }}
	rep := r.Run(context.Background(), p)
	if peak.Load() != 4 {
		t.Errorf("peak in flight %d, want 4", peak.Load())
	}
	if rep.App("x").State != StateOK || rep.App("y").State != StateOK || progress.Load() != 40 {
		t.Errorf("states %s %s, progress %d", rep.App("x").State, rep.App("y").State, progress.Load())
	}
}

func TestDNSThroughTunnel(t *testing.T) {
	// A fake office DNS reached through a generic Dialer (like a system-mode tunnel): the
	// Runner must ask it itself, over UDP, falling back to TCP when truncated.
	pc, err := net.ListenPacket("udp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer pc.Close()
	tcpLn, err := net.Listen("tcp", pc.LocalAddr().String())
	if err != nil {
		t.Skip("tcp port taken:", err)
	}
	defer tcpLn.Close()
	var tcpQueries atomic.Int32
	go serveFakeDNS(pc, tcpLn, &tcpQueries)
	port := pc.LocalAddr().(*net.UDPAddr).Port
	d := redirectDialer{to: port}
	r := &Runner{Tunnel: d, TunnelDNS: []netip.Addr{netip.MustParseAddr("127.0.0.1")}, DNSDomains: []string{"intra"}, Contacts: helpdesk}
	res := runOne(t, r, profile.Check{Type: "dns", Target: "paie.intra", Via: "tunnel", Conditions: []string{"[DNS_RCODE] == NOERROR", "[IP] == 10.99.0.10"}})
	wantReason(t, res, StateOK, "")
	res = runOne(t, r, profile.Check{Type: "dns", Target: "inconnu.intra", Via: "tunnel", Conditions: []string{"[DNS_RCODE] == NOERROR"}})
	wantReason(t, res, StateFailed, CodeDNSNXDomain)
	if res.Conditions[0].Expr != "[DNS_RCODE] (NXDOMAIN) == NOERROR" || !strings.Contains(res.Reason.Text.FR, "inconnu.intra") {
		t.Errorf("%+v", res)
	}
	res = runOne(t, r, profile.Check{Type: "dns", Target: "gros.intra", Via: "tunnel", Conditions: []string{"[IP] == 10.99.0.99"}})
	wantReason(t, res, StateOK, "")
	if tcpQueries.Load() == 0 {
		t.Error("truncated answer not retried over TCP")
	}
	// An http check on an intra name: resolved through the tunnel's DNS, then dialled.
	res = runOne(t, r, profile.Check{Type: "tcp", Target: "inconnu.intra:80", Via: "tunnel"})
	wantReason(t, res, StateFailed, CodeDNSNXDomain)
	if res.Phases.DNS <= 0 {
		t.Errorf("no dns phase: %+v", res.Phases)
	}
	// Direct dns checks use the system resolver (here a hook).
	r.LookupNetIP = func(_ context.Context, _, host string) ([]netip.Addr, error) {
		if host == "www.example.org" {
			return []netip.Addr{netip.MustParseAddr("192.0.2.7")}, nil
		}
		return nil, &net.DNSError{Err: "no such host", Name: host, IsNotFound: true}
	}
	wantReason(t, runOne(t, r, profile.Check{Type: "dns", Target: "www.example.org", Conditions: []string{"[IP] == 192.0.2.7"}}), StateOK, "")
	wantReason(t, runOne(t, r, profile.Check{Type: "dns", Target: "nope.example.org"}), StateFailed, CodeDNSNXDomain)
	wantReason(t, runOne(t, r, profile.Check{Type: "http", Target: "http://nope.example.org/"}), StateFailed, CodeDNSNXDomain)
}

// redirectDialer sends every dial to 127.0.0.1:to, as a tunnel would carry it to the
// office's resolver.
type redirectDialer struct{ to int }

func (d redirectDialer) Dial(ctx context.Context, network, _ string) (net.Conn, error) {
	var nd net.Dialer
	return nd.DialContext(ctx, network, fmt.Sprintf("127.0.0.1:%d", d.to))
}

func TestReasons(t *testing.T) {
	r := &Runner{Contacts: helpdesk}
	for code, key := range nextKey {
		if !strings.HasPrefix(key, "checks.next.") {
			t.Errorf("%s: %s", code, key)
		}
	}
	reason := r.newReason(CodeRefused, texts{key: "checks.reason.refused", args: named(profile.Text{FR: "Paie", EN: "Payroll"}, "paie.intra")})
	s := reason.Sentence()
	if !strings.HasPrefix(s.FR, "Paie refuse") || !strings.Contains(s.FR, "appelez le support (Centre de services, +1-555-0100)") ||
		!strings.HasPrefix(s.EN, "Payroll refuses") || !strings.Contains(s.EN, "call the helpdesk (Service desk, +1-555-0100)") {
		t.Errorf("%+v", s)
	}
	if got := (&Runner{}).helpdesk(i18n.FR); got != "votre soutien informatique" {
		t.Errorf("no helpdesk: %q", got)
	}

	// Credentials in a target never reach a result.
	res := runOne(t, r, profile.Check{Type: "http", Target: "http://agent:s3cret@" + closedPort(t) + "/?token=abc123"})
	b, _ := json.Marshal(res)
	if strings.Contains(string(b), "s3cret") || strings.Contains(string(b), "abc123") {
		t.Errorf("credentials leaked: %s", b)
	}
}

// TestKeysExist: every checks.* key in this package's sources is in both catalogues.
func TestKeysExist(t *testing.T) {
	fr, err := i18n.Catalog(i18n.FR)
	if err != nil {
		t.Fatal(err)
	}
	en, _ := i18n.Catalog(i18n.EN)
	key := regexp.MustCompile(`"(checks\.[a-z_]+(?:\.[a-z0-9_]+)*)"`)
	files, _ := os.ReadDir(".")
	n := 0
	for _, f := range files {
		if !strings.HasSuffix(f.Name(), ".go") || strings.HasSuffix(f.Name(), "_test.go") {
			continue
		}
		b, _ := os.ReadFile(f.Name())
		for _, m := range key.FindAllStringSubmatch(string(b), -1) {
			if strings.HasSuffix(m[1], ".") {
				continue
			}
			n++
			if fr[m[1]] == "" || en[m[1]] == "" {
				t.Errorf("%s: %s missing from a catalogue", f.Name(), m[1])
			}
		}
	}
	if n < 30 {
		t.Errorf("only %d keys found", n)
	}
}

// Reasons read right whatever the app's name: the blocked app and its
// causes are named « l'application « … » » (no "de le", no gender to
// agree), built-ins by their own words; slowness and waits in the
// person's units, never milliseconds or Go durations; the helpdesk with an
// article.
func TestReasonWordsForAnyName(t *testing.T) {
	p := &profile.Profile{Apps: []profile.App{{ID: "courriel", Name: profile.Text{FR: "Courriel", EN: "Mail"}}}}
	r := &Runner{Contacts: helpdesk}
	blocked := r.blockedReason(p, "checks.reason.blocked", profile.Text{FR: "Archives", EN: "Archives"}, []string{"courriel", profile.BuiltinTunnel}).Sentence()
	for _, want := range []string{"L'application « Archives » n'est pas vérifiée, car ceci ne fonctionne pas : l'application « Courriel » et le tunnel d'urgence.",
		"Réglez d'abord ceci : l'application « Courriel » et le tunnel d'urgence ; l'application suivra."} {
		if !strings.Contains(blocked.FR, want) {
			t.Errorf("fr: %q lacks %q", blocked.FR, want)
		}
	}
	if !strings.Contains(blocked.EN, "The app “Archives” is not checked, because this is not working: the app “Mail” and the emergency tunnel.") {
		t.Errorf("en: %q", blocked.EN)
	}
	builtin := r.blockedReason(p, "checks.reason.blocked_builtin", profile.Text{FR: i18nBuiltin(i18n.FR, profile.BuiltinCaptive), EN: i18nBuiltin(i18n.EN, profile.BuiltinCaptive)}, []string{profile.BuiltinInternet}).Sentence()
	if !strings.HasPrefix(builtin.FR, "Impossible de vérifier l'accès au réseau (portail de connexion), car ceci ne fonctionne pas : l'accès à Internet.") {
		t.Errorf("fr builtin: %q", builtin.FR)
	}
	for _, s := range []string{blocked.FR, builtin.FR} {
		for _, bad := range []string{"de le ", "à le ", "de les ", "appelez Centre"} {
			if strings.Contains(s, bad) {
				t.Errorf("%q in %q", bad, s)
			}
		}
	}

	var seen observed
	seen.has = map[string]bool{profile.PlaceholderResponseTime: true}
	seen.responseTime = 1508 * time.Millisecond
	slow := r.degradedReason(profile.Text{FR: "Dossiers", EN: "Files"}, seen, []*condition{{placeholder: profile.PlaceholderResponseTime, op: ">", num: 800}}).Sentence()
	if !strings.HasPrefix(slow.FR, "Dossiers fonctionne, mais lentement : répond en 1,5 s au lieu de 0,8 s au plus.") ||
		!strings.HasPrefix(slow.EN, "Files works, but slowly: it answers in 1.5 s instead of 0.8 s at most.") {
		t.Errorf("slow: %+v", slow)
	}
	wait := r.errorReason(CodeTimeout, profile.Text{FR: "Paie", EN: "Payroll"}, "paie.intra", "tunnel", 15*time.Minute).Sentence()
	if !strings.Contains(wait.FR, "rien reçu en 15 min") || !strings.Contains(wait.EN, "15 min") {
		t.Errorf("timeout: %+v", wait)
	}
	for _, s := range []string{slow.FR, slow.EN, wait.FR, wait.EN} {
		if strings.Contains(s, "[RESPONSE_TIME]") || strings.Contains(s, "ms") || strings.Contains(s, "15m0s") {
			t.Errorf("raw syntax or units: %q", s)
		}
	}
}
