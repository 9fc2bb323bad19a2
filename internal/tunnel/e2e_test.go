package tunnel_test

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/netip"
	"net/url"
	"runtime"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"aead.dev/minisign"
	"golang.org/x/net/proxy"

	"relais/internal/office"
	"relais/internal/profile"
	"relais/internal/tunnel"
)

// startOffice starts the demo office, closed when the test ends.
func startOffice(t testing.TB) *office.Office {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	o, err := office.Start(ctx, office.Options{SlowDelay: 300 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { o.Close() })
	return o
}

// clientConfig is the ordinary path: the office's signed profile, parsed,
// turned into a tunnel configuration with the office-issued key.
func clientConfig(t testing.TB, o *office.Office) tunnel.Config {
	t.Helper()
	p, err := profile.Accept("profile.toml", o.Profile, o.Signature, []minisign.PublicKey{o.TrustedKey}, profile.Previous{}, time.Now())
	if err != nil {
		t.Fatal(err)
	}
	cfg, err := tunnel.FromProfile(p.Tunnel, o.ClientKey, nil)
	if err != nil {
		t.Fatal(err)
	}
	return cfg
}

func startClient(t testing.TB, o *office.Office, opt tunnel.UserspaceOptions) *tunnel.Userspace {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	u, err := tunnel.StartUserspace(ctx, clientConfig(t, o), opt)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { u.Close() })
	return u
}

func tunnelClient(u *tunnel.Userspace) *http.Client {
	return &http.Client{Timeout: 10 * time.Second, Transport: &http.Transport{DialContext: u.Dial, DisableKeepAlives: true}}
}

func get(t testing.TB, c *http.Client, u string) (int, string) {
	t.Helper()
	resp, err := c.Get(u)
	if err != nil {
		t.Fatalf("GET %s: %v", u, err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatalf("GET %s: body: %v", u, err)
	}
	return resp.StatusCode, string(b)
}

func TestEndToEndThroughDialAndProxies(t *testing.T) {
	before := runtime.NumGoroutine()
	o := startOffice(t)
	u := startClient(t, o, tunnel.UserspaceOptions{})

	t.Run("dial", func(t *testing.T) {
		code, body := get(t, tunnelClient(u), "http://paie.intra/sante")
		if code != 200 || !strings.Contains(body, `"ok"`) {
			t.Fatalf("paie: %d %q", code, body)
		}
		if code, _ := get(t, tunnelClient(u), "http://messagerie.intra/sante"); code != 503 {
			t.Fatalf("messagerie: %d, want 503", code)
		}
	})
	t.Run("socks5", func(t *testing.T) {
		d, err := proxy.SOCKS5("tcp", u.SOCKS5Addr(), nil, &net.Dialer{Timeout: 5 * time.Second})
		if err != nil {
			t.Fatal(err)
		}
		c := &http.Client{Timeout: 10 * time.Second, Transport: &http.Transport{
			DialContext: d.(proxy.ContextDialer).DialContext}}
		// A name (the proxy resolves it through the tunnel) and an address.
		for _, target := range []string{"http://paie.intra/sante", "http://10.99.0.10/sante"} {
			code, body := get(t, c, target)
			if code != 200 || !strings.Contains(body, "ok") {
				t.Fatalf("%s through SOCKS5: %d %q", target, code, body)
			}
		}
	})
	t.Run("http proxy", func(t *testing.T) {
		pu, _ := url.Parse("http://" + u.HTTPProxyAddr())
		c := &http.Client{Timeout: 10 * time.Second, Transport: &http.Transport{Proxy: http.ProxyURL(pu)}}
		code, body := get(t, c, "http://paie.intra/sante")
		if code != 200 || !strings.Contains(body, "ok") {
			t.Fatalf("forwarded GET: %d %q", code, body)
		}
		resp, err := c.Post("http://portail.intra/", "text/plain", strings.NewReader("bonjour"))
		if err != nil || resp.StatusCode != 200 {
			t.Fatalf("forwarded POST: %v %v", resp, err)
		}
		resp.Body.Close()
		// CONNECT, as a browser does for https.
		conn, err := net.DialTimeout("tcp", u.HTTPProxyAddr(), 5*time.Second)
		if err != nil {
			t.Fatal(err)
		}
		defer conn.Close()
		conn.SetDeadline(time.Now().Add(10 * time.Second))
		fmt.Fprintf(conn, "CONNECT paie.intra:80 HTTP/1.1\r\nHost: paie.intra:80\r\n\r\nGET /sante HTTP/1.1\r\nHost: paie.intra\r\nConnection: close\r\n\r\n")
		b, _ := io.ReadAll(conn)
		if !strings.HasPrefix(string(b), "HTTP/1.1 200 Connection established\r\n\r\nHTTP/1.1 200 OK") || !strings.Contains(string(b), `"ok"`) {
			t.Fatalf("CONNECT: %q", b)
		}
	})
	t.Run("status", func(t *testing.T) {
		s := u.Status()
		if s.Mode != tunnel.ModeUserspace || !s.Up || s.LastHandshake.IsZero() || s.RxBytes == 0 || s.TxBytes == 0 ||
			s.Endpoint != o.Endpoint || s.SOCKS5 == "" || s.HTTPProxy == "" {
			t.Fatalf("status: %+v", s)
		}
	})

	u.Close()
	o.Close()
	waitGoroutines(t, before)
}

// waitGoroutines fails if goroutines started by the test outlive it.
func waitGoroutines(t *testing.T, before int) {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for {
		n := runtime.NumGoroutine()
		if n <= before {
			return
		}
		if time.Now().After(deadline) {
			buf := make([]byte, 1<<20)
			buf = buf[:runtime.Stack(buf, true)]
			t.Fatalf("%d goroutines left behind (%d before)\n%s", n-before, before, buf)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

func TestDNSDomains(t *testing.T) {
	o := startOffice(t)
	var sysLookups atomic.Int32
	var mu sync.Mutex
	var asked []string
	u := startClient(t, o, tunnel.UserspaceOptions{SOCKS5Addr: tunnel.Off, HTTPAddr: tunnel.Off,
		LookupNetIP: func(ctx context.Context, network, host string) ([]netip.Addr, error) {
			sysLookups.Add(1)
			mu.Lock()
			asked = append(asked, host)
			mu.Unlock()
			if host == "paie.example.test" {
				return []netip.Addr{netip.MustParseAddr("10.99.0.10")}, nil
			}
			return nil, &net.DNSError{Err: "no such host", Name: host, IsNotFound: true}
		}})
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()

	addrs, err := u.Resolve(ctx, "dossiers.intra")
	if err != nil || len(addrs) != 1 || addrs[0] != netip.MustParseAddr("10.99.0.11") {
		t.Fatalf("dossiers.intra: %v %v", addrs, err)
	}
	if o.DNSQueries("dossiers.intra") == 0 || sysLookups.Load() != 0 {
		t.Fatalf("intra name not asked of the tunnel DNS (office saw %d, system %d)", o.DNSQueries("dossiers.intra"), sysLookups.Load())
	}
	_, err = u.Resolve(ctx, "inconnu.intra")
	var dnsErr *net.DNSError
	if !errors.As(err, &dnsErr) || !dnsErr.IsNotFound {
		t.Fatalf("inconnu.intra: %v, want not found", err)
	}
	// A name outside dns_domains: the system resolver, never the tunnel's.
	c, err := u.Dial(ctx, "tcp", "paie.example.test:80")
	if err != nil {
		t.Fatal(err)
	}
	c.Close()
	if o.DNSQueries("paie.example.test") != 0 || sysLookups.Load() != 1 {
		t.Fatalf("outside name: office DNS saw %d queries, system resolver %d (%v)", o.DNSQueries("paie.example.test"), sysLookups.Load(), asked)
	}
}

func TestProxyRefusesNonLoopback(t *testing.T) {
	for _, addr := range []string{"0.0.0.0:0", "[::]:0", "192.0.2.1:1080"} {
		_, err := tunnel.StartUserspace(context.Background(), tunnel.Config{
			Addresses: []netip.Prefix{netip.MustParsePrefix("10.99.0.2/32")}}, tunnel.UserspaceOptions{SOCKS5Addr: addr})
		if !errors.Is(err, tunnel.ErrNotLoopback) {
			t.Errorf("SOCKS5 on %s: %v, want ErrNotLoopback", addr, err)
		}
	}
}
