package engine

import (
	"context"
	"net"
	"os"
	"sync"
	"testing"
	"time"

	"relais/internal/checks"
	"relais/internal/profile"
	"relais/internal/tunnel"
	"relais/internal/tunnel/tunneltest"
)

// trafficScript feeds a trafficWatch one poll a second, the way the
// engine's watcher does, and counts what it asks for.
type trafficScript struct {
	t       *testing.T
	w       trafficWatch
	now     time.Time
	st      tunnel.Status
	phase   Phase
	started time.Time // the last report's run
	asked   []string
}

func newTrafficScript(t *testing.T) *trafficScript {
	s := &trafficScript{t: t, now: time.Date(2026, 3, 1, 9, 0, 0, 0, time.UTC), phase: PhaseOperational,
		st: tunnel.Status{Up: true, TxBytes: 1000, RxBytes: 1000}}
	s.started = s.now.Add(-time.Minute)
	s.poll(0, 0) // the first look
	return s
}

// poll advances one second, adds to the counters and polls; it returns
// what the watch asked for ("" for nothing).
func (s *trafficScript) poll(tx, rx int64) string {
	s.now = s.now.Add(time.Second)
	s.st.TxBytes += tx
	s.st.RxBytes += rx
	why := s.w.observe(s.now, s.st, s.phase, s.started)
	if why != "" {
		s.asked = append(s.asked, why)
	}
	return why
}

// report stands for a run that started at started and reported phase.
func (s *trafficScript) report(started time.Time, phase Phase) { s.started, s.phase = started, phase }

// The office goes away while the laptop is sending: five seconds of sends
// with nothing back ask for one run, not one a poll; the run says failed;
// the traffic coming back asks for one run at once.
func TestTrafficWatchStallThenBack(t *testing.T) {
	t.Parallel()
	s := newTrafficScript(t)
	for range 30 { // healthy traffic
		if why := s.poll(500, 800); why != "" {
			t.Fatalf("healthy traffic asked for a run: %s", why)
		}
	}
	// The office goes away: the laptop keeps sending, nothing comes back.
	for i := range 4 {
		if why := s.poll(300, 0); why != "" {
			t.Fatalf("%d s of silence asked for a run: %s", i+1, why)
		}
	}
	var stallAt time.Time
	for i := 0; stallAt.IsZero(); i++ {
		if i > 3 {
			t.Fatalf("still sending and nothing back for %d s: no run asked for", 4+i)
		}
		if why := s.poll(300, 0); why == "traffic stalled" {
			stallAt = s.now
		} else if why != "" {
			t.Fatalf("asked for %q", why)
		}
	}
	// The run asked for takes a few seconds (its checks wait for their
	// timeouts), the last report still says operational: one run asked.
	for range 4 {
		if why := s.poll(300, 0); why != "" {
			t.Fatalf("a run is under way: asked for %q again", why)
		}
	}
	// It reports failed; the outage goes on.
	s.report(stallAt, PhaseFailed)
	for range 20 {
		if why := s.poll(300, 0); why != "" {
			t.Fatalf("the outage goes on, the report says failed: asked for %q again", why)
		}
	}
	if why := s.poll(300, 400); why != "traffic back" {
		t.Fatalf("the traffic came back: asked for %q, want a run", why)
	}
	s.report(s.now, PhaseOperational)
	for range 30 {
		if why := s.poll(500, 800); why != "" {
			t.Fatalf("after the recovery: %s", why)
		}
	}
	if len(s.asked) != 2 {
		t.Errorf("asked for %v, want one run for the stall and one for the recovery", s.asked)
	}
}

// The traffic comes back while the run asked for by the stall is still
// going: that run may still report failed, and then the state must follow
// the traffic at once; a run started after the traffic came back needs no
// other.
func TestTrafficWatchBackDuringRun(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name       string
		runStarted func(stall, back time.Time) time.Time
		want       string
	}{
		{"RunStartedDuringStall", func(stall, _ time.Time) time.Time { return stall }, "traffic back"},
		{"RunStartedAfterBack", func(_, back time.Time) time.Time { return back.Add(time.Millisecond) }, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s := newTrafficScript(t)
			var stall time.Time
			for range 10 {
				if s.poll(300, 0) == "traffic stalled" {
					stall = s.now
					break
				}
			}
			if stall.IsZero() {
				t.Fatal("no run asked for after 10 s of silence")
			}
			// The run is in progress (the last report is still
			// operational) when the traffic comes back.
			if why := s.poll(300, 400); why != "" {
				t.Fatalf("a run is in progress and the report says operational: asked for %q", why)
			}
			back := s.now
			s.poll(300, 400)
			s.report(tc.runStarted(stall, back), PhaseFailed)
			if why := s.poll(300, 400); why != tc.want {
				t.Errorf("the run reported failed: asked for %q, want %q", why, tc.want)
			}
			for range 10 {
				if why := s.poll(300, 400); why != "" {
					t.Fatalf("then asked for %q", why)
				}
			}
		})
	}
}

// An idle healthy tunnel with persistent keepalive sends 32 bytes every
// 25 s and never receives anything (WireGuard answers no keepalive): no
// run, ever. Were a keepalive counted bigger, at most one run per
// keepalive interval, never a loop: each run's own traffic is answered,
// then ends with a last ACK that only the peer's passive keepalive
// answers.
func TestTrafficWatchIdleKeepalive(t *testing.T) {
	t.Parallel()
	const interval = 25 // s
	for _, tc := range []struct {
		name     string
		size     int64
		maxAsked int
	}{
		{"Keepalive32Bytes", keepaliveBytes, 0},
		{"KeepaliveCountedBigger", 80, 10 * 60 / interval},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s := newTrafficScript(t)
			runAt := -1 // the poll at which the run asked for has its traffic
			for i := 1; i <= 10*60; i++ {
				var tx, rx int64
				if i%interval == 0 {
					tx += tc.size
				}
				switch i {
				case runAt: // the run: requests and their answers
					tx, rx = tx+900, rx+1500
				case runAt + 1: // its last ACK, answered by nothing but
					tx += 96
				case runAt + 11: // the peer's passive keepalive, 10 s later
					rx += keepaliveBytes
				}
				if why := s.poll(tx, rx); why != "" {
					if why != "traffic stalled" {
						t.Fatalf("second %d: asked for %q", i, why)
					}
					runAt = i + 1
					s.report(s.now, PhaseOperational)
				}
			}
			if len(s.asked) > tc.maxAsked {
				t.Errorf("10 idle minutes asked for %d runs, want at most %d", len(s.asked), tc.maxAsked)
			}
		})
	}
}

// Sends answered late but within WireGuard's keepalive timeout are not a
// stall: the last ACK of an exchange, answered by the peer's passive
// keepalive 10 s later; and nothing asks for a run while the report says
// failed for another reason (a server of the office down).
func TestTrafficWatchLoneSend(t *testing.T) {
	t.Parallel()
	for _, phase := range []Phase{PhaseOperational, PhaseFailed} {
		s := newTrafficScript(t)
		s.phase = phase
		for range 20 {
			s.poll(96, 0) // the last ACK
			for range 9 {
				s.poll(0, 0)
			}
			s.poll(0, keepaliveBytes) // the peer's passive keepalive
		}
		if len(s.asked) != 0 {
			t.Errorf("%s: lone sends asked for %v", phase, s.asked)
		}
	}
}

// Counters that start again (a new device) are a new first look.
func TestTrafficWatchCountersReset(t *testing.T) {
	t.Parallel()
	s := newTrafficScript(t)
	for range 3 {
		s.poll(300, 0)
	}
	s.st = tunnel.Status{Up: true}
	for range 4 {
		if why := s.poll(0, 0); why != "" {
			t.Fatalf("asked for %q", why)
		}
	}
}

// simOffice is a tunnel to an office with a user sending through it
// (tunneltest, scripted): each read of its status is one second later (the
// engine's clock is the office's) and the user's traffic has grown; it is
// answered unless the office is down, and so are the checks' connections.
type simOffice struct {
	*tunneltest.Tunnel
	mu   sync.Mutex
	now  time.Time
	down bool
}

func newSimOffice(start time.Time, st tunnel.Status) *simOffice {
	o := &simOffice{Tunnel: tunneltest.New(st), now: start}
	o.Handle("tcp", "10.99.0.1:443", func(net.Conn) {})
	o.OnStatus(func(st *tunnel.Status) {
		o.mu.Lock()
		defer o.mu.Unlock()
		o.now = o.now.Add(time.Second)
		st.TxBytes += 400
		if !o.down {
			st.RxBytes += 600
		}
	})
	return o
}

func (o *simOffice) clock() time.Time {
	o.mu.Lock()
	defer o.mu.Unlock()
	return o.now
}

func (o *simOffice) setDown(down bool) {
	o.mu.Lock()
	o.down = down
	o.mu.Unlock()
	var err error
	if down {
		err = &net.OpError{Op: "dial", Net: "tcp", Err: os.ErrDeadlineExceeded}
	}
	o.FailDials(err)
}

// A 20 s outage of the office, while the user works through the tunnel,
// never ages the handshake (it ages past its bound only after 180 s): the
// state must leave operational while the traffic stalls, and come back as
// soon as the traffic does — RecheckInterval is an hour here, so only the
// watcher can ask for those runs.
func TestEngineRechecksOnTrafficStall(t *testing.T) {
	t.Parallel()
	start := time.Date(2026, 3, 1, 9, 0, 0, 0, time.UTC)
	o := newSimOffice(start, tunnel.Status{LastHandshake: start, TxBytes: 148, RxBytes: 92})
	p := &profile.Profile{Serial: 1, Apps: []profile.App{{ID: "a", Name: profile.Text{FR: "A", EN: "A"},
		Criticality: "essential", Requires: []string{profile.BuiltinTunnel},
		Checks: []profile.Check{{ID: "a-tcp", Type: "tcp", Target: "10.99.0.1:443", Via: "tunnel", Timeout: "1s"}}}}}
	e := &Engine{
		LoadProfile:     func(context.Context) (*Loaded, error) { return &Loaded{Profile: p}, nil },
		StartTunnel:     func(context.Context, *profile.Profile) (tunnel.Tunnel, bool, error) { return o, true, nil },
		NetworkChanges:  func(context.Context) <-chan struct{} { return nil },
		RecheckInterval: time.Hour,
		HandshakePoll:   5 * time.Millisecond,
		// The handshake stays fresh however many reads the test takes: the
		// outage must be seen by the traffic, not by the handshake's age.
		HandshakeMaxAge: 24 * time.Hour,
		Now:             o.clock,
	}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	if err := e.Start(ctx); err != nil {
		t.Fatal(err)
	}
	defer e.Stop()
	first := waitFor(t, e, 10*time.Second, func(ev Event) bool { return ev.Snapshot.Runs >= 1 })
	if first.Snapshot.Phase != PhaseOperational {
		t.Fatalf("first run: %s", first.Snapshot.Phase)
	}

	o.setDown(true)
	down := waitFor(t, e, 20*time.Second, func(ev Event) bool { return ev.Snapshot.Runs > first.Snapshot.Runs })
	if down.Snapshot.Phase != PhaseFailed {
		t.Fatalf("the run during the outage: %s", down.Snapshot.Phase)
	}
	rep := down.Snapshot.Report
	if c := rep.Builtins[profile.BuiltinTunnel]; c.State != checks.StateOK {
		t.Errorf("tunnel built-in %s %s: the handshake was fresh, the run must not owe the failure to its age", c.State, ReasonCode(c))
	}
	if a := rep.Apps[0]; len(a.Checks) != 1 || a.Checks[0].State != checks.StateFailed {
		t.Errorf("the app's check during the outage: %+v", a.Checks)
	}

	o.setDown(false)
	back := waitFor(t, e, 20*time.Second, func(ev Event) bool {
		return ev.Snapshot.Runs > down.Snapshot.Runs && ev.Snapshot.Phase == PhaseOperational
	})
	if back.Snapshot.Report == nil || !back.Snapshot.Report.EssentialsOK() {
		t.Errorf("after the office came back: %+v", back.Snapshot.Report)
	}
}
