package app

import (
	"errors"
	"strings"
	"testing"

	"fyne.io/fyne/v2/test"

	"relais/internal/frontend"
	"relais/internal/frontend/frontendtest"
)

// A device that is not set up: Accueil says what is missing and what to do,
// naming the profile's helpdesk, in each language; the Mode urgence button
// waits; no raw error, no CLI flag.
func TestHomeNotSetUp(t *testing.T) {
	for _, tc := range []struct {
		lang, setup, want string
	}{
		{"fr", frontend.SetupNone, "Ce poste n'est pas encore configuré pour l'accès d'urgence : importez le fichier reçu du service informatique dans Réglages, ou appelez le support (Centre de services, +33 1 99 00 12 34)."},
		{"en", frontend.SetupNone, "This device is not set up for emergency access yet: import the file you received from IT in Settings, or call the helpdesk (Service desk, +33 1 99 00 12 34)."},
		{"fr", frontend.SetupNoAddress, "Ce poste a une clé, mais pas encore d'adresse pour l'accès d'urgence : importez le fichier reçu du service informatique dans Réglages, ou appelez le support (Centre de services, +33 1 99 00 12 34)."},
		{"en", frontend.SetupNoAddress, "This device has a key but no address for emergency access yet: import the file you received from IT in Settings, or call the helpdesk (Service desk, +33 1 99 00 12 34)."},
	} {
		t.Run(tc.lang+"/"+tc.setup, func(t *testing.T) {
			fb := newFakeBackend(t)
			fb.Ident = frontend.Identity{Setup: tc.setup}
			if tc.setup == frontend.SetupNoAddress {
				fb.Ident.PublicKey = "xTIBA5rboUvnH4htodjb6e697QjLERt1NAB4mZqp8Dg="
			}
			tu := newTestUI(t, fb, tc.lang)
			h := newHome(tu.ui)
			settingsShown := 0
			h.onOpenSettings = func() { settingsShown++ }
			c := h.content()
			tu.window.SetContent(c)
			if !hasText(c, tc.want) {
				t.Fatalf("%q not shown: %q", tc.want, visibleTexts(c))
			}
			if !h.urgence.Disabled() {
				t.Error("the Mode urgence button is enabled on a device that is not set up")
			}
			assertNoRawKeys(t, c)
			if !h.setupGo.Visible() {
				t.Fatal("no way to Réglages")
			}
			test.Tap(h.setupGo)
			if settingsShown != 1 {
				t.Errorf("the button did not open Réglages")
			}

			// IT's file imported in Réglages: Accueil reads the identity again.
			fb.Ident = frontend.Identity{PublicKey: frontendtest.ImportedKey, Setup: frontend.SetupReady}
			h.identityChanged()
			if hasText(c, tc.want) || h.urgence.Disabled() || h.setupGo.Visible() {
				t.Fatalf("still not set up after the import: %q disabled=%v", visibleTexts(c), h.urgence.Disabled())
			}
		})
	}
	useLanguage("fr")
}

// Without a helpdesk in the profile, the sentence ends at what to do.
func TestHomeNotSetUpNoHelpdesk(t *testing.T) {
	fb := newFakeBackend(t)
	fb.Prof.Profile.Contacts = nil
	fb.Ident = frontend.Identity{Setup: frontend.SetupNone}
	_, h, c := newTestHome(t, fb, "fr")
	if want := "Ce poste n'est pas encore configuré pour l'accès d'urgence : importez le fichier reçu du service informatique dans Réglages."; !hasText(c, want) {
		t.Fatalf("%q not shown: %q", want, visibleTexts(c))
	}
	if h.setupGo.Visible() {
		t.Error("a button to Réglages without a way to open it")
	}
}

// A Mode urgence that failed for want of a set-up identity shows the
// sentence, not the engine's error.
func TestHomeNotSetUpTunnelError(t *testing.T) {
	fb := newFakeBackend(t)
	tu, h, c := newTestHome(t, fb, "fr")
	fb.IsActive = true
	fb.Ident = frontend.Identity{Setup: frontend.SetupNone}
	h.identityChanged()
	tu.snap.TunnelError = "this device has no WireGuard identity yet"
	h.refresh()
	if containsText(c, "WireGuard identity") || !containsText(c, "Ce poste n'est pas encore configuré") {
		t.Fatalf("shown: %q", visibleTexts(c))
	}
}

// IT's .conf over a key made on the device: Réglages asks, and replaces
// only once the person confirms.
func TestSettingsImportReplaceAsks(t *testing.T) {
	fb := newFakeBackend(t)
	tu, s, c, _ := newTestSettings(t, fb, "fr")
	identities := 0
	s.onIdentity = func() { identities++ }
	old := fb.Ident.PublicKey
	s.importFile("/tmp/informatique/poste-42.conf")
	if s.confirm == nil {
		t.Fatalf("no question before replacing the key: %q", visibleTexts(c))
	}
	question := visibleTexts(tu.window.Canvas().Overlays().Top())
	want := "Le fichier poste-42.conf contient une autre clé que celle de ce poste (" + old + ")."
	if !strings.Contains(strings.Join(question, "\n"), want) {
		t.Errorf("question %q, want %q", question, want)
	}
	for _, q := range question {
		if strings.Contains(q, "--force") {
			t.Errorf("a CLI flag in the question: %q", q)
		}
	}
	s.confirm.Dismiss() // Annuler
	if fb.Replaced || fb.Ident.PublicKey != old {
		t.Fatal("replaced without a yes")
	}
	s.importFile("/tmp/informatique/poste-42.conf")
	s.confirm.Confirm()
	if !fb.Replaced || fb.Ident.PublicKey != frontendtest.ImportedKey {
		t.Fatalf("not replaced after a yes: %+v", fb.Ident)
	}
	if want := "Fichier poste-42.conf importé : la clé est dans le trousseau du système, vous pouvez supprimer le fichier."; !hasText(c, want) {
		t.Errorf("%q not shown: %q", want, visibleTexts(c))
	}
	if !hasText(c, frontendtest.ImportedKey) || identities == 0 {
		t.Errorf("the new key is not shown (%d identity changes): %q", identities, visibleTexts(c))
	}
	for _, l := range visibleTexts(c) {
		if strings.Contains(l, "--force") {
			t.Errorf("a CLI flag on screen: %q", l)
		}
	}
}

// Delete asks first; once confirmed, the key is gone and Réglages invites
// the import.
func TestSettingsDeleteAsks(t *testing.T) {
	fb := newFakeBackend(t)
	_, s, c, _ := newTestSettings(t, fb, "en")
	if !s.deleteKey.Visible() {
		t.Fatal("no delete button beside a key")
	}
	test.Tap(s.deleteKey)
	if s.confirm == nil || fb.Deleted != 0 {
		t.Fatalf("deleted without a question (%d)", fb.Deleted)
	}
	s.confirm.Dismiss()
	if fb.Deleted != 0 {
		t.Fatal("deleted after Cancel")
	}
	test.Tap(s.deleteKey)
	s.confirm.Confirm()
	if fb.Deleted != 1 {
		t.Fatalf("DeleteKey called %d times", fb.Deleted)
	}
	if !hasText(c, "Key deleted. Import the file from IT to set this device up again.") || s.deleteKey.Visible() || !s.generate.Visible() {
		t.Errorf("after delete: %q", visibleTexts(c))
	}
	useLanguage("fr")
}

// The backend's coded errors are worded in the window's language, with
// their details below; never the Go error.
func TestSettingsImportErrorsWorded(t *testing.T) {
	for _, tc := range []struct {
		lang string
		err  error
		want string
	}{
		{"fr", &frontend.IdentityError{Code: frontend.IdentityErrInvalid, File: "x.conf", Detail: []error{&frontend.Error{At: "x.conf:1: ", Key: "cli.key.conf.outside_section"}}},
			"Le fichier x.conf n'a pas été importé : ce n'est pas un fichier WireGuard valide. Problèmes relevés :\nx.conf:1: hors de toute section (placez-la sous [Interface] ou [Peer])"},
		{"en", &frontend.IdentityError{Code: frontend.IdentityErrNoPrivateKey, File: "x.conf"},
			"The file x.conf was not imported: the file holds no private key. Ask IT for the complete file."},
		{"fr", &frontend.IdentityError{Code: frontend.IdentityErrUnreadable, File: "x.conf", Detail: []error{errors.New("open x.conf: permission denied")}, Err: errors.New("open x.conf: permission denied")},
			"Le fichier x.conf n'a pas été importé : le fichier n'a pas pu être lu."},
	} {
		fb := newFakeBackend(t)
		fb.ImportErr = tc.err
		_, s, c, _ := newTestSettings(t, fb, tc.lang)
		s.importFile("/tmp/x.conf")
		if !hasText(c, tc.want) {
			t.Errorf("%s: %q not shown: %q", tc.lang, tc.want, visibleTexts(c))
		}
		if containsText(c, "identity: ") {
			t.Errorf("the Go error is shown: %q", visibleTexts(c))
		}
	}
	useLanguage("fr")
}

// A Mode urgence that failed because the keyring lost the key or holds
// another one says so in the app's words: no CLI command, no flag.
func TestHomeIdentityProblemTunnelError(t *testing.T) {
	fb := newFakeBackend(t)
	tu, h, c := newTestHome(t, fb, "fr")
	fb.IsActive = true
	fb.Ident.Setup = frontend.SetupKeyMismatch
	fb.Ident.Problem = frontend.Errorf("cli.desk.key_mismatch")
	h.identityChanged()
	tu.snap.TunnelError = "Impossible de préparer le tunnel : créez une nouvelle clé avec « relais key generate --force »."
	h.refresh()
	if containsText(c, "--force") || !containsText(c, words(fb.Ident.Problem)) {
		t.Fatalf("shown: %q", visibleTexts(c))
	}
}
