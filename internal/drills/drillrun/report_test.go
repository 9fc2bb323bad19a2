package drillrun

import (
	"bytes"
	"context"
	"encoding/json"
	"flag"
	"os"
	"path/filepath"
	"reflect"
	"testing"
	"time"

	"relais/internal/drills"
	"relais/internal/drills/drillstest"
	"relais/internal/profile"
	"relais/internal/status"
	"relais/internal/store"
)

// walkSample walks a short scripted run of the example's autumn drill: a
// failed verification then a retry, a choice, notes and feedback with
// markup in them; its report is package drills' sample report.
func walkSample(t testing.TB) drills.Report {
	t.Helper()
	ctx := context.Background()
	p := exampleProfile(t)
	tw := newTestWalker(t, p, autumn)
	run, err := tw.Start(ctx, p, "automne-2026", "fr")
	if err != nil {
		t.Fatal(err)
	}
	do := func(id string, in drills.Input) {
		t.Helper()
		tw.clock.Advance(47 * time.Second)
		if _, err := tw.Complete(ctx, run.ID, id, in); err != nil {
			t.Fatalf("%s: %v", id, err)
		}
	}
	do("contexte", drills.Input{Note: `<img src=x onerror="alert(1)">`})
	do("connexion", drills.Input{})
	do("portail", drills.Input{})
	tw.engine.set("messagerie-smtp", status.StateFailed)
	tw.clock.Advance(3 * time.Minute)
	_, _ = tw.Complete(ctx, run.ID, "applications", drills.Input{})
	tw.clock.Advance(time.Minute)
	if _, err := tw.Skip(ctx, run.ID, "applications", "SMTP en panne & <rien> à faire"); err != nil {
		t.Fatal(err)
	}
	do("difficulte", drills.Input{Choice: intp(2)})
	do("commentaires", drills.Input{Answer: "</td><script>alert('x')</script>"})
	rep, err := tw.Finish(ctx, run.ID, "Bien, mais <script>document.cookie</script>", `Élise "<script>" O'Brien`)
	if err != nil {
		t.Fatal(err)
	}
	return *rep
}

// update rewrites package drills' sample report from the walker:
// go test ./internal/drills/drillrun -run TestSampleReportIsTheWalkers -update
var update = flag.Bool("update", false, "write ../testdata/sample_report.json from the walker")

// Package drills tests its reports, pages and tables on the report of
// walkSample's run, kept as a file: it is exactly what the walker makes.
func TestSampleReportIsTheWalkers(t *testing.T) {
	rep := walkSample(t)
	b, err := rep.JSON()
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join("..", "testdata", "sample_report.json")
	if *update {
		if err := os.WriteFile(path, b, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	kept, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(kept, b) {
		t.Errorf("%s is not the walker's report (-update rewrites it):\n%s", path, b)
	}
	back, err := drills.ParseReport(kept)
	if err != nil || !reflect.DeepEqual(*back, rep) {
		t.Errorf("%s reads back as\n%+v (%v)\nwant\n%+v", path, back, err, rep)
	}
}

func TestBuildReportActiveRun(t *testing.T) {
	ctx := context.Background()
	p := exampleProfile(t)
	tw := newTestWalker(t, p, autumn)
	run, _ := tw.Start(ctx, p, "automne-2026", "en")
	tw.clock.Advance(time.Minute)
	run, _ = tw.Complete(ctx, run.ID, "contexte", drills.Input{})
	rep := drills.BuildReport(run, "")
	if rep.Completed || !rep.Finished.IsZero() || rep.Steps[0].DurationMS != 60_000 || rep.Steps[1].DurationMS != 0 ||
		rep.Steps[2].DurationMS != 0 || rep.TimeToOperationalMS != nil || rep.Steps[1].State != drills.StepOpen ||
		rep.Steps[1].Title != (profile.Text{FR: "Se connecter", EN: "Connect"}) {
		t.Fatalf("report of an active run: %+v", rep)
	}
}

// No JSON the package writes holds a zero date: an unknown time (a run
// under way has no end, a step not reached no start) is null, in a report
// (its file and its page's data), a run and the ambassadors' table. It
// reads back as an unknown time.
func TestJSONHasNoZeroDate(t *testing.T) {
	ctx := context.Background()
	p := exampleProfile(t)
	tw := newTestWalker(t, p, autumn)
	run, err := tw.Start(ctx, p, "automne-2026", "fr")
	if err != nil {
		t.Fatal(err)
	}
	tw.clock.Advance(time.Minute)
	if run, err = tw.Complete(ctx, run.ID, "contexte", drills.Input{Note: "ok"}); err != nil {
		t.Fatal(err)
	}
	rep := drills.BuildReport(run, "Camille")
	rep.Steps[0].Evidence.Checks = append(rep.Steps[0].Evidence.Checks, drills.CheckEvidence{ID: "c"})
	rep.Steps[0].Evidence.Attempts = append(rep.Steps[0].Evidence.Attempts, drills.Attempt{Failure: drills.ErrCodeChecksFailed})
	if !rep.Finished.IsZero() || !rep.Steps[2].Started.IsZero() {
		t.Fatalf("the run is not under way: %+v", rep)
	}
	js, err := rep.JSON()
	if err != nil {
		t.Fatal(err)
	}
	var page bytes.Buffer
	if err := rep.HTML(&page, "fr"); err != nil {
		t.Fatal(err)
	}
	runJSON, _ := json.Marshal(run)
	tabJSON, _ := json.Marshal(drills.Summarize([]drills.Report{{Schema: 1, RunID: "r", DrillID: "d"}}))
	for name, b := range map[string][]byte{"report": js, "report page": page.Bytes(), "run": runJSON, "table": tabJSON} {
		if i := bytes.Index(b, []byte("0001-01-01")); i >= 0 {
			t.Errorf("%s: a zero date: …%s…", name, b[max(0, i-80):min(len(b), i+40)])
		}
	}
	if !bytes.Contains(js, []byte(`"finished": null`)) || !bytes.Contains(js, []byte(`"at": null`)) {
		t.Errorf("the unknown times are not null:\n%s", js)
	}
	back, err := drills.ParseReport(js)
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(*back, rep) {
		t.Errorf("read back:\n%+v\nwant\n%+v", *back, rep)
	}
	// A text that reads like a zero date is text: it stays as written.
	rep.Steps[0].Evidence.Note = "0001-01-01T00:00:00Z"
	js, _ = rep.JSON()
	if back, err := drills.ParseReport(js); err != nil || back.Steps[0].Evidence.Note != rep.Steps[0].Evidence.Note {
		t.Errorf("a note that reads like a date was changed: %v %+v", err, back)
	}
}

// A run read from the store keeps its recorded hash and reads its drill
// back, whether the store keeps it with the snapshot's keys or with Go's
// field names (an earlier Relais); written, its drill has the snapshot's
// keys.
func TestRecordReadsBackItsDrill(t *testing.T) {
	d := drillstest.OldDrill()
	js, hash, err := drills.DrillJSON(d)
	if err != nil {
		t.Fatal(err)
	}
	wantDrill := []string{"closes", "exercise", "id", "opens", "rto", "steps", "title"}
	// The snapshot reads back as the same drill, as does an old one.
	steps := []store.DrillStepRecord{{Index: 0, StepID: "connexion", State: "open", EvidenceJSON: "{}"},
		{Index: 1, StepID: "difficulte", State: "open", EvidenceJSON: "{}"}}
	for name, rec := range map[string]store.DrillRunRecord{
		"new": {ID: "run-new", DrillID: d.ID, DrillHash: hash, DrillJSON: js, Steps: steps},
		"old": {ID: "run-old", DrillID: d.ID, DrillHash: "0ld", DrillJSON: drillstest.OldSnapshot, Steps: steps},
	} {
		rc, err := fromRecord(&rec)
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		if !reflect.DeepEqual(rc.run.Drill, d) {
			t.Errorf("%s snapshot read back as\n%+v\nwant\n%+v", name, rc.run.Drill, d)
		}
		if rc.run.DrillHash != rec.DrillHash || rc.run.Steps[1].Required || !rc.run.Steps[0].Required {
			t.Errorf("%s: hash %q, steps %+v", name, rc.run.DrillHash, rc.run.Steps)
		}
		// A run, as a bundle or `--json` writes it, has the same keys.
		b, err := json.Marshal(rc.run)
		if err != nil {
			t.Fatal(err)
		}
		var run struct{ Drill json.RawMessage }
		_ = json.Unmarshal(b, &run)
		if got := drillstest.KeysOf(t, run.Drill); !reflect.DeepEqual(got, wantDrill) {
			t.Errorf("%s: a run's drill has keys %q", name, got)
		}
		// And it reads back.
		var back drills.Run
		if err := json.Unmarshal(b, &back); err != nil || !reflect.DeepEqual(back.Drill, d) {
			t.Errorf("%s: run read back: %v\n%+v", name, err, back.Drill)
		}
	}
}
