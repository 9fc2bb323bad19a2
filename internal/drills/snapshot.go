package drills

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"time"

	"relais/internal/profile"
)

// drillSnapshot is a drill as a run keeps it (the store's drill_json, a
// run's "drill" wherever a run is written): the profile's drill with keys
// of its own, in lower snake case like every JSON document of Relais, so
// that what runs stored does not depend on package profile's Go field
// names. Snapshots stored before it had keys were profile.Drill with Go's
// field names ("ID", "Title", "RTO"): encoding/json matches keys without
// regard to case, so they read back the same.
type drillSnapshot struct {
	ID       string           `json:"id"`
	Title    profile.Text     `json:"title"`
	Exercise string           `json:"exercise"`
	Opens    time.Time        `json:"opens"`
	Closes   time.Time        `json:"closes"`
	RTO      profile.Duration `json:"rto"`
	Steps    []stepSnapshot   `json:"steps"`
}

// stepSnapshot is a step of a drillSnapshot.
type stepSnapshot struct {
	ID       string           `json:"id"`
	Kind     string           `json:"kind"`
	Title    profile.Text     `json:"title"`
	Body     profile.Text     `json:"body"`
	Action   string           `json:"action"`
	Checks   []string         `json:"checks"`
	Required *bool            `json:"required"` // null: required
	Expected profile.Duration `json:"expected"`
	Choices  []profile.Text   `json:"choices"`
}

// snapshotOf is d's snapshot; drill() is its inverse.
func snapshotOf(d profile.Drill) drillSnapshot {
	s := drillSnapshot{ID: d.ID, Title: d.Title, Exercise: d.Exercise, Opens: d.Opens, Closes: d.Closes, RTO: d.RTO}
	if d.Steps != nil {
		s.Steps = make([]stepSnapshot, len(d.Steps))
	}
	for i, st := range d.Steps {
		s.Steps[i] = stepSnapshot{ID: st.ID, Kind: st.Kind, Title: st.Title, Body: st.Body, Action: st.Action, Checks: st.Checks,
			Required: st.Required, Expected: st.Expected, Choices: st.Choices}
	}
	return s
}

// ParseDrillJSON reads a drill as a run keeps it (DrillJSON's, or a
// snapshot stored with Go's field names by an earlier Relais).
func ParseDrillJSON(js string) (profile.Drill, error) {
	var s drillSnapshot
	if err := json.Unmarshal([]byte(js), &s); err != nil {
		return profile.Drill{}, err
	}
	return s.drill(), nil
}

func (s drillSnapshot) drill() profile.Drill {
	d := profile.Drill{ID: s.ID, Title: s.Title, Exercise: s.Exercise, Opens: s.Opens, Closes: s.Closes, RTO: s.RTO}
	if s.Steps != nil {
		d.Steps = make([]profile.Step, len(s.Steps))
	}
	for i, st := range s.Steps {
		d.Steps[i] = profile.Step{ID: st.ID, Kind: st.Kind, Title: st.Title, Body: st.Body, Action: st.Action, Checks: st.Checks,
			Required: st.Required, Expected: st.Expected, Choices: st.Choices}
	}
	return d
}

// canonicalDrill is d as a run keeps it: the same drill, with its window in
// UTC so that the same profile read in another time zone hashes the same.
func canonicalDrill(d profile.Drill) profile.Drill {
	d.Opens, d.Closes = d.Opens.UTC(), d.Closes.UTC()
	return d
}

// DrillJSON is the canonical JSON of a drill, and its SHA-256 in hex: the
// drill's snapshot with its window in UTC, encoded by encoding/json
// (struct fields in declaration order, no insignificant space), which is
// what the store keeps.
func DrillJSON(d profile.Drill) (js, hash string, err error) {
	b, err := json.Marshal(snapshotOf(canonicalDrill(d)))
	if err != nil {
		return "", "", fmt.Errorf("drills: drill %s: %w", d.ID, err)
	}
	sum := sha256.Sum256(b)
	return string(b), hex.EncodeToString(sum[:]), nil
}

// DrillHash is the SHA-256 (hex) of a drill's canonical JSON, as a run
// records it in DrillHash: two runs with the same hash walked the same
// drill. The converse does not hold across versions of Relais: runs
// started before snapshots had lower-case keys hashed the drill's JSON
// with Go's field names, so the same drill has another hash in them.
// Nothing groups or compares runs by hash (the ambassadors' table groups
// by drill id); a run keeps the hash it was started with.
func DrillHash(d profile.Drill) (string, error) {
	_, h, err := DrillJSON(d)
	return h, err
}
