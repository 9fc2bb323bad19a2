package engine

import (
	"context"
	"testing"
	"time"

	"relais/internal/profile"
	"relais/internal/tunnel"
	"relais/internal/tunnel/tunneltest"
)

// The timeline says which endpoint the tunnel uses: tunnel_up names it,
// and a tunnel that goes to another one while Mode urgence runs (a
// gateway moved by DNS, a standby) adds a tunnel_endpoint entry naming
// the new one, without the tunnel being started again.
func TestEngineRecordsEndpointChange(t *testing.T) {
	t.Parallel()
	ft := tunneltest.New(tunnel.Status{Mode: tunnel.ModeUserspace, Up: true, LastHandshake: time.Now(),
		EndpointName: "vpn.example.org:51820", Endpoint: "192.0.2.1:51820"})
	e := fakeEngine(tunnelOnlyProfile(), ft)
	starts := 0
	e.StartTunnel = func(context.Context, *profile.Profile) (tunnel.Tunnel, bool, error) { starts++; return ft, true, nil }
	e.HandshakePoll = 10 * time.Millisecond
	e.RecheckInterval = time.Hour
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	if err := e.Start(ctx); err != nil {
		t.Fatal(err)
	}
	waitUntil(t, "the first report", func() bool { return e.Snapshot().Runs >= 1 })
	ft.SetStatus(func(st *tunnel.Status) {
		st.EndpointName, st.Endpoint, st.LastHandshake = "vpn-secours.example.org:51820", "192.0.2.7:51820", time.Now()
	})
	const want = "endpoint vpn-secours.example.org:51820 (192.0.2.7:51820)"
	waitUntil(t, "the endpoint entry", func() bool {
		for _, te := range e.Snapshot().Timeline {
			if te.Kind == EventTunnelEndpoint && te.Detail == want {
				return true
			}
		}
		return false
	})
	waitUntil(t, "a run after the change", func() bool { return e.Snapshot().Runs >= 2 })
	cancel()
	<-e.Done()
	s := e.Snapshot()
	var up, changes int
	for _, te := range s.Timeline {
		switch te.Kind {
		case EventTunnelUp:
			up++
			if te.Detail != "endpoint vpn.example.org:51820 (192.0.2.1:51820)" {
				t.Errorf("tunnel_up detail %q", te.Detail)
			}
		case EventTunnelEndpoint:
			changes++
		}
	}
	if up != 1 || changes != 1 || starts != 1 {
		t.Errorf("%d tunnel_up, %d tunnel_endpoint entries, %d starts; timeline %+v", up, changes, starts, s.Timeline)
	}
}

func waitUntil(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(5 * time.Millisecond)
	}
}
