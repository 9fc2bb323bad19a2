package app

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"relais/internal/drills"
	"relais/internal/frontend/frontendtest"
	"relais/internal/profile"
	"relais/internal/status"
)

// The report in the app shows the remarks written on each step and the
// attempts that failed before a step was done or skipped.
func TestDrillsReportShowsRemarksAndAttempts(t *testing.T) {
	fb := newFakeBackend(t)
	_, s, c := newTestDrills(t, fb, "fr")
	first := testNow.Add(-3 * time.Hour)
	run, err := fb.StartDrill("automne-2026")
	if err != nil {
		t.Fatal(err)
	}
	d := fb.Drills
	d.Lock()
	r := d.Runs[0]
	for i := range r.Steps {
		r.Steps[i].State, r.Steps[i].Started, r.Steps[i].Finished = drills.StepDone, first, first.Add(time.Minute)
	}
	r.Steps[0].Evidence.Note = "Lu deux fois."
	r.Steps[3].Evidence.Attempts = []drills.Attempt{{At: first.Add(30 * time.Second), Failure: drills.ErrCodeChecksFailed,
		Checks: []drills.CheckEvidence{{ID: "paie-web", AppID: "paie", State: status.StateFailed}}, Note: "Teams ne s'ouvre pas"}}
	r.State, r.Started, r.Finished = drills.RunCompleted, first, first.Add(10*time.Minute)
	done := frontendtest.CopyRun(r)
	d.Unlock()
	_ = run
	s.onOpenReport(done)
	texts := strings.Join(visibleTexts(c), "\n")
	for _, want := range []string{
		"1. Le scénario — Faite en 1 min.\nRemarque : Lu deux fois.",
		"Essai échoué le " + longDate(testNow, first.Add(30*time.Second)) + " : une application qui vérifie cette étape ne répondait pas.",
		"Paie (paie-web)", "Remarque : Teams ne s'ouvre pas",
	} {
		if !strings.Contains(texts, want) {
			t.Errorf("report lacks %q:\n%s", want, texts)
		}
	}
}

// A folder of reports is read at once (its .json and .html files, nothing
// else), and the table is saved from the app, for a French spreadsheet:
// UTF-8 with its mark, ";" between fields.
func TestDrillsSummaryFolderAndSave(t *testing.T) {
	fb := newFakeBackend(t)
	d := fb.Drills
	d.Rows = []drills.Row{{RunID: "r1", Participant: "Zoé Tremblay", DrillID: "automne-2026",
		DrillTitle: profile.Text{FR: "Exercice d'automne", EN: "Autumn drill"}, Started: testNow, Completed: true, RTOMS: 1800000}}
	_, s, c := newTestDrills(t, fb, "fr")
	if !s.saveTable.Disabled() {
		t.Error("Enregistrer le tableau enabled with no table")
	}
	dir := t.TempDir()
	for _, n := range []string{"a.json", "b.html", "notes.txt"} {
		if err := os.WriteFile(filepath.Join(dir, n), []byte("{}"), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	s.addFolderPath(dir)
	if len(d.Summarized) != 1 || strings.Join(d.Summarized[0], "|") != filepath.Join(dir, "a.json")+"|"+filepath.Join(dir, "b.html") {
		t.Fatalf("summarized %q", d.Summarized)
	}
	if s.saveTable.Disabled() {
		t.Fatal("Enregistrer le tableau disabled with a table")
	}
	out := filepath.Join(t.TempDir(), "synthese")
	s.saveTableTo(out)
	wantText(t, c, "Tableau enregistré : "+out+".csv")
	b, err := os.ReadFile(out + ".csv")
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(string(b), "\ufeffExécution;Participant;") || !strings.Contains(string(b), "Zoé Tremblay") {
		t.Fatalf("saved table: %q", b)
	}
	empty := t.TempDir()
	s.addFolderPath(empty)
	wantText(t, c, "Aucun rapport (.json ou .html) dans le dossier "+empty+".")
}
