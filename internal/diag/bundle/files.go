package bundle

import (
	"encoding/json"
	"time"

	"relais/internal/drills"
	"relais/internal/status"
)

// The files of a bundle.
const (
	NameSummary     = "summary.html"
	NameManifest    = "manifest.json"
	NameSystem      = "system.json"
	NameNetwork     = "network.json"
	NameTunnel      = "tunnel.json"
	NameChecks      = "checks.json"
	NameDrills      = "drills.json"
	NameProfile     = "profile.json"
	NameProfileTOML = "profile.toml"
	NameSettings    = "settings.json"
	NameManaged     = "managed.toml"
	NameLog         = "log.txt"
)

// TunnelFile is tunnel.json: Mode urgence and its tunnel.
type TunnelFile struct {
	Known               bool                   `json:"known"` // false: Mode urgence has no recorded state
	Phase               status.Phase           `json:"phase,omitempty"`
	Started             time.Time              `json:"started"`
	Stopped             bool                   `json:"stopped"`
	Runs                int                    `json:"runs"`
	TimeToOperationalMS *float64               `json:"time_to_operational_ms"` // null: never operational
	Owned               bool                   `json:"owned"`                  // false: a tunnel already up was reused
	Status              status.Tunnel          `json:"status"`
	Error               string                 `json:"error,omitempty"`
	AtLastReport        status.Tunnel          `json:"at_last_report"`
	Profile             status.ProfileInfo     `json:"profile"`
	DevicePublicKey     string                 `json:"device_public_key,omitempty"`
	Timeline            []status.TimelineEntry `json:"timeline"`
}

// ChecksFile is checks.json: the last report and the history, summarised
// (see History).
type ChecksFile struct {
	LastReport *status.Report `json:"last_report"` // null: none
	History    History        `json:"history"`
}

// History is the check history: totals per check, counts per check and
// hour, and the newest results and problems in full (internal/diag makes
// it from the store's records, within its limits).
type History struct {
	Records  int             `json:"records"` // how many results the history held
	From     time.Time       `json:"from"`
	To       time.Time       `json:"to"`
	PerCheck []CheckTotals   `json:"per_check"`
	Hourly   []HourCounts    `json:"hourly"`
	Recent   []HistoryRecord `json:"recent"`   // the newest results, newest first
	Problems []HistoryRecord `json:"problems"` // the newest results not ok, newest first
}

// StateCounts counts results by state.
type StateCounts struct {
	OK       int `json:"ok,omitempty"`
	Degraded int `json:"degraded,omitempty"`
	Failed   int `json:"failed,omitempty"`
	Blocked  int `json:"blocked,omitempty"`
	Pending  int `json:"pending,omitempty"`
	Other    int `json:"other,omitempty"`
}

// CheckTotals are one check's results over the whole history.
type CheckTotals struct {
	Check string `json:"check"`
	App   string `json:"app,omitempty"`
	Type  string `json:"type,omitempty"`
	StateCounts
	First     time.Time `json:"first"`
	Last      time.Time `json:"last"`
	LastState string    `json:"last_state"`
}

// HourCounts are one check's results in one hour.
type HourCounts struct {
	Check string    `json:"check"`
	Hour  time.Time `json:"hour"`
	StateCounts
	AvgMS float64 `json:"avg_ms"`
	MaxMS float64 `json:"max_ms"`
}

// HistoryRecord is one result of the history, in full.
type HistoryRecord struct {
	RunAt      time.Time       `json:"run_at"`
	At         time.Time       `json:"at"`
	Check      string          `json:"check"`
	App        string          `json:"app,omitempty"`
	Type       string          `json:"type,omitempty"`
	State      string          `json:"state"`
	DurationMS float64         `json:"duration_ms"`
	Reason     string          `json:"reason,omitempty"`
	Detail     json.RawMessage `json:"detail,omitempty"`
}

// DrillsFile is drills.json.
type DrillsFile struct {
	Runs []*drills.Run `json:"runs"`
}

// ProfileFile is profile.json.
type ProfileFile struct {
	Cached bool `json:"cached"` // false: no profile cached on this device
	*ProfileFacts
}

// ProfileFacts is what the bundle says of the profile in use.
type ProfileFacts struct {
	Serial    int64     `json:"serial"`
	Signature string    `json:"signature"` // valid | invalid | not_checked
	Expires   time.Time `json:"expires"`   // zero: never
	Expired   bool      `json:"expired"`
	FetchedAt time.Time `json:"fetched_at"`
	Source    string    `json:"source"` // where it came from (URL), redacted like any URL
	// TOML is the profile's text (URLs in it are redacted like the rest).
	TOML []byte `json:"-"`
}
