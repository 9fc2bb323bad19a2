// Package drills holds the continuity drills of the profile (README,
// "Continuity drills") as values: a run (the drill it started with, its
// version and hash, each step's state, timestamps and evidence), the
// report it ends with (JSON and readable HTML, which the outbox delivers
// to the profile's report_url), and the table ambassadors combine reports
// into (Summarize). Package drillrun walks people through a run on the
// store.
//
// Values and pure functions only: it never reads or writes the store,
// never calls the engine, never imports fyne.io or the CLI, and never puts
// an error into words for people: front ends do (errors are typed: *Error
// with a Code).
package drills

import (
	"time"

	"relais/internal/profile"
	"relais/internal/status"
)

// StepState is where one step of a run stands.
type StepState string

// Step states.
const (
	StepOpen    StepState = "open"    // not done yet (the current step, or one after it)
	StepDone    StepState = "done"    // done, and verified where it can be
	StepSkipped StepState = "skipped" // skipped, with a reason when the step is required
	StepFailed  StepState = "failed"  // its verification failed; it can be tried again or skipped
)

// RunState is where a run stands.
type RunState string

// Run states.
const (
	RunActive    RunState = "active"    // under way (or interrupted: it resumes)
	RunCompleted RunState = "completed" // finished: its report is made
)

// CheckEvidence is one check result that verified (or failed) a step.
type CheckEvidence struct {
	ID     string       `json:"id"`
	AppID  string       `json:"app_id,omitempty"`
	State  status.State `json:"state"`
	Reason string       `json:"reason,omitempty"` // the reason code when not ok
	At     time.Time    `json:"at"`
}

// Evidence is what a step's state rests on.
type Evidence struct {
	Checks []CheckEvidence `json:"checks,omitempty"`
	Action string          `json:"action,omitempty"` // the action performed: tunnel_up, run_checks, open_link:<id>
	Answer string          `json:"answer,omitempty"` // a question's answer (the choice's text in the run's language, or free text)
	Choice *int            `json:"choice,omitempty"` // the index of the choice, for a question with choices
	Note   string          `json:"note,omitempty"`   // the participant's note
	// Attempts are the step's earlier failed attempts, oldest first (the
	// last one, when the step is failed or skipped, is the step itself).
	Attempts []Attempt `json:"attempts,omitempty"`
}

// Attempt is one failed attempt at a step, kept when it is tried again.
type Attempt struct {
	At      time.Time       `json:"at"`      // when it failed
	Failure string          `json:"failure"` // checks_failed, action_failed
	Checks  []CheckEvidence `json:"checks,omitempty"`
	Note    string          `json:"note,omitempty"`
}

// Step is one step of a run.
type Step struct {
	ID         string    `json:"id"`
	Kind       string    `json:"kind"`
	Required   bool      `json:"required"`
	State      StepState `json:"state"`
	Started    time.Time `json:"started"`  // when the step became current (zero: not yet)
	Finished   time.Time `json:"finished"` // when it was done, skipped or failed last (zero: not yet)
	SkipReason string    `json:"skip_reason,omitempty"`
	Failure    string    `json:"failure,omitempty"` // the code of the last failed attempt (checks_failed, action_failed); kept when the step is then skipped, cleared when done
	Evidence   Evidence  `json:"evidence"`
}

// Run is one person's walk through one drill.
type Run struct {
	ID            string        `json:"id"` // random, unique; also the report's idempotency key
	DrillID       string        `json:"drill_id"`
	DrillHash     string        `json:"drill_hash"` // sha256 of the drill as started (canonical JSON)
	Drill         profile.Drill `json:"drill"`      // the drill as started: a newer profile does not change a run
	ProfileSerial int64         `json:"profile_serial"`
	AppVersion    string        `json:"app_version"`
	Language      string        `json:"language"` // fr | en: the language answers were given in
	State         RunState      `json:"state"`
	Started       time.Time     `json:"started"`
	Finished      time.Time     `json:"finished"` // zero while active
	// TimeToOperational is from the run's start to every essential app
	// operational, as the engine measured it during the run; nil: never.
	TimeToOperational *time.Duration `json:"time_to_operational"`
	Feedback          string         `json:"feedback,omitempty"`
	Steps             []Step         `json:"steps"` // in the drill's order
}

// Current is the index of the step to do now: the first step neither done
// nor skipped; len(Steps) when every step is.
func (r *Run) Current() int {
	for i, s := range r.Steps {
		if s.State != StepDone && s.State != StepSkipped {
			return i
		}
	}
	return len(r.Steps)
}

// Window is where a drill's window stands at a moment.
type Window string

// Windows.
const (
	WindowUpcoming Window = "upcoming"
	WindowOpen     Window = "open"
	WindowClosed   Window = "closed"
)

// WindowAt says where d's window stands at now (opens inclusive, closes
// exclusive).
func WindowAt(d profile.Drill, now time.Time) Window {
	switch {
	case now.Before(d.Opens):
		return WindowUpcoming
	case now.Before(d.Closes):
		return WindowOpen
	}
	return WindowClosed
}

// ReasonMissing is the reason code of a step's check that the fresh report
// does not have (the profile in use no longer defines it).
const ReasonMissing = "missing"

// Input is what the participant gives when completing a step.
type Input struct {
	Answer string // a free-text question's answer (a question with choices takes Choice)
	Choice *int   // a question's choice (index into the step's choices)
	Note   string // an optional note on any step
}

// Error codes (Error.Code), for front ends to put into words.
const (
	ErrCodeUnknownDrill   = "unknown_drill"   // no drill with that id in the profile
	ErrCodeWindowClosed   = "window_closed"   // the drill's window is not open (guide mode still works)
	ErrCodeUnknownRun     = "unknown_run"     // no run with that id
	ErrCodeRunCompleted   = "run_completed"   // the run is finished
	ErrCodeNotCurrent     = "not_current"     // the step is not the current one
	ErrCodeReasonRequired = "reason_required" // a required step is skipped without a reason
	ErrCodeAnswerRequired = "answer_required" // a required question without an answer
	ErrCodeBadChoice      = "bad_choice"      // a choice index out of range
	ErrCodeStepsOpen      = "steps_open"      // Finish with steps neither done nor skipped
	ErrCodeChecksFailed   = "checks_failed"   // verification: a check is not ok
	ErrCodeActionFailed   = "action_failed"   // an action could not be performed
)

// Error is a drill operation refused or a verification that failed.
type Error struct {
	Code   string
	Detail string // the check ids, the step id, the engine's error…
	Err    error  // the underlying error, if any
}

func (e *Error) Error() string {
	s := "drills: " + e.Code
	if e.Detail != "" {
		s += ": " + e.Detail
	}
	if e.Err != nil {
		s += ": " + e.Err.Error()
	}
	return s
}

func (e *Error) Unwrap() error { return e.Err }
