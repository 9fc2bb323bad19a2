package app

import (
	"errors"
	"testing"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/test"
)

// A link whose browser cannot start says what to do next: copy the
// address (shown, with a button) and call the service desk; a later good
// open hides it.
func TestAppsLinkFailureNextStep(t *testing.T) {
	for l, want := range map[string][3]string{
		"fr": {"Si la page ne s'ouvre toujours pas, copiez l'adresse ci-dessous et donnez-la au centre de services en l'appelant.", "Copier l'adresse", "Adresse copiée : https://www.example.org/urgence"},
		"en": {"If the page still does not open, copy the address below and give it to the service desk when you call them.", "Copy the address", "Address copied: https://www.example.org/urgence"},
	} {
		t.Run(l, func(t *testing.T) {
			fb := newFakeBackend(t)
			tu, s, c := newTestApps(t, fb, l)
			tu.window.Resize(fyne.NewSize(1024, 768))
			r := linkRowOf(t, s, "consignes-publiques")
			wantNoText(t, c, want[0], want[1])
			fb.OpenErr = errors.New("Impossible de lancer /usr/bin/chromium : exit status 1")
			test.Tap(r.open)
			wantText(t, c, want[0], "https://www.example.org/urgence", want[1])
			s.scroll.ScrollToBottom()
			capture(t, tu.window, "apps-link-failed-"+l)
			tap(t, c, want[1])
			if got := tu.app.Clipboard().Content(); got != "https://www.example.org/urgence" {
				t.Errorf("clipboard %q", got)
			}
			wantText(t, c, want[2])
			fb.OpenErr = nil
			test.Tap(r.open)
			wantNoText(t, c, want[0], want[1], "https://www.example.org/urgence")
		})
	}
}

// Accueil has the emergency links too, compact: each opens from there,
// a tunnel link is disabled with its reason while Mode urgence is off, and
// a failure gets the same next step as on Applications.
func TestHomeEmergencyLinks(t *testing.T) {
	for _, l := range []string{"fr", "en"} {
		t.Run(l, func(t *testing.T) {
			fb := newFakeBackend(t)
			tu, h, c := newTestHome(t, fb, l)
			tu.window.Resize(fyne.NewSize(1024, 768))
			heading := map[string]string{"fr": "Liens d'urgence", "en": "Emergency links"}[l]
			crisis := map[string]string{"fr": "Réunion de la cellule de crise", "en": "Crisis unit meeting"}[l]
			portal := map[string]string{"fr": "Portail d'urgence", "en": "Emergency portal"}[l]
			wantText(t, c, heading, crisis, portal)
			if containsText(c, "Point de départ") || containsText(c, "Start here") {
				t.Error("Accueil shows the links' descriptions: not compact")
			}
			capture(t, tu.window, "home-links-"+l)
			var pr *linkRow
			for _, r := range h.links.rows {
				if r.link.ID == "portail-urgence" {
					pr = r
				}
			}
			if pr == nil || !pr.open.Disabled() || !pr.why.Visible() {
				t.Fatalf("the tunnel link is not disabled with its reason while off: %+v", pr)
			}
			tap(t, c, crisis)
			if len(fb.Opened) != 1 || fb.Opened[0] != "cellule-crise" {
				t.Fatalf("opened %q", fb.Opened)
			}
			fb.OpenErr = errors.New("x")
			tap(t, c, crisis)
			wantText(t, c, map[string]string{"fr": "Copier l'adresse", "en": "Copy the address"}[l])
			assertNoRawKeys(t, c)
		})
	}
}
