package drills

import (
	"context"
	"time"

	"relais/internal/profile"
	"relais/internal/store"
)

// Input is what the participant gives when completing a step.
type Input struct {
	Answer string // a question's free-text answer
	Choice *int   // a question's choice (index into the step's choices)
	Note   string // an optional note on any step
}

// Walker runs the drills of one device. Every change is in the store
// before the method returns it.
type Walker struct {
	DB      *store.DB
	Engine  Engine // verification and actions; nil: steps with checks or actions fail with action_failed
	Version string // the app's version, recorded in each run
	Now     func() time.Time
	NewID   func() string // run ids; nil: random (crypto/rand)
	Logf    func(format string, args ...any)
}

// Start returns the active run of drill drillID if there is one (resume,
// whatever the profile says now), else starts a new run of the profile's
// drill (its window must be open), in language lang.
func (w *Walker) Start(ctx context.Context, p *profile.Profile, drillID, lang string) (*Run, error) {
	panic("drills: Start not implemented yet")
}

// Run returns one run as recorded.
func (w *Walker) Run(ctx context.Context, runID string) (*Run, error) {
	panic("drills: Run not implemented yet")
}

// Runs returns every run of this device, newest first.
func (w *Walker) Runs(ctx context.Context) ([]*Run, error) {
	panic("drills: Runs not implemented yet")
}

// Complete does the current step: an instruction is done; a question
// records its answer (required unless the step is optional); an action is
// performed through the engine, then verified; a step with checks is done
// only when every one of them is ok in a fresh run of the checks. A
// verification that fails marks the step failed (evidence kept) and
// returns an *Error with code checks_failed or action_failed.
func (w *Walker) Complete(ctx context.Context, runID, stepID string, in Input) (*Run, error) {
	panic("drills: Complete not implemented yet")
}

// Skip skips the current step; a required step needs a reason.
func (w *Walker) Skip(ctx context.Context, runID, stepID, reason string) (*Run, error) {
	panic("drills: Skip not implemented yet")
}

// Finish ends a run whose steps are all done or skipped, with the
// participant's feedback, and returns its report (participant: who took
// the drill, as the report names them).
func (w *Walker) Finish(ctx context.Context, runID, feedback, participant string) (*Report, error) {
	panic("drills: Finish not implemented yet")
}
