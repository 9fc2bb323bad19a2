package app

import (
	"testing"

	"relais/internal/frontend"
	"relais/internal/frontend/frontendtest"
)

// recoveringBackend is a backend that found its database damaged.
type recoveringBackend struct {
	*frontendtest.Backend
	rec error
}

func (b recoveringBackend) StoreRecovered() error { return b.rec }

// A damaged database replaced at start is said once, in a dialog with the
// backend's own sentence; a sound one says nothing.
func TestStoreRecoveredIsShown(t *testing.T) {
	for _, l := range []string{"fr", "en"} {
		fb := newFakeBackend(t)
		tu := newTestUI(t, recoveringBackend{fb, frontend.Errorf("store.recovered", "relais.db.corrupt-1")}, l)
		if !showStoreRecovered(tu.b, tu.window) {
			t.Fatalf("%s: nothing shown", l)
		}
		title := map[string]string{"fr": "Base de données locale remplacée", "en": "Local database replaced"}[l]
		over := tu.window.Canvas().Overlays().Top()
		if over == nil {
			t.Fatalf("%s: no dialog", l)
		}
		body := map[string]string{"fr": "La base de données locale de Relais était endommagée : elle a été mise de côté (relais.db.corrupt-1)",
			"en": "The local Relais database was damaged: it was moved aside (relais.db.corrupt-1)"}[l]
		if !containsText(over, title) || !containsText(over, body) {
			t.Errorf("%s: dialog shows %q", l, visibleTexts(over))
		}

		sound := newTestUI(t, recoveringBackend{newFakeBackend(t), nil}, l)
		if showStoreRecovered(sound.b, sound.window) || sound.window.Canvas().Overlays().Top() != nil {
			t.Errorf("%s: a sound database was announced", l)
		}
		plain := newTestUI(t, fb, l)
		if showStoreRecovered(plain.b, plain.window) {
			t.Errorf("%s: a backend that cannot recover was asked", l)
		}
	}
}
