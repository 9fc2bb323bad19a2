// Package engine is one Mode urgence session, a state machine: load the
// cached profile at once and sync it in the background, bring the tunnel
// up (or reuse one already up), run every check, keep re-checking while
// active (every RecheckInterval, soon after the network changes, and as
// soon as the tunnel's handshake or traffic says the state changed), and
// stop. Its clients build one Engine per session, with every dependency
// (store, profile loading, tunnel start, check runner, clock) a field.
//
// It publishes events and a Snapshot, records the time to operational
// (from Start to the first report where every essential app is ok) and a
// timeline, and records every state change that matters in the store
// before publishing it, so that `relais status` from another process shows
// what a subscriber sees. A tunnel that could not come up is a code
// (TunnelFailureCode, one of TunnelFailureCodes), as a check's failure is
// a checks.Reason, in the snapshot and in the timeline entry that records
// it (TimelineEntry.Code); the error is only a detail, for the log. It
// never imports fyne or the CLI, and never puts an error into words for
// people: front ends do. The values it makes (Snapshot, Event, Phase,
// Verdict, the tunnel failure codes) are package status's, which front ends
// name; the engine keeps aliases of them.
//
// The files: engine.go (the Engine, Start, Stop), snapshot.go (the state,
// the timeline, commit and publication order), session.go (the loop, the
// tunnel's life, profile updates), handshake.go (the handshake wait and
// watch), run.go (a run of the checks and its record), traffic.go,
// netwatch.go, subscribe.go, verdict.go, tunnelerror.go.
package engine

import (
	"context"
	"errors"
	"fmt"
	"os"
	"sync"
	"time"

	"relais/internal/checks"
	"relais/internal/profile"
	"relais/internal/status"
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

// Phase is where Mode urgence stands (a value of package status).
type Phase = status.Phase

// Phases.
const (
	PhaseIdle        = status.PhaseIdle
	PhaseConnecting  = status.PhaseConnecting
	PhaseChecking    = status.PhaseChecking
	PhaseOperational = status.PhaseOperational
	PhaseDegraded    = status.PhaseDegraded
	PhaseFailed      = status.PhaseFailed
)

// Event kinds, also the kinds of timeline entries (status.Event*).
const (
	EventStarted        = status.EventStarted
	EventProfileLoaded  = status.EventProfileLoaded
	EventProfileUpdated = status.EventProfileUpdated
	EventSyncFailed     = status.EventSyncFailed
	EventTunnelStarting = status.EventTunnelStarting
	EventTunnelUp       = status.EventTunnelUp
	EventTunnelReused   = status.EventTunnelReused
	EventTunnelFailed   = status.EventTunnelFailed
	EventTunnelEndpoint = status.EventTunnelEndpoint
	EventChecking       = status.EventChecking
	EventReport         = status.EventReport
	EventPhase          = status.EventPhase
	EventOperational    = status.EventOperational
	EventNetworkChanged = status.EventNetworkChanged
	EventStopped        = status.EventStopped
)

// StopNoProfile is the Code of the "stopped" entry of a Start that could
// not load the cached profile (status.StopNoProfile).
const StopNoProfile = status.StopNoProfile

// ProfileInfo is the profile in use (a value of package status).
type ProfileInfo = status.ProfileInfo

// Loaded is a profile with what is known of its signature.
type Loaded struct {
	Profile *profile.Profile
	Info    ProfileInfo
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
	// Revoked, if set, is asked after a run whose tunnel is up without a
	// fresh handshake: whether this device's key was revoked (the backend
	// asks the enrolment server, at most once a minute). When it says so,
	// the tunnel built-in's reason says so and the snapshot's tunnel
	// failure is TunnelRevoked, until a run finds the tunnel answering.
	Revoked func(ctx context.Context) bool
	// Checks makes the check runner of each run; the engine fills Tunnel,
	// TunnelStatus, TunnelDNS, DNSDomains, Contacts, Now and Logf
	// when they are unset, and sets Progress. nil: a runner with defaults.
	Checks func() *checks.Runner
	// RecheckInterval is how often checks run again while active; 0:
	// DefaultRecheckInterval.
	RecheckInterval time.Duration
	// CaptiveRecheckInterval replaces RecheckInterval, when shorter, while
	// the captive built-in reports a portal: Mode urgence goes on soon after
	// the person logs in to it. 0: DefaultCaptiveRecheckInterval.
	CaptiveRecheckInterval time.Duration
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
	// Maintenance, if set, says whether an app has an announced maintenance
	// window at a time (the organisation's signed notices): each report is
	// marked with status.ApplyMaintenance before it is published, so every
	// front end reads the same states and the one verdict.
	Maintenance func(appID string, now time.Time) (status.Maintenance, bool)

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
	// endpoint is the tunnel's endpoint as last recorded in the timeline
	// (Tunnel.EndpointShown).
	endpoint string
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

// DefaultCaptiveRecheckInterval is how often the checks run again behind a
// captive portal.
const DefaultCaptiveRecheckInterval = 5 * time.Second

// nextInterval is the wait before the next run: interval, or less behind
// a captive portal.
func (e *Engine) nextInterval() time.Duration {
	d := e.interval()
	c := e.CaptiveRecheckInterval
	if c <= 0 {
		c = DefaultCaptiveRecheckInterval
	}
	if c >= d {
		return d
	}
	e.mu.Lock()
	rep := e.snap.Report
	e.mu.Unlock()
	if rep == nil {
		return d
	}
	if b, ok := rep.Builtins[profile.BuiltinCaptive]; ok && b.Reason != nil && b.Reason.Code == status.CodeCaptivePortal {
		return c
	}
	return d
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
		e.commitCoded(ctx, EventStopped, StopNoProfile, err.Error(), nil)
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
	e.mu.Lock()
	ch := e.recheck // nil before Start: nothing to ask
	e.mu.Unlock()
	select {
	case ch <- struct{}{}:
	default:
	}
}
