package tunnel

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// lines collects log lines.
type lines struct {
	mu sync.Mutex
	l  []string
}

func (l *lines) logf(format string, args ...any) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.l = append(l.l, fmt.Sprintf(format, args...))
}

func (l *lines) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return strings.Join(l.l, "\n")
}

// When the peer's user cannot be established, the proxies refuse (fail
// closed) in each protocol's words, dial nothing, and log why.
func TestProxiesFailClosedOnUnknownPeer(t *testing.T) {
	owner := uint32(1000)
	g := newPeerGuard(&owner, 0)
	if g.unknowable != nil {
		t.Skipf("this system cannot tell users apart: %v", g.unknowable)
	}
	g.identify = func(net.Conn) (peerID, error) { return "", errors.New("socket vanished") }
	var dials atomic.Int32
	dial := func(context.Context, string, string) (net.Conn, error) {
		dials.Add(1)
		return nil, errors.New("no dial expected")
	}
	var log lines
	socks, err := startProxy("127.0.0.1:0", socks5Protocol, g, time.Minute, dial, log.logf)
	if err != nil {
		t.Fatal(err)
	}
	defer socks.Close()
	hp, err := startProxy("127.0.0.1:0", httpProtocol, g, time.Minute, dial, log.logf)
	if err != nil {
		t.Fatal(err)
	}
	defer hp.Close()

	c, err := net.Dial("tcp", socks.Addr())
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	_ = c.SetDeadline(time.Now().Add(10 * time.Second))
	c.Write([]byte{5, 1, 0, 5, 1, 0, 1, 10, 99, 0, 10, 0, 80})
	reply := make([]byte, 2+10)
	if _, err := io.ReadFull(c, reply); err != nil || reply[3] != socksNotAllowed {
		t.Fatalf("SOCKS5: %v %v, want reply 2", reply, err)
	}

	h, err := net.Dial("tcp", hp.Addr())
	if err != nil {
		t.Fatal(err)
	}
	defer h.Close()
	_ = h.SetDeadline(time.Now().Add(10 * time.Second))
	fmt.Fprintf(h, "GET http://10.99.0.10/ HTTP/1.1\r\nHost: 10.99.0.10\r\n\r\n")
	resp, err := http.ReadResponse(bufio.NewReader(h), nil)
	if err != nil || resp.StatusCode != http.StatusForbidden {
		t.Fatalf("HTTP: %v %v, want 403", resp, err)
	}
	if n := dials.Load(); n != 0 {
		t.Fatalf("%d dials for refused connections", n)
	}
	for _, p := range []string{"socks5", "http"} {
		if want := "tunnel: " + p + " proxy: refused a connection whose user could not be established: socket vanished"; !strings.Contains(log.String(), want) {
			t.Errorf("log lacks %q:\n%s", want, log.String())
		}
	}
}

// The guard's decisions: the owner up to the bound, then "busy"; another
// user refused; far over the bound, closed without a word; the log says
// each kind once, not once per connection.
func TestPeerGuardVerdicts(t *testing.T) {
	owner := uint32(1000)
	g := newPeerGuard(&owner, 2)
	if g.unknowable != nil {
		t.Skipf("this system cannot tell users apart: %v", g.unknowable)
	}
	ownerID := g.owner
	who := ownerID
	g.identify = func(net.Conn) (peerID, error) { return who, nil }
	var log lines
	var got []verdict
	for range 5 {
		_, v := g.admit(nil, "socks5", log.logf)
		got = append(got, v)
	}
	want := []verdict{admitted, admitted, refusedBusy, refusedBusy, refusedDropped}
	if fmt.Sprint(got) != fmt.Sprint(want) {
		t.Fatalf("owner: %v, want %v", got, want)
	}
	g.release(ownerID)
	g.release(ownerID)
	g.release(ownerID)
	if _, v := g.admit(nil, "socks5", log.logf); v != refusedBusy {
		t.Fatalf("owner with 2 held: %v", v)
	}

	who = "uid 1001"
	got = got[:0]
	for range 5 {
		_, v := g.admit(nil, "http", log.logf)
		got = append(got, v)
	}
	want = []verdict{refusedForeign, refusedForeign, refusedForeign, refusedForeign, refusedDropped}
	if fmt.Sprint(got) != fmt.Sprint(want) {
		t.Fatalf("another user: %v, want %v", got, want)
	}
	if n := strings.Count(log.String(), "refused a connection from uid 1001"); n != 1 {
		t.Fatalf("%d log lines for 4 refusals of the same user:\n%s", n, log.String())
	}
	if g.held[ownerID] != 3 || g.held["uid 1001"] != 5 {
		t.Fatalf("held: %v", g.held)
	}
}

// Where users cannot be told apart, the policy is explicit: everyone is
// served, the bound counts all connections together, and the log says so
// once.
func TestPeerGuardUnknowablePolicy(t *testing.T) {
	g := &peerGuard{bound: 2, unknowable: errPeerUnknowable, held: map[peerID]int{}, logged: map[string]logState{},
		identify: func(net.Conn) (peerID, error) { t.Fatal("identify called"); return "", nil }}
	var log lines
	var got []verdict
	for range 3 {
		_, v := g.admit(nil, "socks5", log.logf)
		got = append(got, v)
	}
	if fmt.Sprint(got) != fmt.Sprint([]verdict{admitted, admitted, refusedBusy}) {
		t.Fatalf("got %v", got)
	}
	if n := strings.Count(log.String(), "the local proxies serve every local user: "+errPeerUnknowable.Error()); n != 1 {
		t.Fatalf("policy logged %d times:\n%s", n, log.String())
	}
}
