// Package tunneltest is an in-memory tunnel.Tunnel for unit tests, in the
// spirit of wireguard-go's tun/tuntest: the test scripts its Status (up or
// down, handshake, byte counters) and serves its Dial with in-process
// handlers, one per network and host:port, with names resolved by a map,
// so that the engine's (and the backend's) tests need no office, no
// WireGuard and no sockets.
//
// Dial follows the Tunnel contract: a call without a deadline in its
// context is an error here, so a caller that forgets one fails its test.
// Nothing here waits on a clock: a down tunnel or an address nobody serves
// answers at once, with the error the real tunnel would give after its
// timeout (os.ErrDeadlineExceeded) or from a peer that refuses
// (syscall.ECONNREFUSED).
package tunneltest

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/netip"
	"os"
	"slices"
	"sync"
	"syscall"

	"relais/internal/tunnel"
)

// Errors of Dial.
var (
	// ErrNoDeadline is returned by a Dial whose context has no deadline.
	ErrNoDeadline = errors.New("tunneltest: Dial without a deadline in its context")
	// ErrClosed is returned by a Dial after Close.
	ErrClosed = net.ErrClosed
)

// Handler serves one connection made through the tunnel (its end of an
// in-memory pipe); the connection is closed when it returns.
type Handler func(conn net.Conn)

// Tunnel is an in-memory tunnel. The zero value is a tunnel that is down
// and serves nothing; New returns one that is up. It is safe for
// concurrent use.
type Tunnel struct {
	mu        sync.Mutex
	st        tunnel.Status
	onStatus  func(*tunnel.Status)
	onKick    func(*tunnel.Status)
	kickErr   error
	dialErr   error
	closeErr  error
	handlers  map[string]*listener // network/address
	hosts     map[string][]netip.Addr
	servers   []*http.Server
	dials     []string
	kicks     int
	closed    bool
	closeOnce sync.Once
}

// New returns a tunnel that is up, with status st (Up is set).
func New(st tunnel.Status) *Tunnel {
	st.Up = true
	return &Tunnel{st: st}
}

var _ tunnel.Tunnel = (*Tunnel)(nil)
var _ tunnel.HandshakeInitiator = (*Tunnel)(nil)

// Status returns the scripted status, after OnStatus (if set) has changed
// it: a read of the status may stand for time passing.
func (t *Tunnel) Status() tunnel.Status {
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.onStatus != nil {
		t.onStatus(&t.st)
	}
	st := t.st
	st.Addresses = slices.Clone(st.Addresses)
	return st
}

// SetStatus changes the status under the tunnel's lock.
func (t *Tunnel) SetStatus(change func(*tunnel.Status)) {
	t.mu.Lock()
	defer t.mu.Unlock()
	change(&t.st)
}

// OnStatus sets a function called, under the tunnel's lock, on every read
// of the status (nil: none): a script of what the tunnel sees as it is
// polled, such as traffic growing or an outage.
func (t *Tunnel) OnStatus(fn func(*tunnel.Status)) {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.onStatus = fn
}

// OnHandshake sets what a handshake asked of the tunnel does to its status
// (nil: nothing, as when the peer does not answer), and the error
// InitiateHandshake returns.
func (t *Tunnel) OnHandshake(fn func(*tunnel.Status), err error) {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.onKick, t.kickErr = fn, err
}

// InitiateHandshake counts the request and applies OnHandshake's script.
func (t *Tunnel) InitiateHandshake() error {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.kicks++
	if t.onKick != nil {
		t.onKick(&t.st)
	}
	return t.kickErr
}

// Handshakes is how many handshakes were asked of the tunnel.
func (t *Tunnel) Handshakes() int {
	t.mu.Lock()
	defer t.mu.Unlock()
	return t.kicks
}

// FailDials makes every Dial return err (nil: dials are served again).
func (t *Tunnel) FailDials(err error) {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.dialErr = err
}

// Resolve makes Dial resolve name to addrs (IP literals), as the tunnel's
// DNS would. A name not in the map does not resolve.
func (t *Tunnel) Resolve(name string, addrs ...string) {
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.hosts == nil {
		t.hosts = map[string][]netip.Addr{}
	}
	for _, a := range addrs {
		t.hosts[name] = append(t.hosts[name], netip.MustParseAddr(a))
	}
}

// Handle serves connections to address ("ip:port" or "name:port", the
// name then resolved by Resolve's map) on network ("tcp" or "udp"; udp
// keeps each Write a message) with h, each on its own goroutine.
func (t *Tunnel) Handle(network, address string, h Handler) {
	l := t.listen(network, address)
	go func() {
		for {
			c, err := l.Accept()
			if err != nil {
				return
			}
			go func() {
				defer c.Close()
				h(c)
			}()
		}
	}()
}

// HandleHTTP serves HTTP requests to address over tcp with h.
func (t *Tunnel) HandleHTTP(address string, h http.Handler) {
	l := t.listen("tcp", address)
	srv := &http.Server{Handler: h}
	t.mu.Lock()
	t.servers = append(t.servers, srv)
	t.mu.Unlock()
	go func() { _ = srv.Serve(l) }()
}

// Listen returns a listener for address on network, for a server the
// test runs itself (Accept returns the server's end of each Dial).
func (t *Tunnel) Listen(network, address string) net.Listener {
	return t.listen(network, address)
}

func (t *Tunnel) listen(network, address string) *listener {
	key := handlerKey(network, address)
	l := &listener{addr: addrOf(network, address), conns: make(chan net.Conn), done: make(chan struct{})}
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.handlers == nil {
		t.handlers = map[string]*listener{}
	}
	if old := t.handlers[key]; old != nil {
		old.Close()
	}
	t.handlers[key] = l
	return l
}

// Dials is every address dialled so far ("network address", as asked), in
// order.
func (t *Tunnel) Dials() []string {
	t.mu.Lock()
	defer t.mu.Unlock()
	return slices.Clone(t.dials)
}

// Dial connects to the handler for address. A tunnel that is down answers
// as a timeout would; an address nobody serves refuses; a name that does
// not resolve is a *net.DNSError.
func (t *Tunnel) Dial(ctx context.Context, network, address string) (net.Conn, error) {
	if _, ok := ctx.Deadline(); !ok {
		return nil, ErrNoDeadline
	}
	if err := ctx.Err(); err != nil {
		return nil, &net.OpError{Op: "dial", Net: network, Err: err}
	}
	t.mu.Lock()
	t.dials = append(t.dials, network+" "+address)
	closed, up, dialErr := t.closed, t.st.Up, t.dialErr
	t.mu.Unlock()
	switch {
	case closed:
		return nil, &net.OpError{Op: "dial", Net: network, Err: ErrClosed}
	case dialErr != nil:
		return nil, dialErr
	case !up:
		return nil, &net.OpError{Op: "dial", Net: network, Err: os.ErrDeadlineExceeded}
	}
	host, port, err := net.SplitHostPort(address)
	if err != nil {
		return nil, &net.OpError{Op: "dial", Net: network, Err: err}
	}
	var targets []string
	if a, err := netip.ParseAddr(host); err == nil {
		targets = append(targets, net.JoinHostPort(a.String(), port))
	} else {
		t.mu.Lock()
		addrs := t.hosts[host]
		t.mu.Unlock()
		if len(addrs) == 0 {
			return nil, &net.OpError{Op: "dial", Net: network, Err: &net.DNSError{Err: "no such host", Name: host, IsNotFound: true}}
		}
		// A handler may also be registered under the name itself.
		targets = append(targets, address)
		for _, a := range addrs {
			targets = append(targets, net.JoinHostPort(a.String(), port))
		}
	}
	for _, target := range targets {
		t.mu.Lock()
		l := t.handlers[handlerKey(network, target)]
		t.mu.Unlock()
		if l == nil {
			continue
		}
		c, err := l.connect(ctx, network, target)
		if err == nil || ctx.Err() != nil {
			return c, err
		}
	}
	return nil, &net.OpError{Op: "dial", Net: network, Addr: addrOf(network, targets[len(targets)-1]), Err: os.NewSyscallError("connect", syscall.ECONNREFUSED)}
}

// Close marks the tunnel closed and down, and stops every handler; it
// returns the error set by CloseError.
func (t *Tunnel) Close() error {
	t.closeOnce.Do(func() {
		t.mu.Lock()
		t.closed, t.st.Up = true, false
		ls := make([]*listener, 0, len(t.handlers))
		for _, l := range t.handlers {
			ls = append(ls, l)
		}
		servers := t.servers
		t.mu.Unlock()
		for _, s := range servers {
			_ = s.Close()
		}
		for _, l := range ls {
			l.Close()
		}
	})
	t.mu.Lock()
	defer t.mu.Unlock()
	return t.closeErr
}

// CloseError sets the error Close returns.
func (t *Tunnel) CloseError(err error) {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.closeErr = err
}

// Closed reports whether Close was called.
func (t *Tunnel) Closed() bool {
	t.mu.Lock()
	defer t.mu.Unlock()
	return t.closed
}

func handlerKey(network, address string) string {
	switch network {
	case "tcp4", "tcp6":
		network = "tcp"
	case "udp4", "udp6":
		network = "udp"
	}
	if host, port, err := net.SplitHostPort(address); err == nil {
		if a, err := netip.ParseAddr(host); err == nil {
			address = net.JoinHostPort(a.Unmap().String(), port)
		}
	}
	return network + "/" + address
}

func addrOf(network, address string) net.Addr {
	ap, err := netip.ParseAddrPort(address)
	if err != nil {
		return pipeAddr{network: network, address: address}
	}
	if network == "udp" || network == "udp4" || network == "udp6" {
		return net.UDPAddrFromAddrPort(ap)
	}
	return net.TCPAddrFromAddrPort(ap)
}

// pipeAddr is the address of a handler registered under a name.
type pipeAddr struct{ network, address string }

func (a pipeAddr) Network() string { return a.network }
func (a pipeAddr) String() string  { return a.address }

// listener hands the server's end of each Dial to Accept.
type listener struct {
	addr  net.Addr
	conns chan net.Conn
	done  chan struct{}
	once  sync.Once
}

func (l *listener) Accept() (net.Conn, error) {
	select {
	case c := <-l.conns:
		return c, nil
	case <-l.done:
		return nil, net.ErrClosed
	}
}

func (l *listener) Close() error {
	l.once.Do(func() { close(l.done) })
	return nil
}

func (l *listener) Addr() net.Addr { return l.addr }

func (l *listener) connect(ctx context.Context, network, target string) (net.Conn, error) {
	client, server := net.Pipe()
	local := &net.TCPAddr{IP: net.IPv4(10, 0, 0, 2), Port: 49152}
	var clientLocal net.Addr = local
	if network == "udp" || network == "udp4" || network == "udp6" {
		clientLocal = &net.UDPAddr{IP: local.IP, Port: local.Port}
	}
	select {
	case l.conns <- &conn{Conn: server, local: l.addr, remote: clientLocal}:
		return &conn{Conn: client, local: clientLocal, remote: l.addr}, nil
	case <-l.done:
		client.Close()
		server.Close()
		return nil, fmt.Errorf("tunneltest: %s %s: %w", network, target, net.ErrClosed)
	case <-ctx.Done():
		client.Close()
		server.Close()
		return nil, &net.OpError{Op: "dial", Net: network, Addr: l.addr, Err: ctx.Err()}
	}
}

// conn is one end of a pipe with the addresses of a real connection.
type conn struct {
	net.Conn
	local, remote net.Addr
}

func (c *conn) LocalAddr() net.Addr  { return c.local }
func (c *conn) RemoteAddr() net.Addr { return c.remote }
