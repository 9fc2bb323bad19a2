package checks

import (
	"context"
	"crypto/x509"
	"fmt"
	"net/http"
	"net/netip"
	"runtime"
	"slices"
	"sync"
	"time"

	"relais/internal/profile"
	"relais/internal/redact"
	"relais/internal/tunnel"
)

// Defaults of a Runner's zero fields.
const (
	DefaultHandshakeMaxAge = 180 * time.Second
	// DefaultHandshakeWait covers a tunnel just brought up: WireGuard's first handshake
	// takes a round trip after the first packet (or keepalive).
	DefaultHandshakeWait = 5 * time.Second
	// DefaultInternetURL answers 204 to anyone, over https, from a large anycast network;
	// any HTTP answer proves direct access to the internet.
	DefaultInternetURL = "https://connectivitycheck.gstatic.com/generate_204"
	// DefaultConcurrency bounds the checks in flight. A run has one deadline: a check still
	// waiting for a slot when it passes is not run (pending), so the bound is high enough
	// for every check of any real profile to get its turn even when each waits its full
	// timeout behind a silent gateway.
	DefaultConcurrency  = 256
	DefaultRetryBackoff = 250 * time.Millisecond
	// BuiltinTimeout bounds each attempt of the internet and captive built-ins.
	BuiltinTimeout = 5 * time.Second
)

// grace is how long a probe may overrun its deadline before the Runner gives up on it and
// reports a timeout anyway: a Dialer that ignores its context must not hold a check (and
// the Mode urgence screen) hostage. Well-behaved probes return well within it.
const grace = 500 * time.Millisecond

// Runner runs checks. The zero value works (no tunnel: every via="tunnel" check fails with
// tunnel_down); fields are read, never written, by Run, so a Runner is safe for concurrent
// runs once set up.
type Runner struct {
	Tunnel          Dialer               // nil: every via="tunnel" check fails with reason tunnel_down
	Direct          Dialer               // nil: a net.Dialer
	TunnelDNS       []netip.Addr         // resolvers reached through the tunnel (profile tunnel.dns)
	DNSDomains      []string             // names under these resolve via TunnelDNS through Tunnel (others: system resolver)
	TunnelStatus    func() tunnel.Status // for the built-in "tunnel" check; nil: tunnel down
	HandshakeMaxAge time.Duration        // built-in tunnel: handshake younger than this; 0: DefaultHandshakeMaxAge
	HandshakeWait   time.Duration        // built-in tunnel: how long to wait for a first (or fresh) handshake; 0: DefaultHandshakeWait, < 0: none
	InternetURL     string               // built-in internet: direct GET, any HTTP answer is ok; "": DefaultInternetURL
	CaptiveURL      string               // built-in captive: must answer CaptiveStatus with no redirect; "": PlatformCaptiveProbe(GOOS)
	CaptiveStatus   int                  // the status CaptiveURL must answer; 0: profile.DefaultCaptiveStatus (204)
	GOOS            string               // whose usual captive endpoint is the fallback; "": runtime.GOOS
	// Connectivity, if set, reads the operating system's own verdict
	// (NMConnectivity: NetworkManager's); ok false: no verdict. A portal
	// verdict fails the captive built-in whatever the probe saw.
	Connectivity func(ctx context.Context) (state uint32, ok bool)
	Concurrency  int               // bound on checks in flight; 0: DefaultConcurrency
	Contacts     []profile.Contact // the reason's next step names the helpdesk (role "helpdesk") and its phone
	Now          func() time.Time  // nil: time.Now (for At and certificate expiry)
	Logf         func(format string, args ...any)

	// RootCAs verifies servers' certificates; nil: the system roots. Tests set it.
	RootCAs *x509.CertPool
	// LookupNetIP resolves names outside the tunnel's DNS domains; nil: the system resolver.
	LookupNetIP func(ctx context.Context, network, host string) ([]netip.Addr, error)
	// RetryBackoff is the wait before the first retry, doubled for each next one (capped at
	// a second); 0: DefaultRetryBackoff.
	RetryBackoff time.Duration
	// Progress, if set, receives each check's result as soon as it is known (from any
	// goroutine), so a front end can turn lines green before the run ends.
	Progress func(CheckResult)

	mu     sync.Mutex            // guards parsed
	parsed map[string]*condition // conditions parsed once, by their text
}

// CaptiveProbe is what the captive built-in fetches, without following
// redirects, and what it must answer for the network to be free of a portal.
type CaptiveProbe struct {
	URL    string
	Status int    // the status it must answer
	Body   string // "" or a text the body must contain (a portal answering 200 with its own page has not it)
}

// PlatformCaptiveProbe is the endpoint the operating system goos itself
// probes for captive portals, with the answer it expects: Windows's NCSI,
// Apple's hotspot detection, and elsewhere NetworkManager's as GNOME
// configures it. Each is plain http so that a portal can intercept it (and so
// be detected). It is the captive built-in's fallback when neither the
// managed configuration nor the profile names a probe.
func PlatformCaptiveProbe(goos string) CaptiveProbe {
	switch goos {
	case "windows":
		return CaptiveProbe{URL: "http://www.msftconnecttest.com/connecttest.txt", Status: http.StatusOK, Body: "Microsoft Connect Test"}
	case "darwin", "ios":
		return CaptiveProbe{URL: "http://captive.apple.com/hotspot-detect.html", Status: http.StatusOK, Body: "Success"}
	default:
		return CaptiveProbe{URL: "http://nmcheck.gnome.org/check_network_status.txt", Status: http.StatusOK, Body: "NetworkManager is online"}
	}
}

// Captive is the probe of the captive built-in: CaptiveURL and
// CaptiveStatus when set, else the platform's usual endpoint.
func (r *Runner) Captive() CaptiveProbe {
	if r.CaptiveURL != "" {
		st := r.CaptiveStatus
		if st == 0 {
			st = profile.DefaultCaptiveStatus
		}
		return CaptiveProbe{URL: r.CaptiveURL, Status: st}
	}
	goos := r.GOOS
	if goos == "" {
		goos = runtime.GOOS
	}
	return PlatformCaptiveProbe(goos)
}

func (r *Runner) now() time.Time {
	if r.Now != nil {
		return r.Now()
	}
	return time.Now()
}

func (r *Runner) logf(format string, args ...any) {
	if r.Logf != nil {
		r.Logf(format, args...)
	}
}

// conditions returns the parsed conditions, parsing each text only the first time any run
// meets it. A condition that does not parse (impossible after profile validation) is nil
// and evaluates as not met.
func (r *Runner) conditions(texts []string) []*condition {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.parsed == nil {
		r.parsed = map[string]*condition{}
	}
	out := make([]*condition, len(texts))
	for i, s := range texts {
		c, ok := r.parsed[s]
		if !ok {
			var err error
			if c, err = parseCondition(s); err != nil {
				r.logf("%v", err)
			}
			r.parsed[s] = c
		}
		out[i] = c
	}
	return out
}

// Deadline is the longest a check may take: each attempt is bounded by the check's timeout
// and the retries wait a little in between. A Runner returns the check's result by then
// plus one second, whatever its Dialer does.
func (r *Runner) Deadline(c *profile.Check) time.Duration {
	d := time.Duration(c.Retries+1) * checkTimeout(c)
	for i := 1; i <= c.Retries; i++ {
		d += r.backoff(i)
	}
	return d
}

func checkTimeout(c *profile.Check) time.Duration {
	if t := c.Timeout.Duration(); t > 0 {
		return t
	}
	return profile.DefaultTimeout
}

func (r *Runner) backoff(retry int) time.Duration {
	b := r.RetryBackoff
	if b <= 0 {
		b = DefaultRetryBackoff
	}
	b <<= retry - 1
	return min(b, time.Second)
}

// node is an app or a built-in in the dependency graph of one run.
type node struct {
	id      string
	app     *profile.App     // nil for a built-in
	checks  []*profile.Check // the app's checks to run
	deps    []*node
	done    chan struct{}
	state   State
	blocked []string      // root causes when blocked
	results []CheckResult // the app's checks, or the built-in's one result
}

// Run runs every app's checks, and the built-ins the apps require, in dependency order.
func (r *Runner) Run(ctx context.Context, p *profile.Profile) *Report {
	return r.run(ctx, p, nil)
}

// RunChecks runs only the checks (or built-ins) with those ids, and what their apps
// require, for "check again" and drill steps. Required apps are run whole; the apps of the
// named checks only with those checks. Unknown ids are ignored.
func (r *Runner) RunChecks(ctx context.Context, p *profile.Profile, ids []string) *Report {
	sel := map[string]bool{}
	for _, id := range ids {
		sel[id] = true
	}
	return r.run(ctx, p, sel)
}

func (r *Runner) run(ctx context.Context, p *profile.Profile, sel map[string]bool) *Report {
	rep := &Report{Started: r.now()}
	nodes := map[string]*node{}
	var order []*node // apps in profile order, then built-ins
	var add func(id string, only map[string]bool) *node
	visiting := map[string]bool{}
	add = func(id string, only map[string]bool) *node {
		if n, ok := nodes[id]; ok {
			if n.app != nil && only == nil && len(n.checks) != len(n.app.Checks) {
				n.checks = checksOf(n.app, nil) // required after all: run it whole
			}
			return n
		}
		if visiting[id] {
			return nil // a cycle (profile validation refuses them): ignore the back edge
		}
		n := &node{id: id, done: make(chan struct{})}
		if a := p.App(id); a != nil {
			n.app, n.checks = a, checksOf(a, only)
		} else if id != profile.BuiltinTunnel && id != profile.BuiltinInternet && id != profile.BuiltinCaptive {
			return nil
		}
		visiting[id] = true
		if n.app != nil {
			for _, req := range n.app.Requires {
				if d := add(req, nil); d != nil {
					n.deps = append(n.deps, d)
				}
			}
		}
		delete(visiting, id)
		nodes[id] = n
		order = append(order, n)
		return n
	}
	for i := range p.Apps {
		a := &p.Apps[i]
		if sel == nil {
			add(a.ID, nil)
			continue
		}
		only := map[string]bool{}
		for _, c := range a.Checks {
			if sel[c.ID] {
				only[c.ID] = true
			}
		}
		if len(only) > 0 {
			add(a.ID, only)
		}
	}
	for _, b := range []string{profile.BuiltinTunnel, profile.BuiltinInternet, profile.BuiltinCaptive} {
		if sel[b] {
			add(b, nil)
		}
	}
	// Behind a captive portal the internet check fails too: one outage, one red line.
	if in, ok := nodes[profile.BuiltinInternet]; ok {
		if c, ok := nodes[profile.BuiltinCaptive]; ok {
			in.deps = append(in.deps, c)
		}
	}

	// One deadline for the whole run: every check, whatever it waits for
	// (a slot, what it requires, its retries), is done by then. A gateway
	// that drops every packet then costs one timeout, not one per slot.
	ctx, cancel := context.WithTimeout(ctx, r.bound(order))
	defer cancel()

	limit := r.Concurrency
	if limit <= 0 {
		limit = DefaultConcurrency
	}
	sem := make(chan struct{}, limit)
	var wg sync.WaitGroup
	for _, n := range order {
		wg.Add(1)
		go func() {
			defer wg.Done()
			defer close(n.done)
			r.runNode(ctx, p, n, sem)
		}()
	}
	wg.Wait()

	for i := range p.Apps {
		n, ok := nodes[p.Apps[i].ID]
		if !ok {
			continue
		}
		a := n.app
		rep.Apps = append(rep.Apps, AppResult{ID: a.ID, Name: a.Name, Criticality: a.Criticality, State: n.state,
			BlockedBy: n.blocked, Checks: n.results})
	}
	for _, n := range order {
		if n.app == nil {
			if rep.Builtins == nil {
				rep.Builtins = map[string]CheckResult{}
			}
			rep.Builtins[n.id] = n.results[0]
		}
	}
	rep.Finished = r.now()
	return rep
}

// RunBound is the longest a Run of p may take: the largest of its checks'
// Deadline and of its built-ins' waits. A Runner returns by then plus one
// second, whatever its Dialers do.
func (r *Runner) RunBound(p *profile.Profile) time.Duration {
	var nodes []*node
	for i := range p.Apps {
		a := &p.Apps[i]
		nodes = append(nodes, &node{id: a.ID, app: a, checks: checksOf(a, nil)})
		for _, req := range a.Requires {
			if p.App(req) == nil {
				nodes = append(nodes, &node{id: req})
			}
		}
	}
	return r.bound(nodes)
}

// bound is the deadline of a run of nodes.
func (r *Runner) bound(nodes []*node) time.Duration {
	var d time.Duration
	for _, n := range nodes {
		switch {
		case n.app != nil:
			for _, c := range n.checks {
				d = max(d, r.Deadline(c))
			}
		case n.id == profile.BuiltinTunnel:
			// Reading the status (through the helper in system mode) takes
			// a moment even when it does not wait.
			d = max(d, r.handshakeWait(), grace)
		default:
			d = max(d, BuiltinTimeout)
		}
	}
	return d
}

// handshakeWait is how long the tunnel built-in waits for a fresh
// handshake; 0: it does not wait.
func (r *Runner) handshakeWait() time.Duration {
	switch {
	case r.HandshakeWait < 0:
		return 0
	case r.HandshakeWait == 0:
		return DefaultHandshakeWait
	}
	return r.HandshakeWait
}

func checksOf(a *profile.App, only map[string]bool) []*profile.Check {
	var out []*profile.Check
	for i := range a.Checks {
		if only == nil || only[a.Checks[i].ID] {
			out = append(out, &a.Checks[i])
		}
	}
	return out
}

// runNode waits for what n requires, then runs n's checks (or marks them blocked).
func (r *Runner) runNode(ctx context.Context, p *profile.Profile, n *node, sem chan struct{}) {
	var causes []string
	for _, d := range n.deps {
		select {
		case <-d.done:
		case <-ctx.Done():
		}
		select {
		case <-d.done:
		default:
			continue // cancelled: pending below
		}
		switch d.state {
		case StateFailed:
			causes = append(causes, d.id)
		case StateBlocked:
			causes = append(causes, d.blocked...)
		}
	}
	slices.Sort(causes)
	causes = slices.Compact(causes)

	if n.app == nil {
		res := r.builtin(ctx, n.id, causes, p, sem)
		n.state, n.results = res.State, []CheckResult{res}
		r.progress(res)
		return
	}
	n.results = make([]CheckResult, len(n.checks))
	if len(causes) > 0 {
		n.state, n.blocked = StateBlocked, causes
		reason := r.blockedReason(p, "checks.reason.blocked", n.app.Name, causes)
		for i, c := range n.checks {
			n.results[i] = r.skeleton(n.app, c)
			n.results[i].State, n.results[i].Reason = StateBlocked, reason
			r.progress(n.results[i])
		}
		return
	}
	if ctx.Err() != nil { // cancelled before it could run: pending, not failed
		for i, c := range n.checks {
			n.results[i] = r.skeleton(n.app, c)
		}
		n.state = StatePending
		return
	}
	var wg sync.WaitGroup
	for i, c := range n.checks {
		wg.Add(1)
		go func() {
			defer wg.Done()
			select {
			case sem <- struct{}{}:
			case <-ctx.Done():
				n.results[i] = r.skeleton(n.app, c)
				return
			}
			if ctx.Err() != nil { // the run's deadline passed while it waited for a slot: not run
				<-sem
				n.results[i] = r.skeleton(n.app, c)
				return
			}
			n.results[i] = r.runCheck(ctx, n.app, c)
			<-sem
			r.progress(n.results[i])
		}()
	}
	wg.Wait()
	n.state = worst(n.results)
}

func (r *Runner) progress(res CheckResult) {
	if r.Progress != nil {
		r.Progress(res)
	}
}

// worst is an app's state from its checks: failed, then pending, then degraded, else ok.
func worst(results []CheckResult) State {
	st := StateOK
	for _, c := range results {
		switch {
		case c.State == StateFailed || c.State == StateBlocked:
			return StateFailed
		case c.State == StatePending:
			st = StatePending
		case c.State == StateDegraded && st == StateOK:
			st = StateDegraded
		}
	}
	return st
}

// skeleton is a check's result before it runs: pending.
func (r *Runner) skeleton(a *profile.App, c *profile.Check) CheckResult {
	via := c.Via
	if via == "" {
		via = profile.DefaultVia
	}
	return CheckResult{ID: c.ID, AppID: a.ID, Type: c.Type, Target: redact.Target(c.Target), Via: via, State: StatePending}
}

// blockedReason names the root causes: app names, or the built-ins in words.
// key words the subject: an app (checks.reason.blocked) or a built-in
// (checks.reason.blocked_builtin).
func (r *Runner) blockedReason(p *profile.Profile, key string, subject profile.Text, causes []string) *Reason {
	return r.newReason(CodeBlocked, texts{key: key,
		args: func(l string) []any { return []any{subject.In(l), causeNames(p, causes, l)} },
		nextArgs: func(l string) []any {
			return []any{causeNames(p, causes, l)}
		}})
}

func causeNames(p *profile.Profile, causes []string, lang string) string {
	var names []string
	for _, c := range causes {
		switch {
		case p.App(c) != nil:
			names = append(names, appName(lang, p.App(c).Name))
		default:
			names = append(names, i18nBuiltin(lang, c))
		}
	}
	return joinNames(names, lang)
}

// bounded runs probe with a deadline of timeout and returns by that deadline plus grace
// even if probe does not: it then reports ok=false and abandons the probe's goroutine.
func bounded[T any](ctx context.Context, timeout time.Duration, probe func(ctx context.Context) T) (T, bool) {
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	ch := make(chan T, 1)
	go func() { ch <- probe(ctx) }()
	select {
	case v := <-ch:
		return v, true
	case <-ctx.Done():
	}
	t := time.NewTimer(grace)
	defer t.Stop()
	select {
	case v := <-ch:
		return v, true
	case <-t.C:
		var zero T
		return zero, false
	}
}

// errAbandoned is the error of a probe that overran its deadline.
var errAbandoned = fmt.Errorf("checks: probe still running %v after its deadline: abandoned: %w", grace, context.DeadlineExceeded)
