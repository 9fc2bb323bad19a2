package helper

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/netip"
	"os"
	"path/filepath"
	"syscall"

	"github.com/godbus/dbus/v5"
	"github.com/vishvananda/netlink"

	"relais/internal/resolvconf"
)

// The gateway's name is resolved again while the tunnel is up, and must be
// resolved without the tunnel: when the profile's DNS answers every name
// (no dns_domains, or no systemd-resolved), the system's resolver asks
// the tunnel's DNS servers, which a gateway that moved no longer lets
// anyone reach. The helper asks the DNS servers the machine had instead.

// resolvedAddress is one address of resolved's ResolveHostname answer.
type resolvedAddress struct {
	Ifindex int32
	Family  int32
	Address []byte
}

// endpointLookup is the roam loop's resolver for cur (RoamOptions.Lookup):
// the system's while the tunnel's DNS is not set (when the tunnel comes
// up); then, with systemd-resolved, resolved's answer on the interface
// the gateway is reached through; with resolv.conf rewritten, the
// servers of the file it replaced (the hosts file first, as always).
// Where neither is known, the system's resolver.
func (b *systemBackend) endpointLookup(cur *systemTunnelState) func(ctx context.Context, network, host string) ([]netip.Addr, error) {
	return func(ctx context.Context, network, host string) ([]netip.Addr, error) {
		ds := cur.st.DNS // set before the loop starts, then read only on it
		switch {
		case ds == nil:
		case ds.Mode == "resolved":
			_, ep := cur.roam.Endpoint()
			return resolvedLookup(ctx, ep.Addr(), host)
		case ds.Mode == "resolv.conf":
			if servers := previousServers(ds); len(servers) > 0 {
				return serversResolver(servers).LookupNetIP(ctx, network, host)
			}
		}
		return net.DefaultResolver.LookupNetIP(ctx, network, host)
	}
}

// resolvedLookup asks systemd-resolved for host on the interface that
// reaches gateway (outside the tunnel: the routes go around it).
func resolvedLookup(ctx context.Context, gateway netip.Addr, host string) ([]netip.Addr, error) {
	routes, err := netlink.RouteGet(gateway.AsSlice())
	if err != nil || len(routes) == 0 {
		return nil, fmt.Errorf("route to %s: %v", gateway, err)
	}
	conn, err := connectSystemBus(ctx)
	if err != nil {
		return nil, fmt.Errorf("systemd-resolved: %w", err)
	}
	defer conn.Close()
	return resolvedResolve(ctx, conn, routes[0].LinkIndex, host)
}

// resolvedResolve is resolved's ResolveHostname on link ifindex only.
func resolvedResolve(ctx context.Context, conn *dbus.Conn, ifindex int, host string) ([]netip.Addr, error) {
	ctx, cancel := context.WithTimeout(ctx, resolvedTimeout)
	defer cancel()
	var (
		answer []resolvedAddress
		canon  string
		flags  uint64
	)
	call := conn.Object(resolvedName, resolvedPath).CallWithContext(ctx, resolvedMethod+"ResolveHostname", 0,
		int32(ifindex), host, int32(syscall.AF_UNSPEC), uint64(0))
	if err := call.Store(&answer, &canon, &flags); err != nil {
		return nil, fmt.Errorf("systemd-resolved ResolveHostname %s on link %d: %w", host, ifindex, err)
	}
	var out []netip.Addr
	for _, a := range answer {
		if ip, ok := netip.AddrFromSlice(a.Address); ok {
			out = append(out, ip.Unmap())
		}
	}
	if len(out) == 0 {
		return nil, errors.New("systemd-resolved: no address")
	}
	return out, nil
}

// previousServers is the nameservers of the resolv.conf the helper
// replaced (or of the file its symlink pointed at).
func previousServers(ds *dnsState) []netip.Addr {
	if ds.Symlink != "" {
		target := ds.Symlink
		if !filepath.IsAbs(target) {
			target = filepath.Join(filepath.Dir(ds.Path), target)
		}
		b, err := os.ReadFile(target)
		if err != nil {
			return nil
		}
		return resolvconf.Parse(b).Servers()
	}
	return resolvconf.Parse(ds.Backup).Servers()
}

// serversResolver is Go's resolver (the hosts file, then DNS) asking the
// first of servers.
func serversResolver(servers []netip.Addr) *net.Resolver {
	server := netip.AddrPortFrom(servers[0], 53).String()
	return &net.Resolver{PreferGo: true, Dial: func(ctx context.Context, network, _ string) (net.Conn, error) {
		var d net.Dialer
		return d.DialContext(ctx, network, server)
	}}
}
