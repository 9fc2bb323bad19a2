package app

import (
	"testing"

	"fyne.io/fyne/v2/test"

	"relais/internal/frontend"
)

func TestSettingsSystemProxyUnlocked(t *testing.T) {
	fb := newFakeBackend(t)
	_, s, c, _ := newTestSettings(t, fb, "fr")
	if !containsText(c, "Pointer le proxy de mes programmes vers Relais pendant le Mode urgence") {
		t.Fatalf("the check is not shown: %q", visibleTexts(c))
	}
	if s.sysProxy.Disabled() || s.sysProxy.Checked || containsText(c, "Géré par votre organisation") {
		t.Fatalf("default: disabled %v, checked %v, texts %q", s.sysProxy.Disabled(), s.sysProxy.Checked, visibleTexts(c))
	}
	test.Tap(s.sysProxy)
	want := frontend.DefaultSettings()
	want.SystemProxy = true
	if len(fb.Saved) != 1 || fb.Saved[0] != want {
		t.Fatalf("saved %+v, want %+v", fb.Saved, want)
	}
	test.Tap(s.sysProxy)
	if len(fb.Saved) != 2 || fb.Saved[1].SystemProxy {
		t.Fatalf("unchecked: saved %+v", fb.Saved)
	}
}

func TestSettingsSystemProxyLocked(t *testing.T) {
	fb := newFakeBackend(t)
	fb.Locked = frontend.Locks{SystemProxy: true}
	fb.UserSettings.SystemProxy = true
	_, s, c, _ := newTestSettings(t, fb, "en")
	if !containsText(c, "Point my programs' proxy setting at Relais during Mode urgence") {
		t.Fatalf("the check is not shown in English: %q", visibleTexts(c))
	}
	if !s.sysProxy.Disabled() || !s.sysProxy.Checked {
		t.Fatalf("locked on: disabled %v, checked %v", s.sysProxy.Disabled(), s.sysProxy.Checked)
	}
	if n := countText(c, "Managed by your organisation"); n != 1 {
		t.Fatalf("%d lock notes, want 1: %q", n, visibleTexts(c))
	}
	test.Tap(s.sysProxy) // a disabled check does nothing
	if len(fb.Saved) != 0 {
		t.Fatalf("a locked setting was saved: %+v", fb.Saved)
	}
}
