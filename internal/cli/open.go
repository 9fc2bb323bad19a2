package cli

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"os"
	"strings"

	"relais/internal/config"
	"relais/internal/launch"
	"relais/internal/profile"
	"relais/internal/store"
	"relais/internal/tunnel"
)

// newLauncher makes the launcher of `relais open`. Tests replace it with
// one that records what would run, so that no browser ever starts.
var newLauncher = func(r *run, dataDir string) *launch.Launcher {
	return &launch.Launcher{DataDir: dataDir, Getenv: r.Getenv, Exec: r.StartProgram, LookPath: r.LookPath}
}

// openJSON is `relais open --json`.
type openJSON struct {
	Link       string `json:"link"`
	URL        string `json:"url"`
	Via        string `json:"via"`
	TunnelMode string `json:"tunnel_mode,omitempty"` // the recorded tunnel's mode, for a tunnel link
	launch.Result
}

func cmdOpen(ctx context.Context, r *run, args []string) int {
	fs := flag.NewFlagSet("relais open", flag.ContinueOnError)
	asJSON := fs.Bool("json", false, "cli.flag.json")
	pos, ok := r.parseFlags(fs, args)
	if !ok {
		return ExitUsage
	}
	if len(pos) != 1 {
		return r.fail(ExitUsage, "cli.open.usage")
	}
	id := pos[0]
	m, code := r.openMachine(false)
	if m == nil {
		return code
	}
	defer m.Close()

	r.useDemoStore(ctx, m)

	_, p, code := r.loadProfile(ctx, m, "cli.open.no_profile")
	if p == nil {
		return code
	}
	link, ce := r.findLink(p, id)
	if ce != nil {
		return r.fail(ExitUsage, ce.key, ce.args...)
	}

	doc := openJSON{Link: link.ID, URL: link.URL, Via: link.Via}
	var proxy *launch.Proxy
	if link.Via == "tunnel" {
		st, err := r.liveTunnel(ctx, m)
		if err != nil {
			return r.fail(ExitUsage, "cli.store.read", err.Error())
		}
		if st == nil {
			return r.fail(ExitUnhealthy, "cli.open.no_tunnel", link.ID)
		}
		doc.TunnelMode = string(st.Mode)
		if proxy, ce = tunnelProxy(*st); ce != nil {
			return r.fail(ExitUnhealthy, ce.key, ce.args...)
		}
	}
	res, ce := r.launchLink(ctx, m.db, p, link, proxy)
	if ce != nil {
		return r.fail(ExitUsage, ce.key, ce.args...)
	}
	doc.Result = res
	if *asJSON {
		r.printJSON(doc)
	} else {
		name := link.Name.In(r.lang)
		if res.Method == launch.MethodBrowser {
			r.out("cli.open.browser", name, res.Browser, res.Proxy, res.ProfileDir)
		} else {
			r.out("cli.open.default", name, res.Argv[0])
		}
	}
	if res.ProxyNotApplied {
		r.say("cli.open.proxy_not_applied")
	}
	return ExitOK
}

// findLink returns the profile's link with this id, or the error that
// names the links there are.
func (r *run) findLink(p *profile.Profile, id string) (*profile.Link, *cliError) {
	ids := make([]string, 0, len(p.Links))
	for i := range p.Links {
		if p.Links[i].ID == id {
			return &p.Links[i], nil
		}
		ids = append(ids, p.Links[i].ID)
	}
	list := strings.Join(ids, ", ")
	if len(ids) == 0 {
		list = r.t("cli.open.no_links")
	}
	return nil, &cliError{key: "cli.open.unknown_link", args: []any{id, list}}
}

// tunnelProxy is the local proxy a tunnel link opens through: a userspace
// tunnel's; none in system mode, where the routes carry the link.
func tunnelProxy(st tunnel.Status) (*launch.Proxy, *cliError) {
	if st.Mode != tunnel.ModeUserspace {
		return nil, nil
	}
	if st.SOCKS5 == "" && st.HTTPProxy == "" {
		return nil, &cliError{key: "cli.open.no_proxy"}
	}
	return &launch.Proxy{SOCKS5: st.SOCKS5, HTTP: st.HTTPProxy}, nil
}

// launchLink opens link the way `relais open` and the app do, and logs
// the outcome in db.
func (r *run) launchLink(ctx context.Context, db *store.DB, p *profile.Profile, link *profile.Link, proxy *launch.Proxy) (launch.Result, *cliError) {
	dir, err := config.DataDir(r.configEnv())
	if err != nil {
		return launch.Result{}, &cliError{key: "cli.error.data_dir", args: []any{err.Error()}}
	}
	res, err := newLauncher(r, dir).Open(ctx, *link, p.AllowedSchemes, proxy)
	if err != nil {
		_ = db.LogEvent(ctx, "launch", fmt.Sprintf("link %s not opened: %v", link.ID, err))
		var le *launch.Error
		if errors.As(err, &le) {
			key, a := le.Key()
			return res, &cliError{key: key, args: a}
		}
		return res, &cliError{key: "launch.error.other", args: []any{err.Error()}}
	}
	// The URL is left out of the log: a profile's link may carry a token.
	_ = db.LogEvent(ctx, "launch", fmt.Sprintf("link %s opened: %s %s", link.ID, res.Method, res.Browser))
	return res, nil
}

// useDemoStore points m at the demo store when this is no organisation's
// machine (no managed configuration), its own store records no tunnel and
// the demo store exists: the desktop app then runs the embedded demo
// office, and `relais status` and `relais open` must show what it shows.
func (r *run) useDemoStore(ctx context.Context, m *machine) bool {
	if m.managed != nil {
		return false
	}
	if _, err := m.db.TunnelState(ctx); !errors.Is(err, store.ErrNotFound) {
		return false
	}
	path, err := r.demoStorePath()
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
	m.db.Close()
	m.db = db
	return true
}

// liveTunnel returns the recorded tunnel status if a tunnel is up and its
// record fresh (as `relais status` judges it), or nil.
func (r *run) liveTunnel(ctx context.Context, m *machine) (*tunnel.Status, error) {
	ts, err := m.db.TunnelState(ctx)
	if errors.Is(err, store.ErrNotFound) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	var st tunnel.Status
	if err := json.Unmarshal([]byte(ts.StatusJSON), &st); err != nil {
		return nil, err
	}
	if !st.Up || !processAlive(ts.PID) || r.Now().Sub(ts.UpdatedAt) > stateStaleAfter {
		return nil, nil
	}
	return &st, nil
}
