package cli

import (
	"context"
	"errors"
	"fmt"
	"time"

	"relais/internal/engine"
	"relais/internal/profile"
	"relais/internal/store"
	"relais/internal/tunnel"
)

// The wiring of Mode urgence that `relais check` (one round) and `relais
// up` (until stopped) share.

// chooseMode picks the tunnel mode: the --mode flag, else the mode the
// user saved in the settings, else auto; the managed lock wins over the
// setting and refuses a different flag.
func (r *run) chooseMode(ctx context.Context, m *machine, flagValue string) (tunnel.Mode, int) {
	mode := tunnel.Mode(flagValue)
	if m.managed != nil && m.managed.Locked.TunnelMode != nil {
		locked := tunnel.Mode(*m.managed.Locked.TunnelMode)
		if mode != "" && mode != locked {
			return "", r.fail(ExitUsage, "cli.tunnel.mode_locked", locked)
		}
		mode = locked
	}
	if mode == "" {
		saved, err := m.db.Setting(ctx, settingTunnelMode)
		if err != nil && !errors.Is(err, store.ErrNotFound) {
			return "", r.fail(ExitUsage, "cli.store.read", err.Error())
		}
		mode = tunnel.Mode(saved)
	}
	if mode == "" {
		mode = tunnel.ModeAuto
	}
	switch mode {
	case tunnel.ModeAuto, tunnel.ModeUserspace, tunnel.ModeSystem:
		return mode, ExitOK
	}
	return "", r.fail(ExitUsage, "cli.tunnel.bad_mode", mode)
}

// cliError is an error the engine's seams return that the CLI has words for
// (exit 2: configuration or environment).
type cliError struct {
	key  string
	args []any
}

func (e *cliError) Error() string { return e.key }

// engineOptions is what differs between the front ends of the engine.
type engineOptions struct {
	// once: a single round of checks (relais check); otherwise the engine
	// re-checks every recheck (0: the engine's default) until stopped, and
	// syncs the profile in the background.
	once    bool
	recheck time.Duration
	// proxies: the userspace tunnel's local SOCKS5 and HTTP proxies ("":
	// a random loopback port); without it, none (relais check).
	proxies         bool
	socks, httpAddr string
	// noReuse: always bring a tunnel up, even if another process keeps a
	// system tunnel up (relais up owns its tunnel).
	noReuse bool
	// tunnelConfig, if set, replaces the device's tunnel configuration
	// (tunnelConfigFor): the demo office's client key.
	tunnelConfig func(ctx context.Context, p *profile.Profile) (tunnel.Config, error)
	// ownMemoryLimit: leave the process's memory limit alone (the desktop
	// app, whose heap holds the GUI besides the tunnel).
	ownMemoryLimit bool
}

// newEngine builds the engine of this machine: the cached profile, the
// device's tunnel in mode (reusing a system tunnel already up unless
// opt.noReuse), the check runner, the store.
func (r *run) newEngine(ctx context.Context, m *machine, mode tunnel.Mode, opt engineOptions) (*engine.Engine, int) {
	logf := func(format string, a ...any) {
		_ = m.db.LogEvent(context.Background(), "engine", fmt.Sprintf(format, a...))
	}
	var cur *store.CachedProfile
	e := &engine.Engine{Store: m.db, Checks: checkRunner, Once: opt.once, RecheckInterval: opt.recheck, Now: r.Now, Logf: logf}
	e.LoadProfile = func(ctx context.Context) (*engine.Loaded, error) {
		c, err := m.db.CurrentProfile(ctx)
		if errors.Is(err, store.ErrNotFound) {
			return nil, &cliError{key: "cli.tunnel.no_profile"}
		}
		if err != nil {
			return nil, &cliError{key: "cli.store.read", args: []any{err.Error()}}
		}
		p, err := profile.Parse("profile.toml", c.Bytes)
		if err != nil {
			return nil, &cliError{key: "cli.profile.show.unreadable", args: []any{r.describe(err)}}
		}
		cur = c
		info := engine.ProfileInfo{Serial: c.Serial}
		info.Signature, _ = m.signature(c)
		info.Signed = info.Signature == "valid"
		return &engine.Loaded{Profile: p, Info: info}, nil
	}
	if !opt.once && m.managed != nil && m.managed.ProfileURL != "" {
		e.SyncProfile = func(ctx context.Context) (*engine.Loaded, error) {
			return r.syncForEngine(ctx, m, m.managed.ProfileURL, m.keys)
		}
	}
	uopt := tunnel.UserspaceOptions{SOCKS5Addr: tunnel.Off, HTTPAddr: tunnel.Off,
		Logf: func(format string, a ...any) { logf("tunnel: "+format, a...) }}
	if opt.proxies {
		uopt.SOCKS5Addr, uopt.HTTPAddr = opt.socks, opt.httpAddr
	}
	e.StartTunnel = func(ctx context.Context, p *profile.Profile) (tunnel.Tunnel, bool, error) {
		if mode != tunnel.ModeUserspace && !opt.noReuse {
			if t := r.runningSystemTunnel(ctx, m); t != nil {
				return t, false, nil
			}
		}
		var cfg tunnel.Config
		var err error
		if opt.tunnelConfig != nil {
			cfg, err = opt.tunnelConfig(ctx, p)
		} else {
			cfg, err = tunnelConfigFor(ctx, r, m, p)
		}
		if err != nil {
			return nil, false, fmt.Errorf("%s %w", r.t("cli.check.no_tunnel_config"), err)
		}
		use := mode
		if use == tunnel.ModeAuto {
			use = tunnel.ModeUserspace
			if r.systemHelperAvailable(ctx) {
				use = tunnel.ModeSystem
			}
		}
		if use == tunnel.ModeSystem {
			t, err := r.startSystemTunnel(ctx, m, cur, cfg)
			return t, true, err
		}
		if !opt.ownMemoryLimit {
			limitMemory(tunnel.DefaultMemoryLimit)
		}
		u, err := tunnel.StartUserspace(ctx, cfg, uopt)
		if err != nil {
			return nil, false, err
		}
		return u, true, nil
	}
	return e, ExitOK
}
