package drills

import (
	"bytes"
	"encoding/json"
	"reflect"
	"strings"
	"testing"
	"time"

	"relais/internal/drills/drillstest"
	"relais/internal/profile"
)

// A run's snapshot of its drill has the keys of every other JSON document
// (lower snake case), in the store and wherever a run is written; a
// snapshot stored with Go's field names by an earlier Relais still reads
// back, with its recorded hash.
func TestDrillSnapshotKeys(t *testing.T) {
	d := drillstest.OldDrill()
	js, hash, err := DrillJSON(d)
	if err != nil {
		t.Fatal(err)
	}
	wantDrill := []string{"closes", "exercise", "id", "opens", "rto", "steps", "title"}
	wantStep := []string{"action", "body", "checks", "choices", "expected", "id", "kind", "required", "title"}
	if got := drillstest.KeysOf(t, json.RawMessage(js)); !reflect.DeepEqual(got, wantDrill) {
		t.Errorf("snapshot keys %q, want %q", got, wantDrill)
	}
	var snap struct{ Steps []json.RawMessage }
	_ = json.Unmarshal([]byte(js), &snap)
	for _, s := range snap.Steps {
		if got := drillstest.KeysOf(t, s); !reflect.DeepEqual(got, wantStep) {
			t.Errorf("step keys %q, want %q", got, wantStep)
		}
	}
	if h, _ := DrillHash(d); h != hash || len(hash) != 64 {
		t.Errorf("DrillHash %q, DrillJSON %q", h, hash)
	}

	// The snapshot reads back as the same drill, as does an old one.
	for name, js := range map[string]string{"new": js, "old": drillstest.OldSnapshot} {
		got, err := ParseDrillJSON(js)
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		if !reflect.DeepEqual(got, d) {
			t.Errorf("%s snapshot read back as\n%+v\nwant\n%+v", name, got, d)
		}
		// A run, as a bundle or `--json` writes it, has the same keys.
		b, err := json.Marshal(Run{ID: "run-" + name, DrillID: d.ID, Drill: got})
		if err != nil {
			t.Fatal(err)
		}
		var run struct{ Drill json.RawMessage }
		_ = json.Unmarshal(b, &run)
		if got := drillstest.KeysOf(t, run.Drill); !reflect.DeepEqual(got, wantDrill) {
			t.Errorf("%s: a run's drill has keys %q", name, got)
		}
		// And it reads back.
		var back Run
		if err := json.Unmarshal(b, &back); err != nil || !reflect.DeepEqual(back.Drill, d) {
			t.Errorf("%s: run read back: %v\n%+v", name, err, back.Drill)
		}
	}
}

// The same drill hashes differently before and after snapshots got their
// keys; reports of both still make one group in the ambassadors' table
// (by drill, then start), never one per hash.
func TestTableGroupsByDrillNotHash(t *testing.T) {
	at := time.Date(2026, 11, 5, 13, 0, 0, 0, time.UTC)
	mk := func(id, drill, hash string, started time.Time) Report {
		return Report{Schema: 1, RunID: id, DrillID: drill, DrillHash: hash, Started: started}
	}
	tab := Summarize([]Report{
		mk("a", "automne", "0ld", at), mk("b", "printemps", "new", at.Add(time.Minute)),
		mk("c", "automne", "new", at.Add(2*time.Minute)), mk("d", "automne", "0ld", at.Add(3*time.Minute)),
	})
	var got []string
	for _, r := range tab.Rows {
		got = append(got, r.RunID)
	}
	if strings.Join(got, "") != "acdb" {
		t.Fatalf("rows %q, want the autumn runs together by start time", got)
	}
}

// A type written with null for its unknown times writes, when its times
// are known, exactly what encoding/json writes of its fields: the same
// keys, in the same order, with the same options.
func TestNullTimesChangeNothingElse(t *testing.T) {
	at := time.Date(2026, 11, 5, 13, 0, 0, 0, time.UTC)
	tto, within, choice := 1500.0, true, 1
	ev := Evidence{Checks: []CheckEvidence{{ID: "c", AppID: "a", State: "ok", At: at}}, Action: "tunnel_up", Choice: &choice,
		Attempts: []Attempt{{At: at, Failure: ErrCodeChecksFailed, Note: "<b>"}}}
	step := ReportStep{ID: "s", Title: profile.Text{FR: "Étape", EN: "Step"}, Kind: "action", Required: true, State: StepDone,
		Started: at, Finished: at.Add(time.Second), DurationMS: 1000, Evidence: ev}
	type (
		plainCheck  CheckEvidence
		plainTry    Attempt
		plainStep   Step
		plainRStep  ReportStep
		plainReport Report
		plainRow    Row
	)
	for name, pair := range map[string][2]any{
		"check evidence": {ev.Checks[0], plainCheck(ev.Checks[0])},
		"attempt":        {ev.Attempts[0], plainTry(ev.Attempts[0])},
		"step": {Step{ID: "s", Kind: "action", Required: true, State: StepDone, Started: at, Finished: at, Failure: "x"},
			plainStep(Step{ID: "s", Kind: "action", Required: true, State: StepDone, Started: at, Finished: at, Failure: "x"})},
		"report step": {step, plainRStep(step)},
		"report": {Report{Schema: 1, RunID: "r", Started: at, Finished: at, TimeToOperationalMS: &tto, WithinRTO: &within, Steps: []ReportStep{step}},
			plainReport(Report{Schema: 1, RunID: "r", Started: at, Finished: at, TimeToOperationalMS: &tto, WithinRTO: &within, Steps: []ReportStep{step}})},
		"row": {Row{RunID: "r", Started: at, Steps: []ReportStep{step}}, plainRow(Row{RunID: "r", Started: at, Steps: []ReportStep{step}})},
	} {
		got, err1 := json.Marshal(pair[0])
		want, err2 := json.Marshal(pair[1])
		if err1 != nil || err2 != nil || !bytes.Equal(got, want) {
			t.Errorf("%s: %v %v\n%s\nwant\n%s", name, err1, err2, got, want)
		}
	}
}
