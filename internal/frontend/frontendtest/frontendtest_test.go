package frontendtest_test

import (
	"errors"
	"reflect"
	"testing"
	"time"

	"relais/internal/frontend"
	"relais/internal/frontend/frontendtest"
	"relais/internal/status"
)

// The fake is a frontend.Backend.
var _ frontend.Backend = (*frontendtest.Backend)(nil)

var now = time.Date(2026, 11, 22, 14, 30, 0, 0, time.UTC)

// A scripted error is what the method returns, and the call is recorded
// either way.
func TestScriptedErrorsAndRecordedCalls(t *testing.T) {
	t.Parallel()
	f := frontendtest.New(nil, now)
	var b frontend.Backend = f

	refused := errors.New("refused")
	f.StartErr = refused
	if err := b.Start("userspace"); err != refused || b.Active() {
		t.Fatalf("Start = %v, active %v; want the scripted error, inactive", err, b.Active())
	}
	f.StartErr = nil
	if err := b.Start(""); err != nil || !b.Active() {
		t.Fatalf("Start = %v, active %v; want nil, active", err, b.Active())
	}
	b.Stop()
	if !reflect.DeepEqual(f.Starts, []string{"userspace", ""}) || f.Stops != 1 || b.Active() {
		t.Errorf("starts %q, stops %d, active %v", f.Starts, f.Stops, b.Active())
	}

	f.OpenErr = refused
	if err := b.OpenLink("portail"); err != refused || !reflect.DeepEqual(f.Opened, []string{"portail"}) {
		t.Errorf("OpenLink = %v, opened %q", err, f.Opened)
	}

	f.Drills.RunsErr = refused
	if _, err := b.Runs(); err != refused || f.Drills.CallsOf("Runs") != 1 {
		t.Errorf("Runs = %v, calls %q", err, f.Drills.Calls())
	}
	if _, err := b.StartDrill("automne"); err == nil || f.Drills.CallsOf("StartDrill automne") != 1 {
		t.Errorf("StartDrill with no profile = %v, calls %q", err, f.Drills.Calls())
	}

	f.Diag.ExportErr = refused
	if _, err := b.ExportDiagnostics("", "strict", false); err != refused {
		t.Errorf("ExportDiagnostics = %v", err)
	}
	if want := []frontendtest.Export{{Level: "strict"}}; !reflect.DeepEqual(f.Diag.Exports, want) {
		t.Errorf("exports %+v, want %+v", f.Diag.Exports, want)
	}

	b.SetLanguage("en")
	if f.Lang != "en" {
		t.Errorf("language %q", f.Lang)
	}
}

// Emit sets the snapshot and reaches every subscriber until it cancels.
func TestEmitReachesSubscribers(t *testing.T) {
	t.Parallel()
	f := frontendtest.New(nil, now)
	var got []status.Event
	cancel := f.Subscribe(func(e status.Event) { got = append(got, e) })
	f.Emit(status.EventReport, status.Snapshot{Phase: status.PhaseOperational})
	cancel()
	f.Emit(status.EventReport, status.Snapshot{Phase: status.PhaseFailed})
	if len(got) != 1 || got[0].Kind != status.EventReport || !got[0].At.Equal(now) || got[0].Snapshot.Phase != status.PhaseOperational {
		t.Fatalf("events %+v, want one report at now", got)
	}
	if f.Snapshot().Phase != status.PhaseFailed {
		t.Errorf("snapshot %q, want the last emitted", f.Snapshot().Phase)
	}
}
