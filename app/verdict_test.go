package app

import (
	"strings"
	"testing"

	"relais/internal/engine/verdicttest"
	"relais/internal/frontend"
)

// One verdict: for each state, Accueil's sentence, the tray's line and the
// status summary say the same sentence, in French and in English (the CLI
// and the bundle's tests check theirs against the same cases). Where some
// essential app does not answer while the tunnel is up, nothing says "all
// is well", nor "failed" beside "connected".
func TestOneVerdictEverywhere(t *testing.T) {
	for _, l := range []string{"fr", "en"} {
		for _, c := range verdicttest.Cases(testNow) {
			want := c.Text(l)
			fb := newFakeBackend(t)
			fb.IsActive = c.Active
			tu, h, _ := newTestHome(t, fb, l)
			tu.snap = c.Snap
			h.refresh()
			if h.state.Text != want {
				t.Errorf("%s %s: Accueil says %q, want %q", l, c.Name, h.state.Text, want)
			}
			if got := trayState(l, c.Snap, c.Active); got != want {
				t.Errorf("%s %s: the tray says %q, want %q", l, c.Name, got, want)
			}
			sum := statusSummary(l, tu.info, frontend.ProfileState{Profile: fb.Prof.Profile, Serial: 7, Signature: "valid"}, c.Snap, testNow)
			if !strings.Contains(sum, "\n"+want+"\n") && !strings.HasSuffix(sum, "\n"+want) {
				t.Errorf("%s %s: the summary does not say %q:\n%s", l, c.Name, want, sum)
			}
			if strings.HasPrefix(c.Name, "two of three") || strings.HasPrefix(c.Name, "one of three") {
				for _, bad := range verdicttest.Contradictions {
					for where, s := range map[string]string{"Accueil": h.state.Text + " " + h.problems.Text, "summary": sum} {
						if strings.Contains(s, bad) {
							t.Errorf("%s %s: %s says %q: %s", l, c.Name, where, bad, s)
						}
					}
				}
			}
		}
	}
}
