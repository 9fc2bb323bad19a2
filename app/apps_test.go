package app

import (
	"errors"
	"strings"
	"testing"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/test"

	"relais/internal/frontend"
	"relais/internal/frontend/frontendtest"
	"relais/internal/status"
)

// newTestApps is the Applications screen of a test UI in language l, in a
// 1024×600 test window.
func newTestApps(t *testing.T, fb *frontendtest.Backend, l string) (*testUI, *appsScreen, fyne.CanvasObject) {
	t.Helper()
	tu := newTestUI(t, fb, l)
	s := newApps(tu.ui)
	c := s.content()
	tu.window.SetContent(c)
	tu.window.Resize(fyne.NewSize(1024, 600))
	return tu, s, c
}

// setApp changes an app's state in a snapshot's report, with its checks.
func setApp(s status.Snapshot, id string, st status.State, blockedBy ...string) {
	a := s.Report.App(id)
	a.State, a.BlockedBy = st, blockedBy
	for i := range a.Checks {
		code := "refused"
		if st == status.StateBlocked {
			code = status.CodeBlocked
		}
		c := checkResult(id, a.Checks[i].ID, st, code)
		if st == status.StateOK {
			c.Reason = nil
		}
		a.Checks[i] = c
	}
}

func linkRowOf(t *testing.T, s *appsScreen, id string) *linkRow {
	t.Helper()
	for _, r := range s.linkRows {
		if r.link.ID == id {
			return r
		}
	}
	t.Fatalf("no row for link %q", id)
	return nil
}

func TestAppsStates(t *testing.T) {
	fb := newFakeBackend(t)
	fb.IsActive = true
	tu, s, c := newTestApps(t, fb, "fr")
	snap := sampleSnapshot(fb.Prof.Profile)
	setApp(snap, "bureau-virtuel", status.StateBlocked, "annuaire")
	setApp(snap, "dossiers", status.StateBlocked, "tunnel", "annuaire")
	setApp(snap, "telephonie", status.StateDegraded)
	tu.snap = snap
	s.refresh()

	for _, want := range []string{
		// Failed: the word, the reason, the next step, when.
		"Messagerie — En panne",
		"Le serveur de messagerie a refusé la connexion.",
		"Appelez le centre de services au +1-555-0100.",
		"Vérifiée à " + clock(testNow, testNow.Add(-20e9)) + " (il y a 20 s)",
		// Ok.
		"Paie — Répond",
		"Annuaire et authentification — Répond",
		// Blocked: the app it waits for, by name.
		"Bureau virtuel — Bloquée",
		"Pas vérifiée : elle attend Annuaire et authentification, qui ne répond pas.",
		"Pas vérifiée : elle attend le tunnel d'urgence et Annuaire et authentification, qui ne répondent pas.",
		// Degraded.
		"Téléphonie logicielle — Lente",
		// Groups, most critical first.
		"Applications essentielles",
		"Applications importantes",
		"Applications facultatives",
	} {
		if !hasText(c, want) {
			t.Errorf("missing %q in %q", want, visibleTexts(c))
		}
	}
	if containsText(c, "a refusé la connexion") && containsText(c, "Le serveur de paie") {
		t.Error("an ok app shows a reason")
	}
	// The row of an ok app says no reason at all.
	for _, r := range s.appRows {
		if r.id == "paie" && (r.reason.Visible() || r.next.Visible()) {
			t.Errorf("ok app shows %q / %q", r.reason.Text, r.next.Text)
		}
	}
	// Essential apps come first.
	if s.appRows[0].id != "annuaire" || s.appRows[1].id != "messagerie" || s.appRows[2].id != "paie" {
		t.Errorf("order: %s, %s, %s", s.appRows[0].id, s.appRows[1].id, s.appRows[2].id)
	}
	if len(s.appRows) != len(fb.Prof.Profile.Apps) {
		t.Errorf("%d rows for %d apps", len(s.appRows), len(fb.Prof.Profile.Apps))
	}
}

func TestAppsRecheck(t *testing.T) {
	fb := newFakeBackend(t)
	tu, s, c := newTestApps(t, fb, "fr")
	if !s.recheck.Disabled() {
		t.Error("Vérifier de nouveau enabled while Mode urgence is off")
	}
	test.Tap(s.recheck)
	if fb.Rechecks != 0 {
		t.Fatal("Recheck called while Mode urgence is off")
	}
	if !hasText(c, "Le mode urgence est inactif : activez-le pour vérifier les applications.") {
		t.Errorf("no explanation while off: %q", visibleTexts(c))
	}

	fb.IsActive = true
	tu.snap = sampleSnapshot(fb.Prof.Profile)
	s.refresh()
	if s.recheck.Text != "Vérifier de nouveau" || s.recheck.Disabled() {
		t.Fatalf("button: %q disabled=%v", s.recheck.Text, s.recheck.Disabled())
	}
	test.Tap(s.recheck)
	if fb.Rechecks != 1 {
		t.Fatalf("rechecks = %d, want 1", fb.Rechecks)
	}
	if !hasText(c, "Vérification en cours…") {
		t.Errorf("no feedback after Recheck: %q", visibleTexts(c))
	}
	// A new report ends the wait.
	tu.snap = sampleSnapshot(fb.Prof.Profile)
	s.refresh()
	if containsText(c, "Vérification en cours") {
		t.Error("still checking after a new report")
	}
}

func TestAppsLinks(t *testing.T) {
	fb := newFakeBackend(t)
	fb.IsActive = true
	tu, s, c := newTestApps(t, fb, "fr")
	snap := sampleSnapshot(fb.Prof.Profile)
	setApp(snap, "paie", status.StateFailed)
	tu.snap = snap
	s.refresh()

	// The payroll link needs paie, which is down.
	paie := linkRowOf(t, s, "paie")
	if !paie.open.Disabled() {
		t.Error("payroll link enabled while Paie is down")
	}
	if want := "Indisponible : Paie ne répond pas."; !paie.why.Visible() || paie.why.Text != want {
		t.Errorf("why = %q, want %q", paie.why.Text, want)
	}
	test.Tap(paie.open)
	if len(fb.Opened) != 0 {
		t.Fatalf("a disabled link opened: %q", fb.Opened)
	}

	// The portal needs annuaire, which answers.
	portal := linkRowOf(t, s, "portail-urgence")
	if portal.open.Disabled() || portal.why.Visible() {
		t.Fatalf("portal disabled: %q", portal.why.Text)
	}
	if !hasText(c, "Portail d'urgence") || !hasText(c, "Point de départ : consignes, annuaire, formulaires.") {
		t.Errorf("portal name or description missing: %q", visibleTexts(c))
	}
	test.Tap(portal.open)
	if len(fb.Opened) != 1 || fb.Opened[0] != "portail-urgence" {
		t.Fatalf("opened = %q, want [portail-urgence]", fb.Opened)
	}
	if portal.open.Disabled() || portal.err.Visible() {
		t.Errorf("after a good open: disabled=%v err=%q", portal.open.Disabled(), portal.err.Text)
	}

	// Two needs down.
	setApp(snap, "annuaire", status.StateFailed)
	s.refresh()
	if want := "Indisponible : Paie et Annuaire et authentification ne répondent pas."; paie.why.Text != want {
		t.Errorf("why = %q, want %q", paie.why.Text, want)
	}
}

func TestAppsLinkError(t *testing.T) {
	fb := newFakeBackend(t)
	crisisURL := fb.Prof.Profile.Link("cellule-crise").URL
	// As the backend says it (launch.Error.Key): no application of this
	// computer took the link.
	fb.OpenErr = frontend.Errorf("launch.error.no_handler", crisisURL)
	_, s, c := newTestApps(t, fb, "fr")
	crise := linkRowOf(t, s, "cellule-crise") // direct: opens even with Mode urgence off
	if crise.open.Disabled() {
		t.Fatalf("direct link disabled while off: %q", crise.why.Text)
	}
	test.Tap(crise.open)
	if len(fb.Opened) != 1 || fb.Opened[0] != "cellule-crise" {
		t.Fatalf("opened = %q", fb.Opened)
	}
	if want := "Le lien n'a pas pu s'ouvrir : Aucune application de cet ordinateur n'a ouvert ce lien : " + crisisURL +
		". Vérifiez que l'application prévue pour ce lien est installée, puis réessayez ; si elle ne l'est pas, appelez le support."; !hasText(c, want) {
		t.Errorf("missing %q in %q", want, visibleTexts(c))
	}
	if crise.open.Disabled() {
		t.Error("link stays disabled after a failed open")
	}
}

// With Mode urgence off, a link through the tunnel says to turn it on.
func TestAppsLinksNeedUrgence(t *testing.T) {
	fb := newFakeBackend(t)
	_, s, c := newTestApps(t, fb, "fr")
	portal := linkRowOf(t, s, "portail-urgence")
	if !portal.open.Disabled() {
		t.Error("tunnel link enabled while Mode urgence is off")
	}
	if want := "Indisponible : activez le mode urgence d'abord."; portal.why.Text != want || !portal.why.Visible() {
		t.Errorf("why = %q, want %q", portal.why.Text, want)
	}
	if !hasText(c, "Messagerie — En attente") || !hasText(c, "Pas vérifiée : le mode urgence est inactif.") {
		t.Errorf("apps while off: %q", visibleTexts(c))
	}
}

func TestAppsNoProfile(t *testing.T) {
	fb := newFakeBackend(t)
	fb.Prof = frontend.ProfileState{}
	_, s, c := newTestApps(t, fb, "fr")
	if len(s.appRows) != 0 || len(s.linkRows) != 0 {
		t.Errorf("rows without a profile: %d apps, %d links", len(s.appRows), len(s.linkRows))
	}
	if !containsText(c, "Aucun profil de continuité") {
		t.Errorf("no sentence without a profile: %q", visibleTexts(c))
	}
	if containsText(c, "Liens d'urgence") {
		t.Error("links heading without links")
	}
}

func TestAppsNoRawKeys(t *testing.T) {
	for _, l := range []string{"fr", "en"} {
		t.Run(l, func(t *testing.T) {
			fb := newFakeBackend(t)
			fb.OpenErr = errors.New("no")
			tu, s, c := newTestApps(t, fb, l)
			assertNoRawKeys(t, c) // off
			test.Tap(linkRowOf(t, s, "cellule-crise").open)
			assertNoRawKeys(t, c) // open failed
			fb.IsActive = true
			tu.snap = status.Snapshot{Phase: status.PhaseChecking}
			s.refresh()
			assertNoRawKeys(t, c) // first run
			snap := sampleSnapshot(fb.Prof.Profile)
			setApp(snap, "paie", status.StateBlocked, "annuaire", "internet", "captive")
			setApp(snap, "bureau-virtuel", status.StateBlocked)
			setApp(snap, "dossiers", status.StateDegraded)
			setApp(snap, "telephonie", status.StatePending)
			tu.snap = snap
			s.refresh()
			assertNoRawKeys(t, c) // a report
			test.Tap(s.recheck)
			assertNoRawKeys(t, c) // rechecking
			if l == "en" {
				for _, want := range []string{
					"Email — Down", "Payroll — Blocked", "Shared folders — Slow", "Softphone — Waiting",
					"Directory and sign-in — Answering", "Check again", "Emergency links",
					"Not checked: it waits for Directory and sign-in, Internet access and network access (sign-in portal), which are not answering.",
					"Unavailable: Payroll is not answering.",
				} {
					if !hasText(c, want) {
						t.Errorf("missing %q in %q", want, visibleTexts(c))
					}
				}
			}
		})
	}
}

// A check whose answer is not the one expected says so in a sentence first;
// the rule with the value seen ("[STATUS] (503) == 200") is only under a
// "Détails" line, after the reason and the next step.
func TestAppsConditionUnderDetails(t *testing.T) {
	fb := newFakeBackend(t)
	fb.IsActive = true
	tu, s, c := newTestApps(t, fb, "fr")
	snap := sampleSnapshot(fb.Prof.Profile)
	a := snap.Report.App("messagerie")
	a.Checks[0].Conditions = []status.Condition{
		{Expr: "[STATUS] (503) == 200", OK: false},
		{Expr: "[RESPONSE_TIME] (42) < 800", OK: true},
	}
	a.Checks[0].Reason.Text.FR = "Messagerie répond, mais pas comme prévu."
	tu.snap = snap
	s.refresh()

	var row *appRow
	for _, r := range s.appRows {
		if r.id == "messagerie" {
			row = r
		}
	}
	if row == nil {
		t.Fatal("no row for messagerie")
	}
	if !row.reason.Visible() || row.reason.Text != "Messagerie répond, mais pas comme prévu." {
		t.Errorf("reason: %q (visible %v)", row.reason.Text, row.reason.Visible())
	}
	want := "Détails : [STATUS] (503) == 200"
	if !hasText(c, want) {
		t.Errorf("missing %q in %q", want, visibleTexts(c))
	}
	// The rule is in no other text, and the condition that held is not shown.
	for _, x := range visibleTexts(c) {
		if x != want && strings.Contains(x, "[STATUS]") || strings.Contains(x, "[RESPONSE_TIME]") {
			t.Errorf("rule syntax outside the details line: %q", x)
		}
	}
	// Details come after what a person reads first.
	if !row.details.Visible() {
		t.Fatal("details hidden")
	}
	// An ok app has no details line.
	for _, r := range s.appRows {
		if r.id == "paie" && r.details.Visible() {
			t.Errorf("ok app shows details %q", r.details.Text)
		}
	}
	// In English, the same line.
	tu2, s2, c2 := newTestApps(t, fb, "en")
	tu2.snap = snap
	s2.refresh()
	if !hasText(c2, "Details: [STATUS] (503) == 200") {
		t.Errorf("missing English details in %q", visibleTexts(c2))
	}
}
