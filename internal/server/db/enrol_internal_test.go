package db

import (
	"net/netip"
	"testing"
)

// offset and addOffset are inverse within a pool, in both families, and
// refuse to leave the family.
func TestOffsets(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		base, a string
		off     int64
	}{
		{"10.0.0.0", "10.0.0.0", 0},
		{"10.0.0.0", "10.0.1.2", 258},
		{"10.128.0.0", "10.128.255.255", 65535},
		{"fd00::", "fd00::1:0", 65536},
		{"fd00:20::", "fd00:20::ffff:ffff", 1<<32 - 1},
	} {
		base, a := netip.MustParseAddr(tc.base), netip.MustParseAddr(tc.a)
		if got := offset(base, a); got != tc.off {
			t.Errorf("offset(%s, %s) = %d, want %d", base, a, got, tc.off)
		}
		if got, ok := addOffset(base, tc.off); !ok || got != a {
			t.Errorf("addOffset(%s, %d) = %s %v, want %s", base, tc.off, got, ok, a)
		}
	}
	if _, ok := addOffset(netip.MustParseAddr("255.255.255.255"), 1); ok {
		t.Error("past the end of IPv4")
	}
	if got := offset(netip.MustParseAddr("fd00::"), netip.MustParseAddr("fd00::1:0:0:0:0")); got != maxOffset {
		t.Errorf("far IPv6 offset %d", got)
	}
	if _, ok := addOffset(netip.MustParseAddr("fd00::"), maxOffset); ok {
		t.Error("maxOffset accepted")
	}
}
