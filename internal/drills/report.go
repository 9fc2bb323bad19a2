package drills

import (
	"io"
	"time"

	"relais/internal/profile"
)

// ReportSchema is the version of the report's JSON.
const ReportSchema = 1

// ReportStep is one step in a report.
type ReportStep struct {
	ID         string       `json:"id"`
	Title      profile.Text `json:"title"`
	Kind       string       `json:"kind"`
	Required   bool         `json:"required"`
	State      StepState    `json:"state"`
	Started    time.Time    `json:"started"`
	Finished   time.Time    `json:"finished"`
	DurationMS float64      `json:"duration_ms"`           // Finished - Started
	ExpectedMS *float64     `json:"expected_ms,omitempty"` // the step's expected duration
	SkipReason string       `json:"skip_reason,omitempty"`
	Failure    string       `json:"failure,omitempty"`
	Evidence   Evidence     `json:"evidence"`
}

// Report is what a run sends to the continuity coordinator.
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
	Finished      time.Time    `json:"finished"`
	// Completed: every required step done (none skipped or failed).
	Completed           bool         `json:"completed"`
	RTOMS               float64      `json:"rto_ms"`
	TimeToOperationalMS *float64     `json:"time_to_operational_ms"` // null: never operational during the run
	WithinRTO           *bool        `json:"within_rto"`            // null: never operational
	Steps               []ReportStep `json:"steps"`
	Feedback            string       `json:"feedback,omitempty"`
}

// BuildReport makes the report of a finished (or active) run.
func BuildReport(r *Run, participant string) Report {
	panic("drills: BuildReport not implemented yet")
}

// ParseReport reads a report's JSON, strictly (schema, required fields).
func ParseReport(b []byte) (*Report, error) {
	panic("drills: ParseReport not implemented yet")
}

// JSON is the report as indented JSON.
func (r Report) JSON() ([]byte, error) {
	panic("drills: JSON not implemented yet")
}

// HTML writes the report as one self-contained readable page in lang.
func (r Report) HTML(w io.Writer, lang string) error {
	panic("drills: HTML not implemented yet")
}

// Row is one report in an ambassador's table.
type Row struct {
	Participant         string       `json:"participant"`
	DrillID             string       `json:"drill_id"`
	DrillTitle          profile.Text `json:"drill_title"`
	Started             time.Time    `json:"started"`
	Completed           bool         `json:"completed"`
	TimeToOperationalMS *float64     `json:"time_to_operational_ms"`
	RTOMS               float64      `json:"rto_ms"`
	WithinRTO           *bool        `json:"within_rto"`
	FailedSteps         []string     `json:"failed_steps"`  // step ids failed or skipped while required
	SkippedSteps        []string     `json:"skipped_steps"` // every skipped step id
}

// Table combines colleagues' reports.
type Table struct {
	Rows []Row `json:"rows"` // by drill, then start time
}

// Summarize makes the table of reports (a report seen twice — same run
// id — counts once).
func Summarize(reports []Report) Table {
	panic("drills: Summarize not implemented yet")
}

// WriteCSV writes the table as CSV (header row in lang).
func (t Table) WriteCSV(w io.Writer, lang string) error {
	panic("drills: WriteCSV not implemented yet")
}

// WriteHTML writes the table as one self-contained page in lang.
func (t Table) WriteHTML(w io.Writer, lang string) error {
	panic("drills: WriteHTML not implemented yet")
}
