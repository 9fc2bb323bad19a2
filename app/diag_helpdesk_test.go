package app

import (
	"bytes"
	"image/png"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/test"
	"fyne.io/fyne/v2/widget"

	"relais/internal/diag/bundle"
)

// After Créer le diagnostic the case code shows in a dialog, big, with
// what to do with it and a button to copy it: where the eye is, whatever
// the length of the screen below.
func TestDiagCaseCodeDialog(t *testing.T) {
	for _, l := range []string{"fr", "en"} {
		t.Run(l, func(t *testing.T) {
			fb := newFakeBackend(t)
			fb.Diag.CanEncrypt = true
			tu, s, _ := newTestDiag(t, fb, l)
			tu.window.Resize(fyne.NewSize(1024, 768))
			if tu.window.Canvas().Overlays().Top() != nil {
				t.Fatal("a dialog before any export")
			}
			s.export.OnTapped()
			top := tu.window.Canvas().Overlays().Top()
			if top == nil {
				t.Fatal("no dialog after the export: the case code is below the fold")
			}
			give := map[string]string{"fr": "Donnez ce code au centre de services", "en": "Give this code to the service desk"}[l]
			wantText(t, top, "RLS-7K3M-Q9TD", give)
			var code *widget.Label
			walkLabels(top, func(lb *widget.Label) {
				if lb.Text == "RLS-7K3M-Q9TD" {
					code = lb
				}
			})
			if code == nil || code.SizeName != "headingText" || !code.TextStyle.Monospace {
				t.Fatalf("the code in the dialog is not big: %+v", code)
			}
			assertNoRawKeys(t, top)
			capture(t, tu.window, "diag-done-"+l)
			tap(t, top, map[string]string{"fr": "Copier le code", "en": "Copy the code"}[l])
			if got := tu.app.Clipboard().Content(); got != "RLS-7K3M-Q9TD" {
				t.Errorf("clipboard %q", got)
			}
			tap(t, tu.window.Canvas().Overlays().Top(), map[string]string{"fr": "Fermer", "en": "Close"}[l])
			if tu.window.Canvas().Overlays().Top() != nil {
				t.Error("Fermer did not close the dialog")
			}
			// An export that fails shows no dialog.
			fb.Diag.ExportErr = errorString("x")
			s.export.OnTapped()
			if tu.window.Canvas().Overlays().Top() != nil {
				t.Error("a failed export shows the case code dialog")
			}
		})
	}
}

// Unticking Chiffrer changes who can open the file; ticking it again
// says only the service desk can.
func TestDiagEncryptHintFollowsTheBox(t *testing.T) {
	for l, want := range map[string][2]string{
		"fr": {"Seul le centre de services pourra ouvrir le fichier.", "Sans chiffrement, toute personne qui reçoit le fichier pourra l'ouvrir."},
		"en": {"Only the service desk will be able to open the file.", "Without encryption, anyone who receives the file can open it."},
	} {
		fb := newFakeBackend(t)
		fb.Diag.CanEncrypt = true
		tu, s, c := newTestDiag(t, fb, l)
		tu.window.Resize(fyne.NewSize(1024, 768))
		wantText(t, c, want[0])
		s.encrypt.SetChecked(false)
		capture(t, tu.window, "diag-unencrypted-"+l)
		if !containsText(c, want[1]) || hasText(c, want[0]) {
			t.Errorf("%s unticked: %q", l, visibleTexts(c))
		}
		s.refresh()
		if !containsText(c, want[1]) {
			t.Errorf("%s: a refresh brought back the encrypted hint", l)
		}
		s.encrypt.SetChecked(true)
		wantText(t, c, want[0])
	}
}

// In the demo, the demo service desk's key is named on the screen and
// chosen already: "Ouvrir un diagnostic…" opens the demo's encrypted
// bundle with it. Removing it is respected.
func TestDiagDemoHelpdeskKey(t *testing.T) {
	fb := newFakeBackend(t)
	d := fb.Diag
	d.Bundle = sampleBundle()
	key := filepath.Join(t.TempDir(), "demo", "helpdesk-demo.agekey")
	d.DemoKey, d.NeedIdentity = key, key
	tu, s, c := newTestDiag(t, fb, "fr")
	tu.window.Resize(fyne.NewSize(1024, 768))
	s.exportScrl.ScrollToBottom()
	capture(t, tu.window, "diag-demo-key-fr")
	if !containsText(c, "la clé du centre de services de démonstration est déjà choisie, les diagnostics chiffrés de la démonstration s'ouvrent donc directement. Fichier de la clé : "+key) {
		t.Fatalf("the demo key is not named: %q", visibleTexts(c))
	}
	wantText(t, c, "Clé d'identité : helpdesk-demo.agekey")
	s.onBundleChosen(chosen(filepath.Join(t.TempDir(), "relais-diag-RLS-4HXC-W7PJ.zip.age")), nil)
	if s.view != diagBundle || len(d.Opened) != 1 || d.Opened[0][1] != key {
		t.Fatalf("opened %q, want with the demo key", d.Opened)
	}
	s.onBack()
	tap(t, c, "Retirer la clé")
	s.refresh()
	wantNoText(t, c, "Clé d'identité : helpdesk-demo.agekey")

	// Outside the demo, nothing is said nor chosen.
	_, _, c2 := newTestDiag(t, newFakeBackend(t), "fr")
	if containsText(c2, "démonstration") || containsText(c2, "Clé d'identité :") {
		t.Errorf("outside the demo: %q", visibleTexts(c2))
	}
}

// The bundle view wraps the verdict (no line wider than the window) and
// opens summary.html in the default handler, from a private copy.
func TestDiagBundleViewerWrapsAndOpensSummary(t *testing.T) {
	for _, l := range []string{"fr", "en"} {
		t.Run(l, func(t *testing.T) {
			fb := newFakeBackend(t)
			b := sampleBundle()
			b.Files["summary.html"] = []byte("<!DOCTYPE html><title>RLS-4HXC-W7PJ</title><p>verdict</p>")
			fb.Diag.Bundle = b
			tu, s, _ := newTestDiag(t, fb, l)
			s.summarize = func(*bundle.Bundle, string) string {
				return strings.Repeat("Messagerie (essentielle, en échec) : le serveur de messagerie a refusé la connexion. ", 6)
			}
			tu.window.Resize(fyne.NewSize(1024, 768))
			s.openPath("/tmp/x.zip.age")
			if s.bSummary.Wrapping != fyne.TextWrapWord {
				t.Error("the verdict does not wrap")
			}
			if w := s.bundleView.MinSize().Width; w > 1024 {
				t.Errorf("the bundle view is %v wide: the verdict does not fit the window", w)
			}
			capture(t, tu.window, "diag-bundle-"+l)
			tap(t, s.root, map[string]string{"fr": "Ouvrir le résumé complet (navigateur)", "en": "Open the full summary (browser)"}[l])
			if len(tu.urls) != 1 {
				t.Fatalf("opened %q, want summary.html", tu.urls)
			}
			u, err := url.Parse(tu.urls[0])
			if err != nil || u.Scheme != "file" || filepath.Base(u.Path) != "summary.html" {
				t.Fatalf("opened %q", tu.urls[0])
			}
			got, err := os.ReadFile(u.Path)
			if err != nil || !bytes.Equal(got, b.Files["summary.html"]) {
				t.Fatalf("the file opened holds %q (%v)", got, err)
			}
			if fi, _ := os.Stat(filepath.Dir(u.Path)); fi == nil || fi.Mode().Perm() != 0o700 {
				t.Errorf("summary.html's folder is not private: %v", fi)
			}
			t.Cleanup(func() { os.RemoveAll(filepath.Dir(u.Path)) })
			// The system's error, not the backend's: the generic sentence,
			// its text as the detail.
			tu.openURL = func(*url.URL) error { return errorString(`exec: "xdg-open": executable file not found in $PATH`) }
			tap(t, s.root, map[string]string{"fr": "Ouvrir le résumé complet (navigateur)", "en": "Open the full summary (browser)"}[l])
			wantText(t, s.root, map[string]string{
				"fr": `Le résumé n'a pas pu être ouvert : Relais a rencontré une erreur. (détail : exec: "xdg-open": executable file not found in $PATH)`,
				"en": `The summary could not be opened: Relais ran into an error. (detail: exec: "xdg-open": executable file not found in $PATH)`,
			}[l])
		})
	}
}

type errorString string

func (e errorString) Error() string { return string(e) }

// walkLabels calls f on every label under o.
func walkLabels(o fyne.CanvasObject, f func(*widget.Label)) {
	switch x := o.(type) {
	case *widget.Label:
		f(x)
	case *fyne.Container:
		for _, c := range x.Objects {
			walkLabels(c, f)
		}
	case *container.Scroll:
		walkLabels(x.Content, f)
	case fyne.Widget:
		for _, c := range test.WidgetRenderer(x).Objects() {
			walkLabels(c, f)
		}
	}
}

// capture writes the window's picture to /tmp/relais-shots/NAME.png, to
// be looked at.
func capture(t *testing.T, w fyne.Window, name string) {
	t.Helper()
	dir := filepath.Join(os.TempDir(), "relais-shots")
	if os.MkdirAll(dir, 0o755) != nil {
		return
	}
	var buf bytes.Buffer
	if err := png.Encode(&buf, w.Canvas().Capture()); err == nil {
		os.WriteFile(filepath.Join(dir, name+".png"), buf.Bytes(), 0o644)
	}
}
