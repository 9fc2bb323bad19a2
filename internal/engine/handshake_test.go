package engine

import (
	"context"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"relais/internal/checks"
	"relais/internal/profile"
	"relais/internal/status"
	"relais/internal/tunnel"
	"relais/internal/tunnel/tunneltest"
)

// tunnelOnlyProfile has one essential app that requires the tunnel and
// has no check of its own: its state is the tunnel built-in's.
func tunnelOnlyProfile() *profile.Profile {
	return &profile.Profile{Serial: 1, Apps: []profile.App{{ID: "a", Name: profile.Text{FR: "A", EN: "A"},
		Criticality: "essential", Requires: []string{profile.BuiltinTunnel}}}}
}

func fakeEngine(p *profile.Profile, ft *tunneltest.Tunnel) *Engine {
	return &Engine{
		LoadProfile:    func(context.Context) (*Loaded, error) { return &Loaded{Profile: p}, nil },
		StartTunnel:    func(context.Context, *profile.Profile) (tunnel.Tunnel, bool, error) { return ft, true, nil },
		NetworkChanges: func(context.Context) <-chan struct{} { return nil },
	}
}

// relais check against an office that is down: the engine waits once for
// the handshake, and the check runner's tunnel built-in does not wait a
// second time (two 5 s waits in a row made 10 s of a 6 s bound).
func TestEngineOneHandshakeWait(t *testing.T) {
	t.Parallel()
	ft := tunneltest.New(tunnel.Status{TxBytes: 148})
	e := fakeEngine(tunnelOnlyProfile(), ft)
	e.Once = true
	e.HandshakeWait = 20 * time.Millisecond
	var runner *checks.Runner
	var statusReads atomic.Int32
	e.Checks = func() *checks.Runner {
		runner = &checks.Runner{TunnelStatus: func() tunnel.Status { statusReads.Add(1); return ft.Status() }}
		return runner
	}
	if err := e.Start(context.Background()); err != nil {
		t.Fatal(err)
	}
	<-e.Done()
	if runner == nil || runner.HandshakeWait >= 0 {
		t.Fatalf("the runner waits for the handshake again (HandshakeWait %v)", runner.HandshakeWait)
	}
	if n := statusReads.Load(); n != 1 {
		t.Errorf("the tunnel built-in read the status %d times: it waited", n)
	}
	s := e.Snapshot()
	if c := s.Report.Builtins[profile.BuiltinTunnel]; c.State != checks.StateFailed || ReasonCode(c) != checks.CodeTunnelNoAnswer {
		t.Errorf("tunnel: %s %s", c.State, ReasonCode(c))
	}
	if ft.Handshakes() == 0 {
		t.Error("the engine never asked the tunnel for a handshake")
	}
}

// A tunnel up without a handshake gets one asked of it before the first
// run, and the run sees it.
func TestEngineAsksForHandshake(t *testing.T) {
	t.Parallel()
	ft := tunneltest.New(tunnel.Status{})
	ft.OnHandshake(func(st *tunnel.Status) { st.LastHandshake, st.TxBytes, st.RxBytes = time.Now(), 148, 92 }, nil)
	e := fakeEngine(tunnelOnlyProfile(), ft)
	e.Once = true
	e.HandshakeWait = 10 * time.Second // ends as soon as the handshake is there
	if err := e.Start(context.Background()); err != nil {
		t.Fatal(err)
	}
	<-e.Done()
	if s := e.Snapshot(); s.Phase != PhaseOperational {
		t.Errorf("phase %s, want operational", s.Phase)
	}
}

// Between runs the engine follows the handshake: a handshake going stale
// triggers a run at once (not at the next RecheckInterval, an hour here),
// and so does its coming back.
func TestEngineRechecksOnHandshakeTransitions(t *testing.T) {
	t.Parallel()
	ft := tunneltest.New(tunnel.Status{TxBytes: 148, RxBytes: 92, LastHandshake: time.Now()})
	e := fakeEngine(tunnelOnlyProfile(), ft)
	e.RecheckInterval = time.Hour
	e.HandshakePoll = 5 * time.Millisecond
	e.HandshakeWait = 10 * time.Millisecond
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

	// The office goes away: the handshake ages past the limit.
	ft.SetStatus(func(st *tunnel.Status) { st.LastHandshake = time.Now().Add(-10 * time.Minute) })
	stale := waitFor(t, e, 10*time.Second, func(ev Event) bool { return ev.Snapshot.Runs >= 2 })
	if stale.Snapshot.Phase != PhaseFailed {
		t.Errorf("after the handshake went stale: %s", stale.Snapshot.Phase)
	}
	if ft.Handshakes() == 0 {
		t.Error("a stale handshake, and the engine did not ask for a new one")
	}

	// It comes back.
	ft.SetStatus(func(st *tunnel.Status) { st.LastHandshake = time.Now() })
	back := waitFor(t, e, 10*time.Second, func(ev Event) bool {
		return ev.Snapshot.Runs > stale.Snapshot.Runs && ev.Snapshot.Phase == PhaseOperational
	})
	if back.Snapshot.Report == nil || !back.Snapshot.Report.EssentialsOK() {
		t.Errorf("after the handshake came back: %+v", back.Snapshot.Report)
	}
}

// A tunnel up whose gateway never answers, for a device whose key was
// revoked (the backend asks the enrolment server): the tunnel failure is
// TunnelRevoked, the tunnel built-in's reason says so, and the verdict is
// the tunnel's failure. Not asked when the handshake is fresh.
func TestEngineRevoked(t *testing.T) {
	t.Parallel()
	p := tunnelOnlyProfile()
	p.Contacts = []profile.Contact{{Role: "helpdesk", Name: profile.Text{FR: "Centre de services", EN: "Service desk"}, Phone: "+33 1 99 00 12 34"}}
	for _, tc := range []struct {
		name      string
		handshake bool
		revoked   bool
		asked     bool
	}{
		{name: "revoked", revoked: true, asked: true},
		{name: "active", asked: true},
		{name: "handshake", handshake: true, revoked: true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			st := tunnel.Status{Up: true, TxBytes: 148}
			if tc.handshake {
				st.LastHandshake, st.RxBytes = time.Now(), 92
			}
			ft := tunneltest.New(st)
			e := fakeEngine(p, ft)
			e.Once, e.HandshakeWait = true, 10*time.Millisecond
			var asked atomic.Int32
			e.Revoked = func(context.Context) bool { asked.Add(1); return tc.revoked }
			if err := e.Start(context.Background()); err != nil {
				t.Fatal(err)
			}
			<-e.Done()
			s := e.Snapshot()
			if got := asked.Load() > 0; got != tc.asked {
				t.Fatalf("asked %v, want %v", got, tc.asked)
			}
			revoked := tc.revoked && tc.asked
			if got := s.TunnelFailure() == TunnelRevoked; got != revoked {
				t.Fatalf("tunnel failure %q", s.TunnelFailure())
			}
			if !revoked {
				return
			}
			c := s.Report.Builtins[profile.BuiltinTunnel]
			if ReasonCode(c) != checks.CodeTunnelRevoked || !strings.Contains(c.Reason.Text.FR, "n'est plus autorisé") ||
				!strings.Contains(c.Reason.Next.FR, "+33 1 99 00 12 34") || !strings.Contains(c.Reason.Text.EN, "no longer authorised") {
				t.Fatalf("reason %+v", c.Reason)
			}
			if v := status.FoundVerdict(s); v.Level != status.VerdictFailed || !v.TunnelFailed {
				t.Fatalf("verdict %+v", v)
			}
		})
	}
}
