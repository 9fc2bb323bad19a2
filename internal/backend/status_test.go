package backend

import (
	"context"
	"errors"
	"os"
	"testing"
	"time"

	"relais/internal/checks"
	"relais/internal/config"
	"relais/internal/engine"
	"relais/internal/frontend"
	"relais/internal/store"
	"relais/internal/tunnel"
)

// The verdict `relais status` reports, from what the live record holds.
func TestMachineStatusVerdict(t *testing.T) {
	t.Parallel()
	report := &checks.Report{Apps: []checks.AppResult{{ID: "paie", Criticality: "essential", State: checks.StateOK}}}
	running := engine.Snapshot{Phase: engine.PhaseOperational, Started: liveNow, Report: report, Tunnel: tunnel.Status{Up: true}}
	stopped := running
	stopped.Stopped = true
	tests := []struct {
		name     string
		live     *Live
		diskFull bool
		want     engine.VerdictLevel // "": unknown
	}{
		{"nothing recorded", nil, false, engine.VerdictOff},
		{"nothing recorded, the disk full", nil, true, ""},
		{"a tunnel without engine", &Live{Snapshot: engine.Snapshot{Tunnel: tunnel.Status{Up: true}}}, false, engine.VerdictOff},
		{"a live engine", &Live{Snapshot: running}, false, engine.VerdictOperational},
		{"a live engine, the disk full", &Live{Snapshot: running}, true, engine.VerdictOperational},
		{"an engine gone without its end", &Live{Snapshot: running, Stale: LiveProcessGone}, false, ""},
		{"an engine that recorded its end", &Live{Snapshot: stopped, Stale: LiveOldRecord}, false, engine.VerdictOff},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			if got := (MachineStatus{Live: tt.live, DiskFull: tt.diskFull}).Verdict().Level; got != tt.want {
				t.Errorf("Verdict = %q, want %q", got, tt.want)
			}
		})
	}
}

func TestLiveRecorded(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name                  string
		l                     Live
		tunnel, engine, stale bool
	}{
		{"empty", Live{}, false, false, false},
		{"a tunnel coming up", Live{Snapshot: engine.Snapshot{Tunnel: tunnel.Status{Mode: tunnel.ModeSystem}}}, true, false, false},
		{"a tunnel up", Live{Snapshot: engine.Snapshot{Tunnel: tunnel.Status{Up: true}}}, true, false, false},
		{"an engine", Live{Snapshot: engine.Snapshot{Phase: engine.PhaseChecking}}, false, true, false},
		{"an engine gone", Live{Snapshot: engine.Snapshot{Phase: engine.PhaseChecking}, Stale: LiveProcessGone}, false, true, true},
		{"an engine stopped, its record old", Live{Snapshot: engine.Snapshot{Phase: engine.PhaseIdle, Stopped: true}, Stale: LiveOldRecord}, false, true, false},
	}
	for _, tt := range tests {
		if tt.l.TunnelRecorded() != tt.tunnel || tt.l.EngineRecorded() != tt.engine || tt.l.EngineStale() != tt.stale {
			t.Errorf("%s: tunnel %v engine %v stale %v, want %v %v %v", tt.name,
				tt.l.TunnelRecorded(), tt.l.EngineRecorded(), tt.l.EngineStale(), tt.tunnel, tt.engine, tt.stale)
		}
	}
}

// statusMachine is a managed machine (no demo store) on a fresh store.
func statusMachine(t *testing.T) *Machine {
	return &Machine{Env: Env{Now: liveClock}.filled(), Managed: &config.Managed{}, DB: liveDB(t)}
}

func TestMachineStatus(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	m := statusMachine(t)
	st, err := m.Status(ctx)
	if err != nil || st.Demo || st.Live != nil || st.Profile != nil || len(st.Checks) != 0 {
		t.Fatalf("Status of an empty store = %+v, %v", st, err)
	}
	recordLiveAt(t, m.DB, deadPID, time.Second, engine.PhaseOperational)
	if err := m.DB.RecordChecks(ctx, []store.CheckRecord{{RunAt: liveNow, CheckID: "paie-web", AppID: "paie", Type: "http", State: "ok", At: liveNow}}); err != nil {
		t.Fatal(err)
	}
	st, err = m.Status(ctx)
	if err != nil || st.Live == nil || st.Live.PID != deadPID || st.Live.Stale != LiveProcessGone || !st.Live.EngineStale() {
		t.Fatalf("Status = %+v, %v: want the dead writer's record, stale", st, err)
	}
	if len(st.Checks) != 1 || st.Checks[0].CheckID != "paie-web" {
		t.Errorf("Checks = %+v", st.Checks)
	}
	if v := st.Verdict(); v.Level != "" {
		t.Errorf("Verdict = %+v: a writer gone without its end says nothing", v)
	}
	recordLiveAt(t, m.DB, os.Getpid(), time.Second, engine.PhaseOperational)
	if st, _ = m.Status(ctx); st.Live == nil || st.Live.PID != os.Getpid() || st.Live.Stale != LiveFresh {
		t.Errorf("Status = %+v: want the live record first", st.Live)
	}
}

func TestMachineStatusUnreadableStore(t *testing.T) {
	t.Parallel()
	m := statusMachine(t)
	m.DB.Close()
	var fe *frontend.Error
	if _, err := m.Status(context.Background()); !errors.As(err, &fe) || fe.Key != "cli.store.read" {
		t.Errorf("Status of a closed store = %v, want cli.store.read", err)
	}
}
