package backend

import (
	"context"
	"fmt"
	"os"
	"path/filepath"

	"aead.dev/minisign"

	"relais/internal/config"
	"relais/internal/engine"
	"relais/internal/frontend"
	"relais/internal/office"
	"relais/internal/profile"
	"relais/internal/store"
	"relais/internal/tunnel"
)

// Demo is the embedded demo office running in this process, its own store
// and the signed profile it published, synced into that store.
type Demo struct {
	DB      *store.DB
	Office  *office.Office
	Profile *profile.Profile
	env     Env
	ownDB   bool // StartDemo opened DB: Close closes it
}

// Close stops the office and closes its store if StartDemo opened it.
func (d *Demo) Close() {
	d.Office.Close()
	if d.ownDB {
		d.DB.Close()
	}
}

// Machine is the demo store as a machine whose only trusted key is the
// office's.
func (d *Demo) Machine() *Machine {
	return &Machine{Env: d.env, DB: d.DB, Keys: []minisign.PublicKey{d.Office.TrustedKey}}
}

// TunnelConfig is the demo tunnel: the profile's, with the client key the
// office issued.
func (d *Demo) TunnelConfig(_ context.Context, p *profile.Profile) (tunnel.Config, error) {
	return tunnel.FromProfile(p.Tunnel, d.Office.ClientKey, nil)
}

// Loaded is the demo's profile as a session runs it.
func (d *Demo) Loaded() *engine.Loaded {
	return &engine.Loaded{Profile: d.Profile, Info: engine.ProfileInfo{Serial: d.Profile.Serial, Signed: true, Signature: SignatureValid}}
}

// DemoStorePath is the demo's own store. Its profile, signed by a key made
// a moment ago, must never become the user's real profile.
func (e Env) DemoStorePath() (string, error) {
	dir, err := config.DataDir(e.ConfigEnv())
	if err != nil {
		return "", err
	}
	return filepath.Join(dir, "demo", "relais.db"), nil
}

// DemoHelpdeskKeyPath is where the demo keeps its service desk's age
// identity, beside the demo store: the demo's encrypted diagnostics open
// with it (in the app, or with relais diag open --identity).
func DemoHelpdeskKeyPath(storePath string) string {
	return filepath.Join(filepath.Dir(storePath), office.HelpdeskKeyName)
}

// DemoServerDir is the demo server's data directory (its SQLite
// database), beside the demo store: the demo's reports and bundles stay
// on its Campagne and Dossiers pages from one demo to the next.
func DemoServerDir(storePath string) string {
	return filepath.Join(filepath.Dir(storePath), office.ServerDirName)
}

// demoTrustedKeyName is the demo office's signing key, kept beside the
// demo store so that its cached profile is verified while the office is
// not running.
const demoTrustedKeyName = "trusted.pub"

// openDemoStore opens (creating it) the demo store.
func openDemoStore(env Env) (*store.DB, string, error) {
	path, err := env.DemoStorePath()
	if err == nil {
		err = os.MkdirAll(filepath.Dir(path), 0o700)
	}
	if err != nil {
		return nil, "", frontend.Wrap(err, "cli.error.data_dir", err.Error())
	}
	db, err := store.Open(path)
	if err != nil {
		return nil, "", frontend.Wrap(err, "cli.store.open", err.Error())
	}
	return db, path, nil
}

// OpenDemoMachine is the demo store as a machine, without starting the
// office: its trusted key is the one the last demo office signed with.
func OpenDemoMachine(env Env) (*Machine, error) {
	env = env.filled()
	db, path, err := openDemoStore(env)
	if err != nil {
		return nil, err
	}
	m := &Machine{Env: env, DB: db}
	if b, err := os.ReadFile(filepath.Join(filepath.Dir(path), demoTrustedKeyName)); err == nil {
		if k, err := profile.ParseTrustedKey(string(b)); err == nil {
			m.Keys = []minisign.PublicKey{k}
		}
	}
	return m, nil
}

// StartDemo starts the demo office and syncs its profile into the demo
// store (db, or the one it opens when db is nil) the ordinary way (fetch,
// verify, cache), for `relais demo` and the Mode urgence of the demo.
// Progress goes to env.Notify; errors are *frontend.Error.
func StartDemo(ctx context.Context, env Env, db *store.DB) (*Demo, error) {
	env = env.filled()
	path, err := env.DemoStorePath()
	if err != nil {
		return nil, frontend.Wrap(err, "cli.error.data_dir", err.Error())
	}
	own := db == nil
	if own {
		if db, path, err = openDemoStore(env); err != nil {
			return nil, err
		}
	}
	closeDB := func() {
		if own {
			db.Close()
		}
	}
	delay := env.Seams.DemoSlowDelay
	if delay == 0 {
		delay = office.DefaultSlowDelay
	}
	off, err := office.Start(ctx, office.Options{SlowDelay: delay, HelpdeskKeyFile: DemoHelpdeskKeyPath(path),
		DataDir: DemoServerDir(path), BrokenNotEssential: true})
	if err != nil {
		closeDB()
		return nil, frontend.Wrap(err, "cli.demo.office_failed", Coded(err))
	}
	_ = os.WriteFile(filepath.Join(filepath.Dir(path), demoTrustedKeyName), []byte(off.TrustedKey.String()+"\n"), 0o600)
	if env.Seams.DemoStarted != nil {
		env.Seams.DemoStarted(off)
	}
	env.notify("cli.demo.office_started", off.Endpoint, off.ProfileURL)
	env.notify("cli.demo.server_started", off.ServerURL)
	// The one profile policy, as for an organisation whose managed
	// configuration names the office's URL and trusts its key.
	pol := &ProfilePolicy{Store: db, Managed: &config.Managed{ProfileURL: off.ProfileURL}, Trusted: []minisign.PublicKey{off.TrustedKey},
		HTTPClient: env.HTTPClient, Now: env.Now,
		Logf: func(format string, a ...any) { _ = db.LogEvent(ctx, "profile", fmt.Sprintf(format, a...)) }}
	res, err := pol.Sync(ctx)
	if err != nil {
		off.Close()
		closeDB()
		return nil, frontend.Wrap(err, "cli.demo.sync_failed", Coded(err))
	}
	env.notify("cli.demo.profile_accepted", res.Profile.Serial)
	return &Demo{DB: db, Office: off, Profile: res.Profile, env: env, ownDB: own}, nil
}
