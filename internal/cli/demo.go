package cli

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"maps"
	"os"
	"path/filepath"
	"relais/internal/backend"
	"slices"
	"strings"

	"aead.dev/minisign"

	"relais/internal/checks"
	"relais/internal/config"
	"relais/internal/engine"
	"relais/internal/office"
	"relais/internal/profile"
	"relais/internal/store"
	"relais/internal/tunnel"
)

// demoSlowDelay is the slow demo app's delay; tests shorten it.
var demoSlowDelay = office.DefaultSlowDelay

// demoStarted sees each demo office started; tests use it to ask the
// office what it received.
var demoStarted = func(*office.Office) {}

// designedState is the state each kind of demo app must show.
var designedState = map[office.Behaviour]checks.State{office.Healthy: checks.StateOK, office.Slow: checks.StateDegraded, office.Broken: checks.StateFailed}

func cmdDemo(ctx context.Context, r *run, args []string) int {
	fs := flag.NewFlagSet("relais demo", flag.ContinueOnError)
	headless := fs.Bool("headless", false, "cli.demo.flag.headless")
	socks := fs.String("socks", "", "cli.tunnel.flag.socks")
	httpProxy := fs.String("http-proxy", "", "cli.tunnel.flag.http_proxy")
	asJSON := fs.Bool("json", false, "cli.flag.json")
	if !r.parseNoArgs(fs, args, "cli.demo.usage") {
		return ExitUsage
	}
	dm, code := r.startDemo(ctx)
	if dm == nil {
		return code
	}
	defer dm.Close()
	db, p := dm.db, dm.profile
	cfg, err := dm.tunnelConfig(ctx, p)
	if err != nil {
		return r.fail(ExitUsage, "cli.demo.tunnel_failed", r.describe(err))
	}
	opt := tunnel.UserspaceOptions{SOCKS5Addr: *socks, HTTPAddr: *httpProxy,
		Logf: func(format string, a ...any) {
			_ = db.LogEvent(context.Background(), "tunnel", fmt.Sprintf(format, a...))
		}}
	if *headless {
		opt.SOCKS5Addr, opt.HTTPAddr = tunnel.Off, tunnel.Off // nobody else will use them
	}
	limitMemory(tunnel.DefaultMemoryLimit)
	startCtx, cancel := context.WithTimeout(ctx, upStartTimeout)
	u, err := tunnel.StartUserspace(startCtx, cfg, opt)
	cancel()
	if err != nil {
		if errors.Is(err, tunnel.ErrNotLoopback) {
			return r.fail(ExitUsage, "cli.tunnel.not_loopback")
		}
		return r.fail(ExitUsage, "cli.demo.tunnel_failed", r.describe(err))
	}
	defer u.Close()
	r.say("cli.demo.tunnel_up")

	if !*headless {
		st := u.Status()
		if *asJSON {
			r.printJSON(tunnelDoc(st))
		} else {
			r.out("cli.tunnel.up.socks", st.SOCKS5)
			r.out("cli.tunnel.up.http", st.HTTPProxy)
			r.out("cli.demo.try", st.SOCKS5, office.Apps[0].HealthURL)
		}
		r.say("cli.tunnel.up.foreground")
		<-ctx.Done()
		r.say("cli.tunnel.up.stopping")
		return ExitOK
	}

	// Mode urgence through the engine, exactly as `relais check` runs it,
	// against the profile just accepted.
	e := &engine.Engine{Store: db, Checks: checkRunner, Once: true, Now: r.Now,
		Logf: func(format string, a ...any) {
			_ = db.LogEvent(context.Background(), "engine", fmt.Sprintf(format, a...))
		},
		LoadProfile: func(context.Context) (*engine.Loaded, error) {
			return &engine.Loaded{Profile: p, Info: engine.ProfileInfo{Serial: p.Serial, Signed: true, Signature: "valid"}}, nil
		},
		StartTunnel: func(context.Context, *profile.Profile) (tunnel.Tunnel, bool, error) { return u, false, nil },
	}
	snap, code := r.runOnce(ctx, e)
	if snap == nil {
		return code
	}
	wrong := demoSurprises(snap.Report)
	r.report(*snap, *asJSON, map[string]any{"as_designed": len(wrong) == 0})
	if !*asJSON {
		if len(wrong) == 0 {
			r.out("cli.engine.demo_as_designed")
		} else {
			r.out("cli.engine.demo_not_as_designed", strings.Join(wrong, ", "))
		}
	}
	// Exit 0 means the demo showed what it is for: the healthy app ok, the
	// slow one degraded, the broken one failed, the one that requires it
	// blocked. Anything else (the tunnel carried nothing, a healthy app
	// failed) is 1, "done, but not what was expected", as for any check; 2
	// stays for a demo that could not start.
	if len(wrong) > 0 {
		return ExitUnhealthy
	}
	return ExitOK
}

// demoOffice is the demo: the office running in this process, its own
// store and the signed profile it published, synced into that store.
type demoOffice struct {
	db      *store.DB
	off     *office.Office
	profile *profile.Profile
}

// Close stops the office and closes its store.
func (d *demoOffice) Close() {
	d.off.Close()
	d.db.Close()
}

// machine is the demo store as a machine whose only trusted key is the
// office's.
func (d *demoOffice) machine() *machine {
	return &machine{db: d.db, keys: []minisign.PublicKey{d.off.TrustedKey}}
}

// tunnelConfig is the demo tunnel: the profile's, with the client key the
// office issued.
func (d *demoOffice) tunnelConfig(_ context.Context, p *profile.Profile) (tunnel.Config, error) {
	return tunnel.FromProfile(p.Tunnel, d.off.ClientKey, nil)
}

// demoStorePath is the demo's own store. Its profile, signed by a key
// made a moment ago, must never become the user's real profile.
func (r *run) demoStorePath() (string, error) {
	dir, err := config.DataDir(r.configEnv())
	if err != nil {
		return "", err
	}
	return filepath.Join(dir, "demo", "relais.db"), nil
}

// demoHelpdeskKeyPath is where the demo keeps its service desk's age
// identity, beside the demo store: the demo's encrypted diagnostics open
// with it (in the app, or with relais diag open --identity).
func demoHelpdeskKeyPath(storePath string) string {
	return filepath.Join(filepath.Dir(storePath), office.HelpdeskKeyName)
}

// startDemo opens the demo store, starts the office and syncs its profile
// into that store the ordinary way (fetch, verify, cache), for `relais
// demo` and the desktop app. On failure it has printed why and returns
// the exit code.
func (r *run) startDemo(ctx context.Context) (*demoOffice, int) {
	path, err := r.demoStorePath()
	if err == nil {
		err = os.MkdirAll(filepath.Dir(path), 0o700)
	}
	if err != nil {
		return nil, r.fail(ExitUsage, "cli.error.data_dir", err.Error())
	}
	db, err := store.Open(path)
	if err != nil {
		return nil, r.fail(ExitUsage, "cli.store.open", err.Error())
	}
	off, err := office.Start(ctx, office.Options{SlowDelay: demoSlowDelay, HelpdeskKeyFile: demoHelpdeskKeyPath(path), BrokenNotEssential: true})
	if err != nil {
		db.Close()
		return nil, r.fail(ExitUsage, "cli.demo.office_failed", r.describe(err))
	}
	demoStarted(off)
	r.say("cli.demo.office_started", off.Endpoint, off.ProfileURL)
	s := &profile.Syncer{Client: r.HTTPClient, Cache: backend.StoreCache{DB: db}, Trusted: []minisign.PublicKey{off.TrustedKey}, Now: r.Now,
		Logf: func(format string, a ...any) { _ = db.LogEvent(ctx, "profile", fmt.Sprintf(format, a...)) }}
	res, err := s.SyncURL(ctx, off.ProfileURL)
	if err != nil {
		off.Close()
		db.Close()
		return nil, r.fail(ExitUsage, "cli.demo.sync_failed", r.describe(err))
	}
	r.say("cli.demo.profile_accepted", res.Profile.Serial)
	return &demoOffice{db: db, off: off, profile: res.Profile}, ExitOK
}

// demoSurprises lists the demo apps whose state is not the designed one,
// as "id: state".
func demoSurprises(rep *checks.Report) []string {
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
		if got != want[id] {
			wrong = append(wrong, fmt.Sprintf("%s: %s", id, got))
		}
	}
	return wrong
}

func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys
}
