// The tunnel's handshake: one wait for a fresh one before a run, and the
// watch between runs that asks for a run when it (or the traffic) changes.

package engine

import (
	"context"
	"time"

	"relais/internal/checks"
	"relais/internal/tunnel"
)

// waitHandshake is a run's one handshake wait: when the tunnel is up
// without a fresh handshake, it asks the tunnel for one and waits for it,
// within HandshakeWait, so that the checks do not find a tunnel that is up
// but has not shaken hands yet (or no longer has).
func (e *Engine) waitHandshake(ctx context.Context, t tunnel.Tunnel) {
	if t == nil {
		return
	}
	st := t.Status()
	if !st.Up || e.fresh(st) {
		return
	}
	e.kick(t)
	wait := e.HandshakeWait
	if wait <= 0 {
		wait = DefaultHandshakeWait
	}
	deadline := time.Now().Add(wait)
	for time.Now().Before(deadline) {
		select {
		case <-ctx.Done():
			return
		case <-time.After(5 * time.Millisecond):
		}
		if st = t.Status(); !st.Up || e.fresh(st) {
			return
		}
	}
}

func (e *Engine) maxAge() time.Duration {
	if e.HandshakeMaxAge > 0 {
		return e.HandshakeMaxAge
	}
	return checks.DefaultHandshakeMaxAge
}

// fresh reports whether the tunnel has a handshake young enough for the
// tunnel built-in to pass.
func (e *Engine) fresh(st tunnel.Status) bool {
	age := st.HandshakeAge(e.now())
	return age >= 0 && age < e.maxAge()
}

// kick asks the tunnel for a handshake, if it can be asked.
func (e *Engine) kick(t tunnel.Tunnel) {
	hi, ok := t.(tunnel.HandshakeInitiator)
	if !ok {
		return
	}
	e.mu.Lock()
	if time.Since(e.kicked) < handshakeKickEvery {
		e.mu.Unlock()
		return
	}
	e.kicked = time.Now()
	e.mu.Unlock()
	if err := hi.InitiateHandshake(); err != nil {
		e.logf("engine: %v", err)
	}
}

// watchHandshake reads the tunnel's handshake every HandshakePoll between
// runs and asks for a run at once when it goes stale or comes back (a
// fresh handshake after a run that was not operational), and when the
// traffic stalls or comes back (trafficWatch: a short outage never ages the
// handshake), so that the state shown follows the tunnel within seconds,
// not RecheckInterval. It also asks the tunnel for a handshake as it ages
// or while it is stale: WireGuard renews one only when it has something to
// send.
func (e *Engine) watchHandshake(ctx context.Context) {
	poll := e.HandshakePoll
	if poll <= 0 {
		poll = DefaultHandshakePoll
	}
	tick := time.NewTicker(poll)
	defer tick.Stop()
	var (
		last     tunnel.Tunnel
		lastRuns int
		wasOK    bool
		lastHS   time.Time
		traffic  trafficWatch
	)
	for {
		select {
		case <-ctx.Done():
			return
		case <-tick.C:
		}
		e.mu.Lock()
		t := e.tun
		phase, runs, atReport := e.snap.Phase, e.snap.Runs, e.snap.TunnelAtReport
		var reportStarted time.Time
		if e.snap.Report != nil {
			reportStarted = e.snap.Report.Started
		}
		e.mu.Unlock()
		if _, failed := t.(failedTunnel); t == nil || failed || runs == 0 {
			continue
		}
		if t != last {
			traffic = trafficWatch{}
		}
		if runs != lastRuns || t != last {
			// A run ended (or the tunnel changed): changes count from
			// what that run saw.
			last, lastRuns = t, runs
			wasOK, lastHS = e.fresh(atReport), atReport.LastHandshake
		}
		st := t.Status()
		if !st.Up {
			continue
		}
		e.watchEndpoint(ctx, t, st)
		ok := e.fresh(st)
		if age := st.HandshakeAge(e.now()); age < 0 || age >= HandshakeRenewAfter {
			e.kick(t)
		}
		switch {
		case ok != wasOK:
			e.logf("engine: handshake %s: checking again", map[bool]string{true: "back", false: "stale"}[ok])
			e.Recheck()
		case ok && st.LastHandshake.After(lastHS) && phase != PhaseOperational:
			e.logf("engine: new handshake while %s: checking again", phase)
			e.Recheck()
		}
		if why := traffic.observe(e.now(), st, phase, reportStarted); why != "" {
			e.logf("engine: %s while %s: checking again", why, phase)
			e.Recheck()
		}
		wasOK, lastHS = ok, st.LastHandshake
	}
}

// watchEndpoint records in the timeline that the tunnel t now uses
// another endpoint than the one last recorded (its name resolved to a new
// address, it went to a standby gateway, the gateway roamed), and checks
// again: where the tunnel goes changed.
func (e *Engine) watchEndpoint(ctx context.Context, t tunnel.Tunnel, st tunnel.Status) {
	ep := st.EndpointShown()
	e.mu.Lock()
	changed := t == e.tun && ep != "" && ep != e.endpoint
	if changed {
		e.endpoint = ep
	}
	e.mu.Unlock()
	if changed {
		e.commit(ctx, EventTunnelEndpoint, "endpoint "+ep, nil)
		e.Recheck()
	}
}
