package app

import (
	"testing"

	"fyne.io/fyne/v2/test"

	"relais/internal/frontend"
	"relais/internal/frontend/frontendtest"
	"relais/internal/status"
)

const enrolHost = "relais.example.org"

// With no identity and an enrolment server, Accueil offers "Enrôler ce
// poste" with a field for the helpdesk's code (lower case and spaces
// accepted), in each language, instead of an error; once enrolled, it
// says so and Mode urgence can start.
func TestHomeEnrolWithCode(t *testing.T) {
	for _, tc := range []struct{ lang, intro, button, done string }{
		{"fr", "Ce poste n'a pas encore de clé pour l'accès d'urgence. Le serveur de l'organisation (relais.example.org) peut l'enrôler maintenant.",
			"Enrôler ce poste", "Ce poste est enrôlé. Adresses dans le tunnel d'urgence : 10.20.128.7/32. Mode urgence peut maintenant s'ouvrir."},
		{"en", "This device has no key for emergency access yet. The organisation's server (relais.example.org) can enrol it now.",
			"Enrol this device", "This device is enrolled. Addresses in the emergency tunnel: 10.20.128.7/32. Mode urgence can now start."},
	} {
		t.Run(tc.lang, func(t *testing.T) {
			fb := newFakeBackend(t)
			fb.Ident = frontend.Identity{Setup: frontend.SetupNone, EnrolHost: enrolHost}
			_, h, c := newTestHome(t, fb, tc.lang)
			if !hasText(c, tc.intro) || !h.enrol.codeRow.Visible() || !hasText(c, tc.button) || h.setupGo.Visible() {
				t.Fatalf("shown: %q", visibleTexts(c))
			}
			if !h.urgence.Disabled() {
				t.Error("Mode urgence can start with no identity")
			}
			assertNoRawKeys(t, c)

			// A code of the wrong shape is said, not sent.
			test.Type(h.enrol.code, "12")
			test.Tap(h.enrol.button)
			if len(fb.Enrols) != 0 || !h.enrol.result.Visible() {
				t.Fatalf("a bad code: enrols %v, shown %q", fb.Enrols, visibleTexts(c))
			}
			h.enrol.code.SetText("")
			enrolled := 0
			h.onEnrolled = func() { enrolled++ }
			test.Type(h.enrol.code, "acd4f ghj7k")
			test.Tap(h.enrol.button)
			if enrolled != 1 {
				t.Error("Réglages was not told")
			}
			if len(fb.Enrols) != 1 || fb.Enrols[0] != "acd4f ghj7k" {
				t.Fatalf("enrols %v", fb.Enrols)
			}
			if !hasText(c, tc.done) || h.urgence.Disabled() || h.enrol.codeRow.Visible() {
				t.Fatalf("after enrolment: %q, disabled %v", visibleTexts(c), h.urgence.Disabled())
			}
			assertNoRawKeys(t, c)
		})
	}
	useLanguage("fr")
}

// With a managed setup token, Accueil enrols at once: no code asked; a
// refusal is one sentence, and the code field comes for a code from the
// helpdesk.
func TestHomeEnrolAutomatic(t *testing.T) {
	fb := newFakeBackend(t)
	fb.Ident = frontend.Identity{Setup: frontend.SetupNone, EnrolHost: enrolHost, EnrolAuto: true}
	fb.EnrolErr = frontend.Errorf("enrol.error.token_expired")
	_, h, c := newTestHome(t, fb, "fr")
	if len(fb.Enrols) != 1 || fb.Enrols[0] != "" {
		t.Fatalf("enrols %v", fb.Enrols)
	}
	want := "L'enrôlement n'a pas abouti : ce code (ou ce jeton d'installation) a expiré : demandez-en un nouveau au centre de services."
	if !hasText(c, want) || !h.enrol.codeRow.Visible() {
		t.Fatalf("shown: %q", visibleTexts(c))
	}
	fb.EnrolErr = nil
	test.Type(h.enrol.code, "ACD4F-GHJ7K")
	test.Tap(h.enrol.button)
	if len(fb.Enrols) != 2 || fb.Enrols[1] != "ACD4F-GHJ7K" || h.urgence.Disabled() {
		t.Fatalf("enrols %v, shown %q", fb.Enrols, visibleTexts(c))
	}
}

// A device without an enrolment server keeps the sentence that sends to
// Réglages; the demo never offers enrolment.
func TestHomeNoEnrolmentServer(t *testing.T) {
	fb := newFakeBackend(t)
	fb.Ident = frontend.Identity{Setup: frontend.SetupNone}
	_, h, c := newTestHome(t, fb, "fr")
	if h.enrol.box.Visible() || containsText(c, "Enrôler") {
		t.Fatalf("shown: %q", visibleTexts(c))
	}
	fb2 := newFakeBackend(t)
	fb2.IsDemo = true
	fb2.Ident = frontend.Identity{Setup: frontend.SetupNone, EnrolHost: enrolHost, EnrolAuto: true}
	_, h2, _ := newTestHome(t, fb2, "fr")
	if h2.enrol.box.Visible() || len(fb2.Enrols) != 0 {
		t.Fatal("the demo offers enrolment")
	}
}

// Réglages says where and when the identity was enrolled.
func TestSettingsEnrolledIdentity(t *testing.T) {
	fb := newFakeBackend(t)
	fb.Ident = frontend.Identity{PublicKey: frontendtest.EnrolledKey, Source: frontend.SourceEnrolled, Addresses: []string{"10.20.128.7/32"},
		Setup: frontend.SetupReady, EnrolHost: enrolHost, CreatedAt: testNow.AddDate(0, 0, -2)}
	_, _, c, _ := newTestSettings(t, fb, "fr")
	if !containsText(c, "Enrôlé auprès de relais.example.org le 20 novembre à 14:30.") {
		t.Fatalf("shown: %q", visibleTexts(c))
	}
	useLanguage("en")
	_, _, c, _ = newTestSettings(t, fb, "en")
	if !containsText(c, "Enrolled with relais.example.org on 20 November at 14:30.") {
		t.Fatalf("shown: %q", visibleTexts(c))
	}
	useLanguage("fr")
}

// A revoked device: Accueil's cause is the plain reason, with the
// helpdesk's phone.
func TestHomeRevoked(t *testing.T) {
	fb := newFakeBackend(t)
	fb.IsActive = true
	tu, h, c := newTestHome(t, fb, "fr")
	tu.snap = sampleSnapshot(fb.Prof.Profile)
	tu.snap.TunnelErrorCode = status.TunnelRevoked
	h.refresh()
	want := "Cause : ce poste n'est plus autorisé : appelez le centre de services (Centre de services, +33 1 99 00 12 34)."
	if !hasText(c, want) {
		t.Fatalf("shown: %q", visibleTexts(c))
	}
}

// A device IT revoked: Accueil says so and offers the field for the
// helpdesk's code (never the managed token again).
func TestHomeRevokedOffersCode(t *testing.T) {
	fb := newFakeBackend(t)
	fb.IsActive = true
	fb.Ident = frontend.Identity{PublicKey: frontendtest.EnrolledKey, Source: frontend.SourceEnrolled, Addresses: []string{"10.20.128.7/32"},
		Setup: frontend.SetupReady, EnrolHost: enrolHost, EnrolAuto: true}
	tu, h, c := newTestHome(t, fb, "fr")
	if h.enrol.box.Visible() || len(fb.Enrols) != 0 {
		t.Fatalf("enrolment offered to an enrolled device: %q", visibleTexts(c))
	}
	tu.snap = sampleSnapshot(fb.Prof.Profile)
	tu.snap.TunnelErrorCode = status.TunnelRevoked
	h.refresh()
	if !h.enrol.codeRow.Visible() || len(fb.Enrols) != 0 || !containsText(c, "n'est plus autorisé") {
		t.Fatalf("shown: %q, enrols %v", visibleTexts(c), fb.Enrols)
	}
	test.Tap(h.enrol.button)
	if len(fb.Enrols) != 0 {
		t.Fatal("enrolled again without a code")
	}
	test.Type(h.enrol.code, "ACD4F-GHJ7K")
	test.Tap(h.enrol.button)
	if len(fb.Enrols) != 1 || fb.Enrols[0] != "ACD4F-GHJ7K" {
		t.Fatalf("enrols %v", fb.Enrols)
	}
	if !containsText(c, "Arrêtez puis relancez Mode urgence") {
		t.Fatalf("shown: %q", visibleTexts(c))
	}
}
