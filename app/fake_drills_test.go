package app

import (
	"errors"

	"relais/internal/desk"
	"relais/internal/drills"
)

// The drills half of fakeBackend.

func (f *fakeBackend) Runs() ([]*drills.Run, error) { return nil, nil }
func (f *fakeBackend) StartDrill(id string) (*drills.Run, error) {
	return nil, errors.New("not in this fake")
}
func (f *fakeBackend) CompleteStep(runID, stepID string, in drills.Input) (*drills.Run, error) {
	return nil, errors.New("not in this fake")
}
func (f *fakeBackend) SkipStep(runID, stepID, reason string) (*drills.Run, error) {
	return nil, errors.New("not in this fake")
}
func (f *fakeBackend) FinishDrill(runID, feedback string) (*drills.Report, error) {
	return nil, errors.New("not in this fake")
}
func (f *fakeBackend) Delivery(runID string) desk.Delivery { return desk.Delivery{State: desk.DeliveryNone} }
func (f *fakeBackend) ExportReport(runID, path string) error { return errors.New("not in this fake") }
func (f *fakeBackend) Summarize(paths []string) (*drills.Table, error) {
	return nil, errors.New("not in this fake")
}
