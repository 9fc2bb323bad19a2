package tunnel

import (
	"encoding/json"
	"errors"
	"fmt"
	"net/netip"
	"strings"
)

// PACPath is where the local HTTP proxy serves its proxy auto-config
// script; PACContentType is the script's media type.
const (
	PACPath        = "/proxy.pac"
	PACContentType = "application/x-ns-proxy-autoconfig"
)

// ErrOutsideTunnel is what a local proxy answers for a destination none
// of whose addresses is inside the peer's allowed_ips: WireGuard would
// never route it, so the proxy refuses at once rather than letting the
// dial run into its timeout.
var ErrOutsideTunnel = errors.New("tunnel: destination outside the tunnel's allowed_ips")

// OutsideError is ErrOutsideTunnel for one destination: the name asked
// and the addresses it resolved to (no secret: the program asked for it).
type OutsideError struct {
	Host  string
	Addrs []netip.Addr
}

func (e *OutsideError) Error() string {
	if len(e.Addrs) == 1 && e.Addrs[0].String() == e.Host {
		return fmt.Sprintf("%v: %s", ErrOutsideTunnel, e.Host)
	}
	return fmt.Sprintf("%v: %s (%v)", ErrOutsideTunnel, e.Host, e.Addrs)
}

func (e *OutsideError) Unwrap() error { return ErrOutsideTunnel }

// insideAllowed returns the addresses of addrs inside one of allowed.
func insideAllowed(allowed []netip.Prefix, addrs []netip.Addr) []netip.Addr {
	var in []netip.Addr
	for _, a := range addrs {
		a = a.Unmap()
		for _, p := range allowed {
			if p.Contains(a) {
				in = append(in, a)
				break
			}
		}
	}
	return in
}

// pacDomain normalises a dns_domains entry for the PAC script: lower
// case, no trailing dot, and only the characters of a host name (letters,
// digits, '-', '_', '.'); false for anything else, which is left out of
// the script rather than escaped into it.
func pacDomain(d string) (string, bool) {
	d = strings.ToLower(strings.TrimSuffix(strings.TrimSpace(d), "."))
	if d == "" || len(d) > 253 || strings.HasPrefix(d, ".") || strings.HasSuffix(d, ".") || strings.Contains(d, "..") {
		return "", false
	}
	for _, r := range d {
		switch {
		case r >= 'a' && r <= 'z', r >= '0' && r <= '9', r == '-', r == '_', r == '.':
		default:
			return "", false
		}
	}
	return d, true
}

// routesEverything reports whether allowed holds a default route: every
// name then goes through the tunnel, resolved or not.
func routesEverything(allowed []netip.Prefix) bool {
	for _, p := range allowed {
		if p.Bits() == 0 {
			return true
		}
	}
	return false
}

// PACRoutes decides, as the PAC script does, whether a browser sends a
// request for host (a name or an address, as in a URL) to the tunnel's
// proxy: names under dns_domains and addresses inside allowed_ips go
// through the tunnel; any other name goes through the tunnel when resolve
// (the browser's dnsResolve, IPv4) answers an address inside allowed_ips,
// and every name does when allowed_ips holds a default route.
// resolve may be nil (names outside dns_domains are then DIRECT).
func PACRoutes(cfg Config, host string, resolve func(string) (netip.Addr, bool)) bool {
	host = strings.TrimSuffix(strings.TrimPrefix(host, "["), "]")
	if a, err := netip.ParseAddr(host); err == nil {
		return len(insideAllowed(cfg.Peer.AllowedIPs, []netip.Addr{a})) > 0
	}
	h := strings.ToLower(strings.TrimSuffix(host, "."))
	for _, raw := range cfg.DNSDomains {
		if d, ok := pacDomain(raw); ok && (h == d || strings.HasSuffix(h, "."+d)) {
			return true
		}
	}
	if routesEverything(cfg.Peer.AllowedIPs) {
		return true
	}
	if resolve == nil {
		return false
	}
	a, ok := resolve(host)
	return ok && a.Is4() && len(insideAllowed(cfg.Peer.AllowedIPs, []netip.Addr{a})) > 0
}

// PACScript is the proxy auto-config script of a tunnel whose HTTP proxy
// listens on httpAddr (and SOCKS5 proxy on socksAddr, "" when off): the
// same decision as PACRoutes, in JavaScript. Every value from the profile
// enters the script as JSON data, after a check (domains) or a parse
// (prefixes): a hostile dns_domains entry can never become code.
func PACScript(cfg Config, httpAddr, socksAddr string) string {
	proxy := "PROXY " + httpAddr
	if socksAddr != "" {
		proxy += "; SOCKS5 " + socksAddr
	}
	domains := []string{}
	for _, raw := range cfg.DNSDomains {
		if d, ok := pacDomain(raw); ok {
			domains = append(domains, d)
		}
	}
	type v4 struct{ Net, Mask uint32 }
	nets4 := []v4{}
	nets6 := []string{}
	for _, p := range cfg.Peer.AllowedIPs {
		p = p.Masked()
		if p.Addr().Is4() {
			b := p.Addr().As4()
			n := uint32(b[0])<<24 | uint32(b[1])<<16 | uint32(b[2])<<8 | uint32(b[3])
			var m uint32
			if p.Bits() > 0 {
				m = ^uint32(0) << (32 - p.Bits())
			}
			nets4 = append(nets4, v4{n, m})
		} else {
			nets6 = append(nets6, p.String())
		}
	}
	js := func(v any) string {
		b, _ := json.Marshal(v) // escapes <, >, &, U+2028 and U+2029 too
		return string(b)
	}
	var b strings.Builder
	fmt.Fprintf(&b, `// Relais: the emergency environment's names and addresses go through the tunnel's proxy, everything else direct.
var relaisProxy = %s;
var relaisDomains = %s;
var relaisNets4 = %s;
var relaisNets6 = %s;
var relaisAll = %t;
`, js(proxy), js(domains), js(nets4), js(nets6), routesEverything(cfg.Peer.AllowedIPs))
	b.WriteString(`function relaisIPv4(s) {
  var p = String(s).split(".");
  if (p.length != 4) return -1;
  var n = 0;
  for (var i = 0; i < 4; i++) {
    if (!/^[0-9]{1,3}$/.test(p[i]) || +p[i] > 255) return -1;
    n = n * 256 + (+p[i]);
  }
  return n;
}
function relaisInside4(ip) {
  var n = relaisIPv4(ip);
  if (n < 0) return false;
  for (var i = 0; i < relaisNets4.length; i++) {
    var m = relaisNets4[i].Mask >>> 0;
    if (((n & m) >>> 0) == (relaisNets4[i].Net >>> 0)) return true;
  }
  return false;
}
function relaisInside6(ip) {
  if (typeof isInNetEx != "function") return false;
  for (var i = 0; i < relaisNets6.length; i++) {
    if (isInNetEx(ip, relaisNets6[i])) return true;
  }
  return false;
}
function FindProxyForURL(url, host) {
  host = String(host).toLowerCase();
  if (host.charAt(0) == "[") host = host.substring(1, host.length - 1);
  if (host.indexOf(":") >= 0) return relaisInside6(host) ? relaisProxy : "DIRECT";
  if (relaisIPv4(host) >= 0) return relaisInside4(host) ? relaisProxy : "DIRECT";
  var h = host.charAt(host.length - 1) == "." ? host.substring(0, host.length - 1) : host;
  for (var i = 0; i < relaisDomains.length; i++) {
    var d = relaisDomains[i];
    if (h == d || (h.length > d.length && h.substring(h.length - d.length - 1) == "." + d)) return relaisProxy;
  }
  if (relaisAll) return relaisProxy;
  if (relaisNets4.length == 0) return "DIRECT";
  var ip = dnsResolve(host);
  return ip && relaisInside4(ip) ? relaisProxy : "DIRECT";
}
`)
	return b.String()
}
