package cli

import (
	"context"
	"flag"

	"relais/internal/backend"
	"relais/internal/launch"
)

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

	m.UseDemoStore(ctx)

	_, p, code := r.loadProfile(ctx, m, "cli.open.no_profile")
	if p == nil {
		return code
	}
	link, err := backend.FindLink(p, id)
	if err != nil {
		return r.failErr(ExitUsage, err)
	}

	doc := openJSON{Link: link.ID, URL: link.URL, Via: link.Via}
	mode, proxy, err := m.LinkProxy(ctx, link)
	if err != nil {
		return r.failErr(ExitUnhealthy, err)
	}
	doc.TunnelMode = string(mode)
	res, err := m.LaunchLink(ctx, m.DB, p, link, proxy)
	if err != nil {
		return r.failErr(ExitUsage, err)
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
