package helper

import (
	"net"
	"net/netip"
	"strings"
	"testing"
)

// What the machine has decides which tunnel addresses are refused: its
// own addresses, anything inside a network an interface reaches directly;
// a default route through an interface is no network of its own.
func TestAddrPolicyConflict(t *testing.T) {
	o := &onLink{
		addrs: []ifaceAddr{{"eth0", netip.MustParseAddr("192.168.1.20")}, {"lo", netip.MustParseAddr("10.99.0.7")}},
		nets: []ifacePrefix{
			{"eth0", netip.MustParsePrefix("192.168.1.0/24")},
			{"eth0", netip.MustParsePrefix("2001:db8:1::/64")},
			{"ppp0", netip.MustParsePrefix("0.0.0.0/0")},
		},
	}
	for addr, want := range map[string]string{
		"192.168.1.1":      "inside 192.168.1.0/24, a network eth0 reaches directly",
		"192.168.1.20":     "already an address of eth0",
		"10.99.0.7":        "already an address of lo",
		"2001:db8:1::99":   "inside 2001:db8:1::/64",
		"10.99.0.2":        "",
		"192.168.2.1":      "",
		"2001:db8:2::1":    "",
		"::ffff:10.99.0.7": "already an address of lo",
	} {
		got := o.conflict(netip.MustParseAddr(addr))
		if (want == "") != (got == "") || !strings.HasPrefix(got, want) {
			t.Errorf("%s: %q, want %q", addr, got, want)
		}
	}
}

// A tunnel address is added as the one address whatever prefix it came
// with; netlink's prefixes read back as netip's, IPv4 in 16 bytes too.
func TestAddrPolicyPrefixes(t *testing.T) {
	for in, want := range map[string]string{"10.99.0.2/24": "10.99.0.2/32", "fd99::2/64": "fd99::2/128", "10.99.0.2/32": "10.99.0.2/32"} {
		if got := hostPrefix(netip.MustParsePrefix(in)); got.String() != want {
			t.Errorf("hostPrefix(%s) = %s", in, got)
		}
	}
	n := &net.IPNet{IP: net.ParseIP("192.168.1.20"), Mask: net.CIDRMask(24, 32)} // ParseIP: 16 bytes
	if p, ok := prefixOf(n); !ok || p.String() != "192.168.1.20/24" {
		t.Errorf("prefixOf(%v) = %v, %v", n, p, ok)
	}
	if _, ok := prefixOf(nil); ok {
		t.Error("prefixOf(nil) is a prefix")
	}
}
