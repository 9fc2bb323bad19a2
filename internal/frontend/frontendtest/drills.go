package frontendtest

import (
	"fmt"
	"net/url"
	"strings"
	"sync"
	"time"

	"relais/internal/drills"
	"relais/internal/frontend"
	"relais/internal/status"
)

// Drills is the drills half of the fake: a small in-memory walker, good
// enough for a drills screen. A test sets or reads its fields before the
// front end runs, after it has done what was asked, or between Lock and
// Unlock.
type Drills struct {
	mu sync.Mutex // guards every field below

	// Set by tests.
	Fail         map[string]bool   // step ids whose verification fails
	Delivery     frontend.Delivery // what Delivery returns
	ServerURL    string            // CampaignURL is ServerURL/campagnes/{drill} when set
	Rows         []drills.Row      // what Summarize returns
	SummarizeErr error             // Summarize fails with it
	ExportErr    error             // ExportReport fails with it
	QueueErr     error             // FinishDrill returns the report and this error
	RunsErr      error             // Runs fails with it

	// Recorded.
	Runs       []*drills.Run // every run, oldest first
	Exported   []string      // ExportReport paths
	Summarized [][]string    // Summarize's paths, call by call

	calls []string  // every method called, with its main argument
	seq   int       // the last run's number
	clock time.Time // the walker's clock: a minute passes with every change
}

func newDrills(now time.Time) *Drills {
	return &Drills{
		Fail:     map[string]bool{},
		Delivery: frontend.Delivery{State: frontend.DeliveryNone},
		clock:    now.Add(-20 * time.Minute),
	}
}

// Lock holds the drills state for a test; Unlock lets go.
func (d *Drills) Lock() { d.mu.Lock() }

// Unlock lets go of the state Lock holds.
func (d *Drills) Unlock() { d.mu.Unlock() }

// Calls are the drills methods called, in order, each with its main
// argument: "Runs", "StartDrill ID", "CompleteStep STEP", "SkipStep STEP:
// REASON", "FinishDrill RUN", "Delivery RUN", "ExportReport PATH",
// "Summarize N" (N paths).
func (d *Drills) Calls() []string {
	d.mu.Lock()
	defer d.mu.Unlock()
	return append([]string(nil), d.calls...)
}

// CallsOf counts the calls that start with prefix: a method's name, or a
// method and its argument ("CompleteStep connexion").
func (d *Drills) CallsOf(prefix string) int {
	d.mu.Lock()
	defer d.mu.Unlock()
	n := 0
	for _, c := range d.calls {
		if strings.HasPrefix(c, prefix) {
			n++
		}
	}
	return n
}

// tick advances the walker's clock and returns it; d.mu is held.
func (d *Drills) tick() time.Time {
	d.clock = d.clock.Add(time.Minute)
	return d.clock
}

// run finds a run by id; d.mu is held.
func (d *Drills) run(id string) (*drills.Run, error) {
	for _, r := range d.Runs {
		if r.ID == id {
			if r.State == drills.RunCompleted {
				return nil, frontend.Errorf("cli.drill.err.run_completed", id)
			}
			return r, nil
		}
	}
	return nil, frontend.Errorf("cli.drill.err.unknown_run", id)
}

func (f *Backend) Runs() ([]*drills.Run, error) {
	d := f.Drills
	d.mu.Lock()
	defer d.mu.Unlock()
	d.calls = append(d.calls, "Runs")
	if d.RunsErr != nil {
		return nil, d.RunsErr
	}
	var out []*drills.Run
	for i := len(d.Runs) - 1; i >= 0; i-- {
		out = append(out, CopyRun(d.Runs[i]))
	}
	return out, nil
}

// StartDrill resumes the drill's active run, or starts one when the
// drill's window is open at Now, in the language of SetLanguage ("fr"
// before any).
func (f *Backend) StartDrill(id string) (*drills.Run, error) {
	f.mu.Lock()
	p, lang, now := f.Prof.Profile, f.Lang, f.Now
	f.mu.Unlock()
	d := f.Drills
	d.mu.Lock()
	defer d.mu.Unlock()
	d.calls = append(d.calls, "StartDrill "+id)
	for _, r := range d.Runs {
		if r.DrillID == id && r.State == drills.RunActive {
			return CopyRun(r), nil
		}
	}
	if p == nil || p.Drill(id) == nil {
		return nil, frontend.Errorf("cli.drill.err.unknown_drill", id)
	}
	dr := *p.Drill(id)
	if drills.WindowAt(dr, now) != drills.WindowOpen {
		return nil, frontend.Errorf("cli.drill.err.window_closed", id)
	}
	if lang == "" {
		lang = "fr"
	}
	d.seq++
	started := d.tick()
	tto := 90 * time.Second
	r := &drills.Run{ID: fmt.Sprintf("run-%d", d.seq), DrillID: id, DrillHash: "sha256:fake", Drill: dr,
		ProfileSerial: p.Serial, AppVersion: "1.2.3", Language: lang, State: drills.RunActive, Started: started,
		TimeToOperational: &tto}
	for _, st := range dr.Steps {
		r.Steps = append(r.Steps, drills.Step{ID: st.ID, Kind: st.Kind, Required: st.IsRequired(), State: drills.StepOpen})
	}
	if len(r.Steps) > 0 {
		r.Steps[0].Started = started
	}
	d.Runs = append(d.Runs, r)
	return CopyRun(r), nil
}

// CompleteStep does the current step; its verification fails when Fail
// names the step.
func (f *Backend) CompleteStep(runID, stepID string, in drills.Input) (*drills.Run, error) {
	d := f.Drills
	d.mu.Lock()
	defer d.mu.Unlock()
	d.calls = append(d.calls, "CompleteStep "+stepID)
	r, err := d.run(runID)
	if err != nil {
		return nil, err
	}
	i := r.Current()
	if i >= len(r.Steps) || r.Steps[i].ID != stepID {
		return nil, frontend.Errorf("cli.drill.err.not_current", stepID)
	}
	def, st := r.Drill.Steps[i], &r.Steps[i]
	now := d.tick()
	ev := drills.Evidence{Note: in.Note, Action: def.Action}
	if def.Kind == "question" {
		switch {
		case len(def.Choices) > 0 && in.Choice != nil:
			if *in.Choice < 0 || *in.Choice >= len(def.Choices) {
				return nil, frontend.Errorf("cli.drill.err.bad_choice", stepID)
			}
			c := *in.Choice
			ev.Choice, ev.Answer = &c, def.Choices[c].In(r.Language)
		case len(def.Choices) == 0:
			ev.Answer = in.Answer
		}
		if ev.Answer == "" && st.Required {
			return nil, frontend.Errorf("cli.drill.err.answer_required", stepID)
		}
	}
	ids := def.Checks
	if len(ids) == 0 && def.Action != "" {
		ids = []string{"action"}
	}
	if d.Fail[stepID] {
		for _, id := range ids {
			ev.Checks = append(ev.Checks, drills.CheckEvidence{ID: id, State: status.StateFailed, Reason: "refused", At: now})
		}
		st.State, st.Finished, st.Failure, st.Evidence = drills.StepFailed, now, drills.ErrCodeChecksFailed, ev
		return CopyRun(r), frontend.Errorf("cli.drill.err.checks_failed", "paie")
	}
	for _, id := range def.Checks {
		ev.Checks = append(ev.Checks, drills.CheckEvidence{ID: id, State: status.StateOK, At: now})
	}
	st.State, st.Finished, st.Failure, st.Evidence = drills.StepDone, now, "", ev
	if j := r.Current(); j < len(r.Steps) {
		r.Steps[j].Started = now
	}
	return CopyRun(r), nil
}

func (f *Backend) SkipStep(runID, stepID, reason string) (*drills.Run, error) {
	d := f.Drills
	d.mu.Lock()
	defer d.mu.Unlock()
	d.calls = append(d.calls, "SkipStep "+stepID+": "+reason)
	r, err := d.run(runID)
	if err != nil {
		return nil, err
	}
	i := r.Current()
	if i >= len(r.Steps) || r.Steps[i].ID != stepID {
		return nil, frontend.Errorf("cli.drill.err.not_current", stepID)
	}
	st := &r.Steps[i]
	if st.Required && reason == "" {
		return nil, frontend.Errorf("cli.drill.err.reason_required", stepID)
	}
	now := d.tick()
	st.State, st.Finished, st.SkipReason = drills.StepSkipped, now, reason
	if j := r.Current(); j < len(r.Steps) {
		r.Steps[j].Started = now
	}
	return CopyRun(r), nil
}

// FinishDrill completes the run and makes its report, with QueueErr.
func (f *Backend) FinishDrill(runID, feedback string) (*drills.Report, error) {
	d := f.Drills
	d.mu.Lock()
	defer d.mu.Unlock()
	d.calls = append(d.calls, "FinishDrill "+runID)
	r, err := d.run(runID)
	if err != nil {
		return nil, err
	}
	if r.Current() < len(r.Steps) {
		return nil, frontend.Errorf("cli.drill.err.steps_open", runID)
	}
	r.State, r.Finished, r.Feedback = drills.RunCompleted, d.tick(), feedback
	rep := drills.BuildReport(r, "Camille Tremblay")
	return &rep, d.QueueErr
}

func (f *Backend) Delivery(runID string) frontend.Delivery {
	d := f.Drills
	d.mu.Lock()
	defer d.mu.Unlock()
	d.calls = append(d.calls, "Delivery "+runID)
	return d.Delivery
}

func (f *Backend) ExportReport(runID, path string) error {
	d := f.Drills
	d.mu.Lock()
	defer d.mu.Unlock()
	d.calls = append(d.calls, "ExportReport "+path)
	if d.ExportErr != nil {
		return d.ExportErr
	}
	d.Exported = append(d.Exported, path)
	return nil
}

func (f *Backend) Summarize(paths []string) (*drills.Table, error) {
	d := f.Drills
	d.mu.Lock()
	defer d.mu.Unlock()
	d.calls = append(d.calls, fmt.Sprintf("Summarize %d", len(paths)))
	d.Summarized = append(d.Summarized, append([]string(nil), paths...))
	if d.SummarizeErr != nil {
		return nil, d.SummarizeErr
	}
	return &drills.Table{Rows: append([]drills.Row(nil), d.Rows...)}, nil
}

func (f *Backend) CampaignURL(drillID string) string {
	d := f.Drills
	d.mu.Lock()
	defer d.mu.Unlock()
	if d.ServerURL == "" {
		return ""
	}
	return d.ServerURL + "/campagnes/" + url.PathEscape(drillID)
}
