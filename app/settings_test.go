package app

import (
	"errors"
	"image/color"
	"strings"
	"testing"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/canvas"
	"fyne.io/fyne/v2/test"

	"relais/internal/frontend"
	"relais/internal/frontend/frontendtest"
)

// newTestSettings is the Réglages screen of a test UI in language l, shown
// in a 1024×600 test window; the languages it asks for are recorded.
func newTestSettings(t *testing.T, b frontend.Backend, l string) (*testUI, *settingsScreen, fyne.CanvasObject, *[]string) {
	t.Helper()
	tu := newTestUI(t, b, l)
	var langs []string
	s := newSettings(tu.ui, func(lang string) { langs = append(langs, lang) })
	c := s.content()
	tu.window.SetContent(c)
	tu.window.Resize(fyne.NewSize(1024, 600))
	return tu, s, c, &langs
}

// countText is how many visible texts of o are s.
func countText(o fyne.CanvasObject, s string) int {
	n := 0
	for _, x := range visibleTexts(o) {
		if x == s {
			n++
		}
	}
	return n
}

func TestSettingsLocked(t *testing.T) {
	fb := newFakeBackend(t)
	fb.Locked = frontend.Locks{TunnelMode: true, Autostart: true}
	fb.UserSettings.TunnelMode = frontend.ModeSystem
	_, s, c, _ := newTestSettings(t, fb, "fr")
	if !s.mode.Disabled() || !s.autostart.Disabled() {
		t.Errorf("locked settings enabled: mode %v, autostart %v", !s.mode.Disabled(), !s.autostart.Disabled())
	}
	if s.language.Disabled() {
		t.Error("the language is never locked")
	}
	if n := countText(c, "Géré par votre organisation"); n != 2 {
		t.Errorf("%d notes \"Géré par votre organisation\", want 2: %q", n, visibleTexts(c))
	}
	if s.mode.Selected != "Système (service installé par l'informatique)" {
		t.Errorf("mode shown: %q", s.mode.Selected)
	}
}

func TestSettingsUnlocked(t *testing.T) {
	fb := newFakeBackend(t)
	_, s, c, _ := newTestSettings(t, fb, "fr")
	if s.mode.Disabled() || s.autostart.Disabled() || s.language.Disabled() {
		t.Error("unlocked settings disabled")
	}
	if containsText(c, "Géré par votre organisation") {
		t.Errorf("lock note without a lock: %q", visibleTexts(c))
	}
	if s.language.Selected != "Automatique (langue du système)" || s.mode.Selected != "Automatique" || s.autostart.Checked {
		t.Errorf("defaults shown: %q %q %v", s.language.Selected, s.mode.Selected, s.autostart.Checked)
	}
}

func TestSettingsTunnelMode(t *testing.T) {
	fb := newFakeBackend(t)
	_, s, _, langs := newTestSettings(t, fb, "fr")
	s.mode.SetSelected("Sans droits d'administrateur")
	test.Tap(s.autostart)
	want := []frontend.Settings{
		{Language: frontend.LanguageAuto, TunnelMode: frontend.ModeUserspace},
		{Language: frontend.LanguageAuto, TunnelMode: frontend.ModeUserspace, Autostart: true},
	}
	if len(fb.Saved) != len(want) || fb.Saved[0] != want[0] || fb.Saved[1] != want[1] {
		t.Errorf("saved %+v, want %+v", fb.Saved, want)
	}
	if len(*langs) != 0 {
		t.Errorf("language changed: %q", *langs)
	}
}

// refusingBackend refuses every save, keeping the settings as they were.
type refusingBackend struct{ *frontendtest.Backend }

func (refusingBackend) SaveSettings(frontend.Settings) error {
	return frontend.Errorf("cli.reason.disk_full")
}

func TestSettingsSaveFails(t *testing.T) {
	fb := newFakeBackend(t)
	_, s, c, langs := newTestSettings(t, refusingBackend{fb}, "fr")
	test.Tap(s.autostart)
	if s.autostart.Checked {
		t.Error("the check stays on after a refused save")
	}
	if want := "Le réglage n'a pas été enregistré : Le disque est plein : libérez de la place sur le disque."; !hasText(c, want) {
		t.Errorf("%q not shown: %q", want, visibleTexts(c))
	}
	s.language.SetSelected("English")
	if s.language.Selected != "Automatique (langue du système)" || len(*langs) != 0 {
		t.Errorf("language after a refused save: %q, asked %q", s.language.Selected, *langs)
	}
	s.mode.SetSelected("Automatique") // unchanged: nothing to save, the error stays
	if !containsText(c, "Le disque est plein") {
		t.Error("the error went away without a save")
	}
}

func TestSettingsLanguage(t *testing.T) {
	fb := newFakeBackend(t)
	_, s, _, langs := newTestSettings(t, fb, "fr")
	s.language.SetSelected("English")
	s.language.SetSelected("Français")
	s.language.SetSelected("Automatique (langue du système)")
	if got := strings.Join(*langs, ","); got != "en,fr,auto" {
		t.Errorf("onLanguage got %q, want en,fr,auto", got)
	}
	if len(fb.Saved) != 3 || fb.Saved[0].Language != "en" || fb.Saved[2].Language != "auto" {
		t.Errorf("saved %+v", fb.Saved)
	}
}

func TestSettingsKey(t *testing.T) {
	fb := newFakeBackend(t)
	tu, s, c, _ := newTestSettings(t, fb, "fr")
	key := fb.Ident.PublicKey
	if !hasText(c, key) || !hasText(c, "Clé créée sur cet appareil.") {
		t.Errorf("key not shown: %q", visibleTexts(c))
	}
	if !s.qr.Visible() || s.qr.Image == nil || s.generate.Visible() {
		t.Fatalf("qr visible %v (image %v), generate visible %v", s.qr.Visible(), s.qr.Image != nil, s.generate.Visible())
	}
	if s.qr.ScaleMode != canvas.ImageScalePixels {
		t.Errorf("QR scaled with %v, want pixels", s.qr.ScaleMode)
	}
	// A QR code: white quiet zone, then the top-left finder's black corner.
	b := s.qr.Image.Bounds()
	if b.Dx() != b.Dy() || b.Dx() < 21+8 {
		t.Errorf("QR bounds %v", b)
	}
	if g := color.GrayModel.Convert(s.qr.Image.At(0, 0)).(color.Gray); g.Y != 0xff {
		t.Error("no quiet zone")
	}
	if g := color.GrayModel.Convert(s.qr.Image.At(4, 4)).(color.Gray); g.Y != 0 {
		t.Error("no finder pattern at the quiet zone's corner")
	}
	test.Tap(s.copyKey)
	if got := tu.app.Clipboard().Content(); got != key {
		t.Errorf("clipboard %q, want the key", got)
	}
	if !hasText(c, "Clé publique copiée") {
		t.Errorf("no confirmation: %q", visibleTexts(c))
	}
	if !hasText(c, "Relais 1.2.3 (révision abc1234)") {
		t.Errorf("version missing: %q", visibleTexts(c))
	}
}

func TestSettingsNoKey(t *testing.T) {
	fb := newFakeBackend(t)
	fb.Ident = frontend.Identity{}
	_, s, c, _ := newTestSettings(t, fb, "fr")
	if s.qr.Visible() || s.copyKey.Visible() || !s.generate.Visible() {
		t.Fatalf("without a key: qr %v, copy %v, generate %v", s.qr.Visible(), s.copyKey.Visible(), s.generate.Visible())
	}
	if !hasText(c, "Créer la clé de cet appareil") || !containsText(c, "Cet appareil n'a pas encore de clé.") {
		t.Errorf("no invitation to create a key: %q", visibleTexts(c))
	}
	test.Tap(s.generate)
	if fb.KeysMade != 1 {
		t.Fatalf("GenerateKey called %d times", fb.KeysMade)
	}
	if !hasText(c, fb.Ident.PublicKey) || !s.qr.Visible() || s.generate.Visible() {
		t.Errorf("new key not shown: %q", visibleTexts(c))
	}
	if !containsText(c, "Clé créée. Donnez la clé publique au service informatique") {
		t.Errorf("no success sentence: %q", visibleTexts(c))
	}
}

func TestSettingsIdentityProblem(t *testing.T) {
	fb := newFakeBackend(t)
	fb.Ident.Problem = &frontend.Error{Key: "cli.key.no_keyring_unix", Detail: "org.freedesktop.secrets was not provided"}
	fb.Ident.Source = "poste-42.conf"
	fb.Ident.Addresses = []string{"10.77.0.2/32"}
	_, _, c, _ := newTestSettings(t, fb, "fr")
	for _, want := range []string{"Le trousseau du système n'est pas disponible : Relais y garde la clé privée WireGuard et ne l'écrit nulle part ailleurs. Sous Linux, un service de secrets (GNOME Keyring ou KWallet) doit tourner et être déverrouillé dans votre session : ouvrez une session de bureau, ou lancez gnome-keyring-daemon et déverrouillez-le, puis réessayez. (détail : org.freedesktop.secrets was not provided)",
		"Clé importée du fichier poste-42.conf.\nAdresses dans le tunnel : 10.77.0.2/32"} {
		if !hasText(c, want) {
			t.Errorf("%q not shown: %q", want, visibleTexts(c))
		}
	}
}

func TestSettingsImport(t *testing.T) {
	fb := newFakeBackend(t)
	fb.Ident = frontend.Identity{Setup: frontend.SetupNone}
	tu, s, c, _ := newTestSettings(t, fb, "fr")
	test.Tap(s.importConf)
	if tu.window.Canvas().Overlays().Top() == nil {
		t.Error("no file dialog")
	}
	tu.window.Canvas().Overlays().Top().Hide()
	s.onImportChosen(nil, nil) // cancelled
	if len(fb.Imported) != 0 {
		t.Fatalf("imported %q after a cancel", fb.Imported)
	}
	s.onImportChosen(nil, errors.New("permission refusée"))
	if want := "Le fichier choisi n'a pas pu être ouvert : Relais a rencontré une erreur. (détail : permission refusée)"; !hasText(c, want) {
		t.Errorf("%q not shown: %q", want, visibleTexts(c))
	}
	s.importFile("/tmp/informatique/poste-42.conf")
	if len(fb.Imported) != 1 || fb.Imported[0] != "/tmp/informatique/poste-42.conf" {
		t.Fatalf("imported %q", fb.Imported)
	}
	if want := "Fichier poste-42.conf importé : la clé est dans le trousseau du système, vous pouvez supprimer le fichier."; !hasText(c, want) {
		t.Errorf("%q not shown: %q", want, visibleTexts(c))
	}
}

func TestSettingsBothLanguages(t *testing.T) {
	for _, tc := range []struct{ lang, locked, version string }{
		{"fr", "Géré par votre organisation", "Relais 1.2.3 (révision abc1234)"},
		{"en", "Managed by your organisation", "Relais 1.2.3 (revision abc1234)"},
	} {
		t.Run(tc.lang, func(t *testing.T) {
			fb := newFakeBackend(t)
			fb.Locked = frontend.Locks{Autostart: true}
			_, _, c, _ := newTestSettings(t, fb, tc.lang)
			assertNoRawKeys(t, c)
			if !hasText(c, tc.locked) || !hasText(c, tc.version) {
				t.Errorf("%q or %q missing: %q", tc.locked, tc.version, visibleTexts(c))
			}
		})
	}
	useLanguage("fr")
}

// autostartFailingBackend saves the settings but cannot turn starting at
// login on or off.
type autostartFailingBackend struct{ *frontendtest.Backend }

func (b autostartFailingBackend) SaveSettings(s frontend.Settings) error {
	if err := b.Backend.SaveSettings(s); err != nil {
		return err
	}
	return frontend.Errorf(frontend.ErrKeyAutostartFailed, &frontend.Error{Key: "cli.reason.other", Detail: "permission denied"})
}

// Settings saved but autostart not applied is said as such, never as "not
// saved" (that said both at once: "n'a pas été enregistré : Vos réglages
// sont enregistrés, mais…").
func TestSettingsAutostartFailedSaysSaved(t *testing.T) {
	fb := newFakeBackend(t)
	_, s, c, _ := newTestSettings(t, autostartFailingBackend{fb}, "fr")
	test.Tap(s.autostart)
	if containsText(c, "n'a pas été enregistré") || !containsText(c, "Vos réglages sont enregistrés, mais le démarrage de Relais à l'ouverture de session n'a pas pu être modifié") {
		t.Errorf("shown: %q", visibleTexts(c))
	}
	if len(fb.Saved) != 1 {
		t.Errorf("saved %d times", len(fb.Saved))
	}
}
