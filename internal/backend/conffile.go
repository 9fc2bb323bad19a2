package backend

// The device's tunnel exported as a wg-quick .conf (`relais key
// export-conf`): for IT to check, or for another WireGuard client.

import (
	"context"
	"time"

	"golang.zx2c4.com/wireguard/wgctrl/wgtypes"

	"relais/internal/atomicfile"
	"relais/internal/frontend"
	"relais/internal/profile"
	"relais/internal/tunnel"
	"relais/internal/wgconf"
)

// Conf is the device's tunnel as a .conf file.
type Conf struct {
	File wgconf.File
	// WithKey: the file holds the private key (and any preshared key).
	WithKey bool
}

// ExportConf builds the .conf of the device's tunnel under profile p:
// with the private key from the keyring when withKey is set, else without
// it (no keyring needed). Its errors are the device identity's
// (DeviceTunnelConfig, PublicTunnelConfig).
func (m *Machine) ExportConf(ctx context.Context, p *profile.Profile, withKey bool) (*Conf, error) {
	var (
		cfg tunnel.Config
		err error
	)
	if withKey {
		cfg, err = m.DeviceTunnelConfig(ctx, p)
	} else {
		cfg, err = m.PublicTunnelConfig(ctx, p)
	}
	if err != nil {
		return nil, err
	}
	return ConfOf(cfg, withKey), nil
}

// ConfOf is cfg as a .conf file, its keys only when withKey is set.
func ConfOf(cfg tunnel.Config, withKey bool) *Conf {
	f := wgconf.File{
		Interface: wgconf.Interface{Addresses: cfg.Addresses, DNS: cfg.DNS, DNSSearch: cfg.DNSDomains, MTU: cfg.MTU},
		Peers: []wgconf.Peer{{PublicKey: wgtypes.Key(cfg.Peer.PublicKey), Endpoint: cfg.Peer.Endpoint,
			AllowedIPs: cfg.Peer.AllowedIPs, PersistentKeepalive: int(cfg.Peer.PersistentKeepalive / time.Second)}},
	}
	if withKey {
		k := wgtypes.Key(cfg.PrivateKey)
		f.Interface.PrivateKey = &k
		if cfg.Peer.PresharedKey != (tunnel.Key{}) {
			psk := wgtypes.Key(cfg.Peer.PresharedKey)
			f.Peers[0].PresharedKey = &psk
		}
	}
	return &Conf{File: f, WithKey: withKey}
}

// Bytes is the file's text: header as a comment on the first line, and,
// without the private key, note as a comment where it would be (the front
// end words both). Its error is coded: cli.key.export.invalid.
func (c *Conf) Bytes(header, note string) ([]byte, error) {
	f := c.File
	if !c.WithKey {
		f.Interface.PrivateKeyNote = note
	}
	body, err := f.Marshal()
	if err != nil {
		return nil, frontend.Wrap(err, "cli.key.export.invalid", err.Error())
	}
	return append([]byte("# "+header+"\n"), body...), nil
}

// SaveConf writes a .conf to path, readable by its owner only from its
// first byte whatever the old file's mode (it may hold the private key),
// atomically. Its error is coded: cli.key.export.write.
func SaveConf(path string, data []byte) error {
	if err := atomicfile.WriteFile(path, data, 0o600); err != nil {
		return frontend.Wrap(err, "cli.key.export.write", path, err.Error())
	}
	return nil
}
