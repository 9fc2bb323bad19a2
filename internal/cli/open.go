package cli

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
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
	return &launch.Launcher{DataDir: dataDir, Getenv: r.Getenv}
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

	_, p, code := r.loadProfile(ctx, m, "cli.open.no_profile")
	if p == nil {
		return code
	}
	var link *profile.Link
	ids := make([]string, 0, len(p.Links))
	for i := range p.Links {
		ids = append(ids, p.Links[i].ID)
		if p.Links[i].ID == id {
			link = &p.Links[i]
		}
	}
	if link == nil {
		list := strings.Join(ids, ", ")
		if len(ids) == 0 {
			list = r.t("cli.open.no_links")
		}
		return r.fail(ExitUsage, "cli.open.unknown_link", id, list)
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
		if st.Mode == tunnel.ModeUserspace {
			if st.SOCKS5 == "" && st.HTTPProxy == "" {
				return r.fail(ExitUnhealthy, "cli.open.no_proxy")
			}
			proxy = &launch.Proxy{SOCKS5: st.SOCKS5, HTTP: st.HTTPProxy}
		}
	}
	dir, err := config.DataDir(r.configEnv())
	if err != nil {
		return r.fail(ExitUsage, "cli.error.data_dir", err.Error())
	}
	res, err := newLauncher(r, dir).Open(ctx, *link, p.AllowedSchemes, proxy)
	if err != nil {
		_ = m.db.LogEvent(ctx, "launch", fmt.Sprintf("link %s not opened: %v", link.ID, err))
		var le *launch.Error
		if errors.As(err, &le) {
			key, a := le.Key()
			return r.fail(ExitUsage, key, a...)
		}
		return r.fail(ExitUsage, "launch.error.other", err.Error())
	}
	// The URL is left out of the log: a profile's link may carry a token.
	_ = m.db.LogEvent(ctx, "launch", fmt.Sprintf("link %s opened: %s %s", link.ID, res.Method, res.Browser))
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
