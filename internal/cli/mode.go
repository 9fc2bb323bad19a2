package cli

import (
	"context"
	"errors"
	"fmt"
	"path/filepath"
	"sync"
	"time"

	"relais/internal/backend"
	"relais/internal/engine"
	"relais/internal/instance"
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
	// reuse, if set, is the tunnel another process of this user holds
	// (relais check while relais up or the app runs): the engine uses it
	// and never closes it. Otherwise the caller holds the tunnel lock
	// (claimTunnel, reuseOrClaim) and the engine brings its own up.
	reuse tunnel.Tunnel
	// tunnelConfig, if set, replaces the device's tunnel configuration
	// (tunnelConfigFor): the demo office's client key.
	tunnelConfig func(ctx context.Context, p *profile.Profile) (tunnel.Config, error)
	// ownMemoryLimit: leave the process's memory limit alone (the desktop
	// app, whose heap holds the GUI besides the tunnel).
	ownMemoryLimit bool
}

// newEngine builds the engine of this machine: the cached profile, the
// device's tunnel in mode (or opt.reuse), the check runner, the store.
func (r *run) newEngine(ctx context.Context, m *machine, mode tunnel.Mode, opt engineOptions) (*engine.Engine, int) {
	logf := func(format string, a ...any) {
		_ = m.db.LogEvent(context.Background(), "engine", fmt.Sprintf(format, a...))
	}
	var cur *store.CachedProfile
	e := &engine.Engine{Store: m.db, Checks: checkRunner, Once: opt.once, RecheckInterval: opt.recheck, Now: r.Now, Logf: logf}
	e.LoadProfile = func(ctx context.Context) (*engine.Loaded, error) {
		c, err := m.policy(r).Current(ctx)
		if errors.Is(err, backend.ErrNoProfile) {
			return nil, &cliError{key: "cli.tunnel.no_profile"}
		}
		if errors.Is(err, backend.ErrUnreadable) {
			return nil, &cliError{key: "cli.profile.show.unreadable", args: []any{r.describe(errors.Unwrap(err))}}
		}
		if err != nil {
			return nil, &cliError{key: "cli.store.read", args: []any{err.Error()}}
		}
		cur = c.Cached
		info := engine.ProfileInfo{Serial: c.Cached.Serial, Signature: c.Signature, Signed: c.Signed()}
		return &engine.Loaded{Profile: c.Profile, Info: info}, nil
	}
	if !opt.once && m.policy(r).HasURL() {
		e.SyncProfile = func(ctx context.Context) (*engine.Loaded, error) {
			return r.syncForEngine(ctx, m)
		}
	}
	uopt := tunnel.UserspaceOptions{SOCKS5Addr: tunnel.Off, HTTPAddr: tunnel.Off,
		Logf: func(format string, a ...any) { logf("tunnel: "+format, a...) }}
	if opt.proxies {
		uopt.SOCKS5Addr, uopt.HTTPAddr = opt.socks, opt.httpAddr
	}
	e.StartTunnel = func(ctx context.Context, p *profile.Profile) (tunnel.Tunnel, bool, error) {
		if opt.reuse != nil {
			return opt.reuse, false, nil
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

// One key, one tunnel: two WireGuard peers with the same key fight over
// the gateway's endpoint, and each loses its traffic by turns. Whoever
// brings the device's tunnel up (relais up, the app's Mode urgence,
// relais check) holds an exclusive lock beside the store it records in;
// the system drops the lock with the process, however it ends, so a
// holder that died never blocks. Another process of this user reuses the
// holder's tunnel (relais check) or refuses with a sentence that names it
// (relais up, the app).

// reuseWait bounds how long relais check waits for the holder of the
// tunnel to record a tunnel it can reuse (a holder that is starting), or
// to let the lock go (another relais check).
var reuseWait = 5 * time.Second

// reusedStatusEvery is how often a reused tunnel's recorded status is
// read again from the store: the engine and the tunnel check poll Status
// every few milliseconds.
const reusedStatusEvery = 200 * time.Millisecond

// tunnelLockPath is the lock of the tunnel of the store m records in.
func tunnelLockPath(m *machine) string {
	return filepath.Join(filepath.Dir(m.db.Path()), "tunnel.lock")
}

// claimTunnel takes the device's tunnel for this process. When another
// process holds it, the error is a *cliError naming it (key: one of
// instance.up.running, instance.desk.running).
func (r *run) claimTunnel(ctx context.Context, m *machine, key string) (*instance.Lock, error) {
	l, err := instance.TryLock(tunnelLockPath(m))
	var held *instance.HeldError
	switch {
	case err == nil:
		return l, nil
	case errors.As(err, &held):
		return nil, r.heldError(ctx, m, key, held.PID)
	}
	return nil, &cliError{key: "cli.store.write", args: []any{err.Error()}}
}

// heldError is the sentence for a tunnel another process holds: its
// process id, and its local proxy when it records one.
func (r *run) heldError(ctx context.Context, m *machine, key string, pid int) *cliError {
	socks := ""
	if st, ok := readLiveTunnel(ctx, m.db, r.Now); ok && st.SOCKS5 != "" {
		socks = r.t("instance.proxy", st.SOCKS5)
	}
	if pid <= 0 {
		return &cliError{key: key + "_unknown", args: []any{socks}}
	}
	return &cliError{key: key, args: []any{pid, socks}}
}

// reuseOrClaim is the tunnel relais check uses: the one another process
// of this user holds (a system tunnel as is, a userspace tunnel through
// its SOCKS5 proxy), or, when none does, the lock to bring one up (lock
// non-nil, tunnel nil). A holder whose tunnel cannot be reused (it
// records none within reuseWait) gets a *cliError naming it.
func (r *run) reuseOrClaim(ctx context.Context, m *machine) (tunnel.Tunnel, *instance.Lock, error) {
	path := tunnelLockPath(m)
	deadline := time.Now().Add(reuseWait)
	for {
		l, err := instance.TryLock(path)
		var held *instance.HeldError
		switch {
		case err == nil:
			return nil, l, nil
		case !errors.As(err, &held):
			return nil, nil, &cliError{key: "cli.store.write", args: []any{err.Error()}}
		}
		if t := r.runningTunnel(ctx, m); t != nil {
			return t, nil, nil
		}
		if time.Now().After(deadline) || ctx.Err() != nil {
			return nil, nil, r.heldError(ctx, m, "instance.check.running", held.PID)
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
func (r *run) runningTunnel(ctx context.Context, m *machine) tunnel.Tunnel {
	st, ok := readLiveTunnel(ctx, m.db, r.Now)
	switch {
	case !ok:
		return nil
	case st.Mode == tunnel.ModeSystem && st.Up:
		return &systemReuse{rec: newLiveRecord(m.db, r.Now, st)}
	case st.Mode == tunnel.ModeUserspace && st.SOCKS5 != "":
		return &socksReuse{rec: newLiveRecord(m.db, r.Now, st), addr: st.SOCKS5}
	}
	return nil
}

// liveRecord is the status another process records for the tunnel it
// holds, read again at most every reusedStatusEvery. A record gone or
// stale (its writer died) reads as a tunnel down.
type liveRecord struct {
	db  *store.DB
	now func() time.Time

	mu   sync.Mutex
	st   tunnel.Status
	at   time.Time
	mode tunnel.Mode
}

func newLiveRecord(db *store.DB, now func() time.Time, st tunnel.Status) *liveRecord {
	return &liveRecord{db: db, now: now, st: st, at: time.Now(), mode: st.Mode}
}

func (l *liveRecord) status() tunnel.Status {
	l.mu.Lock()
	defer l.mu.Unlock()
	if time.Since(l.at) >= reusedStatusEvery {
		st, ok := readLiveTunnel(context.Background(), l.db, l.now)
		if !ok {
			st = tunnel.Status{Mode: l.mode}
		}
		l.st, l.at = st, time.Now()
	}
	return l.st
}
