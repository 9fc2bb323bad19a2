package cli

import (
	"context"
	"flag"
	"strings"

	"relais/internal/backend"
	"relais/internal/tunnel"
)

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
	socksAddr, httpAddr := *socks, *httpProxy
	sysProxy := dm.SystemProxyOn(ctx)
	if *headless {
		socksAddr, httpAddr = tunnel.Off, tunnel.Off // nobody else will use them
		if sysProxy {
			httpAddr = "" // the person's programs will: the PAC is served there
		}
	}
	u, err := dm.StartTunnel(ctx, socksAddr, httpAddr)
	if err != nil {
		return r.failErr(ExitUsage, err)
	}
	defer u.Close()
	defer dm.HoldSystemProxy(ctx, sysProxy, u.Status())() // put back before the tunnel closes
	r.say("cli.demo.tunnel_up")

	if !*headless {
		st := u.Status()
		if *asJSON {
			r.printJSON(tunnelDoc(st))
		} else {
			r.out("cli.tunnel.up.socks", st.SOCKS5)
			r.out("cli.tunnel.up.http", st.HTTPProxy)
			r.out("cli.demo.try", st.SOCKS5, dm.TryURL())
		}
		r.say("cli.tunnel.up.foreground")
		<-ctx.Done()
		r.say("cli.tunnel.up.stopping")
		return ExitOK
	}

	// Mode urgence through the engine, exactly as `relais check` runs it,
	// against the profile just accepted.
	snap, err := dm.CheckOnce(ctx, u)
	if err != nil {
		return r.startFail(err)
	}
	wrong := backend.DemoSurprises(snap.Report)
	r.report(snap, *asJSON, map[string]any{"as_designed": len(wrong) == 0}, dm.Notices(ctx))
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
