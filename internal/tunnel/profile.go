package tunnel

import (
	"encoding/base64"
	"errors"
	"fmt"
	"net/netip"
	"time"

	"relais/internal/profile"
)

// ErrNoAddress means neither the device identity nor the profile gives the
// device a tunnel address.
var ErrNoAddress = errors.New("tunnel: no tunnel address for this device (import the .conf from IT)")

// ParseKey decodes a base64 WireGuard key.
func ParseKey(s string) (Key, error) {
	var k Key
	b, err := base64.StdEncoding.DecodeString(s)
	if err != nil || len(b) != len(k) {
		return k, errors.New("tunnel: not a base64 WireGuard key (32 bytes)")
	}
	copy(k[:], b)
	return k, nil
}

// String is the key in base64, as wg(8) prints it. Never log a private key.
func (k Key) String() string { return base64.StdEncoding.EncodeToString(k[:]) }

// FromProfile builds a tunnel configuration from the profile's [tunnel]
// section, the device's private key, and its addresses (those of the
// device identity; when it has none, the profile's own tunnel.address).
func FromProfile(t profile.Tunnel, priv Key, addresses []netip.Prefix) (Config, error) {
	c := Config{PrivateKey: priv, MTU: t.MTU, DNSDomains: t.DNSDomains}
	if len(addresses) == 0 {
		for _, a := range t.Address {
			p, err := netip.ParsePrefix(a)
			if err != nil {
				return c, fmt.Errorf("tunnel: profile address %q: %w", a, err)
			}
			addresses = append(addresses, p)
		}
	}
	if len(addresses) == 0 {
		return c, ErrNoAddress
	}
	c.Addresses = addresses
	pub, err := ParseKey(t.ServerPublicKey)
	if err != nil {
		return c, fmt.Errorf("tunnel: server_public_key: %w", err)
	}
	c.Peer = Peer{PublicKey: pub, PersistentKeepalive: time.Duration(t.PersistentKeepalive) * time.Second}
	if list := t.EndpointList(); len(list) > 0 {
		c.Peer.Endpoint, c.Peer.Endpoints = list[0], list[1:]
	}
	for _, a := range t.AllowedIPs {
		p, err := netip.ParsePrefix(a)
		if err != nil {
			return c, fmt.Errorf("tunnel: allowed_ips %q: %w", a, err)
		}
		c.Peer.AllowedIPs = append(c.Peer.AllowedIPs, p.Masked())
	}
	for _, d := range t.DNS {
		a, err := netip.ParseAddr(d)
		if err != nil {
			return c, fmt.Errorf("tunnel: dns %q: %w", d, err)
		}
		c.DNS = append(c.DNS, a)
	}
	if c.MTU == 0 {
		c.MTU = 1280
	}
	return c, nil
}
