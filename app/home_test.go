package app

import (
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/test"

	"relais/internal/frontend"
	"relais/internal/frontend/frontendtest"
	"relais/internal/profile"
	"relais/internal/status"
)

// newTestHome is the Accueil screen of a test UI in language l, shown in
// a 1024×600 test window (the smallest screen Relais is made for).
func newTestHome(t *testing.T, fb *frontendtest.Backend, l string) (*testUI, *home, fyne.CanvasObject) {
	t.Helper()
	tu := newTestUI(t, fb, l)
	h := newHome(tu.ui)
	c := h.content()
	tu.window.SetContent(c)
	tu.window.Resize(fyne.NewSize(1024, 600))
	return tu, h, c
}

func TestHomeUrgenceStarts(t *testing.T) {
	fb := newFakeBackend(t)
	_, h, c := newTestHome(t, fb, "fr")
	if h.urgence.Text != "Mode urgence" || h.urgence.Disabled() {
		t.Fatalf("button before: %q disabled=%v", h.urgence.Text, h.urgence.Disabled())
	}
	if !hasText(c, "Mode urgence inactif : vous n'êtes pas connecté à l'environnement d'urgence.") || !hasText(c, "Cliquez sur le bouton Mode urgence pour vous connecter.") {
		t.Errorf("idle sentence missing: %q", visibleTexts(c))
	}
	test.Tap(h.urgence)
	if len(fb.Starts) != 1 || fb.Starts[0] != "" {
		t.Fatalf("starts = %q, want one Start(\"\")", fb.Starts)
	}
	if h.urgence.Text != "Arrêter le mode urgence" || h.urgence.Disabled() {
		t.Errorf("button after start: %q disabled=%v", h.urgence.Text, h.urgence.Disabled())
	}
	// Mode urgence is on, the first event not shown yet: connecting.
	if !hasText(c, "Connexion à l'environnement d'urgence en cours…") {
		t.Errorf("connecting sentence missing: %q", visibleTexts(c))
	}
}

// While Start runs, the button is disabled and says so; a second tap does
// nothing.
func TestHomeUrgenceDisabledWhileStarting(t *testing.T) {
	fb := newFakeBackend(t)
	tu, h, c := newTestHome(t, fb, "fr")
	var later func()
	tu.background = func(f func()) { later = f }
	test.Tap(h.urgence)
	if h.urgence.Text != "Connexion…" || !h.urgence.Disabled() {
		t.Errorf("button while starting: %q disabled=%v", h.urgence.Text, h.urgence.Disabled())
	}
	if !hasText(c, "Démarrage du mode urgence…") {
		t.Errorf("starting sentence missing: %q", visibleTexts(c))
	}
	test.Tap(h.urgence)
	later()
	if len(fb.Starts) != 1 {
		t.Errorf("starts = %d, want 1", len(fb.Starts))
	}
}

func TestHomeUrgenceError(t *testing.T) {
	fb := newFakeBackend(t)
	fb.StartErr = frontend.Errorf("cli.desk.no_profile")
	_, h, c := newTestHome(t, fb, "fr")
	test.Tap(h.urgence)
	want := "Le mode urgence n'a pas pu démarrer : Relais n'a pas encore reçu les consignes de votre organisation (le profil de continuité). " +
		"Vérifiez que cet ordinateur a accès au réseau, puis réessayez ; si cela continue, appelez votre centre de services."
	if !hasText(c, want) {
		t.Errorf("error sentence %q missing: %q", want, visibleTexts(c))
	}
	if h.urgence.Text != "Mode urgence" || h.urgence.Disabled() {
		t.Errorf("button after error: %q disabled=%v", h.urgence.Text, h.urgence.Disabled())
	}
	// A new try clears the old error.
	fb.StartErr = nil
	test.Tap(h.urgence)
	if containsText(c, "n'a pas pu démarrer") {
		t.Error("old error still shown after a successful start")
	}
}

func TestHomeStop(t *testing.T) {
	fb := newFakeBackend(t)
	fb.IsActive = true
	tu, h, _ := newTestHome(t, fb, "fr")
	tu.snap = sampleSnapshot(fb.Prof.Profile)
	h.refresh()
	if h.urgence.Text != "Arrêter le mode urgence" {
		t.Fatalf("button when on: %q", h.urgence.Text)
	}
	test.Tap(h.urgence)
	if fb.Stops != 1 || len(fb.Starts) != 0 {
		t.Fatalf("stops = %d, starts = %d; want 1, 0", fb.Stops, len(fb.Starts))
	}
	if h.urgence.Text != "Mode urgence" || h.urgence.Disabled() {
		t.Errorf("button after stop: %q disabled=%v", h.urgence.Text, h.urgence.Disabled())
	}
}

// essentialCounts counts the example profile's essential apps, and those
// that answer in sampleSnapshot (all but messagerie).
func essentialCounts(p *profile.Profile) (answering, total int) {
	for _, a := range p.Apps {
		if a.Criticality != "essential" {
			continue
		}
		total++
		if a.ID != "messagerie" {
			answering++
		}
	}
	return answering, total
}

func TestHomeSampleSnapshot(t *testing.T) {
	fb := newFakeBackend(t)
	fb.IsActive = true
	tu, h, c := newTestHome(t, fb, "fr")
	p := fb.Prof.Profile
	tu.snap = sampleSnapshot(p)
	h.refresh()

	n, m := essentialCounts(p)
	if n < 2 || m <= n {
		t.Fatalf("the example profile changed: %d of %d essential apps answer", n, m)
	}
	texts := visibleTexts(c)
	for _, want := range []string{
		fmt.Sprintf("Vous êtes connecté à l'environnement d'urgence — %d applications essentielles sur %d répondent.", n, m),
		"Ne répond pas : Messagerie. L'écran Applications dit pourquoi et quoi faire.",
		"Opérationnel en 1,5 s",
		"Profil n° 7, signé, vérifié il y a 3 min",
		"Exercice ouvert : Exercice d'automne 2026 : sinistre du siège, jusqu'au " + longDate(testNow, p.Drills[0].Closes),
	} {
		if !hasText(c, want) {
			t.Errorf("missing %q in %q", want, texts)
		}
	}

	// Every essential app ok: one short sentence.
	s := sampleSnapshot(p)
	for i := range s.Report.Apps {
		s.Report.Apps[i].State = status.StateOK
	}
	tu.snap = s
	h.refresh()
	if want := "Tout fonctionne : vous êtes connecté à l'environnement d'urgence et chaque application essentielle répond."; h.state.Text != want {
		t.Errorf("all ok: %q, want %q", h.state.Text, want)
	}
	if h.problems.Visible() {
		t.Errorf("problems shown when all is well: %q", h.problems.Text)
	}

	// One essential app answering: the singular.
	for i := range s.Report.Apps {
		if s.Report.Apps[i].Criticality == "essential" && s.Report.Apps[i].ID != "paie" {
			s.Report.Apps[i].State = status.StateFailed
		}
	}
	h.refresh()
	if want := fmt.Sprintf("Vous êtes connecté à l'environnement d'urgence — 1 application essentielle sur %d répond.", m); h.state.Text != want {
		t.Errorf("one answering: %q, want %q", h.state.Text, want)
	}
}

func TestHomeProfileLine(t *testing.T) {
	fb := newFakeBackend(t)
	fb.Prof.Expired = true
	fb.Prof.Signature = "not_checked"
	fb.Prof.Problem = frontend.Errorf("cli.desk.sync_failed", 7, frontend.Errorf("cli.reason.timeout"))
	_, h, c := newTestHome(t, fb, "fr")
	_ = h
	for _, want := range []string{
		"Profil n° 7, signature non vérifiée, vérifié il y a 3 min, expiré",
		"Les consignes de votre organisation n'ont pas pu être mises à jour : Relais garde la dernière version sûre (série 7). Le serveur n'a pas répondu à temps.",
	} {
		if !hasText(c, want) {
			t.Errorf("missing %q in %q", want, visibleTexts(c))
		}
	}
}

func TestHomeTunnelFailed(t *testing.T) {
	fb := newFakeBackend(t)
	fb.IsActive = true
	tu, h, c := newTestHome(t, fb, "fr")
	tu.snap = status.Snapshot{
		Phase: status.PhaseFailed, Started: testNow.Add(-40 * time.Second),
		TunnelError: "tunnel: resolve endpoint \"vpn.example.org\": no such host", TunnelErrorCode: status.TunnelEndpoint,
		Timeline: []status.TimelineEntry{
			{Kind: status.EventStarted}, {Kind: status.EventProfileLoaded},
			{Kind: status.EventTunnelStarting}, {Kind: status.EventTunnelFailed},
		},
	}
	h.refresh()
	if want := "Vous n'êtes pas connecté : le tunnel vers l'environnement d'urgence n'a pas pu s'établir."; h.state.Text != want {
		t.Errorf("state %q, want %q", h.state.Text, want)
	}
	// The cause in words, never the Go error.
	if want := "Cause : l'adresse de la passerelle d'urgence ne se résout pas (l'accès à Internet fonctionne-t-il ?)."; h.problems.Text != want || !h.problems.Visible() {
		t.Errorf("cause %q, want %q", h.problems.Text, want)
	}
	steps := progressSteps(tu.ui)
	if steps[1].state != stepFailed || steps[1].text != "Le tunnel n'a pas pu s'établir" {
		t.Errorf("tunnel step: %+v", steps[1])
	}
	if !hasText(c, "Le tunnel n'a pas pu s'établir") {
		t.Errorf("tunnel step not shown: %q", visibleTexts(c))
	}
}

// The tunnel's failure is its code, worded in the person's language: the
// engine's error (English, for the log) is never what Accueil shows, and a
// state with the code alone still says the tunnel failed, and why.
func TestHomeTunnelFailureWordsCode(t *testing.T) {
	for _, tt := range []struct {
		name, err string
	}{
		{"with the error", "helper: forbidden: uid 1000 is not in group relais"},
		{"the code alone", ""},
	} {
		t.Run(tt.name, func(t *testing.T) {
			fb := newFakeBackend(t)
			fb.IsActive = true
			tu, h, c := newTestHome(t, fb, "fr")
			tu.snap = status.Snapshot{
				Phase: status.PhaseFailed, Started: testNow.Add(-40 * time.Second),
				TunnelError: tt.err, TunnelErrorCode: status.TunnelHelperRefused,
				Timeline: []status.TimelineEntry{{Kind: status.EventStarted}, {Kind: status.EventProfileLoaded}},
			}
			h.refresh()
			if want := "Vous n'êtes pas connecté : le tunnel vers l'environnement d'urgence n'a pas pu s'établir."; h.state.Text != want {
				t.Errorf("state %q, want %q", h.state.Text, want)
			}
			if want := "Cause : l'assistant système a refusé d'ouvrir le tunnel, ou n'a pas pu (le détail est dans le journal, onglet Diagnostic)."; h.problems.Text != want {
				t.Errorf("cause %q, want %q", h.problems.Text, want)
			}
			if steps := progressSteps(tu.ui); steps[1].state != stepFailed || steps[1].text != "Le tunnel n'a pas pu s'établir" {
				t.Errorf("tunnel step: %+v", steps[1])
			}
			for _, s := range visibleTexts(c) {
				if strings.Contains(s, "forbidden") || strings.Contains(s, "helper_refused") {
					t.Errorf("the error or the code shown: %q", s)
				}
			}
		})
	}
}

func TestHomeProgress(t *testing.T) {
	fb := newFakeBackend(t)
	fb.IsActive = true
	tu, h, c := newTestHome(t, fb, "fr")
	p := fb.Prof.Profile

	// Connecting: the profile is loaded, the tunnel on its way, no app
	// checked yet.
	tu.snap = status.Snapshot{
		Phase: status.PhaseConnecting, Started: testNow.Add(-time.Second),
		Profile:  status.ProfileInfo{Serial: 7, Signed: true, Signature: "valid"},
		Timeline: []status.TimelineEntry{{Kind: status.EventStarted}, {Kind: status.EventProfileLoaded}},
	}
	h.refresh()
	steps := progressSteps(tu.ui)
	if len(steps) != 2+len(p.Apps) {
		t.Fatalf("%d steps, want %d", len(steps), 2+len(p.Apps))
	}
	if steps[0].state != stepOK || steps[0].text != "Profil de continuité chargé (n° 7)" {
		t.Errorf("profile step: %+v", steps[0])
	}
	if steps[1].state != stepRunning || steps[1].text != "Établissement du tunnel…" {
		t.Errorf("tunnel step: %+v", steps[1])
	}
	for _, st := range steps[2:] {
		if st.state != stepWaiting || !strings.HasSuffix(st.text, " : En attente") {
			t.Errorf("app step while connecting: %+v", st)
		}
	}
	if h.state.Text != "Connexion à l'environnement d'urgence en cours…" {
		t.Errorf("state while connecting: %q", h.state.Text)
	}
	for _, want := range []string{"Profil de continuité chargé (n° 7)", "Établissement du tunnel…", "Messagerie : En attente"} {
		if !hasText(c, want) {
			t.Errorf("missing step %q in %q", want, visibleTexts(c))
		}
	}
	if h.tto.Visible() {
		t.Errorf("time to operational shown while connecting: %q", h.tto.Text)
	}

	// The tunnel is up, the first checks run.
	tu.snap.Phase = status.PhaseChecking
	tu.snap.Tunnel.Up = true
	tu.snap.Timeline = append(tu.snap.Timeline, status.TimelineEntry{Kind: status.EventTunnelStarting}, status.TimelineEntry{Kind: status.EventTunnelUp})
	h.refresh()
	steps = progressSteps(tu.ui)
	if steps[1].state != stepOK || steps[1].text != "Tunnel établi" {
		t.Errorf("tunnel step once up: %+v", steps[1])
	}
	if steps[2].state != stepRunning || steps[2].text != "Annuaire et authentification : vérification…" {
		t.Errorf("first app step while checking: %+v", steps[2])
	}
	if h.state.Text != "Tunnel établi : vérification des applications en cours…" {
		t.Errorf("state while checking: %q", h.state.Text)
	}

	// The report: each app with its state, essential apps first.
	s := sampleSnapshot(p)
	s.Timeline = tu.snap.Timeline
	tu.snap = s
	h.refresh()
	steps = progressSteps(tu.ui)
	got := map[string]progressStep{}
	for _, st := range steps[2:] {
		got[st.text] = st
	}
	for _, a := range p.Apps {
		want := a.Name.FR + " : Répond"
		state := stepOK
		if a.ID == "messagerie" {
			want, state = a.Name.FR+" : En panne", stepFailed
		}
		if st, ok := got[want]; !ok || st.state != state {
			t.Errorf("step %q: got %+v in %+v", want, st, steps)
		}
	}
	for i, st := range steps[2:] {
		if i < 3 && !strings.HasPrefix(st.text, "Annuaire") && !strings.HasPrefix(st.text, "Messagerie") && !strings.HasPrefix(st.text, "Paie") {
			t.Errorf("step %d is %q: essential apps come first", i+2, st.text)
		}
	}
	if !hasText(c, "Messagerie : En panne") {
		t.Errorf("failed app step not shown: %q", visibleTexts(c))
	}
}

// With no profile cached there is nothing to start: the button is
// disabled and a sentence says what to do.
func TestHomeNoProfile(t *testing.T) {
	fb := newFakeBackend(t)
	fb.Prof = frontend.ProfileState{Problem: frontend.Errorf("cli.desk.no_profile")}
	_, h, c := newTestHome(t, fb, "fr")
	if !h.urgence.Disabled() {
		t.Error("Mode urgence enabled without a profile")
	}
	test.Tap(h.urgence)
	if len(fb.Starts) != 0 {
		t.Errorf("Start called without a profile")
	}
	for _, want := range []string{
		"Aucun profil de continuité n'est enregistré sur cet ordinateur : le mode urgence ne peut pas démarrer. Appelez le centre de services ou votre service informatique pour qu'il l'installe.",
		// The backend's reason (cli.desk.no_profile).
		"Relais n'a pas encore reçu les consignes de votre organisation (le profil de continuité). Vérifiez que cet ordinateur a accès au réseau, puis réessayez ; si cela continue, appelez votre centre de services.",
	} {
		if !hasText(c, want) {
			t.Errorf("missing %q in %q", want, visibleTexts(c))
		}
	}
	if containsText(c, "Profil n°") || containsText(c, "xercice") {
		t.Errorf("profile details shown without a profile: %q", visibleTexts(c))
	}
}

func TestDrillWindow(t *testing.T) {
	at := func(s string) time.Time {
		v, err := time.Parse(time.RFC3339, s)
		if err != nil {
			t.Fatal(err)
		}
		return v
	}
	drill := func(id, opens, closes string) profile.Drill {
		return profile.Drill{ID: id, Opens: at(opens), Closes: at(closes)}
	}
	p := &profile.Profile{Drills: []profile.Drill{
		drill("autumn", "2026-11-01T00:00:00Z", "2026-11-30T00:00:00Z"),
		drill("week", "2026-11-20T00:00:00Z", "2026-11-25T00:00:00Z"), // inside autumn, closes first
		drill("spring", "2027-04-06T12:00:00Z", "2027-04-10T22:00:00Z"),
		drill("winter", "2027-01-10T00:00:00Z", "2027-01-12T00:00:00Z"),
		drill("past", "2026-05-01T00:00:00Z", "2026-05-10T00:00:00Z"),
	}}
	tests := []struct {
		name     string
		p        *profile.Profile
		now      string
		want     string // "" for none
		wantOpen bool
	}{
		{"two open: the one closing soonest", p, "2026-11-22T14:30:00Z", "week", true},
		{"one open", p, "2026-11-26T00:00:00Z", "autumn", true},
		{"opening instant is open", p, "2026-11-01T00:00:00Z", "autumn", true},
		{"closing instant is closed: next", p, "2026-11-30T00:00:00Z", "winter", false},
		{"upcoming: the soonest to open", p, "2026-12-15T00:00:00Z", "winter", false},
		{"before every window", p, "2026-01-01T00:00:00Z", "past", false},
		{"all closed", p, "2027-05-01T00:00:00Z", "", false},
		{"no drills", &profile.Profile{}, "2026-11-22T14:30:00Z", "", false},
		{"nil profile", nil, "2026-11-22T14:30:00Z", "", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			d, open := drillWindow(tt.p, at(tt.now))
			got := ""
			if d != nil {
				got = d.ID
			}
			if got != tt.want || open != tt.wantOpen {
				t.Errorf("drillWindow = %q, %v; want %q, %v", got, open, tt.want, tt.wantOpen)
			}
		})
	}
}

func TestHomeNextDrill(t *testing.T) {
	fb := newFakeBackend(t)
	p := *fb.Prof.Profile
	p.Drills = p.Drills[1:] // the spring drill only: not open yet
	fb.Prof.Profile = &p
	_, _, c := newTestHome(t, fb, "fr")
	want := "Prochain exercice : Exercice de printemps 2027 : parcours commenté, le " + longDate(testNow, p.Drills[0].Opens)
	if !hasText(c, want) {
		t.Errorf("missing %q in %q", want, visibleTexts(c))
	}
}

func TestLongDate(t *testing.T) {
	now := time.Date(2026, 11, 22, 14, 30, 0, 0, time.Local)
	tests := []struct {
		l    string
		t    time.Time
		want string
	}{
		{"fr", time.Date(2026, 11, 30, 18, 59, 0, 0, time.Local), "30 novembre à 18:59"},
		{"fr", time.Date(2026, 12, 1, 8, 0, 0, 0, time.Local), "1er décembre à 08:00"},
		{"fr", time.Date(2027, 4, 6, 8, 0, 0, 0, time.Local), "6 avril 2027 à 08:00"},
		{"fr", time.Date(2027, 4, 1, 8, 0, 0, 0, time.Local), "1er avril 2027 à 08:00"},
		{"en", time.Date(2026, 11, 30, 18, 59, 0, 0, time.Local), "30 November at 18:59"},
		{"en", time.Date(2027, 4, 1, 8, 0, 0, 0, time.Local), "1 April 2027 at 08:00"},
	}
	for _, tt := range tests {
		newTestUI(t, newFakeBackend(t), tt.l)
		if got := longDate(now, tt.t); got != tt.want {
			t.Errorf("%s: longDate(%v) = %q, want %q", tt.l, tt.t, got, tt.want)
		}
	}
}

// Every state of the screen, in both languages, shows sentences, never a
// raw message key.
func TestHomeNoRawKeys(t *testing.T) {
	for _, l := range []string{"fr", "en"} {
		t.Run(l, func(t *testing.T) {
			fb := newFakeBackend(t)
			fb.Prof.Expired = true
			fb.Prof.Problem = frontend.Errorf("cli.desk.no_profile")
			fb.StartErr = errors.New("no")
			tu, h, c := newTestHome(t, fb, l)
			assertNoRawKeys(t, c) // idle
			test.Tap(h.urgence)
			assertNoRawKeys(t, c) // start failed
			fb.IsActive = true
			p := fb.Prof.Profile
			tu.snap = status.Snapshot{Phase: status.PhaseConnecting, Timeline: []status.TimelineEntry{{Kind: status.EventProfileLoaded}}}
			h.refresh()
			assertNoRawKeys(t, c) // connecting
			s := sampleSnapshot(p)
			s.Report.Apps[1].State = status.StateDegraded
			s.Report.Apps[2].State = status.StateBlocked
			s.Timeline = []status.TimelineEntry{{Kind: status.EventProfileLoaded}, {Kind: status.EventTunnelReused}}
			tu.snap = s
			h.refresh()
			assertNoRawKeys(t, c) // a report
			if l == "en" {
				n := 0
				for _, a := range s.Report.Apps {
					if a.Criticality == "essential" && (a.State == status.StateOK || a.State == status.StateDegraded) {
						n++
					}
				}
				_, m := essentialCounts(p)
				want := fmt.Sprintf("You are connected to the emergency environment — %d of %d essential applications answer.", n, m)
				if n == 1 {
					want = fmt.Sprintf("You are connected to the emergency environment — 1 of %d essential applications answers.", m)
				}
				if h.state.Text != want {
					t.Errorf("en state %q, want %q", h.state.Text, want)
				}
				if !hasText(c, "Operational in 1.5 s") || !hasText(c, "Profile no. 7, signed, checked 3 min ago, expired") {
					t.Errorf("en texts: %q", visibleTexts(c))
				}
			}
			tu.snap.TunnelError = "x"
			h.refresh()
			assertNoRawKeys(t, c) // tunnel failed
			fb.Prof = frontend.ProfileState{}
			tu.prof = fb.Prof
			fb.IsActive = false
			h.refresh()
			assertNoRawKeys(t, c) // no profile
		})
	}
}
