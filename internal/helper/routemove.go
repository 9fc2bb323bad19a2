package helper

import (
	"errors"
	"fmt"
	"net/netip"
	"slices"
)

// routeTable is the routes through the tunnel's interface (netlink in
// the helper, a fake in tests).
type routeTable interface {
	replace(p netip.Prefix) error
	del(p netip.Prefix) error
}

// moveRoutes moves the routes split around the gateway's address (have,
// which is routesFor(allowed, from)) to the new address, around set,
// which points WireGuard at to. Neither address is ever routed into the
// tunnel while WireGuard may send to it, and every other allowed address
// stays routed through it:
//  1. the routes around both addresses: to keeps its ordinary route
//     before WireGuard sends there;
//  2. set;
//  3. the routes around to only: from, no longer the gateway, goes
//     through the tunnel again if it is in the allowed IPs.
//
// record is told, before each step, every route the step may leave
// (the state file's record for a crash) and, at the end, the routes in
// place. moveRoutes returns them: have when the move failed (the routes
// around from are put back), routesFor(allowed, to) when it succeeded.
func moveRoutes(rt routeTable, allowed, have []netip.Prefix, from, to netip.Addr, set func() error, record func([]netip.Prefix) error) ([]netip.Prefix, error) {
	both := routesAround(allowed, from, to)
	want := routesAround(allowed, to)
	step := func(cur, next []netip.Prefix) error {
		if slices.Equal(cur, next) {
			return nil
		}
		if err := record(union(cur, next)); err != nil {
			return fmt.Errorf("state file: %w", err)
		}
		return switchRoutes(rt, cur, next)
	}
	back := func(cur []netip.Prefix, err error) ([]netip.Prefix, error) {
		if berr := switchRoutes(rt, cur, have); berr != nil {
			return cur, errors.Join(err, berr)
		}
		if rerr := record(have); rerr != nil {
			err = errors.Join(err, rerr)
		}
		return have, err
	}
	if err := step(have, both); err != nil {
		return back(both, err)
	}
	if err := set(); err != nil {
		return back(both, err)
	}
	if err := step(both, want); err != nil {
		// WireGuard is at to already: both keeps it out of the tunnel.
		return both, err
	}
	if !slices.Equal(have, want) {
		if err := record(want); err != nil {
			return want, fmt.Errorf("state file: %w", err)
		}
	}
	return want, nil
}

// switchRoutes goes from the routes cur to next: the new ones first, then
// the old ones no longer wanted removed, so that an address routed
// through the tunnel in both stays routed through it throughout.
func switchRoutes(rt routeTable, cur, next []netip.Prefix) error {
	for _, p := range next {
		if !slices.Contains(cur, p) {
			if err := rt.replace(p); err != nil {
				return fmt.Errorf("route %s: %w", p, err)
			}
		}
	}
	var errs []error
	for _, p := range cur {
		if !slices.Contains(next, p) {
			if err := rt.del(p); err != nil {
				errs = append(errs, fmt.Errorf("remove route %s: %w", p, err))
			}
		}
	}
	return errors.Join(errs...)
}

// union is a's prefixes then those of b not in a.
func union(a, b []netip.Prefix) []netip.Prefix {
	out := slices.Clone(a)
	for _, p := range b {
		if !slices.Contains(out, p) {
			out = append(out, p)
		}
	}
	return out
}
