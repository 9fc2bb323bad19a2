package status_test

import (
	"testing"
	"time"

	"relais/internal/status"
)

func TestFoundVerdict(t *testing.T) {
	t.Parallel()
	ok := &status.Report{Apps: []status.AppResult{{ID: "paie", Criticality: "essential", State: status.StateOK}}}
	failed := &status.Report{Apps: []status.AppResult{{ID: "paie", Criticality: "essential", State: status.StateFailed}}}
	up := status.Tunnel{Up: true, Mode: status.ModeUserspace}
	tests := []struct {
		name string
		s    status.Snapshot
		want status.VerdictLevel
	}{
		{"stopped after an operational run", status.Snapshot{Started: time.Unix(1, 0), Stopped: true, Report: ok, TunnelAtReport: up,
			Verdict: status.Verdict{Level: status.VerdictOff}}, status.VerdictOperational},
		{"stopped after a failed run", status.Snapshot{Started: time.Unix(1, 0), Stopped: true, Report: failed, TunnelAtReport: up}, status.VerdictFailed},
		{"the tunnel failed", status.Snapshot{Started: time.Unix(1, 0), Stopped: true, Report: ok, TunnelErrorCode: "timeout"}, status.VerdictFailed},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			if got := status.FoundVerdict(tt.s).Level; got != tt.want {
				t.Errorf("FoundVerdict = %s, want %s", got, tt.want)
			}
			if got := status.VerdictOf(tt.s).Level; tt.s.Verdict.Level == status.VerdictOff && got != status.VerdictOff {
				t.Errorf("VerdictOf = %s: the recorded verdict was off", got)
			}
		})
	}
}
