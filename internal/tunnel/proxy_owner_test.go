//go:build linux

package tunnel_test

import (
	"bufio"
	"bytes"
	"encoding/binary"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"relais/internal/office"
	"relais/internal/testenv"
	"relais/internal/tunnel"
)

// nobody is the other local user of the attacks.
const nobody = 65534

// proxyClientEnv makes the test binary the proxy client of the attacks (a
// child process run as another uid); see TestMain.
const proxyClientEnv = "RELAIS_TUNNEL_PROXY_CLIENT"

// The hosts the attempts aim at, behind the tunnel: the office counts the
// DNS questions and the requests each receives.
const (
	socksHost = "paie.intra"      // SOCKS5 CONNECT, then GET /sante
	httpHost  = office.PortalHost // HTTP CONNECT, then a forwarded GET
)

// proxyAttempts is what a client got from each proxy.
type proxyAttempts struct {
	UID           int    `json:"uid"`
	SOCKSReply    int    `json:"socks_reply"` // the SOCKS5 reply code; -1: none
	SOCKSBody     string `json:"socks_body"`  // the page, when the CONNECT succeeded
	ConnectStatus int    `json:"connect_status"`
	ConnectBody   string `json:"connect_body"`
	GetStatus     int    `json:"get_status"`
	GetBody       string `json:"get_body"`
	Errors        []string
}

// tryProxies makes one SOCKS5 CONNECT, one HTTP CONNECT and one forwarded
// HTTP GET through the proxies, each to a host behind the tunnel.
func tryProxies(socksAddr, httpAddr string) proxyAttempts {
	r := proxyAttempts{UID: os.Getuid(), SOCKSReply: -1}
	fail := func(what string, err error) { r.Errors = append(r.Errors, what+": "+err.Error()) }

	code, c, err := socksConnect(socksAddr, socksHost, 80)
	if err != nil {
		fail("socks5", err)
	} else {
		r.SOCKSReply = int(code)
		if code == 0 {
			fmt.Fprintf(c, "GET /sante HTTP/1.1\r\nHost: %s\r\nConnection: close\r\n\r\n", socksHost)
			b, _ := io.ReadAll(c)
			r.SOCKSBody = string(b)
		}
		c.Close()
	}

	if c, err := net.DialTimeout("tcp", httpAddr, 5*time.Second); err != nil {
		fail("http connect", err)
	} else {
		_ = c.SetDeadline(time.Now().Add(15 * time.Second))
		fmt.Fprintf(c, "CONNECT %s:80 HTTP/1.1\r\nHost: %s:80\r\n\r\n", httpHost, httpHost)
		br := bufio.NewReader(c)
		resp, err := http.ReadResponse(br, nil)
		if err != nil {
			fail("http connect", err)
		} else {
			r.ConnectStatus = resp.StatusCode
			if resp.StatusCode == 200 {
				fmt.Fprintf(c, "GET / HTTP/1.1\r\nHost: %s\r\nConnection: close\r\n\r\n", httpHost)
				b, _ := io.ReadAll(br)
				r.ConnectBody = string(b)
			} else {
				b, _ := io.ReadAll(resp.Body)
				r.ConnectBody = string(b)
			}
		}
		c.Close()
	}

	pu, _ := url.Parse("http://" + httpAddr)
	hc := &http.Client{Timeout: 15 * time.Second, Transport: &http.Transport{Proxy: http.ProxyURL(pu), DisableKeepAlives: true}}
	if resp, err := hc.Get("http://" + httpHost + "/"); err != nil {
		fail("http get", err)
	} else {
		b, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		r.GetStatus, r.GetBody = resp.StatusCode, string(b)
	}
	return r
}

// socksConnect negotiates SOCKS5 without authentication and asks for
// host:port; it returns the reply code and the connection.
func socksConnect(addr, host string, port uint16) (byte, net.Conn, error) {
	c, err := net.DialTimeout("tcp", addr, 5*time.Second)
	if err != nil {
		return 0, nil, err
	}
	_ = c.SetDeadline(time.Now().Add(15 * time.Second))
	req := []byte{5, 1, 0, 5, 1, 0, 3, byte(len(host))}
	req = append(req, host...)
	req = binary.BigEndian.AppendUint16(req, port)
	if _, err := c.Write(req); err != nil {
		c.Close()
		return 0, nil, err
	}
	var method [2]byte
	if _, err := io.ReadFull(c, method[:]); err != nil || method != [2]byte{5, 0} {
		c.Close()
		return 0, nil, fmt.Errorf("method negotiation: %v %v", method, err)
	}
	var hdr [4]byte
	if _, err := io.ReadFull(c, hdr[:]); err != nil {
		c.Close()
		return 0, nil, fmt.Errorf("reply: %w", err)
	}
	n := 4 + 2
	if hdr[3] == 4 {
		n = 16 + 2
	}
	if _, err := io.ReadFull(c, make([]byte, n)); err != nil {
		c.Close()
		return 0, nil, fmt.Errorf("reply address: %w", err)
	}
	return hdr[1], c, nil
}

// runProxyClient is the child process: the attempts, as JSON on stdout.
func runProxyClient() int {
	r := tryProxies(os.Getenv("RELAIS_PROXY_SOCKS"), os.Getenv("RELAIS_PROXY_HTTP"))
	if err := json.NewEncoder(os.Stdout).Encode(r); err != nil {
		return 1
	}
	return 0
}

var (
	childOnce sync.Once
	childPath string
	childErr  error
)

// childBinary is a copy of the test binary that another uid may run (go
// test's build directory is private to root).
func childBinary(t *testing.T) string {
	t.Helper()
	childOnce.Do(func() {
		self, err := os.Executable()
		if err != nil {
			childErr = err
			return
		}
		dir, err := os.MkdirTemp("", "relais-tunnel-test-")
		if err != nil {
			childErr = err
			return
		}
		if childErr = os.Chmod(dir, 0o755); childErr != nil {
			return
		}
		b, err := os.ReadFile(self)
		if err != nil {
			childErr = err
			return
		}
		childPath = filepath.Join(dir, "tunnel.test")
		childErr = os.WriteFile(childPath, b, 0o755)
	})
	if childErr != nil {
		t.Fatal(childErr)
	}
	return childPath
}

// tryProxiesAs runs the attempts in a child process as uid.
func tryProxiesAs(t *testing.T, u *tunnel.Userspace, uid uint32) proxyAttempts {
	t.Helper()
	cmd := exec.Command(childBinary(t), "-test.run", "^$")
	cmd.Env = append(os.Environ(), proxyClientEnv+"=1", "RELAIS_PROXY_SOCKS="+u.SOCKS5Addr(), "RELAIS_PROXY_HTTP="+u.HTTPProxyAddr())
	cmd.SysProcAttr = &syscall.SysProcAttr{Credential: &syscall.Credential{Uid: uid, Gid: uid}}
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("client as uid %d: %v: %s", uid, err, stderr.String())
	}
	var r proxyAttempts
	if err := json.Unmarshal(out, &r); err != nil {
		t.Fatalf("client as uid %d: %v: %q", uid, err, out)
	}
	if r.UID != int(uid) {
		t.Fatalf("client ran as uid %d, want %d", r.UID, uid)
	}
	return r
}

// logBuffer collects a tunnel's log lines.
type logBuffer struct {
	mu    sync.Mutex
	lines []string
}

func (l *logBuffer) logf(format string, args ...any) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.lines = append(l.lines, fmt.Sprintf(format, args...))
}

func (l *logBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return strings.Join(l.lines, "\n")
}

// assertRefused checks that every attempt was refused, in each protocol's
// words, and that nothing reached the office: no DNS question, no request.
func assertRefused(t *testing.T, o *office.Office, r proxyAttempts) {
	t.Helper()
	if r.SOCKSReply != 0x02 {
		t.Errorf("uid %d, SOCKS5 CONNECT %s: reply %d (%q), want 2 (not allowed) %v", r.UID, socksHost, r.SOCKSReply, r.SOCKSBody, r.Errors)
	}
	if r.ConnectStatus != http.StatusForbidden {
		t.Errorf("uid %d, HTTP CONNECT %s: %d %q, want 403 %v", r.UID, httpHost, r.ConnectStatus, r.ConnectBody, r.Errors)
	}
	if r.GetStatus != http.StatusForbidden {
		t.Errorf("uid %d, HTTP GET http://%s/: %d %q, want 403 %v", r.UID, httpHost, r.GetStatus, r.GetBody, r.Errors)
	}
	// Refused before dialling: the names were never even resolved.
	for _, h := range []string{socksHost, httpHost} {
		if q, hits := o.DNSQueries(h), o.Hits(h); q != 0 || hits != 0 {
			t.Errorf("uid %d reached the office through the proxies: %s asked %d times of the DNS, %d requests", r.UID, h, q, hits)
		}
	}
}

// assertServed checks that every attempt reached the office.
func assertServed(t *testing.T, r proxyAttempts) {
	t.Helper()
	if r.SOCKSReply != 0 || !strings.Contains(r.SOCKSBody, `"ok"`) {
		t.Errorf("owner uid %d, SOCKS5: reply %d body %q %v", r.UID, r.SOCKSReply, r.SOCKSBody, r.Errors)
	}
	if r.ConnectStatus != 200 || !strings.Contains(r.ConnectBody, "Portail d'urgence") {
		t.Errorf("owner uid %d, HTTP CONNECT: %d %q %v", r.UID, r.ConnectStatus, r.ConnectBody, r.Errors)
	}
	if r.GetStatus != 200 || !strings.Contains(r.GetBody, "Portail d'urgence") {
		t.Errorf("owner uid %d, HTTP GET: %d %q %v", r.UID, r.GetStatus, r.GetBody, r.Errors)
	}
}

// Another local user, through a tunnel started by root (the owner by
// default: the uid of the process), reaches nothing: SOCKS5 answers 0x02,
// the HTTP proxy 403, nothing is resolved or dialled, and the log says
// who was refused. Root itself still gets through.
func TestProxiesRefuseAnotherUser(t *testing.T) {
	testenv.NeedRoot(t)
	o := startOffice(t)
	var log logBuffer
	u := startClient(t, o, tunnel.UserspaceOptions{Logf: log.logf})

	attacker := tryProxiesAs(t, u, nobody)
	assertRefused(t, o, attacker)
	for _, proxy := range []string{"socks5", "http"} {
		if want := fmt.Sprintf("tunnel: %s proxy: refused a connection from uid %d: it serves uid 0 only", proxy, nobody); !strings.Contains(log.String(), want) {
			t.Errorf("log lacks %q:\n%s", want, log.String())
		}
	}
	t.Logf("uid %d through root's proxies: SOCKS5 reply %d, HTTP CONNECT %d, GET %d %q", nobody,
		attacker.SOCKSReply, attacker.ConnectStatus, attacker.GetStatus, strings.TrimSpace(attacker.GetBody))

	assertServed(t, tryProxies(u.SOCKS5Addr(), u.HTTPProxyAddr()))
}

// A tunnel owned by another uid than the process's (ProxyOwnerUID) serves
// that uid and refuses root.
func TestProxiesServeTheirOwnerOnly(t *testing.T) {
	testenv.NeedRoot(t)
	o := startOffice(t)
	owner := uint32(nobody)
	u := startClient(t, o, tunnel.UserspaceOptions{ProxyOwnerUID: &owner})

	assertRefused(t, o, tryProxies(u.SOCKS5Addr(), u.HTTPProxyAddr()))
	assertServed(t, tryProxiesAs(t, u, nobody))
}

// One local user holds at most MaxConnsPerPeer connections across the
// tunnel's two proxies; the next is refused in each protocol's words, and
// once one ends a new one is served again.
func TestProxiesBoundConnectionsPerUser(t *testing.T) {
	o := startOffice(t)
	var log logBuffer
	u := startClient(t, o, tunnel.UserspaceOptions{MaxConnsPerPeer: 3, Logf: log.logf})

	var held []net.Conn
	defer func() {
		for _, c := range held {
			c.Close()
		}
	}()
	for i := range 3 {
		code, c, err := socksConnect(u.SOCKS5Addr(), socksHost, 80)
		if err != nil || code != 0 {
			t.Fatalf("connection %d: reply %d %v", i+1, code, err)
		}
		held = append(held, c)
	}
	code, c, err := socksConnect(u.SOCKS5Addr(), socksHost, 80)
	if err != nil || code != 0x01 {
		t.Fatalf("SOCKS5 connection 4: reply %d %v, want 1 (general failure)", code, err)
	}
	c.Close()
	// The bound is the user's, across both proxies.
	hc, err := net.DialTimeout("tcp", u.HTTPProxyAddr(), 5*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	_ = hc.SetDeadline(time.Now().Add(10 * time.Second))
	fmt.Fprintf(hc, "CONNECT %s:80 HTTP/1.1\r\nHost: %s:80\r\n\r\n", socksHost, socksHost)
	resp, err := http.ReadResponse(bufio.NewReader(hc), nil)
	if err != nil || resp.StatusCode != http.StatusTooManyRequests {
		t.Fatalf("HTTP CONNECT over the bound: %v %v, want 429", resp, err)
	}
	hc.Close()
	if want := "it holds 3 connections already (the limit)"; !strings.Contains(log.String(), want) {
		t.Errorf("log lacks %q:\n%s", want, log.String())
	}

	// One ends: the proxy notices and serves a new one.
	held[0].Close()
	held = held[1:]
	deadline := time.Now().Add(10 * time.Second)
	for {
		code, c, err := socksConnect(u.SOCKS5Addr(), socksHost, 80)
		if err == nil && code == 0 {
			held = append(held, c)
			break
		}
		if c != nil {
			c.Close()
		}
		if time.Now().After(deadline) {
			t.Fatalf("no connection served after one ended: reply %d %v", code, err)
		}
		time.Sleep(20 * time.Millisecond)
	}
}
