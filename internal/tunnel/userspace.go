package tunnel

import (
	"bufio"
	"context"
	"encoding/hex"
	"errors"
	"fmt"
	"net"
	"net/netip"
	"strconv"
	"strings"
	"sync"
	"time"

	"golang.zx2c4.com/wireguard/conn"
	"golang.zx2c4.com/wireguard/device"
	"golang.zx2c4.com/wireguard/tun/netstack"
)

// Deadlines of the userspace tunnel. Every network operation has one.
const (
	// DefaultDialTimeout bounds a Dial whose context has no deadline.
	DefaultDialTimeout = 30 * time.Second
	// ResolveEndpointTimeout bounds the resolution of the peer's endpoint.
	ResolveEndpointTimeout = 10 * time.Second
)

// ErrNotLoopback is returned when a local proxy is asked to listen on an
// address other programs on the network could reach.
var ErrNotLoopback = errors.New("tunnel: local proxies listen on a loopback address only")

// UserspaceOptions tune a userspace tunnel. The zero value starts both
// local proxies on 127.0.0.1 with random ports.
type UserspaceOptions struct {
	// SOCKS5Addr and HTTPAddr are the local proxies' listen addresses:
	// "" means "127.0.0.1:0" (a random port); "off" disables that proxy.
	// Any non-loopback address is refused (ErrNotLoopback).
	SOCKS5Addr string
	HTTPAddr   string
	// ProxyIdleTimeout closes a proxied connection with no traffic either
	// way for that long; 0 means DefaultProxyIdleTimeout.
	ProxyIdleTimeout time.Duration
	// ProxyOwnerUID is the only local user the proxies serve (Linux: the
	// uid owning the connecting socket); nil: the uid of this process. On
	// Windows the owner is always this process's user; on macOS the
	// proxies cannot tell users apart yet and serve every local user (see
	// peer.go).
	ProxyOwnerUID *uint32
	// MaxConnsPerPeer bounds the connections one local user holds through
	// the proxies at once; 0: DefaultMaxConnsPerPeer.
	MaxConnsPerPeer int
	// Logf receives wireguard-go's errors and the proxies' failures, never
	// a key. nil: silent.
	Logf func(format string, args ...any)
	// LookupNetIP resolves names outside the tunnel's DNS domains (and the
	// peer's endpoint); nil: the system resolver. Tests replace it.
	LookupNetIP func(ctx context.Context, network, host string) ([]netip.Addr, error)
	// ReresolveEvery is how often the endpoint's name is resolved again
	// while the tunnel is up (a new address is set at once);
	// 0: DefaultReresolveEvery.
	ReresolveEvery time.Duration
	// EndpointStaleAfter is how long the gateway may stay silent before
	// the next of the peer's endpoints is tried; 0:
	// DefaultEndpointStaleAfter. Keep it above 10 s: WireGuard sends a
	// handshake initiation at most every 5 s, so a gateway just set may
	// take that long to answer, and a shorter threshold would leave it
	// before it could.
	EndpointStaleAfter time.Duration
	// Bind carries WireGuard's UDP packets; nil: wireguard-go's standard
	// bind (a random UDP port on every interface, as any WireGuard client).
	Bind conn.Bind
}

// Off disables a local proxy in UserspaceOptions.
const Off = "off"

// Userspace is a tunnel made of wireguard-go on the gVisor netstack, in this
// process, without privileges. Programs other than Relais reach the tunnel
// through its local SOCKS5 and HTTP proxies.
type Userspace struct {
	cfg     Config
	dev     *device.Device
	net     *netstack.Net
	logf    func(string, ...any)
	lookup  func(ctx context.Context, network, host string) ([]netip.Addr, error)
	proxies []*proxyServer // started proxies; closed by Close
	socks   string
	http    string

	roam *Roam // follows a moving gateway (roam.go)

	closeOnce sync.Once
	closeErr  error
}

var _ Tunnel = (*Userspace)(nil)

// StartUserspace brings up a userspace tunnel: it resolves the peer's
// endpoint (the first of its endpoints whose name resolves), configures wireguard-go on a netstack with cfg's addresses and
// DNS servers, brings the device up and starts the local proxies. The
// tunnel stays up until Close, whatever happens to ctx afterwards; ctx
// bounds the start only. While it is up, a roam loop follows a moving
// gateway (roam.go).
func StartUserspace(ctx context.Context, cfg Config, opt UserspaceOptions) (*Userspace, error) {
	if len(cfg.Addresses) == 0 {
		return nil, ErrNoAddress
	}
	mtu := cfg.MTU
	if mtu == 0 {
		mtu = 1280
	}
	u := &Userspace{cfg: cfg, logf: opt.Logf, lookup: opt.LookupNetIP}
	if u.logf == nil {
		u.logf = func(string, ...any) {}
	}
	if u.lookup == nil {
		u.lookup = net.DefaultResolver.LookupNetIP
	}
	socksAddr, err := loopbackListenAddr(opt.SOCKS5Addr)
	if err != nil {
		return nil, fmt.Errorf("tunnel: socks5 %q: %w", opt.SOCKS5Addr, err)
	}
	httpAddr, err := loopbackListenAddr(opt.HTTPAddr)
	if err != nil {
		return nil, fmt.Errorf("tunnel: http proxy %q: %w", opt.HTTPAddr, err)
	}
	u.roam = NewRoam(cfg.Peer, RoamOptions{Every: opt.ReresolveEvery, StaleAfter: opt.EndpointStaleAfter, Lookup: u.lookup, Logf: u.logf})
	_, endpoint, err := u.roam.ResolveFirst(ctx)
	if err != nil {
		return nil, err
	}

	local := make([]netip.Addr, 0, len(cfg.Addresses))
	for _, p := range cfg.Addresses {
		local = append(local, p.Addr())
	}
	tdev, tnet, err := CreateNetstack(local, cfg.DNS, mtu)
	if err != nil {
		return nil, fmt.Errorf("tunnel: netstack: %w", err)
	}
	bind := opt.Bind
	if bind == nil {
		bind = conn.NewDefaultBind()
	}
	u.dev = device.NewDevice(tdev, bind, wgLogger(u.logf, cfg.PrivateKey, cfg.Peer.PresharedKey))
	u.net = tnet
	if err := u.dev.IpcSet(UAPIConfig(cfg, endpoint)); err != nil {
		u.dev.Close()
		return nil, fmt.Errorf("tunnel: configure: %s", RedactKey(RedactKey(err.Error(), cfg.PrivateKey), cfg.Peer.PresharedKey))
	}
	if err := u.dev.Up(); err != nil {
		u.dev.Close()
		return nil, fmt.Errorf("tunnel: up: %w", err)
	}
	// Shake hands now, keepalive or not: the first check must not wait for
	// a handshake that nothing triggers.
	if err := u.InitiateHandshake(); err != nil {
		u.logf("%v", err) // the first packet sent will start it instead
	}
	u.roam.Start(u.dev)
	idle := opt.ProxyIdleTimeout
	if idle == 0 {
		idle = DefaultProxyIdleTimeout
	}
	guard := newPeerGuard(opt.ProxyOwnerUID, opt.MaxConnsPerPeer)
	if socksAddr != "" {
		p, err := startProxy(socksAddr, socks5Protocol, guard, idle, u.proxyDial, u.logf)
		if err != nil {
			u.Close()
			return nil, fmt.Errorf("tunnel: socks5: %w", err)
		}
		u.proxies = append(u.proxies, p)
		u.socks = p.Addr()
	}
	if httpAddr != "" {
		p, err := startProxy(httpAddr, httpProtocol, guard, idle, u.proxyDial, u.logf)
		if err != nil {
			u.Close()
			return nil, fmt.Errorf("tunnel: http proxy: %w", err)
		}
		u.proxies = append(u.proxies, p)
		u.http = p.Addr()
		pac := PACScript(cfg, u.http, u.socks)
		p.pac.Store(&pac)
	}
	return u, nil
}

// loopbackListenAddr applies the default and refuses non-loopback
// addresses; "" is returned for a disabled proxy.
func loopbackListenAddr(s string) (string, error) {
	switch s {
	case Off:
		return "", nil
	case "":
		return "127.0.0.1:0", nil
	}
	host, _, err := net.SplitHostPort(s)
	if err != nil {
		return "", err
	}
	if host == "localhost" {
		return s, nil
	}
	a, err := netip.ParseAddr(host)
	if err != nil || !a.Unmap().IsLoopback() {
		return "", ErrNotLoopback
	}
	return s, nil
}

// UAPIConfig is the wireguard-go configuration (the UAPI "set" protocol,
// keys in hex), for both modes. It holds the private key: it is passed to
// IpcSet and nowhere else.
func UAPIConfig(cfg Config, endpoint netip.AddrPort) string {
	var b strings.Builder
	fmt.Fprintf(&b, "private_key=%s\nreplace_peers=true\n", hex.EncodeToString(cfg.PrivateKey[:]))
	fmt.Fprintf(&b, "public_key=%s\nendpoint=%s\n", hex.EncodeToString(cfg.Peer.PublicKey[:]), endpoint)
	if cfg.Peer.PresharedKey != (Key{}) {
		fmt.Fprintf(&b, "preshared_key=%s\n", hex.EncodeToString(cfg.Peer.PresharedKey[:]))
	}
	fmt.Fprintf(&b, "persistent_keepalive_interval=%d\nreplace_allowed_ips=true\n", int(cfg.Peer.PersistentKeepalive/time.Second))
	for _, p := range cfg.Peer.AllowedIPs {
		fmt.Fprintf(&b, "allowed_ip=%s\n", p.Masked())
	}
	return b.String()
}

// wgLogger passes wireguard-go's errors to logf, with the private and
// preshared keys removed should one ever appear, and drops its verbose
// chatter.
func wgLogger(logf func(string, ...any), priv, psk Key) *device.Logger {
	return &device.Logger{
		Verbosef: device.DiscardLogf,
		Errorf: func(format string, args ...any) {
			logf("%s", RedactKey(RedactKey("wireguard: "+fmt.Sprintf(format, args...), priv), psk))
		},
	}
}

// RedactKey removes a key, in hex or base64 (the forms wireguard-go and
// wg(8) write), from s. The zero key (no preshared key) is no secret.
func RedactKey(s string, k Key) string {
	if k == (Key{}) {
		return s
	}
	s = strings.ReplaceAll(s, hex.EncodeToString(k[:]), "(key)")
	return strings.ReplaceAll(s, k.String(), "(key)")
}

// inDNSDomains reports whether name is one of the tunnel's DNS domains or
// under one.
func (u *Userspace) inDNSDomains(name string) bool {
	name = strings.ToLower(strings.TrimSuffix(name, "."))
	for _, d := range u.cfg.DNSDomains {
		d = strings.ToLower(strings.TrimSuffix(d, "."))
		if name == d || strings.HasSuffix(name, "."+d) {
			return true
		}
	}
	return false
}

// Resolve returns the addresses of host: names under the tunnel's DNS
// domains are asked of the tunnel's DNS servers through the tunnel; other
// names of the system resolver.
func (u *Userspace) Resolve(ctx context.Context, host string) ([]netip.Addr, error) {
	if a, err := netip.ParseAddr(host); err == nil {
		return []netip.Addr{a.Unmap()}, nil
	}
	if u.inDNSDomains(host) && len(u.cfg.DNS) > 0 {
		names, err := u.net.LookupContextHost(ctx, host)
		if err != nil {
			return nil, fmt.Errorf("tunnel: resolve %s through the tunnel: %w", host, err)
		}
		addrs := make([]netip.Addr, 0, len(names))
		for _, n := range names {
			if a, err := netip.ParseAddr(n); err == nil {
				addrs = append(addrs, a.Unmap())
			}
		}
		return addrs, nil
	}
	addrs, err := u.lookup(ctx, "ip", host)
	if err != nil {
		return nil, fmt.Errorf("tunnel: resolve %s: %w", host, err)
	}
	for i := range addrs {
		addrs[i] = addrs[i].Unmap()
	}
	return addrs, nil
}

// Dial connects to address through the tunnel. A ctx without a deadline
// gets DefaultDialTimeout.
func (u *Userspace) Dial(ctx context.Context, network, address string) (net.Conn, error) {
	if _, ok := ctx.Deadline(); !ok {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, DefaultDialTimeout)
		defer cancel()
	}
	host, port, err := splitHostPort(address)
	if err != nil {
		return nil, fmt.Errorf("tunnel: dial %s: %w", address, err)
	}
	addrs, err := u.Resolve(ctx, host)
	if err != nil {
		return nil, err
	}
	return u.dialAddrs(ctx, network, address, addrs, port)
}

// dialAddrs dials each of addrs (at port) in turn until one answers.
func (u *Userspace) dialAddrs(ctx context.Context, network, address string, addrs []netip.Addr, port uint16) (net.Conn, error) {
	var lastErr error = fmt.Errorf("tunnel: dial %s: no address", address)
	for _, a := range addrs {
		if (strings.HasSuffix(network, "4") && !a.Is4()) || (strings.HasSuffix(network, "6") && !a.Is6()) {
			continue
		}
		ap := netip.AddrPortFrom(a, port)
		var c net.Conn
		var err error
		switch network {
		case "tcp", "tcp4", "tcp6":
			c, err = u.net.DialContextTCPAddrPort(ctx, ap)
		case "udp", "udp4", "udp6":
			c, err = u.net.DialUDPAddrPort(netip.AddrPort{}, ap)
		default:
			return nil, fmt.Errorf("tunnel: dial: network %q not supported", network)
		}
		if err == nil {
			return c, nil
		}
		lastErr = fmt.Errorf("tunnel: dial %s (%s): %w", address, ap, err)
		if ctx.Err() != nil {
			break
		}
	}
	return nil, lastErr
}

// proxyDial is the local proxies' dial: like Dial, but a destination
// none of whose addresses is inside the peer's allowed_ips is refused at
// once (ErrOutsideTunnel) instead of waiting for a dial that WireGuard
// would never route. Only the addresses inside are dialled.
func (u *Userspace) proxyDial(ctx context.Context, network, address string) (net.Conn, error) {
	if _, ok := ctx.Deadline(); !ok {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, DefaultDialTimeout)
		defer cancel()
	}
	host, port, err := splitHostPort(address)
	if err != nil {
		return nil, fmt.Errorf("tunnel: dial %s: %w", address, err)
	}
	addrs, err := u.Resolve(ctx, host)
	if err != nil {
		return nil, err
	}
	inside := insideAllowed(u.cfg.Peer.AllowedIPs, addrs)
	if len(inside) == 0 {
		return nil, &OutsideError{Host: host, Addrs: addrs}
	}
	return u.dialAddrs(ctx, network, address, inside, port)
}

// Status reads the device's state (handshake, bytes, endpoint).
func (u *Userspace) Status() Status {
	s := Status{Mode: ModeUserspace, SOCKS5: u.socks, HTTPProxy: u.http}
	s.EndpointName, _ = u.roam.Endpoint()
	for _, p := range u.cfg.Addresses {
		s.Addresses = append(s.Addresses, p.String())
	}
	get, err := u.dev.IpcGet()
	if err != nil {
		return s
	}
	s.Up = true
	parseUAPIStatus(get, &s)
	return s
}

// parseUAPIStatus reads the peer's fields from a UAPI "get" answer. The
// answer holds the private key: it is read past, never kept.
func parseUAPIStatus(get string, s *Status) {
	var sec, nsec int64
	sc := bufio.NewScanner(strings.NewReader(get))
	for sc.Scan() {
		k, v, ok := strings.Cut(sc.Text(), "=")
		if !ok {
			continue
		}
		switch k {
		case "endpoint":
			s.Endpoint = v
		case "last_handshake_time_sec":
			sec, _ = strconv.ParseInt(v, 10, 64)
		case "last_handshake_time_nsec":
			nsec, _ = strconv.ParseInt(v, 10, 64)
		case "rx_bytes":
			s.RxBytes, _ = strconv.ParseInt(v, 10, 64)
		case "tx_bytes":
			s.TxBytes, _ = strconv.ParseInt(v, 10, 64)
		}
	}
	if sec != 0 || nsec != 0 {
		s.LastHandshake = time.Unix(sec, nsec)
	}
}

// InitiateHandshake starts a handshake with the peer now (see the
// package's InitiateHandshake); wireguard-go retries it by itself while
// the peer does not answer.
func (u *Userspace) InitiateHandshake() error {
	return InitiateHandshake(u.dev, u.cfg.Peer.PublicKey, u.cfg.Peer.PersistentKeepalive)
}

// SOCKS5Addr is the local SOCKS5 proxy's address ("" when off).
func (u *Userspace) SOCKS5Addr() string { return u.socks }

// HTTPProxyAddr is the local HTTP proxy's address ("" when off).
func (u *Userspace) HTTPProxyAddr() string { return u.http }

// Close stops the proxies (and every connection through them) and the
// device, and waits for their goroutines.
func (u *Userspace) Close() error {
	u.closeOnce.Do(func() {
		u.roam.Stop() // it uses the device
		for _, p := range u.proxies {
			p.Close()
		}
		if u.dev != nil {
			u.dev.Close()
		}
	})
	return u.closeErr
}

// splitHostPort splits host:port, the port a number (a service name is
// no port here).
func splitHostPort(address string) (string, uint16, error) {
	host, port, err := net.SplitHostPort(address)
	if err != nil {
		return "", 0, err
	}
	n, err := strconv.ParseUint(port, 10, 16)
	if err != nil {
		return "", 0, errors.New("bad port")
	}
	return host, uint16(n), nil
}
