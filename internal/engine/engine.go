// Package engine is the Mode urgence state machine, the one backend that
// the GUI and the CLI both drive (DESIGN.md, "One engine, several front
// ends"): load the cached profile at once and sync it in the background,
// bring the tunnel up (or reuse one already up), run every check, keep
// re-checking while active (every RecheckInterval and soon after the
// network changes), and stop.
//
// It publishes events and a Snapshot, records the time to operational
// (from Start to the first report where every essential app is ok) and a
// timeline, and records every state change that matters in the store
// before publishing it, so that `relais status` from another process shows
// what a subscriber sees. It never imports fyne or the CLI, and never puts
// an error into words for people: front ends do.
package engine

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"net/netip"
	"os"
	"reflect"
	"sync"
	"time"

	"relais/internal/checks"
	"relais/internal/profile"
	"relais/internal/store"
	"relais/internal/tunnel"
)

// Defaults.
const (
	DefaultRecheckInterval = 60 * time.Second
	DefaultNetworkPoll     = 3 * time.Second // how often the interface list is read for changes
	DefaultHandshakeWait   = 5 * time.Second // the one wait for a fresh handshake before a run of the checks
	DefaultHandshakePoll   = time.Second     // how often the tunnel's handshake is read between runs
	// HandshakeRenewAfter is the handshake age at which the engine asks the
	// tunnel for a new one (WireGuard's REKEY_AFTER_TIME): an idle tunnel
	// without persistent keepalive would otherwise let it go stale.
	HandshakeRenewAfter = 120 * time.Second
	// handshakeKickEvery spaces the engine's requests for a handshake
	// (WireGuard's REKEY_TIMEOUT: it ignores closer ones anyway).
	handshakeKickEvery = 5 * time.Second
	NetworkDebounce    = 500 * time.Millisecond // a burst of network changes triggers one re-check
	TunnelStartTimeout = 30 * time.Second
	storeTimeout       = 5 * time.Second
	maxTimeline        = 200
)

// Phase is where Mode urgence stands.
type Phase string

// Phases.
const (
	PhaseIdle        Phase = "idle"        // not started, or stopped
	PhaseConnecting  Phase = "connecting"  // bringing the tunnel up
	PhaseChecking    Phase = "checking"    // the first run of the checks is under way
	PhaseOperational Phase = "operational" // every essential app is ok
	PhaseDegraded    Phase = "degraded"    // no essential app failed, but not all are ok
	PhaseFailed      Phase = "failed"      // an essential app failed or is blocked, or the tunnel could not come up
)

// Event kinds, also the kinds of timeline entries.
const (
	EventStarted        = "started"
	EventProfileLoaded  = "profile_loaded"
	EventProfileUpdated = "profile_updated" // the background sync accepted a newer profile
	EventSyncFailed     = "sync_failed"
	EventTunnelStarting = "tunnel_starting"
	EventTunnelUp       = "tunnel_up"
	EventTunnelReused   = "tunnel_reused" // a tunnel already up (system mode) is used as is
	EventTunnelFailed   = "tunnel_failed"
	EventChecking       = "checking"
	EventReport         = "report"      // a run of the checks finished: Snapshot.Report is new
	EventPhase          = "phase"       // the phase changed
	EventOperational    = "operational" // every essential app operational for the first time; Detail: the time to operational
	EventNetworkChanged = "network_changed"
	EventStopped        = "stopped"
)

// ProfileInfo is the profile in use.
type ProfileInfo struct {
	Serial    int64  `json:"serial"`
	Signed    bool   `json:"signed"`
	Signature string `json:"signature"` // valid | invalid | not_checked
}

// Loaded is a profile with what is known of its signature.
type Loaded struct {
	Profile *profile.Profile
	Info    ProfileInfo
}

// TimelineEntry is one timestamped step of Mode urgence.
type TimelineEntry struct {
	At     time.Time `json:"at"`
	Kind   string    `json:"kind"`
	Detail string    `json:"detail,omitempty"`
	// DurationMS is the time to operational of an "operational" entry,
	// in milliseconds (a state recorded by an older Relais has it in
	// Detail, as Go wrote a duration).
	DurationMS *int64 `json:"duration_ms,omitempty"`
}

// Snapshot is the engine's state at one moment, a plain value.
type Snapshot struct {
	PID               int             `json:"pid"`
	Phase             Phase           `json:"phase"`
	Started           time.Time       `json:"started"` // zero: never started
	Stopped           bool            `json:"stopped"`
	Profile           ProfileInfo     `json:"profile"`
	Tunnel            tunnel.Status   `json:"tunnel"`
	TunnelOwned       bool            `json:"tunnel_owned"`                // false: a tunnel already up was reused
	TunnelError       string          `json:"tunnel_error,omitempty"`      // the error as the code saw it: for the log and the details
	TunnelErrorCode   string          `json:"tunnel_error_code,omitempty"` // TunnelFailureCode's: what a front end words
	TunnelAtReport    tunnel.Status   `json:"tunnel_at_report"`            // the tunnel when the last report finished
	Report            *checks.Report  `json:"report"`
	Runs              int             `json:"runs"`
	TimeToOperational *time.Duration  `json:"time_to_operational"` // nil: never operational yet
	Timeline          []TimelineEntry `json:"timeline"`
	// Verdict is the overall state, Judge's, kept up to date with every
	// change: what each front end words.
	Verdict Verdict `json:"verdict"`
}

// Event is published on every change; it carries the whole snapshot, so a
// subscriber that missed coalesced events still sees the latest state.
type Event struct {
	Kind     string
	At       time.Time
	Detail   string
	Snapshot Snapshot
}

// Engine runs Mode urgence. Set the fields, then Start; an Engine is
// started once.
type Engine struct {
	// Store records check history and the engine's state; nil: nothing is
	// recorded.
	Store *store.DB
	// LoadProfile returns the cached profile, at once (no network).
	LoadProfile func(ctx context.Context) (*Loaded, error)
	// SyncProfile, if set, runs once in the background after Start; it
	// returns a newer accepted profile, or nil when there is none.
	SyncProfile func(ctx context.Context) (*Loaded, error)
	// StartTunnel brings the tunnel up for p, or returns a tunnel already
	// up with owned false (the engine then never closes it).
	StartTunnel func(ctx context.Context, p *profile.Profile) (t tunnel.Tunnel, owned bool, err error)
	// Checks makes the check runner of each run; the engine fills Tunnel,
	// TunnelStatus, TunnelDNS, DNSDomains, Contacts, Now and Logf
	// when they are unset, and sets Progress. nil: a runner with defaults.
	Checks func() *checks.Runner
	// RecheckInterval is how often checks run again while active; 0:
	// DefaultRecheckInterval.
	RecheckInterval time.Duration
	// NetworkChanges, if set, signals network changes; nil: the interface
	// list is polled every NetworkPoll (0: DefaultNetworkPoll).
	NetworkChanges func(ctx context.Context) <-chan struct{}
	NetworkPoll    time.Duration
	// Once runs the checks once and stops (relais check).
	Once bool
	// HandshakeWait bounds the wait for a fresh handshake before a run of
	// the checks (a tunnel just up has not shaken hands yet); it is the
	// run's one handshake wait: the check runner's tunnel built-in then
	// reads the status without waiting again. 0: DefaultHandshakeWait.
	HandshakeWait time.Duration
	// HandshakeMaxAge is how old a handshake may be and still count as
	// fresh; 0: checks.DefaultHandshakeMaxAge, as the tunnel built-in.
	HandshakeMaxAge time.Duration
	// HandshakePoll is how often the tunnel's handshake and byte counters
	// are read between runs: a handshake going stale, or coming back, and
	// traffic stalling or coming back (trafficWatch), trigger a run at once
	// instead of at the next RecheckInterval. 0: DefaultHandshakePoll.
	HandshakePoll time.Duration

	Now  func() time.Time
	Logf func(format string, args ...any)

	mu      sync.Mutex
	snap    Snapshot
	loaded  *Loaded
	tun     tunnel.Tunnel
	owned   bool
	subs    map[int]*subscriber
	nextSub int
	started bool
	cancel  context.CancelFunc
	done    chan struct{}
	recheck chan struct{}
	kicked  time.Time // the last handshake asked of the tunnel
}

// ErrStarted is returned by a second Start.
var ErrStarted = errors.New("engine: already started")

func (e *Engine) now() time.Time {
	if e.Now != nil {
		return e.Now()
	}
	return time.Now()
}

func (e *Engine) logf(format string, args ...any) {
	if e.Logf != nil {
		e.Logf(format, args...)
	}
}

func (e *Engine) interval() time.Duration {
	if e.RecheckInterval > 0 {
		return e.RecheckInterval
	}
	return DefaultRecheckInterval
}

// Start enters Mode urgence: it loads the cached profile (an error if there
// is none) and returns; the tunnel, the checks and the re-checks run in the
// background until Stop or until ctx is done.
func (e *Engine) Start(ctx context.Context) error {
	e.mu.Lock()
	if e.started {
		e.mu.Unlock()
		return ErrStarted
	}
	e.started = true
	e.done = make(chan struct{})
	e.recheck = make(chan struct{}, 1)
	e.snap = Snapshot{PID: os.Getpid(), Phase: PhaseIdle, Started: e.now()}
	e.mu.Unlock()
	if e.LoadProfile == nil || e.StartTunnel == nil {
		close(e.done)
		return errors.New("engine: LoadProfile and StartTunnel are required")
	}
	e.commit(ctx, EventStarted, "", nil)

	l, err := e.LoadProfile(ctx)
	if err != nil {
		e.mu.Lock()
		e.snap.Stopped = true
		e.mu.Unlock()
		e.commit(ctx, EventStopped, err.Error(), nil)
		close(e.done)
		return fmt.Errorf("engine: profile: %w", err)
	}
	e.commit(ctx, EventProfileLoaded, fmt.Sprintf("serial %d", l.Profile.Serial), func(s *Snapshot) {
		e.loaded = l
		s.Profile = l.Info
		s.Phase = PhaseConnecting
	})
	ctx, cancel := context.WithCancel(ctx)
	e.mu.Lock()
	e.cancel = cancel
	e.mu.Unlock()
	go e.loop(ctx)
	return nil
}

// Stop leaves Mode urgence: the checks stop, the tunnel goes down if the
// engine brought it up, and the final state is recorded. It waits for all
// that and is safe to call more than once, or before Start.
func (e *Engine) Stop() {
	e.mu.Lock()
	cancel, done := e.cancel, e.done
	e.mu.Unlock()
	if cancel != nil {
		cancel()
	}
	if done != nil {
		<-done
	}
}

// Done is closed when the engine has stopped (after Stop, ctx's end, or a
// single run with Once).
func (e *Engine) Done() <-chan struct{} {
	e.mu.Lock()
	defer e.mu.Unlock()
	if e.done == nil {
		ch := make(chan struct{})
		close(ch)
		return ch
	}
	return e.done
}

// Recheck asks for a run of the checks now (the "Vérifier" button).
func (e *Engine) Recheck() {
	select {
	case e.recheck <- struct{}{}:
	default:
	}
}

// Snapshot returns the current state, with a fresh tunnel status.
func (e *Engine) Snapshot() Snapshot {
	e.mu.Lock()
	t := e.tun
	e.mu.Unlock()
	var st tunnel.Status
	if t != nil {
		st = t.Status() // outside the lock: it may ask the helper
	}
	e.mu.Lock()
	defer e.mu.Unlock()
	if t != nil && t == e.tun {
		e.snap.Tunnel = st
	}
	return e.snap.clone()
}

func (s Snapshot) clone() Snapshot {
	s.Timeline = append([]TimelineEntry(nil), s.Timeline...)
	if s.TimeToOperational != nil {
		d := *s.TimeToOperational
		s.TimeToOperational = &d
	}
	return s
}

// commit applies change to the snapshot, adds a timeline entry, records the
// state in the store and only then publishes the event.
func (e *Engine) commit(ctx context.Context, kind, detail string, change func(*Snapshot)) {
	now := e.now()
	e.mu.Lock()
	t := e.tun
	e.mu.Unlock()
	var st tunnel.Status
	if t != nil {
		st = t.Status()
	}
	e.mu.Lock()
	oldPhase := e.snap.Phase
	if t != nil && t == e.tun {
		e.snap.Tunnel = st
	}
	if change != nil {
		change(&e.snap)
	}
	e.snap.Verdict = Judge(e.snap)
	entry := TimelineEntry{At: now, Kind: kind, Detail: detail}
	if kind == EventOperational && e.snap.TimeToOperational != nil {
		ms := e.snap.TimeToOperational.Milliseconds()
		entry.Detail, entry.DurationMS = "", &ms
	}
	e.snap.Timeline = append(e.snap.Timeline, entry)
	if e.snap.Phase != oldPhase {
		e.snap.Timeline = append(e.snap.Timeline, TimelineEntry{At: now, Kind: EventPhase, Detail: string(e.snap.Phase)})
	}
	if n := len(e.snap.Timeline); n > maxTimeline {
		e.snap.Timeline = append([]TimelineEntry(nil), e.snap.Timeline[n-maxTimeline:]...)
	}
	snap := e.snap.clone()
	e.mu.Unlock()

	e.record(ctx, snap)
	e.publish(Event{Kind: kind, At: now, Detail: detail, Snapshot: snap})
	e.logf("engine: %s %s (phase %s)", kind, detail, snap.Phase)
}

func (e *Engine) record(ctx context.Context, snap Snapshot) {
	if e.Store == nil {
		return
	}
	b, err := json.Marshal(snap)
	if err != nil {
		e.logf("engine: state: %v", err)
		return
	}
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), storeTimeout)
	defer cancel()
	if err := e.Store.RecordEngineState(ctx, store.EngineState{PID: snap.PID, SnapshotJSON: string(b), UpdatedAt: e.now()}); err != nil {
		e.logf("engine: %v", err)
	}
}

// loop runs Mode urgence until ctx is done.
func (e *Engine) loop(ctx context.Context) {
	defer close(e.done)
	defer e.teardown(ctx)

	updates := make(chan *Loaded, 1)
	if e.SyncProfile != nil && !e.Once {
		go func() {
			l, err := e.SyncProfile(ctx)
			switch {
			case err != nil && ctx.Err() == nil:
				e.commit(ctx, EventSyncFailed, err.Error(), nil)
			case l != nil:
				updates <- l
			}
		}()
	}
	var netCh <-chan struct{}
	if !e.Once {
		watched := make(chan struct{})
		go func() {
			defer close(watched)
			e.watchHandshake(ctx)
		}()
		defer func() { <-watched }() // before teardown closes the tunnel it reads
		if e.NetworkChanges != nil {
			netCh = e.NetworkChanges(ctx)
		} else {
			netCh = pollInterfaces(ctx, e.NetworkPoll)
		}
	}
	tick := time.NewTicker(e.interval())
	defer tick.Stop()
	debounce := time.NewTimer(time.Hour)
	debounce.Stop()
	defer debounce.Stop()

	for {
		if e.tunnelDown() {
			e.bringUp(ctx)
		}
		if ctx.Err() != nil {
			return
		}
		e.runChecks(ctx)
		if e.Once || ctx.Err() != nil {
			return
		}
	wait:
		for {
			select {
			case <-ctx.Done():
				return
			case <-tick.C:
				break wait
			case <-e.recheck:
				break wait
			case <-debounce.C:
				break wait
			case <-netCh:
				e.commit(ctx, EventNetworkChanged, "", nil)
				debounce.Reset(NetworkDebounce)
			case l := <-updates:
				e.useProfile(ctx, l)
				break wait
			}
		}
		tick.Reset(e.interval())
	}
}

// tunnelDown reports whether the engine has no working tunnel (none yet,
// or the last start failed).
func (e *Engine) tunnelDown() bool {
	e.mu.Lock()
	defer e.mu.Unlock()
	_, failed := e.tun.(failedTunnel)
	return e.tun == nil || failed
}

func (e *Engine) bringUp(ctx context.Context) {
	e.mu.Lock()
	p := e.loaded.Profile
	e.mu.Unlock()
	e.commit(ctx, EventTunnelStarting, "", func(s *Snapshot) {
		if s.Report == nil {
			s.Phase = PhaseConnecting
		}
	})
	sctx, cancel := context.WithTimeout(ctx, TunnelStartTimeout)
	t, owned, err := e.StartTunnel(sctx, p)
	cancel()
	if err != nil {
		if ctx.Err() != nil {
			return
		}
		e.mu.Lock()
		e.tun, e.owned = failedTunnel{err}, false
		e.mu.Unlock()
		e.commit(ctx, EventTunnelFailed, err.Error(), func(s *Snapshot) {
			s.TunnelError, s.Phase, s.Tunnel = err.Error(), PhaseFailed, tunnel.Status{}
			s.TunnelErrorCode = TunnelFailureCode(err)
		})
		return
	}
	e.mu.Lock()
	e.tun, e.owned = t, owned
	e.mu.Unlock()
	kind := EventTunnelUp
	if !owned {
		kind = EventTunnelReused
	}
	e.commit(ctx, kind, "", func(s *Snapshot) {
		s.TunnelOwned, s.TunnelError, s.TunnelErrorCode = owned, "", ""
	})
}

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

// useProfile switches to a newer profile; a changed [tunnel] section means
// a new tunnel.
func (e *Engine) useProfile(ctx context.Context, l *Loaded) {
	e.mu.Lock()
	old := e.loaded.Profile
	if l.Profile.Serial <= old.Serial {
		e.mu.Unlock()
		return
	}
	e.loaded = l
	var stale tunnel.Tunnel
	if !reflect.DeepEqual(old.Tunnel, l.Profile.Tunnel) && e.owned {
		stale, e.tun = e.tun, nil
	}
	e.mu.Unlock()
	if stale != nil {
		_ = stale.Close()
	}
	e.commit(ctx, EventProfileUpdated, fmt.Sprintf("serial %d", l.Profile.Serial), func(s *Snapshot) { s.Profile = l.Info })
	if e.tunnelDown() {
		e.bringUp(ctx)
	}
}

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
	e.recordReport(ctx, rep)

	phase := PhaseOf(rep)
	var ttoDetail string
	e.commit(ctx, EventReport, string(phase), func(s *Snapshot) {
		s.Report, s.Phase, s.TunnelAtReport = rep, phase, s.Tunnel
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
	for _, id := range sortedKeys(rep.Builtins) {
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

// teardown closes the tunnel the engine brought up and records the end.
func (e *Engine) teardown(ctx context.Context) {
	e.mu.Lock()
	t, owned := e.tun, e.owned
	e.tun = nil
	e.mu.Unlock()
	if t != nil && owned {
		if err := t.Close(); err != nil {
			e.logf("engine: tunnel close: %v", err)
		}
	}
	e.commit(ctx, EventStopped, "", func(s *Snapshot) {
		s.Stopped = true
		if s.Report == nil {
			s.Phase = PhaseIdle
		}
		if owned {
			s.Tunnel.Up = false
		}
	})
}

// PhaseOf judges a report by its essential apps: operational when every one
// is ok, degraded when some are only degraded (people can work, slowly),
// failed when one failed, is blocked or pending.
func PhaseOf(rep *checks.Report) Phase {
	if rep == nil {
		return PhaseChecking
	}
	phase := PhaseOperational
	for _, a := range rep.Apps {
		if a.Criticality != "essential" {
			continue
		}
		switch a.State {
		case checks.StateOK:
		case checks.StateDegraded:
			phase = PhaseDegraded
		default:
			return PhaseFailed
		}
	}
	return phase
}

// failedTunnel stands for a tunnel that could not come up: the checks
// through it fail with its error, and the next run tries again.
type failedTunnel struct{ err error }

func (f failedTunnel) Dial(context.Context, string, string) (net.Conn, error) { return nil, f.err }
func (f failedTunnel) Status() tunnel.Status                                  { return tunnel.Status{} }
func (f failedTunnel) Close() error                                           { return nil }

// ReasonCode is the reason code of a result, "" when it has none.
func ReasonCode(c checks.CheckResult) string {
	if c.Reason == nil {
		return ""
	}
	return c.Reason.Code
}
