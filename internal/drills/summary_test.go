package drills

import (
	"bytes"
	"encoding/csv"
	"fmt"
	"io"
	"math/rand/v2"
	"reflect"
	"strings"
	"testing"
	"time"

	"golang.org/x/net/html"

	"relais/internal/i18n"
	"relais/internal/profile"
)

var genDrills = []struct {
	id    string
	title profile.Text
	rto   time.Duration
}{
	{"automne-2026", profile.Text{FR: "Exercice d'automne", EN: "Autumn drill"}, 30 * time.Minute},
	{"demo", profile.Text{FR: "Démonstration", EN: "Demo"}, 15 * time.Minute},
	{"printemps-2027", profile.Text{FR: "Exercice de printemps", EN: "Spring drill"}, time.Hour},
}

const (
	scriptName  = `<script>alert("x")</script> Dupont`
	formulaName = `=HYPERLINK("http://evil.example/","Cliquez")`
)

// generated is a set of reports for Summarize: distinct runs, plus the
// same runs seen again (some as an earlier export of the run under way).
type generated struct {
	finals []Report // one per run: what the table must show
	input  []Report // finals and duplicates, shuffled
}

// generateReports makes n runs with a mix of outcomes, and dups duplicates.
func generateReports(n, dups int) generated {
	rng := rand.New(rand.NewPCG(2026, 11))
	base := time.Date(2026, 11, 1, 8, 0, 0, 0, time.UTC)
	var g generated
	for i := range n {
		d := genDrills[rng.IntN(len(genDrills))]
		started := base.Add(time.Duration(rng.IntN(30*24*60)) * time.Minute)
		r := Report{
			Schema: 1, RunID: fmt.Sprintf("run-%04d", i), DrillID: d.id, DrillHash: strings.Repeat("ab", 32), DrillTitle: d.title,
			Exercise: "simulation", Participant: fmt.Sprintf("Agent %d", i), AppVersion: "1.4.0", ProfileSerial: 7, Language: "fr",
			Started: started, RTOMS: ms(d.rto), Completed: true,
		}
		at := started
		for j, id := range []string{"contexte", "connexion", "portail", "applications", "commentaires"} {
			s := ReportStep{ID: id, Kind: "instruction", Required: j < 4, Started: at, State: StepDone}
			switch x := rng.IntN(20); {
			case x == 0 && s.Required:
				s.State, s.Failure = StepFailed, ErrCodeChecksFailed // a report of a run exported while a step had failed
			case x <= 2:
				s.State, s.SkipReason = StepSkipped, "pas le temps"
			}
			at = at.Add(time.Duration(30+rng.IntN(300)) * time.Second)
			s.Finished, s.DurationMS = at, ms(at.Sub(s.Started))
			if s.Required && s.State != StepDone {
				r.Completed = false
			}
			r.Steps = append(r.Steps, s)
		}
		r.Finished = at
		if rng.IntN(10) > 0 {
			tto := float64(rng.IntN(int(ms(2 * d.rto))))
			within := tto <= r.RTOMS
			r.TimeToOperationalMS, r.WithinRTO = &tto, &within
		}
		switch i {
		case 3:
			r.Participant = scriptName
		case 5:
			r.Participant = formulaName
		case 0: // known exactly
			tto, no := 754_321.4, false
			r.DrillID, r.DrillTitle, r.RTOMS = "automne-2026", genDrills[0].title, 600_000
			r.Started = time.Date(2026, 11, 5, 13, 0, 0, 0, time.UTC)
			r.TimeToOperationalMS, r.WithinRTO, r.Completed = &tto, &no, false
			r.Steps[1].State, r.Steps[3].State, r.Steps[4].State = StepFailed, StepSkipped, StepSkipped
			r.Steps[0].State, r.Steps[2].State = StepDone, StepDone
		}
		g.finals = append(g.finals, r)
	}
	g.input = append(g.input, g.finals...)
	for range dups {
		r := g.finals[rng.IntN(n)]
		if rng.IntN(2) == 0 {
			// An export made while the run was under way: older, so the
			// finished report wins wherever it comes.
			r.Finished, r.Completed, r.Participant = time.Time{}, false, "ancienne version"
			r.Steps = append([]ReportStep(nil), r.Steps...)
			r.Steps[4].State = StepOpen
		}
		g.input = append(g.input, r)
	}
	rng.Shuffle(len(g.input), func(i, j int) { g.input[i], g.input[j] = g.input[j], g.input[i] })
	return g
}

func TestSummarize1000(t *testing.T) {
	g := generateReports(1000, 180)
	if len(g.input) != 1180 {
		t.Fatal(len(g.input))
	}
	tab := Summarize(g.input)
	if len(tab.Rows) != 1000 {
		t.Fatalf("%d rows, want one per run (1000)", len(tab.Rows))
	}

	// What the table must say, counted from the runs themselves.
	byRun := map[string]Report{}
	completed, failedSteps, skippedSteps, never := 0, 0, 0, 0
	for _, r := range g.finals {
		byRun[r.RunID] = r
		if r.Completed {
			completed++
		}
		if r.TimeToOperationalMS == nil {
			never++
		}
		for _, s := range r.Steps {
			if s.Required && s.State != StepDone {
				failedSteps++
			}
			if s.State == StepSkipped {
				skippedSteps++
			}
		}
	}
	if completed == 0 || completed == 1000 || failedSteps == 0 || skippedSteps == 0 || never == 0 {
		t.Fatalf("the generated mix is not mixed: %d completed, %d failed, %d skipped, %d never", completed, failedSteps, skippedSteps, never)
	}
	gotCompleted, gotFailed, gotSkipped := 0, 0, 0
	for i, row := range tab.Rows {
		r := byRun[row.RunID]
		if row.Participant != r.Participant || row.Completed != r.Completed {
			t.Fatalf("row %s is not the finished report: %+v", row.RunID, row)
		}
		if i > 0 {
			prev := tab.Rows[i-1]
			if prev.DrillID > row.DrillID || prev.DrillID == row.DrillID && prev.Started.After(row.Started) {
				t.Fatalf("rows %d and %d out of order", i-1, i)
			}
		}
		if row.Completed {
			gotCompleted++
		}
		gotFailed += len(row.FailedSteps)
		gotSkipped += len(row.SkippedSteps)
	}
	if gotCompleted != completed || gotFailed != failedSteps || gotSkipped != skippedSteps {
		t.Fatalf("table: %d completed, %d failed, %d skipped; want %d, %d, %d",
			gotCompleted, gotFailed, gotSkipped, completed, failedSteps, skippedSteps)
	}

	t.Run("csv", func(t *testing.T) {
		var buf bytes.Buffer
		if err := tab.WriteCSV(&buf, "fr"); err != nil {
			t.Fatal(err)
		}
		if !bytes.HasPrefix(buf.Bytes(), []byte("\ufeff")) {
			t.Fatal("no byte order mark: a spreadsheet would read the accents wrong")
		}
		cr := csv.NewReader(bytes.NewReader(buf.Bytes()[3:]))
		cr.Comma = ';'
		recs, err := cr.ReadAll()
		if err != nil {
			t.Fatal(err)
		}
		if len(recs) != 1001 {
			t.Fatalf("%d records, want a header and 1000 rows", len(recs))
		}
		wantHeader := []string{"Exécution", "Participant", "Exercice", "Titre", "Début", "Réussi", "Temps jusqu'à l'opérationnel (secondes)",
			"Objectif (secondes)", "Dans l'objectif", "Étapes obligatoires non faites", "Étapes passées", "Raisons des étapes passées",
			"Réponses", "Remarques", "Commentaire final"}
		if !reflect.DeepEqual(recs[0], wantHeader) {
			t.Fatalf("header %q", recs[0])
		}
		rows := map[string][]string{}
		trues, empties := 0, 0
		for _, rec := range recs[1:] {
			rows[rec[0]] = rec
			if rec[5] == "VRAI" {
				trues++
			} else if rec[5] != "FAUX" {
				t.Fatalf("completed %q", rec[5])
			}
			if rec[6] == "" {
				empties++
			}
		}
		if len(rows) != 1000 || trues != completed || empties != never {
			t.Fatalf("%d runs, %d completed, %d never operational; want 1000, %d, %d", len(rows), trues, empties, completed, never)
		}
		want := map[string][]string{
			"run-0000": {"run-0000", "Agent 0", "automne-2026", "Exercice d'automne", "2026-11-05T13:00:00Z", "FAUX", "754,321", "600",
				"FAUX", "connexion | applications", "applications | commentaires"},
			"run-0003": {"run-0003", scriptName},
			"run-0005": {"run-0005", "'" + formulaName},
		}
		for id, w := range want {
			if got := rows[id][:len(w)]; !reflect.DeepEqual(got, w) {
				t.Errorf("%s: %q\nwant %q", id, got, w)
			}
		}
		// Every row, field by field, for one more run chosen at random.
		r := byRun["run-0421"]
		frNum := func(f float64) string { return strings.Replace(fmt.Sprint(f), ".", ",", 1) }
		frBool := func(b bool) string { return map[bool]string{true: "VRAI", false: "FAUX"}[b] }
		var tto, within string
		if r.TimeToOperationalMS != nil {
			tto, within = frNum(float64(int64(*r.TimeToOperationalMS+0.5))/1000), frBool(*r.WithinRTO)
		}
		got := rows["run-0421"]
		exp := []string{"run-0421", "Agent 421", r.DrillID, r.DrillTitle.FR, r.Started.Format(time.RFC3339), frBool(r.Completed),
			tto, frNum(r.RTOMS / 1000), within, got[9], got[10], got[11], got[12], got[13], got[14]}
		if !reflect.DeepEqual(got, exp) {
			t.Errorf("run-0421: %q\nwant %q", got, exp)
		}
		// English header.
		buf.Reset()
		_ = Table{}.WriteCSV(&buf, "en")
		if got := buf.String(); got != "\ufeffRun;Participant;Drill;Title;Started;Completed;Time to operational (seconds);Objective (seconds);Within objective;Required steps not done;Skipped steps;Why steps were skipped;Answers;Remarks;Final comment\n" {
			t.Errorf("English header: %q", got)
		}
	})

	t.Run("html", func(t *testing.T) {
		var buf bytes.Buffer
		if err := tab.WriteHTML(&buf, "en"); err != nil {
			t.Fatal(err)
		}
		doc := checkPage(t, buf.Bytes())
		var body []*html.Node
		walk(doc, func(n *html.Node) {
			if n.Data != "tbody" {
				return
			}
			for c := n.FirstChild; c != nil; c = c.NextSibling {
				if c.Type == html.ElementNode && c.Data == "tr" {
					body = append(body, c)
				}
			}
		})
		if len(body) != 1000 {
			t.Fatalf("%d body rows, want 1000", len(body))
		}
		ok, found := 0, false
		for _, tr := range body {
			for _, a := range tr.Attr {
				if a.Key == "class" && a.Val == "ok" {
					ok++
				}
			}
			if cell := tr.FirstChild; cell != nil && strings.HasPrefix(text(cell), scriptName) {
				found = true
			}
		}
		if ok != completed {
			t.Errorf("%d rows marked completed, want %d", ok, completed)
		}
		if !found {
			t.Errorf("the participant %q is not shown as text", scriptName)
		}
		if strings.Contains(buf.String(), "<script>alert") {
			t.Error("a participant's script is not escaped")
		}
		if !strings.Contains(text(doc), "Reports: 1000") || !strings.Contains(text(doc), "Autumn drill") {
			t.Error("the page lacks its count or English titles")
		}
	})
}

func TestSummarizeDuplicates(t *testing.T) {
	fin := time.Date(2026, 11, 5, 14, 0, 0, 0, time.UTC)
	mk := func(id, drill, who string, started, finished time.Time) Report {
		return Report{Schema: 1, RunID: id, DrillID: drill, Participant: who, Started: started, Finished: finished}
	}
	t0 := fin.Add(-time.Hour)
	tab := Summarize([]Report{
		mk("b", "y", "B under way", t0, time.Time{}),
		mk("a", "y", "A", t0.Add(-time.Minute), fin),
		mk("b", "y", "B finished", t0, fin),
		mk("c", "x", "C first", t0, fin),
		mk("c", "x", "C second", t0, fin), // same finish: the first seen stays
		mk("b", "y", "B under way again", t0, time.Time{}),
	})
	var got []string
	for _, r := range tab.Rows {
		got = append(got, r.Participant)
	}
	if strings.Join(got, "|") != "C first|A|B finished" {
		t.Fatalf("rows %q", got)
	}
	if len(Summarize(nil).Rows) != 0 {
		t.Fatal("rows from nothing")
	}
}

func TestSafeCell(t *testing.T) {
	for in, want := range map[string]string{
		"=1+1": "'=1+1", "+33 1": "'+33 1", "-2": "'-2", "@SUM(A1)": "'@SUM(A1)", "\tx": "'\tx",
		"Agent": "Agent", "": "", "a=b": "a=b", "a-b": "a-b", "x;=1": "x;'=1", "x, -1": "x, '-1",
		"a\n@b": "a\n'@b", "a\r\n+b": "a\r\n'+b", `a"=b"`: `a"'=b"`, "  =1": "  '=1", "\r=1": "'\r'=1",
	} {
		if got := safeCell(in); got != want {
			t.Errorf("safeCell(%q) = %q, want %q", in, got, want)
		}
	}
}

func BenchmarkSummarize1000(b *testing.B) {
	g := generateReports(1000, 0)
	b.ReportAllocs()
	for b.Loop() {
		if t := Summarize(g.input); len(t.Rows) != 1000 {
			b.Fatal(len(t.Rows))
		}
	}
}

// The table of 1,000 reports written as CSV and as a page, as an
// ambassador exports it.
func BenchmarkWriteTable1000(b *testing.B) {
	tab := Summarize(generateReports(1000, 0).input)
	for _, format := range []string{"csv", "html"} {
		b.Run(format, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				var err error
				if format == "csv" {
					err = tab.WriteCSV(io.Discard, i18n.FR)
				} else {
					err = tab.WriteHTML(io.Discard, i18n.FR)
				}
				if err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// What `relais drill summarize` does with 1,000 report files, but the
// reading of the files: parse each report's JSON, combine, write the CSV.
func BenchmarkParseSummarizeWrite1000(b *testing.B) {
	g := generateReports(1000, 0)
	files := make([][]byte, len(g.input))
	for i, r := range g.input {
		j, err := r.JSON()
		if err != nil {
			b.Fatal(err)
		}
		files[i] = j
	}
	b.ReportAllocs()
	for b.Loop() {
		reports := make([]Report, 0, len(files))
		for _, f := range files {
			r, err := ParseReport(f)
			if err != nil {
				b.Fatal(err)
			}
			reports = append(reports, *r)
		}
		if err := Summarize(reports).WriteCSV(io.Discard, i18n.FR); err != nil {
			b.Fatal(err)
		}
	}
}
