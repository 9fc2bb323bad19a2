// Package drillrun runs a drill on the store: its Walker starts a run of a
// profile's drill (README, "Continuity drills"), snapshotting the drill it
// started with (its version and hash), records each step's state,
// timestamps and evidence in the store the moment it changes, verifies
// steps through the engine (checks that must be ok, actions performed and
// verified), and resumes exactly where it was after a crash, a kill or a
// reboot. At the end it makes the run's report. The values it reads and
// writes (Run, Step, Evidence, Report) are package drills's.
//
// It never imports fyne.io or the CLI, and never puts an error into words
// for people: front ends do (errors are typed: *drills.Error with a Code).
package drillrun

import (
	"context"

	"relais/internal/status"
)

// Engine is what a drill needs of Mode urgence; the desk backend adapts
// the engine to it. Every method honours ctx's deadline.
type Engine interface {
	// TunnelUp enters Mode urgence if it is not on and returns once the
	// tunnel is up (or failed).
	TunnelUp(ctx context.Context) error
	// RunChecks runs every check now and returns the new report.
	RunChecks(ctx context.Context) (*status.Report, error)
	// OpenLink opens an emergency link as the app does.
	OpenLink(ctx context.Context, id string) error
	// Snapshot is Mode urgence's current state (its latest report, time to
	// operational).
	Snapshot() status.Snapshot
}
