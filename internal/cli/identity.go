package cli

// STUB — replaced by the identity work (issue 3).

import (
	"context"
	"errors"

	"relais/internal/profile"
	"relais/internal/tunnel"
)

// deviceTunnelConfig builds the tunnel configuration from the profile and
// the device identity: the private key from the OS keyring, the addresses
// from the store (else the profile's tunnel.address).
func (r *run) deviceTunnelConfig(ctx context.Context, m *machine, p *profile.Profile) (tunnel.Config, error) {
	return tunnel.Config{}, errors.New("cli: device identity not implemented yet")
}
