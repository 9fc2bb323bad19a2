package drillrun

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"strings"
	"sync"
	"time"

	"relais/internal/drills"
	"relais/internal/i18n"
	"relais/internal/profile"
	"relais/internal/status"
	"relais/internal/store"
)

// Deadlines of what a step asks of the engine: every engine call gets one,
// within the caller's context.
const (
	TunnelUpTimeout  = 2 * time.Minute
	RunChecksTimeout = time.Minute
	OpenLinkTimeout  = 30 * time.Second
)

// Walker runs the drills of one device. Every change is in the store
// before the method returns it, so a Walker made after a crash on the same
// store carries on at the same step with the same evidence.
//
// Changes (Start, Complete, Skip, Finish) made through one Walker happen
// one at a time; another process changing the same run at the same moment
// is refused by the store rather than undone (the change made from the
// older state returns an error, and the run reads as the other left it).
//
// Verification: a step with checks is done when every one of them is ok or
// degraded in a fresh report of the engine. Degraded counts: the app works
// (slowly), and the engine's time to operational counts it the same way
// (status.Report.EssentialsOK); the evidence keeps the degraded state and
// its reason for the report.
//
// Time to operational (Finish): the engine measures it from its own start
// (the click on Mode urgence). When that moment of "every essential app
// operational" falls during the run, the run's time to operational is from
// the run's start to that moment. When the engine was already operational
// before the run started, or no engine measured it, the run uses its own
// measure: from its start to the first of its verifications (a step's
// checks or a run_checks action) whose report had every essential app
// operational. Neither: nil, never operational during the run.
type Walker struct {
	DB      *store.DB
	Engine  Engine // verification and actions; nil: steps with checks or actions fail with action_failed
	Version string // the app's version, recorded in each run
	Now     func() time.Time
	NewID   func() string // run ids; nil: 16 random bytes in hex (crypto/rand)
	Logf    func(format string, args ...any)

	mu sync.Mutex // held by each change, engine calls included
}

var errNoEngine = errors.New("drills: no engine to perform or verify the step")

// now is the walker's clock at the store's precision (milliseconds, UTC),
// so that a run reads back exactly as it was returned.
func (w *Walker) now() time.Time {
	now := time.Now
	if w.Now != nil {
		now = w.Now
	}
	return now().UTC().Truncate(time.Millisecond)
}

func (w *Walker) newID() string {
	if w.NewID != nil {
		return w.NewID()
	}
	var b [16]byte
	_, _ = rand.Read(b[:]) // never fails (crypto/rand)
	return hex.EncodeToString(b[:])
}

func (w *Walker) logf(format string, args ...any) {
	if w.Logf != nil {
		w.Logf(format, args...)
	}
}

// Start returns the active run of drill drillID if there is one (resume,
// whatever the profile says now: the run keeps the drill it started with,
// and its language), else starts a new run of the profile's drill in
// language lang (fr unless en). A new run needs the drill's window to be
// open (else window_closed; no such drill: unknown_drill); its first step
// is current at once.
func (w *Walker) Start(ctx context.Context, p *profile.Profile, drillID, lang string) (*drills.Run, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	for attempt := 0; ; attempt++ {
		rec, err := w.DB.ActiveDrillRun(ctx, drillID)
		if err == nil {
			rc, err := fromRecord(rec)
			if err != nil {
				return nil, err
			}
			w.logf("drills: run %s of %s resumed at step %d of %d", rc.run.ID, drillID, rc.run.Current()+1, len(rc.run.Steps))
			return rc.run, nil
		}
		if !errors.Is(err, store.ErrNotFound) {
			return nil, fmt.Errorf("drills: start %s: %w", drillID, err)
		}
		var d *profile.Drill
		if p != nil {
			for i := range p.Drills {
				if p.Drills[i].ID == drillID {
					d = &p.Drills[i]
				}
			}
		}
		if d == nil {
			return nil, &drills.Error{Code: drills.ErrCodeUnknownDrill, Detail: drillID}
		}
		now := w.now()
		if drills.WindowAt(*d, now) != drills.WindowOpen {
			return nil, &drills.Error{Code: drills.ErrCodeWindowClosed, Detail: drillID}
		}
		js, hash, err := drills.DrillJSON(*d)
		if err != nil {
			return nil, err
		}
		rec = &store.DrillRunRecord{
			ID: w.newID(), DrillID: d.ID, DrillHash: hash, DrillJSON: js, ProfileSerial: p.Serial, AppVersion: w.Version,
			Language: i18n.Normalize(lang), State: string(drills.RunActive), Started: now,
		}
		for i, s := range d.Steps {
			rec.Steps = append(rec.Steps, store.DrillStepRecord{Index: i, StepID: s.ID, State: string(drills.StepOpen)})
		}
		if len(rec.Steps) > 0 {
			rec.Steps[0].Started = now
		}
		err = w.DB.CreateDrillRun(ctx, *rec)
		if errors.Is(err, store.ErrDrillRunActive) && attempt == 0 {
			continue // another process started it a moment ago: resume that run
		}
		if err != nil {
			return nil, fmt.Errorf("drills: start %s: %w", drillID, err)
		}
		w.logf("drills: run %s of %s started (drill %s, profile %d)", rec.ID, drillID, hash[:12], p.Serial)
		rc, err := w.load(ctx, rec.ID)
		if err != nil {
			return nil, err
		}
		return rc.run, nil
	}
}

// load reads a run; unknown_run when there is none.
func (w *Walker) load(ctx context.Context, runID string) (*record, error) {
	rec, err := w.DB.DrillRun(ctx, runID)
	if errors.Is(err, store.ErrNotFound) {
		return nil, &drills.Error{Code: drills.ErrCodeUnknownRun, Detail: runID}
	}
	if err != nil {
		return nil, fmt.Errorf("drills: run %s: %w", runID, err)
	}
	return fromRecord(rec)
}

// reload reads a run again after a change, to return it exactly as the
// store has it.
func (w *Walker) reload(ctx context.Context, runID string) (*drills.Run, error) {
	rc, err := w.load(ctx, runID)
	if err != nil {
		return nil, err
	}
	return rc.run, nil
}

// Run returns one run as recorded (unknown_run when there is none).
func (w *Walker) Run(ctx context.Context, runID string) (*drills.Run, error) {
	return w.reload(ctx, runID)
}

// Runs returns every run of this device, newest first.
func (w *Walker) Runs(ctx context.Context) ([]*drills.Run, error) {
	recs, err := w.DB.DrillRuns(ctx)
	if err != nil {
		return nil, fmt.Errorf("drills: runs: %w", err)
	}
	runs := make([]*drills.Run, 0, len(recs))
	for i := range recs {
		rc, err := fromRecord(&recs[i])
		if err != nil {
			return nil, err
		}
		runs = append(runs, rc.run)
	}
	return runs, nil
}

// current loads a run under way and finds its current step, which must be
// stepID. Refusals come with the run as it stands.
func (w *Walker) current(ctx context.Context, runID, stepID string) (*record, int, error) {
	rc, err := w.load(ctx, runID)
	if err != nil {
		return nil, 0, err
	}
	if rc.run.State == drills.RunCompleted {
		return rc, 0, &drills.Error{Code: drills.ErrCodeRunCompleted, Detail: runID}
	}
	i := rc.run.Current()
	if i >= len(rc.run.Steps) || rc.run.Steps[i].ID != stepID {
		return rc, 0, &drills.Error{Code: drills.ErrCodeNotCurrent, Detail: stepID}
	}
	return rc, i, nil
}

// Complete does the current step, stepID:
//   - an instruction is done;
//   - a question records its answer: with choices, in.Choice (bad_choice
//     when out of range), kept as the choice's text in the run's language
//     and its index; without, in.Answer as free text; a required question
//     without an answer is refused (answer_required);
//   - an action is performed through the engine (tunnel_up, run_checks,
//     open_link:<id>), then verified when the step lists checks;
//   - a step with checks (a check step, or an action with checks) is done
//     only when every one of them is ok or degraded in a fresh report
//     (RunChecks; a run_checks action's own report is that fresh report).
//
// in.Note is kept on any step. A verification or action that fails marks
// the step failed with its evidence and failure code and returns the run
// with an *Error (checks_failed or action_failed): the step stays current,
// to be tried again (Complete) or skipped. Once done, the next step is
// current. A refusal (not_current, run_completed, answer_required,
// bad_choice) changes nothing and also returns the run as it stands.
// Cancelling ctx during an engine call leaves the step as it was.
func (w *Walker) Complete(ctx context.Context, runID, stepID string, in drills.Input) (*drills.Run, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	rc, i, err := w.current(ctx, runID, stepID)
	if err != nil {
		return runOf(rc), err
	}
	run := rc.run
	ps := run.Drill.Steps[i]
	ev := drills.Evidence{Note: strings.TrimSpace(in.Note)}
	if prev := run.Steps[i]; prev.State == drills.StepFailed {
		// Tried again: the failed attempt stays in the evidence.
		ev.Attempts = append(prev.Evidence.Attempts, drills.Attempt{At: prev.Finished, Failure: prev.Failure,
			Checks: prev.Evidence.Checks, Note: prev.Evidence.Note})
	}

	if ps.Kind == "question" {
		if err := answer(&ev, ps, in, run.Language); err != nil {
			return run, err
		}
	}

	var (
		failure       *drills.Error
		report        *status.Report
		operationalAt time.Time
	)
	if ps.Kind == "action" {
		ev.Action = ps.Action
		rep, err := w.perform(ctx, ps.Action)
		switch {
		case err != nil && ctx.Err() != nil:
			return run, fmt.Errorf("drills: step %s: %w", stepID, ctx.Err())
		case err != nil:
			failure = &drills.Error{Code: drills.ErrCodeActionFailed, Detail: ps.Action, Err: err}
		case rep != nil:
			report = rep
			if rep.EssentialsOK() {
				operationalAt = w.now()
			}
		}
	}
	if failure == nil && len(ps.Checks) > 0 {
		if report == nil {
			rep, err := w.runChecks(ctx)
			switch {
			case err != nil && ctx.Err() != nil:
				return run, fmt.Errorf("drills: step %s: %w", stepID, ctx.Err())
			case err != nil:
				failure = &drills.Error{Code: drills.ErrCodeChecksFailed, Detail: strings.Join(ps.Checks, ", "), Err: err}
			default:
				report = rep
				if rep.EssentialsOK() {
					operationalAt = w.now()
				}
			}
		}
		if report != nil {
			var failed []string
			ev.Checks, failed = w.verify(ps.Checks, report)
			if len(failed) > 0 {
				failure = &drills.Error{Code: drills.ErrCodeChecksFailed, Detail: strings.Join(failed, ", ")}
			}
		}
	}

	now := w.now()
	step := &run.Steps[i]
	step.Finished, step.Evidence = now, ev
	changed := []int{i}
	if failure != nil {
		step.State, step.Failure = drills.StepFailed, failure.Code
		w.logf("drills: run %s: step %s failed: %s", run.ID, stepID, failure.Error())
	} else {
		step.State, step.Failure = drills.StepDone, ""
		changed = append(changed, advance(run, now)...)
		w.logf("drills: run %s: step %s done", run.ID, stepID)
	}
	if err := w.save(ctx, rc, operationalAt, changed); err != nil {
		return nil, err
	}
	run, err = w.reload(ctx, runID)
	if err != nil {
		return nil, err
	}
	if failure != nil {
		return run, failure
	}
	return run, nil
}

// runOf is rc's run, or nil.
func runOf(rc *record) *drills.Run {
	if rc == nil {
		return nil
	}
	return rc.run
}

// answer records a question's answer in ev, or refuses it.
func answer(ev *drills.Evidence, ps profile.Step, in drills.Input, lang string) error {
	if len(ps.Choices) > 0 {
		if in.Choice == nil {
			if ps.IsRequired() {
				return &drills.Error{Code: drills.ErrCodeAnswerRequired, Detail: ps.ID}
			}
			return nil
		}
		c := *in.Choice
		if c < 0 || c >= len(ps.Choices) {
			return &drills.Error{Code: drills.ErrCodeBadChoice, Detail: fmt.Sprintf("%s: %d", ps.ID, c)}
		}
		ev.Choice, ev.Answer = &c, ps.Choices[c].In(lang)
		return nil
	}
	if in.Choice != nil {
		return &drills.Error{Code: drills.ErrCodeBadChoice, Detail: fmt.Sprintf("%s: %d", ps.ID, *in.Choice)}
	}
	ev.Answer = strings.TrimSpace(in.Answer)
	if ev.Answer == "" && ps.IsRequired() {
		return &drills.Error{Code: drills.ErrCodeAnswerRequired, Detail: ps.ID}
	}
	return nil
}

// perform does an action step's action; run_checks returns its report.
func (w *Walker) perform(ctx context.Context, action string) (*status.Report, error) {
	if w.Engine == nil {
		return nil, errNoEngine
	}
	switch {
	case action == profile.ActionTunnelUp:
		ctx, cancel := context.WithTimeout(ctx, TunnelUpTimeout)
		defer cancel()
		return nil, w.Engine.TunnelUp(ctx)
	case action == profile.ActionRunChecks:
		return w.runChecks(ctx)
	case strings.HasPrefix(action, profile.ActionOpenLink+":"):
		ctx, cancel := context.WithTimeout(ctx, OpenLinkTimeout)
		defer cancel()
		return nil, w.Engine.OpenLink(ctx, strings.TrimPrefix(action, profile.ActionOpenLink+":"))
	}
	return nil, fmt.Errorf("drills: unknown action %q", action)
}

// runChecks asks the engine for a fresh report.
func (w *Walker) runChecks(ctx context.Context) (*status.Report, error) {
	if w.Engine == nil {
		return nil, errNoEngine
	}
	ctx, cancel := context.WithTimeout(ctx, RunChecksTimeout)
	defer cancel()
	rep, err := w.Engine.RunChecks(ctx)
	if err == nil && rep == nil {
		err = errors.New("drills: the engine returned no report")
	}
	return rep, err
}

// verify reads the step's checks in a report: their evidence, and those
// neither ok nor degraded.
func (w *Walker) verify(ids []string, rep *status.Report) (evidence []drills.CheckEvidence, failed []string) {
	for _, id := range ids {
		ce := drills.CheckEvidence{ID: id}
		if cr := rep.Check(id); cr == nil {
			ce.State, ce.Reason, ce.At = status.StatePending, drills.ReasonMissing, w.now()
		} else {
			ce.AppID, ce.State, ce.At = cr.AppID, cr.State, cr.At.UTC().Truncate(time.Millisecond)
			if cr.Reason != nil {
				ce.Reason = cr.Reason.Code
			}
			if ce.At.IsZero() {
				ce.At = w.now()
			}
		}
		if ce.State != status.StateOK && ce.State != status.StateDegraded {
			failed = append(failed, id)
		}
		evidence = append(evidence, ce)
	}
	return evidence, failed
}

// advance makes the next step current (its Started set) and returns its
// index, or nothing when every step is done or skipped.
func advance(run *drills.Run, now time.Time) []int {
	next := run.Current()
	if next >= len(run.Steps) {
		return nil
	}
	if run.Steps[next].Started.IsZero() {
		run.Steps[next].Started = now
	}
	return []int{next}
}

// save writes the steps at indices of rc's run, in one transaction.
func (w *Walker) save(ctx context.Context, rc *record, operationalAt time.Time, indices []int) error {
	c := store.DrillStepsChange{RunID: rc.run.ID, Revision: rc.revision, OperationalAt: operationalAt}
	for _, i := range indices {
		s, err := stepRecord(rc.run, i)
		if err != nil {
			return err
		}
		c.Steps = append(c.Steps, s)
	}
	if err := w.DB.SaveDrillSteps(ctx, c); err != nil {
		return fmt.Errorf("drills: run %s: save: %w", rc.run.ID, err)
	}
	return nil
}

// Skip skips the current step, stepID; a required step needs a reason
// (reason_required). A step that failed keeps its last failure and
// evidence beside the reason. The next step becomes current. Refusals
// change nothing and return the run as it stands.
func (w *Walker) Skip(ctx context.Context, runID, stepID, reason string) (*drills.Run, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	rc, i, err := w.current(ctx, runID, stepID)
	if err != nil {
		return runOf(rc), err
	}
	run := rc.run
	reason = strings.TrimSpace(reason)
	if reason == "" && run.Steps[i].Required {
		return run, &drills.Error{Code: drills.ErrCodeReasonRequired, Detail: stepID}
	}
	now := w.now()
	run.Steps[i].State, run.Steps[i].Finished, run.Steps[i].SkipReason = drills.StepSkipped, now, reason
	if err := w.save(ctx, rc, time.Time{}, append([]int{i}, advance(run, now)...)); err != nil {
		return nil, err
	}
	w.logf("drills: run %s: step %s skipped", runID, stepID)
	return w.reload(ctx, runID)
}

// Finish ends a run whose steps are all done or skipped (else steps_open,
// naming the first open one), with the participant's feedback, records its
// time to operational (see Walker), and returns its report (participant:
// who took the drill, as the report names them).
func (w *Walker) Finish(ctx context.Context, runID, feedback, participant string) (*drills.Report, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	rc, err := w.load(ctx, runID)
	if err != nil {
		return nil, err
	}
	run := rc.run
	if run.State == drills.RunCompleted {
		return nil, &drills.Error{Code: drills.ErrCodeRunCompleted, Detail: runID}
	}
	if c := run.Current(); c < len(run.Steps) {
		return nil, &drills.Error{Code: drills.ErrCodeStepsOpen, Detail: run.Steps[c].ID}
	}
	now := w.now()
	f := store.DrillFinish{RunID: runID, Revision: rc.revision, Finished: now,
		TimeToOperational: w.timeToOperational(rc), Feedback: strings.TrimSpace(feedback)}
	if err := w.DB.FinishDrillRun(ctx, f); err != nil {
		return nil, fmt.Errorf("drills: run %s: finish: %w", runID, err)
	}
	w.logf("drills: run %s of %s finished", runID, run.DrillID)
	run, err = w.reload(ctx, runID)
	if err != nil {
		return nil, err
	}
	rep := drills.BuildReport(run, participant)
	return &rep, nil
}

// timeToOperational is the run's time to operational (see Walker).
func (w *Walker) timeToOperational(rc *record) *time.Duration {
	run := rc.run
	if w.Engine != nil {
		s := w.Engine.Snapshot()
		if s.TimeToOperational != nil && !s.Started.IsZero() {
			if at := s.Started.Add(*s.TimeToOperational); !at.Before(run.Started) {
				d := at.Sub(run.Started).Truncate(time.Millisecond)
				return &d
			}
		}
	}
	if !rc.operationalAt.IsZero() {
		d := rc.operationalAt.Sub(run.Started)
		return &d
	}
	return nil
}
