// Package resolvconf reads resolv.conf(5), for the diagnostics (what the
// machine's resolver was told) and the helper (the servers a gateway's
// name is asked of outside the tunnel). It does no I/O.
package resolvconf

import (
	"bufio"
	"bytes"
	"net/netip"
	"strings"
)

// Conf is what a resolv.conf says.
type Conf struct {
	Nameservers []string // in order, as written (a zone kept: fe80::1%eth0); never nil
	Search      []string // the last search or domain line, as the resolver does
	Options     []string
}

// Parse reads nameserver, search (or domain) and options lines; comments
// (# or ;) and anything else are skipped.
func Parse(b []byte) Conf {
	c := Conf{Nameservers: []string{}}
	sc := bufio.NewScanner(bytes.NewReader(b))
	sc.Buffer(nil, 64<<10)
	for sc.Scan() {
		line := sc.Text()
		if i := strings.IndexAny(line, "#;"); i >= 0 {
			line = line[:i]
		}
		f := strings.Fields(line)
		if len(f) < 2 {
			continue
		}
		switch f[0] {
		case "nameserver":
			c.Nameservers = append(c.Nameservers, f[1])
		case "search", "domain":
			c.Search = f[1:] // the last one wins, as in the resolver
		case "options":
			c.Options = append(c.Options, f[1:]...)
		}
	}
	return c
}

// Servers is the nameservers that are IP addresses, in order (an IPv4
// address written as IPv4-mapped IPv6 unmapped).
func (c Conf) Servers() []netip.Addr {
	var out []netip.Addr
	for _, n := range c.Nameservers {
		if a, err := netip.ParseAddr(n); err == nil {
			out = append(out, a.Unmap())
		}
	}
	return out
}
