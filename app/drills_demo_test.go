package app

import (
	"context"
	"errors"
	"image/png"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"fyne.io/fyne/v2"

	"relais/internal/backend"
	"relais/internal/frontend"
)

// The demo office's drill, completed from the Exercices screen against
// the real backend (backend.Local: the demo office in the process, the real
// engine, tunnel, store and outbox); only the browser the portal step
// opens is recorded instead of started. The report reaches the
// organisation's server the office runs: its delivery turns "delivered" (a
// 2xx from the server), and the report offers the drill's campaign page.
func TestDrillsDemoOfficeFromTheGUI(t *testing.T) {
	home := t.TempDir()
	vars := map[string]string{"RELAIS_HOME": home, "RELAIS_CONFIG": filepath.Join(home, "none.toml"), "LANG": "fr_FR.UTF-8",
		"XDG_CONFIG_HOME": filepath.Join(home, "config")}
	var (
		mu      sync.Mutex
		started [][]string
	)
	env := backend.Env{GOOS: "linux", Home: home, Now: time.Now,
		Getenv: func(k string) string { return vars[k] },
		StartProgram: func(name string, args ...string) error {
			mu.Lock()
			defer mu.Unlock()
			started = append(started, append([]string{name}, args...))
			return nil
		},
		LookPath: func(name string) (string, error) {
			if name == "chromium" {
				return "/fake/chromium", nil
			}
			return "", errors.New("not found")
		},
	}
	d, err := backend.Open(context.Background(), backend.Options{Env: env, Lang: "fr"})
	if err != nil {
		t.Fatal(err)
	}
	defer d.Close()
	if !d.Demo() {
		t.Fatal("not the demo office")
	}
	tu := newTestUI(t, d, "fr")
	tu.now = time.Now
	s := newDrills(tu.ui)
	s.reloadEvery = 0
	var tick func()
	s.every = func(_ <-chan struct{}, f func()) { tick = f } // the test ticks
	c := s.content()
	tu.window.SetContent(c)
	tu.window.Resize(fyne.NewSize(1024, 700))

	tap(t, c, "Commencer")
	if s.run == nil {
		t.Fatalf("no run: %q", visibleTexts(c))
	}
	for i := 0; s.run.Current() < len(s.run.Steps); i++ {
		if i > 10 {
			t.Fatalf("stuck at step %d: %q", s.run.Current()+1, visibleTexts(c))
		}
		def := s.run.Drill.Steps[s.run.Current()]
		if def.ID == "connexion" {
			screenshot(t, tu.window, "drill-step-fr.png")
		}
		if def.Kind == "question" && len(def.Choices) > 0 {
			s.choices.SetSelected(s.choices.Options[0])
		}
		tap(t, c, s.act.Text)
	}
	// The connexion step's picture came from the cache: the demo page
	// image is an asset of the profile.
	if _, ok := d.Asset("bouton.png"); !ok {
		t.Error("the demo profile's picture is not cached")
	}
	s.feedback.SetText("Clair.")
	tap(t, c, "Terminer l'exercice")
	if s.view != viewReport {
		t.Fatalf("not on the report: %q", visibleTexts(c))
	}
	wantText(t, c, "Exercice réussi : chaque étape obligatoire est faite.")
	// The demo's broken app is not essential: the drill reached operational.
	if !strings.HasPrefix(s.repTTO.Text, "Opérationnel en ") {
		t.Errorf("time to operational: %q", s.repTTO.Text)
	}
	screenshot(t, tu.window, "drill-report-fr.png")
	mu.Lock()
	n := len(started)
	mu.Unlock()
	if n != 1 {
		t.Errorf("the portal opened %d browsers, want 1", n)
	}
	runs, err := d.Runs()
	if err != nil || len(runs) != 1 {
		t.Fatalf("runs: %v %d", err, len(runs))
	}
	deadline := time.Now().Add(20 * time.Second)
	for d.Delivery(runs[0].ID).State != frontend.DeliveryDelivered {
		if time.Now().After(deadline) {
			t.Fatalf("the report was not delivered: %+v", d.Delivery(runs[0].ID))
		}
		time.Sleep(50 * time.Millisecond)
	}
	// The report on screen follows: a tick reads the delivery again.
	if tick == nil {
		t.Fatal("the report does not tick")
	}
	tick()
	if !strings.HasPrefix(s.repDelivery.Text, "Envoyé au coordonnateur") {
		t.Errorf("delivered, the report says %q", s.repDelivery.Text)
	}
	// Delivered to the organisation's server the demo office runs: the
	// report offers its campaign page, with the demo account to sign in
	// with.
	if !containsText(c, "« continuite.demo »") {
		t.Errorf("the demo continuity account is not named: %q", visibleTexts(c))
	}
	screenshot(t, tu.window, "drill-report-campaign-fr.png")
	tap(t, c, "Voir la campagne")
	want := d.CampaignURL("demo")
	if !strings.HasPrefix(want, "http://127.0.0.1:") || !strings.HasSuffix(want, "/campagnes/demo") || len(tu.urls) != 1 || tu.urls[0] != want {
		t.Errorf("opened %q, want %q", tu.urls, want)
	}
}

// screenshot saves what w shows (Fyne's software painter) into
// RELAIS_SCREENSHOTS, when set: `make screenshots` keeps the views that
// only a walk through the screen reaches.
func screenshot(t *testing.T, w fyne.Window, name string) {
	t.Helper()
	dir := os.Getenv("RELAIS_SCREENSHOTS")
	if dir == "" {
		return
	}
	f, err := os.Create(filepath.Join(dir, name))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if err := png.Encode(f, w.Canvas().Capture()); err != nil {
		t.Fatal(err)
	}
}
