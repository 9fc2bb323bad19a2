package engine

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"path/filepath"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"aead.dev/minisign"

	"relais/internal/checks"
	"relais/internal/office"
	"relais/internal/profile"
	"relais/internal/store"
	"relais/internal/tunnel"
	"relais/internal/tunnel/tunneltest"
)

type fixture struct {
	office *office.Office
	prof   *profile.Profile
	db     *store.DB
}

func newFixture(t testing.TB, opt office.Options) *fixture {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if opt.SlowDelay == 0 {
		opt.SlowDelay = 900 * time.Millisecond
	}
	o, err := office.Start(ctx, opt)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { o.Close() })
	p, err := profile.Accept("profile.toml", o.Profile, o.Signature, []minisign.PublicKey{o.TrustedKey}, profile.Previous{}, time.Now())
	if err != nil {
		t.Fatal(err)
	}
	db, err := store.Open(filepath.Join(t.TempDir(), "relais.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	return &fixture{office: o, prof: p, db: db}
}

func (f *fixture) startTunnel(ctx context.Context, p *profile.Profile) (tunnel.Tunnel, bool, error) {
	cfg, err := tunnel.FromProfile(p.Tunnel, f.office.ClientKey, nil)
	if err != nil {
		return nil, false, err
	}
	u, err := tunnel.StartUserspace(ctx, cfg, tunnel.UserspaceOptions{SOCKS5Addr: tunnel.Off, HTTPAddr: tunnel.Off})
	if err != nil {
		return nil, false, err
	}
	return u, true, nil
}

func (f *fixture) engine() *Engine {
	return &Engine{Store: f.db, StartTunnel: f.startTunnel,
		LoadProfile: func(context.Context) (*Loaded, error) {
			return &Loaded{Profile: f.prof, Info: ProfileInfo{Serial: f.prof.Serial, Signed: true, Signature: "valid"}}, nil
		},
		NetworkChanges: func(context.Context) <-chan struct{} { return nil }}
}

// waitFor subscribes and returns the first event for which ok holds.
func waitFor(t *testing.T, e *Engine, timeout time.Duration, ok func(Event) bool) Event {
	t.Helper()
	ch := make(chan Event, 1)
	cancel := e.Subscribe(func(ev Event) {
		if ok(ev) {
			select {
			case ch <- ev:
			default:
			}
		}
	})
	defer cancel()
	// The state may already be there.
	if s := e.Snapshot(); ok(Event{Kind: "snapshot", Snapshot: s}) {
		return Event{Kind: "snapshot", Snapshot: s}
	}
	select {
	case ev := <-ch:
		return ev
	case <-time.After(timeout):
		t.Fatalf("timed out; last snapshot: %+v", e.Snapshot())
	}
	return Event{}
}

// TestEngineDemoOffice is the engine's integration test: the real
// userspace tunnel to the demo office, every kind of app state, the store
// written before each event is published. The other engine tests run on
// tunneltest.
func TestEngineDemoOffice(t *testing.T) {
	t.Parallel()
	f := newFixture(t, office.Options{})
	e := f.engine()
	e.RecheckInterval = time.Hour

	// Every event a subscriber sees is already in the store.
	var mismatch atomic.Value
	var kinds sync.Map
	cancel := e.Subscribe(func(ev Event) {
		if ev.Snapshot.Report != nil {
			kinds.Store(EventReport, true)
		}
		lives, err := f.db.Live(context.Background())
		var rec Snapshot
		if err == nil && len(lives) == 0 {
			err = store.ErrNotFound
		}
		if err == nil {
			err = json.Unmarshal([]byte(lives[0].SnapshotJSON), &rec)
		}
		if err != nil || len(rec.Timeline) < len(ev.Snapshot.Timeline) { // the store may already hold a later state, never an earlier one
			mismatch.Store(ev.Kind)
		}
	})
	defer cancel()
	if err := e.Start(context.Background()); err != nil {
		t.Fatal(err)
	}
	ev := waitFor(t, e, 15*time.Second, func(ev Event) bool { return ev.Snapshot.Report != nil })
	s := ev.Snapshot
	want := map[string]checks.State{"paie": checks.StateOK, "dossiers": checks.StateDegraded, "messagerie": checks.StateFailed, office.Dependent: checks.StateBlocked}
	for id, st := range want {
		if a := s.Report.App(id); a == nil || a.State != st {
			t.Errorf("%s: %+v, want %s", id, a, st)
		}
	}
	if c := s.Report.Check("messagerie-web"); c == nil || c.Reason == nil || c.Reason.Code != checks.CodeHTTPStatus {
		t.Errorf("messagerie-web: %+v", c)
	}
	if s.Phase != PhaseFailed || s.TimeToOperational != nil || !s.TunnelAtReport.Up || !s.TunnelOwned || s.Profile.Serial != f.prof.Serial {
		t.Errorf("snapshot %+v", s)
	}
	recs, err := f.db.LastChecks(context.Background())
	if err != nil || len(recs) != 8 {
		t.Fatalf("history: %v %d", err, len(recs))
	}
	e.Stop()
	s = e.Snapshot()
	if !s.Stopped || s.Timeline[len(s.Timeline)-1].Kind != EventStopped {
		t.Errorf("after Stop: %+v", s.Timeline)
	}
	time.Sleep(50 * time.Millisecond) // let the subscriber see the last events
	if k := mismatch.Load(); k != nil {
		t.Errorf("event %v published before it was in the store", k)
	}
	if _, ok := kinds.Load(EventReport); !ok { // coalescing may skip others, never the state
		t.Error("the subscriber never saw a report")
	}
	seen := map[string]bool{}
	for _, te := range s.Timeline {
		seen[te.Kind] = true
	}
	for _, k := range []string{EventStarted, EventProfileLoaded, EventTunnelStarting, EventTunnelUp, EventChecking, EventReport, EventPhase, EventStopped} {
		if !seen[k] {
			t.Errorf("no %s in the timeline %+v", k, s.Timeline)
		}
	}
	e.Stop() // twice is fine
}

// memFixture is Mode urgence on an in-memory tunnel (tunneltest): an
// essential app whose health page answers at once, an important one whose
// page never answers (its check ends at its timeout), and a store. What
// these tests prove is the engine's logic; TestEngineDemoOffice proves it
// with the real tunnel and the demo office.
type memFixture struct {
	tun  *tunneltest.Tunnel
	prof *profile.Profile
	db   *store.DB
}

func newMemFixture(t *testing.T) *memFixture {
	t.Helper()
	tun := tunneltest.New(tunnel.Status{Mode: tunnel.ModeUserspace, LastHandshake: time.Now()})
	t.Cleanup(func() { tun.Close() })
	tun.HandleHTTP("10.99.0.2:80", http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, _ = io.WriteString(w, "ok")
	}))
	tun.HandleHTTP("10.99.0.3:80", http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		<-r.Context().Done() // never answers: the check ends at its timeout
	}))
	app := func(id, crit, target, timeout string) profile.App {
		return profile.App{ID: id, Name: profile.Text{FR: id, EN: id}, Criticality: crit, Requires: []string{profile.BuiltinTunnel},
			Checks: []profile.Check{{ID: id + "-web", Type: "http", Target: target, Via: "tunnel",
				Conditions: []string{"[STATUS] == 200", "[BODY] == pat(*ok*)"}, Timeout: profile.Duration(timeout)}}}
	}
	p := &profile.Profile{Serial: 7, Apps: []profile.App{
		app("paie", "essential", "http://10.99.0.2/health", "5s"),
		app("archives", "important", "http://10.99.0.3/health", "300ms"),
	}}
	db, err := store.Open(filepath.Join(t.TempDir(), "relais.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	return &memFixture{tun: tun, prof: p, db: db}
}

func (f *memFixture) startTunnel(context.Context, *profile.Profile) (tunnel.Tunnel, bool, error) {
	return f.tun, true, nil
}

func (f *memFixture) engine() *Engine {
	return &Engine{Store: f.db, StartTunnel: f.startTunnel,
		LoadProfile: func(context.Context) (*Loaded, error) {
			return &Loaded{Profile: f.prof, Info: ProfileInfo{Serial: f.prof.Serial, Signed: true, Signature: "valid"}}, nil
		},
		NetworkChanges: func(context.Context) <-chan struct{} { return nil }}
}

func TestEngineHealthyEssentialsOperational(t *testing.T) {
	t.Parallel()
	f := newMemFixture(t)
	e := f.engine()
	e.Once = true
	if err := e.Start(context.Background()); err != nil {
		t.Fatal(err)
	}
	<-e.Done()
	s := e.Snapshot()
	if s.Phase != PhaseOperational || s.TimeToOperational == nil || *s.TimeToOperational <= 0 {
		t.Fatalf("%+v", s)
	}
	if a := s.Report.App("archives"); a == nil || a.State != checks.StateFailed {
		t.Errorf("archives: %+v", a)
	}
	// Operational as soon as payroll was green, before the slow app ended.
	if *s.TimeToOperational >= s.Report.Finished.Sub(s.Started) {
		t.Errorf("time to operational %v not before the run's end %v", *s.TimeToOperational, s.Report.Finished.Sub(s.Started))
	}
	if !f.tun.Closed() || s.Tunnel.Up {
		t.Error("the tunnel the engine brought up is still up after the end")
	}
}

// A tunnel reused (not owned) is never closed by the engine.
func TestEngineLeavesReusedTunnelUp(t *testing.T) {
	t.Parallel()
	f := newMemFixture(t)
	e := f.engine()
	e.Once = true
	e.StartTunnel = func(context.Context, *profile.Profile) (tunnel.Tunnel, bool, error) { return f.tun, false, nil }
	if err := e.Start(context.Background()); err != nil {
		t.Fatal(err)
	}
	<-e.Done()
	s := e.Snapshot()
	if f.tun.Closed() || s.TunnelOwned || s.Phase != PhaseOperational {
		t.Errorf("closed %v, snapshot %+v", f.tun.Closed(), s)
	}
	seen := false
	for _, te := range s.Timeline {
		seen = seen || te.Kind == EventTunnelReused
	}
	if !seen {
		t.Errorf("no %s in the timeline %+v", EventTunnelReused, s.Timeline)
	}
}

// A tunnel that cannot come up fails every check through it, and the
// engine recovers on its own at the next re-check once it can.
func TestEngineRecoversFromTunnelFailure(t *testing.T) {
	t.Parallel()
	f := newMemFixture(t)
	e := f.engine()
	e.RecheckInterval = 100 * time.Millisecond
	var fail atomic.Bool
	fail.Store(true)
	e.StartTunnel = func(ctx context.Context, p *profile.Profile) (tunnel.Tunnel, bool, error) {
		if fail.Load() {
			return nil, false, errors.New("office unreachable")
		}
		return f.startTunnel(ctx, p)
	}
	if err := e.Start(context.Background()); err != nil {
		t.Fatal(err)
	}
	defer e.Stop()
	ev := waitFor(t, e, 10*time.Second, func(ev Event) bool { return ev.Snapshot.Report != nil })
	if ev.Snapshot.Phase != PhaseFailed || ev.Snapshot.TunnelError == "" || ev.Snapshot.TunnelErrorCode != TunnelFailed {
		t.Fatalf("%+v", ev.Snapshot)
	}
	if b := ev.Snapshot.Report.Builtins["tunnel"]; b.State != checks.StateFailed || b.Reason == nil {
		t.Errorf("tunnel built-in: %+v", b)
	}
	if a := ev.Snapshot.Report.App("paie"); a.State != checks.StateBlocked {
		t.Errorf("paie: %s", a.State)
	}
	fail.Store(false)
	ev = waitFor(t, e, 10*time.Second, func(ev Event) bool { return ev.Snapshot.Phase == PhaseOperational })
	if ev.Snapshot.TimeToOperational == nil || ev.Snapshot.TunnelError != "" || ev.Snapshot.TunnelErrorCode != "" {
		t.Fatalf("%+v", ev.Snapshot)
	}
}

// A network change triggers a re-check at once (after the debounce), and a
// newer profile from the background sync is picked up; a changed [tunnel]
// section means a new tunnel (the old one, the engine's own, is closed).
func TestEngineNetworkChangeAndProfileUpdate(t *testing.T) {
	t.Parallel()
	f := newMemFixture(t)
	f.prof.Apps = f.prof.Apps[:1] // no slow app: each run is quick
	e := f.engine()
	e.RecheckInterval = time.Hour
	netCh := make(chan struct{}, 1)
	e.NetworkChanges = func(context.Context) <-chan struct{} { return netCh }
	second := tunneltest.New(tunnel.Status{Mode: tunnel.ModeUserspace, LastHandshake: time.Now()})
	defer second.Close()
	second.HandleHTTP("10.99.0.2:80", http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, _ = io.WriteString(w, "ok")
	}))
	var starts atomic.Int32
	e.StartTunnel = func(context.Context, *profile.Profile) (tunnel.Tunnel, bool, error) {
		if starts.Add(1) == 1 {
			return f.tun, true, nil
		}
		return second, true, nil
	}
	release := make(chan struct{})
	newer := *f.prof
	newer.Serial++
	newer.Tunnel.Endpoint = "relais.office.test:51820"
	e.SyncProfile = func(ctx context.Context) (*Loaded, error) {
		select {
		case <-release:
		case <-ctx.Done():
			return nil, ctx.Err()
		}
		return &Loaded{Profile: &newer, Info: ProfileInfo{Serial: newer.Serial, Signed: true, Signature: "valid"}}, nil
	}
	if err := e.Start(context.Background()); err != nil {
		t.Fatal(err)
	}
	defer e.Stop()
	waitFor(t, e, 10*time.Second, func(ev Event) bool { return ev.Snapshot.Runs == 1 })
	netCh <- struct{}{}
	ev := waitFor(t, e, 5*time.Second, func(ev Event) bool { return ev.Snapshot.Runs == 2 })
	if ev.Snapshot.Phase != PhaseOperational {
		t.Fatalf("%+v", ev.Snapshot)
	}
	close(release)
	ev = waitFor(t, e, 5*time.Second, func(ev Event) bool { return ev.Snapshot.Runs == 3 })
	if ev.Snapshot.Profile.Serial != newer.Serial || ev.Snapshot.Phase != PhaseOperational {
		t.Fatalf("profile not picked up: %+v", ev.Snapshot)
	}
	if !f.tun.Closed() || second.Closed() || starts.Load() != 2 {
		t.Errorf("tunnels after a new [tunnel] section: first closed %v, second closed %v, %d starts", f.tun.Closed(), second.Closed(), starts.Load())
	}
	var sawNet, sawProfile bool
	for _, te := range ev.Snapshot.Timeline {
		sawNet = sawNet || te.Kind == EventNetworkChanged
		sawProfile = sawProfile || te.Kind == EventProfileUpdated
	}
	if !sawNet || !sawProfile {
		t.Errorf("timeline %+v", ev.Snapshot.Timeline)
	}
}

// A subscriber that blocks never blocks the engine; it gets the latest
// state when it wakes up.
func TestSlowSubscriberIsCoalesced(t *testing.T) {
	t.Parallel()
	e := &Engine{}
	e.snap.Phase = PhaseIdle
	block := make(chan struct{})
	var got []string
	var mu sync.Mutex
	cancel := e.Subscribe(func(ev Event) {
		<-block
		mu.Lock()
		got = append(got, ev.Kind)
		mu.Unlock()
	})
	defer cancel()
	done := make(chan struct{})
	go func() {
		for i := 0; i < 1000; i++ {
			e.commit(context.Background(), "tick", "", nil)
		}
		e.commit(context.Background(), "last", "", nil)
		close(done)
	}()
	select {
	case <-done:
	case <-time.After(5 * time.Second):
		t.Fatal("a blocked subscriber blocked the engine")
	}
	close(block)
	deadline := time.Now().Add(5 * time.Second)
	for time.Now().Before(deadline) {
		mu.Lock()
		n := len(got)
		last := ""
		if n > 0 {
			last = got[n-1]
		}
		mu.Unlock()
		if last == "last" {
			if n > 3 {
				t.Errorf("%d deliveries for 1001 events: not coalesced", n)
			}
			return
		}
		time.Sleep(5 * time.Millisecond)
	}
	t.Fatalf("the last event never arrived: %v", got)
}
