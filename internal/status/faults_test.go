package status_test

import (
	"testing"

	"relais/internal/status"
)

func TestEssentialFaults(t *testing.T) {
	t.Parallel()
	timeout := &status.Reason{Code: "timeout"}
	refused := &status.Reason{Code: "refused"}
	rep := &status.Report{Apps: []status.AppResult{
		{ID: "mail", Criticality: "essential", State: status.StateOK},
		{ID: "paie", Criticality: "essential", State: status.StateFailed, Checks: []status.CheckResult{
			{ID: "ok", State: status.StateOK, Reason: refused}, // an ok check's reason is not the fault's
			{ID: "http", State: status.StateFailed, Reason: timeout},
			{ID: "tcp", State: status.StateFailed, Reason: refused},
		}},
		{ID: "wiki", Criticality: "optional", State: status.StateFailed},
		{ID: "crm", Criticality: "essential", State: status.StateDegraded, Checks: []status.CheckResult{{ID: "slow", State: status.StateDegraded}}},
		{ID: "sso", Criticality: "essential", State: status.StateBlocked, BlockedBy: []string{"tunnel", "dns"},
			Checks: []status.CheckResult{{ID: "sso", State: status.StateBlocked, Reason: timeout}}},
	}}
	tests := []struct {
		name    string
		rep     *status.Report
		wantIDs []string
		reasons []*status.Reason
		key     string
	}{
		{"none", &status.Report{}, nil, nil, ""},
		{"all ok", &status.Report{Apps: rep.Apps[:1]}, nil, nil, ""},
		{"essentials only, in order", rep, []string{"paie", "crm", "sso"}, []*status.Reason{timeout, nil, timeout},
			"paie:failed:timeout crm:degraded: sso:blocked:tunnel,dns"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			faults, key := status.EssentialFaults(tt.rep)
			if key != tt.key {
				t.Errorf("key = %q, want %q", key, tt.key)
			}
			if len(faults) != len(tt.wantIDs) {
				t.Fatalf("faults = %v, want %v", faults, tt.wantIDs)
			}
			for i, f := range faults {
				if f.App.ID != tt.wantIDs[i] || f.Reason != tt.reasons[i] {
					t.Errorf("fault %d = %s %v, want %s %v", i, f.App.ID, f.Reason, tt.wantIDs[i], tt.reasons[i])
				}
			}
		})
	}
}
