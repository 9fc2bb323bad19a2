package checks

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptrace"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"time"

	"relais/internal/i18n"
	"relais/internal/profile"
	"relais/internal/redact"
)

// maxBody caps how much of an answer is read for [BODY].
const maxBody = 1 << 20

// maxRedirects bounds the same-host redirects an http check follows.
const maxRedirects = 5

// outcome is what one attempt produced.
type outcome struct {
	seen   observed
	phases Phases
	took   time.Duration
	err    error
	dns    bool // err happened while resolving the target's name
}

// route's phases are written by the transport's goroutines too (a dial the transport
// finishes in the background after a cancelled request), hence the mutex.
type phaseClock struct {
	mu        sync.Mutex // guards ph, inDNS and dnsFailed
	ph        Phases
	inDNS     bool // resolving a name right now: an abandoned probe was stuck in DNS
	dnsFailed bool // a resolution failed: the attempt failed in DNS, whatever else raced with it
}

// failedInDNS reports whether the attempt was stuck in, or failed at, name
// resolution. Reading only inDNS raced with the resolver clearing it as the
// same deadline hit both.
func (p *phaseClock) failedInDNS() bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.inDNS || p.dnsFailed
}

func (p *phaseClock) resolving(on bool) {
	p.mu.Lock()
	p.inDNS = on
	p.mu.Unlock()
}

func (p *phaseClock) add(f func(*Phases)) {
	p.mu.Lock()
	f(&p.ph)
	p.mu.Unlock()
}

func (p *phaseClock) get() Phases {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.ph
}

// runCheck runs one check with its retries and turns what it saw into a result.
func (r *Runner) runCheck(ctx context.Context, a *profile.App, c *profile.Check) CheckResult {
	res := r.skeleton(a, c)
	res.At = r.now()
	conds := r.conditions(defaultConditions(c))
	degraded := r.conditions(c.DegradedIf)
	timeout := checkTimeout(c)
	for attempt := 0; ; attempt++ {
		if attempt > 0 {
			select {
			case <-time.After(r.backoff(attempt)):
			case <-ctx.Done():
			}
		}
		if ctx.Err() != nil && attempt > 0 {
			break
		}
		// The run's deadline may leave this attempt less than its timeout:
		// its reason then says how long it really waited.
		limit := timeout
		if dl, ok := ctx.Deadline(); ok {
			limit = min(limit, time.Until(dl))
		}
		if limit <= 0 && attempt > 0 {
			break
		}
		res.Attempts++
		clock := &phaseClock{}
		o, finished := bounded(ctx, timeout, func(ctx context.Context) outcome { return r.attempt(ctx, c, res.Via, clock) })
		if !finished {
			o = outcome{err: errAbandoned, took: limit + grace, phases: clock.get()}
			o.dns = clock.failedInDNS()
		}
		r.judge(&res, a, c, o, conds, degraded, limit)
		if res.State != StateFailed || attempt >= c.Retries || ctx.Err() != nil {
			break
		}
		r.logf("checks: %s: attempt %d failed (%s), retrying", c.ID, attempt+1, res.Reason.Code)
	}
	return res
}

// defaultConditions are the check's conditions, or when it has none what "answers" means
// for its type: an http status below 400, a NOERROR DNS answer (connecting is enough for
// tcp and tls).
func defaultConditions(c *profile.Check) []string {
	if len(c.Conditions) > 0 {
		return c.Conditions
	}
	switch c.Type {
	case "http":
		return []string{"[STATUS] < 400"}
	case "dns":
		return []string{"[DNS_RCODE] == NOERROR"}
	}
	return nil
}

// attempt probes once.
func (r *Runner) attempt(ctx context.Context, c *profile.Check, via string, clock *phaseClock) outcome {
	rt := r.route(via, clock)
	rt.allowLocal = c.AllowLocal
	start := time.Now()
	var o outcome
	switch c.Type {
	case "http":
		o.err = r.probeHTTP(ctx, rt, c.Target, &o.seen, clock, nil)
	case "tcp":
		var conn net.Conn
		if conn, o.err = rt.dial(ctx, "tcp", c.Target); o.err == nil {
			conn.Close()
		}
	case "tls":
		o.err = r.probeTLS(ctx, rt, c.Target, &o.seen, clock)
	case "dns":
		o.err = r.probeDNS(ctx, rt, c.Target, &o.seen, clock)
	default:
		o.err = fmt.Errorf("checks: unknown check type %q", c.Type)
	}
	o.took = time.Since(start)
	o.phases = clock.get()
	var re *resolveError
	// The transport may still be resolving in the background, or its
	// resolution failed while the error it returned speaks of the deadline.
	o.dns = errors.As(o.err, &re) || c.Type == "dns" || clock.failedInDNS()
	if c.Type != "dns" {
		o.seen.connected = o.err == nil
		o.seen.set(profile.PlaceholderConnected)
	}
	o.seen.responseTime = o.took
	o.seen.set(profile.PlaceholderResponseTime)
	return o
}

// judge turns an outcome into the result's state, conditions and reason.
func (r *Runner) judge(res *CheckResult, a *profile.App, c *profile.Check, o outcome, conds, degraded []*condition, limit time.Duration) {
	res.Duration, res.Phases, res.Error, res.Reason = o.took, o.phases, "", nil
	res.Conditions = res.Conditions[:0]
	var failed []Condition
	for i, cond := range conds {
		ev := Condition{Expr: defaultConditions(c)[i] + " (invalid)"}
		if cond != nil {
			ev = cond.eval(&o.seen)
		}
		res.Conditions = append(res.Conditions, ev)
		if !ev.OK {
			failed = append(failed, ev)
		}
	}
	var slow []Condition
	var slowConds []*condition
	for _, cond := range degraded {
		if cond == nil {
			continue
		}
		ev := cond.eval(&o.seen)
		// A degraded_if reads "this is bad" when true: shown ok when it does not hold.
		res.Conditions = append(res.Conditions, Condition{Expr: ev.Expr, OK: !ev.OK})
		if ev.OK {
			slow = append(slow, ev)
			slowConds = append(slowConds, cond)
		}
	}
	host := targetHost(c)
	switch {
	case o.err != nil:
		res.State = StateFailed
		res.Error = redact.URLIn(o.err.Error(), c.Target)
		res.Reason = r.errorReason(classify(o.err, o.dns), a.Name, host, res.Via, waited(limit))
	case len(failed) > 0:
		res.State = StateFailed
		res.Reason = r.conditionReason(a.Name, host, o.seen, failed)
	case len(slow) > 0:
		res.State = StateDegraded
		res.Reason = r.degradedReason(a.Name, o.seen, slowConds)
	default:
		res.State = StateOK
	}
}

// waited is how long an attempt waited, as its reason says it: the
// check's timeout, or what the run's deadline left of it, to the tenth of
// a second.
func waited(limit time.Duration) time.Duration {
	if limit >= 100*time.Millisecond {
		return limit.Round(100 * time.Millisecond)
	}
	return max(limit.Round(time.Millisecond), time.Millisecond)
}

// degradedReason words a degraded_if that held. A response time over its
// limit reads as the person would say it ("répond en 1,5 s au lieu de
// 0,8 s au plus"); anything else points at the details, where the rule
// and the value seen stay (Conditions, JSON).
func (r *Runner) degradedReason(app profile.Text, seen observed, held []*condition) *Reason {
	for _, c := range held {
		if c.placeholder == profile.PlaceholderResponseTime && (c.op == ">" || c.op == ">=") && seen.has[profile.PlaceholderResponseTime] {
			limit := time.Duration(c.num * float64(time.Millisecond))
			return r.newReason(CodeDegraded, texts{key: "checks.reason.degraded_slow", args: func(l string) []any {
				return []any{app.In(l), i18n.Duration(l, seen.responseTime), i18n.Duration(l, limit)}
			}})
		}
	}
	return r.newReason(CodeDegraded, texts{key: "checks.reason.degraded", args: named(app)})
}

// conditionReason explains the first failed condition that matters most: an HTTP status,
// a DNS answer code, slowness, then anything else.
func (r *Runner) conditionReason(app profile.Text, host string, seen observed, failed []Condition) *Reason {
	for _, f := range failed {
		switch {
		case strings.HasPrefix(f.Expr, "["+profile.PlaceholderStatus+"]") && seen.has[profile.PlaceholderStatus]:
			key := "checks.reason.http_status"
			switch {
			case seen.status >= 500:
				key = "checks.reason.http_status_server"
			case seen.status >= 400:
				key = "checks.reason.http_status_client"
			}
			return r.newReason(CodeHTTPStatus, texts{key: key, args: named(app, strconv.Itoa(seen.status))})
		case strings.HasPrefix(f.Expr, "["+profile.PlaceholderDNSRcode+"]") && seen.has[profile.PlaceholderDNSRcode]:
			if seen.rcode == "NXDOMAIN" {
				return r.newReason(CodeDNSNXDomain, texts{key: "checks.reason.dns_nxdomain", args: same(host)})
			}
			return r.newReason(CodeDNSError, texts{key: "checks.reason.dns_error", args: same(host, seen.rcode)})
		}
	}
	for _, f := range failed {
		if strings.HasPrefix(f.Expr, "["+profile.PlaceholderResponseTime+"]") {
			return r.newReason(CodeCondition, texts{key: "checks.reason.slow", args: func(l string) []any {
				return []any{app.In(l), i18n.Duration(l, seen.responseTime)}
			}})
		}
	}
	// The rule and the value seen are in the check's conditions (Détails).
	return r.newReason(CodeCondition, texts{key: "checks.reason.condition", args: named(app)})
}

// errorReason explains a probe that got no usable answer.
func (r *Runner) errorReason(code string, app profile.Text, host, via string, timeout time.Duration) *Reason {
	switch code {
	case CodeDNSNXDomain:
		return r.newReason(code, texts{key: "checks.reason.dns_nxdomain", args: same(host)})
	case CodeDNSTimeout:
		key := "checks.reason.dns_timeout"
		if via == "direct" {
			key = "checks.reason.dns_timeout_direct"
		}
		return r.newReason(code, texts{key: key, args: same(host)})
	case CodeDNSError:
		return r.newReason(code, texts{key: "checks.reason.dns_error", args: same(host, "SERVFAIL")})
	case CodeTimeout:
		return r.newReason(code, texts{key: "checks.reason.timeout", args: func(l string) []any {
			return []any{app.In(l), i18n.Duration(l, timeout)}
		}})
	case CodeTunnelDown:
		return r.newReason(code, texts{key: "checks.reason.tunnel_down"})
	case CodeMTU:
		return r.newReason(code, texts{key: "checks.reason.mtu_blackhole", args: named(app)})
	}
	key := "checks.reason." + code
	if _, ok := nextKey[code]; !ok {
		code, key = CodeUnreachable, "checks.reason.unreachable"
	}
	return r.newReason(code, texts{key: key, args: named(app, host)})
}

func parseURL(s string) *url.URL {
	u, err := url.Parse(s)
	if err != nil || u.Host == "" {
		return nil
	}
	return u
}

// targetHost is the name a check reaches, for reasons.
func targetHost(c *profile.Check) string {
	switch c.Type {
	case "http":
		if u := parseURL(c.Target); u != nil {
			return u.Hostname()
		}
	case "tcp", "tls":
		if h, _, err := net.SplitHostPort(c.Target); err == nil {
			return h
		}
	}
	return c.Target
}

// probeHTTP fetches target, following redirects only to the same host name (a redirect
// elsewhere — a single sign-on page, a captive portal — is reported as the status seen),
// with TLS verified against RootCAs or the system roots. noRedirect, when not nil, receives
// whether the answer was not a redirect (the captive built-in follows none).
func (r *Runner) probeHTTP(ctx context.Context, rt *route, target string, seen *observed, clock *phaseClock, noRedirect *bool) error {
	dl, _ := ctx.Deadline()
	tr := &http.Transport{
		DialContext: func(dctx context.Context, network, addr string) (net.Conn, error) {
			if _, ok := dctx.Deadline(); !ok && !dl.IsZero() {
				var cancel context.CancelFunc
				dctx, cancel = context.WithDeadline(dctx, dl)
				defer cancel()
			}
			return rt.dial(dctx, network, addr)
		},
		TLSClientConfig:   &tls.Config{RootCAs: r.RootCAs},
		DisableKeepAlives: true,
	}
	defer tr.CloseIdleConnections()
	host := ""
	if u := parseURL(target); u != nil {
		host = u.Hostname()
	}
	client := &http.Client{Transport: tr, CheckRedirect: func(req *http.Request, via []*http.Request) error {
		if noRedirect != nil || req.URL.Hostname() != host || len(via) >= maxRedirects {
			return http.ErrUseLastResponse
		}
		return nil
	}}
	var tlsStart, connReady time.Time
	trace := &httptrace.ClientTrace{
		TLSHandshakeStart: func() { clock.add(func(*Phases) { tlsStart = time.Now() }) },
		TLSHandshakeDone: func(tls.ConnectionState, error) {
			clock.add(func(p *Phases) {
				if !tlsStart.IsZero() {
					p.TLS += time.Since(tlsStart)
				}
			})
		},
		GotConn: func(httptrace.GotConnInfo) { clock.add(func(*Phases) { connReady = time.Now() }) },
		GotFirstResponseByte: func() {
			clock.add(func(p *Phases) {
				if !connReady.IsZero() {
					p.FirstByte += time.Since(connReady)
				}
			})
		},
	}
	req, err := http.NewRequestWithContext(httptrace.WithClientTrace(ctx, trace), http.MethodGet, target, nil)
	if err != nil {
		return fmt.Errorf("checks: %w", err)
	}
	req.Header.Set("User-Agent", "Relais-check")
	resp, err := client.Do(req)
	if err != nil {
		var ue *url.Error
		if errors.As(err, &ue) {
			err = ue.Err // the URL is in the result's target already
		}
		return err
	}
	defer resp.Body.Close()
	seen.status = resp.StatusCode
	seen.set(profile.PlaceholderStatus)
	if noRedirect != nil {
		*noRedirect = resp.StatusCode < 300 || resp.StatusCode >= 400
	}
	if resp.TLS != nil && len(resp.TLS.PeerCertificates) > 0 {
		seen.certExpiry = resp.TLS.PeerCertificates[0].NotAfter.Sub(r.now())
		seen.set(profile.PlaceholderCertificateExpiration)
	}
	pr := &progressReader{r: resp.Body, last: time.Now()}
	headersAt := pr.last
	body, err := io.ReadAll(io.LimitReader(pr, maxBody))
	if err != nil {
		// An MTU black hole lets the headers through and none of the body:
		// a body that started, then stalled, is a lossy or slow link (30 %
		// loss stalls TCP for seconds), not a wrong MTU.
		if (isTimeout(err) || ctx.Err() != nil) && pr.n == 0 && bodyStalled(dl, headersAt, pr.last) {
			return fmt.Errorf("%w: %d bytes of the body, then nothing for %v: %w", errBodyStalled, pr.n,
				time.Since(pr.last).Round(time.Millisecond), err)
		}
		return err
	}
	seen.body = string(body)
	seen.set(profile.PlaceholderBody)
	return nil
}

// errBodyStalled is an answer whose headers arrived and whose body then
// stopped coming for good: what an MTU black hole does (the small packets
// of the headers pass, every full-size packet of the body is lost on the
// way, and nothing says so).
var errBodyStalled = errors.New("checks: the answer's headers arrived, then its body stopped")

// bodyStalled reports whether a body read that ran out of time had stalled
// rather than been slow: nothing arrived for the last second of the attempt
// (or its second half, for a shorter one). A body that trickles in until
// the deadline is slow, not lost.
func bodyStalled(deadline, headersAt, lastByte time.Time) bool {
	end := time.Now()
	if !deadline.IsZero() && deadline.Before(end) {
		end = deadline
	}
	need := time.Second
	if !deadline.IsZero() {
		need = min(need, deadline.Sub(headersAt)/2)
	}
	return end.Sub(lastByte) >= need
}

// progressReader counts what a body gave and when it last gave something.
type progressReader struct {
	r    io.Reader
	n    int64
	last time.Time
}

func (p *progressReader) Read(b []byte) (int, error) {
	n, err := p.r.Read(b)
	if n > 0 {
		p.n += int64(n)
		p.last = time.Now()
	}
	return n, err
}

// probeTLS connects to target and completes a TLS handshake.
func (r *Runner) probeTLS(ctx context.Context, rt *route, target string, seen *observed, clock *phaseClock) error {
	host, _, err := net.SplitHostPort(target)
	if err != nil {
		return fmt.Errorf("checks: %w", err)
	}
	conn, err := rt.dial(ctx, "tcp", target)
	if err != nil {
		return err
	}
	defer conn.Close()
	start := time.Now()
	tc := tls.Client(conn, &tls.Config{ServerName: host, RootCAs: r.RootCAs})
	err = tc.HandshakeContext(ctx)
	clock.add(func(p *Phases) { p.TLS += time.Since(start) })
	if err != nil {
		return err
	}
	if certs := tc.ConnectionState().PeerCertificates; len(certs) > 0 {
		seen.certExpiry = certs[0].NotAfter.Sub(r.now())
		seen.set(profile.PlaceholderCertificateExpiration)
	}
	return nil
}

// probeDNS asks for target's addresses: the tunnel's resolvers through the tunnel when via
// is tunnel (and the profile names them), else the system resolver, which gives no answer
// code: not found is NXDOMAIN, another failure SERVFAIL.
func (r *Runner) probeDNS(ctx context.Context, rt *route, target string, seen *observed, clock *phaseClock) error {
	start := time.Now()
	clock.resolving(true)
	defer clock.add(func(p *Phases) { p.DNS += time.Since(start); clock.inDNS = false })
	if rt.tunnel && len(r.TunnelDNS) > 0 {
		d, err := rt.dialer()
		if err != nil {
			return err
		}
		addrs, rcode, err := r.query(ctx, d, target)
		if err != nil {
			return err
		}
		seen.rcode = rcodeName(rcode)
		seen.set(profile.PlaceholderDNSRcode)
		if len(addrs) > 0 {
			seen.ip = addrs[0].String()
			seen.set(profile.PlaceholderIP)
		}
		return nil
	}
	if _, err := rt.dialer(); err != nil {
		return err
	}
	lookup := r.LookupNetIP
	if lookup == nil {
		lookup = net.DefaultResolver.LookupNetIP
	}
	addrs, err := lookup(ctx, "ip", target)
	var dnsErr *net.DNSError
	switch {
	case err == nil:
		seen.rcode = "NOERROR"
	case errors.As(err, &dnsErr) && dnsErr.IsNotFound:
		seen.rcode = "NXDOMAIN"
	case isTimeout(err) || ctx.Err() != nil:
		return err
	default:
		seen.rcode = "SERVFAIL"
	}
	seen.set(profile.PlaceholderDNSRcode)
	if len(addrs) > 0 {
		seen.ip = addrs[0].Unmap().String()
		seen.set(profile.PlaceholderIP)
	}
	return nil
}

// builtin runs a built-in check, or marks it blocked by causes.
func (r *Runner) builtin(ctx context.Context, id string, causes []string, p *profile.Profile, sem chan struct{}) (res CheckResult) {
	// res is a named result so that the deferred Duration below lands in
	// what the caller receives.
	res = CheckResult{ID: id, Type: id, Via: "direct", State: StatePending, At: r.now()}
	switch id {
	case profile.BuiltinTunnel:
		res.Via = "tunnel"
	case profile.BuiltinInternet:
		res.Target = redact.Target(or(r.InternetURL, DefaultInternetURL))
	case profile.BuiltinCaptive:
		res.Target = redact.Target(r.Captive().URL)
	}
	if len(causes) > 0 {
		res.State = StateBlocked
		res.Reason = r.blockedReason(p, "checks.reason.blocked_builtin", profile.Text{FR: i18nBuiltin(i18n.FR, id), EN: i18nBuiltin(i18n.EN, id)}, causes)
		return res
	}
	select {
	case sem <- struct{}{}:
		defer func() { <-sem }()
	case <-ctx.Done():
		return res
	}
	res.Attempts = 1
	start := time.Now()
	defer func() { res.Duration = time.Since(start) }()
	if id == profile.BuiltinTunnel {
		r.tunnelBuiltin(ctx, &res)
		return res
	}
	target := or(r.InternetURL, DefaultInternetURL)
	probe := r.Captive()
	if id == profile.BuiltinCaptive {
		target = probe.URL
	}
	type got struct {
		seen       observed
		phases     Phases
		err        error
		noRedirect bool
	}
	g, finished := bounded(ctx, BuiltinTimeout, func(ctx context.Context) got {
		var clock phaseClock
		var g got
		rt := r.route("direct", &clock)
		rt.allowLocal = true // Relais's own URLs (a test's may be local), not the profile's
		g.err = r.probeHTTP(ctx, rt, target, &g.seen, &clock, &g.noRedirect)
		g.phases = clock.get()
		return g
	})
	if !finished {
		g.err = errAbandoned
	}
	res.Phases = g.phases
	res.Conditions = []Condition{{Expr: "[CONNECTED] (" + strconv.FormatBool(g.err == nil) + ") == true", OK: g.err == nil}}
	if id == profile.BuiltinCaptive && r.Connectivity != nil {
		// The system's verdict counts even when the probe could not connect:
		// a portal that blocks every name but its own is a portal, not "no
		// internet".
		if st, ok := r.Connectivity(ctx); ok && st == NMConnectivityPortal {
			res.Conditions = append(res.Conditions, Condition{Expr: "[SYSTEM_CONNECTIVITY] (portal) != portal"})
			res.State = StateFailed
			if g.err != nil {
				res.Error = redact.URLIn(g.err.Error(), target)
			}
			res.Reason = r.newReason(CodeCaptivePortal, texts{key: "checks.reason.captive_portal"})
			return res
		}
	}
	if g.err != nil {
		res.State, res.Error = StateFailed, redact.URLIn(g.err.Error(), target)
		res.Reason = r.newReason(CodeNoInternet, texts{key: "checks.reason.no_internet"})
		return res
	}
	if id == profile.BuiltinCaptive {
		// A redirect is a portal unless the probe expects that very redirect
		// status (an organisation's own endpoint may answer one).
		expectRedirect := probe.Status >= 300 && probe.Status < 400
		c := Condition{Expr: "[STATUS] (" + strconv.Itoa(g.seen.status) + ") == " + strconv.Itoa(probe.Status),
			OK: g.seen.status == probe.Status && (g.noRedirect || expectRedirect)}
		res.Conditions = append(res.Conditions, c)
		if probe.Body != "" {
			res.Conditions = append(res.Conditions, Condition{Expr: "[BODY] == pat(*" + probe.Body + "*)", OK: strings.Contains(g.seen.body, probe.Body)})
			c.OK = c.OK && strings.Contains(g.seen.body, probe.Body)
		}
		if !c.OK {
			res.State = StateFailed
			res.Reason = r.newReason(CodeCaptivePortal, texts{key: "checks.reason.captive_portal"})
			return res
		}
	}
	res.State = StateOK
	return res
}

// tunnelBuiltin reads the tunnel's status, waiting up to HandshakeWait for a handshake
// younger than HandshakeMaxAge.
func (r *Runner) tunnelBuiltin(ctx context.Context, res *CheckResult) {
	maxAge := r.HandshakeMaxAge
	if maxAge <= 0 {
		maxAge = DefaultHandshakeMaxAge
	}
	deadline := time.Now().Add(r.handshakeWait())
	if r.TunnelStatus == nil {
		res.State = StateFailed
		res.Conditions = []Condition{{Expr: "[CONNECTED] (false) == true"}}
		res.Reason = r.newReason(CodeTunnelDown, texts{key: "checks.reason.tunnel_down"})
		return
	}
	st := r.TunnelStatus()
	for st.Up && time.Now().Before(deadline) && ctx.Err() == nil {
		if age := st.HandshakeAge(r.now()); age >= 0 && age < maxAge {
			break
		}
		select {
		case <-time.After(20 * time.Millisecond):
		case <-ctx.Done():
		}
		st = r.TunnelStatus()
	}
	res.Target = st.Endpoint
	res.Conditions = []Condition{{Expr: "[CONNECTED] (" + strconv.FormatBool(st.Up) + ") == true", OK: st.Up}}
	if !st.Up {
		res.State = StateFailed
		res.Reason = r.newReason(CodeTunnelDown, texts{key: "checks.reason.tunnel_down"})
		return
	}
	age := st.HandshakeAge(r.now())
	seen := "none"
	if age >= 0 {
		seen = age.Round(time.Second).String()
	}
	ok := age >= 0 && age < maxAge
	res.Conditions = append(res.Conditions, Condition{Expr: "[HANDSHAKE_AGE] (" + seen + ") < " + maxAge.String(), OK: ok})
	if !ok {
		res.State = StateFailed
		switch {
		case age < 0 && st.TxBytes == 0:
			// Not one handshake initiation left: the gateway was never asked.
			res.Reason = r.newReason(CodeTunnelNotSent, texts{key: "checks.reason.tunnel_not_sent"})
		case age < 0:
			res.Reason = r.newReason(CodeTunnelNoAnswer, texts{key: "checks.reason.tunnel_no_answer"})
		default:
			res.Reason = r.newReason(CodeTunnelHandshake, texts{key: "checks.reason.tunnel_handshake", args: func(l string) []any {
				return []any{i18n.Duration(l, age)}
			}})
		}
		return
	}
	res.State = StateOK
}

func or(s, def string) string {
	if s != "" {
		return s
	}
	return def
}

// appName words an app where a sentence names it after a preposition or
// in a list: « l'application « Courriel » », right for any name, whatever
// its gender or article.
func appName(lang string, name profile.Text) string {
	return i18n.T(lang, "checks.app_name", name.In(lang))
}

// i18nBuiltin names a built-in check in words.
func i18nBuiltin(lang, id string) string {
	switch id {
	case profile.BuiltinTunnel:
		return i18n.T(lang, "checks.builtin.tunnel")
	case profile.BuiltinInternet:
		return i18n.T(lang, "checks.builtin.internet")
	case profile.BuiltinCaptive:
		return i18n.T(lang, "checks.builtin.captive")
	}
	return id
}

// joinNames lists names as a person would: "A", "A et B", "A, B et C".
func joinNames(names []string, lang string) string {
	switch len(names) {
	case 0:
		return ""
	case 1:
		return names[0]
	}
	return strings.Join(names[:len(names)-1], ", ") + i18n.T(lang, "checks.and") + names[len(names)-1]
}
