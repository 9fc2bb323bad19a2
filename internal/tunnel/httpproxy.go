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
	"time"
)

// hopHeaders are meaningful for one connection only and are not forwarded
// (RFC 9110, section 7.6.1), plus the non-standard Proxy-Connection.
var hopHeaders = []string{"Connection", "Proxy-Connection", "Keep-Alive", "Proxy-Authenticate",
	"Proxy-Authorization", "Te", "Trailer", "Transfer-Encoding", "Upgrade"}

func removeHopHeaders(h http.Header) {
	for _, f := range h.Values("Connection") {
		for _, name := range strings.Split(f, ",") {
			if name = strings.TrimSpace(name); name != "" {
				h.Del(name)
			}
		}
	}
	for _, k := range hopHeaders {
		h.Del(k)
	}
}

// serveHTTPProxy handles one HTTP proxy client: CONNECT tunnels (for https
// and anything else), and absolute-URI requests for plain http forwarded
// through the tunnel, with keep-alive.
func serveHTTPProxy(p *proxyServer, c net.Conn) {
	br := bufio.NewReaderSize(c, 4<<10)
	first := true
	for {
		wait := p.idle
		if first {
			wait = proxyHandshakeTimeout
		}
		first = false
		_ = c.SetReadDeadline(time.Now().Add(wait))
		req, err := http.ReadRequest(br)
		if err != nil {
			if !errors.Is(err, io.EOF) && !errors.Is(err, net.ErrClosed) {
				var ne net.Error
				if !errors.As(err, &ne) || !ne.Timeout() {
					httpProxyError(c, http.StatusBadRequest, "bad request")
				}
			}
			return
		}
		_ = c.SetReadDeadline(time.Time{})
		if req.Method == http.MethodConnect {
			serveConnect(p, c, br, req)
			return
		}
		if !req.URL.IsAbs() && req.URL.Path == PACPath {
			if !servePAC(p, c, req) {
				return
			}
			continue
		}
		if !forwardHTTP(p, c, req) {
			return
		}
	}
}

// refuseHTTPProxy reads a refused client's first request and answers it
// without forwarding anything: 403 to a user who is not the owner or
// cannot be identified, 429 over the per-peer bound.
func refuseHTTPProxy(_ *proxyServer, c net.Conn, v verdict) {
	_ = c.SetReadDeadline(time.Now().Add(proxyHandshakeTimeout))
	if _, err := http.ReadRequest(bufio.NewReaderSize(c, 4<<10)); err != nil {
		return
	}
	if v == refusedBusy {
		httpProxyError(c, http.StatusTooManyRequests, "too many connections through this proxy at once; close some and retry")
		return
	}
	httpProxyError(c, http.StatusForbidden, "this proxy serves only the user who started it")
}

func serveConnect(p *proxyServer, c net.Conn, br *bufio.Reader, req *http.Request) {
	target := req.Host
	if _, _, err := net.SplitHostPort(target); err != nil {
		target = net.JoinHostPort(target, "443")
	}
	remote, err := p.dialUpstream("tcp", target)
	if err != nil {
		p.logf("tunnel: http proxy: %v", err)
		httpProxyError(c, dialErrorStatus(err), dialErrorText(err))
		return
	}
	if _, err := io.WriteString(c, "HTTP/1.1 200 Connection established\r\n\r\n"); err != nil {
		p.untrack(remote)
		return
	}
	p.pipe(&bufferedConn{Conn: c, r: br}, remote)
}

// forwardHTTP sends one absolute-URI request through the tunnel and writes
// the response back; false when the connection must end.
func forwardHTTP(p *proxyServer, c net.Conn, req *http.Request) bool {
	if !req.URL.IsAbs() || req.URL.Scheme != "http" || req.URL.Host == "" {
		httpProxyError(c, http.StatusBadRequest, "this proxy forwards absolute http:// URLs; use CONNECT for https")
		return false
	}
	keep := !req.Close
	removeHopHeaders(req.Header)
	req.RequestURI = ""
	ctx, cancel := context.WithCancel(p.ctx)
	defer cancel()
	resp, err := p.transport.RoundTrip(req.WithContext(ctx))
	if err != nil {
		p.logf("tunnel: http proxy: %v", err)
		httpProxyError(c, dialErrorStatus(err), dialErrorText(err))
		return false
	}
	defer resp.Body.Close()
	removeHopHeaders(resp.Header)
	if resp.ContentLength < 0 && req.Method != http.MethodHead && resp.StatusCode >= 200 &&
		resp.StatusCode != http.StatusNoContent && resp.StatusCode != http.StatusNotModified {
		resp.TransferEncoding = []string{"chunked"}
	}
	resp.Close = !keep
	if err := resp.Write(&deadlineWriter{c: c, idle: p.idle}); err != nil {
		return false
	}
	_ = c.SetWriteDeadline(time.Time{})
	return keep
}

// deadlineWriter pushes the write deadline forward before each write, so a
// long download lives while it moves and dies when the reader stalls.
type deadlineWriter struct {
	c    net.Conn
	idle time.Duration
}

func (w *deadlineWriter) Write(b []byte) (int, error) {
	_ = w.c.SetWriteDeadline(time.Now().Add(w.idle))
	return w.c.Write(b)
}

// servePAC answers a request for the proxy auto-config script (the
// client already passed the owner check, like any other request); false
// when the connection must end.
func servePAC(p *proxyServer, c net.Conn, req *http.Request) bool {
	pac := p.pac.Load()
	if pac == nil {
		httpProxyError(c, http.StatusNotFound, "no proxy auto-config here")
		return false
	}
	if req.Method != http.MethodGet && req.Method != http.MethodHead {
		httpProxyError(c, http.StatusMethodNotAllowed, "GET only")
		return false
	}
	_ = c.SetWriteDeadline(time.Now().Add(proxyHandshakeTimeout))
	body := *pac
	if req.Method == http.MethodHead {
		body = ""
	}
	_, err := fmt.Fprintf(c, "HTTP/1.1 200 OK\r\nContent-Type: %s\r\nContent-Length: %d\r\nCache-Control: no-store\r\nX-Content-Type-Options: nosniff\r\n\r\n%s",
		PACContentType, len(*pac), body)
	_ = c.SetWriteDeadline(time.Time{})
	return err == nil && !req.Close
}

// dialErrorText is the body of an HTTP error for a failed dial.
func dialErrorText(err error) string {
	if errors.Is(err, ErrOutsideTunnel) {
		return "this destination is outside the emergency environment; reach it without this proxy"
	}
	return err.Error()
}

func dialErrorStatus(err error) int {
	if errors.Is(err, ErrOutsideTunnel) {
		return http.StatusForbidden
	}
	var ne net.Error
	if errors.Is(err, context.DeadlineExceeded) || (errors.As(err, &ne) && ne.Timeout()) {
		return http.StatusGatewayTimeout
	}
	return http.StatusBadGateway
}

func httpProxyError(c net.Conn, status int, msg string) {
	_ = c.SetWriteDeadline(time.Now().Add(proxyHandshakeTimeout))
	body := "relais: " + msg + "\n"
	fmt.Fprintf(c, "HTTP/1.1 %d %s\r\nContent-Type: text/plain; charset=utf-8\r\nContent-Length: %d\r\nConnection: close\r\n\r\n%s",
		status, http.StatusText(status), len(body), body)
}
