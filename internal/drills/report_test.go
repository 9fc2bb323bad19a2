package drills

import (
	"bytes"
	"errors"
	"os"
	"path/filepath"
	"reflect"
	"regexp"
	"strings"
	"testing"
	"time"

	"golang.org/x/net/html"

	"relais/internal/i18n"
	"relais/internal/status"
)

// sampleReport is the report of a short scripted run of the example's
// autumn drill: a failed verification then a retry, a choice, notes and
// feedback with markup in them. It is what the walker made of that run
// (testdata/sample_report.json; package drillrun's
// TestSampleReportIsTheWalkers walks it again and compares).
func sampleReport(t testing.TB) Report {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", "sample_report.json"))
	if err != nil {
		t.Fatal(err)
	}
	rep, err := ParseReport(b)
	if err != nil {
		t.Fatal(err)
	}
	return *rep
}

func TestReportJSONRoundTrip(t *testing.T) {
	rep := sampleReport(t)
	b, err := rep.JSON()
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Contains(b, []byte("\n  \"run_id\": ")) {
		t.Fatalf("not indented:\n%s", b)
	}
	got, err := ParseReport(b)
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(*got, rep) {
		t.Fatalf("round trip:\n%+v\nwant\n%+v", *got, rep)
	}
	if rep.Completed || rep.WithinRTO == nil || !*rep.WithinRTO || rep.Steps[3].State != StepSkipped || rep.Steps[3].Failure != ErrCodeChecksFailed {
		t.Fatalf("sample: %+v", rep)
	}
}

func TestParseReportStrict(t *testing.T) {
	good, err := sampleReport(t).JSON()
	if err != nil {
		t.Fatal(err)
	}
	replace := func(old, new string) []byte {
		if !bytes.Contains(good, []byte(old)) {
			t.Fatalf("sample has no %q", old)
		}
		return bytes.Replace(good, []byte(old), []byte(new), 1)
	}
	for _, tc := range []struct {
		name string
		b    []byte
		want string
	}{
		{"empty", nil, "EOF"},
		{"null", []byte("null"), "schema 0"},
		{"not an object", []byte(`[1]`), "cannot unmarshal"},
		{"unknown field", replace(`"schema": 1,`, `"schema": 1, "extra": true,`), `unknown field "extra"`},
		{"unknown nested field", replace(`"evidence": {`, `"evidence": {"secret": "x",`), `unknown field "secret"`},
		{"schema 2", replace(`"schema": 1,`, `"schema": 2,`), "schema 2, want 1"},
		{"no run id", replace(`"run_id": "run-1"`, `"run_id": ""`), "no run_id"},
		{"no drill id", replace(`"drill_id": "automne-2026"`, `"drill_id": ""`), "no drill_id"},
		{"drill id with a NUL", replace(`"drill_id": "automne-2026"`, `"drill_id": "automne\u0000"`), "drill_id: not a profile id"},
		{"drill id too long", replace(`"drill_id": "automne-2026"`, `"drill_id": "`+strings.Repeat("a", 3000)+`"`), "drill_id: not a profile id"},
		{"run id with a newline", replace(`"run_id": "run-1"`, `"run_id": "run\n1"`), "run_id: not an id"},
		{"bad step state", replace(`"state": "done"`, `"state": "maybe"`), `steps[0].state: "maybe"`},
		{"trailing data", append(append([]byte{}, good...), `{}`...), "data after the report"},
		{"wrong type", replace(`"completed": false`, `"completed": "no"`), "cannot unmarshal"},
		{"too large", append(append([]byte{}, good...), bytes.Repeat([]byte(" "), MaxReportSize)...), "larger than"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := ParseReport(tc.b)
			if !errors.Is(err, ErrBadReport) || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("error %v, want ErrBadReport with %q", err, tc.want)
			}
		})
	}
	// Space after the report is not data.
	if _, err := ParseReport(append(append([]byte{}, good...), " \n\t"...)); err != nil {
		t.Fatal(err)
	}
}

func FuzzParseReport(f *testing.F) {
	good, err := sampleReport(f).JSON()
	if err != nil {
		f.Fatal(err)
	}
	f.Add(good)
	f.Add([]byte(`{"schema":1,"run_id":"r","drill_id":"d"}`))
	f.Add([]byte(`{"schema":1,"run_id":"r","drill_id":"d","steps":[{"id":"s","state":"failed","evidence":{"choice":3}}],"time_to_operational_ms":1e300}`))
	f.Add([]byte(`{"schema":1,"run_id":"r","drill_id":"d","started":"2026-11-05T13:00:00+23:59"}`))
	f.Add([]byte(`{"schema":1,"run_id":"\u003cscript\u003e","drill_id":"d","participant":"\xff\xfe"}`))
	f.Add([]byte(`{"schema":1} {}`))
	f.Add([]byte(`nul`))
	f.Fuzz(func(t *testing.T, b []byte) {
		r, err := ParseReport(b)
		if err != nil {
			if !errors.Is(err, ErrBadReport) {
				t.Fatalf("error %v does not match ErrBadReport", err)
			}
			return
		}
		if r.Schema != ReportSchema || r.RunID == "" || r.DrillID == "" {
			t.Fatalf("accepted %+v", r)
		}
		// What was accepted writes back, reads back the same, and renders.
		out, err := r.JSON()
		if err != nil {
			t.Fatalf("JSON of an accepted report: %v", err)
		}
		if len(out) > MaxReportSize {
			return
		}
		again, err := ParseReport(out)
		if err != nil {
			t.Fatalf("its own JSON refused: %v\n%s", err, out)
		}
		if out2, _ := again.JSON(); !bytes.Equal(out, out2) {
			t.Fatalf("JSON not stable:\n%s\n%s", out, out2)
		}
		for _, lang := range []string{"fr", "en"} {
			if err := r.HTML(new(bytes.Buffer), lang); err != nil {
				t.Fatalf("HTML: %v", err)
			}
		}
		tab := Summarize([]Report{*r, *again})
		if len(tab.Rows) != 1 {
			t.Fatalf("a report twice made %d rows", len(tab.Rows))
		}
	})
}

func i18nLang(lang string) string {
	if strings.HasPrefix(lang, "en") {
		return "en"
	}
	return "fr"
}

// walk calls f on every element of the tree.
func walk(n *html.Node, f func(*html.Node)) {
	if n.Type == html.ElementNode {
		f(n)
	}
	for c := n.FirstChild; c != nil; c = c.NextSibling {
		walk(c, f)
	}
}

// text is the text content of n.
func text(n *html.Node) string {
	var b strings.Builder
	var rec func(*html.Node)
	rec = func(n *html.Node) {
		if n.Type == html.TextNode {
			b.WriteString(n.Data)
		}
		for c := n.FirstChild; c != nil; c = c.NextSibling {
			rec(c)
		}
	}
	rec(n)
	return b.String()
}

// checkPage parses a page and checks it is self-contained and runs no
// script; it returns the document.
func checkPage(t *testing.T, b []byte) *html.Node {
	t.Helper()
	doc, err := html.Parse(bytes.NewReader(b))
	if err != nil {
		t.Fatal(err)
	}
	walk(doc, func(n *html.Node) {
		switch n.Data {
		case "script":
			// The report's data block only: JSON, which no browser runs.
			if len(n.Attr) != 2 || n.Attr[0] != (html.Attribute{Key: "type", Val: "application/json"}) || n.Attr[1] != (html.Attribute{Key: "id", Val: "relais-report"}) {
				t.Errorf("element <script %v> in the page", n.Attr)
			}
		case "img", "link", "iframe", "object", "embed":
			t.Errorf("element <%s> in the page", n.Data)
		}
		for _, a := range n.Attr {
			if strings.HasPrefix(a.Key, "on") || a.Key == "src" || a.Key == "href" {
				t.Errorf("<%s %s=%q> in the page", n.Data, a.Key, a.Val)
			}
		}
	})
	return doc
}

func TestReportHTML(t *testing.T) {
	rep := sampleReport(t)
	for _, tc := range []struct {
		lang string
		want []string
	}{
		{"fr", []string{"Rapport d'exercice", "Exercice d'automne 2026 : sinistre du siège", "Participant",
			"Incomplet : des étapes obligatoires n'ont pas été faites.", "dans l'objectif de 30 min", "simulation",
			"Le scénario", "fait", "passé", "Raison : SMTP en panne & <rien> à faire", "Dernier essai : la vérification a échoué",
			"Vérification messagerie-smtp : en panne", "Réponse : Non", "Prévu", "2 min", "47 s",
			"facultative", "profil n° 7"}},
		{"en-CA", []string{"Drill report", "Autumn 2026 drill: head office disaster", "Not completed",
			"within the objective of 30 min", "The scenario", "done", "skipped", "Check messagerie-smtp: down",
			"Answer: No", "Expected", "optional"}}, // the answer in the reader's language
	} {
		t.Run(tc.lang, func(t *testing.T) {
			var buf bytes.Buffer
			if err := rep.HTML(&buf, tc.lang); err != nil {
				t.Fatal(err)
			}
			page := buf.String()
			doc := checkPage(t, buf.Bytes())
			all := text(doc)
			if !strings.Contains(page, `<html lang="`+i18nLang(tc.lang)+`">`) {
				t.Errorf("page not marked as %s", tc.lang)
			}
			for _, w := range tc.want {
				if !strings.Contains(all, w) {
					t.Errorf("page lacks %q", w)
				}
			}
			if !strings.Contains(page, "SMTP en panne &amp; &lt;rien&gt; à faire") {
				t.Error("a skip reason is not escaped")
			}
			for _, w := range []string{`Élise "<script>" O'Brien`, "</td><script>alert('x')</script>",
				"Bien, mais <script>document.cookie</script>", `<img src=x onerror="alert(1)">`} {
				if !strings.Contains(all, w) {
					t.Errorf("the text %q is not shown as text", w)
				}
			}
			rows := 0
			walk(doc, func(n *html.Node) {
				if n.Data == "tbody" {
					for c := n.FirstChild; c != nil; c = c.NextSibling {
						if c.Type == html.ElementNode && c.Data == "tr" {
							rows++
						}
					}
				}
			})
			if rows != len(rep.Steps) {
				t.Errorf("%d step rows, want %d", rows, len(rep.Steps))
			}
		})
	}
	// A report still under way, never operational, with no participant.
	rep.Finished, rep.TimeToOperationalMS, rep.WithinRTO, rep.Participant, rep.Feedback = time.Time{}, nil, nil, "", ""
	var buf bytes.Buffer
	if err := rep.HTML(&buf, "fr"); err != nil {
		t.Fatal(err)
	}
	all := text(checkPage(t, buf.Bytes()))
	for _, w := range []string{"en cours depuis le", "jamais atteint pendant l'exercice (objectif : 30 min)", "(non précisé)", "Aucun commentaire."} {
		if !strings.Contains(all, w) {
			t.Errorf("page lacks %q", w)
		}
	}
}

// Every label the package uses exists in both languages.
func TestLabelsTranslated(t *testing.T) {
	rep := sampleReport(t)
	tab := Summarize([]Report{rep})
	for _, lang := range []string{"fr", "en"} {
		var buf bytes.Buffer
		_ = rep.HTML(&buf, lang)
		_ = tab.WriteHTML(&buf, lang)
		_ = tab.WriteCSV(&buf, lang)
		if strings.Contains(buf.String(), "drills.") {
			i := strings.Index(buf.String(), "drills.")
			t.Errorf("%s: a label key shows: %q", lang, buf.String()[i:min(i+40, buf.Len())])
		}
	}
}

// Every label key in this package's sources, and every word looked up by
// prefix, is in both catalogues.
func TestCatalogueHasEveryKey(t *testing.T) {
	fr, err := i18n.Catalog(i18n.FR)
	if err != nil {
		t.Fatal(err)
	}
	en, _ := i18n.Catalog(i18n.EN)
	keys := map[string]bool{}
	files, _ := filepath.Glob("*.go")
	literal := regexp.MustCompile(`"(drills\.[a-z0-9_.]+)"`)
	for _, f := range files {
		if strings.HasSuffix(f, "_test.go") {
			continue
		}
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		for _, m := range literal.FindAllStringSubmatch(string(b), -1) {
			if !strings.HasSuffix(m[1], ".") {
				keys[m[1]] = true
			}
		}
	}
	for _, k := range csvColumns {
		keys[k] = true
	}
	for prefix, codes := range map[string][]string{
		"drills.exercise.": {"walkthrough", "tabletop", "simulation", "full"},
		"drills.kind.":     {"instruction", "action", "check", "question"},
		"drills.state.":    {string(StepOpen), string(StepDone), string(StepSkipped), string(StepFailed)},
		"drills.check.": {string(status.StateOK), string(status.StateDegraded), string(status.StateFailed),
			string(status.StateBlocked), string(status.StatePending)},
		"drills.failure.":    {ErrCodeChecksFailed, ErrCodeActionFailed},
		"drills.report.col.": {"step", "kind", "outcome", "duration", "expected", "details"},
		"drills.table.col.":  {"participant", "drill_id", "started", "completed", "tto", "rto", "within_rto", "failed_steps", "skipped_steps", "run_id"},
	} {
		for _, c := range codes {
			keys[prefix+c] = true
		}
	}
	if len(keys) < 50 {
		t.Fatalf("only %d keys found", len(keys))
	}
	for k := range keys {
		if fr[k] == "" || en[k] == "" {
			t.Errorf("%s: missing from a catalogue", k)
		}
	}
}
