package cli

import (
	"errors"

	"relais/internal/desk"
	"relais/internal/drills"
)

// The drills half of the desk.

// Runs are this device's drill runs, newest first.
func (d *Desk) Runs() ([]*drills.Run, error) { return nil, errors.New("drills: not yet") }

// StartDrill resumes the active run of drill id, or starts one.
func (d *Desk) StartDrill(id string) (*drills.Run, error) { return nil, errors.New("drills: not yet") }

// CompleteStep does the run's current step.
func (d *Desk) CompleteStep(runID, stepID string, in drills.Input) (*drills.Run, error) {
	return nil, errors.New("drills: not yet")
}

// SkipStep skips the current step.
func (d *Desk) SkipStep(runID, stepID, reason string) (*drills.Run, error) {
	return nil, errors.New("drills: not yet")
}

// FinishDrill ends the run and queues its report.
func (d *Desk) FinishDrill(runID, feedback string) (*drills.Report, error) {
	return nil, errors.New("drills: not yet")
}

// Delivery is the delivery state of a run's report.
func (d *Desk) Delivery(runID string) desk.Delivery { return desk.Delivery{State: desk.DeliveryNone} }

// ExportReport writes a run's report to path.
func (d *Desk) ExportReport(runID, path string) error { return errors.New("drills: not yet") }

// Summarize reads report files into one table.
func (d *Desk) Summarize(paths []string) (*drills.Table, error) {
	return nil, errors.New("drills: not yet")
}
