package checks

import (
	"context"
	"fmt"
	"math"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"relais/internal/profile"
)

// BenchmarkRun500Checks: 500 http checks against a local server answering after delay,
// 32 at a time. The ideal is ceil(500/32) × delay; the gap is the Runner's overhead.
func BenchmarkRun500Checks(b *testing.B) {
	const n, concurrency, delay = 500, 32, 20 * time.Millisecond
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		time.Sleep(delay)
		fmt.Fprint(w, "ok")
	}))
	defer srv.Close()
	p := &profile.Profile{}
	for a := 0; a < 50; a++ {
		var checks []profile.Check
		for c := 0; c < n/50; c++ {
			checks = append(checks, profile.Check{ID: fmt.Sprintf("c%d-%d", a, c), Type: "http", Target: srv.URL + "/sante", Via: "direct",
				Conditions: []string{"[STATUS] == 200", "[BODY] == pat(*ok*)", "[RESPONSE_TIME] < 5000"}})
		}
		p.Apps = append(p.Apps, app(fmt.Sprintf("app%d", a), nil, checks...))
	}
	r := &Runner{Concurrency: concurrency}
	b.ResetTimer()
	start := time.Now()
	for i := 0; i < b.N; i++ {
		rep := r.Run(context.Background(), p)
		if !rep.EssentialsOK() {
			b.Fatalf("not all ok: %+v", rep.Apps[0].Checks[0])
		}
	}
	wall := time.Since(start) / time.Duration(b.N)
	ideal := time.Duration(math.Ceil(float64(n)/concurrency)) * delay
	b.ReportMetric(float64(wall.Milliseconds()), "wall-ms/run")
	b.ReportMetric(float64(ideal.Milliseconds()), "ideal-ms/run")
	b.ReportMetric(float64(wall)/float64(ideal), "wall/ideal")
}
