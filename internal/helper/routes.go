package helper

import "net/netip"

// routesFor is the routes through the tunnel for its allowed IPs, less the
// peer's endpoint: were the endpoint routed into the tunnel, WireGuard's
// own packets would loop back into it and the tunnel would never come up.
// The prefixes holding the endpoint are split around it, so that the
// endpoint keeps its ordinary route and nothing outside the tunnel's
// interface is touched.
func routesFor(allowed []netip.Prefix, endpoint netip.Addr) []netip.Prefix {
	endpoint = endpoint.Unmap()
	var out []netip.Prefix
	for _, p := range allowed {
		out = append(out, exclude(p.Masked(), endpoint)...)
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
