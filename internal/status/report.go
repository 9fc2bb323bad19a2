package status

import (
	"encoding/json"
	"time"

	"relais/internal/profile"
)

// State is the state of a check or an app.
type State string

// States. Ok and degraded are operational (green and amber); failed and blocked are not;
// pending means not run yet (or cancelled before it ran).
const (
	StatePending  State = "pending"
	StateOK       State = "ok"
	StateDegraded State = "degraded"
	StateFailed   State = "failed"
	StateBlocked  State = "blocked"
	// StateMaintenance: the app does not answer (its checks failed or are
	// blocked) during a maintenance window the organisation announced
	// (internal/notices): planned, not a failure. Its checks still run and
	// keep their own states.
	StateMaintenance State = "maintenance"
)

// operational reports whether s lets people work: ok or degraded.
func (s State) operational() bool { return s == StateOK || s == StateDegraded }

// CheckPhases is how long each step of one attempt of a check took; a phase that did not happen is 0.
type CheckPhases struct {
	DNS       time.Duration // resolving the target's name
	Connect   time.Duration // TCP (or UDP for dns) connection
	TLS       time.Duration // TLS handshake
	FirstByte time.Duration // from the request written (connection ready) to the first byte of the answer
}

// Condition is one evaluated condition.
type Condition struct {
	Expr string `json:"expr"` // the condition with the value seen: "[STATUS] (503) == 200"
	OK   bool   `json:"ok"`   // whether it held
}

// Reason says in plain words why a check is not ok, and what to do.
type Reason struct {
	Code string       `json:"code"` // stable: dns_nxdomain, refused, timeout, http_status, …
	Text profile.Text `json:"text"` // what is wrong
	Next profile.Text `json:"next"` // the next step, naming the helpdesk and its phone
}

// Sentence is the reason and its next step as one text, as front ends show it.
func (r *Reason) Sentence() profile.Text {
	return profile.Text{FR: r.Text.FR + " " + r.Next.FR, EN: r.Text.EN + " " + r.Next.EN}
}

// CheckResult is the outcome of one check, or of a built-in.
type CheckResult struct {
	ID         string        // the check's id, or the built-in's name (tunnel, internet, captive)
	AppID      string        // the app it belongs to; "" for a built-in
	Type       string        // http, tcp, dns, tls, or the built-in's name
	Target     string        // what was probed, credentials redacted
	Via        string        // tunnel or direct
	State      State         // ok, degraded, failed, blocked, pending
	At         time.Time     // when the check started
	Duration   time.Duration // the last attempt, start to end (the [RESPONSE_TIME] seen)
	Phases     CheckPhases   // of the last attempt
	Conditions []Condition   // conditions then degraded_if, each with the value seen
	Reason     *Reason       // nil when ok
	Attempts   int           // attempts made (0 when blocked or pending)
	Error      string        // technical detail for the helpdesk, credentials redacted; "" when none
}

type phasesJSON struct {
	DNS       float64 `json:"dns_ms"`
	Connect   float64 `json:"connect_ms"`
	TLS       float64 `json:"tls_ms"`
	FirstByte float64 `json:"first_byte_ms"`
}

type reasonJSON struct {
	Code string       `json:"code"`
	FR   string       `json:"fr"` // the sentence and the next step
	EN   string       `json:"en"`
	Text profile.Text `json:"text"`
	Next profile.Text `json:"next"`
}

type checkJSON struct {
	ID         string      `json:"id"`
	AppID      string      `json:"app_id,omitempty"`
	Type       string      `json:"type"`
	Target     string      `json:"target,omitempty"`
	Via        string      `json:"via,omitempty"`
	State      State       `json:"state"`
	At         *time.Time  `json:"at"` // null: not run (blocked, pending)
	Duration   float64     `json:"duration_ms"`
	Phases     phasesJSON  `json:"phases"`
	Conditions []Condition `json:"conditions"`
	Reason     *reasonJSON `json:"reason,omitempty"`
	Attempts   int         `json:"attempts"`
	Error      string      `json:"error,omitempty"`
}

func ms(d time.Duration) float64 { return float64(d) / float64(time.Millisecond) }

func fromMS(f float64) time.Duration { return time.Duration(f * float64(time.Millisecond)) }

// MarshalJSON writes the shape the README ("The command line") gives `relais check --json`: durations in
// float milliseconds, the reason as {"fr","en"} sentences (with its code, text and next
// step for tools).
func (c CheckResult) MarshalJSON() ([]byte, error) {
	j := checkJSON{ID: c.ID, AppID: c.AppID, Type: c.Type, Target: c.Target, Via: c.Via, State: c.State,
		Duration: ms(c.Duration), Conditions: c.Conditions, Attempts: c.Attempts, Error: c.Error,
		Phases: phasesJSON{ms(c.Phases.DNS), ms(c.Phases.Connect), ms(c.Phases.TLS), ms(c.Phases.FirstByte)}}
	if !c.At.IsZero() {
		at := c.At
		j.At = &at
	}
	if j.Conditions == nil {
		j.Conditions = []Condition{}
	}
	if c.Reason != nil {
		s := c.Reason.Sentence()
		j.Reason = &reasonJSON{Code: c.Reason.Code, FR: s.FR, EN: s.EN, Text: c.Reason.Text, Next: c.Reason.Next}
	}
	return json.Marshal(j)
}

// UnmarshalJSON reads what MarshalJSON wrote, so that stored results read back unchanged.
func (c *CheckResult) UnmarshalJSON(b []byte) error {
	var j checkJSON
	if err := json.Unmarshal(b, &j); err != nil {
		return err
	}
	*c = CheckResult{ID: j.ID, AppID: j.AppID, Type: j.Type, Target: j.Target, Via: j.Via, State: j.State,
		Duration: fromMS(j.Duration), Conditions: j.Conditions, Attempts: j.Attempts, Error: j.Error,
		Phases: CheckPhases{fromMS(j.Phases.DNS), fromMS(j.Phases.Connect), fromMS(j.Phases.TLS), fromMS(j.Phases.FirstByte)}}
	if j.At != nil {
		c.At = *j.At
	}
	if j.Reason != nil {
		c.Reason = &Reason{Code: j.Reason.Code, Text: j.Reason.Text, Next: j.Reason.Next}
	}
	return nil
}

// AppResult is the outcome of an app: the worst of its checks, or blocked.
type AppResult struct {
	ID          string        `json:"id"`
	Name        profile.Text  `json:"name"`
	Criticality string        `json:"criticality"` // essential | important | optional
	State       State         `json:"state"`
	BlockedBy   []string      `json:"blocked_by,omitempty"` // when blocked: the failed apps or built-ins at the root
	Checks      []CheckResult `json:"checks"`
	// Maintenance is the announced maintenance window that holds for this
	// app, whatever its state; nil when none. The state is
	// StateMaintenance when the app does not answer during it.
	Maintenance *Maintenance `json:"maintenance,omitempty"`
}

// Maintenance is a planned maintenance window of an app, as the
// organisation's signed notices announce it.
type Maintenance struct {
	From  time.Time    `json:"from"`
	Until time.Time    `json:"until"`
	Text  profile.Text `json:"text"` // may be empty
}

// ApplyMaintenance marks the apps of rep that have a maintenance window at
// now (window reports it): each gets its Maintenance, and one that does not
// answer (failed or blocked) reads StateMaintenance instead. The checks keep
// their states. window may be nil.
func ApplyMaintenance(rep *Report, window func(appID string, now time.Time) (Maintenance, bool), now time.Time) {
	if rep == nil || window == nil {
		return
	}
	for i := range rep.Apps {
		a := &rep.Apps[i]
		m, ok := window(a.ID, now)
		if !ok {
			continue
		}
		a.Maintenance = &m
		if a.State == StateFailed || a.State == StateBlocked {
			a.State = StateMaintenance
		}
	}
}

// Report is the outcome of one run.
type Report struct {
	Started  time.Time              `json:"started"`
	Finished time.Time              `json:"finished"`
	Builtins map[string]CheckResult `json:"builtins,omitempty"` // "tunnel", "internet", "captive": those some app required
	Apps     []AppResult            `json:"apps"`               // in profile order
}

// EssentialsOK reports whether every essential app is operational. Degraded counts as
// operational (slow is not down: people can work, and DESIGN's time to operational would
// otherwise never end for a slow app); failed, blocked and pending do not. A report without
// essential apps is trivially true.
func (r *Report) EssentialsOK() bool {
	for i := range r.Apps {
		if r.Apps[i].Criticality == "essential" && !r.Apps[i].State.operational() {
			return false
		}
	}
	return true
}

// App returns the result of the app with that id, or nil.
func (r *Report) App(id string) *AppResult {
	for i := range r.Apps {
		if r.Apps[i].ID == id {
			return &r.Apps[i]
		}
	}
	return nil
}

// Check returns the result of the check (or built-in) with that id, or nil.
func (r *Report) Check(id string) *CheckResult {
	if b, ok := r.Builtins[id]; ok {
		return &b
	}
	for i := range r.Apps {
		for j := range r.Apps[i].Checks {
			if r.Apps[i].Checks[j].ID == id {
				return &r.Apps[i].Checks[j]
			}
		}
	}
	return nil
}
