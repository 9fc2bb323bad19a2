package enrol

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/netip"
	"os"
	"sync"
	"time"

	"golang.zx2c4.com/wireguard/wgctrl"
	"golang.zx2c4.com/wireguard/wgctrl/wgtypes"
)

// Gateway is the WireGuard interface whose peers the service manages.
// Keys are base64 WireGuard public keys.
type Gateway interface {
	// PublicKey is the interface's own public key.
	PublicKey(ctx context.Context) (string, error)
	// Peers are the interface's peers and their allowed IPs.
	Peers(ctx context.Context) (map[string][]netip.Prefix, error)
	// AddPeer adds the peer or replaces its allowed IPs with addrs.
	AddPeer(ctx context.Context, key string, addrs []netip.Prefix) error
	// RemovePeer removes the peer; a peer not there is not an error.
	RemovePeer(ctx context.Context, key string) error
}

// gatewayTimeout bounds one operation on the interface.
const gatewayTimeout = 10 * time.Second

// Codes of a GatewayError; `relais serve` words each as
// cli.serve.wireguard.<code>.
const (
	GatewayMissing    = "missing"    // no WireGuard interface of that name
	GatewayPermission = "permission" // not allowed to manage it (CAP_NET_ADMIN, the UAPI socket)
	GatewayNoKey      = "no_key"     // the interface has no private key yet
	GatewayFailed     = "failed"     // any other failure
)

// GatewayError is an interface that cannot be managed.
type GatewayError struct {
	Code      string
	Interface string
	Err       error
}

func (e *GatewayError) Error() string {
	switch e.Code {
	case GatewayMissing:
		return "wireguard: interface " + e.Interface + " does not exist or is not a WireGuard interface"
	case GatewayPermission:
		return "wireguard: not allowed to manage interface " + e.Interface + " (the server needs CAP_NET_ADMIN)"
	case GatewayNoKey:
		return "wireguard: interface " + e.Interface + " has no private key"
	}
	return fmt.Sprintf("wireguard: interface %s: %v", e.Interface, e.Err)
}

func (e *GatewayError) Unwrap() error { return e.Err }

// WireGuard manages the peers of an existing WireGuard interface, kernel
// or userspace (wireguard-go's UAPI socket), through wgctrl. It never
// creates, configures or removes the interface itself.
type WireGuard struct {
	name string
	mu   sync.Mutex // one wgctrl call at a time
	c    *wgctrl.Client
}

// OpenWireGuard opens the interface name; it must exist and have a key.
func OpenWireGuard(ctx context.Context, name string) (*WireGuard, error) {
	c, err := wgctrl.New()
	if err != nil {
		return nil, &GatewayError{Code: classify(err), Interface: name, Err: err}
	}
	w := &WireGuard{name: name, c: c}
	if _, err := w.PublicKey(ctx); err != nil {
		c.Close()
		return nil, err
	}
	return w, nil
}

// Close releases wgctrl's handles.
func (w *WireGuard) Close() error { return w.c.Close() }

// Name is the interface's name.
func (w *WireGuard) Name() string { return w.name }

func classify(err error) string {
	switch {
	case errors.Is(err, os.ErrNotExist):
		return GatewayMissing
	case errors.Is(err, os.ErrPermission):
		return GatewayPermission
	}
	return GatewayFailed
}

// call runs f under the lock within ctx and gatewayTimeout: wgctrl takes
// no context, so a call that hangs is abandoned (its goroutine finishes
// when the kernel or the socket answers).
func (w *WireGuard) call(ctx context.Context, f func() error) error {
	ctx, cancel := context.WithTimeout(ctx, gatewayTimeout)
	defer cancel()
	done := make(chan error, 1)
	go func() {
		w.mu.Lock()
		defer w.mu.Unlock()
		done <- f()
	}()
	select {
	case err := <-done:
		if err != nil {
			return &GatewayError{Code: classify(err), Interface: w.name, Err: err}
		}
		return nil
	case <-ctx.Done():
		return &GatewayError{Code: GatewayFailed, Interface: w.name, Err: ctx.Err()}
	}
}

func (w *WireGuard) device(ctx context.Context) (*wgtypes.Device, error) {
	var d *wgtypes.Device
	err := w.call(ctx, func() (err error) {
		d, err = w.c.Device(w.name)
		return err
	})
	return d, err
}

// PublicKey is the interface's public key.
func (w *WireGuard) PublicKey(ctx context.Context) (string, error) {
	d, err := w.device(ctx)
	if err != nil {
		return "", err
	}
	if d.PublicKey == (wgtypes.Key{}) {
		return "", &GatewayError{Code: GatewayNoKey, Interface: w.name}
	}
	return d.PublicKey.String(), nil
}

// Peers are the interface's peers.
func (w *WireGuard) Peers(ctx context.Context) (map[string][]netip.Prefix, error) {
	d, err := w.device(ctx)
	if err != nil {
		return nil, err
	}
	out := make(map[string][]netip.Prefix, len(d.Peers))
	for _, p := range d.Peers {
		var addrs []netip.Prefix
		for _, n := range p.AllowedIPs {
			if a, ok := netip.AddrFromSlice(n.IP); ok {
				ones, _ := n.Mask.Size()
				addrs = append(addrs, netip.PrefixFrom(a.Unmap(), ones))
			}
		}
		out[p.PublicKey.String()] = addrs
	}
	return out, nil
}

// AddPeer adds the peer, its allowed IPs replaced by addrs.
func (w *WireGuard) AddPeer(ctx context.Context, key string, addrs []netip.Prefix) error {
	k, err := wgtypes.ParseKey(key)
	if err != nil {
		return &GatewayError{Code: GatewayFailed, Interface: w.name, Err: err}
	}
	ips := make([]net.IPNet, 0, len(addrs))
	for _, a := range addrs {
		ips = append(ips, net.IPNet{IP: a.Addr().AsSlice(), Mask: net.CIDRMask(a.Bits(), a.Addr().BitLen())})
	}
	return w.call(ctx, func() error {
		return w.c.ConfigureDevice(w.name, wgtypes.Config{Peers: []wgtypes.PeerConfig{{
			PublicKey: k, ReplaceAllowedIPs: true, AllowedIPs: ips}}})
	})
}

// RemovePeer removes the peer.
func (w *WireGuard) RemovePeer(ctx context.Context, key string) error {
	k, err := wgtypes.ParseKey(key)
	if err != nil {
		return &GatewayError{Code: GatewayFailed, Interface: w.name, Err: err}
	}
	return w.call(ctx, func() error {
		return w.c.ConfigureDevice(w.name, wgtypes.Config{Peers: []wgtypes.PeerConfig{{PublicKey: k, Remove: true}}})
	})
}

// InterfaceAddrs are the addresses of the interface name on this machine
// (never handed out); none when it is not visible here.
func InterfaceAddrs(name string) []netip.Addr {
	ifc, err := net.InterfaceByName(name)
	if err != nil {
		return nil
	}
	addrs, err := ifc.Addrs()
	if err != nil {
		return nil
	}
	var out []netip.Addr
	for _, a := range addrs {
		if n, ok := a.(*net.IPNet); ok {
			if ip, ok := netip.AddrFromSlice(n.IP); ok {
				out = append(out, ip.Unmap())
			}
		}
	}
	return out
}
