package cli

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"maps"
	"slices"
	"strings"

	"relais/internal/backend"

	"relais/internal/checks"
	"relais/internal/office"
	"relais/internal/tunnel"
)

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
	dm, err := backend.StartDemo(ctx, r.backendEnv(), nil)
	if err != nil {
		return r.failErr(ExitUsage, err)
	}
	defer dm.Close()
	db, p := dm.DB, dm.Profile
	cfg, err := dm.TunnelConfig(ctx, p)
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
	r.backendEnv().LimitMemory(tunnel.DefaultMemoryLimit)
	startCtx, cancel := context.WithTimeout(ctx, backend.StartTimeout)
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
	e := dm.Machine().NewEngine(tunnel.ModeUserspace, backend.SessionOptions{Once: true, Reuse: u, Loaded: dm.Loaded()})
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
