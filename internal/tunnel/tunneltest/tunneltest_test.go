package tunneltest

import (
	"bufio"
	"context"
	"errors"
	"io"
	"net"
	"net/http"
	"os"
	"syscall"
	"testing"
	"time"

	"relais/internal/tunnel"
)

func ctxWithDeadline(t *testing.T) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	t.Cleanup(cancel)
	return ctx
}

func TestDialServesHandlers(t *testing.T) {
	t.Parallel()
	tun := New(tunnel.Status{})
	defer tun.Close()
	tun.Handle("tcp", "10.99.0.1:7", func(c net.Conn) { _, _ = io.Copy(c, c) })
	tun.HandleHTTP("10.99.0.2:80", http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, _ = io.WriteString(w, "bonjour "+r.Host)
	}))
	tun.Resolve("paie.office.test", "10.99.0.2")
	ctx := ctxWithDeadline(t)

	c, err := tun.Dial(ctx, "tcp", "10.99.0.1:7")
	if err != nil {
		t.Fatal(err)
	}
	if c.RemoteAddr().String() != "10.99.0.1:7" {
		t.Errorf("remote address %s", c.RemoteAddr())
	}
	go func() { _, _ = io.WriteString(c, "écho\n") }()
	line, err := bufio.NewReader(c).ReadString('\n')
	if err != nil || line != "écho\n" {
		t.Errorf("echo: %q %v", line, err)
	}
	c.Close()

	// The transport dials without the request's deadline: give it one, as
	// every caller of a Tunnel must.
	dial := func(ctx context.Context, network, address string) (net.Conn, error) {
		ctx, cancel := context.WithTimeout(ctx, 5*time.Second)
		defer cancel()
		return tun.Dial(ctx, network, address)
	}
	client := &http.Client{Transport: &http.Transport{DialContext: dial}}
	req, _ := http.NewRequestWithContext(ctx, http.MethodGet, "http://paie.office.test/", nil)
	resp, err := client.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if string(body) != "bonjour paie.office.test" {
		t.Errorf("body %q", body)
	}
	if d := tun.Dials(); len(d) != 2 || d[1] != "tcp paie.office.test:80" {
		t.Errorf("dials %q", d)
	}
}

func TestDialErrors(t *testing.T) {
	t.Parallel()
	tun := New(tunnel.Status{})
	ctx := ctxWithDeadline(t)

	if _, err := tun.Dial(context.Background(), "tcp", "10.99.0.1:443"); !errors.Is(err, ErrNoDeadline) {
		t.Errorf("no deadline: %v", err)
	}
	if _, err := tun.Dial(ctx, "tcp", "10.99.0.1:443"); !errors.Is(err, syscall.ECONNREFUSED) {
		t.Errorf("nobody serves: %v", err)
	}
	var dns *net.DNSError
	if _, err := tun.Dial(ctx, "tcp", "inconnu.office.test:443"); !errors.As(err, &dns) || !dns.IsNotFound {
		t.Errorf("unknown name: %v", err)
	}
	tun.SetStatus(func(s *tunnel.Status) { s.Up = false })
	if _, err := tun.Dial(ctx, "tcp", "10.99.0.1:443"); !errors.Is(err, os.ErrDeadlineExceeded) {
		t.Errorf("down: %v", err)
	}
	boom := errors.New("boom")
	tun.FailDials(boom)
	if _, err := tun.Dial(ctx, "tcp", "10.99.0.1:443"); !errors.Is(err, boom) {
		t.Errorf("scripted failure: %v", err)
	}
	tun.Close()
	if _, err := tun.Dial(ctx, "tcp", "10.99.0.1:443"); !errors.Is(err, net.ErrClosed) {
		t.Errorf("closed: %v", err)
	}
	if st := tun.Status(); st.Up || !tun.Closed() {
		t.Errorf("after Close: %+v", st)
	}
}

func TestScriptedStatusAndHandshake(t *testing.T) {
	t.Parallel()
	at := time.Date(2026, 3, 1, 9, 0, 0, 0, time.UTC)
	tun := New(tunnel.Status{Mode: tunnel.ModeUserspace, Addresses: []string{"10.99.0.2/32"}})
	if st := tun.Status(); !st.Up || !st.LastHandshake.IsZero() {
		t.Fatalf("new: %+v", st)
	}
	tun.OnStatus(func(s *tunnel.Status) { s.TxBytes += 100 })
	tun.Status()
	if st := tun.Status(); st.TxBytes != 200 {
		t.Errorf("two reads: %d bytes sent", st.TxBytes)
	}
	tun.OnStatus(nil)
	tun.OnHandshake(func(s *tunnel.Status) { s.LastHandshake = at }, nil)
	if err := tun.InitiateHandshake(); err != nil || tun.Handshakes() != 1 || !tun.Status().LastHandshake.Equal(at) {
		t.Errorf("handshake: %v %d %+v", err, tun.Handshakes(), tun.Status())
	}
	st := tun.Status()
	st.Addresses[0] = "changed"
	if tun.Status().Addresses[0] != "10.99.0.2/32" {
		t.Error("Status shares its slice with the caller")
	}
}

func TestListenForOwnServer(t *testing.T) {
	t.Parallel()
	tun := New(tunnel.Status{})
	defer tun.Close()
	l := tun.Listen("udp", "10.99.0.53:53")
	go func() {
		c, err := l.Accept()
		if err != nil {
			return
		}
		defer c.Close()
		b := make([]byte, 512)
		n, _ := c.Read(b)
		_, _ = c.Write(append([]byte("re:"), b[:n]...))
	}()
	c, err := tun.Dial(ctxWithDeadline(t), "udp", "10.99.0.53:53")
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	go func() { _, _ = c.Write([]byte("q")) }()
	b := make([]byte, 512)
	n, err := c.Read(b)
	if err != nil || string(b[:n]) != "re:q" {
		t.Errorf("%q %v", b[:n], err)
	}
	if _, ok := c.LocalAddr().(*net.UDPAddr); !ok {
		t.Errorf("local address %T", c.LocalAddr())
	}
}
