package backend

// One Mode urgence session's wiring, the only place an engine is built
// (NewEngine): the cached profile, the device's tunnel in the chosen mode
// (or one another process holds), the check runner, the store. `relais
// check` (one round), `relais up`, the demo and the app all use it.

import (
	"context"
	"errors"
	"fmt"
	"path/filepath"
	"time"

	"relais/internal/checks"
	"relais/internal/engine"
	"relais/internal/frontend"
	"relais/internal/instance"
	"relais/internal/profile"
	"relais/internal/profile/profilesync"
	"relais/internal/store"
	"relais/internal/tunnel"
)

// The user's settings, as the main store keeps them.
const (
	SettingLanguage   = "language"
	SettingAutostart  = "autostart"
	SettingTunnelMode = "tunnel_mode"
)

// StartTimeout bounds bringing a tunnel up.
const StartTimeout = 30 * time.Second

// ChooseMode picks the tunnel mode: flagValue (a front end's choice), else
// the mode the user saved in the settings, else auto; the managed lock
// wins over the setting and refuses a different choice. Its errors are
// *frontend.Error.
func (m *Machine) ChooseMode(ctx context.Context, flagValue string) (tunnel.Mode, error) {
	mode := tunnel.Mode(flagValue)
	if m.Managed != nil && m.Managed.Locked.TunnelMode != nil {
		locked := tunnel.Mode(*m.Managed.Locked.TunnelMode)
		if mode != "" && mode != locked {
			return "", frontend.Errorf("cli.tunnel.mode_locked", locked)
		}
		mode = locked
	}
	if mode == "" {
		saved, err := m.DB.Setting(ctx, SettingTunnelMode)
		if err != nil && !errors.Is(err, store.ErrNotFound) {
			return "", frontend.Wrap(err, "cli.store.read", err.Error())
		}
		mode = tunnel.Mode(saved)
	}
	if mode == "" {
		mode = tunnel.ModeAuto
	}
	switch mode {
	case tunnel.ModeAuto, tunnel.ModeUserspace, tunnel.ModeSystem:
		return mode, nil
	}
	return "", frontend.Errorf("cli.tunnel.bad_mode", mode)
}

// SessionOptions is what differs between the front ends of a session.
type SessionOptions struct {
	// Once: a single round of checks (relais check); otherwise the engine
	// re-checks every Recheck (0: the engine's default) until stopped, and
	// syncs the profile in the background.
	Once    bool
	Recheck time.Duration
	// Proxies: the userspace tunnel's local SOCKS5 and HTTP proxies ("":
	// a random loopback port); without it, none (relais check).
	Proxies     bool
	SOCKS, HTTP string
	// Reuse, if set, is a tunnel the session uses and never closes: the
	// one another process of this user holds (ReuseOrClaim), or the demo
	// tunnel. Otherwise the caller holds the tunnel lock (ClaimTunnel)
	// and the engine brings its own up.
	Reuse tunnel.Tunnel
	// TunnelConfig, if set, replaces the device's tunnel configuration:
	// the demo office's client key.
	TunnelConfig func(ctx context.Context, p *profile.Profile) (tunnel.Config, error)
	// Loaded, if set, is the profile the session runs instead of the
	// cached one (the demo's, just accepted).
	Loaded *engine.Loaded
	// OwnMemoryLimit: leave the process's memory limit alone (the desktop
	// app, whose heap holds the GUI besides the tunnel).
	OwnMemoryLimit bool
	// SystemProxy: point the person's proxy setting at the userspace
	// tunnel's PAC while the session runs (sysproxy.go).
	SystemProxy bool
}

// NewEngine builds the engine of a Mode urgence session on this machine.
// Its seams' errors are *frontend.Error.
func (m *Machine) NewEngine(mode tunnel.Mode, opt SessionOptions) *engine.Engine {
	env := m.Env
	logf := func(format string, a ...any) {
		_ = m.DB.LogEvent(context.Background(), "engine", fmt.Sprintf(format, a...))
	}
	var cur *store.CachedProfile
	e := &engine.Engine{Store: m.DB, Checks: m.checkRunner, Once: opt.Once, RecheckInterval: opt.Recheck, Now: env.Now, Logf: logf}
	e.Maintenance = m.Maintenance // the announced windows (notices.go)
	e.Revoked = m.Revoked         // an enrolled key the server revoked (enrol.go)
	e.LoadProfile = func(ctx context.Context) (*engine.Loaded, error) {
		if opt.Loaded != nil {
			m.ensureNotices(ctx, opt.Loaded.Profile)
			return opt.Loaded, nil
		}
		c, err := m.Policy().Current(ctx)
		if errors.Is(err, ErrNoProfile) {
			return nil, frontend.Wrap(err, "cli.tunnel.no_profile")
		}
		if errors.Is(err, ErrUnreadable) {
			return nil, frontend.Wrap(err, "cli.profile.show.unreadable", errors.Unwrap(err))
		}
		if err != nil {
			return nil, frontend.Wrap(err, "cli.store.read", err.Error())
		}
		cur = c.Cached
		m.ensureNotices(ctx, c.Profile)
		info := engine.ProfileInfo{Serial: c.Cached.Serial, Signature: c.Signature, Signed: c.Signed()}
		return &engine.Loaded{Profile: c.Profile, Info: info}, nil
	}
	if !opt.Once && opt.Loaded == nil && m.Policy().HasURL() {
		e.SyncProfile = m.syncForEngine
	}
	uopt := tunnel.UserspaceOptions{SOCKS5Addr: tunnel.Off, HTTPAddr: tunnel.Off,
		Logf: func(format string, a ...any) { logf("tunnel: "+format, a...) }}
	if opt.Proxies {
		uopt.SOCKS5Addr, uopt.HTTPAddr = opt.SOCKS, opt.HTTP
	}
	e.StartTunnel = func(ctx context.Context, p *profile.Profile) (tunnel.Tunnel, bool, error) {
		if opt.Reuse != nil {
			return opt.Reuse, false, nil
		}
		var cfg tunnel.Config
		var err error
		switch {
		case opt.TunnelConfig != nil:
			cfg, err = opt.TunnelConfig(ctx, p)
		case env.Seams.TunnelConfig != nil:
			cfg, err = env.Seams.TunnelConfig(ctx, m, p)
		default:
			cfg, err = m.DeviceTunnelConfig(ctx, p)
		}
		if err != nil {
			// The engine records the failure's code (only this side knows
			// a store without identity, or a key that does not match it).
			cause := err
			switch {
			case errors.Is(err, ErrNoIdentity):
				cause = &engine.CodedTunnelError{Code: engine.TunnelNoIdentity, Err: err}
			case errors.Is(err, ErrKeyMismatch):
				cause = &engine.CodedTunnelError{Code: engine.TunnelKeyMismatch, Err: err}
			}
			return nil, false, &frontend.Error{Key: "cli.check.no_tunnel_config", Then: m.identityError(err), Err: cause}
		}
		if env.Seams.StartTunnel != nil {
			t, err := env.Seams.StartTunnel(ctx, cfg)
			return t, err == nil, err
		}
		use := mode
		if use == tunnel.ModeAuto {
			use = tunnel.ModeUserspace
			if m.SystemHelperAvailable(ctx) {
				use = tunnel.ModeSystem
			}
		}
		if use == tunnel.ModeSystem {
			t, err := m.StartSystemTunnel(ctx, cur, cfg)
			return t, true, err
		}
		if !opt.OwnMemoryLimit {
			env.LimitMemory(tunnel.DefaultMemoryLimit)
		}
		u, err := tunnel.StartUserspace(ctx, cfg, uopt)
		if err != nil {
			return nil, false, err
		}
		return u, true, nil
	}
	return e
}

// syncForEngine syncs the profile in the background, under the one
// profile policy (the URL, then a newer bootstrap file); it returns the
// newly accepted profile, or nil when nothing was newer.
func (m *Machine) syncForEngine(ctx context.Context) (*engine.Loaded, error) {
	res, err := m.Policy().Sync(ctx)
	if err != nil {
		return nil, err
	}
	if res.Outcome != profilesync.Accepted {
		return nil, nil
	}
	return &engine.Loaded{Profile: res.Profile, Info: engine.ProfileInfo{Serial: res.Profile.Serial, Signed: true, Signature: SignatureValid}}, nil
}

// One key, one tunnel: two WireGuard peers with the same key fight over
// the gateway's endpoint, and each loses its traffic by turns. Whoever
// brings the device's tunnel up (relais up, the app's Mode urgence,
// relais check) holds an exclusive lock beside the store it records in;
// the system drops the lock with the process, however it ends, so a
// holder that died never blocks. Another process of this user reuses the
// holder's tunnel (relais check) or is refused with an error that names
// it (relais up, the app).

// DefaultReuseWait bounds how long relais check waits for the holder of
// the tunnel to record a tunnel it can reuse (a holder that is starting),
// or to let the lock go (another relais check).
const DefaultReuseWait = 5 * time.Second

// TunnelLockPath is the lock of the tunnel of the store m records in.
func (m *Machine) TunnelLockPath() string {
	return filepath.Join(filepath.Dir(m.DB.Path()), "tunnel.lock")
}

// ClaimTunnel takes the device's tunnel for this process. When another
// process holds it, the error is a *frontend.Error naming it (key: one of
// instance.up.running, instance.desk.running).
func (m *Machine) ClaimTunnel(ctx context.Context, key string) (*instance.Lock, error) {
	l, err := instance.TryLock(m.TunnelLockPath())
	var held *instance.HeldError
	switch {
	case err == nil:
		return l, nil
	case errors.As(err, &held):
		return nil, m.heldError(ctx, key, held.PID)
	}
	return nil, frontend.Wrap(err, "cli.store.write", err.Error())
}

// heldError names a tunnel another process holds: its process id, and
// its local proxy when it records one.
func (m *Machine) heldError(ctx context.Context, key string, pid int) *frontend.Error {
	var socks any = ""
	if st, ok := m.LiveTunnel(ctx); ok && st.SOCKS5 != "" {
		socks = frontend.Errorf("instance.proxy", st.SOCKS5)
	}
	if pid <= 0 {
		return frontend.Errorf(key+"_unknown", socks)
	}
	return frontend.Errorf(key, pid, socks)
}

// ReuseOrClaim is the tunnel relais check uses: the one another process
// of this user holds (a system tunnel as is, a userspace tunnel through
// its SOCKS5 proxy), or, when none does, the lock to bring one up (lock
// non-nil, tunnel nil). A holder whose tunnel cannot be reused (it
// records none within the reuse wait) gets a *frontend.Error naming it.
func (m *Machine) ReuseOrClaim(ctx context.Context) (tunnel.Tunnel, *instance.Lock, error) {
	path := m.TunnelLockPath()
	wait := m.Env.Seams.ReuseWait
	if wait <= 0 {
		wait = DefaultReuseWait
	}
	deadline := time.Now().Add(wait)
	for {
		l, err := instance.TryLock(path)
		var held *instance.HeldError
		switch {
		case err == nil:
			return nil, l, nil
		case !errors.As(err, &held):
			return nil, nil, frontend.Wrap(err, "cli.store.write", err.Error())
		}
		if t := m.runningTunnel(ctx); t != nil {
			return t, nil, nil
		}
		if time.Now().After(deadline) || ctx.Err() != nil {
			return nil, nil, m.heldError(ctx, "instance.check.running", held.PID)
		}
		select {
		case <-ctx.Done():
		case <-time.After(100 * time.Millisecond):
		}
	}
}

// runningTunnel returns the tunnel another live process records, in a
// form this process can use, or nil: a system tunnel (the routes carry
// the traffic), or a userspace tunnel with its SOCKS5 proxy.
func (m *Machine) runningTunnel(ctx context.Context) tunnel.Tunnel {
	st, ok := m.LiveTunnel(ctx)
	switch {
	case !ok:
		return nil
	case st.Mode == tunnel.ModeSystem && st.Up:
		return &systemReuse{rec: m.newLiveRecord(st)}
	case st.Mode == tunnel.ModeUserspace && st.SOCKS5 != "":
		return &socksReuse{rec: m.newLiveRecord(st), addr: st.SOCKS5}
	}
	return nil
}

// checkRunner is the check runner of a session: the environment's, with
// the managed configuration's captive probe, which overrides the profile's
// (the engine fills that one in when none is set).
func (m *Machine) checkRunner() *checks.Runner {
	r := m.Env.CheckRunner()
	if r.CaptiveURL == "" && m.Managed != nil && m.Managed.CaptiveURL != "" {
		r.CaptiveURL, r.CaptiveStatus = m.Managed.CaptiveURL, m.Managed.CaptiveStatus()
	}
	return r
}
