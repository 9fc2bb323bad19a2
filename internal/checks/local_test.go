package checks

import (
	"context"
	"fmt"
	"net"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"strings"
	"sync"
	"sync/atomic"
	"testing"

	"relais/internal/profile"
)

// recordingDialer dials for real and remembers every address it was asked for.
type recordingDialer struct {
	mu    sync.Mutex
	dials []string
}

func (d *recordingDialer) Dial(ctx context.Context, network, address string) (net.Conn, error) {
	d.mu.Lock()
	d.dials = append(d.dials, address)
	d.mu.Unlock()
	var nd net.Dialer
	return nd.DialContext(ctx, network, address)
}

func (d *recordingDialer) dialled() []string {
	d.mu.Lock()
	defer d.mu.Unlock()
	return append([]string(nil), d.dials...)
}

// runLocal runs one check as the profile wrote it (no test helper adds
// allow_local).
func runLocal(r *Runner, c profile.Check) CheckResult {
	c.ID = "paie-web"
	if c.Via == "" {
		c.Via = "direct"
	}
	p := &profile.Profile{Apps: []profile.App{{ID: "paie", Name: profile.Text{FR: "Paie", EN: "Payroll"},
		Criticality: "essential", Checks: []profile.Check{c}}}}
	return r.Run(context.Background(), p).Apps[0].Checks[0]
}

// A check whose name resolves to this computer (a local service answers,
// not the organisation) or to its link (the cloud metadata service at
// 169.254.169.254) is refused before any connection, unless the check says
// allow_local; lint cannot see it, since the name looks remote.
func TestLocalTargetRefused(t *testing.T) {
	var hits atomic.Int32
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		hits.Add(1)
		fmt.Fprint(w, "ok")
	}))
	defer srv.Close()
	_, port, _ := net.SplitHostPort(strings.TrimPrefix(srv.URL, "http://"))
	answers := map[string][]netip.Addr{
		"paie.example.org":  {netip.MustParseAddr("127.0.0.1")},
		"meta.example.org":  {netip.MustParseAddr("169.254.169.254")},
		"six.example.org":   {netip.MustParseAddr("::1"), netip.MustParseAddr("fe80::1")},
		"mixte.example.org": {netip.MustParseAddr("127.0.0.1"), netip.MustParseAddr("192.0.2.1")},
	}
	lookup := func(_ context.Context, _, host string) ([]netip.Addr, error) {
		if a, ok := answers[host]; ok {
			return a, nil
		}
		return nil, &net.DNSError{Err: "no such host", Name: host, IsNotFound: true}
	}

	for _, c := range []profile.Check{
		{Type: "http", Target: "http://paie.example.org:" + port + "/sante"},
		{Type: "http", Target: "http://meta.example.org/latest/meta-data"},
		{Type: "tcp", Target: "paie.example.org:" + port},
		{Type: "tls", Target: "six.example.org:443"},
		{Type: "http", Target: "http://127.0.0.1:" + port + "/sante"}, // a profile lint would have refused
		{Type: "tcp", Target: "paie.example.org:" + port, Via: "tunnel"},
	} {
		d := &recordingDialer{}
		r := &Runner{Direct: d, Tunnel: d, LookupNetIP: lookup, Contacts: helpdesk}
		res := runLocal(r, c)
		wantReason(t, res, StateFailed, CodeLocalTarget)
		if got := d.dialled(); len(got) != 0 {
			t.Errorf("%s %s: dialled %v", c.Type, c.Target, got)
		}
		host := targetHost(&c)
		if !strings.Contains(res.Reason.Text.FR, "« Paie »") || !strings.Contains(res.Reason.Text.FR, host) ||
			!strings.Contains(res.Reason.Text.EN, "“Payroll”") || !strings.Contains(res.Reason.Next.FR, "Centre de services") ||
			!strings.Contains(res.Error, "allow_local") {
			t.Errorf("%s %s: %+v, error %q", c.Type, c.Target, res.Reason, res.Error)
		}
	}
	if n := hits.Load(); n != 0 {
		t.Fatalf("the local server answered %d requests of checks without allow_local", n)
	}

	// Said on purpose: the same checks connect.
	for _, c := range []profile.Check{
		{Type: "http", Target: "http://paie.example.org:" + port + "/sante", Conditions: []string{"[BODY] == ok"}, AllowLocal: true},
		{Type: "tcp", Target: "paie.example.org:" + port, AllowLocal: true},
		{Type: "http", Target: "http://127.0.0.1:" + port + "/sante", AllowLocal: true},
	} {
		r := &Runner{Direct: &recordingDialer{}, LookupNetIP: lookup, Contacts: helpdesk}
		wantReason(t, runLocal(r, c), StateOK, "")
	}
	if n := hits.Load(); n != 2 {
		t.Errorf("%d requests with allow_local, want 2", n)
	}

	// A name with a local and a remote address: only the remote one is tried.
	d := &recordingDialer{}
	r := &Runner{Direct: d, LookupNetIP: lookup, Contacts: helpdesk}
	runLocal(r, profile.Check{Type: "tcp", Target: "mixte.example.org:9", Timeout: "200ms"})
	for _, a := range d.dialled() {
		if strings.HasPrefix(a, "127.") {
			t.Errorf("dialled %s", a)
		}
	}
	if len(d.dialled()) == 0 {
		t.Error("the remote address was not tried")
	}
}
