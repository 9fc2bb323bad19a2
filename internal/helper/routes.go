package helper

import "net/netip"

// routesFor is the routes through the tunnel for its allowed IPs, less the
// peer's endpoint: were the endpoint routed into the tunnel, WireGuard's
// own packets would loop back into it and the tunnel would never come up.
// The prefixes holding the endpoint are split around it, so that the
// endpoint keeps its ordinary route and nothing outside the tunnel's
// interface is touched.
func routesFor(allowed []netip.Prefix, endpoint netip.Addr) []netip.Prefix {
	return routesAround(allowed, endpoint)
}

// routesAround is the allowed IPs less each of the addresses: while the
// endpoint moves, the routes keep both the old and the new address out of
// the tunnel.
func routesAround(allowed []netip.Prefix, addrs ...netip.Addr) []netip.Prefix {
	out := make([]netip.Prefix, 0, len(allowed))
	for _, p := range allowed {
		out = append(out, p.Masked())
	}
	for _, a := range addrs {
		var next []netip.Prefix
		for _, p := range out {
			next = append(next, exclude(p, a.Unmap())...)
		}
		out = next
	}
	return out
}

// exclude returns prefixes covering p except the single address a.
func exclude(p netip.Prefix, a netip.Addr) []netip.Prefix {
	if !a.IsValid() || !p.Contains(a) {
		return []netip.Prefix{p}
	}
	var out []netip.Prefix
	for bits := p.Bits() + 1; bits <= a.BitLen(); bits++ {
		// The half of the previous prefix that does not hold a.
		out = append(out, netip.PrefixFrom(flipBit(a, bits-1), bits).Masked())
	}
	return out
}

// flipBit flips bit i (0 = most significant) of a.
func flipBit(a netip.Addr, i int) netip.Addr {
	b := a.AsSlice()
	b[i/8] ^= 0x80 >> (i % 8)
	out, _ := netip.AddrFromSlice(b)
	return out
}
