// Package checks proves that the emergency environment's applications answer: it runs a
// profile's http, tcp, dns and tls checks (through the tunnel or directly) and the built-in
// tunnel, internet and captive checks, evaluates their Gatus-style conditions, orders them
// by the apps' requires so that one outage is one red line, and explains each failure in
// plain French and English with a next step naming the helpdesk.
//
// It is a library of probes and results: it never stores anything, never brings a tunnel
// up or down, never imports the store, the engine, the CLI or Fyne, and never puts a
// credential found in a target into a result or a log line. The results it makes
// (CheckResult, AppResult, Report, the reason codes) are package status's, which front ends
// name; checks keeps aliases of them.
package checks

import "relais/internal/status"

// State is the state of a check or an app.
type State = status.State

// States. Ok and degraded are operational (green and amber); failed and blocked are not;
// pending means not run yet (or cancelled before it ran).
const (
	StatePending  = status.StatePending
	StateOK       = status.StateOK
	StateDegraded = status.StateDegraded
	StateFailed   = status.StateFailed
	StateBlocked  = status.StateBlocked
	// StateMaintenance is an app's state (never a check's) when it does not
	// answer during its announced maintenance window (status.ApplyMaintenance).
	StateMaintenance = status.StateMaintenance
)

// Phases is how long each step of one attempt took; a phase that did not happen is 0.
type Phases = status.CheckPhases

// Condition is one evaluated condition.
type Condition = status.Condition

// Reason says in plain words why a check is not ok, and what to do.
type Reason = status.Reason

// CheckResult is the outcome of one check, or of a built-in.
type CheckResult = status.CheckResult

// AppResult is the outcome of an app: the worst of its checks, or blocked.
type AppResult = status.AppResult

// Report is the outcome of one run.
type Report = status.Report
