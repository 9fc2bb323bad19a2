package db

// Address arithmetic of enrolment pools: a host's offset in its pool, and
// back.

import (
	"net/netip"
	"strings"
)

// offset is a's distance from base (same family, a >= base), clipped to
// maxOffset.
func offset(base, a netip.Addr) int64 {
	x, y := base.As16(), a.As16()
	var hi, lo uint64
	borrow := uint64(0)
	for i := 15; i >= 0; i-- {
		d := int(y[i]) - int(x[i]) - int(borrow)
		borrow = 0
		if d < 0 {
			d += 256
			borrow = 1
		}
		if i >= 8 {
			lo |= uint64(d) << (8 * (15 - i))
		} else {
			hi |= uint64(d) << (8 * (7 - i))
		}
	}
	if hi != 0 || lo >= maxOffset {
		return maxOffset
	}
	return int64(lo)
}

// addOffset is base + off; false past the family's end or maxOffset.
func addOffset(base netip.Addr, off int64) (netip.Addr, bool) {
	if off < 0 || off >= maxOffset {
		return netip.Addr{}, false
	}
	b := base.As16()
	carry := uint64(off)
	for i := 15; i >= 0 && carry != 0; i-- {
		sum := uint64(b[i]) + carry&0xff
		b[i] = byte(sum)
		carry = carry>>8 + sum>>8
	}
	if carry != 0 {
		return netip.Addr{}, false
	}
	a := netip.AddrFrom16(b)
	if base.Is4() {
		if !a.Is4In6() {
			return netip.Addr{}, false
		}
		a = a.Unmap()
	}
	return a, true
}

// FirstHost is the first address of pool handed out: after the network
// address (IPv4 up to /30) or the subnet-router anycast (IPv6 up to /126).
func FirstHost(pool netip.Prefix) netip.Addr {
	pool = pool.Masked()
	a := pool.Addr()
	if pool.Bits() <= a.BitLen()-2 {
		a = a.Next()
	}
	return a
}

// IsHost says whether a is an address of pool handed out: inside it, and
// for IPv4 up to /30 not its broadcast address.
func IsHost(pool netip.Prefix, a netip.Addr) bool {
	if !pool.Contains(a) {
		return false
	}
	if a.Is4() && pool.Bits() <= 30 && !pool.Contains(a.Next()) {
		return false // the broadcast address
	}
	return true
}

func joinPrefixes(ps []netip.Prefix) string {
	s := make([]string, len(ps))
	for i, p := range ps {
		s[i] = p.String()
	}
	return strings.Join(s, ",")
}

func splitPrefixes(s string) []netip.Prefix {
	var out []netip.Prefix
	for _, f := range strings.Split(s, ",") {
		if p, err := netip.ParsePrefix(strings.TrimSpace(f)); err == nil {
			out = append(out, p)
		}
	}
	return out
}
