package cli

import (
	"encoding/json"
	"strings"
	"testing"
	"time"

	"relais/internal/backend"
	"relais/internal/frontend"
	"relais/internal/i18n"
	"relais/internal/notices"
	"relais/internal/profile"
	"relais/internal/status"
)

func noticesState() frontend.NoticesState {
	until := time.Date(2026, 12, 5, 13, 0, 0, 0, time.UTC)
	return frontend.NoticesState{Configured: true, Serial: 12, FetchedAt: until.Add(-4 * time.Hour),
		Active: []frontend.Notice{
			{ID: "crise", Level: frontend.NoticeCrisis, Text: profile.Text{FR: "Cellule de crise ouverte.", EN: "Crisis unit open."}},
			{ID: "paie-14h", Level: frontend.NoticeWarning, Text: profile.Text{FR: "La paie est en maintenance jusqu'à 14 h.", EN: "Payroll is under maintenance until 2 pm."}, Until: until},
		},
		Maintenance: []frontend.Maintenance{{App: "paie", AppName: profile.Text{FR: "Paie", EN: "Payroll"}, From: until.Add(-4 * time.Hour), Until: until}},
		Problem:     backend.NoticesProblem("unknown_field", "notices: unknown_field: $.tunnel", true)}
}

// `relais status` and `relais check` say the active notices, each level in
// a sign and a word, and why newer notices were refused, in both
// languages; --json gives {"fr","en"} texts and null for unknown times.
func TestNoticesWords(t *testing.T) {
	t.Parallel()
	want := map[string][]string{
		"fr": {"Avis de votre organisation :", "  ‼ Crise — Cellule de crise ouverte.", "  ⚠ Avertissement — La paie est en maintenance jusqu'à 14 h.",
			"Avis : Les derniers avis reçus restent affichés. Le document d'avis publié contient autre chose que des textes et des fenêtres de maintenance : il a été refusé."},
		"en": {"Notices from your organisation:", "  ‼ Crisis — Crisis unit open.", "  ⚠ Warning — Payroll is under maintenance until 2 pm.",
			"Notices: The last notices received are still shown. The published notices document carries something other than texts and maintenance windows: it was refused."},
	}
	for lang, lines := range want {
		var out strings.Builder
		r := &run{Env: Env{Stdout: &out}, lang: lang}
		r.printNotices(noticesState())
		for _, l := range lines {
			if !strings.Contains(out.String(), l+"\n") && !strings.Contains(out.String(), l+" ") {
				t.Errorf("%s: no line %q in:\n%s", lang, l, out.String())
			}
		}
		var none strings.Builder
		(&run{Env: Env{Stdout: &none}, lang: lang}).printNotices(frontend.NoticesState{})
		if none.Len() != 0 {
			t.Errorf("%s: a profile without notices says %q", lang, none.String())
		}
	}
	ns, ms, sync := noticesDoc(noticesState())
	b, err := json.Marshal(map[string]any{"notices": ns, "maintenance": ms, "notices_sync": sync})
	if err != nil {
		t.Fatal(err)
	}
	for _, s := range []string{`"id":"crise","level":"crisis","text":{"fr":"Cellule de crise ouverte.","en":"Crisis unit open."},"from":null,"until":null`,
		`"until":"2026-12-05T13:00:00Z"`, `"app":"paie","name":{"fr":"Paie","en":"Payroll"}`, `"text":null`, `"serial":12`,
		`"problem":{"fr":"Les derniers avis reçus restent affichés.`} {
		if !strings.Contains(string(b), s) {
			t.Errorf("JSON lacks %s:\n%s", s, b)
		}
	}
	ns, ms, sync = noticesDoc(frontend.NoticesState{})
	if ns == nil || ms == nil || sync != nil {
		t.Error("without notices: [] and [] and null")
	}
}

// `relais check` says an app under announced maintenance by its state and
// window, not by its failed checks' reasons; its JSON state is
// "maintenance".
func TestCheckSaysMaintenance(t *testing.T) {
	t.Parallel()
	now := time.Now()
	w := status.Maintenance{From: now.Add(-time.Hour), Until: now.Add(time.Hour), Text: profile.Text{FR: "Mise à jour prévue.", EN: "Planned upgrade."}}
	s := status.Snapshot{Started: now.Add(-time.Minute), Tunnel: status.Tunnel{Up: true}, TunnelAtReport: status.Tunnel{Up: true},
		Report: &status.Report{Apps: []status.AppResult{{ID: "paie", Name: profile.Text{FR: "Paie", EN: "Payroll"}, Criticality: "essential",
			State: status.StateMaintenance, Maintenance: &w, Checks: []status.CheckResult{{ID: "paie-web", State: status.StateFailed,
				Reason: &status.Reason{Code: "refused", Text: profile.Text{FR: "Le serveur a refusé la connexion.", EN: "The server refused the connection."}}}}}}}}
	for lang, want := range map[string][]string{
		"fr": {"en maintenance (prévue)", "En maintenance (prévue) jusqu'au", "Mise à jour prévue.", "son application essentielle est en maintenance prévue"},
		"en": {"under maintenance (planned)", "Under maintenance (planned) until", "Planned upgrade.", "its essential application is under planned maintenance"},
	} {
		var out strings.Builder
		r := &run{Env: Env{Stdout: &out, Env: backend.Env{Now: time.Now}}, lang: lang}
		r.printCheck(newCheckDoc(s, now))
		for _, l := range want {
			if !strings.Contains(out.String(), l) {
				t.Errorf("%s: no %q in:\n%s", lang, l, out.String())
			}
		}
		if strings.Contains(out.String(), "refus") || strings.Contains(out.String(), "en panne") || strings.Contains(out.String(), " down") {
			t.Errorf("%s: a planned maintenance read as a failure:\n%s", lang, out.String())
		}
	}
	b, _ := json.Marshal(newCheckDoc(s, now))
	if !strings.Contains(string(b), `"state":"maintenance"`) || !strings.Contains(string(b), `"maintenance":["paie"]`) {
		t.Errorf("JSON: %s", b)
	}
}

// Every code a refused notices document may carry has its sentence in
// French and in English.
func TestNoticesReasonsWorded(t *testing.T) {
	t.Parallel()
	for _, code := range append(notices.Codes(), "unreachable") {
		for _, lang := range []string{"fr", "en"} {
			c, err := i18n.Catalog(lang)
			if err != nil {
				t.Fatal(err)
			}
			if strings.TrimSpace(c["notices.reason."+code]) == "" {
				t.Errorf("%s: no notices.reason.%s", lang, code)
			}
		}
	}
}
