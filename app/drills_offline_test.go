package app

import (
	"context"
	"crypto/rand"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"aead.dev/minisign"
	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/test"

	"relais/internal/backend"
	"relais/internal/profile/profiletest"
)

// A drill with no network at all: the profile was synced once, then the
// profile server is gone and the tunnel cannot come up. The example drill
// still shows every step, with the connexion step's picture from the
// cache; steps that need the network fail with a sentence and are skipped
// with a reason; the run reaches its report.
func TestDrillsOfflineShowEveryStepAndImage(t *testing.T) {
	pk, sk, err := minisign.GenerateKey(rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	o := profiletest.New(t)
	o.Publish(t, sk, 7)
	home := t.TempDir()
	conf := filepath.Join(home, "relais.toml")
	manage := func(url string) {
		body := fmt.Sprintf("profile_url = %q\ntrusted_keys = [%q]\n", url, pk.String())
		if err := os.WriteFile(conf, []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	manage(o.URL())
	inWindow := time.Date(2026, 11, 15, 10, 0, 0, 0, time.UTC) // the autumn drill is open
	vars := map[string]string{"RELAIS_HOME": filepath.Join(home, "data"), "RELAIS_CONFIG": conf, "LANG": "fr_FR.UTF-8"}
	env := backend.Env{GOOS: "linux", Home: home,
		Now: func() time.Time { return inWindow }, Getenv: func(k string) string { return vars[k] }}
	m, err := backend.OpenMachine(env, true)
	if err != nil {
		t.Fatal(err)
	}
	if s, err := m.SyncProfile(context.Background()); err != nil || s.Err != nil {
		t.Fatalf("profile sync: %v %v", err, s.Err)
	}
	m.Close()
	manage("http://127.0.0.1:1/relais/profile.toml") // no profile server any more

	d, err := backend.Open(context.Background(), backend.Options{Env: env, Lang: "fr"})
	if err != nil {
		t.Fatal(err)
	}
	defer d.Close()
	tu := newTestUI(t, d, "fr")
	tu.now = func() time.Time { return inWindow }
	tu.prof = d.Profile()
	s := newDrills(tu.ui)
	s.reloadEvery = 0
	s.every = func(<-chan struct{}, func()) {} // no ticking behind the test's back
	c := s.content()
	tu.window.SetContent(c)
	tu.window.Resize(fyne.NewSize(1024, 700))

	tap(t, c, "Commencer")
	if s.run == nil || s.run.DrillID != "automne-2026" {
		t.Fatalf("no run of the autumn drill: %q", visibleTexts(c))
	}
	images := 0
	for i := 0; s.run.Current() < len(s.run.Steps); i++ {
		if i > 20 {
			t.Fatalf("stuck at step %d: %q", s.run.Current()+1, visibleTexts(c))
		}
		cur := s.run.Current()
		def := s.run.Drill.Steps[cur]
		wantText(t, c, def.Title.FR)
		for _, seg := range s.body.Segments {
			if _, ok := seg.(*assetImage); ok {
				images++
			}
		}
		switch {
		case def.Kind == "question" && len(def.Choices) > 0:
			s.choices.SetSelected(s.choices.Options[0])
		case def.Kind == "question":
			s.answer.SetText("Rien à signaler.")
		}
		tap(t, c, s.act.Text)
		if s.run.Current() == cur { // needs the network: fails, then skipped with a reason
			if !strings.Contains(s.walkMsg.Text, " ") {
				t.Fatalf("step %s failed without a sentence", def.ID)
			}
			tap(t, c, "Passer cette étape")
			s.skipReason.SetText("Pas de réseau")
			if s.skipOK.Disabled() {
				t.Fatalf("cannot confirm the skip of %s", def.ID)
			}
			test.Tap(s.skipOK)
		}
	}
	if images == 0 {
		t.Error("the connexion step's picture was not shown from the cache")
	}
	tap(t, c, "Terminer l'exercice")
	if s.view != viewReport {
		t.Fatalf("not on the report: %q", visibleTexts(c))
	}
}
