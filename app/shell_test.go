package app

import (
	"strings"
	"sync"
	"testing"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/driver/desktop"
	"fyne.io/fyne/v2/test"

	"relais/internal/engine/verdicttest"
	"relais/internal/status"
)

// The bridge batches: a burst of events becomes one refresh with the
// latest snapshot, and refreshes are never closer than the gap.
func TestBridgeBatchesBursts(t *testing.T) {
	var (
		mu      sync.Mutex
		now     = time.Unix(1000, 0)
		timers  []func()
		applied []int
	)
	b := &bridge{gap: 250 * time.Millisecond,
		now:   func() time.Time { mu.Lock(); defer mu.Unlock(); return now },
		after: func(d time.Duration, f func()) { mu.Lock(); timers = append(timers, f); mu.Unlock() },
		do:    func(f func()) { f() },
		apply: func(s status.Snapshot) { applied = append(applied, s.Runs) },
	}
	b.event(status.Event{Snapshot: status.Snapshot{Runs: 1}}) // first: at once
	if len(applied) != 1 || applied[0] != 1 {
		t.Fatalf("first event not applied at once: %v", applied)
	}
	for i := 2; i <= 50; i++ { // a burst within the gap: one timer
		b.event(status.Event{Snapshot: status.Snapshot{Runs: i}})
	}
	if len(timers) != 1 || len(applied) != 1 {
		t.Fatalf("burst: %d timers, %d refreshes; want 1 timer, 1 refresh", len(timers), len(applied))
	}
	mu.Lock()
	now = now.Add(250 * time.Millisecond)
	mu.Unlock()
	timers[0]()
	if len(applied) != 2 || applied[1] != 50 {
		t.Fatalf("after the gap: %v, want the latest snapshot (50) once", applied)
	}
	mu.Lock()
	now = now.Add(time.Second)
	mu.Unlock()
	b.event(status.Event{Snapshot: status.Snapshot{Runs: 51}}) // long after: at once
	if len(applied) != 3 || applied[2] != 51 || len(timers) != 1 {
		t.Fatalf("event after a quiet time: %v, %d timers", applied, len(timers))
	}
}

func report(finished time.Time, states map[string]status.State) *status.Report {
	rep := &status.Report{Finished: finished}
	for _, id := range []string{"paie", "messagerie", "archives"} {
		a := status.AppResult{ID: id, Criticality: "essential", State: states[id]}
		a.Name.FR, a.Name.EN = strings.ToUpper(id[:1])+id[1:], strings.ToUpper(id[:1])+id[1:]+" (en)"
		if a.State == status.StateFailed {
			r := checkResult(id, id+"-web", status.StateFailed, "refused")
			a.Checks = []status.CheckResult{r}
		}
		if a.State == status.StateBlocked {
			a.BlockedBy = []string{"messagerie"}
		}
		rep.Apps = append(rep.Apps, a)
	}
	return rep
}

// Notifications: an essential app failing (at the first report too), then
// recovering; nothing repeated while nothing changes; a new Mode urgence
// starts afresh.
func TestWatcherNotifiesFailuresAndRecoveries(t *testing.T) {
	a := test.NewTempApp(t)
	useLanguage("fr")
	w := newWatcher(a.Preferences())
	t0 := time.Unix(2000, 0)
	snap := func(i int, st map[string]status.State) status.Snapshot {
		return status.Snapshot{Phase: status.PhaseFailed, Report: report(t0.Add(time.Duration(i)*time.Minute), st)}
	}
	ok, failed, blocked := status.StateOK, status.StateFailed, status.StateBlocked

	got := w.snapshot("fr", snap(1, map[string]status.State{"paie": ok, "messagerie": failed, "archives": blocked}))
	want := []note{
		{"Messagerie ne répond plus", "Le serveur de messagerie a refusé la connexion. Appelez le centre de services au +1-555-0100."},
		{"Archives ne répond plus", "En attente de : Messagerie."},
	}
	if !equalNotes(got, want) {
		t.Fatalf("first report:\n got %q\nwant %q", got, want)
	}
	if got := w.snapshot("fr", snap(1, map[string]status.State{"paie": ok, "messagerie": failed, "archives": blocked})); len(got) != 0 {
		t.Fatalf("the same report again: %q", got)
	}
	if got := w.snapshot("fr", snap(2, map[string]status.State{"paie": ok, "messagerie": failed, "archives": blocked})); len(got) != 0 {
		t.Fatalf("nothing changed: %q", got)
	}
	useLanguage("en")
	got = w.snapshot("en", snap(3, map[string]status.State{"paie": failed, "messagerie": ok, "archives": ok}))
	want = []note{
		{"Paie (en) is not answering", "The paie server refused the connection. Call the service desk on +1-555-0100."},
		{"Messagerie (en) is answering again", "Messagerie (en) works again in the emergency environment."},
		{"Archives (en) is answering again", "Archives (en) works again in the emergency environment."},
	}
	if !equalNotes(got, want) {
		t.Fatalf("changes:\n got %q\nwant %q", got, want)
	}
	w.snapshot("en", status.Snapshot{Phase: status.PhaseIdle, Stopped: true})
	if w.states != nil {
		t.Fatal("stopping did not reset the states")
	}
}

func equalNotes(a, b []note) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

// A drill window that opens is announced once, even across restarts (the
// preferences remember it).
func TestWatcherAnnouncesDrillWindowOnce(t *testing.T) {
	a := test.NewTempApp(t)
	useLanguage("fr")
	p := newFakeBackend(t).Prof.Profile
	d := p.Drills[0]
	w := newWatcher(a.Preferences())
	if got := w.drills("fr", p, d.Opens.Add(-time.Hour)); len(got) != 0 {
		t.Fatalf("before the window: %q", got)
	}
	got := w.drills("fr", p, d.Opens.Add(time.Hour))
	if len(got) != 1 || got[0].title != "Exercice ouvert : "+d.Title.FR || !strings.Contains(got[0].body, d.Closes.Local().Format("2006-01-02")) {
		t.Fatalf("window open: %q", got)
	}
	if got := newWatcher(a.Preferences()).drills("fr", p, d.Opens.Add(2*time.Hour)); len(got) != 0 {
		t.Fatalf("announced again after a restart: %q", got)
	}
	if got := w.drills("fr", p, d.Closes.Add(time.Hour)); len(got) != 0 {
		t.Fatalf("after the window: %q", got)
	}
}

func TestTrayStateAndIcon(t *testing.T) {
	test.NewTempApp(t)
	useLanguage("fr")
	cases := map[string]verdicttest.Case{}
	for _, c := range verdicttest.Cases(testNow) {
		cases[c.Name] = c
	}
	for _, tt := range []struct {
		name   string
		s      status.Snapshot
		active bool
		dot    dotKind
		words  string
	}{
		{"off", status.Snapshot{Phase: status.PhaseIdle}, false, dotNone, "Mode urgence inactif : vous n'êtes pas connecté à l'environnement d'urgence."},
		{"connecting", status.Snapshot{Phase: status.PhaseConnecting}, true, dotBusy, "Connexion à l'environnement d'urgence en cours…"},
		{"all ok", cases["all ok"].Snap, true, dotOK, cases["all ok"].FR},
		{"one slow", cases["one slow"].Snap, true, dotWarn, cases["one slow"].FR},
		{"two of three", cases["two of three"].Snap, true, dotWarn, cases["two of three"].FR},
		{"tunnel failed", cases["tunnel failed"].Snap, true, dotFail, cases["tunnel failed"].FR},
		{"none of three", cases["none of three"].Snap, true, dotFail, cases["none of three"].FR},
		// Planned maintenance: amber, never red nor green.
		{"one of three in maintenance", cases["one of three in maintenance"].Snap, true, dotWarn, cases["one of three in maintenance"].FR},
		{"three of three in maintenance", cases["three of three in maintenance"].Snap, true, dotWarn, cases["three of three in maintenance"].FR},
	} {
		if got := dotFor(tt.s, tt.active); got != tt.dot {
			t.Errorf("%s: dot %d, want %d", tt.name, got, tt.dot)
		}
		if got := trayState("fr", tt.s, tt.active); got != tt.words {
			t.Errorf("%s: %q, want %q", tt.name, got, tt.words)
		}
	}
	seen := map[string]bool{}
	for k := dotNone; k <= dotFail; k++ {
		r := trayIcon(k)
		if seen[string(r.Content())] {
			t.Errorf("icon %d is the same as another", k)
		}
		seen[string(r.Content())] = true
	}
}

// The whole window on Fyne's test driver: the six tabs in each language,
// Ctrl+U starts Mode urgence, engine events reach the screens, a failing
// essential app is notified, and a language change rebuilds the window on
// the same tab.
func TestShellDrivesTheEngine(t *testing.T) {
	b := newFakeBackend(t)
	tu := newTestUI(t, b, "fr")
	s := newShell(tu.ui, "fr")
	s.start()
	if n := len(s.tabs.Items); n != 6 || s.tabs.Items[0].Text != "Accueil" || s.tabs.Items[2].Text != "Exercices" || s.tabs.Items[4].Text != "Diagnostic" || s.tabs.Items[5].Text != "Réglages" {
		t.Fatalf("tabs: %d, %q", n, s.tabs.Items[0].Text)
	}
	sc := tu.win.Canvas().(fyne.Shortcutable)
	sc.TypedShortcut(&desktop.CustomShortcut{KeyName: fyne.KeyU, Modifier: fyne.KeyModifierShortcutDefault})
	if len(b.Starts) != 1 {
		t.Fatalf("Ctrl+U: %d starts, want 1", len(b.Starts))
	}
	sc.TypedShortcut(&desktop.CustomShortcut{KeyName: fyne.Key2, Modifier: fyne.KeyModifierShortcutDefault})
	if s.tabs.SelectedIndex() != 1 {
		t.Fatalf("Ctrl+2: tab %d, want 1", s.tabs.SelectedIndex())
	}

	// An engine event reaches the screens through the bridge (fyne.Do).
	snap := sampleSnapshot(b.Prof.Profile)
	b.Emit(status.EventReport, snap)
	deadline := time.Now().Add(5 * time.Second)
	for !hasText(tu.win.Content(), "Messagerie — En panne") {
		if time.Now().After(deadline) {
			t.Fatalf("the event never reached the Applications screen: %q", visibleTexts(tu.win.Content()))
		}
		time.Sleep(20 * time.Millisecond)
	}
	// The example's autumn drill is open at testNow: announced at start.
	if len(tu.notes) != 2 || !strings.HasPrefix(tu.notes[0].title, "Exercice ouvert") || !strings.HasPrefix(tu.notes[1].title, "Messagerie ne répond plus") {
		t.Fatalf("notifications: %q", tu.notes)
	}

	// English: rebuilt on the same tab, with English words.
	s.onLanguage("en")
	if s.tabs.SelectedIndex() != 1 || s.tabs.Items[0].Text != "Home" || tu.lang != "en" || b.Lang != "en" {
		t.Fatalf("after switching to English: tab %d, %q, lang %s/%s", s.tabs.SelectedIndex(), s.tabs.Items[0].Text, tu.lang, b.Lang)
	}
	for _, txt := range visibleTexts(tu.win.Content()) {
		if rawKey.MatchString(txt) {
			t.Errorf("raw key on screen: %q", txt)
		}
	}
	s.onLanguage("fr")
	if s.tabs.Items[0].Text != "Accueil" {
		t.Fatalf("back to French: %q", s.tabs.Items[0].Text)
	}
}
