package store

import (
	"context"
	"errors"
	"path/filepath"
	"reflect"
	"strings"
	"sync"
	"testing"
	"time"
)

const drillHash = "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08"

// testDrillRun is a new run of drill with three steps, the first current.
func testDrillRun(id, drill string, started time.Time) DrillRunRecord {
	return DrillRunRecord{
		ID: id, DrillID: drill, DrillHash: drillHash, DrillJSON: `{"ID":"` + drill + `"}`,
		ProfileSerial: 7, AppVersion: "1.2.3", Language: "fr", State: DrillRunActive, Started: started,
		Steps: []DrillStepRecord{
			{Index: 0, StepID: "contexte", State: "open", Started: started},
			{Index: 1, StepID: "connexion", State: "open"},
			{Index: 2, StepID: "avis", State: "open"},
		},
	}
}

func TestDrillRunLifecycle(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "relais.db")
	db, err := Open(path)
	if err != nil {
		t.Fatal(err)
	}
	t0 := time.UnixMilli(1_793_000_000_000).UTC()
	if _, err := db.DrillRun(ctx, "r1"); !errors.Is(err, ErrNotFound) {
		t.Fatalf("DrillRun on an empty store: %v", err)
	}
	if _, err := db.ActiveDrillRun(ctx, "automne"); !errors.Is(err, ErrNotFound) {
		t.Fatalf("ActiveDrillRun on an empty store: %v", err)
	}
	want := testDrillRun("r1", "automne", t0)
	if err := db.CreateDrillRun(ctx, want); err != nil {
		t.Fatal(err)
	}
	// A second run of the same drill while the first is under way.
	if err := db.CreateDrillRun(ctx, testDrillRun("r2", "automne", t0)); !errors.Is(err, ErrDrillRunActive) {
		t.Fatalf("second active run: %v, want ErrDrillRunActive", err)
	}
	// The same id again is an error, but not "active".
	if err := db.CreateDrillRun(ctx, testDrillRun("r1", "printemps", t0)); err == nil || errors.Is(err, ErrDrillRunActive) {
		t.Fatalf("duplicate id: %v", err)
	}

	got, err := db.DrillRun(ctx, "r1")
	if err != nil {
		t.Fatal(err)
	}
	want.Steps[0].EvidenceJSON, want.Steps[1].EvidenceJSON, want.Steps[2].EvidenceJSON = "{}", "{}", "{}"
	if !reflect.DeepEqual(*got, want) {
		t.Fatalf("read back:\n got %+v\nwant %+v", *got, want)
	}

	// Step 0 done and step 1 current, in one change.
	t1 := t0.Add(90 * time.Second)
	change := DrillStepsChange{RunID: "r1", Revision: 0, OperationalAt: t1, Steps: []DrillStepRecord{
		{Index: 0, StepID: "contexte", State: "done", Started: t0, Finished: t1, EvidenceJSON: `{"note":"lu"}`},
		{Index: 1, StepID: "connexion", State: "open", Started: t1},
	}}
	if err := db.SaveDrillSteps(ctx, change); err != nil {
		t.Fatal(err)
	}
	// The same change again, from the revision it was computed from: refused.
	if err := db.SaveDrillSteps(ctx, change); !errors.Is(err, ErrDrillRunChanged) {
		t.Fatalf("stale revision: %v, want ErrDrillRunChanged", err)
	}
	if err := db.SaveDrillSteps(ctx, DrillStepsChange{RunID: "nope"}); !errors.Is(err, ErrNotFound) {
		t.Fatalf("unknown run: %v", err)
	}
	// A step that is not the run's: nothing of the change is written.
	bad := DrillStepsChange{RunID: "r1", Revision: 1, Steps: []DrillStepRecord{
		{Index: 1, StepID: "connexion", State: "done", Started: t1, Finished: t1},
		{Index: 2, StepID: "autre", State: "open", Started: t1},
	}}
	if err := db.SaveDrillSteps(ctx, bad); err == nil {
		t.Fatal("a step of another drill was accepted")
	}
	// operational_at keeps its first value.
	t2 := t1.Add(time.Minute)
	if err := db.SaveDrillSteps(ctx, DrillStepsChange{RunID: "r1", Revision: 1, OperationalAt: t2, Steps: []DrillStepRecord{
		{Index: 1, StepID: "connexion", State: "failed", Started: t1, Finished: t2, Failure: "checks_failed", EvidenceJSON: `{"checks":[]}`},
	}}); err != nil {
		t.Fatal(err)
	}
	db.Close()

	// Everything outlives the process.
	db, err = Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	got, err = db.ActiveDrillRun(ctx, "automne")
	if err != nil {
		t.Fatal(err)
	}
	if got.ID != "r1" || got.Revision != 2 || !got.OperationalAt.Equal(t1) || got.State != DrillRunActive {
		t.Fatalf("after reopen: %+v", got)
	}
	wantSteps := []DrillStepRecord{
		{Index: 0, StepID: "contexte", State: "done", Started: t0, Finished: t1, EvidenceJSON: `{"note":"lu"}`},
		{Index: 1, StepID: "connexion", State: "failed", Started: t1, Finished: t2, Failure: "checks_failed", EvidenceJSON: `{"checks":[]}`},
		{Index: 2, StepID: "avis", State: "open", EvidenceJSON: "{}"},
	}
	if !reflect.DeepEqual(got.Steps, wantSteps) {
		t.Fatalf("steps:\n got %+v\nwant %+v", got.Steps, wantSteps)
	}

	// Finish is refused while a step is open, and changes nothing.
	tto := 95 * time.Second
	fin := DrillFinish{RunID: "r1", Revision: 2, Finished: t2, TimeToOperational: &tto, Feedback: "Bien."}
	if err := db.FinishDrillRun(ctx, fin); !errors.Is(err, ErrDrillStepsOpen) {
		t.Fatalf("finish with open steps: %v", err)
	}
	if err := db.SaveDrillSteps(ctx, DrillStepsChange{RunID: "r1", Revision: 2, Steps: []DrillStepRecord{
		{Index: 1, StepID: "connexion", State: "skipped", Started: t1, Finished: t2, SkipReason: "panne", Failure: "checks_failed"},
		{Index: 2, StepID: "avis", State: "done", Started: t2, Finished: t2},
	}}); err != nil {
		t.Fatal(err)
	}
	if err := db.FinishDrillRun(ctx, fin); !errors.Is(err, ErrDrillRunChanged) {
		t.Fatalf("finish from a stale revision: %v", err)
	}
	fin.Revision = 3
	if err := db.FinishDrillRun(ctx, fin); err != nil {
		t.Fatal(err)
	}
	if err := db.FinishDrillRun(ctx, fin); !errors.Is(err, ErrDrillRunChanged) {
		t.Fatalf("finish twice: %v", err)
	}
	if _, err := db.ActiveDrillRun(ctx, "automne"); !errors.Is(err, ErrNotFound) {
		t.Fatalf("active run after finish: %v", err)
	}
	got, err = db.DrillRun(ctx, "r1")
	if err != nil {
		t.Fatal(err)
	}
	if got.State != DrillRunCompleted || !got.Finished.Equal(t2) || got.TimeToOperational == nil || *got.TimeToOperational != tto ||
		got.Feedback != "Bien." || got.Steps[1].SkipReason != "panne" || got.Steps[1].EvidenceJSON != "{}" {
		t.Fatalf("finished run: %+v", got)
	}
	// A finished run takes no more changes.
	if err := db.SaveDrillSteps(ctx, DrillStepsChange{RunID: "r1", Revision: 4}); !errors.Is(err, ErrDrillRunChanged) {
		t.Fatalf("change to a finished run: %v", err)
	}
	// The drill can be taken again.
	if err := db.CreateDrillRun(ctx, testDrillRun("r3", "automne", t2)); err != nil {
		t.Fatal(err)
	}
}

func TestDrillRunsNewestFirst(t *testing.T) {
	ctx := context.Background()
	db := openTest(t)
	if runs, err := db.DrillRuns(ctx); err != nil || len(runs) != 0 {
		t.Fatalf("empty store: %v %v", runs, err)
	}
	t0 := time.UnixMilli(1_793_000_000_000).UTC()
	offsets := map[string]time.Duration{"a": time.Hour, "b": 2 * time.Hour, "c": 0, "d": 2 * time.Hour} // b and d tie
	for _, id := range []string{"a", "b", "c", "d"} {
		r := testDrillRun(id, "drill-"+id, t0.Add(offsets[id]))
		if id == "c" {
			r.Steps = nil // a run without steps reads back without steps
		}
		if err := db.CreateDrillRun(ctx, r); err != nil {
			t.Fatal(err)
		}
	}
	runs, err := db.DrillRuns(ctx)
	if err != nil {
		t.Fatal(err)
	}
	var ids []string
	for _, r := range runs {
		ids = append(ids, r.ID+":"+itoa(len(r.Steps)))
		if r.DrillJSON == "" {
			t.Errorf("run %s: no drill JSON", r.ID)
		}
		for i, s := range r.Steps {
			if s.Index != i {
				t.Errorf("run %s: step %d has index %d", r.ID, i, s.Index)
			}
		}
	}
	// Newest first; equal start times in the order they were recorded, newest first.
	if got := strings.Join(ids, " "); got != "d:3 b:3 a:3 c:0" {
		t.Fatalf("order %s", got)
	}
}

func itoa(n int) string { return string(rune('0' + n)) }

// Two processes (here two handles on one file) starting the same drill at
// once make one run, and the other learns it.
func TestCreateDrillRunRace(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "relais.db")
	var dbs []*DB
	for range 2 {
		db, err := Open(path)
		if err != nil {
			t.Fatal(err)
		}
		defer db.Close()
		dbs = append(dbs, db)
	}
	t0 := time.UnixMilli(1_793_000_000_000).UTC()
	var (
		wg   sync.WaitGroup
		errs = make([]error, 2)
	)
	for i, db := range dbs {
		wg.Add(1)
		go func() {
			defer wg.Done()
			errs[i] = db.CreateDrillRun(ctx, testDrillRun(string(rune('x'+i)), "automne", t0))
		}()
	}
	wg.Wait()
	created, active := 0, 0
	for _, err := range errs {
		switch {
		case err == nil:
			created++
		case errors.Is(err, ErrDrillRunActive):
			active++
		default:
			t.Fatal(err)
		}
	}
	if created != 1 || active != 1 {
		t.Fatalf("errors %v: want one run created, one ErrDrillRunActive", errs)
	}
	if n := rawCount(t, dbs[0], "drill_steps"); n != 3 {
		t.Fatalf("%d steps, want those of one run", n)
	}
}
