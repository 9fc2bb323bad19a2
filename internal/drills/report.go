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
	// Choices are a question's choices, so that an answer (its index,
	// Evidence.Choice) reads in any language.
	Choices  []profile.Text `json:"choices,omitempty"`
	Evidence Evidence       `json:"evidence"`
}

// AnswerIn is the step's answer in lang: the choice picked, in lang, for
// a question with choices; else the answer as written.
func (s ReportStep) AnswerIn(lang string) string {
	if c := s.Evidence.Choice; c != nil && *c >= 0 && *c < len(s.Choices) {
		return s.Choices[*c].In(lang)
	}
	return s.Evidence.Answer
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
			rs.Title, rs.Choices = ds.Title, ds.Choices
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

// Why a file is not a report (ReportError.Code), for front ends to put
// into words.
const (
	ReportTooLarge  = "too_large"  // larger than MaxReportSize
	ReportNotReport = "not_report" // not a drill report of Relais (another file, damaged)
	ReportNewer     = "newer"      // a report of a newer Relais (another schema)
)

// ReportError is why ParseReport or ReadReport refused a file; it matches
// ErrBadReport.
type ReportError struct {
	Code   string // ReportTooLarge, ReportNotReport, ReportNewer
	Detail string // what exactly, in English, for logs
}

func (e *ReportError) Error() string { return ErrBadReport.Error() + ": " + e.Detail }

func (e *ReportError) Is(target error) bool { return target == ErrBadReport }

func badReport(code, format string, args ...any) error {
	return &ReportError{Code: code, Detail: fmt.Sprintf(format, args...)}
}

// reportDataOpen starts the report's JSON inside its HTML page (HTML),
// which ReadReport reads back.
const reportDataOpen = `<script type="application/json" id="relais-report">`

// ReadReport reads a report file as Relais saves it: its JSON, or its
// HTML page (which carries the JSON). Errors are *ReportError.
func ReadReport(b []byte) (*Report, error) {
	if len(b) > MaxReportSize {
		return nil, badReport(ReportTooLarge, "larger than %d bytes", MaxReportSize)
	}
	b = bytes.TrimPrefix(b, []byte("\xef\xbb\xbf"))
	if t := bytes.TrimSpace(b); len(t) > 0 && t[0] == '<' {
		i := bytes.Index(b, []byte(reportDataOpen))
		if i < 0 {
			return nil, badReport(ReportNotReport, "an HTML page without a report's data")
		}
		rest := b[i+len(reportDataOpen):]
		j := bytes.Index(rest, []byte("</script>"))
		if j < 0 {
			return nil, badReport(ReportNotReport, "the report's data is cut short")
		}
		b = rest[:j]
	}
	return ParseReport(b)
}

// ParseReport reads a report's JSON, strictly: at most MaxReportSize
// bytes, one JSON object and nothing after it, no unknown field, schema
// ReportSchema, a run id and a drill id, known step states. Every error
// is a *ReportError and matches ErrBadReport.
func ParseReport(b []byte) (*Report, error) {
	if len(b) > MaxReportSize {
		return nil, badReport(ReportTooLarge, "larger than %d bytes", MaxReportSize)
	}
	// The schema first: a newer report is said to be newer, whatever
	// fields it has.
	var head struct {
		Schema int `json:"schema"`
	}
	if json.Unmarshal(b, &head) == nil && head.Schema > ReportSchema {
		return nil, badReport(ReportNewer, "schema %d, want %d", head.Schema, ReportSchema)
	}
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.DisallowUnknownFields()
	var r Report
	if err := dec.Decode(&r); err != nil {
		return nil, badReport(ReportNotReport, "%v", err)
	}
	if _, err := dec.Token(); !errors.Is(err, io.EOF) {
		return nil, badReport(ReportNotReport, "data after the report")
	}
	switch {
	case r.Schema != ReportSchema:
		return nil, badReport(ReportNotReport, "schema %d, want %d", r.Schema, ReportSchema)
	case r.RunID == "":
		return nil, badReport(ReportNotReport, "no run_id")
	case r.DrillID == "":
		return nil, badReport(ReportNotReport, "no drill_id")
	case !profile.ValidID(r.DrillID):
		// A drill's id in the profile; a server indexes it.
		return nil, badReport(ReportNotReport, "drill_id: not a profile id")
	case !validRunID(r.RunID):
		return nil, badReport(ReportNotReport, "run_id: not an id")
	}
	for i, s := range r.Steps {
		switch s.State {
		case StepOpen, StepDone, StepSkipped, StepFailed:
		default:
			return nil, badReport(ReportNotReport, "steps[%d].state: %q", i, s.State)
		}
	}
	if r.Steps == nil {
		r.Steps = []ReportStep{}
	}
	return &r, nil
}

// validRunID: 1 to 200 printable ASCII characters without spaces, as an
// Idempotency-Key (a run's id is its report's key).
func validRunID(s string) bool {
	if s == "" || len(s) > 200 {
		return false
	}
	for i := 0; i < len(s); i++ {
		if s[i] < 0x21 || s[i] > 0x7e {
			return false
		}
	}
	return true
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
	Feedback            string       `json:"feedback,omitempty"`
	// Steps are the report's steps (titles, states, skip reasons, answers
	// and notes), for the table's words.
	Steps []ReportStep `json:"steps"`
}

// Table combines colleagues' reports.
type Table struct {
	Rows []Row `json:"rows"` // by drill, then start time (then run id)
}
