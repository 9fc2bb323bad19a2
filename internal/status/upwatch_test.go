package status_test

import (
	"testing"
	"time"

	"relais/internal/status"
)

// UpWatch tells each change once: the tunnel's failure, the verdict with
// its faults, the time to operational.
func TestUpWatch(t *testing.T) {
	t.Parallel()
	app := func(id string, st status.State) status.AppResult {
		return status.AppResult{ID: id, Criticality: "essential", State: st}
	}
	snap := func(apps ...status.AppResult) status.Snapshot {
		return status.Snapshot{Phase: status.PhaseChecking, Started: time.Unix(1, 0), Tunnel: status.Tunnel{Up: true}, Report: &status.Report{Apps: apps}}
	}
	tto := 3 * time.Second
	operational := snap(app("paie", status.StateOK), app("mail", status.StateOK))
	operational.TimeToOperational = &tto
	failedTunnel := status.Snapshot{Started: time.Unix(1, 0), TunnelErrorCode: "timeout", TunnelError: "no handshake"}
	failedWithReport := snap(app("paie", status.StateFailed))
	failedWithReport.TunnelErrorCode, failedWithReport.TunnelError = "timeout", "no handshake"
	stopped := operational
	stopped.Stopped = true

	var w status.UpWatch
	steps := []struct {
		name          string
		s             status.Snapshot
		tunnel        string
		verdict       status.VerdictLevel // "": none told
		faults        int
		toOperational bool
	}{
		{"before any report", status.Snapshot{Started: time.Unix(1, 0), Phase: status.PhaseConnecting}, "", "", 0, false},
		{"the tunnel fails", failedTunnel, "timeout", "", 0, false},
		{"the same failure again", failedTunnel, "", "", 0, false},
		{"a report with the tunnel failed: no fault lines", failedWithReport, "", status.VerdictFailed, 0, false},
		{"partial", snap(app("paie", status.StateOK), app("mail", status.StateFailed)), "", status.VerdictPartial, 1, false},
		{"the same faults", snap(app("paie", status.StateOK), app("mail", status.StateFailed)), "", "", 0, false},
		{"another fault", snap(app("paie", status.StateFailed), app("mail", status.StateOK)), "", status.VerdictPartial, 1, false},
		{"operational", operational, "", status.VerdictOperational, 0, true},
		{"operational again", operational, "", "", 0, false},
		{"stopped: off is never told", stopped, "", "", 0, false},
	}
	for _, st := range steps {
		n := w.See(st.s)
		if n.TunnelFailure != st.tunnel {
			t.Errorf("%s: tunnel failure %q, want %q", st.name, n.TunnelFailure, st.tunnel)
		}
		switch {
		case st.verdict == "" && n.Verdict != nil:
			t.Errorf("%s: verdict %s told", st.name, n.Verdict.Level)
		case st.verdict != "" && (n.Verdict == nil || n.Verdict.Level != st.verdict):
			t.Errorf("%s: verdict %+v, want %s", st.name, n.Verdict, st.verdict)
		}
		if len(n.Faults) != st.faults {
			t.Errorf("%s: %d faults, want %d", st.name, len(n.Faults), st.faults)
		}
		if (n.TimeToOperational != nil) != st.toOperational {
			t.Errorf("%s: time to operational %v, want told %v", st.name, n.TimeToOperational, st.toOperational)
		}
	}
}
