package app

import (
	"testing"

	"fyne.io/fyne/v2/lang"
)

// TestLanguageSwitchesLive: the language can change while the app runs.
func TestLanguageSwitchesLive(t *testing.T) {
	tu := newTestUI(t, newFakeBackend(t), "fr")
	_ = tu
	useLanguage("fr")
	if got := lang.L("app.time.just_now"); got != "à l'instant" {
		t.Fatalf("fr: %q", got)
	}
	useLanguage("en")
	if got := lang.L("app.time.just_now"); got != "just now" {
		t.Fatalf("en: %q", got)
	}
	useLanguage("fr")
	if got := lang.L("app.time.just_now"); got != "à l'instant" {
		t.Fatalf("fr again: %q", got)
	}
}
