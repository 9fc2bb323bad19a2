package tunnel_test

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/netip"
	"strings"
	"sync"
	"testing"
	"time"

	"relais/internal/office"
	"relais/internal/tunnel"
)

// names is a resolver the test changes, as DNS changes when a gateway
// moves: a name absent from it does not resolve.
type names struct {
	mu sync.Mutex
	m  map[string]string
	// rotate: these names have several addresses, given in a new order
	// at each lookup (as a DNS server rotating its answers).
	rotate  map[string][]string
	lookups int
}

func (n *names) set(name, addr string) {
	n.mu.Lock()
	defer n.mu.Unlock()
	n.m[name] = addr
}

func (n *names) lookup(_ context.Context, _, host string) ([]netip.Addr, error) {
	n.mu.Lock()
	defer n.mu.Unlock()
	n.lookups++
	if list := n.rotate[host]; len(list) > 0 {
		n.rotate[host] = append(list[1:], list[0])
		var out []netip.Addr
		for _, a := range list {
			out = append(out, netip.MustParseAddr(a))
		}
		return out, nil
	}
	a, ok := n.m[host]
	if !ok {
		return nil, &net.DNSError{Err: "no such host", Name: host, IsNotFound: true}
	}
	return []netip.Addr{netip.MustParseAddr(a)}, nil
}

// roamClient starts a tunnel to the office whose endpoints are names
// (at the office's port) that r resolves.
func roamClient(t *testing.T, o *office.Office, r *names, endpoint string, standby []string, opt tunnel.UserspaceOptions) (*tunnel.Userspace, error) {
	t.Helper()
	_, port, _ := net.SplitHostPort(o.Endpoint)
	cfg := clientConfig(t, o)
	cfg.Peer.Endpoint = net.JoinHostPort(endpoint, port)
	cfg.Peer.Endpoints = nil
	for _, s := range standby {
		cfg.Peer.Endpoints = append(cfg.Peer.Endpoints, net.JoinHostPort(s, port))
	}
	opt.LookupNetIP, opt.SOCKS5Addr, opt.HTTPAddr = r.lookup, tunnel.Off, tunnel.Off
	var mu sync.Mutex
	also := opt.Logf
	opt.Logf = func(format string, args ...any) {
		mu.Lock()
		defer mu.Unlock()
		t.Logf(format, args...)
		if also != nil {
			also(format, args...)
		}
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	u, err := tunnel.StartUserspace(ctx, cfg, opt)
	if err == nil {
		t.Cleanup(func() { u.Close() })
	}
	return u, err
}

// reachesOffice waits until the office's page comes through the tunnel.
func reachesOffice(t *testing.T, u *tunnel.Userspace, within time.Duration) {
	t.Helper()
	c := tunnelClient(u)
	c.Timeout = time.Second
	deadline := time.Now().Add(within)
	for {
		resp, err := c.Get("http://" + office.OfficeAddr.String() + "/")
		if err == nil {
			resp.Body.Close()
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("the office is not reached through the tunnel within %v: %v (status %+v)", within, err, u.Status())
		}
	}
}

// A gateway that moves by DNS is followed: the name first resolves to an
// address where nothing answers (127.0.0.3: the office listens on
// 127.0.0.1 only), then to the office's; the same tunnel reaches the
// office, its status naming the endpoint and its new address.
func TestUserspaceFollowsEndpointName(t *testing.T) {
	o := startOffice(t)
	r := &names{m: map[string]string{"gw.relais.test": "127.0.0.3"}}
	u, err := roamClient(t, o, r, "gw.relais.test", nil, tunnel.UserspaceOptions{ReresolveEvery: 50 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	_, port, _ := net.SplitHostPort(o.Endpoint)
	st := u.Status()
	if st.EndpointName != "gw.relais.test:"+port || st.Endpoint != "127.0.0.3:"+port {
		t.Fatalf("before the move: endpoint %q name %q", st.Endpoint, st.EndpointName)
	}
	r.set("gw.relais.test", "127.0.0.1")
	reachesOffice(t, u, 20*time.Second)
	st = u.Status()
	want := fmt.Sprintf("gw.relais.test:%s (127.0.0.1:%s)", port, port)
	if st.EndpointShown() != want || st.LastHandshake.IsZero() {
		t.Errorf("after the move: %q (handshake %v), want %q", st.EndpointShown(), st.LastHandshake, want)
	}
}

// The first endpoint whose name resolves is used; when the gateway there
// stays silent past EndpointStaleAfter, the next endpoint is tried.
func TestUserspaceStandbyEndpoints(t *testing.T) {
	o := startOffice(t)
	_, port, _ := net.SplitHostPort(o.Endpoint)
	r := &names{m: map[string]string{"dead.relais.test": "127.0.0.3", "secours.relais.test": "127.0.0.1"}}

	// A name that does not resolve: the next one.
	u, err := roamClient(t, o, r, "unknown.relais.test", []string{"secours.relais.test"}, tunnel.UserspaceOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if st := u.Status(); st.EndpointName != "secours.relais.test:"+port {
		t.Errorf("first endpoint unresolved: using %q", st.EndpointName)
	}
	reachesOffice(t, u, 10*time.Second)
	u.Close()

	// None resolves: the first one's error.
	if _, err := roamClient(t, o, r, "unknown.relais.test", []string{"unknown-2.relais.test"}, tunnel.UserspaceOptions{}); err == nil ||
		!strings.Contains(err.Error(), "unknown.relais.test") {
		t.Errorf("no endpoint resolves: %v", err)
	} else if dnsErr := (*net.DNSError)(nil); !errors.As(err, &dnsErr) {
		t.Errorf("the resolver's error is lost: %v", err)
	}

	// A silent gateway: the standby, once the first stayed silent. (Not
	// much less than 8 s: WireGuard sends a handshake initiation at most
	// every 5 s, so the standby may take that long to answer.)
	u, err = roamClient(t, o, r, "dead.relais.test", []string{"secours.relais.test"},
		tunnel.UserspaceOptions{ReresolveEvery: 50 * time.Millisecond, EndpointStaleAfter: 8 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	if st := u.Status(); st.EndpointName != "dead.relais.test:"+port {
		t.Fatalf("at start: %q", st.EndpointName)
	}
	reachesOffice(t, u, 20*time.Second)
	if st := u.Status(); st.EndpointName != "secours.relais.test:"+port || st.Endpoint != "127.0.0.1:"+port {
		t.Errorf("after the first gateway stayed silent: %q", st.EndpointShown())
	}
}

// A name whose addresses come in a new order at each lookup does not move
// the tunnel: the address in use stays while it is one of them.
func TestUserspaceEndpointRotatingAnswers(t *testing.T) {
	o := startOffice(t)
	_, port, _ := net.SplitHostPort(o.Endpoint)
	r := &names{rotate: map[string][]string{"gw.relais.test": {"127.0.0.1", "127.0.0.4", "127.0.0.5"}}}
	var moves int
	var mu sync.Mutex
	u, err := roamClient(t, o, r, "gw.relais.test", nil, tunnel.UserspaceOptions{ReresolveEvery: 10 * time.Millisecond,
		Logf: func(format string, args ...any) {
			if strings.Contains(format, "now resolves") {
				mu.Lock()
				moves++
				mu.Unlock()
			}
		}})
	if err != nil {
		t.Fatal(err)
	}
	reachesOffice(t, u, 10*time.Second)
	for {
		r.mu.Lock()
		n := r.lookups
		r.mu.Unlock()
		if n > 20 {
			break
		}
		time.Sleep(10 * time.Millisecond)
	}
	mu.Lock()
	defer mu.Unlock()
	if st := u.Status(); moves != 0 || st.Endpoint != "127.0.0.1:"+port {
		t.Errorf("%d moves, endpoint %s", moves, st.Endpoint)
	}
}

// A name that stops resolving (the laptop's DNS down) keeps the address in
// use, said once in the log, not at every turn of the roam loop.
func TestUserspaceEndpointStopsResolving(t *testing.T) {
	o := startOffice(t)
	r := &names{m: map[string]string{"gw.relais.test": "127.0.0.1"}}
	var mu sync.Mutex
	var said int
	u, err := roamClient(t, o, r, "gw.relais.test", nil, tunnel.UserspaceOptions{ReresolveEvery: 10 * time.Millisecond,
		Logf: func(format string, args ...any) {
			if strings.Contains(format, "still using") {
				mu.Lock()
				said++
				mu.Unlock()
			}
		}})
	if err != nil {
		t.Fatal(err)
	}
	reachesOffice(t, u, 10*time.Second)
	r.mu.Lock()
	delete(r.m, "gw.relais.test")
	from := r.lookups
	r.mu.Unlock()
	for {
		r.mu.Lock()
		n := r.lookups
		r.mu.Unlock()
		if n > from+20 {
			break
		}
		time.Sleep(10 * time.Millisecond)
	}
	reachesOffice(t, u, 10*time.Second)
	mu.Lock()
	defer mu.Unlock()
	if said != 1 {
		t.Errorf("said %d times that the name does not resolve, want once", said)
	}
}
