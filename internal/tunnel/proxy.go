package tunnel

import (
	"context"
	"errors"
	"io"
	"net"
	"net/http"
	"sync"
	"sync/atomic"
	"time"
)

// Limits of the local proxies.
const (
	// DefaultProxyIdleTimeout closes a proxied connection idle both ways.
	DefaultProxyIdleTimeout = 5 * time.Minute
	// proxyHandshakeTimeout bounds reading a SOCKS5 negotiation or an HTTP
	// request header from a local program.
	proxyHandshakeTimeout = 10 * time.Second
	// proxyDialTimeout bounds the dial through the tunnel for a proxied
	// connection.
	proxyDialTimeout = 30 * time.Second
	// maxProxyConns bounds concurrent proxied connections: beyond it the
	// proxy stops accepting until one ends, rather than growing without limit.
	maxProxyConns = 2048
	// copyBufferSize is the buffer of each direction of a proxied
	// connection (from a pool, so memory follows the active connections).
	copyBufferSize = 32 << 10
)

type dialFunc func(ctx context.Context, network, address string) (net.Conn, error)

// proxyServer accepts local connections and hands each to serve. Close
// closes the listener and every connection, and waits for the goroutines.
type proxyServer struct {
	name  string // "socks5" or "http", for the log
	ln    net.Listener
	guard *peerGuard // whom to serve; shared by the tunnel's proxies
	dial  dialFunc
	idle  time.Duration
	logf  func(string, ...any)
	serve func(p *proxyServer, c net.Conn)
	// refuse answers a connection the guard refused, in the protocol's
	// words, without dialling anything.
	refuse func(p *proxyServer, c net.Conn, v verdict)
	ctx    context.Context // cancelled by Close: aborts dials in progress
	stop   context.CancelFunc
	slots  chan struct{} // one per connection being served
	wg     sync.WaitGroup

	mu     sync.Mutex // guards conns and closed
	conns  map[net.Conn]struct{}
	closed bool

	// transport forwards the HTTP proxy's plain-http requests through the
	// tunnel (unused by SOCKS5).
	transport *http.Transport
	// pac is the proxy auto-config script the HTTP proxy serves at
	// pacPath (nil: none, 404).
	pac atomic.Pointer[string]
}

// proxyProtocol is what a local proxy speaks.
type proxyProtocol struct {
	name   string
	serve  func(*proxyServer, net.Conn)
	refuse func(*proxyServer, net.Conn, verdict)
}

var (
	socks5Protocol = proxyProtocol{"socks5", serveSOCKS5, refuseSOCKS5}
	httpProtocol   = proxyProtocol{"http", serveHTTPProxy, refuseHTTPProxy}
)

func startProxy(addr string, proto proxyProtocol, guard *peerGuard, idle time.Duration, dial dialFunc, logf func(string, ...any)) (*proxyServer, error) {
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return nil, err
	}
	if a, ok := ln.Addr().(*net.TCPAddr); !ok || !a.IP.IsLoopback() {
		ln.Close()
		return nil, ErrNotLoopback
	}
	ctx, stop := context.WithCancel(context.Background())
	p := &proxyServer{name: proto.name, ln: ln, guard: guard, dial: dial, idle: idle, logf: logf,
		serve: proto.serve, refuse: proto.refuse, ctx: ctx, stop: stop,
		slots: make(chan struct{}, maxProxyConns), conns: map[net.Conn]struct{}{}}
	p.transport = &http.Transport{
		DialContext:           dial,
		MaxIdleConns:          64,
		IdleConnTimeout:       90 * time.Second,
		ResponseHeaderTimeout: 60 * time.Second,
		DisableCompression:    true, // pass bodies through as the server sent them
	}
	p.wg.Add(1)
	go p.acceptLoop()
	return p, nil
}

// Addr is the address the proxy listens on.
func (p *proxyServer) Addr() string { return p.ln.Addr().String() }

func (p *proxyServer) acceptLoop() {
	defer p.wg.Done()
	for {
		select {
		case p.slots <- struct{}{}:
		case <-p.ctx.Done():
			return
		}
		c, err := p.ln.Accept()
		if err != nil {
			<-p.slots
			if errors.Is(err, net.ErrClosed) {
				return
			}
			var ne net.Error
			if errors.As(err, &ne) && ne.Timeout() {
				continue
			}
			p.logf("tunnel: proxy accept: %v", err)
			time.Sleep(50 * time.Millisecond) // EMFILE and the like: do not spin
			continue
		}
		if !p.track(c) {
			c.Close()
			<-p.slots
			return
		}
		p.wg.Add(1)
		go func() {
			defer p.wg.Done()
			defer func() { <-p.slots }()
			defer p.untrack(c)
			// Who is at the other end, before reading or dialling anything.
			peer, v := p.guard.admit(c, p.name, p.logf)
			defer p.guard.release(peer)
			switch v {
			case admitted:
				p.serve(p, c)
			case refusedDropped:
			default:
				p.refuse(p, c, v)
			}
		}()
	}
}

// track registers a connection so that Close can close it; false once
// the proxy is closed.
func (p *proxyServer) track(c net.Conn) bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.closed {
		return false
	}
	p.conns[c] = struct{}{}
	return true
}

func (p *proxyServer) untrack(c net.Conn) {
	c.Close()
	p.mu.Lock()
	defer p.mu.Unlock()
	delete(p.conns, c)
}

// dialUpstream dials through the tunnel with the proxy's deadline; the
// connection is tracked so that Close also closes it.
func (p *proxyServer) dialUpstream(network, address string) (net.Conn, error) {
	ctx, cancel := context.WithTimeout(p.ctx, proxyDialTimeout)
	defer cancel()
	c, err := p.dial(ctx, network, address)
	if err != nil {
		return nil, err
	}
	if !p.track(c) {
		c.Close()
		return nil, net.ErrClosed
	}
	return c, nil
}

// Close stops accepting, closes every connection and waits for them.
func (p *proxyServer) Close() {
	p.mu.Lock()
	p.closed = true
	conns := make([]net.Conn, 0, len(p.conns))
	for c := range p.conns {
		conns = append(conns, c)
	}
	p.mu.Unlock()
	p.stop()
	p.ln.Close()
	for _, c := range conns {
		c.Close()
	}
	p.wg.Wait()
	p.transport.CloseIdleConnections()
}

var copyBuffers = sync.Pool{New: func() any { b := make([]byte, copyBufferSize); return &b }}

// pipe copies both ways between a local connection and one through the
// tunnel until both directions end or nothing moves for idle, then closes
// both. A direction that ends half-closes the other side, so that
// request-then-response protocols finish.
func (p *proxyServer) pipe(local, remote net.Conn) {
	defer p.untrack(remote)
	var last atomic.Int64
	last.Store(time.Now().UnixNano())
	var timer *time.Timer
	timer = time.AfterFunc(p.idle, func() {
		quiet := time.Since(time.Unix(0, last.Load()))
		if quiet >= p.idle {
			local.Close()
			remote.Close()
			return
		}
		timer.Reset(p.idle - quiet)
	})
	defer timer.Stop()
	var wg sync.WaitGroup
	wg.Add(2)
	go func() { defer wg.Done(); copyHalf(remote, local, &last) }()
	copyHalf(local, remote, &last)
	wg.Done()
	wg.Wait()
	local.Close()
	remote.Close()
}

// copyHalf copies src to dst, recording activity, then half-closes dst
// (or closes it when it cannot half-close).
func copyHalf(dst, src net.Conn, last *atomic.Int64) {
	bp := copyBuffers.Get().(*[]byte)
	defer copyBuffers.Put(bp)
	buf := *bp
	for {
		n, err := src.Read(buf)
		if n > 0 {
			last.Store(time.Now().UnixNano())
			if _, werr := dst.Write(buf[:n]); werr != nil {
				src.Close()
				break
			}
		}
		if err != nil {
			break
		}
	}
	if cw, ok := dst.(interface{ CloseWrite() error }); ok {
		if cw.CloseWrite() == nil {
			return
		}
	}
	dst.Close()
}

// bufferedConn is a connection whose first bytes were already read into a
// buffer (an HTTP request header parsed with bufio).
type bufferedConn struct {
	net.Conn
	r io.Reader
}

func (c *bufferedConn) Read(b []byte) (int, error) { return c.r.Read(b) }

// CloseWrite half-closes the underlying connection when it can.
func (c *bufferedConn) CloseWrite() error {
	if cw, ok := c.Conn.(interface{ CloseWrite() error }); ok {
		return cw.CloseWrite()
	}
	return c.Conn.Close()
}
