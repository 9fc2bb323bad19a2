package app

import (
	"testing"

	"relais/internal/status"
)

// Behind a captive portal, Accueil offers "Ouvrir la page de connexion",
// which opens the captive probe's URL in the desktop's browser; once the
// probe passes, the button goes away.
func TestHomeCaptivePortal(t *testing.T) {
	for _, tt := range []struct{ lang, button string }{{"fr", "Ouvrir la page de connexion"}, {"en", "Open the login page"}} {
		t.Run(tt.lang, func(t *testing.T) {
			fb := newFakeBackend(t)
			fb.IsActive = true
			tu, h, c := newTestHome(t, fb, tt.lang)
			portal := status.CheckResult{ID: "captive", Type: "captive", Target: "http://portail-test.example.org/ok", State: status.StateFailed,
				Reason: &status.Reason{Code: status.CodeCaptivePortal}}
			tu.snap = status.Snapshot{Phase: status.PhaseFailed, Started: testNow,
				Report: &status.Report{Builtins: map[string]status.CheckResult{"captive": portal}}}
			h.refresh()
			tap(t, c, tt.button)
			if len(tu.urls) != 1 || tu.urls[0] != "http://portail-test.example.org/ok" {
				t.Fatalf("opened %v, want the probe's URL", tu.urls)
			}
			tu.snap.Report = &status.Report{Builtins: map[string]status.CheckResult{"captive": {ID: "captive", Target: portal.Target, State: status.StateOK}}}
			h.refresh()
			if h.portalGo.Visible() || hasText(c, tt.button) {
				t.Error("the button stays once the probe passes")
			}
			// Mode urgence off: no button, whatever the last report said.
			tu.snap.Report = &status.Report{Builtins: map[string]status.CheckResult{"captive": portal}}
			fb.IsActive = false
			h.refresh()
			if h.portalGo.Visible() {
				t.Error("the button shows with Mode urgence off")
			}
		})
	}
}
