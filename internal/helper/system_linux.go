package helper

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"net"
	"net/netip"
	"os"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/vishvananda/netlink"
	"golang.org/x/sys/unix"
	"golang.zx2c4.com/wireguard/conn"
	"golang.zx2c4.com/wireguard/device"
	"golang.zx2c4.com/wireguard/ipc"
	"golang.zx2c4.com/wireguard/tun"
	"golang.zx2c4.com/wireguard/wgctrl"

	"relais/internal/tunnel"
)

// systemBackend makes the tunnel with a real TUN interface: wireguard-go
// on it, the WireGuard UAPI socket for wg(8) and wgctrl, host addresses
// and routes through netlink, DNS through systemd-resolved over D-Bus (or
// resolv.conf where resolved is absent).
type systemBackend struct {
	iface      string
	statePath  string
	resolvConf string
	logf       func(string, ...any)
	// reresolve and stale are the roam loop's RoamOptions.Every and
	// StaleAfter (0: the defaults).
	reresolve, stale time.Duration

	mu  sync.Mutex // guards cur
	cur *systemTunnelState
}

// systemTunnelState is the tunnel up now.
type systemTunnelState struct {
	dev  *device.Device
	uapi net.Listener
	st   state
	cfg  tunnel.Config // without its private key
	// roam is the endpoint in use and, once the tunnel is up, the loop
	// that follows a moving gateway (sysroam_linux.go).
	roam *tunnel.Roam
	// link is the interface's index; routes the routes through it, split
	// around the endpoint's address (the roam loop's once it started).
	link   int
	routes []netip.Prefix
}

func newSystemBackend(iface, statePath, resolvConf string, logf func(string, ...any)) *systemBackend {
	return &systemBackend{iface: iface, statePath: statePath, resolvConf: resolvConf, logf: logf}
}

func (b *systemBackend) Up(ctx context.Context, cfg tunnel.Config) error {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.cur != nil {
		b.downLocked()
	}
	// The tunnel's addresses are host addresses, whatever prefix the
	// profile wrote (10.99.0.2/24 as in a .conf): no route comes from them.
	addrs := make([]netip.Prefix, len(cfg.Addresses))
	for i, a := range cfg.Addresses {
		addrs[i] = hostPrefix(a)
	}
	cfg.Addresses = addrs
	if err := checkAddresses(cfg.Addresses, b.iface); err != nil {
		b.logf("refused the tunnel's addresses: %v", err)
		return asError(err, CodeTunnel)
	}
	cur := &systemTunnelState{st: state{Interface: b.iface}}
	cur.roam = tunnel.NewRoam(cfg.Peer, tunnel.RoamOptions{Every: b.reresolve, StaleAfter: b.stale, Logf: b.logf, Lookup: b.endpointLookup(cur),
		Move: func(from, to netip.AddrPort, set func() error) error { return b.moveEndpoint(cur, from, to, set) }})
	name, endpoint, err := cur.roam.ResolveFirst(ctx)
	if err != nil {
		return errorf(CodeTunnel, "endpoint %s: %v", name, err)
	}
	cur.cfg = cfg
	cur.cfg.PrivateKey = tunnel.Key{}
	cur.cfg.Peer.PresharedKey = tunnel.Key{}
	b.cur = cur
	if err := b.upLocked(ctx, cur, cfg, endpoint); err != nil {
		b.downLocked()
		// A coded refusal keeps its code (no_resolver); anything else
		// is the system's.
		var he *Error
		if errors.As(err, &he) {
			return he
		}
		return errorf(CodeTunnel, "%v", err)
	}
	cur.roam.Start(cur.dev)
	return nil
}

func (b *systemBackend) upLocked(ctx context.Context, cur *systemTunnelState, cfg tunnel.Config, endpoint netip.AddrPort) error {
	// The state names the interface before it exists: a crash from here on
	// leaves something the next start knows to remove.
	if err := writeState(b.statePath, &cur.st); err != nil {
		return fmt.Errorf("state file: %w", err)
	}
	if err := waitLinkGone(b.iface, 2*time.Second); err != nil {
		return err
	}
	mtu := cfg.MTU
	if mtu == 0 {
		mtu = 1280
	}
	tdev, err := tun.CreateTUN(b.iface, mtu)
	if err != nil {
		return fmt.Errorf("create TUN %s: %w", b.iface, err)
	}
	logger := &device.Logger{
		Verbosef: device.DiscardLogf,
		Errorf:   func(format string, args ...any) { b.logf("wireguard: "+format, args...) },
	}
	cur.dev = device.NewDevice(tdev, conn.NewDefaultBind(), logger)
	if err := cur.dev.IpcSet(tunnel.UAPIConfig(cfg, endpoint)); err != nil {
		msg := tunnel.RedactKey(err.Error(), cfg.PrivateKey)
		if cfg.Peer.PresharedKey != (tunnel.Key{}) {
			msg = tunnel.RedactKey(msg, cfg.Peer.PresharedKey)
		}
		return fmt.Errorf("configure WireGuard: %s", msg)
	}
	if err := cur.dev.Up(); err != nil {
		return fmt.Errorf("WireGuard up: %w", err)
	}
	// Shake hands now, keepalive or not: nothing else may send before the
	// tunnel check passes.
	if err := tunnel.InitiateHandshake(cur.dev, cfg.Peer.PublicKey, cfg.Peer.PersistentKeepalive); err != nil {
		b.logf("%v", err) // the first packet sent will start it instead
	}

	cur.st.UAPISocket = "/var/run/wireguard/" + b.iface + ".sock"
	if err := writeState(b.statePath, &cur.st); err != nil {
		return fmt.Errorf("state file: %w", err)
	}
	uf, err := ipc.UAPIOpen(b.iface)
	if err != nil {
		return fmt.Errorf("UAPI socket: %w", err)
	}
	cur.uapi, err = ipc.UAPIListen(b.iface, uf)
	uf.Close()
	if err != nil {
		return fmt.Errorf("UAPI socket: %w", err)
	}
	go func(l net.Listener, dev *device.Device) {
		for {
			c, err := l.Accept()
			if err != nil {
				return
			}
			go dev.IpcHandle(c)
		}
	}(cur.uapi, cur.dev)

	link, err := netlink.LinkByName(b.iface)
	if err != nil {
		return fmt.Errorf("find %s: %w", b.iface, err)
	}
	for _, a := range cfg.Addresses {
		// One address, and no prefix route even for IPv6's /128.
		addr := &netlink.Addr{IPNet: prefixNet(hostPrefix(a)), Flags: unix.IFA_F_NOPREFIXROUTE}
		if err := netlink.AddrAdd(link, addr); err != nil {
			return fmt.Errorf("address %s: %w", a, err)
		}
	}
	if err := netlink.LinkSetMTU(link, mtu); err != nil {
		return fmt.Errorf("MTU %d: %w", mtu, err)
	}
	if err := netlink.LinkSetUp(link); err != nil {
		return fmt.Errorf("set %s up: %w", b.iface, err)
	}

	cur.link = link.Attrs().Index
	routes := routesFor(cfg.Peer.AllowedIPs, endpoint.Addr())
	for _, r := range routes {
		cur.st.Routes = append(cur.st.Routes, r.String())
	}
	if err := writeState(b.statePath, &cur.st); err != nil {
		return fmt.Errorf("state file: %w", err)
	}
	if err := switchRoutes(linkRoutes{cur.link}, nil, routes); err != nil {
		return err
	}
	cur.routes = routes

	if len(cfg.DNS) > 0 {
		if err := b.setDNS(ctx, cur, cfg); err != nil {
			return fmt.Errorf("DNS: %w", err)
		}
	}
	return nil
}

// setDNS tells systemd-resolved, over D-Bus, the link's servers and
// domains; only where resolved is not on the system bus does it rewrite
// resolv.conf. The log says which.
func (b *systemBackend) setDNS(ctx context.Context, cur *systemTunnelState, cfg tunnel.Config) error {
	conn, why := findResolved(ctx)
	if conn != nil {
		defer conn.Close()
		link, err := netlink.LinkByName(b.iface)
		if err != nil {
			return fmt.Errorf("find %s: %w", b.iface, err)
		}
		b.logf("DNS: through systemd-resolved (D-Bus) on %s (index %d)", b.iface, link.Attrs().Index)
		if !resolvConfUsesResolved(b.resolvConf) {
			b.logf("DNS: %s does not point at systemd-resolved's stub: programs that read it directly do not see the tunnel's DNS", b.resolvConf)
		}
		cur.st.DNS = &dnsState{Mode: "resolved"}
		if err := writeState(b.statePath, &cur.st); err != nil {
			return err
		}
		return resolvedSetLink(ctx, conn, link.Attrs().Index, cfg.DNS, cfg.DNSDomains)
	}
	b.logf("DNS: %s: writing %s instead", why, b.resolvConf)
	ds, err := prepareResolvConf(b.resolvConf, cfg.DNS, cfg.DNSDomains)
	if err != nil {
		return err
	}
	cur.st.DNS = ds
	if err := writeState(b.statePath, &cur.st); err != nil {
		return err
	}
	if err := writeResolvConf(ds); err != nil {
		if !errors.Is(err, fs.ErrPermission) && !errors.Is(err, syscall.EROFS) {
			return err
		}
		// Refused before anything was written (the service may not write
		// /etc): there is nothing to restore.
		cur.st.DNS = nil
		if serr := writeState(b.statePath, &cur.st); serr != nil {
			b.logf("state file: %v", serr)
		}
		return errorf(CodeNoResolver, "systemd-resolved is not on the system bus (%s) and %s cannot be written: %v", why, b.resolvConf, err)
	}
	return nil
}

func (b *systemBackend) Down() error {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.downLocked()
}

// downLocked undoes everything, in the reverse order, and forgets the
// state once nothing is left.
func (b *systemBackend) downLocked() error {
	cur := b.cur
	if cur == nil {
		return nil
	}
	b.cur = nil
	// The roam loop first: it uses the device and cur.st.
	cur.roam.Stop()
	var errs []error
	if cur.st.DNS != nil {
		errs = append(errs, undoDNS(cur.st.DNS, b.iface))
	}
	if cur.uapi != nil {
		cur.uapi.Close()
	}
	if cur.dev != nil {
		// Closing the device closes the TUN: the kernel removes the
		// interface and its routes with it.
		cur.dev.Close()
	}
	errs = append(errs, removeLeftovers(&cur.st))
	if err := errors.Join(errs...); err != nil {
		return err
	}
	return removeState(b.statePath)
}

// Cleanup undoes what a previous helper recorded and did not undo (it was
// killed, or the machine lost power).
func (b *systemBackend) Cleanup() error {
	st, err := readState(b.statePath)
	if err != nil {
		return fmt.Errorf("helper: state file %s: %w", b.statePath, err)
	}
	if st == nil {
		return nil
	}
	b.logf("a previous helper left a tunnel behind (%s): cleaning up", st.Interface)
	var errs []error
	if st.DNS != nil {
		errs = append(errs, undoDNS(st.DNS, st.Interface))
	}
	errs = append(errs, removeLeftovers(st))
	if err := errors.Join(errs...); err != nil {
		return fmt.Errorf("helper: cleaning up after a previous helper: %w", err)
	}
	return removeState(b.statePath)
}

func undoDNS(ds *dnsState, iface string) error {
	switch ds.Mode {
	case "resolved":
		// resolved forgets a link that disappears; revert in case it is still there.
		link, err := netlink.LinkByName(iface)
		if err != nil {
			return nil
		}
		ctx, cancel := context.WithTimeout(context.Background(), resolvedTimeout)
		defer cancel()
		conn, err := connectSystemBus(ctx)
		if err != nil {
			return fmt.Errorf("systemd-resolved: %w", err)
		}
		defer conn.Close()
		return resolvedRevertLink(ctx, conn, link.Attrs().Index)
	case "resolv.conf":
		return restoreResolvConf(ds)
	}
	return nil
}

// removeLeftovers removes the interface, and with it the routes through it
// (the kernel drops them: st.Routes is a record, for diagnostics), and the
// UAPI socket.
func removeLeftovers(st *state) error {
	var errs []error
	if link, err := netlink.LinkByName(st.Interface); err == nil {
		if link.Type() != "tuntap" {
			errs = append(errs, fmt.Errorf("%s is a %s interface, not the helper's TUN: left alone", st.Interface, link.Type()))
		} else if err := netlink.LinkDel(link); err != nil {
			errs = append(errs, fmt.Errorf("remove %s: %w", st.Interface, err))
		}
	}
	if err := waitLinkGone(st.Interface, 2*time.Second); err != nil {
		errs = append(errs, err)
	}
	if st.UAPISocket != "" && strings.HasPrefix(st.UAPISocket, "/var/run/wireguard/") {
		if err := os.Remove(st.UAPISocket); err != nil && !errors.Is(err, os.ErrNotExist) {
			errs = append(errs, err)
		}
	}
	return errors.Join(errs...)
}

// waitLinkGone waits for the kernel to finish removing an interface.
func waitLinkGone(name string, max time.Duration) error {
	deadline := time.Now().Add(max)
	for {
		_, err := netlink.LinkByName(name)
		var nf netlink.LinkNotFoundError
		if errors.As(err, &nf) {
			return nil
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("interface %s still exists", name)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

func (b *systemBackend) Status() tunnel.Status {
	b.mu.Lock()
	cur := b.cur
	b.mu.Unlock()
	st := tunnel.Status{Mode: tunnel.ModeSystem, Interface: b.iface}
	if cur == nil {
		return st
	}
	st.Up = true
	var ep netip.AddrPort
	st.EndpointName, ep = cur.roam.Endpoint()
	st.Endpoint = ep.String()
	for _, a := range cur.cfg.Addresses {
		st.Addresses = append(st.Addresses, a.String())
	}
	wc, err := wgctrl.New()
	if err != nil {
		b.logf("wgctrl: %v", err)
		return st
	}
	defer wc.Close()
	d, err := wc.Device(b.iface)
	if err != nil {
		b.logf("wgctrl: %s: %v", b.iface, err)
		return st
	}
	for _, p := range d.Peers {
		if tunnel.Key(p.PublicKey) != cur.cfg.Peer.PublicKey {
			continue
		}
		if p.Endpoint != nil {
			st.Endpoint = p.Endpoint.String()
		}
		st.LastHandshake = p.LastHandshakeTime
		if st.LastHandshake.Unix() == 0 {
			st.LastHandshake = time.Time{}
		}
		st.RxBytes, st.TxBytes = p.ReceiveBytes, p.TransmitBytes
	}
	return st
}

func prefixNet(p netip.Prefix) *net.IPNet {
	return &net.IPNet{IP: p.Addr().AsSlice(), Mask: net.CIDRMask(p.Bits(), p.Addr().BitLen())}
}
