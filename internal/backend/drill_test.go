package backend

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"relais/internal/drills"
	"relais/internal/frontend"
	"relais/internal/profile"
)

// openDrills is a backend on an organisation's machine (memMachine) whose
// profile in use is p, set as a sync would leave it.
func openDrills(t *testing.T, p *profile.Profile) *Local {
	t.Helper()
	env, _ := memMachine(t)
	b, err := Open(context.Background(), Options{Env: env, Lang: "fr"})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { b.Close() })
	b.mu.Lock()
	b.prof.Profile = p
	b.mu.Unlock()
	return b
}

// wantKey fails unless err is a coded error with key.
func wantKey(t *testing.T, what string, err error, key string) {
	t.Helper()
	var fe *frontend.Error
	if !errors.As(err, &fe) || fe.Key != key {
		t.Fatalf("%s: %v, want the coded %s", what, err, key)
	}
}

// readDrill is an open drill of instructions and a free-text question,
// which need no Mode urgence.
func readDrill(now time.Time) profile.Drill {
	no := false
	return profile.Drill{ID: "lecture", Title: profile.Text{FR: "Lecture"}, Exercise: "walkthrough", RTO: "20m",
		Opens: now.Add(-time.Hour), Closes: now.Add(time.Hour),
		Steps: []profile.Step{
			{ID: "a", Kind: "instruction", Title: profile.Text{FR: "A"}},
			{ID: "b", Kind: "instruction", Title: profile.Text{FR: "B"}, Required: &no},
			{ID: "c", Kind: "question", Title: profile.Text{FR: "C"}},
		}}
}

// DrillList is the profile's drills with their windows and the runs under
// way; without a profile it says so, coded.
func TestDrillListOfTheProfileInUse(t *testing.T) {
	t.Parallel()
	b := openDrills(t, nil)
	_, err := b.DrillList()
	wantKey(t, "no profile", err, "cli.desk.no_profile")

	now := time.Now()
	later := readDrill(now)
	later.ID, later.Opens, later.Closes = "plus-tard", now.Add(time.Hour), now.Add(2*time.Hour)
	b.mu.Lock()
	b.prof.Profile = &profile.Profile{Serial: 3, Drills: []profile.Drill{readDrill(now), later}}
	b.mu.Unlock()
	run, err := b.StartDrill("lecture")
	if err != nil {
		t.Fatal(err)
	}
	list, err := b.DrillList()
	if err != nil || len(list) != 2 {
		t.Fatalf("DrillList: %v %+v", err, list)
	}
	if it := list[0]; it.Drill.ID != "lecture" || it.Window != drills.WindowOpen || it.Active != run.ID {
		t.Errorf("the open drill: %+v", it)
	}
	if it := list[1]; it.Drill.ID != "plus-tard" || it.Window != drills.WindowUpcoming || it.Active != "" {
		t.Errorf("the drill to come: %+v", it)
	}
}

// A DrillWalk keeps the run as it stands: a refusal leaves the step
// current, a skip or a completion moves on, and the run ends with its
// report (ReportJSON, the receiver's document); a profile without
// report_url has nothing to deliver.
func TestDrillWalk(t *testing.T) {
	t.Parallel()
	b := openDrills(t, &profile.Profile{Serial: 3, Drills: []profile.Drill{readDrill(time.Now())}})
	if _, err := b.WalkDrill("inconnu"); err == nil {
		t.Fatal("an unknown drill was walked")
	}
	w, err := b.WalkDrill("lecture")
	if err != nil {
		t.Fatal(err)
	}
	if i, st, def, ok := w.Next(); !ok || i != 0 || st.ID != "a" || def.Kind != "instruction" {
		t.Fatalf("first step: %d %+v %+v %v", i, st, def, ok)
	}
	if err := w.Skip(""); err == nil {
		t.Fatal("a required step was skipped without a reason")
	}
	if st, err := w.Complete(drills.Input{}); err != nil || st.ID != "a" || st.State != drills.StepDone {
		t.Fatalf("Complete a: %+v %v", st, err)
	}
	if err := w.Skip(""); err != nil {
		t.Fatalf("skip the optional b: %v", err)
	}
	i, _, _, ok := w.Next()
	if !ok || i != 2 || w.Run().Steps[1].State != drills.StepSkipped {
		t.Fatalf("after the skip: step %d %v, %+v", i, ok, w.Run().Steps)
	}
	st, err := w.Complete(drills.Input{})
	wantKey(t, "a question without an answer", err, "cli.drill.err.answer_required")
	if st.ID != "c" || st.State != drills.StepOpen {
		t.Fatalf("refused, the step is %+v", st)
	}
	if st, err := w.Complete(drills.Input{Answer: "oui"}); err != nil || st.State != drills.StepDone || st.Evidence.Answer != "oui" {
		t.Fatalf("Complete c: %+v %v", st, err)
	}
	if _, _, _, ok := w.Next(); ok {
		t.Fatal("a step is left after the last")
	}
	if _, err := w.Complete(drills.Input{}); err == nil {
		t.Fatal("a step was completed after the last")
	}
	rep, err := w.Finish("clair")
	if err != nil || !rep.Completed || rep.Feedback != "clair" {
		t.Fatalf("Finish: %+v %v", rep, err)
	}
	js, err := b.ReportJSON(rep.RunID)
	if err != nil {
		t.Fatal(err)
	}
	if back, err := drills.ParseReport(js); err != nil || back.RunID != rep.RunID || back.Feedback != "clair" {
		t.Fatalf("ReportJSON: %v %+v", err, back)
	}
	_, err = b.ReportJSON("inconnu")
	wantKey(t, "the report of an unknown run", err, "cli.drill.err.unknown_run")
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if del := b.WaitDelivery(ctx, rep.RunID, time.Minute); del.State != frontend.DeliveryNone {
		t.Errorf("no report_url, yet the delivery is %+v", del)
	}
	statuses, err := b.RunStatuses()
	if err != nil || len(statuses) != 1 || statuses[0].Run.ID != rep.RunID || statuses[0].Undelivered() {
		t.Fatalf("RunStatuses: %v %+v", err, statuses)
	}
}

// WaitDelivery returns as soon as the receiver has the report or refuses
// it, and when the wait runs out while it is still queued; the problem of
// the last attempt is coded for a document.
func TestWaitDelivery(t *testing.T) {
	t.Parallel()
	b := openDrills(t, nil)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch r.URL.Path {
		case "/ok":
			w.WriteHeader(http.StatusCreated)
		case "/receipt": // the organisation's server's answer
			w.Header().Set("Content-Type", "application/json")
			w.WriteHeader(http.StatusCreated)
			fmt.Fprintf(w, `{"kind":"report","key":%q,"id":12,"received":"2026-12-06T07:50:00Z","sha256":"00","bytes":2}`,
				r.Header.Get("Idempotency-Key"))
		case "/refused":
			w.WriteHeader(http.StatusBadRequest)
		default:
			w.WriteHeader(http.StatusServiceUnavailable)
		}
	}))
	defer srv.Close()
	down := httptest.NewServer(http.NotFoundHandler())
	down.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	for _, tc := range []struct {
		key, url    string
		wait        time.Duration
		state, code string
		undelivered bool
		receipt     int64
	}{
		{"run-ok", srv.URL + "/ok", time.Minute, frontend.DeliveryDelivered, "", false, 0},
		{"run-receipt", srv.URL + "/receipt", time.Minute, frontend.DeliveryDelivered, "", false, 12},
		{"run-refused", srv.URL + "/refused", time.Minute, frontend.DeliveryRejected, DeliveryProblemHTTPStatus, true, 0},
		{"run-busy", srv.URL + "/busy", 2 * time.Second, frontend.DeliveryPending, DeliveryProblemHTTPStatus, true, 0},
		{"run-down", down.URL, 2 * time.Second, frontend.DeliveryPending, DeliveryProblemUnreachable, true, 0},
	} {
		if err := b.out.Enqueue(ctx, "drill_report", tc.key, tc.url, "application/json", []byte(`{}`)); err != nil {
			t.Fatal(err)
		}
		b.wakeOutbox()
		start := time.Now()
		del := b.WaitDelivery(ctx, tc.key, tc.wait)
		if del.State != tc.state {
			t.Errorf("%s: %s, want %s (%+v)", tc.key, del.State, tc.state, del)
		}
		if del.ReceiptID != tc.receipt || del.Received.IsZero() != (tc.receipt == 0) ||
			(tc.receipt != 0 && !del.Received.Equal(time.Date(2026, 12, 6, 7, 50, 0, 0, time.UTC))) {
			t.Errorf("%s: receipt %d received %v, want %d", tc.key, del.ReceiptID, del.Received, tc.receipt)
		}
		if tc.wait == time.Minute && time.Since(start) > 20*time.Second {
			t.Errorf("%s: settled, yet waited %v", tc.key, time.Since(start))
		}
		if Undelivered(del) != tc.undelivered {
			t.Errorf("%s: undelivered %v, want %v", tc.key, !tc.undelivered, tc.undelivered)
		}
		code, fe := DeliveryProblem(del)
		if code != tc.code || (tc.code == "") != (fe == nil) {
			t.Errorf("%s: problem %q %v, want %q", tc.key, code, fe, tc.code)
		}
	}
	if del := b.WaitDelivery(ctx, "run-none", time.Minute); del.State != frontend.DeliveryNone {
		t.Errorf("nothing queued: %+v", del)
	}
}

func TestTableFormat(t *testing.T) {
	t.Parallel()
	for name, want := range map[string]string{
		"t.csv": TableCSV, "T.CSV": TableCSV, "t.html": TableHTML, "dir/t.HTM": TableHTML,
		"": "", "t": "", "t.json": "", "t.csv.txt": "",
	} {
		if got := TableFormat(name); got != want {
			t.Errorf("TableFormat(%q) = %q, want %q", name, got, want)
		}
	}
}

// WriteSummary writes the table in the format its name asks; a file that
// is not a report, or a table that cannot be written, is said coded.
func TestWriteSummary(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	sample := filepath.Join("..", "drills", "testdata", "sample_report.json")
	notReport := filepath.Join(dir, "notes.json")
	if err := os.WriteFile(notReport, []byte(`{"hello": 1}`), 0o644); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name  string
		paths []string
		out   string
		key   string // "" written
		want  string // in the file
	}{
		{"csv", []string{sample}, filepath.Join(dir, "t.csv"), "", "automne-2026"},
		{"html", []string{sample, sample}, filepath.Join(dir, "t.html"), "", "<html"}, // one run: one row
		{"not a report", []string{sample, notReport}, filepath.Join(dir, "u.csv"), "cli.drill.bad_report.", ""},
		{"missing", []string{filepath.Join(dir, "absent.json")}, filepath.Join(dir, "v.csv"), "cli.drill.bad_report.unreadable", ""},
		{"no such folder", []string{sample}, filepath.Join(dir, "absent", "t.csv"), "cli.drill.export_failed", ""},
		{"neither csv nor html", []string{sample}, filepath.Join(dir, "t.json"), "cli.drill.export_failed", ""},
	} {
		tab, err := WriteSummary(tc.paths, tc.out, "fr")
		if tc.key != "" {
			var fe *frontend.Error
			if !errors.As(err, &fe) || !strings.HasPrefix(fe.Key, tc.key) {
				t.Errorf("%s: %v, want the coded %s", tc.name, err, tc.key)
			}
			if _, serr := os.Stat(tc.out); serr == nil {
				t.Errorf("%s: %s written", tc.name, tc.out)
			}
			continue
		}
		b, rerr := os.ReadFile(tc.out)
		if err != nil || rerr != nil || len(tab.Rows) != 1 || !strings.Contains(string(b), tc.want) {
			t.Errorf("%s: %v %v, %d rows:\n%.300s", tc.name, err, rerr, len(tab.Rows), b)
		}
	}
}
