package cli

// STUB — replaced by the system-mode work (issue 3): relais helper, and the
// client side used by relais up.

import (
	"context"
	"errors"

	"relais/internal/store"
	"relais/internal/tunnel"
)

func cmdHelper(_ context.Context, r *run, _ []string) int {
	return r.fail(ExitUsage, "cli.error.unknown_command", "helper")
}

// systemHelperAvailable reports whether the privileged helper answers on
// its socket (auto mode uses system mode then).
func (r *run) systemHelperAvailable(ctx context.Context) bool { return false }

// startSystemTunnel asks the privileged helper to bring the tunnel up from
// the cached (signed) profile, handing it the device's configuration. The
// tunnel lives as long as the returned Tunnel is open.
func (r *run) startSystemTunnel(ctx context.Context, m *machine, cur *store.CachedProfile, cfg tunnel.Config) (tunnel.Tunnel, error) {
	return nil, errors.New("cli: system mode not implemented yet")
}
