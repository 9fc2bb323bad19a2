package diag

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"testing"
	"time"

	"relais/internal/checks"
	"relais/internal/diag/bundle"
	"relais/internal/store"
)

// keptEvents is how many log events the store keeps (its keepEvents,
// unexported): the most a bundle's log.txt can hold.
const keptEvents = 10000

// weekOfChecks is 7 days of 6 apps × 2 checks every 60 s, ending at end,
// the newest keep of them (0: all, 120,960), each with its detail as the
// engine records it.
func weekOfChecks(end time.Time, keep int) []store.CheckRecord {
	const perRun = 12
	runs := 7 * 24 * 60
	total := runs * perRun
	if keep <= 0 || keep > total {
		keep = total
	}
	recs := make([]store.CheckRecord, 0, keep)
	first := total - keep
	for i := first; i < total; i++ {
		run, n := i/perRun, i%perRun
		at := end.Add(-time.Duration(runs-run) * time.Minute)
		app := fmt.Sprintf("app%d", n/2)
		id := fmt.Sprintf("%s-check%d", app, n%2)
		res := checks.CheckResult{ID: id, AppID: app, Type: "http", Target: "https://" + app + ".intra.example.org/sante", Via: "tunnel", State: checks.StateOK,
			At: at, Duration: time.Duration(80+i%50) * time.Millisecond, Attempts: 1, Conditions: []checks.Condition{{Expr: "[STATUS] (200) == 200", OK: true}}}
		if (run%97 == 0 && n < 4) || (n == 6 && run%13 == 0) {
			res.State, res.Attempts, res.Error = checks.StateFailed, 2, "Get \"https://"+app+".intra.example.org/sante\": dial tcp 10.20.3.4:443: i/o timeout"
			res.Reason = reason("timeout", "Le serveur ne répond pas.", "The server does not answer.", "Appelez le 555-0100.", "Call 555-0100.")
		}
		detail, _ := json.Marshal(res)
		code := ""
		if res.Reason != nil {
			code = res.Reason.Code
		}
		recs = append(recs, store.CheckRecord{ID: int64(i + 1), RunAt: at, At: at.Add(res.Duration), CheckID: id, AppID: app, Type: "http", State: string(res.State), Duration: res.Duration, ReasonCode: code, DetailJSON: string(detail)})
	}
	return recs
}

// weekOfLogs is the store's worth of log lines, as the engine and the
// tunnel write them.
func weekOfLogs(end time.Time) []LogLine {
	ls := make([]LogLine, keptEvents)
	msgs := []string{
		"report: 12 checks, 11 ok, 1 failed (app3-check0: timeout)",
		"network changed: wlp3s0 192.168.1.23/24 fe80::5054:ff:fe12:3456/64",
		"tunnel: handshake with 198.51.100.7:51820 completed, rx 123456 tx 65432",
		"profile: sync https://continuite.example.org/relais/profile.toml: not modified (serial 7)",
		"outbox: delivered report run-1 to https://rapports.example.org/r",
		"engine: phase operational after 42s",
	}
	for i := range ls {
		ls[i] = LogLine{At: end.Add(-time.Duration(keptEvents-i) * time.Minute), Source: "engine", Message: msgs[i%len(msgs)]}
	}
	return ls
}

type countingWriter struct{ n int64 }

func (c *countingWriter) Write(p []byte) (int, error) { c.n += int64(len(p)); return len(p), nil }

// BenchmarkExport7Days makes a standard bundle from a week of use: the
// check history the store keeps (store.KeepChecks results; "full-week":
// all 120,960 a week makes, had nothing been pruned) and its log. The
// history is summarised (checks.json: counts per check and per hour, and
// the newest 200 results and 200 problems in full), which keeps the bundle
// small whatever the history's length. Aim: under 1 s and 2 MB.
func BenchmarkExport7Days(b *testing.B) {
	for _, bc := range []struct {
		name string
		keep int
	}{{"kept", store.KeepChecks}, {"full-week", 0}} {
		b.Run(bc.name, func(b *testing.B) {
			in, _ := sampleInput(b)
			in.Checks = weekOfChecks(testNow, bc.keep)
			in.Log = weekOfLogs(testNow)
			opt := Options{Level: LevelStandard, collectors: defaultCollectors(fakeSources()), Now: func() time.Time { return testNow }}
			var size int64
			b.ReportAllocs()
			b.ResetTimer()
			for b.Loop() {
				w := &countingWriter{}
				if _, err := Export(context.Background(), in, opt, w); err != nil {
					b.Fatal(err)
				}
				size = w.n
			}
			b.ReportMetric(float64(size), "bytes")
		})
	}
}

// The benchmark's bundle opens and says what the week held.
func TestWeekBundleOpens(t *testing.T) {
	if testing.Short() {
		t.Skip("a week of history")
	}
	in, _ := sampleInput(t)
	in.Checks = weekOfChecks(testNow, store.KeepChecks)
	in.Log = weekOfLogs(testNow)
	var buf bytes.Buffer
	if _, err := Export(context.Background(), in, Options{collectors: defaultCollectors(fakeSources()), Now: func() time.Time { return testNow }}, &buf); err != nil {
		t.Fatal(err)
	}
	b, err := Open(bytes.NewReader(buf.Bytes()), nil)
	if err != nil {
		t.Fatal(err)
	}
	var cf bundle.ChecksFile
	if err := json.Unmarshal(b.Files[bundle.NameChecks], &cf); err != nil {
		t.Fatal(err)
	}
	h := cf.History
	failed := 0
	for _, r := range in.Checks {
		if r.State == "failed" {
			failed++
		}
	}
	if h.Records != store.KeepChecks || len(h.PerCheck) != 12 || len(h.Recent) != recentRecords || len(h.Problems) != min(failed, problemRecords) || len(h.Hourly) < 12*27 {
		t.Errorf("history: %d records, %d checks, %d hourly, %d recent, %d problems", h.Records, len(h.PerCheck), len(h.Hourly), len(h.Recent), len(h.Problems))
	}
	for _, c := range h.PerCheck {
		failed -= c.Failed
	}
	if failed != 0 {
		t.Errorf("the counts lose %d failures", failed)
	}
	if n := bytes.Count(b.Files[bundle.NameLog], []byte("\n")); n != keptEvents {
		t.Errorf("log.txt has %d lines", n)
	}
}
