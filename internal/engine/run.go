// A run of the checks: the runner the engine fills in, the time to
// operational, the history recorded, and the phase a report means.

package engine

import (
	"context"
	"encoding/json"
	"maps"
	"net/netip"
	"slices"
	"sync"
	"time"

	"relais/internal/checks"
	"relais/internal/profile"
	"relais/internal/status"
	"relais/internal/store"
	"relais/internal/tunnel"
)

// runChecks runs every check once, records the results, then publishes.
func (e *Engine) runChecks(ctx context.Context) {
	e.mu.Lock()
	p, t := e.loaded.Profile, e.tun
	first := e.snap.Report == nil
	e.mu.Unlock()
	e.commit(ctx, EventChecking, "", func(s *Snapshot) {
		if first && s.Phase != PhaseFailed {
			s.Phase = PhaseChecking
		}
	})
	e.waitHandshake(ctx, t)
	r := e.runner(p, t)
	// Time to operational ends when the last check every essential app
	// needs turned green, not when the slowest optional one finished.
	need := essentialNeeds(p)
	var (
		pmu     sync.Mutex
		greenAt time.Time
	)
	r.Progress = func(c checks.CheckResult) {
		pmu.Lock()
		defer pmu.Unlock()
		if !need[c.ID] || !greenAt.IsZero() {
			return
		}
		if c.State == checks.StateOK || c.State == checks.StateDegraded {
			delete(need, c.ID)
			if len(need) == 0 {
				greenAt = e.now()
			}
		}
	}
	rep := r.Run(ctx, p)
	pmu.Lock()
	opAt := greenAt
	pmu.Unlock()
	if opAt.IsZero() || opAt.After(rep.Finished) {
		opAt = rep.Finished
	}
	if ctx.Err() != nil && !e.Once {
		return // stopped mid-run: the report is not the network's doing
	}
	revoked := e.revoked(ctx, t, p, rep)
	status.ApplyMaintenance(rep, e.Maintenance, rep.Finished)
	e.recordReport(ctx, rep)

	if _, failed := t.(failedTunnel); t != nil && !failed {
		// The timeline names the endpoint the report's tunnel uses.
		e.watchEndpoint(ctx, t, t.Status())
	}
	phase := PhaseOf(rep)
	var ttoDetail string
	e.commit(ctx, EventReport, string(phase), func(s *Snapshot) {
		s.Report, s.Phase, s.TunnelAtReport = rep, phase, s.Tunnel
		switch {
		case revoked:
			s.TunnelErrorCode, s.TunnelError = TunnelRevoked, "the gateway does not answer: the enrolment server says this device's key was revoked"
		case s.TunnelErrorCode == TunnelRevoked:
			s.TunnelErrorCode, s.TunnelError = "", ""
		}
		s.Runs++
		if rep.EssentialsOK() && s.TimeToOperational == nil {
			d := opAt.Sub(s.Started)
			s.TimeToOperational = &d
			ttoDetail = d.String()
		}
	})
	if ttoDetail != "" {
		e.commit(ctx, EventOperational, ttoDetail, nil)
	}
}

func (e *Engine) runner(p *profile.Profile, t tunnel.Tunnel) *checks.Runner {
	r := &checks.Runner{}
	if e.Checks != nil {
		r = e.Checks()
	}
	if r.Tunnel == nil {
		r.Tunnel = t
	}
	if r.TunnelStatus == nil {
		r.TunnelStatus = t.Status
	}
	if r.HandshakeWait == 0 {
		r.HandshakeWait = -1 // the engine waited already (waitHandshake): one wait per run
	}
	if r.HandshakeMaxAge == 0 {
		r.HandshakeMaxAge = e.maxAge()
	}
	if r.TunnelDNS == nil {
		for _, s := range p.Tunnel.DNS {
			if a, err := netip.ParseAddr(s); err == nil {
				r.TunnelDNS = append(r.TunnelDNS, a)
			}
		}
	}
	if r.DNSDomains == nil {
		r.DNSDomains = p.Tunnel.DNSDomains
	}
	if r.Contacts == nil {
		r.Contacts = p.Contacts
	}
	if r.CaptiveURL == "" && p.Captive != nil { // the managed configuration's, if any, is set already
		r.CaptiveURL, r.CaptiveStatus = p.Captive.URL, p.Captive.Status()
	}
	if r.Now == nil {
		r.Now = e.Now
	}
	if r.Logf == nil {
		r.Logf = e.Logf
	}
	return r
}

// essentialNeeds is the ids of the checks (and built-ins) that must be
// green for every essential app to be: their own checks and those of what
// they require, transitively.
func essentialNeeds(p *profile.Profile) map[string]bool {
	need := map[string]bool{}
	seen := map[string]bool{}
	var visit func(id string)
	visit = func(id string) {
		if seen[id] {
			return
		}
		seen[id] = true
		a := p.App(id)
		if a == nil {
			need[id] = true // a built-in
			return
		}
		for _, c := range a.Checks {
			need[c.ID] = true
		}
		for _, req := range a.Requires {
			visit(req)
		}
	}
	for _, a := range p.Apps {
		if a.Criticality == "essential" {
			visit(a.ID)
		}
	}
	return need
}

// recordReport writes every check result to the history.
func (e *Engine) recordReport(ctx context.Context, rep *checks.Report) {
	if e.Store == nil || rep == nil {
		return
	}
	var recs []store.CheckRecord
	add := func(c checks.CheckResult) {
		b, _ := json.Marshal(c)
		recs = append(recs, store.CheckRecord{RunAt: rep.Started, At: c.At, CheckID: c.ID, AppID: c.AppID, Type: c.Type,
			State: string(c.State), Duration: c.Duration, ReasonCode: ReasonCode(c), DetailJSON: string(b)})
	}
	for _, id := range slices.Sorted(maps.Keys(rep.Builtins)) {
		add(rep.Builtins[id])
	}
	for _, a := range rep.Apps {
		for _, c := range a.Checks {
			add(c)
		}
	}
	sctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), storeTimeout)
	defer cancel()
	if err := e.Store.RecordChecks(sctx, recs); err != nil {
		e.logf("engine: %v", err)
	}
}

// PhaseOf judges a report by its essential apps (status.PhaseOf).
func PhaseOf(rep *checks.Report) Phase { return status.PhaseOf(rep) }

// ReasonCode is the reason code of a result, "" when it has none.
func ReasonCode(c checks.CheckResult) string {
	if c.Reason == nil {
		return ""
	}
	return c.Reason.Code
}

// revoked asks Revoked, after a run whose tunnel is up without a fresh
// handshake, whether this device's key was revoked; if so, the tunnel
// built-in's reason (and so every app blocked by it) says so.
func (e *Engine) revoked(ctx context.Context, t tunnel.Tunnel, p *profile.Profile, rep *status.Report) bool {
	if e.Revoked == nil || t == nil || rep == nil {
		return false
	}
	st := t.Status()
	if age := st.HandshakeAge(e.now()); !st.Up || (age >= 0 && age < e.maxAge()) {
		return false
	}
	if !e.Revoked(ctx) {
		return false
	}
	if b, ok := rep.Builtins[profile.BuiltinTunnel]; ok && b.State != status.StateOK {
		b.Reason = checks.RevokedReason(p.Contacts)
		rep.Builtins[profile.BuiltinTunnel] = b
	}
	if e.Logf != nil {
		e.Logf("the gateway does not answer: the enrolment server says this device's key was revoked")
	}
	return true
}
