package app

import (
	"testing"

	"relais/internal/frontend"
)

// While Mode urgence is on and the programs' proxy setting could not be
// pointed at Relais, Accueil says so in one line; it says nothing when
// pointing worked, or with Mode urgence off.
func TestHomeSystemProxyFailed(t *testing.T) {
	for _, tt := range []struct{ lang, line string }{
		{"fr", "Vos programmes ne passent pas par Relais : leur réglage de proxy n'a pas pu être modifié. Les liens ouverts depuis Relais fonctionnent."},
		{"en", "Your programs do not go through Relais: their proxy setting could not be changed. Links opened from Relais work."},
	} {
		t.Run(tt.lang, func(t *testing.T) {
			fb := newFakeBackend(t)
			fb.IsActive = true
			_, h, c := newTestHome(t, fb, tt.lang)
			if h.sysProxy.Visible() || hasText(c, tt.line) {
				t.Fatal("the line shows with no problem")
			}
			for _, code := range []string{frontend.SystemProxySetFailed, frontend.SystemProxyNoDesktop} {
				fb.Lock()
				fb.ProxyProblem = code
				fb.Unlock()
				h.refresh()
				if !h.sysProxy.Visible() || !hasText(c, tt.line) {
					t.Fatalf("%s: the line does not show", code)
				}
			}
			fb.Lock()
			fb.ProxyProblem = ""
			fb.Unlock()
			h.refresh()
			if h.sysProxy.Visible() || hasText(c, tt.line) {
				t.Error("the line stays once the setting is pointed")
			}
			// Mode urgence off: no line, whatever the backend says.
			fb.Lock()
			fb.ProxyProblem, fb.IsActive = frontend.SystemProxySetFailed, false
			fb.Unlock()
			h.refresh()
			if h.sysProxy.Visible() {
				t.Error("the line shows with Mode urgence off")
			}
		})
	}
}
