package campaign_test

import (
	"bytes"
	"context"
	"encoding/csv"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"relais/internal/drills"
	"relais/internal/profile"
	"relais/internal/server/campaign"
	"relais/internal/server/db"
	"relais/internal/server/db/pgtest"
	"relais/internal/status"
)

func TestMain(m *testing.M) { os.Exit(pgtest.Main(m)) }

type backend struct {
	name string
	new  func(t testing.TB) db.Options
}

var backends = []backend{
	{"sqlite", func(t testing.TB) db.Options { return db.Options{DataDir: t.TempDir()} }},
	{"postgres", func(t testing.TB) db.Options { return db.Options{DatabaseURL: pgtest.Shared(t).NewDatabase(t)} }},
}

func eachBackend(t *testing.T, f func(t *testing.T, d *db.DB)) {
	for _, b := range backends {
		t.Run(b.name, func(t *testing.T) {
			t.Parallel()
			f(t, openDB(t, b.new(t)))
		})
	}
}

func ctxFor(t testing.TB) context.Context {
	c, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	t.Cleanup(cancel)
	return c
}

func openDB(t testing.TB, o db.Options) *db.DB {
	t.Helper()
	d, err := db.Open(ctxFor(t), o)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { d.Close() })
	return d
}

func sample(t testing.TB) drills.Report {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("..", "..", "drills", "testdata", "sample_report.json"))
	if err != nil {
		t.Fatal(err)
	}
	r, err := drills.ParseReport(b)
	if err != nil {
		t.Fatal(err)
	}
	return *r
}

func ptr[T any](v T) *T { return &v }

// variants: the sample (skipped "applications", SMTP failed), a completed
// run over the RTO, one never operational with the portal failed, one
// within the RTO without a name.
func variants(t testing.TB) []drills.Report {
	s := sample(t)
	clone := func(id string) drills.Report {
		r := s
		r.RunID, r.Steps = id, append([]drills.ReportStep(nil), s.Steps...)
		return r
	}
	r2 := clone("run-2")
	r2.Participant, r2.Feedback, r2.Completed = "Bob", "", true
	r2.TimeToOperationalMS, r2.WithinRTO = ptr(1_900_000.0), ptr(false)
	r2.Steps[3].State, r2.Steps[3].SkipReason, r2.Steps[3].Failure, r2.Steps[3].Evidence.Checks = drills.StepDone, "", "", nil
	r3 := clone("run-3")
	r3.Participant, r3.Feedback = "Chloé", "Trop long"
	r3.TimeToOperationalMS, r3.WithinRTO = nil, nil
	r3.Steps[2].State, r3.Steps[2].Failure = drills.StepFailed, "action_failed"
	r3.Steps[3].State, r3.Steps[3].SkipReason, r3.Steps[3].Failure, r3.Steps[3].Evidence.Checks = drills.StepOpen, "", "", nil
	r4 := clone("run-4")
	r4.Participant, r4.Feedback = "", ""
	r4.TimeToOperationalMS, r4.WithinRTO = ptr(600_000.0), ptr(true)
	return []drills.Report{s, r2, r3, r4}
}

func store(t testing.TB, d *db.DB, reps ...drills.Report) {
	t.Helper()
	for i, r := range reps {
		body, err := r.JSON()
		if err != nil {
			t.Fatal(err)
		}
		if _, _, err := d.PutReport(ctxFor(t), r.RunID, "10.20.0."+string(rune('1'+i%9)), "application/json", body,
			db.FactsOf(&r)); err != nil {
			t.Fatal(err)
		}
	}
}

// hostile is a report whose every text a person wrote, or a laptop sent,
// tries to script the page or break it, with absurd numbers.
const xss = `<img src=x onerror="window.__pwned=1"><script>window.__pwned=1</script>`

func hostile(t testing.TB) drills.Report {
	r := sample(t)
	r.RunID, r.DrillID = "hostile-run", "automne-2026"
	r.Participant, r.Feedback = xss+"=1+1", "=HYPERLINK(\"http://evil.example\")\n"+xss
	r.DrillTitle = profile.Text{FR: xss + "titre", EN: xss + "title"}
	r.TimeToOperationalMS, r.RTOMS = ptr(1e300), 1e300
	r.Steps = append([]drills.ReportStep(nil), r.Steps...)
	r.Steps[3].Title = profile.Text{FR: xss, EN: xss}
	r.Steps[3].ID = `"><svg onload=window.__pwned=1>`
	r.Steps[3].SkipReason = "-2+3;" + xss
	r.Steps[3].Evidence.Checks = []drills.CheckEvidence{{ID: xss, AppID: `</title><script>window.__pwned=1</script>`,
		State: status.StateFailed, Reason: xss}}
	return r
}

type answer struct {
	status int
	header http.Header
	body   string
}

func get(t testing.TB, h http.Handler, path string, headers ...string) answer {
	t.Helper()
	req := httptest.NewRequestWithContext(ctxFor(t), http.MethodGet, path, nil)
	for i := 0; i+1 < len(headers); i += 2 {
		req.Header.Set(headers[i], headers[i+1])
	}
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, req)
	b, _ := io.ReadAll(rec.Result().Body)
	return answer{rec.Code, rec.Result().Header, string(b)}
}

func handler(d *db.DB) http.Handler {
	return campaign.Handler(d, campaign.Options{Location: time.UTC})
}

func TestDrillPageInBothLanguages(t *testing.T) {
	t.Parallel()
	eachBackend(t, func(t *testing.T, d *db.DB) {
		store(t, d, variants(t)...)
		h := handler(d)
		for _, tc := range []struct {
			accept string
			want   []string
		}{
			{"fr-FR,fr;q=0.9,en;q=0.5", []string{`<html lang="fr">`, "Exercice d&#39;automne 2026 : sinistre du siège",
				"Rapports reçus</dt><dd>4</dd>", "Exercices terminés</dt><dd>1 <small>(25\u00a0%)</small>",
				"Dans l&#39;objectif (30 min)</dt><dd>2 <small>(67\u00a0%)</small>", "Temps médian jusqu&#39;à opérationnel</dt><dd>10 min",
				"9 participants sur 10 en moins de</dt><dd>32 min", `<title id="chart-title">Répartition`,
				`<desc id="chart-desc">3 rapports opérationnels ; temps médian 10 min, 9 sur 10 en moins de 32 min ; objectif de reprise 30 min : 2 dans l&#39;objectif (67`,
				"Objectif : 30 min</text>", `<th scope="row">de 5 min à 10 min</th>`, "Vérifier la paie et la messagerie",
				"SMTP en panne &amp; &lt;rien&gt; à faire <small>(2)</small>", "messagerie-smtp : en panne <small>(2)</small> <small class=\"detail\">détail : code_failed</small>",
				"Trop long", "Chloé, <time", "n&#39;indiquent pas le service"}},
			{"en-GB,en;q=0.9", []string{`<html lang="en">`, "Autumn 2026 drill: head office disaster",
				"Drills completed</dt><dd>1 <small>(25%)</small>", "Within the objective (30 min)</dt><dd>2 <small>(67%)</small>",
				"Objective: 30 min</text>", `<th scope="row">5 min to 10 min</th>`, "Check payroll and email",
				"messagerie-smtp: down <small>(2)</small> <small class=\"detail\">detail: code_failed</small>", "Reports do not say the participants&#39; department"}},
		} {
			a := get(t, h, "/campagnes/automne-2026", "Accept-Language", tc.accept)
			if a.status != http.StatusOK {
				t.Fatalf("%s: %d %s", tc.accept, a.status, a.body)
			}
			for _, w := range tc.want {
				if !strings.Contains(a.body, w) {
					t.Errorf("%s: no %q in the page", tc.accept, w)
				}
			}
		}
		if a := get(t, h, "/campagnes/automne-2026?lang=en", "Accept-Language", "fr"); !strings.Contains(a.body, `lang="en"`) ||
			!strings.Contains(a.header.Get("Set-Cookie"), "lang=en") {
			t.Errorf("?lang=en: %q", a.header.Get("Set-Cookie"))
		}
		list := get(t, h, "/campagnes", "Accept-Language", "fr")
		if list.status != 200 || !strings.Contains(list.body, `href="/campagnes/automne-2026"`) ||
			!strings.Contains(list.body, `<td class="n">4</td>`) {
			t.Errorf("list: %d %s", list.status, list.body)
		}
		if a := get(t, h, "/campagnes/inconnu"); a.status != http.StatusNotFound || !strings.Contains(a.body, "Aucun rapport") {
			t.Errorf("unknown drill: %d", a.status)
		}
		if a := get(t, h, "/campagnes/automne-2026?avant=x"); a.status != http.StatusBadRequest {
			t.Errorf("bad page link: %d", a.status)
		}
	})
}

func TestFeedbackPages(t *testing.T) {
	t.Parallel()
	eachBackend(t, func(t *testing.T, d *db.DB) {
		base := sample(t)
		var reps []drills.Report
		for i := range campaign.FeedbackPage + 3 {
			r := base
			r.RunID, r.Feedback = "run-"+string(rune('A'+i/26))+string(rune('a'+i%26)), "avis numéro "+string(rune('A'+i/26))+string(rune('a'+i%26))
			reps = append(reps, r)
		}
		store(t, d, reps...)
		h := handler(d)
		first := get(t, h, "/campagnes/automne-2026")
		if n := strings.Count(first.body, "<blockquote>"); n != campaign.FeedbackPage {
			t.Fatalf("first page: %d texts", n)
		}
		m := regexp.MustCompile(`href="(/campagnes/automne-2026\?avant=\d+)#avis"`).FindStringSubmatch(first.body)
		if m == nil {
			t.Fatal("no link to older feedback")
		}
		second := get(t, h, strings.ReplaceAll(m[1], "&amp;", "&"))
		if n := strings.Count(second.body, "<blockquote>"); n != 3 || !strings.Contains(second.body, "avis numéro Aa") ||
			strings.Contains(second.body, "avant=") && strings.Contains(second.body, "Commentaires plus anciens") {
			t.Errorf("second page: %d texts", n)
		}
	})
}

// Crafted reports do not script or break the page: every text escaped,
// absurd durations written as such.
func TestHostileReportPage(t *testing.T) {
	t.Parallel()
	eachBackend(t, func(t *testing.T, d *db.DB) {
		store(t, d, append(variants(t), hostile(t))...)
		h := handler(d)
		for _, lang := range []string{"fr", "en"} {
			a := get(t, h, "/campagnes/automne-2026?lang="+lang)
			if a.status != http.StatusOK {
				t.Fatalf("%d %s", a.status, a.body)
			}
			for _, bad := range []string{"<script>", "<img", "<svg onload", "</title><script", `onerror="`} {
				if strings.Contains(a.body, bad) {
					t.Errorf("%s: %q reached the page unescaped", lang, bad)
				}
			}
			if !strings.Contains(a.body, "&lt;script&gt;window.__pwned=1&lt;/script&gt;") {
				t.Errorf("%s: the hostile text is not shown escaped", lang)
			}
			if !strings.Contains(a.body, "h ou plus") && !strings.Contains(a.body, "h or more") {
				t.Errorf("%s: no open bucket for 1e300 ms", lang)
			}
		}
		a := get(t, h, "/campagnes")
		if strings.Contains(a.body, "<script>") || strings.Contains(a.body, "<img") {
			t.Error("list: hostile title unescaped")
		}
	})
}

// The CSV export read back: a BOM, ";", the header in the reader's
// language, one row per report, hostile cells defused.
func TestCSVExport(t *testing.T) {
	t.Parallel()
	eachBackend(t, func(t *testing.T, d *db.DB) {
		store(t, d, append(variants(t), hostile(t))...)
		h := handler(d)
		a := get(t, h, "/campagnes/automne-2026.csv", "Accept-Language", "fr")
		if a.status != 200 || a.header.Get("Content-Type") != "text/csv; charset=utf-8" ||
			!strings.Contains(a.header.Get("Content-Disposition"), `filename="campagne-automne-2026.csv"`) {
			t.Fatalf("%d %v", a.status, a.header)
		}
		body, ok := strings.CutPrefix(a.body, "\ufeff")
		if !ok {
			t.Fatal("no byte order mark")
		}
		r := csv.NewReader(strings.NewReader(body))
		r.Comma = ';'
		recs, err := r.ReadAll()
		if err != nil {
			t.Fatal(err)
		}
		if len(recs) != 6 {
			t.Fatalf("%d records", len(recs))
		}
		if strings.Count(a.body, "\ufeff") != 1 {
			t.Error("more than one BOM")
		}
		head := strings.Join(recs[0], "|")
		if !strings.Contains(head, "Participant") {
			t.Errorf("header %q", head)
		}
		byRun := map[string][]string{}
		for _, rec := range recs[1:] {
			byRun[rec[0]] = rec
		}
		if got := byRun["run-4"]; got == nil || got[6] != "600" || got[8] != "VRAI" {
			t.Errorf("run-4: %q", got)
		}
		for _, cell := range byRun["hostile-run"] {
			if c := strings.TrimLeft(cell, " "); c != "" && strings.ContainsRune("=+-@", rune(c[0])) {
				t.Errorf("hostile cell %q may run as a formula", cell)
			}
		}
		var many bytes.Buffer
		many.WriteString(a.body)
		if en := get(t, h, "/campagnes/automne-2026.csv?lang=en"); !strings.Contains(en.body, "TRUE") {
			t.Error("English CSV without TRUE")
		}
		if a := get(t, h, "/campagnes/inconnu.csv"); a.status != http.StatusNotFound {
			t.Errorf("unknown drill's CSV: %d", a.status)
		}
	})
}
