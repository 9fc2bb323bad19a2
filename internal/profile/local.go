package profile

import (
	"net/netip"
	"net/url"
	"strings"
)

// IsLocalAddr reports whether a is an address of this machine or of its
// link: loopback (127.0.0.0/8, ::1), link-local (169.254.0.0/16, where
// cloud metadata services answer at 169.254.169.254, and fe80::/10, with
// their multicast) or unspecified (0.0.0.0, ::, which reach this machine).
// There a local service, not the organisation, answers: sync refuses to be
// redirected there, and a check reaches it only when the profile says
// allow_local = true.
func IsLocalAddr(a netip.Addr) bool {
	a = a.Unmap()
	return a.IsLoopback() || a.IsLinkLocalUnicast() || a.IsLinkLocalMulticast() || a.IsUnspecified()
}

// IsLocalName reports whether host, as written, is this machine or its
// link without resolving anything: "localhost" or a name under
// ".localhost" (which resolvers answer with loopback, RFC 6761), or a
// literal local address (IsLocalAddr), brackets and zone allowed.
func IsLocalName(host string) bool {
	h := strings.ToLower(strings.TrimSuffix(strings.Trim(host, "[]"), "."))
	if h == "localhost" || strings.HasSuffix(h, ".localhost") {
		return true
	}
	a, err := netip.ParseAddr(h)
	return err == nil && IsLocalAddr(a)
}

// CheckHost is the host a check of that type connects to, as its target
// writes it: the URL's host (http), the host of host:port (tcp, tls); ""
// for a dns check, which connects to no target, or a target that does not
// parse.
func CheckHost(typ, target string) string {
	switch typ {
	case "http":
		if u, err := url.Parse(target); err == nil {
			return u.Hostname()
		}
	case "tcp", "tls":
		if h, _, ok := splitHostPort(target); ok {
			return h
		}
	}
	return ""
}

// splitHostPort splits "host:port", "[host]:port" or "[host%zone]:port"
// into host and port exactly as net.SplitHostPort does (same accepted
// forms, same refusals), without importing net: it reports only whether
// the form is valid, not why it is not.
func splitHostPort(hostport string) (host, port string, ok bool) {
	j, k := 0, 0
	// The port starts after the last colon.
	i := strings.LastIndexByte(hostport, ':')
	if i < 0 {
		return "", "", false // missing port
	}
	if hostport[0] == '[' {
		// Expect the first ']' just before the last ':'.
		end := strings.IndexByte(hostport, ']')
		if end < 0 || end+1 != i {
			// No ']', nothing after it, or not followed by the last ':'.
			return "", "", false
		}
		host = hostport[1:end]
		j, k = 1, end+1 // there can't be a '[' resp. ']' before these positions
	} else {
		host = hostport[:i]
		if strings.IndexByte(host, ':') >= 0 {
			return "", "", false // too many colons
		}
	}
	if strings.IndexByte(hostport[j:], '[') >= 0 || strings.IndexByte(hostport[k:], ']') >= 0 {
		return "", "", false
	}
	return host, hostport[i+1:], true
}
