package engine

import (
	"context"
	"testing"
	"time"

	"relais/internal/office"
	"relais/internal/profile"
	"relais/internal/tunnel"
)

// BenchmarkModeUrgence measures Mode urgence from Start to every essential
// app green against the demo office (only the healthy apps essential),
// with the store recording everything. It reports the time to operational
// and the overhead beyond the network's own round trips: the tunnel's
// first handshake and the longest check an essential app needs (they run
// concurrently), which the engine cannot make faster.
func BenchmarkModeUrgence(b *testing.B) {
	var tto, network, setup time.Duration
	for i := 0; i < b.N; i++ {
		// A fresh office each time: a peer that just saw this identity's
		// previous session holds the next handshake back for seconds
		// (WireGuard's rekey timeout), which no laptop meets in Mode urgence.
		b.StopTimer()
		f := newFixture(b, office.Options{HealthyEssentialsOnly: true, SlowDelay: time.Millisecond})
		b.StartTimer()
		var hs, st time.Duration
		e := f.engine()
		e.Once = true
		e.StartTunnel = func(ctx context.Context, p *profile.Profile) (tunnel.Tunnel, bool, error) {
			t0 := time.Now()
			t, owned, err := f.startTunnel(ctx, p)
			if err != nil {
				return nil, false, err
			}
			t1 := time.Now()
			for t.Status().LastHandshake.IsZero() && time.Since(t1) < 5*time.Second {
				time.Sleep(100 * time.Microsecond)
			}
			st, hs = t1.Sub(t0), time.Since(t1)
			return t, owned, nil
		}
		if err := e.Start(context.Background()); err != nil {
			b.Fatal(err)
		}
		<-e.Done()
		s := e.Snapshot()
		if s.TimeToOperational == nil {
			b.Fatalf("not operational: %+v", s.Report)
		}
		var longest time.Duration
		for id := range essentialNeeds(f.prof) {
			if c := s.Report.Check(id); c != nil {
				longest = max(longest, c.Duration)
			}
		}
		tto += *s.TimeToOperational
		network += hs + longest
		setup += st
		b.StopTimer()
		f.office.Close()
		f.db.Close()
		b.StartTimer()
	}
	n := float64(b.N)
	ms := func(d time.Duration) float64 { return float64(d) / float64(time.Millisecond) / n }
	b.ReportMetric(ms(tto), "tto-ms")
	b.ReportMetric(ms(network), "network-ms")
	b.ReportMetric(ms(setup), "tunnel-setup-ms")
	b.ReportMetric(ms(tto-network), "overhead-ms")
}
