package diag

import (
	"strings"
	"testing"
	"time"

	"relais/internal/checks"
	"relais/internal/drills"
	"relais/internal/engine"
	"relais/internal/profile"
	"relais/internal/tunnel"
)

// A bundle of an engine that never started (no tunnel, no check run, no
// handshake, a drill run not finished, a profile that never expires) holds
// no zero date ("0001-01-01"): an unknown time is null or left out, in
// every file, JSON and text alike.
func TestBundleHasNoZeroDate(t *testing.T) {
	never := func(in *Input) {
		in.Snapshot = &engine.Snapshot{Phase: engine.PhaseIdle, Tunnel: tunnel.Status{Mode: tunnel.ModeUserspace},
			Report: &checks.Report{Apps: []checks.AppResult{{ID: "paie", Name: profile.Text{FR: "Paie", EN: "Payroll"},
				Criticality: "essential", State: checks.StatePending,
				Checks: []checks.CheckResult{{ID: "paie-web", AppID: "paie", Type: "http", State: checks.StatePending}}}}}}
		in.Snapshot.TunnelAtReport = in.Snapshot.Tunnel
		if in.Profile != nil {
			in.Profile.Expires = time.Time{}
		}
		in.Drills = []*drills.Run{{ID: "run-1", DrillID: "d", Drill: profile.Drill{ID: "d"}, State: drills.RunActive,
			Steps: []drills.Step{{ID: "s1", State: drills.StepOpen}}}}
	}
	for _, tc := range []struct {
		name string
		edit func(*Input)
	}{
		{"never started", never},
		{"no snapshot", func(in *Input) { in.Snapshot = nil; in.Drills = nil }},
	} {
		t.Run(tc.name, func(t *testing.T) {
			for _, lang := range []string{"fr", "en"} {
				in, _ := sampleInput(t)
				in.Language = lang
				tc.edit(&in)
				raw, _ := export(t, in, Options{CaseCode: "RLS-7K3M-Q9TD", collectors: defaultCollectors(fakeSources())})
				for name, b := range unzip(t, raw) {
					if i := strings.Index(string(b), "0001-01-01"); i >= 0 {
						for _, ln := range strings.Split(string(b), "\n") {
							if strings.Contains(ln, "0001-01-01") {
								t.Errorf("%s %s: a zero date: %s", lang, name, strings.TrimSpace(ln))
							}
						}
						_ = i
					}
				}
			}
		})
	}
}
