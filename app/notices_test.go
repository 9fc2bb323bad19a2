package app

import (
	"strings"
	"testing"
	"time"

	"relais/internal/frontend"
	"relais/internal/profile"
	"relais/internal/status"
)

// notesFor is what the fake backend says of the organisation's notices:
// a crisis and an information notice, Messagerie's maintenance window, and
// a newer document refused (it carried a tunnel).
func notesFor() frontend.NoticesState {
	until := testNow.Add(90 * time.Minute)
	return frontend.NoticesState{Configured: true, Serial: 12, FetchedAt: testNow.Add(-time.Minute),
		Active: []frontend.Notice{
			{ID: "crise", Level: frontend.NoticeCrisis, Text: profile.Text{FR: "Cellule de crise ouverte : suivez les consignes.", EN: "Crisis unit open: follow the instructions."}},
			{ID: "info", Level: frontend.NoticeInfo, Text: profile.Text{FR: "La messagerie est en maintenance jusqu'à 16 h.", EN: "Email is under maintenance until 4 pm."}},
		},
		Maintenance: []frontend.Maintenance{{App: "messagerie", AppName: profile.Text{FR: "Messagerie", EN: "Email"}, From: testNow.Add(-time.Hour), Until: until,
			Text: profile.Text{FR: "Mise à jour du serveur.", EN: "Server upgrade."}}},
		Problem: frontend.Errorf("notices.kept", &frontend.Error{Key: "notices.reason.unknown_field"}),
	}
}

// maintenanceSnapshot is the sample snapshot with Messagerie down during
// its announced window.
func maintenanceSnapshot(p *profile.Profile) status.Snapshot {
	s := sampleSnapshot(p)
	a := s.Report.App("messagerie")
	a.State = status.StateMaintenance
	a.Maintenance = &status.Maintenance{From: testNow.Add(-time.Hour), Until: testNow.Add(90 * time.Minute),
		Text: profile.Text{FR: "Mise à jour du serveur.", EN: "Server upgrade."}}
	s.Verdict = status.Judge(s)
	return s
}

// Accueil shows the notices as a banner, each level by an icon and a word,
// the app under maintenance, and why newer notices were refused; in both
// languages, never mixed. The verdict is the maintenance one: neither
// "failed" nor "all works".
func TestHomeNoticesBanner(t *testing.T) {
	for _, c := range []struct {
		lang string
		want []string
		not  []string
	}{
		{"fr", []string{"Avis de votre organisation", "Crise — Cellule de crise ouverte : suivez les consignes.",
			"Information — La messagerie est en maintenance jusqu'à 16 h.", "Messagerie : en maintenance (prévue) jusqu'au 22 novembre à 16:00.",
			"Les derniers avis reçus restent affichés. Le document d'avis publié contient autre chose que des textes et des fenêtres de maintenance : il a été refusé.",
			"En maintenance (prévue) : Messagerie."},
			[]string{"Crisis", "Notices", "Tout fonctionne", "en échec", "Ne répond pas : Messagerie"}},
		{"en", []string{"Notices from your organisation", "Crisis — Crisis unit open: follow the instructions.",
			"Information — Email is under maintenance until 4 pm.", "Email: under maintenance (planned) until 22 November at 16:00.",
			"The last notices received are still shown. The published notices document carries something other than texts and maintenance windows: it was refused.",
			"Under maintenance (planned): Email."},
			[]string{"Crise", "Avis", "Everything works", "failed", "Not answering: Email"}},
	} {
		fb := newFakeBackend(t)
		fb.IsActive = true
		fb.Notes = notesFor()
		fb.Snap = maintenanceSnapshot(fb.Prof.Profile)
		tu, h, cv := newTestHome(t, fb, c.lang)
		tu.snap = fb.Snap
		h.refresh()
		for _, w := range c.want {
			if !hasText(cv, w) {
				t.Errorf("%s: missing %q in %q", c.lang, w, visibleTexts(cv))
			}
		}
		all := strings.Join(visibleTexts(cv), "\n")
		for _, bad := range c.not {
			if strings.Contains(all, bad) {
				t.Errorf("%s: says %q:\n%s", c.lang, bad, all)
			}
		}
		if !h.notices.box.Visible() || h.box.Objects[0] != h.notices.box {
			t.Errorf("%s: the banner is not at the top of Accueil", c.lang)
		}
	}
	// Nothing announced: no banner, no gap.
	fb := newFakeBackend(t)
	fb.Notes = frontend.NoticesState{Configured: true, Serial: 3}
	_, h, _ := newTestHome(t, fb, "fr")
	if h.notices.box.Visible() {
		t.Error("an empty banner shows")
	}
}

// Applications says an app down during its announced window is under
// planned maintenance, until when and what the organisation says, not its
// failed checks' reasons.
func TestAppsMaintenance(t *testing.T) {
	for lang, want := range map[string][]string{
		"fr": {"Messagerie — En maintenance (prévue)", "Maintenance annoncée par votre organisation jusqu'au 22 novembre à 16:00.", "Mise à jour du serveur."},
		"en": {"Email — Under maintenance (planned)", "Maintenance announced by your organisation until 22 November at 16:00.", "Server upgrade."},
	} {
		fb := newFakeBackend(t)
		fb.IsActive = true
		tu, s, cv := newTestApps(t, fb, lang)
		tu.snap = maintenanceSnapshot(fb.Prof.Profile)
		s.refresh()
		for _, w := range want {
			if !hasText(cv, w) {
				t.Errorf("%s: missing %q in %q", lang, w, visibleTexts(cv))
			}
		}
		if containsText(cv, "Le serveur de messagerie a refusé") || containsText(cv, "The email server refused") {
			t.Errorf("%s: the failed check's reason shows for a planned maintenance", lang)
		}
	}
}
