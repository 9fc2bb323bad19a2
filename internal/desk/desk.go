// Package desk is the contract between the desktop app (app/) and the rest
// of Relais: the Backend interface the GUI drives and the plain values it
// exchanges. The GUI imports this package and never the engine's wiring;
// internal/cli implements Backend (cli.Desk) with the same wiring as
// `relais up`, and the GUI's tests pass fakes.
//
// It must never import fyne.io, the GUI, or anything that does work: it
// holds types only.
package desk

import (
	"time"

	"relais/internal/diag"
	"relais/internal/drills"
	"relais/internal/engine"
	"relais/internal/profile"
)

// Tunnel modes, as the setting stores them.
const (
	ModeAuto      = "auto"
	ModeUserspace = "userspace"
	ModeSystem    = "system"
)

// Languages, as the setting stores them.
const (
	LanguageAuto = "auto"
	LanguageFR   = "fr"
	LanguageEN   = "en"
)

// Backend is what the GUI asks of Relais. Every method is safe for
// concurrent use. The GUI calls the methods marked "may block" from its
// own goroutines, never from the UI goroutine; the others return at once
// from memory. Errors are sentences for people, already in the language
// given to SetLanguage.
type Backend interface {
	// Start enters Mode urgence in the given tunnel mode ("" = the
	// setting); it returns once the engine has started (the profile is
	// loaded), and events follow. May block.
	Start(mode string) error
	// Stop leaves Mode urgence and returns once the tunnel is down. May
	// block.
	Stop()
	// Active reports whether Mode urgence is on (between Start and Stop).
	Active() bool
	// Recheck asks for a run of the checks now.
	Recheck()
	// Snapshot is the current engine's state, or the last one's after
	// Stop; Phase idle before any Start.
	Snapshot() engine.Snapshot
	// Subscribe calls fn with every event of every engine this backend
	// starts, from the engine's goroutines; fn must not block. cancel
	// stops the calls.
	Subscribe(fn func(engine.Event)) (cancel func())

	// Profile is the cached profile in use, refreshed when the engine
	// accepts a newer one.
	Profile() ProfileState
	// Asset returns a cached asset (a help page's image) by its id.
	Asset(id string) ([]byte, bool)
	// OpenLink opens an emergency link the way `relais open` does (through
	// the tunnel's local proxy for a tunnel link). May block.
	OpenLink(id string) error

	// Settings are the user's settings with the managed locks applied.
	Settings() Settings
	// SaveSettings records s (a locked field is refused) and applies it:
	// autostart is turned on or off. May block.
	SaveSettings(s Settings) error
	// Locks says which settings the managed configuration locks.
	Locks() Locks

	// Identity is the device's WireGuard identity. May block (keyring).
	Identity() Identity
	// GenerateKey makes a new device key (kept in the OS keyring). May
	// block.
	GenerateKey() error
	// ImportConf imports a wg-quick .conf from IT, as `relais key import`.
	// May block.
	ImportConf(path string) error

	// Drills: runs, steps, reports (issue 6).
	Drills
	// Diagnostics: bundles for the helpdesk (issue 7).
	Diagnostics

	// SetLanguage sets the language of the errors ("fr" or "en").
	SetLanguage(lang string)
	// Demo reports whether this is the embedded demo office.
	Demo() bool
	// Close stops Mode urgence and releases everything. May block. It is
	// safe to call more than once: every call returns once all is
	// released, even while another call is under way.
	Close()
}

// ProfileState is the cached profile and what is known of it.
type ProfileState struct {
	Profile   *profile.Profile // nil: no profile cached yet
	Serial    int64
	Signature string    // valid | invalid | not_checked
	FetchedAt time.Time // when it was last fetched or confirmed unchanged
	Expired   bool
	// Problem says why the last sync kept the previous profile, or why
	// there is none; "" when all is well.
	Problem string
}

// Settings are the user's choices.
type Settings struct {
	Language   string // LanguageAuto | LanguageFR | LanguageEN
	Autostart  bool
	TunnelMode string // ModeAuto | ModeUserspace | ModeSystem
}

// DefaultSettings are the settings of a new user.
func DefaultSettings() Settings {
	return Settings{Language: LanguageAuto, TunnelMode: ModeAuto}
}

// Locks says which settings the organisation's managed configuration
// fixes; a locked setting is shown disabled.
type Locks struct {
	TunnelMode bool
	Autostart  bool
}

// Identity is the device's WireGuard identity, for enrolment.
type Identity struct {
	PublicKey string   // "" when the device has none yet
	Addresses []string // tunnel addresses IT assigned, if any
	Source    string   // "generated" or the imported file's name
	// Problem is a sentence when the keyring cannot be read or the key in
	// it does not match; "" otherwise.
	Problem string
}

// Drills is the drills part of the backend. Every method may block (the
// store; verification runs checks and actions through the engine). Errors
// are sentences.
type Drills interface {
	// Runs are this device's drill runs, newest first.
	Runs() ([]*drills.Run, error)
	// StartDrill resumes the active run of drill id, or starts one (its
	// window must be open).
	StartDrill(id string) (*drills.Run, error)
	// CompleteStep does the run's current step (see drills.Walker.Complete);
	// a failed verification returns the run (the step marked failed, with
	// its evidence) and an error saying why.
	CompleteStep(runID, stepID string, in drills.Input) (*drills.Run, error)
	// SkipStep skips the current step; a required one needs a reason.
	SkipStep(runID, stepID, reason string) (*drills.Run, error)
	// FinishDrill ends the run with the participant's feedback, makes its
	// report and queues it for delivery to the profile's report_url (when
	// there is one).
	FinishDrill(runID, feedback string) (*drills.Report, error)
	// Delivery is the delivery state of a run's report.
	Delivery(runID string) Delivery
	// ExportReport writes a run's report to path: .json or .html.
	ExportReport(runID, path string) error
	// Summarize reads colleagues' report files (JSON) into one table.
	Summarize(paths []string) (*drills.Table, error)
}

// Delivery states.
const (
	DeliveryNone      = "none"      // no report yet, or the profile has no report_url
	DeliveryPending   = "pending"   // queued; retried until it gets through
	DeliveryDelivered = "delivered" // the receiver has it
	DeliveryRejected  = "rejected"  // the receiver refused it for good
)

// Delivery is where a report's delivery stands.
type Delivery struct {
	State       string
	Attempts    int
	NextAttempt time.Time // when pending
	Delivered   time.Time // when delivered
	Problem     string    // a sentence: why the last attempt failed; "" when none
}

// Diagnostics is the diagnostics part of the backend. Every method but
// HelpdeskOptions may block. Errors are sentences.
type Diagnostics interface {
	// HelpdeskOptions says what the profile offers: encryption to the
	// helpdesk (an age recipient) and upload (an upload_url). From memory.
	HelpdeskOptions() (canEncrypt, canUpload bool)
	// ExportDiagnostics writes a bundle into dir ("" = the user's
	// Downloads or Documents folder, else the data directory) at level
	// (none, standard, strict), encrypted to the helpdesk when encrypt.
	ExportDiagnostics(dir, level string, encrypt bool) (DiagExport, error)
	// OpenBundle reads a bundle; identityFile is an age identity file for
	// an encrypted one ("" none).
	OpenBundle(path, identityFile string) (*diag.Bundle, error)
	// RecentLog is the app's last n log lines, secrets redacted.
	RecentLog(n int) ([]diag.LogLine, error)
	// UploadBundle queues a bundle for the profile's upload_url (https
	// only), delivered by the outbox; its state is Delivery(case code).
	UploadBundle(path string) error
}

// DiagExport is a bundle just written.
type DiagExport struct {
	Path      string
	CaseCode  string
	Encrypted bool
	Size      int64
	Failures  []string // collectors that did not finish, noted in the bundle
}
