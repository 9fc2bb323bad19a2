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
	"testing"

	"relais/internal/profile"
)

// captiveOnly is a profile whose one app requires the captive built-in.
var captiveOnly = &profile.Profile{Apps: []profile.App{app("web", []string{"captive"})}}

// TestCaptiveConfigured: the probe is the configured URL, which must
// answer the configured status (204 when none is configured).
func TestCaptiveConfigured(t *testing.T) {
	var mu sync.Mutex
	var paths []string
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		paths = append(paths, r.URL.Path)
		mu.Unlock()
		switch r.URL.Path {
		case "/ok":
			fmt.Fprint(w, "ok")
		case "/empty":
			w.WriteHeader(http.StatusNoContent)
		case "/moved":
			w.WriteHeader(http.StatusFound)
		default:
			http.NotFound(w, r)
		}
	}))
	defer srv.Close()
	cases := []struct {
		path   string
		status int
		state  State
		code   string
	}{
		{"/ok", 200, StateOK, ""},
		{"/empty", 0, StateOK, ""}, // the default: 204
		{"/empty", 204, StateOK, ""},
		{"/ok", 0, StateFailed, CodeCaptivePortal}, // 200 where 204 is expected
		{"/empty", 200, StateFailed, CodeCaptivePortal},
		{"/missing", 404, StateOK, ""},
		{"/moved", 302, StateOK, ""}, // a redirect status the organisation's endpoint is told to answer
	}
	for _, tc := range cases {
		t.Run(fmt.Sprintf("%s %d", tc.path, tc.status), func(t *testing.T) {
			mu.Lock()
			paths = nil
			mu.Unlock()
			r := &Runner{CaptiveURL: srv.URL + tc.path, CaptiveStatus: tc.status, Contacts: helpdesk}
			res := r.Run(context.Background(), captiveOnly).Builtins["captive"]
			wantReason(t, res, tc.state, tc.code)
			if res.Target != srv.URL+tc.path {
				t.Errorf("target %q, want %q", res.Target, srv.URL+tc.path)
			}
			mu.Lock()
			defer mu.Unlock()
			if len(paths) != 1 || paths[0] != tc.path {
				t.Errorf("requests %v, want one to %s", paths, tc.path)
			}
		})
	}
}

// TestCaptiveRedirect: a redirect reads as a captive portal whatever status
// the probe expects (other than that redirect), to the same host or not, and
// is not followed.
func TestCaptiveRedirect(t *testing.T) {
	var mu sync.Mutex
	var paths []string
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		paths = append(paths, r.URL.Path)
		mu.Unlock()
		switch r.URL.Path {
		case "/same":
			http.Redirect(w, r, "/login", http.StatusFound)
		case "/elsewhere":
			http.Redirect(w, r, "http://portail.hotel.example/login", http.StatusTemporaryRedirect)
		default:
			fmt.Fprint(w, "<html>Connectez-vous</html>")
		}
	}))
	defer srv.Close()
	for _, path := range []string{"/same", "/elsewhere"} {
		for _, status := range []int{0, 200} {
			mu.Lock()
			paths = nil
			mu.Unlock()
			r := &Runner{CaptiveURL: srv.URL + path, CaptiveStatus: status, Contacts: helpdesk}
			wantReason(t, r.Run(context.Background(), captiveOnly).Builtins["captive"], StateFailed, CodeCaptivePortal)
			mu.Lock()
			if len(paths) != 1 || paths[0] != path {
				t.Errorf("%s %d: requests %v, want one to %s (no redirect followed)", path, status, paths, path)
			}
			mu.Unlock()
		}
	}
}

// platformNet answers every name with loopback and sends every direct dial
// to srv, recording the names looked up, so that a test can run the built-in
// against the platform's real URLs without the network.
type platformNet struct {
	srv   *httptest.Server
	mu    sync.Mutex
	names []string
}

func (n *platformNet) lookup(_ context.Context, _, host string) ([]netip.Addr, error) {
	n.mu.Lock()
	n.names = append(n.names, host)
	n.mu.Unlock()
	return []netip.Addr{netip.MustParseAddr("127.0.0.1")}, nil
}

func (n *platformNet) Dial(ctx context.Context, network, _ string) (net.Conn, error) {
	var d net.Dialer
	return d.DialContext(ctx, network, n.srv.Listener.Addr().String())
}

func (n *platformNet) runner(goos string) *Runner {
	return &Runner{GOOS: goos, Direct: n, LookupNetIP: n.lookup, Contacts: helpdesk}
}

// TestCaptivePlatform: without a configured URL, the probe is the
// platform's usual endpoint, with the status and body that platform
// expects; a portal answering 200 with its own page is detected by the body.
func TestCaptivePlatform(t *testing.T) {
	want := map[string]CaptiveProbe{
		"linux":   {"http://nmcheck.gnome.org/check_network_status.txt", 200, "NetworkManager is online"},
		"freebsd": {"http://nmcheck.gnome.org/check_network_status.txt", 200, "NetworkManager is online"},
		"windows": {"http://www.msftconnecttest.com/connecttest.txt", 200, "Microsoft Connect Test"},
		"darwin":  {"http://captive.apple.com/hotspot-detect.html", 200, "Success"},
		"ios":     {"http://captive.apple.com/hotspot-detect.html", 200, "Success"},
	}
	bodies := map[string]string{
		"nmcheck.gnome.org/check_network_status.txt": "NetworkManager is online\n",
		"www.msftconnecttest.com/connecttest.txt":    "Microsoft Connect Test",
		"captive.apple.com/hotspot-detect.html":      "<HTML><HEAD><TITLE>Success</TITLE></HEAD><BODY>Success</BODY></HTML>",
	}
	var portal bool
	var mu sync.Mutex
	var seen []string
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		seen = append(seen, r.Host+r.URL.Path)
		p := portal
		mu.Unlock()
		if p {
			fmt.Fprint(w, "<html>Portail Wi-Fi : acceptez les conditions</html>")
			return
		}
		b, ok := bodies[r.Host+r.URL.Path]
		if !ok {
			http.NotFound(w, r)
			return
		}
		fmt.Fprint(w, b)
	}))
	defer srv.Close()
	for goos, w := range want {
		t.Run(goos, func(t *testing.T) {
			if got := PlatformCaptiveProbe(goos); got != w {
				t.Fatalf("PlatformCaptiveProbe(%s) = %+v, want %+v", goos, got, w)
			}
			n := &platformNet{srv: srv}
			r := n.runner(goos)
			if got := r.Captive(); got != w {
				t.Fatalf("Runner.Captive = %+v, want %+v", got, w)
			}
			for _, p := range []bool{false, true} {
				mu.Lock()
				portal, seen = p, nil
				mu.Unlock()
				res := r.Run(context.Background(), captiveOnly).Builtins["captive"]
				if p {
					wantReason(t, res, StateFailed, CodeCaptivePortal)
				} else {
					wantReason(t, res, StateOK, "")
				}
				if res.Target != w.URL {
					t.Errorf("target %q, want %q", res.Target, w.URL)
				}
				mu.Lock()
				if len(seen) != 1 || "http://"+seen[0] != w.URL {
					t.Errorf("requests %v, want one to %s", seen, w.URL)
				}
				mu.Unlock()
			}
		})
	}
}

// TestCaptiveNoGoogle: a Runner left at its defaults probes for a captive
// portal without asking Google anything, on any platform.
func TestCaptiveNoGoogle(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if strings.Contains(r.Host, "google") || strings.Contains(r.Host, "gstatic") {
			t.Errorf("request to %s", r.Host)
		}
	}))
	defer srv.Close()
	for _, goos := range []string{"linux", "windows", "darwin", "freebsd", ""} {
		n := &platformNet{srv: srv}
		r := n.runner(goos)
		r.Run(context.Background(), captiveOnly)
		if len(n.names) == 0 {
			t.Errorf("%s: no name looked up", goos)
		}
		for _, name := range n.names {
			if strings.Contains(name, "google") || strings.Contains(name, "gstatic") {
				t.Errorf("%s: looked up %s", goos, name)
			}
		}
		if u := r.Captive().URL; strings.Contains(u, "google") || strings.Contains(u, "gstatic") {
			t.Errorf("%s: probe %s", goos, u)
		}
	}
}
