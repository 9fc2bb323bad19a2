package app

import (
	"encoding/json"
	"errors"
	"fmt"
	"sync"
	"time"

	"relais/internal/checks"
	"relais/internal/drills"
	"relais/internal/frontend"
)

// The drills half of fakeBackend: a small in-memory walker, good enough
// for the Exercices screen. Its state lives beside the fakeBackend (in
// fakeDrillsOf) so that fake_test.go needs no field for it.

// fakeDrills is the drills state of one fakeBackend.
type fakeDrills struct {
	mu sync.Mutex // guards every field below

	// Set by tests.
	fail         map[string]bool   // step ids whose verification fails
	delivery     frontend.Delivery // what Delivery returns
	rows         []drills.Row      // what Summarize returns
	summarizeErr error
	exportErr    error
	queueErr     error // FinishDrill returns the report and this error
	runsErr      error

	// Recorded.
	calls      []string // every method called, with its main argument
	runs       []*drills.Run
	exported   []string // ExportReport paths
	summarized [][]string
	seq        int
	clock      time.Time // the walker's clock: a minute passes with every change
}

var (
	fakeDrillsMu sync.Mutex
	fakeDrillsOf = map[*fakeBackend]*fakeDrills{}
)

// drillsFake is f's drills state.
func (f *fakeBackend) drillsFake() *fakeDrills {
	fakeDrillsMu.Lock()
	defer fakeDrillsMu.Unlock()
	d, ok := fakeDrillsOf[f]
	if !ok {
		d = &fakeDrills{
			fail:     map[string]bool{},
			delivery: frontend.Delivery{State: frontend.DeliveryNone},
			clock:    testNow.Add(-20 * time.Minute),
		}
		fakeDrillsOf[f] = d
	}
	return d
}

// tick advances the walker's clock and returns it; d.mu is held.
func (d *fakeDrills) tick() time.Time {
	d.clock = d.clock.Add(time.Minute)
	return d.clock
}

// copyRun is a deep copy: the screen never shares the fake's records.
func copyRun(r *drills.Run) *drills.Run {
	b, err := json.Marshal(r)
	if err != nil {
		panic(err)
	}
	var c drills.Run
	if err := json.Unmarshal(b, &c); err != nil {
		panic(err)
	}
	return &c
}

// run finds a run by id; d.mu is held.
func (d *fakeDrills) run(id string) (*drills.Run, error) {
	for _, r := range d.runs {
		if r.ID == id {
			if r.State == drills.RunCompleted {
				return nil, errors.New("Cet exercice est déjà terminé.")
			}
			return r, nil
		}
	}
	return nil, errors.New("Cet exercice est introuvable.")
}

// callsOf counts the calls of a method.
func (d *fakeDrills) callsOf(method string) int {
	d.mu.Lock()
	defer d.mu.Unlock()
	n := 0
	for _, c := range d.calls {
		if len(c) >= len(method) && c[:len(method)] == method {
			n++
		}
	}
	return n
}

func (d *fakeDrills) allCalls() []string {
	d.mu.Lock()
	defer d.mu.Unlock()
	return append([]string(nil), d.calls...)
}

func (f *fakeBackend) Runs() ([]*drills.Run, error) {
	d := f.drillsFake()
	d.mu.Lock()
	defer d.mu.Unlock()
	d.calls = append(d.calls, "Runs")
	if d.runsErr != nil {
		return nil, d.runsErr
	}
	var out []*drills.Run
	for i := len(d.runs) - 1; i >= 0; i-- {
		out = append(out, copyRun(d.runs[i]))
	}
	return out, nil
}

func (f *fakeBackend) StartDrill(id string) (*drills.Run, error) {
	f.mu.Lock()
	p, lang := f.prof.Profile, f.lang
	f.mu.Unlock()
	d := f.drillsFake()
	d.mu.Lock()
	defer d.mu.Unlock()
	d.calls = append(d.calls, "StartDrill "+id)
	for _, r := range d.runs {
		if r.DrillID == id && r.State == drills.RunActive {
			return copyRun(r), nil
		}
	}
	if p == nil || p.Drill(id) == nil {
		return nil, errors.New("Cet exercice n'existe pas dans le profil.")
	}
	dr := *p.Drill(id)
	if drills.WindowAt(dr, testNow) != drills.WindowOpen {
		return nil, errors.New("Cet exercice n'est pas ouvert en ce moment.")
	}
	if lang == "" {
		lang = "fr"
	}
	d.seq++
	now := d.tick()
	tto := 90 * time.Second
	r := &drills.Run{ID: fmt.Sprintf("run-%d", d.seq), DrillID: id, DrillHash: "sha256:fake", Drill: dr,
		ProfileSerial: p.Serial, AppVersion: "1.2.3", Language: lang, State: drills.RunActive, Started: now,
		TimeToOperational: &tto}
	for _, st := range dr.Steps {
		r.Steps = append(r.Steps, drills.Step{ID: st.ID, Kind: st.Kind, Required: st.IsRequired(), State: drills.StepOpen})
	}
	if len(r.Steps) > 0 {
		r.Steps[0].Started = now
	}
	d.runs = append(d.runs, r)
	return copyRun(r), nil
}

func (f *fakeBackend) CompleteStep(runID, stepID string, in drills.Input) (*drills.Run, error) {
	d := f.drillsFake()
	d.mu.Lock()
	defer d.mu.Unlock()
	d.calls = append(d.calls, "CompleteStep "+stepID)
	r, err := d.run(runID)
	if err != nil {
		return nil, err
	}
	i := r.Current()
	if i >= len(r.Steps) || r.Steps[i].ID != stepID {
		return nil, errors.New("Cette étape n'est pas l'étape en cours.")
	}
	def, st := r.Drill.Steps[i], &r.Steps[i]
	now := d.tick()
	ev := drills.Evidence{Note: in.Note, Action: def.Action}
	if def.Kind == "question" {
		switch {
		case len(def.Choices) > 0 && in.Choice != nil:
			if *in.Choice < 0 || *in.Choice >= len(def.Choices) {
				return nil, errors.New("Cette réponse n'existe pas.")
			}
			c := *in.Choice
			ev.Choice, ev.Answer = &c, def.Choices[c].In(r.Language)
		case len(def.Choices) == 0:
			ev.Answer = in.Answer
		}
		if ev.Answer == "" && st.Required {
			return nil, errors.New("Cette question demande une réponse.")
		}
	}
	ids := def.Checks
	if len(ids) == 0 && def.Action != "" {
		ids = []string{"action"}
	}
	if d.fail[stepID] {
		for _, id := range ids {
			ev.Checks = append(ev.Checks, drills.CheckEvidence{ID: id, State: checks.StateFailed, Reason: "refused", At: now})
		}
		st.State, st.Finished, st.Failure, st.Evidence = drills.StepFailed, now, drills.ErrCodeChecksFailed, ev
		return copyRun(r), errors.New("La vérification a échoué : la paie ne répond pas. Réessayez dans un instant, ou passez l'étape en disant pourquoi.")
	}
	for _, id := range def.Checks {
		ev.Checks = append(ev.Checks, drills.CheckEvidence{ID: id, State: checks.StateOK, At: now})
	}
	st.State, st.Finished, st.Failure, st.Evidence = drills.StepDone, now, "", ev
	if j := r.Current(); j < len(r.Steps) {
		r.Steps[j].Started = now
	}
	return copyRun(r), nil
}

func (f *fakeBackend) SkipStep(runID, stepID, reason string) (*drills.Run, error) {
	d := f.drillsFake()
	d.mu.Lock()
	defer d.mu.Unlock()
	d.calls = append(d.calls, "SkipStep "+stepID+": "+reason)
	r, err := d.run(runID)
	if err != nil {
		return nil, err
	}
	i := r.Current()
	if i >= len(r.Steps) || r.Steps[i].ID != stepID {
		return nil, errors.New("Cette étape n'est pas l'étape en cours.")
	}
	st := &r.Steps[i]
	if st.Required && reason == "" {
		return nil, errors.New("Une étape obligatoire ne se passe qu'avec une raison.")
	}
	now := d.tick()
	st.State, st.Finished, st.SkipReason = drills.StepSkipped, now, reason
	if j := r.Current(); j < len(r.Steps) {
		r.Steps[j].Started = now
	}
	return copyRun(r), nil
}

func (f *fakeBackend) FinishDrill(runID, feedback string) (*drills.Report, error) {
	d := f.drillsFake()
	d.mu.Lock()
	defer d.mu.Unlock()
	d.calls = append(d.calls, "FinishDrill "+runID)
	r, err := d.run(runID)
	if err != nil {
		return nil, err
	}
	if r.Current() < len(r.Steps) {
		return nil, errors.New("Des étapes ne sont pas encore faites.")
	}
	r.State, r.Finished, r.Feedback = drills.RunCompleted, d.tick(), feedback
	rep := drills.BuildReport(r, "Camille Tremblay")
	return &rep, d.queueErr
}

func (f *fakeBackend) Delivery(runID string) frontend.Delivery {
	d := f.drillsFake()
	d.mu.Lock()
	defer d.mu.Unlock()
	d.calls = append(d.calls, "Delivery "+runID)
	return d.delivery
}

func (f *fakeBackend) ExportReport(runID, path string) error {
	d := f.drillsFake()
	d.mu.Lock()
	defer d.mu.Unlock()
	d.calls = append(d.calls, "ExportReport "+path)
	if d.exportErr != nil {
		return d.exportErr
	}
	d.exported = append(d.exported, path)
	return nil
}

func (f *fakeBackend) Summarize(paths []string) (*drills.Table, error) {
	d := f.drillsFake()
	d.mu.Lock()
	defer d.mu.Unlock()
	d.calls = append(d.calls, fmt.Sprintf("Summarize %d", len(paths)))
	d.summarized = append(d.summarized, append([]string(nil), paths...))
	if d.summarizeErr != nil {
		return nil, d.summarizeErr
	}
	return &drills.Table{Rows: append([]drills.Row(nil), d.rows...)}, nil
}
