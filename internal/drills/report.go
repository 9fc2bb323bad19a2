package drills

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"time"

	"relais/internal/profile"
)

// ReportSchema is the version of the report's JSON.
const ReportSchema = 1

// MaxReportSize bounds a report's JSON that ParseReport reads.
const MaxReportSize = 1 << 20

// ErrBadReport is matched (errors.Is) by every error of ParseReport.
var ErrBadReport = errors.New("drills: not a valid drill report")

// ReportStep is one step in a report.
type ReportStep struct {
	ID         string       `json:"id"`
	Title      profile.Text `json:"title"`
	Kind       string       `json:"kind"`
	Required   bool         `json:"required"`
	State      StepState    `json:"state"`
	Started    time.Time    `json:"started"`
	Finished   time.Time    `json:"finished"`
	DurationMS float64      `json:"duration_ms"`           // Finished - Started (0 while not finished)
	ExpectedMS *float64     `json:"expected_ms,omitempty"` // the step's expected duration
	SkipReason string       `json:"skip_reason,omitempty"`
	Failure    string       `json:"failure,omitempty"` // the code of the last failed attempt
	Evidence   Evidence     `json:"evidence"`
}

// Report is what a run sends to the continuity coordinator. It names the
// participant and carries their answers and notes: personal, never secret.
type Report struct {
	Schema        int          `json:"schema"`
	RunID         string       `json:"run_id"` // also the Idempotency-Key of its delivery
	DrillID       string       `json:"drill_id"`
	DrillHash     string       `json:"drill_hash"`
	DrillTitle    profile.Text `json:"drill_title"`
	Exercise      string       `json:"exercise"`
	Participant   string       `json:"participant"`
	AppVersion    string       `json:"app_version"`
	ProfileSerial int64        `json:"profile_serial"`
	Language      string       `json:"language"`
	Started       time.Time    `json:"started"`
	Finished      time.Time    `json:"finished"` // zero: the run is still under way
	// Completed: every required step done (none skipped, failed or open).
	Completed           bool         `json:"completed"`
	RTOMS               float64      `json:"rto_ms"`
	TimeToOperationalMS *float64     `json:"time_to_operational_ms"` // null: never operational during the run
	WithinRTO           *bool        `json:"within_rto"`             // null: never operational
	Steps               []ReportStep `json:"steps"`
	Feedback            string       `json:"feedback,omitempty"`
}

// ms is d in float milliseconds, as reports write durations.
func ms(d time.Duration) float64 { return float64(d) / float64(time.Millisecond) }

// fromMS is the inverse of ms.
func fromMS(f float64) time.Duration { return time.Duration(math.Round(f * float64(time.Millisecond))) }

// BuildReport makes the report of a finished (or active) run. A step's
// duration runs from when it became current to when it was last done,
// skipped or failed: retries count.
func BuildReport(r *Run, participant string) Report {
	rto := r.Drill.RTO.Duration()
	rep := Report{
		Schema: ReportSchema, RunID: r.ID, DrillID: r.DrillID, DrillHash: r.DrillHash, DrillTitle: r.Drill.Title,
		Exercise: r.Drill.Exercise, Participant: participant, AppVersion: r.AppVersion, ProfileSerial: r.ProfileSerial,
		Language: r.Language, Started: r.Started, Finished: r.Finished, Completed: true, RTOMS: ms(rto),
		Steps: make([]ReportStep, 0, len(r.Steps)), Feedback: r.Feedback,
	}
	if r.TimeToOperational != nil {
		tto := ms(*r.TimeToOperational)
		within := *r.TimeToOperational <= rto
		rep.TimeToOperationalMS, rep.WithinRTO = &tto, &within
	}
	for i, s := range r.Steps {
		rs := ReportStep{
			ID: s.ID, Kind: s.Kind, Required: s.Required, State: s.State, Started: s.Started, Finished: s.Finished,
			SkipReason: s.SkipReason, Failure: s.Failure, Evidence: s.Evidence,
		}
		if i < len(r.Drill.Steps) && r.Drill.Steps[i].ID == s.ID {
			ds := r.Drill.Steps[i]
			rs.Title = ds.Title
			if e := ds.Expected.Duration(); e > 0 {
				f := ms(e)
				rs.ExpectedMS = &f
			}
		}
		if !s.Started.IsZero() && !s.Finished.IsZero() && s.Finished.After(s.Started) {
			rs.DurationMS = ms(s.Finished.Sub(s.Started))
		}
		if s.Required && s.State != StepDone {
			rep.Completed = false
		}
		rep.Steps = append(rep.Steps, rs)
	}
	return rep
}

// ParseReport reads a report's JSON, strictly: at most MaxReportSize
// bytes, one JSON object and nothing after it, no unknown field, schema
// ReportSchema, a run id and a drill id, known step states. Every error
// matches ErrBadReport.
func ParseReport(b []byte) (*Report, error) {
	if len(b) > MaxReportSize {
		return nil, fmt.Errorf("%w: larger than %d bytes", ErrBadReport, MaxReportSize)
	}
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.DisallowUnknownFields()
	var r Report
	if err := dec.Decode(&r); err != nil {
		return nil, fmt.Errorf("%w: %v", ErrBadReport, err)
	}
	if _, err := dec.Token(); !errors.Is(err, io.EOF) {
		return nil, fmt.Errorf("%w: data after the report", ErrBadReport)
	}
	switch {
	case r.Schema != ReportSchema:
		return nil, fmt.Errorf("%w: schema %d, want %d", ErrBadReport, r.Schema, ReportSchema)
	case r.RunID == "":
		return nil, fmt.Errorf("%w: no run_id", ErrBadReport)
	case r.DrillID == "":
		return nil, fmt.Errorf("%w: no drill_id", ErrBadReport)
	}
	for i, s := range r.Steps {
		switch s.State {
		case StepOpen, StepDone, StepSkipped, StepFailed:
		default:
			return nil, fmt.Errorf("%w: steps[%d].state: %q", ErrBadReport, i, s.State)
		}
	}
	if r.Steps == nil {
		r.Steps = []ReportStep{}
	}
	return &r, nil
}

// JSON is the report as indented JSON.
func (r Report) JSON() ([]byte, error) {
	if r.Steps == nil {
		r.Steps = []ReportStep{}
	}
	b, err := json.MarshalIndent(r, "", "  ")
	if err != nil {
		return nil, fmt.Errorf("drills: report %s: %w", r.RunID, err)
	}
	return append(b, '\n'), nil
}

// Row is one report in an ambassador's table.
type Row struct {
	RunID               string       `json:"run_id"`
	Participant         string       `json:"participant"`
	DrillID             string       `json:"drill_id"`
	DrillTitle          profile.Text `json:"drill_title"`
	Started             time.Time    `json:"started"`
	Completed           bool         `json:"completed"`
	TimeToOperationalMS *float64     `json:"time_to_operational_ms"`
	RTOMS               float64      `json:"rto_ms"`
	WithinRTO           *bool        `json:"within_rto"`
	FailedSteps         []string     `json:"failed_steps"`  // required step ids not done: failed, skipped (or still open)
	SkippedSteps        []string     `json:"skipped_steps"` // every skipped step id, required or not
}

// Table combines colleagues' reports.
type Table struct {
	Rows []Row `json:"rows"` // by drill, then start time (then run id)
}
