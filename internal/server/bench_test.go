package server_test

import (
	"bytes"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"relais/internal/drills"
	"relais/internal/server"
	"relais/internal/server/config"
	"relais/internal/server/db"
	"relais/internal/server/db/pgtest"
)

// benchClients is how many laptops submit at once in the load generator.
const benchClients = 32

// benchReport is a real report of about 5 KB: internal/drills' sample
// with a longer feedback.
func benchReport(b *testing.B, runID string) []byte {
	b.Helper()
	raw, err := os.ReadFile(filepath.Join("..", "drills", "testdata", "sample_report.json"))
	if err != nil {
		b.Fatal(err)
	}
	r, err := drills.ParseReport(raw)
	if err != nil {
		b.Fatal(err)
	}
	r.RunID = runID
	r.Feedback = strings.Repeat("La connexion a pris du temps, mais tout a fonctionné ensuite. ", 22)
	body, err := r.JSON()
	if err != nil {
		b.Fatal(err)
	}
	return body
}

// BenchmarkIntake is the intake under load: benchClients concurrent
// HTTP clients post b.N distinct ~5 KB reports to a real listener;
// reports/s and the p99 latency are reported.
func BenchmarkIntake(b *testing.B) {
	for _, be := range []struct {
		name string
		opts func(b *testing.B) db.Options
	}{
		{"sqlite", func(b *testing.B) db.Options { return db.Options{DataDir: b.TempDir()} }},
		{"postgres", func(b *testing.B) db.Options { return db.Options{DatabaseURL: pgtest.Shared(b).NewDatabase(b)} }},
	} {
		b.Run(be.name, func(b *testing.B) {
			d, err := db.Open(b.Context(), be.opts(b))
			if err != nil {
				b.Fatal(err)
			}
			defer d.Close()
			cfg, err := config.Parse("server.toml", []byte("trusted_networks = [\"127.0.0.0/8\"]\n[limits]\nrate_per_minute = 1000000\nrate_burst = 1000000\n"))
			if err != nil {
				b.Fatal(err)
			}
			s, err := server.New(cfg, d, server.Options{})
			if err != nil {
				b.Fatal(err)
			}
			srv := httptest.NewServer(s)
			defer srv.Close()
			client := &http.Client{Timeout: 30 * time.Second, Transport: &http.Transport{MaxIdleConnsPerHost: benchClients}}
			prefix := fmt.Sprintf("bench-%d-", time.Now().UnixNano())
			bodies := make([][]byte, b.N)
			for i := range bodies {
				bodies[i] = benchReport(b, fmt.Sprintf("%s%d", prefix, i))
			}
			lat := make([]time.Duration, b.N)
			var next atomic.Int64
			var failed atomic.Int64
			var wg sync.WaitGroup
			b.SetBytes(int64(len(bodies[0])))
			b.ResetTimer()
			start := time.Now()
			for range benchClients {
				wg.Add(1)
				go func() {
					defer wg.Done()
					for {
						i := int(next.Add(1) - 1)
						if i >= b.N {
							return
						}
						req, _ := http.NewRequest(http.MethodPost, srv.URL+server.PathReports, bytes.NewReader(bodies[i]))
						req.Header.Set("Content-Type", "application/json")
						req.Header.Set("Idempotency-Key", fmt.Sprintf("%s%d", prefix, i))
						t0 := time.Now()
						resp, err := client.Do(req)
						lat[i] = time.Since(t0)
						if err != nil || resp.StatusCode != http.StatusCreated {
							failed.Add(1)
						}
						if resp != nil {
							resp.Body.Close()
						}
					}
				}()
			}
			wg.Wait()
			elapsed := time.Since(start)
			b.StopTimer()
			if n := failed.Load(); n > 0 {
				b.Fatalf("%d of %d submissions failed", n, b.N)
			}
			slices.Sort(lat)
			b.ReportMetric(float64(b.N)/elapsed.Seconds(), "reports/s")
			b.ReportMetric(float64(lat[min(len(lat)-1, len(lat)*99/100)].Microseconds())/1000, "p99-ms")
		})
	}
}
