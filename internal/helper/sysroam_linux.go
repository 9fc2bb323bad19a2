package helper

import (
	"errors"
	"fmt"
	"net/netip"
	"slices"
	"syscall"

	"github.com/vishvananda/netlink"
)

// System mode follows a moving gateway as userspace does (tunnel.Roam on
// the helper's device); what it adds is the routes: they are split
// around the gateway's address, so they move with it (moveRoutes).

// linkRoutes is the routes through the tunnel's interface, by netlink.
type linkRoutes struct{ index int }

func (l linkRoutes) route(p netip.Prefix) *netlink.Route {
	return &netlink.Route{LinkIndex: l.index, Dst: prefixNet(p), Scope: netlink.SCOPE_LINK}
}

func (l linkRoutes) replace(p netip.Prefix) error { return netlink.RouteReplace(l.route(p)) }

func (l linkRoutes) del(p netip.Prefix) error {
	err := netlink.RouteDel(l.route(p))
	if errors.Is(err, syscall.ESRCH) {
		return nil // already gone
	}
	return err
}

// moveEndpoint is the roam loop's change of endpoint for cur (its
// RoamOptions.Move): the routes move around set. It runs on the roam
// loop only, which Down stops before it reads cur.st again: it takes no
// lock of the backend's (Down holds it while it waits for the loop).
func (b *systemBackend) moveEndpoint(cur *systemTunnelState, from, to netip.AddrPort, set func() error) error {
	record := func(routes []netip.Prefix) error {
		cur.st.Routes = cur.st.Routes[:0]
		for _, r := range routes {
			cur.st.Routes = append(cur.st.Routes, r.String())
		}
		return writeState(b.statePath, &cur.st)
	}
	routes, err := moveRoutes(linkRoutes{cur.link}, cur.cfg.Peer.AllowedIPs, cur.routes, from.Addr(), to.Addr(), set, record)
	moved := !slices.Equal(routes, cur.routes)
	cur.routes = routes
	if err != nil {
		return fmt.Errorf("helper: endpoint %s -> %s: %w", from, to, err)
	}
	if moved {
		b.logf("endpoint %s -> %s: routes through %s now around %s (%d routes)", from, to, b.iface, to.Addr(), len(routes))
	} else {
		b.logf("endpoint %s -> %s", from, to)
	}
	return nil
}
