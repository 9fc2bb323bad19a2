package backend

import (
	"context"
	"errors"
	"slices"
	"testing"

	"relais/internal/checks"
	"relais/internal/frontend"
	"relais/internal/office"
)

// The demo shows what it is for when each app shows its designed state.
func TestDemoSurprises(t *testing.T) {
	t.Parallel()
	designed := func() *checks.Report {
		rep := &checks.Report{Apps: []checks.AppResult{{ID: office.Dependent, State: checks.StateBlocked}}}
		for _, a := range office.Apps {
			rep.Apps = append(rep.Apps, checks.AppResult{ID: a.ID, State: designedState[a.Behaviour]})
		}
		return rep
	}
	healthy := office.Apps[0].ID // paie
	brokenHealthy := designed()
	brokenHealthy.App(healthy).State = checks.StateFailed
	unblocked := designed()
	unblocked.App(office.Dependent).State = checks.StateOK
	missing := designed()
	missing.Apps = missing.Apps[1:]
	tests := []struct {
		name string
		rep  *checks.Report
		want []string
	}{
		{"as designed", designed(), nil},
		{"the healthy app failed", brokenHealthy, []string{healthy + ": failed"}},
		{"the dependent app not blocked", unblocked, []string{office.Dependent + ": ok"}},
		{"an app missing", missing, []string{office.Dependent + ": missing"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			if got := DemoSurprises(tt.rep); !slices.Equal(got, tt.want) {
				t.Errorf("DemoSurprises = %q, want %q", got, tt.want)
			}
		})
	}
}

// relais check refuses a mode it does not know before it takes the
// tunnel.
func TestCheckOnceBadMode(t *testing.T) {
	t.Parallel()
	m := statusMachine(t)
	m.Managed = nil
	var fe *frontend.Error
	if _, err := m.CheckOnce(context.Background(), "carrier-pigeon"); !errors.As(err, &fe) || fe.Key != "cli.tunnel.bad_mode" {
		t.Errorf("CheckOnce = %v, want cli.tunnel.bad_mode", err)
	}
}

// The address to try is the healthy app's, which the demo tunnel carries.
func TestDemoTryURL(t *testing.T) {
	t.Parallel()
	if got := (&Demo{}).TryURL(); got != office.Apps[0].HealthURL || office.Apps[0].Behaviour != office.Healthy {
		t.Errorf("TryURL = %q: not the healthy app's", got)
	}
}
