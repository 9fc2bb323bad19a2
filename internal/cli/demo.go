package cli

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"time"

	"aead.dev/minisign"

	"relais/internal/config"
	"relais/internal/office"
	"relais/internal/profile"
	"relais/internal/store"
	"relais/internal/tunnel"
)

// demoSlowDelay is the slow demo app's delay; tests shorten it.
var demoSlowDelay = office.DefaultSlowDelay

// maxDemoBody bounds what the demo reads of an app's answer.
const maxDemoBody = 64 << 10

// demoAppJSON is one app as `relais demo --headless` saw it.
type demoAppJSON struct {
	ID         string          `json:"id"`
	Name       textJSON        `json:"name"`
	URL        string          `json:"url"`
	Designed   string          `json:"designed"` // healthy | slow | broken
	State      string          `json:"state"`    // ok | degraded | failed
	AsDesigned bool            `json:"as_designed"`
	HTTPStatus int             `json:"http_status,omitempty"`
	DurationMS float64         `json:"duration_ms"`
	Conditions []conditionJSON `json:"conditions"`
	Error      string          `json:"error,omitempty"`
}

type conditionJSON struct {
	Expr     string `json:"expr"`
	OK       bool   `json:"ok"`
	Degraded bool   `json:"degraded_if,omitempty"` // a degraded_if condition (ok = it did not apply)
}

type demoJSON struct {
	Profile    profileStatusJSON `json:"profile"`
	Tunnel     tunnel.Status     `json:"tunnel"`
	Apps       []demoAppJSON     `json:"apps"`
	AsDesigned bool              `json:"as_designed"`
}

// designedState is the state each kind of demo app must show.
var designedState = map[office.Behaviour]string{office.Healthy: "ok", office.Slow: "degraded", office.Broken: "failed"}

func cmdDemo(ctx context.Context, r *run, args []string) int {
	fs := flag.NewFlagSet("relais demo", flag.ContinueOnError)
	headless := fs.Bool("headless", false, "cli.demo.flag.headless")
	socks := fs.String("socks", "", "cli.tunnel.flag.socks")
	httpProxy := fs.String("http-proxy", "", "cli.tunnel.flag.http_proxy")
	asJSON := fs.Bool("json", false, "cli.flag.json")
	if !r.parseNoArgs(fs, args, "cli.demo.usage") {
		return ExitUsage
	}
	// The demo has its own store: its profile, signed by a key made a
	// moment ago, must never become the user's real profile.
	dir, err := config.DataDir(r.configEnv())
	if err != nil {
		return r.fail(ExitUsage, "cli.error.data_dir", err.Error())
	}
	dir = filepath.Join(dir, "demo")
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return r.fail(ExitUsage, "cli.error.data_dir", err.Error())
	}
	db, err := store.Open(filepath.Join(dir, "relais.db"))
	if err != nil {
		return r.fail(ExitUsage, "cli.store.open", err.Error())
	}
	defer db.Close()

	off, err := office.Start(ctx, office.Options{SlowDelay: demoSlowDelay})
	if err != nil {
		return r.fail(ExitUsage, "cli.demo.office_failed", r.describe(err))
	}
	defer off.Close()
	r.say("cli.demo.office_started", off.Endpoint, off.ProfileURL)

	// From here on, the ordinary path: sync, verify, cache, tunnel.
	s := &profile.Syncer{Client: r.HTTPClient, Cache: storeCache{db}, Trusted: []minisign.PublicKey{off.TrustedKey}, Now: r.Now,
		Logf: func(format string, a ...any) { _ = db.LogEvent(ctx, "profile", fmt.Sprintf(format, a...)) }}
	res, err := s.SyncURL(ctx, off.ProfileURL)
	if err != nil {
		return r.fail(ExitUsage, "cli.demo.sync_failed", r.describe(err))
	}
	p := res.Profile
	r.say("cli.demo.profile_accepted", p.Serial)
	cfg, err := tunnel.FromProfile(p.Tunnel, off.ClientKey, nil)
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
			r.printJSON(st)
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

	doc := demoJSON{Profile: profileStatusJSON{Serial: p.Serial, Signed: true, Signature: "valid"}, AsDesigned: true}
	doc.Apps = probeDemoApps(ctx, u, p)
	doc.Tunnel = u.Status()
	for _, a := range doc.Apps {
		doc.AsDesigned = doc.AsDesigned && a.AsDesigned
	}
	if *asJSON {
		r.printJSON(doc)
	} else {
		r.printDemo(doc)
	}
	// Exit 0 means the demo showed what it is for: the healthy app ok, the
	// slow one degraded, the broken one failed. Anything else (the tunnel
	// carried nothing, a healthy app failed) is 1, "done, but not what was
	// expected", as for any check; 2 stays for a demo that could not start.
	if !doc.AsDesigned {
		return ExitUnhealthy
	}
	return ExitOK
}

// probeDemoApps makes one HTTP request to each demo app through the
// tunnel, concurrently, and judges it by the profile's own conditions.
func probeDemoApps(ctx context.Context, u *tunnel.Userspace, p *profile.Profile) []demoAppJSON {
	out := make([]demoAppJSON, len(office.Apps))
	var wg sync.WaitGroup
	for i, a := range office.Apps {
		app := p.App(a.ID)
		out[i] = demoAppJSON{ID: a.ID, URL: a.HealthURL, Designed: string(a.Behaviour), State: "failed", Conditions: []conditionJSON{}}
		if app == nil {
			out[i].Error = "not in the profile"
			continue
		}
		out[i].Name = textJSON{app.Name.FR, app.Name.EN}
		var check *profile.Check
		for j := range app.Checks {
			if app.Checks[j].Type == "http" {
				check = &app.Checks[j]
				break
			}
		}
		if check == nil {
			out[i].Error = "no http check"
			continue
		}
		wg.Add(1)
		go func(res *demoAppJSON, c profile.Check) {
			defer wg.Done()
			probeHTTP(ctx, u, c, res)
			res.AsDesigned = res.State == designedState[a.Behaviour]
		}(&out[i], *check)
	}
	wg.Wait()
	return out
}

func probeHTTP(ctx context.Context, u *tunnel.Userspace, c profile.Check, res *demoAppJSON) {
	timeout := c.Timeout.Duration()
	if timeout <= 0 {
		timeout = 5 * time.Second
	}
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	client := &http.Client{Transport: &http.Transport{DialContext: u.Dial, DisableKeepAlives: true}}
	defer client.CloseIdleConnections()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, c.Target, nil)
	if err != nil {
		res.Error = err.Error()
		return
	}
	start := time.Now()
	resp, err := client.Do(req)
	var body []byte
	if err == nil {
		body, err = io.ReadAll(io.LimitReader(resp.Body, maxDemoBody))
		resp.Body.Close()
		res.HTTPStatus = resp.StatusCode
	}
	elapsed := time.Since(start)
	res.DurationMS = float64(elapsed.Microseconds()) / 1000
	if err != nil {
		res.Error = err.Error()
		return
	}
	res.State = "ok"
	for _, cond := range c.Conditions {
		expr, ok := evalCondition(cond, resp.StatusCode, elapsed, string(body))
		res.Conditions = append(res.Conditions, conditionJSON{Expr: expr, OK: ok})
		if !ok {
			res.State = "failed"
		}
	}
	if res.State == "ok" {
		for _, cond := range c.DegradedIf {
			expr, hit := evalCondition(cond, resp.StatusCode, elapsed, string(body))
			res.Conditions = append(res.Conditions, conditionJSON{Expr: expr, OK: !hit, Degraded: true})
			if hit {
				res.State = "degraded"
			}
		}
	}
}

// evalCondition evaluates the http placeholders the demo profile uses
// ([STATUS], [RESPONSE_TIME], [BODY]) and shows the value it saw, as the
// checks will: "[STATUS] (503) == 200". Other placeholders hold.
func evalCondition(cond string, status int, elapsed time.Duration, body string) (string, bool) {
	ph, op, value, err := profile.SplitCondition(cond)
	if err != nil {
		return cond, false
	}
	var seen string
	var ok bool
	switch ph {
	case profile.PlaceholderStatus:
		seen = strconv.Itoa(status)
		ok = compareNumbers(float64(status), op, value)
	case profile.PlaceholderResponseTime:
		ms := float64(elapsed.Milliseconds())
		seen = strconv.FormatInt(elapsed.Milliseconds(), 10)
		ok = compareNumbers(ms, op, value)
	case profile.PlaceholderBody:
		seen = strings.TrimSpace(body)
		if len(seen) > 40 {
			seen = seen[:40] + "…"
		}
		match := body == value
		if pat, isPat := strings.CutPrefix(value, "pat("); isPat {
			match = globMatch(strings.TrimSuffix(pat, ")"), body)
		}
		ok = match == (op == "==")
	default:
		return cond, true
	}
	return fmt.Sprintf("[%s] (%s) %s %s", ph, seen, op, value), ok
}

func compareNumbers(x float64, op, value string) bool {
	y, err := strconv.ParseFloat(value, 64)
	if err != nil {
		return false
	}
	switch op {
	case "==":
		return x == y
	case "!=":
		return x != y
	case "<":
		return x < y
	case "<=":
		return x <= y
	case ">":
		return x > y
	case ">=":
		return x >= y
	}
	return false
}

// globMatch matches s against a pattern where * is any run of characters.
func globMatch(pattern, s string) bool {
	parts := strings.Split(pattern, "*")
	if !strings.HasPrefix(s, parts[0]) {
		return false
	}
	s = s[len(parts[0]):]
	for i, part := range parts[1:] {
		if i == len(parts)-2 {
			return strings.HasSuffix(s, part)
		}
		j := strings.Index(s, part)
		if j < 0 {
			return false
		}
		s = s[j+len(part):]
	}
	return s == ""
}

func (r *run) printDemo(doc demoJSON) {
	states := map[string]string{"ok": r.t("cli.demo.state.ok"), "degraded": r.t("cli.demo.state.degraded"), "failed": r.t("cli.demo.state.failed")}
	designed := map[string]string{"healthy": r.t("cli.demo.designed.healthy"), "slow": r.t("cli.demo.designed.slow"), "broken": r.t("cli.demo.designed.broken")}
	for _, a := range doc.Apps {
		name := a.Name.FR
		if r.lang == "en" {
			name = a.Name.EN
		}
		mark := "✔"
		if !a.AsDesigned {
			mark = "✘"
		}
		detail := fmt.Sprintf("HTTP %d", a.HTTPStatus)
		if a.Error != "" {
			detail = a.Error
		}
		r.out("cli.demo.app", mark, name, states[a.State], detail, a.DurationMS, designed[a.Designed])
		for _, c := range a.Conditions {
			switch {
			case !c.OK && c.Degraded:
				r.out("cli.demo.degraded_by", c.Expr)
			case !c.OK:
				r.out("cli.demo.condition", c.Expr)
			}
		}
	}
	if doc.AsDesigned {
		r.out("cli.demo.as_designed")
	} else {
		r.out("cli.demo.not_as_designed")
	}
}
