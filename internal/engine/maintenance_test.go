package engine

import (
	"context"
	"testing"
	"time"

	"relais/internal/checks"
	"relais/internal/status"
)

// An essential app that does not answer during its announced maintenance
// window: its checks still run and fail, the app reads "maintenance" in the
// snapshot every front end reads, and the verdict is the maintenance one,
// neither a failure nor "everything works".
func TestEngineMaintenanceWindow(t *testing.T) {
	t.Parallel()
	f := newMemFixture(t)
	f.prof.Apps[1].Criticality = "essential" // archives never answers
	e := f.engine()
	e.Once = true
	var asked []string
	e.Maintenance = func(id string, now time.Time) (status.Maintenance, bool) {
		asked = append(asked, id)
		if id != "archives" || now.IsZero() {
			return status.Maintenance{}, false
		}
		return status.Maintenance{From: now.Add(-time.Hour), Until: now.Add(time.Hour)}, true
	}
	if err := e.Start(context.Background()); err != nil {
		t.Fatal(err)
	}
	<-e.Done()
	s := e.Snapshot()
	a := s.Report.App("archives")
	if a == nil || a.State != status.StateMaintenance || a.Maintenance == nil || a.Checks[0].State != checks.StateFailed || a.Checks[0].Attempts == 0 {
		t.Fatalf("archives: %+v", a)
	}
	if p := s.Report.App("paie"); p.State != checks.StateOK || p.Maintenance != nil {
		t.Fatalf("paie: %+v", p)
	}
	running := s
	running.Stopped = false // the verdict while it ran (Once stops at the end)
	if v := status.Judge(running); v.Level != status.VerdictMaintenance || s.Phase != PhaseDegraded || len(asked) != 2 {
		t.Fatalf("verdict %+v phase %s asked %v", v, s.Phase, asked)
	}
}
