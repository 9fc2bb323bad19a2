package drillrun

import (
	"encoding/json"
	"fmt"
	"time"

	"relais/internal/drills"
	"relais/internal/store"
)

// record is a run as read from the store, with what the walker needs to
// change it.
type record struct {
	run           *drills.Run
	revision      int64     // the store's revision of the run
	operationalAt time.Time // the run's own first sight of every essential app operational
}

// fromRecord turns a stored run into a Run.
func fromRecord(rec *store.DrillRunRecord) (*record, error) {
	r := &drills.Run{
		ID: rec.ID, DrillID: rec.DrillID, DrillHash: rec.DrillHash, ProfileSerial: rec.ProfileSerial,
		AppVersion: rec.AppVersion, Language: rec.Language, State: drills.RunState(rec.State),
		Started: rec.Started, Finished: rec.Finished, TimeToOperational: rec.TimeToOperational, Feedback: rec.Feedback,
		Steps: make([]drills.Step, 0, len(rec.Steps)),
	}
	d, err := drills.ParseDrillJSON(rec.DrillJSON)
	if err != nil {
		return nil, fmt.Errorf("drills: run %s: drill: %w", rec.ID, err)
	}
	r.Drill = d
	for i, s := range rec.Steps {
		if s.Index != i || i >= len(r.Drill.Steps) || r.Drill.Steps[i].ID != s.StepID {
			return nil, fmt.Errorf("drills: run %s: step %d (%s) does not match its drill", rec.ID, s.Index, s.StepID)
		}
		st := drills.Step{
			ID: s.StepID, Kind: r.Drill.Steps[i].Kind, Required: r.Drill.Steps[i].IsRequired(), State: drills.StepState(s.State),
			Started: s.Started, Finished: s.Finished, SkipReason: s.SkipReason, Failure: s.Failure,
		}
		if err := json.Unmarshal([]byte(s.EvidenceJSON), &st.Evidence); err != nil {
			return nil, fmt.Errorf("drills: run %s: step %s: evidence: %w", rec.ID, s.StepID, err)
		}
		r.Steps = append(r.Steps, st)
	}
	if len(r.Steps) != len(r.Drill.Steps) {
		return nil, fmt.Errorf("drills: run %s: %d steps recorded for a drill of %d", rec.ID, len(r.Steps), len(r.Drill.Steps))
	}
	return &record{run: r, revision: rec.Revision, operationalAt: rec.OperationalAt}, nil
}

// stepRecord is step i of r as the store keeps it.
func stepRecord(r *drills.Run, i int) (store.DrillStepRecord, error) {
	s := r.Steps[i]
	ev, err := json.Marshal(s.Evidence)
	if err != nil {
		return store.DrillStepRecord{}, fmt.Errorf("drills: step %s: evidence: %w", s.ID, err)
	}
	return store.DrillStepRecord{
		Index: i, StepID: s.ID, State: string(s.State), Started: s.Started, Finished: s.Finished,
		SkipReason: s.SkipReason, Failure: s.Failure, EvidenceJSON: string(ev),
	}, nil
}
