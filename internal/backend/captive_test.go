package backend

import (
	"testing"

	"relais/internal/checks"
	"relais/internal/config"
)

// The managed captive_url and captive_expect_status go into the session's
// check runner (the engine fills in the profile's only when none is set);
// without them the runner names no probe, and a runner that names one
// already (a test's) keeps it.
func TestCheckRunnerManagedCaptive(t *testing.T) {
	managed := &config.Managed{CaptiveURL: "http://portail-test.example.org/ok", CaptiveExpectStatus: 200}
	cases := []struct {
		name       string
		managed    *config.Managed
		seam       *checks.Runner
		url        string
		wantStatus int
	}{
		{"managed", managed, &checks.Runner{}, managed.CaptiveURL, 200},
		{"managed default status", &config.Managed{CaptiveURL: "https://p.example.org/"}, &checks.Runner{}, "https://p.example.org/", 204},
		{"not managed", nil, &checks.Runner{}, "", 0},
		{"managed without captive", &config.Managed{}, &checks.Runner{}, "", 0},
		{"seam first", managed, &checks.Runner{CaptiveURL: "http://127.0.0.1:9/"}, "http://127.0.0.1:9/", 0},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			m := &Machine{Managed: tc.managed, Env: Env{Seams: Seams{Checks: func() *checks.Runner { return tc.seam }}}}
			r := m.checkRunner()
			if r.CaptiveURL != tc.url || r.CaptiveStatus != tc.wantStatus {
				t.Errorf("runner probes %q for %d, want %q for %d", r.CaptiveURL, r.CaptiveStatus, tc.url, tc.wantStatus)
			}
		})
	}
}

// The default runner reads NetworkManager's verdict on Linux only.
func TestCheckRunnerConnectivity(t *testing.T) {
	for goos, want := range map[string]bool{"linux": true, "windows": false, "darwin": false} {
		if got := (Env{GOOS: goos}).CheckRunner().Connectivity != nil; got != want {
			t.Errorf("%s: reads the system's verdict %v, want %v", goos, got, want)
		}
	}
}
