package app

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/canvas"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/test"
	"fyne.io/fyne/v2/widget"

	"relais/internal/drills"
	"relais/internal/frontend"
	"relais/internal/frontend/frontendtest"
	"relais/internal/profile"
	"relais/internal/status"
)

// newTestDrills is the Exercices screen of a test UI in language l, in a
// 1024×600 window; it reads the runs again at every refresh.
func newTestDrills(t *testing.T, fb *frontendtest.Backend, l string) (*testUI, *drillsScreen, fyne.CanvasObject) {
	t.Helper()
	tu := newTestUI(t, fb, l)
	s := newDrills(tu.ui)
	s.reloadEvery = 0
	s.every = func(<-chan struct{}, func()) {} // tests tick by hand
	c := s.content()
	tu.window.SetContent(c)
	tu.window.Resize(fyne.NewSize(1024, 600))
	return tu, s, c
}

// visibleButtons lists the buttons a person can see in o, in tree order.
func visibleButtons(o fyne.CanvasObject) []*widget.Button {
	var out []*widget.Button
	var walk func(fyne.CanvasObject)
	walk = func(o fyne.CanvasObject) {
		if o == nil || !o.Visible() {
			return
		}
		switch w := o.(type) {
		case *widget.Button:
			out = append(out, w)
		case *container.Scroll:
			walk(w.Content)
		case *container.AppTabs:
			if sel := w.Selected(); sel != nil {
				walk(sel.Content)
			}
		case *fyne.Container:
			for _, c := range w.Objects {
				walk(c)
			}
		case *canvas.Text, *widget.Label, *widget.RichText:
		case fyne.Widget:
			for _, c := range test.WidgetRenderer(w).Objects() {
				walk(c)
			}
		}
	}
	walk(o)
	return out
}

// buttonsNamed is the visible buttons of o that say text.
func buttonsNamed(o fyne.CanvasObject, text string) []*widget.Button {
	var out []*widget.Button
	for _, b := range visibleButtons(o) {
		if b.Text == text {
			out = append(out, b)
		}
	}
	return out
}

// tap taps the first visible, enabled button of o that says text.
func tap(t *testing.T, o fyne.CanvasObject, text string) {
	t.Helper()
	for _, b := range buttonsNamed(o, text) {
		if !b.Disabled() {
			test.Tap(b)
			return
		}
	}
	t.Fatalf("no enabled button %q in %q", text, visibleTexts(o))
}

func wantText(t *testing.T, o fyne.CanvasObject, texts ...string) {
	t.Helper()
	for _, s := range texts {
		if !hasText(o, s) {
			t.Errorf("%q not shown in %q", s, visibleTexts(o))
		}
	}
}

func wantNoText(t *testing.T, o fyne.CanvasObject, texts ...string) {
	t.Helper()
	for _, s := range texts {
		if hasText(o, s) {
			t.Errorf("%q shown, should not be: %q", s, visibleTexts(o))
		}
	}
}

// The list: both drills of the example with their windows (the autumn one
// open at testNow, the spring one upcoming), Commencer only where the
// window is open, guide mode for each.
func TestDrillsList(t *testing.T) {
	fb := newFakeBackend(t)
	_, _, c := newTestDrills(t, fb, "fr")
	p := fb.Prof.Profile
	autumn, spring := p.Drills[0], p.Drills[1]
	wantText(t, c,
		"Exercice d'automne 2026 : sinistre du siège",
		"Ouvert jusqu'au "+longDate(testNow, autumn.Closes),
		"Simulation — 6 étapes — objectif : opérationnel en 30 min",
		"Exercice de printemps 2027 : parcours commenté",
		"À venir : ouvert du "+longDate(testNow, spring.Opens)+" au "+longDate(testNow, spring.Closes),
		"Parcours commenté — 1 étape — objectif : opérationnel en 1 h",
		"Vous n'avez encore fait aucun exercice sur cet ordinateur.",
	)
	if n := len(buttonsNamed(c, "Commencer")); n != 1 {
		t.Errorf("%d Commencer buttons, want 1 (the open window only)", n)
	}
	if n := len(buttonsNamed(c, "Voir en mode guide")); n != 2 {
		t.Errorf("%d guide buttons, want 2", n)
	}
	if n := len(buttonsNamed(c, "Reprendre")); n != 0 {
		t.Errorf("%d Reprendre buttons before any run", n)
	}
	if fb.Drills.CallsOf("Runs") == 0 {
		t.Error("the runs were not read")
	}
}

// Commencer starts a run at step 1; "J'ai lu" moves to step 2; back on the
// list, the run under way offers Reprendre, which resumes at step 2.
func TestDrillsStartAndResume(t *testing.T) {
	fb := newFakeBackend(t)
	_, s, c := newTestDrills(t, fb, "fr")
	tap(t, c, "Commencer")
	if s.view != viewWalk || s.run == nil {
		t.Fatalf("not walking after Commencer: %q", visibleTexts(c))
	}
	wantText(t, c, "Étape 1 sur 6", "Le scénario", "Exercice d'automne 2026 : sinistre du siège")
	if !containsText(c, "Un incendie a détruit la salle des serveurs du siège.") {
		t.Errorf("the step's body is not shown: %q", visibleTexts(c))
	}
	if s.bar.Value != 0 || s.bar.Max != 6 {
		t.Errorf("progress bar %v/%v, want 0/6", s.bar.Value, s.bar.Max)
	}
	tap(t, c, "J'ai lu")
	wantText(t, c, "Étape 2 sur 6", "Se connecter", "Faire l'action et vérifier", "Passer cette étape")
	if s.bar.Value != 1 {
		t.Errorf("progress bar %v after one step, want 1", s.bar.Value)
	}
	// The action step says how it is verified, before any attempt.
	// The fake's clock: the run started 19 min before testNow, step 2 18 min
	// before.
	wantText(t, c, "Relais active le mode urgence et attend que le tunnel soit établi.",
		"Annuaire et authentification (annuaire-dns) — pas encore vérifiée",
		"Cette étape : 18 min 00 s (prévu : 2 min)",
		"Temps écoulé : 19 min 00 s — objectif : opérationnel en 30 min",
		"Opérationnel en 2 min : dans l'objectif.")

	tap(t, c, "Retour aux exercices")
	wantText(t, c, "Commencé le "+longDate(testNow, fb.Drills.Runs[0].Started)+" — en cours, étape 2 sur 6")
	if n := len(buttonsNamed(c, "Commencer")); n != 0 {
		t.Errorf("Commencer still offered beside a run under way")
	}
	if n := len(buttonsNamed(c, "Reprendre")); n != 2 { // the drill's and the run's
		t.Errorf("%d Reprendre buttons, want 2", n)
	}
	tap(t, c, "Reprendre")
	wantText(t, c, "Étape 2 sur 6", "Se connecter")
	if n := fb.Drills.CallsOf("StartDrill"); n != 2 {
		t.Errorf("StartDrill called %d times, want 2 (start, resume)", n)
	}
}

// A drill whose window is not open cannot start: the backend's sentence
// stays on the list.
func TestDrillsStartRefused(t *testing.T) {
	fb := newFakeBackend(t)
	_, s, c := newTestDrills(t, fb, "fr")
	s.onStart("printemps-2027")
	if s.view != viewList {
		t.Fatal("left the list after a refused start")
	}
	wantText(t, c, "L'exercice « printemps-2027 » n'est pas ouvert en ce moment. Le mode guide permet de le parcourir sans rien enregistrer.")
}

// walkTo starts the autumn drill and completes steps until step n (1-based)
// is current.
func walkTo(t *testing.T, c fyne.CanvasObject, s *drillsScreen, n int) {
	t.Helper()
	tap(t, c, "Commencer")
	for s.run.Current() < n-1 {
		def := s.run.Drill.Steps[s.run.Current()]
		if def.Kind == "question" && len(def.Choices) > 0 {
			s.choices.SetSelected(s.choices.Options[0])
		}
		tap(t, c, s.act.Text)
	}
}

// A question with choices shows them in the language shown; the chosen
// index is what the backend gets. A required question is not sent without
// an answer.
func TestDrillsQuestionChoice(t *testing.T) {
	fb := newFakeBackend(t)
	_, s, c := newTestDrills(t, fb, "fr")
	walkTo(t, c, s, 5)
	wantText(t, c, "Étape 5 sur 6", "Était-ce facile ?", "Répondre")
	if !s.choices.Visible() || strings.Join(s.choices.Options, "|") != "Oui, sans aide|Oui, avec l'aide d'un ambassadeur|Non" {
		t.Fatalf("choices: visible=%v %q", s.choices.Visible(), s.choices.Options)
	}
	tap(t, c, "Répondre")
	wantText(t, c, "Choisissez une réponse, puis cliquez sur Répondre.", "Étape 5 sur 6")
	if n := fb.Drills.CallsOf("CompleteStep difficulte"); n != 0 {
		t.Fatalf("a required question was sent without an answer (%d calls)", n)
	}
	s.choices.SetSelected("Oui, avec l'aide d'un ambassadeur")
	tap(t, c, "Répondre")
	ev := fb.Drills.Runs[0].Steps[4].Evidence
	if ev.Choice == nil || *ev.Choice != 1 || ev.Answer != "Oui, avec l'aide d'un ambassadeur" {
		t.Fatalf("evidence %+v, want choice 1", ev)
	}
	wantText(t, c, "Étape 6 sur 6", "Vos commentaires")
	if s.choices.Visible() || !s.answer.Visible() {
		t.Errorf("free-text question: choices visible=%v, entry visible=%v", s.choices.Visible(), s.answer.Visible())
	}
	// The answered question, seen again, shows the answer.
	tap(t, c, "Précédent")
	if !containsText(c, "Réponse : Oui, avec l'aide d'un ambassadeur") {
		t.Errorf("the answer is not shown on the answered step: %q", visibleTexts(c))
	}
}

// A failing verification keeps the step current, says why in the
// backend's words and shows each check's state; Réessayer tries again.
func TestDrillsFailedVerification(t *testing.T) {
	fb := newFakeBackend(t)
	fb.Drills.Fail["applications"] = true
	_, s, c := newTestDrills(t, fb, "fr")
	walkTo(t, c, s, 4)
	wantText(t, c, "Étape 4 sur 6", "Vérifier la paie et la messagerie", "Vérifier")
	tap(t, c, "Vérifier")
	wantText(t, c,
		"La vérification n'est pas concluante : paie ne répond pas comme prévu.",
		"Étape 4 sur 6",
		"Paie (paie-web) — En panne",
		"Messagerie (messagerie-imaps) — En panne",
		"Réessayer",
		"Passer cette étape",
	)
	if st := s.run.Steps[3].State; st != drills.StepFailed {
		t.Fatalf("step state %q, want failed", st)
	}
	delete(fb.Drills.Fail, "applications")
	tap(t, c, "Réessayer")
	wantText(t, c, "Étape 5 sur 6")
	wantNoText(t, c, "La vérification n'est pas concluante : paie ne répond pas comme prévu.")
	// The verified step, seen again, shows its checks ok.
	tap(t, c, "Précédent")
	wantText(t, c, "Paie (paie-web) — "+stateWord(status.StateOK))
}

// Skipping a required step needs a reason: the screen asks for it before
// calling the backend. Previous and next then show the skipped step
// read-only.
func TestDrillsSkipAndNavigate(t *testing.T) {
	fb := newFakeBackend(t)
	_, s, c := newTestDrills(t, fb, "fr")
	walkTo(t, c, s, 2)
	tap(t, c, "Passer cette étape")
	if !s.skipBox.Visible() || s.skipReason.PlaceHolder != "Écrivez ce qui vous empêche de faire cette étape, par exemple « Teams ne s'ouvre pas » (obligatoire)" {
		t.Fatalf("no reason asked: %q", visibleTexts(c))
	}
	tap(t, c, "Passer l'étape")
	wantText(t, c, "Cette étape est obligatoire : dites pourquoi vous la passez, le coordonnateur le lira dans le rapport.", "Étape 2 sur 6")
	if n := fb.Drills.CallsOf("SkipStep"); n != 0 {
		t.Fatalf("SkipStep called %d times without a reason", n)
	}
	s.skipReason.SetText("Pas de réseau à la maison")
	tap(t, c, "Passer l'étape")
	if calls := fb.Drills.Calls(); calls[len(calls)-1] != "SkipStep connexion: Pas de réseau à la maison" {
		t.Fatalf("calls %q", calls)
	}
	wantText(t, c, "Étape 3 sur 6", "Ouvrir le portail d'urgence", "Relais ouvre le lien « Portail d'urgence ».")
	if s.next.Disabled() == false {
		t.Error("Suivant enabled on the current step of a run")
	}

	tap(t, c, "Précédent")
	wantText(t, c, "Étape 2 sur 6", "Se connecter", "Passée : Pas de réseau à la maison")
	for _, b := range []string{"Faire l'action et vérifier", "Passer cette étape", "J'ai lu"} {
		if len(buttonsNamed(c, b)) != 0 {
			t.Errorf("%q offered on a past step", b)
		}
	}
	if s.note.Visible() {
		t.Error("the note entry is shown on a past step")
	}
	tap(t, c, "Précédent")
	wantText(t, c, "Étape 1 sur 6", "Le scénario")
	if !s.prev.Disabled() {
		t.Error("Précédent enabled on the first step")
	}
	tap(t, c, "Suivant")
	tap(t, c, "Suivant")
	wantText(t, c, "Étape 3 sur 6", "Faire l'action et vérifier")
}

// The whole example drill, walked to its report: completed, the time to
// operational against the objective, each step's outcome, the delivery
// (read again when the screen refreshes); the report saves through the
// backend.
func TestDrillsWalkToReport(t *testing.T) {
	fb := newFakeBackend(t)
	d := fb.Drills
	d.Delivery = frontend.Delivery{State: frontend.DeliveryPending, Attempts: 2, NextAttempt: testNow.Add(5 * time.Minute),
		Problem: frontend.Errorf("cli.drill.delivery_status", 503)}
	tu, s, c := newTestDrills(t, fb, "fr")
	walkTo(t, c, s, 6)
	s.answer.SetText("Un mode d'emploi imprimé.")
	tap(t, c, "Répondre")
	wantText(t, c, "Fin de l'exercice — étapes faites ou passées : 6", "Terminer l'exercice")
	if s.bar.Value != 6 {
		t.Errorf("progress bar %v at the end, want 6", s.bar.Value)
	}
	s.feedback.SetText("Bien guidé.")
	tap(t, c, "Terminer l'exercice")
	if s.view != viewReport {
		t.Fatalf("not on the report: %q", visibleTexts(c))
	}
	if calls := d.Calls(); !strings.HasPrefix(calls[len(calls)-2], "FinishDrill run-1") {
		t.Errorf("calls %q", calls)
	}
	run := d.Runs[0]
	wantText(t, c,
		"Rapport : Exercice d'automne 2026 : sinistre du siège",
		"Exercice réussi : chaque étape obligatoire est faite.",
		"Opérationnel en 2 min — objectif : 30 min. Dans l'objectif.",
		"1. Le scénario — Faite en 1 min.",
		"2. Se connecter — Faite en 1 min (prévu : 2 min).",
		"6. Vos commentaires — Faite en 1 min.\nRéponse : Un mode d'emploi imprimé.",
		"Vos commentaires : Bien guidé.",
		"Commencé le "+longDate(testNow, run.Started)+", terminé le "+longDate(testNow, run.Finished)+" (durée : 7 min)",
		"En attente d'envoi (2 tentatives, prochain essai à "+clock(testNow, testNow.Add(5*time.Minute))+"). Dernier essai : le serveur a répondu 503.",
	)
	// Refused: the backend's reason, a fragment, ends its sentence.
	d.Lock()
	d.Delivery = frontend.Delivery{State: frontend.DeliveryRejected, Attempts: 3,
		Problem: frontend.Errorf("cli.drill.delivery_error", "context deadline exceeded")}
	d.Unlock()
	s.refresh()
	wantText(t, c, "Refusé par le destinataire : le serveur n'a pas pu être joint (context deadline exceeded). "+
		"Enregistrez le rapport et transmettez-le à votre coordonnateur.")
	d.Lock()
	d.Delivery = frontend.Delivery{State: frontend.DeliveryDelivered, Attempts: 3, Delivered: testNow}
	d.Unlock()
	s.refresh()
	wantText(t, c, "Envoyé au coordonnateur le "+longDate(testNow, testNow)+".")

	// Enregistrer le rapport… opens a save dialog; the chosen path goes to
	// the backend, a name without .json or .html gets .html.
	tap(t, c, "Enregistrer le rapport…")
	if tu.window.Canvas().Overlays().Top() == nil {
		t.Fatal("no save dialog")
	}
	tu.window.Canvas().Overlays().Top().Hide()
	dir := t.TempDir()
	s.exportTo(filepath.Join(dir, "rapport.json"))
	wantText(t, c, "Rapport enregistré : "+filepath.Join(dir, "rapport.json"))
	bare := filepath.Join(dir, "rapport")
	if err := os.WriteFile(bare, nil, 0o600); err != nil { // what the dialog leaves
		t.Fatal(err)
	}
	s.exportTo(bare)
	if got := strings.Join(d.Exported, "|"); got != filepath.Join(dir, "rapport.json")+"|"+bare+".html" {
		t.Errorf("exported %q", got)
	}
	if _, err := os.Stat(bare); !os.IsNotExist(err) {
		t.Errorf("the dialog's empty file is left: %v", err)
	}
	ro := filepath.Join(dir, "x.html")
	d.ExportErr = frontend.Errorf("cli.drill.export_failed", ro, "read-only file system")
	s.exportTo(ro)
	wantText(t, c, "Le rapport n'a pas pu être enregistré : Impossible d'écrire "+ro+" : read-only file system")

	// Back on the list, the finished run shows its delivery and opens its
	// report again.
	tap(t, c, "Retour aux exercices")
	wantText(t, c, "Commencé le "+longDate(testNow, run.Started)+" — terminé le "+longDate(testNow, run.Finished),
		"Envoyé au coordonnateur le "+longDate(testNow, testNow)+".")
	tap(t, c, "Ouvrir le rapport")
	wantText(t, c, "Exercice réussi : chaque étape obligatoire est faite.", "Vos commentaires : Bien guidé.")
}

// A run with a skipped required step is reported incomplete.
func TestDrillsIncompleteReport(t *testing.T) {
	fb := newFakeBackend(t)
	_, s, c := newTestDrills(t, fb, "fr")
	walkTo(t, c, s, 2)
	tap(t, c, "Passer cette étape")
	s.skipReason.SetText("Pas de réseau")
	tap(t, c, "Passer l'étape")
	for s.run.Current() < len(s.run.Steps) {
		if s.choices.Visible() {
			s.choices.SetSelected(s.choices.Options[2])
		}
		tap(t, c, s.act.Text)
	}
	tap(t, c, "Terminer l'exercice")
	wantText(t, c, "Exercice incomplet : une étape obligatoire a été passée ou n'a pas pu être vérifiée.",
		"2. Se connecter — Passée : Pas de réseau",
		"Pas d'adresse d'envoi : le profil ne prévoit pas d'envoi automatique. Enregistrez le rapport et transmettez-le à votre coordonnateur.")
}

// Guide mode walks the drill read-only: a banner says nothing is recorded,
// next and previous only, and the backend is never called.
func TestDrillsGuideMode(t *testing.T) {
	fb := newFakeBackend(t)
	_, s, c := newTestDrills(t, fb, "fr")
	before := len(fb.Drills.Calls())
	sawChoices := false
	buttonsNamed(c, "Voir en mode guide")[0].OnTapped()
	if s.view != viewWalk || s.run != nil || s.guide == nil {
		t.Fatal("not in guide mode")
	}
	wantText(t, c, "Mode guide : rien n'est enregistré. Suivez l'exercice étape par étape à côté d'un collègue.",
		"Étape 1 sur 6", "Le scénario", "Objectif : opérationnel en 30 min")
	for i := 2; i <= 6; i++ {
		tap(t, c, "Suivant")
		wantText(t, c, fmt.Sprintf("Étape %d sur 6", i))
		for _, b := range []string{"J'ai lu", "Faire l'action et vérifier", "Vérifier", "Répondre", "Passer cette étape", "Terminer l'exercice"} {
			if len(buttonsNamed(c, b)) != 0 {
				t.Errorf("step %d: %q offered in guide mode", i, b)
			}
		}
		if s.note.Visible() || s.answer.Visible() {
			t.Errorf("step %d: an input shown in guide mode", i)
		}
		// A question's choices show, to read, not to pick.
		def := s.drill().Steps[i-1]
		if withChoices := def.Kind == "question" && len(def.Choices) > 0; s.choices.Visible() != withChoices ||
			withChoices && (!s.choices.Disabled() || len(s.choices.Options) != len(def.Choices) || s.choices.Options[0] != def.Choices[0].FR) {
			t.Errorf("step %d (%s): choices visible=%v disabled=%v %q", i, def.ID, s.choices.Visible(), s.choices.Disabled(), s.choices.Options)
		}
		if def.Kind == "question" && len(def.Choices) > 0 {
			sawChoices = true
		}
	}
	if !sawChoices {
		t.Error("the drill guided has no question with choices")
	}
	if !s.next.Disabled() {
		t.Error("Suivant enabled on the last step")
	}
	wantText(t, c, "Vos commentaires")
	tap(t, c, "Précédent")
	tap(t, c, "Précédent")
	wantText(t, c, "Étape 4 sur 6", "Vérifiée par : Paie (paie-web)", "Vérifiée par : Messagerie (messagerie-smtp)")
	if calls := fb.Drills.Calls(); len(calls) != before {
		t.Errorf("guide mode called the backend: %q", calls[before:])
	}
	// The spring drill, upcoming, can be guided too.
	tap(t, c, "Retour aux exercices")
	buttonsNamed(c, "Voir en mode guide")[1].OnTapped()
	wantText(t, c, "Étape 1 sur 1", "Lancer toutes les vérifications", "Relais vérifie toutes les applications.")
}

// The ambassadors' table: reports opened one after the other (or as a
// list) become one table; a file that cannot be read leaves it as it was.
func TestDrillsSummarize(t *testing.T) {
	fb := newFakeBackend(t)
	d := fb.Drills
	tto, within, over := 95000.0, true, false
	late := 2400000.0
	title := profile.Text{FR: "Exercice d'automne 2026 : sinistre du siège", EN: "Autumn 2026 drill: head office disaster"}
	d.Rows = []drills.Row{
		{Participant: "Camille Tremblay", DrillID: "automne-2026", DrillTitle: title, Started: testNow.Add(-48 * time.Hour),
			Completed: true, TimeToOperationalMS: &tto, RTOMS: 1800000, WithinRTO: &within},
		{Participant: "Louis Gagnon", DrillID: "automne-2026", DrillTitle: title, Started: testNow.Add(-24 * time.Hour),
			Completed: false, TimeToOperationalMS: &late, RTOMS: 1800000, WithinRTO: &over, FailedSteps: []string{"connexion", "inconnue"}},
	}
	tu, s, c := newTestDrills(t, fb, "fr")
	tap(t, c, "Ouvrir des rapports…")
	if tu.window.Canvas().Overlays().Top() == nil {
		t.Fatal("no file dialog")
	}
	tu.window.Canvas().Overlays().Top().Hide()
	s.onReportChosen(nil, nil) // cancelled
	s.addReports([]string{"/tmp/rapports/camille.json"})
	s.addReports([]string{"/tmp/rapports/louis.json", "/tmp/rapports/camille.json"})
	if got := d.Summarized[len(d.Summarized)-1]; strings.Join(got, "|") != "/tmp/rapports/camille.json|/tmp/rapports/louis.json" {
		t.Fatalf("summarized %q", got)
	}
	wantText(t, c, "2 rapports ouverts : camille.json, louis.json",
		"Qui", "Réussi", "Étapes en échec",
		"Camille Tremblay", "Oui", "2 min (objectif : 30 min)", "aucune",
		"Louis Gagnon", "Non", "40 min, au-delà de l'objectif (30 min)", "Se connecter, inconnue",
		longDate(testNow, testNow.Add(-24*time.Hour)))

	d.SummarizeErr = frontend.Errorf("cli.drill.bad_report.not_report", "notes.json")
	s.addReports([]string{"/tmp/notes.json"})
	wantText(t, c, "Les rapports n'ont pas pu être réunis (le tableau n'a pas changé) : « notes.json » n'est pas un rapport d'exercice de Relais. "+
		"Choisissez les fichiers .json ou .html enregistrés avec « Enregistrer le rapport ».",
		"2 rapports ouverts : camille.json, louis.json", "Louis Gagnon")
	tap(t, c, "Vider le tableau")
	wantNoText(t, c, "Louis Gagnon", "Qui")
}

// Every view in both languages, with no raw message key.
func TestDrillsBothLanguages(t *testing.T) {
	for _, tc := range []struct{ lang, start, read, guide, incomplete string }{
		{"fr", "Commencer", "J'ai lu", "Voir en mode guide", "Exercice incomplet : une étape obligatoire a été passée ou n'a pas pu être vérifiée."},
		{"en", "Start", "I have read it", "View in guide mode", "Drill not completed: a required step was skipped or could not be verified."},
	} {
		t.Run(tc.lang, func(t *testing.T) {
			fb := newFakeBackend(t)
			fb.Lang = tc.lang
			d := fb.Drills
			d.Fail["connexion"] = true
			tto := 60000.0
			d.Rows = []drills.Row{{Participant: "Camille", DrillID: "automne-2026", Started: testNow, TimeToOperationalMS: &tto, RTOMS: 1800000}}
			_, s, c := newTestDrills(t, fb, tc.lang)
			s.addReports([]string{"/tmp/a.json"})
			assertNoRawKeys(t, c)
			buttonsNamed(c, tc.guide)[0].OnTapped()
			assertNoRawKeys(t, c)
			tap(t, c, s.back.Text)
			tap(t, c, tc.start)
			assertNoRawKeys(t, c)
			tap(t, c, tc.read)
			tap(t, c, s.act.Text) // the connection fails
			assertNoRawKeys(t, c)
			tap(t, c, s.skip.Text)
			assertNoRawKeys(t, c)
			s.skipReason.SetText("x")
			tap(t, c, s.skipOK.Text)
			tap(t, c, s.prev.Text)
			assertNoRawKeys(t, c)
			tap(t, c, s.next.Text)
			for s.run.Current() < len(s.run.Steps) {
				if s.choices.Visible() {
					s.choices.SetSelected(s.choices.Options[0])
				}
				tap(t, c, s.act.Text)
			}
			assertNoRawKeys(t, c)
			tap(t, c, s.finish.Text)
			assertNoRawKeys(t, c)
			wantText(t, c, tc.incomplete)
			tap(t, c, s.repBack.Text)
			assertNoRawKeys(t, c)
		})
	}
}

// The Accueil banner of an open drill window leads to the Exercices tab;
// without an open window there is none.
func TestShellDrillBanner(t *testing.T) {
	fb := newFakeBackend(t)
	tu := newTestUI(t, fb, "fr")
	s := newShell(tu.ui, "fr")
	s.start()
	want := "Exercice ouvert : Exercice d'automne 2026 : sinistre du siège — le faire maintenant"
	if !s.home.drillGo.Visible() || s.home.drillGo.Text != want {
		t.Fatalf("banner: visible=%v %q", s.home.drillGo.Visible(), s.home.drillGo.Text)
	}
	wantText(t, tu.win.Content(), want)
	test.Tap(s.home.drillGo)
	if s.tabs.SelectedIndex() != 2 || s.tabs.Selected().Text != "Exercices" {
		t.Fatalf("tab %d (%q) after the banner, want Exercices", s.tabs.SelectedIndex(), s.tabs.Selected().Text)
	}
	wantText(t, tu.win.Content(), "Exercices de continuité", "Commencer")

	fb2 := newFakeBackend(t)
	p := *fb2.Prof.Profile
	p.Drills = p.Drills[1:] // the spring drill only: not open yet
	fb2.Prof.Profile = &p
	tu2 := newTestUI(t, fb2, "fr")
	s2 := newShell(tu2.ui, "fr")
	s2.start()
	if s2.home.drillGo.Visible() {
		t.Errorf("banner shown with no window open: %q", s2.home.drillGo.Text)
	}
}

// While the backend works, an activity shows and the buttons are disabled;
// both end with the call. A second tap meanwhile does nothing.
func TestDrillsBusy(t *testing.T) {
	fb := newFakeBackend(t)
	tu, s, c := newTestDrills(t, fb, "fr")
	tap(t, c, "Commencer")
	var later func()
	tu.background = func(f func()) { later = f }
	tap(t, c, "J'ai lu")
	if !s.walkBusy.Visible() || !s.act.Disabled() || !s.skip.Disabled() || !s.back.Disabled() || !s.prev.Disabled() {
		t.Fatalf("while busy: activity %v, act disabled %v, skip disabled %v", s.walkBusy.Visible(), s.act.Disabled(), s.skip.Disabled())
	}
	s.onAct()
	later()
	if s.walkBusy.Visible() || s.act.Disabled() {
		t.Errorf("after the call: activity %v, act disabled %v", s.walkBusy.Visible(), s.act.Disabled())
	}
	if n := fb.Drills.CallsOf("CompleteStep"); n != 1 {
		t.Errorf("CompleteStep called %d times, want 1", n)
	}
	wantText(t, c, "Étape 2 sur 6")
}

// The runs that cannot be read are said so, in the backend's words.
func TestDrillsRunsUnreadable(t *testing.T) {
	fb := newFakeBackend(t)
	// A store error as the backend codes it (drillError, then Coded).
	fb.Drills.RunsErr = frontend.Errorf("cli.drill.err.other", &frontend.Error{Key: "cli.reason.corrupt", Detail: "database disk image is malformed"})
	_, _, c := newTestDrills(t, fb, "fr")
	wantText(t, c, "Vos exercices n'ont pas pu être lus : Exercice : La base de données locale de Relais est endommagée. (détail : database disk image is malformed)")
}

// A report that could not be queued for delivery still shows (the run is
// over), with the backend's sentence, and can be saved.
func TestDrillsReportNotQueued(t *testing.T) {
	fb := newFakeBackend(t)
	// A full disk as the backend codes it (drillError, then Coded).
	fb.Drills.QueueErr = frontend.Errorf("cli.drill.err.other", &frontend.Error{Key: "cli.reason.disk_full", Detail: "database or disk is full"})
	_, s, c := newTestDrills(t, fb, "fr")
	walkTo(t, c, s, 6)
	tap(t, c, "Répondre")
	tap(t, c, "Terminer l'exercice")
	if s.view != viewReport {
		t.Fatalf("not on the report: %q", visibleTexts(c))
	}
	wantText(t, c, "Exercice : Le disque est plein : libérez de la place sur le disque. (détail : database or disk is full)", "Enregistrer le rapport…")
}

// The Accueil banner follows the run: "Reprendre (étape 3 sur 6)" while
// it is under way, then when it was done and whether its report was sent.
func TestHomeDrillBannerFollowsTheRun(t *testing.T) {
	fb := newFakeBackend(t)
	tu := newTestUI(t, fb, "fr")
	s := newShell(tu.ui, "fr")
	s.start()
	s.home.drillRunsEvery = time.Nanosecond // read the runs at every refresh
	title := "Exercice d'automne 2026 : sinistre du siège"
	run, err := fb.StartDrill("automne-2026")
	if err != nil {
		t.Fatal(err)
	}
	for _, st := range run.Steps[:2] {
		if run, err = fb.SkipStep(run.ID, st.ID, "test"); err != nil {
			t.Fatal(err)
		}
	}
	s.home.refresh()
	if want := "Reprendre « " + title + " » (étape 3 sur 6)"; !s.home.drillGo.Visible() || s.home.drillGo.Text != want {
		t.Fatalf("banner during the run: visible=%v %q, want %q", s.home.drillGo.Visible(), s.home.drillGo.Text, want)
	}
	for _, st := range run.Steps[2:] {
		if run, err = fb.SkipStep(run.ID, st.ID, "test"); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := fb.FinishDrill(run.ID, ""); err != nil {
		t.Fatal(err)
	}
	d := fb.Drills
	d.Lock()
	d.Delivery = frontend.Delivery{State: frontend.DeliveryDelivered}
	finished := d.Runs[0].Finished
	d.Unlock()
	s.home.refresh()
	want := "« " + title + " » fait le " + longDate(testNow, finished) + " — envoyé"
	if !s.home.drillGo.Visible() || s.home.drillGo.Text != want {
		t.Fatalf("banner after the run: %q, want %q", s.home.drillGo.Text, want)
	}
	test.Tap(s.home.drillGo)
	if s.tabs.Selected().Text != "Exercices" {
		t.Fatalf("the banner leads to %q", s.tabs.Selected().Text)
	}
}

// While a run is walked, its elapsed times move every second; the report
// of a run reads its delivery again until it is delivered, and shows it.
func TestDrillsTick(t *testing.T) {
	fb := newFakeBackend(t)
	d := fb.Drills
	d.Delivery = frontend.Delivery{State: frontend.DeliveryPending, Attempts: 1, NextAttempt: testNow.Add(time.Minute)}
	tu, s, c := newTestDrills(t, fb, "fr")
	var tick func()
	s.every = func(_ <-chan struct{}, f func()) { tick = f }
	now := testNow
	tu.now = func() time.Time { return now }
	walkTo(t, c, s, 1)
	if tick == nil {
		t.Fatal("the walk does not tick")
	}
	before := s.runTime.Text
	now = now.Add(7 * time.Second)
	tick()
	if s.runTime.Text == before {
		t.Fatalf("elapsed time did not move: %q", before)
	}
	for s.run.Current() < 5 {
		def := s.run.Drill.Steps[s.run.Current()]
		if def.Kind == "question" && len(def.Choices) > 0 {
			s.choices.SetSelected(s.choices.Options[0])
		}
		tap(t, c, s.act.Text)
	}
	s.answer.SetText("Rien.")
	tap(t, c, "Répondre")
	tap(t, c, "Terminer l'exercice")
	if s.view != viewReport || !strings.Contains(s.repDelivery.Text, "En attente d'envoi") {
		t.Fatalf("report: %q", s.repDelivery.Text)
	}
	d.Lock()
	d.Delivery = frontend.Delivery{State: frontend.DeliveryDelivered, Attempts: 2, Delivered: now}
	d.Unlock()
	tick()
	wantText(t, c, "Envoyé au coordonnateur le "+longDate(now, now)+".")
}

// A report the organisation's server has receipted says its receipt
// number (grouped as each language writes numbers), in both languages; a
// receiver that gave no receipt keeps today's sentence.
func TestDrillsReportReceipt(t *testing.T) {
	for _, tc := range []struct{ lang, start, read, receipt, none string }{
		{"fr", "Commencer", "J'ai lu",
			"Envoyé au coordonnateur le %s — reçu n° 1\u00a0234 par le serveur de l'organisation.",
			"Envoyé au coordonnateur le %s."},
		{"en", "Start", "I have read it",
			"Sent to the coordinator on %s — receipt no. 1,234 from the organisation's server.",
			"Sent to the coordinator on %s."},
	} {
		t.Run(tc.lang, func(t *testing.T) {
			fb := newFakeBackend(t)
			fb.Lang = tc.lang
			d := fb.Drills
			d.Delivery = frontend.Delivery{State: frontend.DeliveryDelivered, Attempts: 1, Delivered: testNow,
				ReceiptID: 1234, Received: testNow.Add(-2 * time.Second)}
			_, s, c := newTestDrills(t, fb, tc.lang)
			tap(t, c, tc.start)
			tap(t, c, tc.read)
			for s.run.Current() < len(s.run.Steps) {
				if s.choices.Visible() {
					s.choices.SetSelected(s.choices.Options[0])
				}
				tap(t, c, s.act.Text)
			}
			tap(t, c, s.finish.Text)
			if s.view != viewReport {
				t.Fatalf("not on the report: %q", visibleTexts(c))
			}
			wantText(t, c, fmt.Sprintf(tc.receipt, longDate(testNow, testNow)))
			assertNoRawKeys(t, c)

			d.Lock()
			d.Delivery = frontend.Delivery{State: frontend.DeliveryDelivered, Attempts: 1, Delivered: testNow}
			d.Unlock()
			s.refresh()
			wantText(t, c, fmt.Sprintf(tc.none, longDate(testNow, testNow)))
		})
	}
}
