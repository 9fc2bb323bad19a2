package launch

import (
	"errors"
	"fmt"
	"net"
	"net/netip"
	"path/filepath"
	"strconv"
	"strings"
)

// family is a kind of browser, by how it is told to use a proxy.
type family int

const (
	chromium family = iota // Chromium, Chrome, Edge, Brave: command-line flags
	firefox                // Firefox: preferences in the profile's user.js
)

// candidate is a browser to look for: Name is also its profile
// directory's name; Path is a name looked up in PATH or an absolute path.
type candidate struct {
	Name   string
	Family family
	Path   string
}

// profilesDir is where, under DataDir, browsers started with the proxy
// keep their profiles, one directory per browser.
const profilesDir = "browsers"

// findBrowser returns the first browser of browserCandidates present on
// the machine, and its path.
func (l *Launcher) findBrowser() (candidate, string, bool) {
	for _, c := range browserCandidates(l.getenv) {
		if p, err := l.lookPath(c.Path); err == nil && p != "" {
			return c, p, true
		}
	}
	return candidate{}, "", false
}

// proxyAddr is a checked proxy address.
type proxyAddr struct{ host, port string }

func (a proxyAddr) String() string { return net.JoinHostPort(a.host, a.port) }

// checkProxyAddr accepts only a loopback host and a port: the recorded
// proxy comes from the store, and a browser must never be pointed at a
// proxy elsewhere on the network.
func checkProxyAddr(s string) (proxyAddr, error) {
	bad := &Error{Kind: ErrBadProxy, Detail: s}
	host, port, err := net.SplitHostPort(s)
	if err != nil {
		return proxyAddr{}, bad
	}
	if n, err := strconv.Atoi(port); err != nil || n < 1 || n > 65535 || strconv.Itoa(n) != port {
		return proxyAddr{}, bad
	}
	if host != "localhost" {
		ip, err := netip.ParseAddr(host)
		if err != nil || !ip.IsLoopback() || ip.Zone() != "" {
			return proxyAddr{}, bad
		}
	}
	return proxyAddr{host, port}, nil
}

func (l *Launcher) openInBrowser(url string, p Proxy) (Result, error) {
	var socks, httpP *proxyAddr
	for _, x := range []struct {
		s   string
		dst **proxyAddr
	}{{p.SOCKS5, &socks}, {p.HTTP, &httpP}} {
		if x.s == "" {
			continue
		}
		a, err := checkProxyAddr(x.s)
		if err != nil {
			return Result{}, err
		}
		*x.dst = &a
	}
	c, path, ok := l.findBrowser()
	if !ok {
		return Result{}, &Error{Kind: ErrNoBrowser, URL: url, Proxy: &p}
	}
	startErr := func(err error) error { return &Error{Kind: ErrStart, URL: url, Program: path, Err: err} }
	if l.DataDir == "" {
		return Result{}, startErr(errors.New("no data directory for the browser's profile"))
	}
	dir := filepath.Join(l.DataDir, profilesDir, c.Name)
	if err := privateDir(dir); err != nil {
		return Result{}, startErr(err)
	}
	res := Result{Method: MethodBrowser, Browser: c.Name, ProfileDir: dir}
	var args []string
	switch c.Family {
	case chromium:
		args, res.Proxy = chromiumArgs(dir, socks, httpP, url)
	case firefox:
		prefs, proxyURL := firefoxPrefs(socks, httpP)
		if err := writePrivateFile(filepath.Join(dir, "user.js"), prefs); err != nil {
			return Result{}, startErr(err)
		}
		args, res.Proxy = []string{"--profile", dir, "--new-instance", url}, proxyURL
	}
	res.Argv = append([]string{path}, args...)
	if err := l.exec(path, args...); err != nil {
		return res, startErr(err)
	}
	return res, nil
}

// pacPath is where the tunnel's HTTP proxy serves its proxy auto-config
// script (tunnel.PACPath; a test checks they agree).
const pacPath = "/proxy.pac"

// pacURL is the address of the PAC script the HTTP proxy at a serves.
func pacURL(a *proxyAddr) string { return "http://" + a.String() + pacPath }

// chromiumArgs starts a Chromium-family browser on its own profile. With
// the HTTP proxy, the browser follows its PAC script: the emergency
// environment's names and addresses go through the proxy (which resolves
// the names with the tunnel's DNS), everything else goes direct, so an
// intranet page's font or CDN script does not wait on the tunnel. With
// the SOCKS5 proxy only, everything goes through it (socks5://, not
// socks4://: the host name is resolved at the proxy's end). No
// --host-resolver-rules: Chromium answers that flag with its
// "unsupported command-line flag" bar.
func chromiumArgs(dir string, socks, httpP *proxyAddr, url string) ([]string, string) {
	var proxyFlag, proxyURL string
	if httpP != nil {
		proxyFlag = "--proxy-pac-url=" + pacURL(httpP)
		proxyURL = "http://" + httpP.String()
	} else {
		proxyURL = "socks5://" + socks.String()
		proxyFlag = "--proxy-server=" + proxyURL
	}
	return []string{
		"--user-data-dir=" + dir,
		proxyFlag,
		"--no-first-run",
		"--no-default-browser-check",
		"--new-window",
		url,
	}, proxyURL
}

// firefoxPrefs is the user.js of the Firefox profile: the HTTP proxy's
// PAC script (type 2) when there is one, else the SOCKS5 proxy by hand
// (type 1); names resolved by the proxy, DNS over HTTPS off (it would
// bypass the tunnel's DNS), no first-run pages.
func firefoxPrefs(socks, httpP *proxyAddr) ([]byte, string) {
	var b strings.Builder
	pref := func(name string, v any) {
		switch v := v.(type) {
		case string:
			fmt.Fprintf(&b, "user_pref(%q, %q);\n", name, v)
		default:
			fmt.Fprintf(&b, "user_pref(%q, %v);\n", name, v)
		}
	}
	b.WriteString("// Written by Relais on every start: the local proxy of the tunnel.\n")
	proxyURL := ""
	if httpP != nil {
		pref("network.proxy.type", 2)
		pref("network.proxy.autoconfig_url", pacURL(httpP))
		pref("network.proxy.socks_remote_dns", true)
		proxyURL = "http://" + httpP.String()
	} else {
		port, _ := strconv.Atoi(socks.port)
		pref("network.proxy.type", 1)
		pref("network.proxy.socks", socks.host)
		pref("network.proxy.socks_port", port)
		pref("network.proxy.socks_version", 5)
		pref("network.proxy.socks_remote_dns", true)
		pref("network.proxy.http", "")
		pref("network.proxy.ssl", "")
		proxyURL = "socks5://" + socks.String()
	}
	pref("network.proxy.share_proxy_settings", false)
	pref("network.trr.mode", 5)
	pref("browser.shell.checkDefaultBrowser", false)
	pref("browser.aboutwelcome.enabled", false)
	pref("browser.startup.homepage_override.mstone", "ignore")
	pref("datareporting.policy.dataSubmissionPolicyBypassNotification", true)
	return []byte(b.String()), proxyURL
}
