package helper

import (
	"errors"
	"net/netip"
	"slices"
	"testing"
)

// fakeRoutes is a routing table of the tunnel's routes that checks, at
// each change, that the address WireGuard sends to is never routed
// into the tunnel and that no other allowed address loses its route.
type fakeRoutes struct {
	t       *testing.T
	table   []netip.Prefix
	gateway netip.Addr // where WireGuard sends now
	others  []netip.Addr
	failOn  netip.Prefix // replace fails for it
	log     []string
}

func (f *fakeRoutes) replace(p netip.Prefix) error {
	if p == f.failOn {
		return errors.New("refused")
	}
	if !slices.Contains(f.table, p) {
		f.table = append(f.table, p)
	}
	f.log = append(f.log, "+"+p.String())
	f.check("after adding " + p.String())
	return nil
}

func (f *fakeRoutes) del(p netip.Prefix) error {
	f.table = slices.DeleteFunc(f.table, func(q netip.Prefix) bool { return q == p })
	f.log = append(f.log, "-"+p.String())
	f.check("after removing " + p.String())
	return nil
}

func (f *fakeRoutes) routed(a netip.Addr) bool {
	return slices.ContainsFunc(f.table, func(p netip.Prefix) bool { return p.Contains(a) })
}

func (f *fakeRoutes) check(when string) {
	f.t.Helper()
	if f.routed(f.gateway) {
		f.t.Errorf("%s: WireGuard's gateway %s is routed into the tunnel", when, f.gateway)
	}
	for _, a := range f.others {
		if !f.routed(a) {
			f.t.Errorf("%s: %s is no longer routed through the tunnel", when, a)
		}
	}
}

func prefixes(ss ...string) []netip.Prefix {
	out := make([]netip.Prefix, len(ss))
	for i, s := range ss {
		out[i] = netip.MustParsePrefix(s)
	}
	return out
}

// The gateway moves inside the tunnel's allowed IPs (the lab's case:
// the office's link is in allowed_ips): at no point does WireGuard's
// gateway get routed into the tunnel, the office stays routed through
// it, and the routes end split around the new address only, the state
// file's record following.
func TestMoveRoutesInsideAllowedIPs(t *testing.T) {
	allowed := prefixes("10.99.0.0/24", "10.98.5.0/25")
	from, to := netip.MustParseAddr("10.98.5.1"), netip.MustParseAddr("10.98.5.3")
	have := routesFor(allowed, from)
	f := &fakeRoutes{t: t, table: slices.Clone(have), gateway: from,
		others: []netip.Addr{netip.MustParseAddr("10.99.0.1"), netip.MustParseAddr("10.98.5.100"), netip.MustParseAddr("10.98.5.2")}}
	var records [][]netip.Prefix
	record := func(r []netip.Prefix) error {
		// What is in place is always in the record.
		for _, p := range f.table {
			if !slices.Contains(r, p) {
				t.Errorf("record %v misses route %s in place", r, p)
			}
		}
		records = append(records, slices.Clone(r))
		return nil
	}
	set := func() error {
		if f.routed(to) {
			t.Errorf("WireGuard set to %s while it is routed into the tunnel", to)
		}
		f.gateway = to
		return nil
	}
	got, err := moveRoutes(f, allowed, have, from, to, set, record)
	if err != nil {
		t.Fatal(err)
	}
	want := routesFor(allowed, to)
	if !slices.Equal(got, want) {
		t.Errorf("routes %v, want %v", got, want)
	}
	if !slices.Equal(sortedPrefixes(f.table), sortedPrefixes(want)) {
		t.Errorf("table %v, want %v", f.table, want)
	}
	if f.gateway != to {
		t.Errorf("set not called")
	}
	if !f.routed(from) {
		t.Errorf("the old gateway %s, inside allowed_ips, is not routed through the tunnel any more", from)
	}
	if len(records) == 0 || !slices.Equal(records[len(records)-1], want) {
		t.Errorf("last record %v, want %v", records, want)
	}
	t.Logf("changes: %v", f.log)
}

// A gateway outside the allowed IPs (the usual case) moves no route.
func TestMoveRoutesOutsideAllowedIPs(t *testing.T) {
	allowed := prefixes("10.20.0.0/16")
	from, to := netip.MustParseAddr("192.0.2.1"), netip.MustParseAddr("198.51.100.7")
	have := routesFor(allowed, from)
	f := &fakeRoutes{t: t, table: slices.Clone(have), gateway: from}
	calls := 0
	got, err := moveRoutes(f, allowed, have, from, to, func() error { calls++; f.gateway = to; return nil },
		func([]netip.Prefix) error { t.Error("state written for no change"); return nil })
	if err != nil || calls != 1 || !slices.Equal(got, have) || len(f.log) != 0 {
		t.Errorf("err %v, set %d times, routes %v, changes %v", err, calls, got, f.log)
	}
}

// A change that fails puts the routes around the old address back and
// keeps WireGuard there.
func TestMoveRoutesFailure(t *testing.T) {
	allowed := prefixes("10.98.5.0/25")
	from, to := netip.MustParseAddr("10.98.5.1"), netip.MustParseAddr("10.98.5.3")
	have := routesFor(allowed, from)
	both := routesAround(allowed, from, to)
	var fail netip.Prefix
	for _, p := range both {
		if !slices.Contains(have, p) {
			fail = p
			break
		}
	}
	f := &fakeRoutes{t: t, table: slices.Clone(have), gateway: from, failOn: fail}
	got, err := moveRoutes(f, allowed, have, from, to, func() error { t.Error("set after a failed route"); return nil },
		func([]netip.Prefix) error { return nil })
	if err == nil || !slices.Equal(got, have) {
		t.Errorf("err %v, routes %v, want %v", err, got, have)
	}
	// set itself failing.
	f = &fakeRoutes{t: t, table: slices.Clone(have), gateway: from}
	got, err = moveRoutes(f, allowed, have, from, to, func() error { return errors.New("no device") },
		func([]netip.Prefix) error { return nil })
	if err == nil || !slices.Equal(got, have) || len(f.table) != len(have) {
		t.Errorf("set failed: err %v, routes %v, table %v", err, got, f.table)
	}
}

func TestRoutesAround(t *testing.T) {
	allowed := prefixes("10.98.5.0/25")
	a, b := netip.MustParseAddr("10.98.5.1"), netip.MustParseAddr("10.98.5.3")
	got := routesAround(allowed, a, b)
	for _, x := range []string{"10.98.5.0", "10.98.5.2", "10.98.5.4", "10.98.5.127"} {
		if !slices.ContainsFunc(got, func(p netip.Prefix) bool { return p.Contains(netip.MustParseAddr(x)) }) {
			t.Errorf("%s not covered by %v", x, got)
		}
	}
	for _, x := range []netip.Addr{a, b} {
		if slices.ContainsFunc(got, func(p netip.Prefix) bool { return p.Contains(x) }) {
			t.Errorf("%s covered by %v", x, got)
		}
	}
	if !slices.Equal(routesAround(allowed, a), routesFor(allowed, a)) {
		t.Error("routesAround with one address is not routesFor")
	}
}

func sortedPrefixes(ps []netip.Prefix) []netip.Prefix {
	out := slices.Clone(ps)
	slices.SortFunc(out, func(a, b netip.Prefix) int {
		if c := a.Addr().Compare(b.Addr()); c != 0 {
			return c
		}
		return a.Bits() - b.Bits()
	})
	return out
}
