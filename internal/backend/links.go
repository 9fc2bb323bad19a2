package backend

import (
	"context"
	"errors"
	"fmt"
	"os"
	"strings"

	"relais/internal/config"
	"relais/internal/frontend"
	"relais/internal/launch"
	"relais/internal/profile"
	"relais/internal/store"
	"relais/internal/tunnel"
)

// The emergency links: found in the profile, opened through the tunnel's
// local proxy when they need it.

// launcher makes the launcher of links (Seams.NewLauncher in tests, so
// that no browser ever starts).
func (e Env) launcher(dataDir string) *launch.Launcher {
	if e.Seams.NewLauncher != nil {
		return e.Seams.NewLauncher(dataDir)
	}
	return &launch.Launcher{DataDir: dataDir, Getenv: e.Getenv, Exec: e.StartProgram, LookPath: e.LookPath}
}

// FindLink returns the profile's link with this id, or the error that
// names the links there are.
func FindLink(p *profile.Profile, id string) (*profile.Link, error) {
	ids := make([]string, 0, len(p.Links))
	for i := range p.Links {
		if p.Links[i].ID == id {
			return &p.Links[i], nil
		}
		ids = append(ids, p.Links[i].ID)
	}
	list := strings.Join(ids, ", ")
	if len(ids) == 0 {
		return nil, frontend.Errorf("cli.open.unknown_link", id, frontend.Errorf("cli.open.no_links"))
	}
	return nil, frontend.Errorf("cli.open.unknown_link", id, list)
}

// TunnelProxy is the local proxy a tunnel link opens through: a userspace
// tunnel's; none in system mode, where the routes carry the link.
func TunnelProxy(st tunnel.Status) (*launch.Proxy, error) {
	if st.Mode != tunnel.ModeUserspace {
		return nil, nil
	}
	if st.SOCKS5 == "" && st.HTTPProxy == "" {
		return nil, frontend.Errorf("cli.open.no_proxy")
	}
	return &launch.Proxy{SOCKS5: st.SOCKS5, HTTP: st.HTTPProxy}, nil
}

// LaunchLink opens link the way `relais open` and the app do, and logs
// the outcome in db.
func (m *Machine) LaunchLink(ctx context.Context, db *store.DB, p *profile.Profile, link *profile.Link, proxy *launch.Proxy) (launch.Result, error) {
	dir, err := config.DataDir(m.Env.ConfigEnv())
	if err != nil {
		return launch.Result{}, frontend.Wrap(err, "cli.error.data_dir", err.Error())
	}
	res, err := m.Env.launcher(dir).Open(ctx, *link, p.AllowedSchemes, proxy)
	if err != nil {
		_ = db.LogEvent(ctx, "launch", fmt.Sprintf("link %s not opened: %v", link.ID, err))
		var le *launch.Error
		if errors.As(err, &le) {
			key, a := le.Key()
			return res, frontend.Wrap(err, key, a...)
		}
		return res, frontend.Wrap(err, "launch.error.other", err.Error())
	}
	// The URL is left out of the log: a profile's link may carry a token.
	_ = db.LogEvent(ctx, "launch", fmt.Sprintf("link %s opened: %s %s", link.ID, res.Method, res.Browser))
	return res, nil
}

// UseDemoStore points m at the demo store when this is no organisation's
// machine (no managed configuration), its own store records no tunnel and
// the demo store exists: the desktop app then runs the embedded demo
// office, and `relais status` and `relais open` must show what it shows.
func (m *Machine) UseDemoStore(ctx context.Context) bool {
	if m.Managed != nil {
		return false
	}
	if _, err := LastLive(ctx, m.DB, m.Env.Now); !errors.Is(err, store.ErrNotFound) {
		return false
	}
	path, err := m.Env.DemoStorePath()
	if err != nil {
		return false
	}
	if _, err := os.Stat(path); err != nil {
		return false
	}
	db, err := store.Open(path)
	if err != nil {
		return false
	}
	m.DB.Close()
	m.DB = db
	return true
}
