//go:build linux

package e2e

import (
	"net/netip"
	"os/exec"
	"strings"
	"syscall"
	"testing"
	"time"

	"relais/internal/helper/helpertest"
)

// The client namespace's LAN for the address tests: an interface with
// a /24 (the machine at .20, the gateway at .1), a second network it
// reaches directly by a route alone, and a host address of its own.
const (
	lanHost      = "192.168.77.20"
	lanGateway   = "192.168.77.1"
	lanNet       = "192.168.77.0/24"
	onLinkNet    = "192.168.78.0/24"
	onLinkHost   = "192.168.78.9"
	otherHostIP  = "10.99.0.7"
	lanInterface = "rld"
)

// addLAN gives the client namespace its LAN interface and returns its
// name.
func (l *lab) addLAN() string {
	l.t.Helper()
	dev := lanInterface + l.id
	// A veth pair whose other end stays down: this kernel has no dummy.
	l.ip("-n", l.client, "link", "add", dev, "type", "veth", "peer", "name", "rlp"+l.id)
	// No IPv6 link-local address: its duplicate address detection would
	// change `ip addr` between the snapshots of the test.
	l.ip("-n", l.client, "link", "set", dev, "addrgenmode", "none")
	l.ip("-n", l.client, "link", "set", "rlp"+l.id, "addrgenmode", "none")
	l.ip("-n", l.client, "addr", "add", lanHost+"/24", "dev", dev)
	l.ip("-n", l.client, "addr", "add", otherHostIP+"/32", "dev", dev)
	l.ip("-n", l.client, "link", "set", dev, "up")
	l.ip("-n", l.client, "link", "set", "rlp"+l.id, "up")
	l.ip("-n", l.client, "route", "add", onLinkNet, "dev", dev)
	return dev
}

// netState is the client namespace's addresses and routes (every table,
// both families), to compare before and after.
func (l *lab) netState() string {
	l.t.Helper()
	var b strings.Builder
	for _, args := range [][]string{
		{"-n", l.client, "-o", "addr"},
		{"-n", l.client, "-4", "route", "show", "table", "all"},
		{"-n", l.client, "-6", "route", "show", "table", "all"},
	} {
		b.WriteString(l.ip(args...))
	}
	return b.String()
}

// A member of the group asks for an address the machine already uses,
// with a signed profile whose allowed_ips cover the LAN (so the server's
// own check passes): the LAN gateway's address, the machine's own LAN
// address, an address inside a network reached by a route alone, an
// address another interface holds. Each is refused with address_in_use;
// no interface is made, no address added, no route changed.
func TestHelperAddrRefusesTakenAddresses(t *testing.T) {
	l := newLab(t, false)
	l.addLAN()
	l.startHelper("users")
	data, sig := l.profile(1, func(tn *helpertest.Tunnel) {
		tn.AllowedIPs = []string{"10.99.0.0/24", lanNet, onLinkNet}
	})
	member := &syscall.Credential{Uid: nobody, Gid: nobody, Groups: []uint32{usersGID}}
	before := l.netState()
	for _, addr := range []string{lanGateway, lanHost, onLinkHost, otherHostIP} {
		u := l.up(l.upRequest(data, sig, addr+"/32"), member, false)
		if u.Status != nil {
			// The code as it was: the address is taken. Give it back
			// before the next attempt.
			t.Errorf("%s/32: brought up, addresses %v", addr, u.Status.Addresses)
			u.release(t)
			continue
		}
		if u.Code != "address_in_use" {
			t.Errorf("%s/32: code %q (%s), want address_in_use", addr, u.Code, u.Error)
			continue
		}
		t.Logf("%s/32: refused: %s", addr, u.Error)
		if out, _ := l.inClient("ip", "-o", "link", "show", "type", "tun"); strings.TrimSpace(out) != "" {
			t.Errorf("%s/32: an interface after the refusal: %s", addr, out)
		}
		if after := l.netState(); after != before {
			t.Errorf("%s/32: addresses or routes changed\nbefore:\n%s\nafter:\n%s", addr, before, after)
		}
	}

	// The same profile with an address of the tunnel's own network is
	// brought up: the policy refuses conflicts, not the LAN's routes.
	u := l.up(l.upRequest(data, sig, clientTunnel+"/32"), member, false)
	if u.Status == nil || !u.Status.Up {
		t.Fatalf("%s/32: %s %s", clientTunnel, u.Code, u.Error)
	}
	u.release(t)
}

// A normal Up: the tunnel's addresses are host addresses (/32, /128) even
// when the profile writes them with a prefix (address = "10.99.0.2/24",
// as in a .conf), and no route comes from them, not even the one the
// kernel makes for an IPv6 /128: the routes through the interface are
// allowed_ips', nothing else.
func TestHelperAddrHostOnly(t *testing.T) {
	l := newLab(t, false)
	l.startHelper("users")
	data, sig := l.profile(1, func(tn *helpertest.Tunnel) {
		tn.Address = []string{clientTunnel + "/24", "fd99::2/64"}
		tn.AllowedIPs = []string{officeTunnel + "/32", "fd99::1/128"}
	})
	for _, c := range []struct {
		name  string
		ask   []string // the caller's addresses; none: the profile's
		shown []string
	}{
		{"profile's addresses", nil, []string{"inet " + clientTunnel + "/32 ", "inet6 fd99::2/128 "}},
		{"caller's host addresses", []string{"10.99.0.3/32", "fd99::3/128"}, []string{"inet 10.99.0.3/32 ", "inet6 fd99::3/128 "}},
	} {
		req := l.upRequest(data, sig, clientTunnel+"/32")
		req.Addresses = nil
		for _, a := range c.ask {
			req.Addresses = append(req.Addresses, netip.MustParsePrefix(a))
		}
		u := l.up(req, nil, false)
		if u.Status == nil || !u.Status.Up {
			t.Fatalf("%s: up: %s %s", c.name, u.Code, u.Error)
		}
		addrs, _ := l.inClient("ip", "-o", "addr", "show", "dev", l.iface)
		for _, want := range c.shown {
			if !strings.Contains(addrs, want) {
				t.Errorf("%s: no %q on the interface:\n%s", c.name, want, addrs)
			}
		}
		for _, a := range u.Status.Addresses {
			if p, err := netip.ParsePrefix(a); err != nil || p.Bits() != p.Addr().BitLen() {
				t.Errorf("%s: status address %q is not a host address", c.name, a)
			}
		}
		want := map[string]bool{officeTunnel: true, "fd99::1": true}
		for _, fam := range []string{"-4", "-6"} {
			out, _ := l.inClient("ip", fam, "route", "show", "table", "all", "dev", l.iface)
			for _, line := range strings.Split(strings.TrimSpace(out), "\n") {
				f := strings.Fields(line)
				if len(f) == 0 {
					continue
				}
				switch dst := f[0]; {
				case want[dst]:
					// allowed_ips
				case dst == "local" || dst == "multicast" || strings.HasPrefix(dst, "fe80::"):
					// the kernel's own for any interface: local delivery
					// of its addresses, multicast, link-local
				default:
					t.Errorf("%s: a route through the tunnel that allowed_ips did not ask for: %q", c.name, line)
				}
			}
			t.Logf("%s: ip %s route dev %s:\n%s", c.name, fam, l.iface, out)
		}
		u.release(t)
		waitUntil(t, "the interface to go", 5*time.Second, func() bool {
			return exec.Command("ip", "-n", l.client, "link", "show", l.iface).Run() != nil
		})
	}
}
