package launch

import (
	"bytes"
	"context"
	"net"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"aead.dev/minisign"

	"relais/internal/office"
	"relais/internal/profile"
	"relais/internal/testenv"
	"relais/internal/tunnel"
)

// chromiumBadFlags are flags Chromium answers with its yellow bar "You
// are using an unsupported command-line flag" (chrome/browser/ui/startup/
// bad_flags_prompt.cc): none may be among the flags Relais passes.
var chromiumBadFlags = []string{
	"--host-resolver-rules", "--ignore-certificate-errors", "--no-sandbox", "--disable-web-security",
	"--disable-site-isolation-trials", "--user-data-migrated", "--enable-automation",
}

// The flags Relais gives a Chromium-family browser never show the yellow
// bar, with either proxy.
func TestChromiumArgsNoUnsupportedFlag(t *testing.T) {
	socks, httpP := &proxyAddr{"127.0.0.1", "41080"}, &proxyAddr{"127.0.0.1", "48080"}
	for _, p := range []struct{ socks, http *proxyAddr }{{socks, nil}, {nil, httpP}, {socks, httpP}} {
		args, _ := chromiumArgs(t.TempDir(), p.socks, p.http, "https://portail.intra/")
		for _, a := range args {
			for _, bad := range chromiumBadFlags {
				if a == bad || strings.HasPrefix(a, bad+"=") {
					t.Errorf("Chromium is given %q: it shows the unsupported flag bar", a)
				}
			}
		}
	}
}

// A name only the tunnel's DNS knows opens in a real Chromium given
// exactly Relais's flags: the SOCKS5 proxy resolves it (the office's DNS
// is asked), nothing on the machine does.
func TestChromiumOpensTunnelNameThroughTheProxy(t *testing.T) {
	chromium := testenv.NeedTools(t, "chromium")[0]
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	o, err := office.Start(ctx, office.Options{SlowDelay: 300 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { o.Close() })
	p, err := profile.Accept("profile.toml", o.Profile, o.Signature, []minisign.PublicKey{o.TrustedKey}, profile.Previous{}, time.Now())
	if err != nil {
		t.Fatal(err)
	}
	cfg, err := tunnel.FromProfile(p.Tunnel, o.ClientKey, nil)
	if err != nil {
		t.Fatal(err)
	}
	u, err := tunnel.StartUserspace(ctx, cfg, tunnel.UserspaceOptions{HTTPAddr: tunnel.Off})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { u.Close() })
	host, port, err := net.SplitHostPort(u.Status().SOCKS5)
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	url := "http://" + office.PortalHost + "/"
	args, _ := chromiumArgs(filepath.Join(dir, "profile"), &proxyAddr{host, port}, nil, url)
	// Headless, and the page's DOM on stdout instead of a window.
	args = append([]string{"--headless", "--no-sandbox", "--disable-gpu", "--dump-dom"}, args...)
	runCtx, runCancel := context.WithTimeout(context.Background(), 90*time.Second)
	defer runCancel()
	cmd := exec.CommandContext(runCtx, chromium, args...)
	cmd.WaitDelay = 5 * time.Second
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("chromium %q: %v\n%s", args, err, stderr.Bytes())
	}
	if !strings.Contains(string(out), "Portail d'urgence") {
		t.Fatalf("the portal did not load through the proxy:\n%s\n%s", out, stderr.Bytes())
	}
	if o.Hits(office.PortalHost) == 0 || o.DNSQueries(office.PortalHost) == 0 {
		t.Errorf("portal hits %d, office DNS questions %d: not through the tunnel", o.Hits(office.PortalHost), o.DNSQueries(office.PortalHost))
	}
}

// The launcher's PAC address is the one the tunnel's HTTP proxy serves.
func TestPACPathAgreesWithTunnel(t *testing.T) {
	if pacPath != tunnel.PACPath {
		t.Fatalf("launch asks for %q, the proxy serves %q", pacPath, tunnel.PACPath)
	}
}

// A real Chromium given exactly Relais's flags with both proxies fetches
// the PAC script from the HTTP proxy and follows it: a name only the
// tunnel's DNS knows (under dns_domains) loads through the tunnel.
func TestChromiumFollowsThePAC(t *testing.T) {
	chromium := testenv.NeedTools(t, "chromium")[0]
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	o, err := office.Start(ctx, office.Options{SlowDelay: 300 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { o.Close() })
	p, err := profile.Accept("profile.toml", o.Profile, o.Signature, []minisign.PublicKey{o.TrustedKey}, profile.Previous{}, time.Now())
	if err != nil {
		t.Fatal(err)
	}
	cfg, err := tunnel.FromProfile(p.Tunnel, o.ClientKey, nil)
	if err != nil {
		t.Fatal(err)
	}
	u, err := tunnel.StartUserspace(ctx, cfg, tunnel.UserspaceOptions{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { u.Close() })
	sh, sp, _ := net.SplitHostPort(u.Status().SOCKS5)
	hh, hp, _ := net.SplitHostPort(u.Status().HTTPProxy)
	url := "http://" + office.PortalHost + "/"
	args, proxyURL := chromiumArgs(filepath.Join(t.TempDir(), "profile"), &proxyAddr{sh, sp}, &proxyAddr{hh, hp}, url)
	if want := "--proxy-pac-url=http://" + u.Status().HTTPProxy + "/proxy.pac"; args[1] != want || proxyURL != "http://"+u.Status().HTTPProxy {
		t.Fatalf("args %q, proxy %q", args, proxyURL)
	}
	args = append([]string{"--headless", "--no-sandbox", "--disable-gpu", "--dump-dom"}, args...)
	runCtx, runCancel := context.WithTimeout(context.Background(), 90*time.Second)
	defer runCancel()
	cmd := exec.CommandContext(runCtx, chromium, args...)
	cmd.WaitDelay = 5 * time.Second
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("chromium %q: %v\n%s", args, err, stderr.Bytes())
	}
	if !strings.Contains(string(out), "Portail d'urgence") {
		t.Fatalf("the portal did not load through the PAC:\n%s\n%s", out, stderr.Bytes())
	}
	if o.Hits(office.PortalHost) == 0 || o.DNSQueries(office.PortalHost) == 0 {
		t.Errorf("portal hits %d, office DNS questions %d: not through the tunnel", o.Hits(office.PortalHost), o.DNSQueries(office.PortalHost))
	}
}
