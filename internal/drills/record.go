package drills

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"time"

	"relais/internal/profile"
	"relais/internal/store"
)

// canonicalDrill is d as a run keeps it: the same drill, with its window in
// UTC so that the same profile read in another time zone hashes the same.
func canonicalDrill(d profile.Drill) profile.Drill {
	d.Opens, d.Closes = d.Opens.UTC(), d.Closes.UTC()
	return d
}

// drillJSON is the canonical JSON of a drill, and its SHA-256 in hex: the
// drill with its window in UTC, encoded by encoding/json (struct fields in
// declaration order, no insignificant space), which is what the store
// keeps.
func drillJSON(d profile.Drill) (js, hash string, err error) {
	b, err := json.Marshal(canonicalDrill(d))
	if err != nil {
		return "", "", fmt.Errorf("drills: drill %s: %w", d.ID, err)
	}
	sum := sha256.Sum256(b)
	return string(b), hex.EncodeToString(sum[:]), nil
}

// DrillHash is the SHA-256 (hex) of a drill's canonical JSON, as a run
// records it in DrillHash: two runs with the same hash walked the same
// drill.
func DrillHash(d profile.Drill) (string, error) {
	_, h, err := drillJSON(d)
	return h, err
}

// record is a run as read from the store, with what the walker needs to
// change it.
type record struct {
	run           *Run
	revision      int64     // the store's revision of the run
	operationalAt time.Time // the run's own first sight of every essential app operational
}

// fromRecord turns a stored run into a Run.
func fromRecord(rec *store.DrillRunRecord) (*record, error) {
	r := &Run{
		ID: rec.ID, DrillID: rec.DrillID, DrillHash: rec.DrillHash, ProfileSerial: rec.ProfileSerial,
		AppVersion: rec.AppVersion, Language: rec.Language, State: RunState(rec.State),
		Started: rec.Started, Finished: rec.Finished, TimeToOperational: rec.TimeToOperational, Feedback: rec.Feedback,
		Steps: make([]Step, 0, len(rec.Steps)),
	}
	if err := json.Unmarshal([]byte(rec.DrillJSON), &r.Drill); err != nil {
		return nil, fmt.Errorf("drills: run %s: drill: %w", rec.ID, err)
	}
	for i, s := range rec.Steps {
		if s.Index != i || i >= len(r.Drill.Steps) || r.Drill.Steps[i].ID != s.StepID {
			return nil, fmt.Errorf("drills: run %s: step %d (%s) does not match its drill", rec.ID, s.Index, s.StepID)
		}
		st := Step{
			ID: s.StepID, Kind: r.Drill.Steps[i].Kind, Required: r.Drill.Steps[i].IsRequired(), State: StepState(s.State),
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
func stepRecord(r *Run, i int) (store.DrillStepRecord, error) {
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
