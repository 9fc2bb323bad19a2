package backend

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"slices"

	"relais/internal/checks"
	"relais/internal/engine"
	"relais/internal/frontend"
	"relais/internal/office"
	"relais/internal/tunnel"
)

// StartTunnel brings the demo tunnel up in userspace, as `relais demo`
// runs it: its local SOCKS5 and HTTP proxies listen on socks and http
// ("": a random loopback port; tunnel.Off: none), and it logs in the demo
// store. The caller closes it. Its errors are *frontend.Error:
// cli.tunnel.not_loopback for a proxy address that is not a loopback one,
// cli.demo.tunnel_failed otherwise.
func (d *Demo) StartTunnel(ctx context.Context, socks, http string) (*tunnel.Userspace, error) {
	cfg, err := d.TunnelConfig(ctx, d.Profile)
	if err != nil {
		return nil, frontend.Wrap(err, "cli.demo.tunnel_failed", err)
	}
	db := d.DB
	opt := tunnel.UserspaceOptions{SOCKS5Addr: socks, HTTPAddr: http,
		Logf: func(format string, a ...any) {
			_ = db.LogEvent(context.Background(), "tunnel", fmt.Sprintf(format, a...))
		}}
	d.env.LimitMemory(tunnel.DefaultMemoryLimit)
	startCtx, cancel := context.WithTimeout(ctx, StartTimeout)
	defer cancel()
	u, err := tunnel.StartUserspace(startCtx, cfg, opt)
	switch {
	case errors.Is(err, tunnel.ErrNotLoopback):
		return nil, frontend.Wrap(err, "cli.tunnel.not_loopback")
	case err != nil:
		return nil, frontend.Wrap(err, "cli.demo.tunnel_failed", err)
	}
	return u, nil
}

// CheckOnce runs Mode urgence for one round of checks through t (the demo
// tunnel, StartTunnel's), exactly as `relais check` runs it, against the
// profile just accepted (`relais demo --headless`). Its errors are as
// Machine.CheckOnce's.
// The office's notices are fetched first, as the app does when Mode
// urgence starts: its maintenance window shows.
func (d *Demo) CheckOnce(ctx context.Context, t tunnel.Tunnel) (engine.Snapshot, error) {
	m := d.Machine()
	_, _ = m.SyncNotices(ctx, d.Profile)
	return runOnce(ctx, m.NewEngine(tunnel.ModeUserspace, SessionOptions{Once: true, Reuse: t, Loaded: d.Loaded()}))
}

// Notices are the demo office's notices as the demo store keeps them.
func (d *Demo) Notices(ctx context.Context) frontend.NoticesState {
	return d.Machine().NoticesState(ctx, d.Profile, d.env.Now())
}

// designedState is the state each kind of demo app must show.
var designedState = map[office.Behaviour]checks.State{office.Healthy: checks.StateOK, office.Slow: checks.StateDegraded, office.Broken: checks.StateFailed}

// DemoSurprises lists the demo apps whose state in rep is not the
// designed one (the healthy app ok, the slow one degraded, the broken one
// failed — or, being office.MaintenanceApp, under its announced
// maintenance when the notices were received —, the one that requires it
// blocked), as "id: state", sorted by id; none when the demo showed what
// it is for.
func DemoSurprises(rep *checks.Report) []string {
	want := map[string]checks.State{office.Dependent: checks.StateBlocked}
	for _, a := range office.Apps {
		want[a.ID] = designedState[a.Behaviour]
	}
	var wrong []string
	for _, id := range slices.Sorted(maps.Keys(want)) {
		got := checks.State("missing")
		if a := rep.App(id); a != nil {
			got = a.State
		}
		if id == office.MaintenanceApp && got == checks.StateMaintenance && want[id] == checks.StateFailed {
			continue // down, as designed, during the window the office announces
		}
		if got != want[id] {
			wrong = append(wrong, fmt.Sprintf("%s: %s", id, got))
		}
	}
	return wrong
}

// TryURL is an address of the demo office to try through the demo
// tunnel's proxy: its healthy app's health page.
func (d *Demo) TryURL() string { return office.Apps[0].HealthURL }
