package frontend_test

import (
	"testing"
	"time"

	"relais/internal/engine/verdicttest"
	"relais/internal/frontend"
	"relais/internal/status"
)

// Every verdict is worded as its case says, in both languages.
func TestVerdictIn(t *testing.T) {
	t.Parallel()
	for _, c := range verdicttest.Cases(time.Now()) {
		for _, l := range []string{"fr", "en"} {
			if got := frontend.VerdictIn(l, status.Judge(c.Snap)); got != c.Text(l) {
				t.Errorf("%s %s: %q, want %q", l, c.Name, got, c.Text(l))
			}
		}
	}
}
