package office

import (
	"regexp"
	"strings"
	"testing"

	"relais/internal/i18n"
	"relais/internal/profile"
	"relais/internal/tunnel"
)

// The demo's drill and help pages name only controls that exist: every
// **bold** name in their texts is the label of a control of the app, in
// the same language (the drill's action step is done with "Faire
// l'action et vérifier", and there is no "Reconnecter" button).
func TestDemoTextsNameRealControls(t *testing.T) {
	p, err := profile.Parse("demo.toml", demoProfile(1, testPublished, "127.0.0.1:2", tunnel.Key{}, brokenNotEssential))
	if err != nil {
		t.Fatal(err)
	}
	bold := regexp.MustCompile(`\*\*([^*]+)\*\*`)
	for _, lang := range []string{i18n.FR, i18n.EN} {
		cat, err := i18n.Catalog(lang)
		if err != nil {
			t.Fatal(err)
		}
		labels := map[string]bool{}
		for k, v := range cat {
			if strings.HasPrefix(k, "app.") {
				labels[v] = true
			}
		}
		var texts []string
		for _, pg := range p.Pages {
			texts = append(texts, pg.Body.In(lang))
		}
		for _, s := range p.Drills[0].Steps {
			texts = append(texts, s.Body.In(lang))
			// Beside an action step, the control is the drill's own
			// button, not a picture of the one on Accueil.
			if do := "**" + cat["app.drills.walk.do_action"] + "**"; s.Kind == "action" && !strings.Contains(s.Body.In(lang), do) {
				t.Errorf("%s: action step %s does not name %s: %q", lang, s.ID, do, s.Body.In(lang))
			}
		}
		for _, text := range texts {
			for _, m := range bold.FindAllStringSubmatch(text, -1) {
				if !labels[m[1]] {
					t.Errorf("%s: %q names a control that does not exist, in:\n%s", lang, m[1], text)
				}
			}
		}
	}
}

// `relais demo`'s profile: the broken app is not essential, so Mode
// urgence reaches operational; every state still shows.
func TestBrokenNotEssential(t *testing.T) {
	p, err := profile.Parse("demo.toml", demoProfile(1, testPublished, "127.0.0.1:2", tunnel.Key{}, essentialsOf(Options{BrokenNotEssential: true})))
	if err != nil {
		t.Fatal(err)
	}
	for _, a := range Apps {
		want := "essential"
		if a.Behaviour == Broken {
			want = "important"
		}
		if c := p.App(a.ID).Criticality; c != want {
			t.Errorf("%s: %s, want %s", a.ID, c, want)
		}
	}
}
