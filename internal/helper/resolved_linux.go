package helper

import (
	"context"
	"errors"
	"fmt"
	"net/netip"
	"os"
	"strings"
	"syscall"
	"time"

	"github.com/godbus/dbus/v5"
)

// systemd-resolved over D-Bus: the helper tells resolved the tunnel link's
// DNS servers and domains by interface index, as resolvectl would, without
// running it. Where resolved is not on the system bus the helper falls back
// to rewriting resolv.conf (dns_linux.go).

const (
	resolvedName   = "org.freedesktop.resolve1"
	resolvedPath   = dbus.ObjectPath("/org/freedesktop/resolve1")
	resolvedIface  = "org.freedesktop.resolve1.Manager"
	resolvedMethod = resolvedIface + "."
)

// resolvedTimeout bounds each exchange with the bus.
const resolvedTimeout = 5 * time.Second

// linkDNS is one server as SetLinkDNS takes it: a(iay).
type linkDNS struct {
	Family  int32
	Address []byte
}

// linkDomain is one domain as SetLinkDomains takes it: a(sb).
type linkDomain struct {
	Domain      string
	RoutingOnly bool
}

// connectSystemBus is a private connection to the system bus
// (DBUS_SYSTEM_BUS_ADDRESS, else the standard socket), closed by the caller.
func connectSystemBus(ctx context.Context) (*dbus.Conn, error) {
	return dbus.ConnectSystemBus(dbus.WithContext(ctx))
}

// findResolved reports whether systemd-resolved serves this helper: it
// owns its name on the system bus and runs in the helper's network
// namespace (its links are the helper's links). conn is nil when the
// answer is no; why says why, for the log.
func findResolved(ctx context.Context) (conn *dbus.Conn, why string) {
	conn, err := connectSystemBus(ctx)
	if err != nil {
		return nil, fmt.Sprintf("no system bus: %v", err)
	}
	var owned bool
	if err := conn.BusObject().CallWithContext(ctx, "org.freedesktop.DBus.NameHasOwner", 0, resolvedName).Store(&owned); err != nil {
		conn.Close()
		return nil, fmt.Sprintf("asking the system bus for %s: %v", resolvedName, err)
	}
	if !owned {
		conn.Close()
		return nil, resolvedName + " is not on the system bus"
	}
	var pid uint32
	if err := conn.BusObject().CallWithContext(ctx, "org.freedesktop.DBus.GetConnectionUnixProcessID", 0, resolvedName).Store(&pid); err == nil {
		if same, err := sameNetns(int(pid)); err == nil && !same {
			conn.Close()
			return nil, fmt.Sprintf("%s (pid %d) runs in another network namespace", resolvedName, pid)
		}
		// Unknown (the unit's capabilities do not allow reading another
		// user's namespace): resolved runs where the machine's links are.
	}
	return conn, ""
}

// sameNetns reports whether process pid shares this process's network
// namespace.
func sameNetns(pid int) (bool, error) {
	var self, other syscall.Stat_t
	if err := syscall.Stat("/proc/self/ns/net", &self); err != nil {
		return false, err
	}
	if err := syscall.Stat(fmt.Sprintf("/proc/%d/ns/net", pid), &other); err != nil {
		return false, err
	}
	return self.Dev == other.Dev && self.Ino == other.Ino, nil
}

// resolvedSetLink gives link ifindex its DNS servers and domains. With
// domains, only names under them go to the tunnel's servers (routing-only
// "~office.test", and the link is no default route for other names);
// without, every name does ("~." and the default route).
func resolvedSetLink(ctx context.Context, conn *dbus.Conn, ifindex int, servers []netip.Addr, domains []string) error {
	obj := conn.Object(resolvedName, resolvedPath)
	dns := make([]linkDNS, 0, len(servers))
	for _, s := range servers {
		s = s.Unmap()
		family := int32(syscall.AF_INET)
		if s.Is6() {
			family = syscall.AF_INET6
		}
		dns = append(dns, linkDNS{Family: family, Address: s.AsSlice()})
	}
	doms := make([]linkDomain, 0, len(domains)+1)
	for _, d := range domains {
		doms = append(doms, linkDomain{Domain: strings.TrimPrefix(d, "~"), RoutingOnly: true})
	}
	if len(domains) == 0 {
		doms = append(doms, linkDomain{Domain: ".", RoutingOnly: true})
	}
	if err := resolvedCall(ctx, obj, "SetLinkDNS", int32(ifindex), dns); err != nil {
		return err
	}
	if err := resolvedCall(ctx, obj, "SetLinkDomains", int32(ifindex), doms); err != nil {
		return err
	}
	err := resolvedCall(ctx, obj, "SetLinkDefaultRoute", int32(ifindex), len(domains) == 0)
	var de dbus.Error
	if errors.As(err, &de) && de.Name == dbus.ErrMsgUnknownMethod.Name {
		// resolved before 240 has no per-link default route; routing-only
		// domains alone keep other names off the tunnel there.
		return nil
	}
	return err
}

// resolvedRevertLink gives link ifindex back to resolved's defaults.
func resolvedRevertLink(ctx context.Context, conn *dbus.Conn, ifindex int) error {
	return resolvedCall(ctx, conn.Object(resolvedName, resolvedPath), "RevertLink", int32(ifindex))
}

func resolvedCall(ctx context.Context, obj dbus.BusObject, method string, args ...any) error {
	ctx, cancel := context.WithTimeout(ctx, resolvedTimeout)
	defer cancel()
	if err := obj.CallWithContext(ctx, resolvedMethod+method, 0, args...).Err; err != nil {
		return fmt.Errorf("systemd-resolved %s: %w", method, err)
	}
	return nil
}

// resolvConfUsesResolved reports whether resolv.conf sends programs to
// resolved's stub; only for the log: resolved is told either way.
func resolvConfUsesResolved(path string) bool {
	b, err := os.ReadFile(path)
	return err == nil && strings.Contains(string(b), resolvedStub)
}
