// Package tunnel brings up the WireGuard tunnel to the emergency
// environment, in userspace mode (wireguard-go on the gVisor netstack, no
// privileges, local SOCKS5 and HTTP proxies for other programs) or in
// system mode (through the privileged helper, a real TUN interface). Both
// modes report the same Status and offer the same Dial.
//
// It never stores a private key: the key comes from the caller (who read it
// from the OS keyring) and lives in memory only, and it is never logged.
package tunnel

import (
	"context"
	"net"
	"net/netip"
	"time"

	"relais/internal/status"
)

// Mode is how the tunnel is made (a value of package status, where front
// ends name it).
type Mode = status.Mode

// Modes. Auto picks System when the helper answers, else Userspace.
const (
	ModeAuto      = status.ModeAuto
	ModeUserspace = status.ModeUserspace
	ModeSystem    = status.ModeSystem
)

// Key is a WireGuard key (Curve25519), private or public.
type Key [32]byte

// Peer is the emergency environment's WireGuard server.
type Peer struct {
	PublicKey           Key
	PresharedKey        Key            // zero: none; memory only, like the private key
	Endpoint            string         // host:port; a host name is resolved when the tunnel comes up (and again while it is up, in userspace mode)
	Endpoints           []string       // standby gateways (host:port), tried in order after Endpoint
	AllowedIPs          []netip.Prefix // routed through the tunnel
	PersistentKeepalive time.Duration  // 0: off
}

// Config is everything needed to bring a tunnel up.
type Config struct {
	PrivateKey Key            // the device's key; memory only
	Addresses  []netip.Prefix // the device's tunnel addresses
	Peer       Peer
	DNS        []netip.Addr // resolvers reached through the tunnel
	DNSDomains []string     // names under these domains are resolved by DNS (others by the system)
	MTU        int          // 0: 1280
}

// Status is the state of a tunnel, the same struct in both modes (a value
// of package status, where front ends name it: status.Tunnel).
type Status = status.Tunnel

// HandshakeInitiator is a tunnel that can start a WireGuard handshake on
// demand (both modes start one when they come up; the engine asks again
// when the handshake has gone stale and nothing else would renew it).
type HandshakeInitiator interface {
	InitiateHandshake() error
}

// Tunnel is an up tunnel, in either mode.
type Tunnel interface {
	// Dial connects through the tunnel (names under the tunnel's DNS
	// domains resolved by the tunnel's DNS servers). Every call must carry
	// a deadline in ctx.
	Dial(ctx context.Context, network, address string) (net.Conn, error)
	// Status reads the current state.
	Status() Status
	// Close tears the tunnel down and releases everything it holds.
	Close() error
}
