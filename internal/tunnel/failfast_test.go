//go:build linux

package tunnel_test

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/netip"
	"strings"
	"testing"
	"time"

	"relais/internal/office"
	"relais/internal/tunnel"
)

// outsideName resolves (through the system resolver the test replaces)
// to an address outside the office's allowed_ips.
const outsideName = "cdn.example.net"

func outsideLookup(ctx context.Context, network, host string) ([]netip.Addr, error) {
	if host == outsideName {
		return []netip.Addr{netip.MustParseAddr("203.0.113.9")}, nil
	}
	return net.DefaultResolver.LookupNetIP(ctx, network, host)
}

func startFailFastClient(t testing.TB, log *logBuffer) (*office.Office, *tunnel.Userspace) {
	o := startOffice(t)
	opt := tunnel.UserspaceOptions{LookupNetIP: outsideLookup}
	if log != nil {
		opt.Logf = log.logf
	}
	return o, startClient(t, o, opt)
}

func httpThroughProxy(t *testing.T, proxy, request string) (int, string) {
	t.Helper()
	c, err := net.DialTimeout("tcp", proxy, 5*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	_ = c.SetDeadline(time.Now().Add(15 * time.Second))
	if _, err := io.WriteString(c, request); err != nil {
		t.Fatal(err)
	}
	resp, err := http.ReadResponse(bufio.NewReader(c), nil)
	if err != nil {
		t.Fatalf("%q: %v", request, err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}

// A destination outside allowed_ips, as an address or as a name that
// resolves outside, is refused at once by both proxies (SOCKS5 0x02,
// HTTP 403, CONNECT and plain), with a log line; inside still works.
func TestProxiesRefuseOutsideAllowedIPs(t *testing.T) {
	var log logBuffer
	_, u := startFailFastClient(t, &log)
	for _, host := range []string{"203.0.113.9", outsideName} {
		code, c, err := socksConnect(u.SOCKS5Addr(), host, 443)
		if c != nil {
			c.Close()
		}
		if err != nil || code != 0x02 {
			t.Errorf("SOCKS5 CONNECT %s: reply %d %v, want 2 (not allowed by ruleset)", host, code, err)
		}
		status, body := httpThroughProxy(t, u.HTTPProxyAddr(), fmt.Sprintf("CONNECT %s:443 HTTP/1.1\r\nHost: %s:443\r\n\r\n", host, host))
		if status != http.StatusForbidden || !strings.Contains(body, "outside the emergency environment") {
			t.Errorf("HTTP CONNECT %s: %d %q, want 403", host, status, body)
		}
		status, body = httpThroughProxy(t, u.HTTPProxyAddr(), fmt.Sprintf("GET http://%s/ HTTP/1.1\r\nHost: %s\r\n\r\n", host, host))
		if status != http.StatusForbidden || !strings.Contains(body, "outside the emergency environment") {
			t.Errorf("HTTP GET http://%s/: %d %q, want 403", host, status, body)
		}
	}
	for _, want := range []string{
		"tunnel: socks5: tunnel: destination outside the tunnel's allowed_ips: 203.0.113.9",
		"tunnel: http proxy: tunnel: destination outside the tunnel's allowed_ips: " + outsideName + " ([203.0.113.9])",
	} {
		if !strings.Contains(log.String(), want) {
			t.Errorf("log lacks %q:\n%s", want, log.String())
		}
	}
	assertServed(t, tryProxies(u.SOCKS5Addr(), u.HTTPProxyAddr()))
}

// The HTTP proxy serves the PAC script to its owner, with the office's
// domain and network in it and the proxy's own address as the route.
func TestHTTPProxyServesPAC(t *testing.T) {
	_, u := startFailFastClient(t, nil)
	resp, err := (&http.Client{Timeout: 10 * time.Second}).Get("http://" + u.HTTPProxyAddr() + tunnel.PACPath)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != 200 || resp.Header.Get("Content-Type") != tunnel.PACContentType {
		t.Fatalf("GET %s: %d %q", tunnel.PACPath, resp.StatusCode, resp.Header.Get("Content-Type"))
	}
	for _, want := range []string{"function FindProxyForURL(url, host)", `["` + office.Zone + `"]`,
		`"PROXY ` + u.HTTPProxyAddr() + `; SOCKS5 ` + u.SOCKS5Addr() + `"`} {
		if !strings.Contains(string(b), want) {
			t.Errorf("PAC lacks %q:\n%s", want, b)
		}
	}
}

// BenchmarkSOCKS5RefusedOutside: from the SOCKS5 request for an address
// outside allowed_ips to the refusal (reply 0x02), through the real proxy
// and tunnel.
func BenchmarkSOCKS5RefusedOutside(b *testing.B) {
	_, u := startFailFastClient(b, nil)
	b.ResetTimer()
	for b.Loop() {
		code, c, err := socksConnect(u.SOCKS5Addr(), "203.0.113.9", 443)
		if c != nil {
			c.Close()
		}
		if err != nil || code != 0x02 {
			b.Fatalf("reply %d %v", code, err)
		}
	}
	b.ReportMetric(float64(b.Elapsed().Microseconds())/float64(b.N)/1000, "ms/refusal")
}

// The PAC script is served to the proxies' owner only: another local
// user gets the proxy's 403, never the tunnel's names and networks.
func TestHTTPProxyPACOwnerOnly(t *testing.T) {
	o := startOffice(t)
	owner := uint32(nobody)
	u := startClient(t, o, tunnel.UserspaceOptions{ProxyOwnerUID: &owner})
	status, body := httpThroughProxy(t, u.HTTPProxyAddr(), "GET "+tunnel.PACPath+" HTTP/1.1\r\nHost: "+u.HTTPProxyAddr()+"\r\n\r\n")
	if status != http.StatusForbidden || strings.Contains(body, "FindProxyForURL") || strings.Contains(body, office.Zone) {
		t.Fatalf("another user's GET %s: %d %q, want 403", tunnel.PACPath, status, body)
	}
}
