package backend

import (
	"relais/internal/drills"
	"relais/internal/profile"
)

// DrillWalk is a run walked one step at a time by a front end that asks
// the participant (relais drill start): it keeps the run as it stands
// after each step, so that the front end only shows the step to do and
// passes on the answer.
type DrillWalk struct {
	d   *Local
	run *drills.Run
}

// WalkDrill resumes the active run of drill id, or starts one (see
// StartDrill).
func (d *Local) WalkDrill(id string) (*DrillWalk, error) {
	run, err := d.StartDrill(id)
	if err != nil {
		return nil, err
	}
	return &DrillWalk{d: d, run: run}, nil
}

// Run is the run as it stands.
func (w *DrillWalk) Run() *drills.Run { return w.run }

// Next is the step to do now: its index, where it stands in the run (a
// step failed before is tried again) and the drill's definition of it; ok
// false once every step is done or skipped.
func (w *DrillWalk) Next() (i int, st drills.Step, def profile.Step, ok bool) {
	i = w.run.Current()
	if i >= len(w.run.Steps) || i >= len(w.run.Drill.Steps) {
		return i, drills.Step{}, profile.Step{}, false
	}
	return i, w.run.Steps[i], w.run.Drill.Steps[i], true
}

// Complete does the current step with in and returns it as it then
// stands: done; or, beside the error that says why, failed with its
// evidence (it stays current, to be tried again or skipped) or unchanged
// (a refusal: a bad choice, a missing answer). The zero Step when the run
// could not be read back.
func (w *DrillWalk) Complete(in drills.Input) (drills.Step, error) {
	i, st, _, ok := w.Next()
	if !ok {
		return drills.Step{}, w.d.drillError(&drills.Error{Code: drills.ErrCodeNotCurrent})
	}
	next, err := w.d.CompleteStep(w.run.ID, st.ID, in)
	if next == nil {
		return drills.Step{}, err
	}
	w.run = next
	return next.Steps[i], err
}

// Skip skips the current step; a required one needs a reason.
func (w *DrillWalk) Skip(reason string) error {
	_, st, _, ok := w.Next()
	if !ok {
		return w.d.drillError(&drills.Error{Code: drills.ErrCodeNotCurrent})
	}
	next, err := w.d.SkipStep(w.run.ID, st.ID, reason)
	if err != nil {
		return err
	}
	w.run = next
	return nil
}

// Finish ends the run with the participant's feedback (see FinishDrill).
func (w *DrillWalk) Finish(feedback string) (*drills.Report, error) {
	return w.d.FinishDrill(w.run.ID, feedback)
}
