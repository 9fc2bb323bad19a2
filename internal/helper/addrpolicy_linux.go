package helper

import (
	"fmt"
	"net"
	"net/netip"

	"github.com/vishvananda/netlink"
	"golang.org/x/sys/unix"
)

// The system backend's address policy. The server lets a caller name its
// tunnel addresses inside the signed profile's networks; the machine
// decides whether it may take them: never an address one of its
// interfaces already holds, nor one inside a network another interface
// reaches directly (its LAN, another VPN's routes). A member of the
// group once took the LAN gateway's address that way, and the machine's
// traffic to "the gateway" went to that member's listener.

// hostPrefix is a tunnel address as the helper adds it: the one address,
// /32 or /128, so that the kernel makes no route for it. Routes come from
// allowed_ips only.
func hostPrefix(p netip.Prefix) netip.Prefix {
	a := p.Addr().Unmap()
	return netip.PrefixFrom(a, a.BitLen())
}

// onLink is what the machine already has: addresses of its interfaces
// and the networks they reach directly.
type onLink struct {
	addrs []ifaceAddr   // every address of every other interface
	nets  []ifacePrefix // connected networks: address prefixes, peer prefixes, routes without a gateway
}

type ifaceAddr struct {
	iface string
	addr  netip.Addr
}

type ifacePrefix struct {
	iface  string
	prefix netip.Prefix
}

// conflict says why a is not the tunnel's to take ("" when it is).
func (o *onLink) conflict(a netip.Addr) string {
	a = a.Unmap()
	for _, x := range o.addrs {
		if x.addr == a {
			return "already an address of " + x.iface
		}
	}
	for _, n := range o.nets {
		// A default route through an interface (0.0.0.0/0 dev ppp0)
		// reaches everything: it names no network of its own.
		if n.prefix.Bits() > 0 && n.prefix.Contains(a) {
			return fmt.Sprintf("inside %s, a network %s reaches directly", n.prefix, n.iface)
		}
	}
	return ""
}

// checkAddresses refuses, with CodeAddressInUse, the first of addrs that
// the machine already uses. The interface named own (the helper's, being
// replaced) is left out.
func checkAddresses(addrs []netip.Prefix, own string) error {
	o, err := machineOnLink(own)
	if err != nil {
		return fmt.Errorf("reading the machine's addresses: %w", err)
	}
	for _, p := range addrs {
		if why := o.conflict(p.Addr()); why != "" {
			return errorf(CodeAddressInUse, "address %s is %s", p.Addr(), why)
		}
	}
	return nil
}

// machineOnLink reads, through netlink, the addresses of every interface
// but own and the networks they reach without a gateway, in every
// routing table.
func machineOnLink(own string) (*onLink, error) {
	links, err := netlink.LinkList()
	if err != nil {
		return nil, err
	}
	names := map[int]string{}
	for _, l := range links {
		names[l.Attrs().Index] = l.Attrs().Name
	}
	o := &onLink{}
	addrs, err := netlink.AddrList(nil, netlink.FAMILY_ALL)
	if err != nil {
		return nil, err
	}
	for _, a := range addrs {
		name := names[a.LinkIndex]
		if name == own || a.IPNet == nil {
			continue
		}
		if p, ok := prefixOf(a.IPNet); ok {
			o.addrs = append(o.addrs, ifaceAddr{name, p.Addr()})
			o.nets = append(o.nets, ifacePrefix{name, p.Masked()})
		}
		if p, ok := prefixOf(a.Peer); ok {
			o.nets = append(o.nets, ifacePrefix{name, p.Masked()})
		}
	}
	routes, err := netlink.RouteListFiltered(netlink.FAMILY_ALL,
		&netlink.Route{Table: unix.RT_TABLE_UNSPEC}, netlink.RT_FILTER_TABLE)
	if err != nil {
		return nil, err
	}
	for _, r := range routes {
		name, ok := names[r.LinkIndex]
		if !ok || name == own || r.Type != unix.RTN_UNICAST || r.Gw != nil || r.Via != nil || len(r.MultiPath) > 0 {
			continue
		}
		if p, ok := prefixOf(r.Dst); ok {
			o.nets = append(o.nets, ifacePrefix{name, p.Masked()})
		}
	}
	return o, nil
}

func prefixOf(n *net.IPNet) (netip.Prefix, bool) {
	if n == nil {
		return netip.Prefix{}, false
	}
	a, ok := netip.AddrFromSlice(n.IP)
	if !ok {
		return netip.Prefix{}, false
	}
	a = a.Unmap()
	ones, bits := n.Mask.Size()
	if bits == 0 {
		return netip.Prefix{}, false
	}
	if bits == 128 && a.Is4() {
		ones -= 96
	}
	p := netip.PrefixFrom(a, ones)
	return p, p.IsValid()
}
