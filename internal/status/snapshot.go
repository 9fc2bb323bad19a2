package status

import "time"

// Phase is where Mode urgence stands.
type Phase string

// Phases.
const (
	PhaseIdle        Phase = "idle"        // not started, or stopped
	PhaseConnecting  Phase = "connecting"  // bringing the tunnel up
	PhaseChecking    Phase = "checking"    // the first run of the checks is under way
	PhaseOperational Phase = "operational" // every essential app is ok
	PhaseDegraded    Phase = "degraded"    // no essential app failed, but not all are ok
	PhaseFailed      Phase = "failed"      // an essential app failed or is blocked, or the tunnel could not come up
)

// Event kinds, also the kinds of timeline entries.
const (
	EventStarted        = "started"
	EventProfileLoaded  = "profile_loaded"
	EventProfileUpdated = "profile_updated" // the background sync accepted a newer profile
	EventSyncFailed     = "sync_failed"
	EventTunnelStarting = "tunnel_starting"
	EventTunnelUp       = "tunnel_up"
	EventTunnelReused   = "tunnel_reused" // a tunnel already up (system mode) is used as is
	EventTunnelFailed   = "tunnel_failed" // Code: why (TunnelFailureCodes); Detail: the error
	// EventTunnelEndpoint: the tunnel now uses another endpoint (the name
	// resolved to a new address, a standby gateway, the gateway roamed);
	// Detail: "endpoint " + Tunnel.EndpointShown().
	EventTunnelEndpoint = "tunnel_endpoint"
	EventChecking       = "checking"
	EventReport         = "report"      // a run of the checks finished: Snapshot.Report is new
	EventPhase          = "phase"       // the phase changed
	EventOperational    = "operational" // every essential app operational for the first time; DurationMS: the time to operational
	EventNetworkChanged = "network_changed"
	EventStopped        = "stopped" // Code: StopNoProfile when Start could not load the profile
	// EventNotices: the backend's notices changed, or a sync of them
	// failed (not the engine's: never in the timeline).
	EventNotices = "notices"
)

// StopNoProfile is the Code of the "stopped" entry of a Start that could
// not load the cached profile (there is none, or it cannot be read): Start
// returns the error, whose caller words it.
const StopNoProfile = "no_profile"

// ProfileInfo is the profile in use.
type ProfileInfo struct {
	Serial    int64  `json:"serial"`
	Signed    bool   `json:"signed"`
	Signature string `json:"signature"` // valid | invalid | not_checked
}

// TimelineEntry is one timestamped step of Mode urgence.
type TimelineEntry struct {
	At   time.Time `json:"at"`
	Kind string    `json:"kind"`
	// Code says why, in an entry that records a failure: a tunnel
	// failure's code (TunnelFailureCodes) in "tunnel_failed", StopNoProfile
	// in a "stopped" that ended Start. What a front end words.
	Code string `json:"code,omitempty"`
	// Detail is a value for the log and the details (a phase, "serial 7",
	// an error as the code saw it), never words for people.
	Detail string `json:"detail,omitempty"`
	// DurationMS is the time to operational of an "operational" entry,
	// in milliseconds (a state recorded by an older Relais has it in
	// Detail, as Go wrote a duration).
	DurationMS *int64 `json:"duration_ms,omitempty"`
}

// Snapshot is the engine's state at one moment, a plain value.
type Snapshot struct {
	PID               int             `json:"pid"`
	Phase             Phase           `json:"phase"`
	Started           time.Time       `json:"started"` // zero: never started
	Stopped           bool            `json:"stopped"`
	Profile           ProfileInfo     `json:"profile"`
	Tunnel            Tunnel          `json:"tunnel"`
	TunnelOwned       bool            `json:"tunnel_owned"`                // false: a tunnel already up was reused
	TunnelError       string          `json:"tunnel_error,omitempty"`      // the error as the code saw it: for the log and the details
	TunnelErrorCode   string          `json:"tunnel_error_code,omitempty"` // the engine's TunnelFailureCode: what a front end words
	TunnelAtReport    Tunnel          `json:"tunnel_at_report"`            // the tunnel when the last report finished
	Report            *Report         `json:"report"`
	Runs              int             `json:"runs"`
	TimeToOperational *time.Duration  `json:"time_to_operational"` // nil: never operational yet
	Timeline          []TimelineEntry `json:"timeline"`
	// Verdict is the overall state, Judge's, kept up to date with every
	// change: what each front end words.
	Verdict Verdict `json:"verdict"`
}

// Event is published on every change; it carries the whole snapshot, so a
// subscriber that missed coalesced events still sees the latest state.
type Event struct {
	Kind     string
	At       time.Time
	Code     string // the timeline entry's Code
	Detail   string
	Snapshot Snapshot
}

// PhaseOf judges a report by its essential apps: operational when every one
// is ok, degraded when some are only degraded (people can work, slowly),
// failed when one failed, is blocked or pending. An app down during its
// announced maintenance window (StateMaintenance) is planned: degraded.
func PhaseOf(rep *Report) Phase {
	if rep == nil {
		return PhaseChecking
	}
	phase := PhaseOperational
	for _, a := range rep.Apps {
		if a.Criticality != "essential" {
			continue
		}
		switch a.State {
		case StateOK:
		case StateDegraded, StateMaintenance: // slow, or down as announced: not a failure
			phase = PhaseDegraded
		default:
			return PhaseFailed
		}
	}
	return phase
}
