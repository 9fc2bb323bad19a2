// Package frontend is the contract between the front ends (the desktop app
// in app/, and what the command line shares with it) and the one backend
// (internal/backend): the Backend interface the GUI drives, the plain
// values it exchanges, and Error, the coded error a front end words in the
// person's language.
//
// It must never do I/O, hold state, or import fyne.io, the GUI, the
// backend, the command line, the store, the tunnel or the helper
// (architecture_test.go). The value types it still borrows from engine,
// drills, diag/bundle and profile are listed there too.
package frontend

import (
	"errors"
	"strings"
	"time"

	"relais/internal/diag/bundle"
	"relais/internal/drills"
	"relais/internal/profile"
	"relais/internal/status"
)

// Tunnel modes, as the setting stores them.
const (
	ModeAuto      = "auto"
	ModeUserspace = "userspace"
	ModeSystem    = "system"
)

// Why Mode urgence could not point the person's proxy setting at Relais
// (Backend.SystemProxyProblem; the backend's store and `relais status`
// use the same codes).
const (
	// SystemProxyNoDesktop: no desktop proxy setting (GNOME, KDE,
	// Windows) was found in this session.
	SystemProxyNoDesktop = "no_desktop"
	// SystemProxySetFailed: the desktop's setting could not be read,
	// saved or changed.
	SystemProxySetFailed = "set_failed"
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
	Snapshot() status.Snapshot
	// Subscribe calls fn with every event of every engine this backend
	// starts, from the engine's goroutines; fn must not block. cancel
	// stops the calls.
	Subscribe(fn func(status.Event)) (cancel func())

	// Profile is the cached profile in use, refreshed when the engine
	// accepts a newer one.
	Profile() ProfileState
	// Notices are the organisation's active notices and maintenance
	// windows, from memory (kept offline).
	Notices() NoticesState
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
	// GenerateKey makes a new device key (kept in the OS keyring); with
	// replace false, a device that has one keeps it (IdentityErrExists).
	// May block. Its errors are *IdentityError.
	GenerateKey(replace bool) error
	// ImportConf imports a wg-quick .conf from IT, as `relais key import`:
	// the private key (and the preshared key, if any) into the OS keyring,
	// the addresses into the store. Another key is replaced only when
	// replace is true (else IdentityErrExists); importing the same key
	// again needs no replace. May block. Its errors are *IdentityError.
	ImportConf(path string, replace bool) error
	// DeleteKey deletes the device's identity: the keys from the keyring,
	// the record from the store. May block. Its errors are *IdentityError.
	DeleteKey() error
	// Enrol enrols this device with the organisation's server, as
	// `relais enrol`: code is a one-time code from the helpdesk, "" for
	// the managed setup token (Identity.EnrolAuto). The key is made on
	// the device and stays in the keyring; a refusal changes nothing.
	// May block (the network: 15 s at most). Its errors are coded: an
	// *Error (enrol.error.CODE, EnrolCode gives CODE) or an
	// *IdentityError (the keyring, the store).
	Enrol(code string) (EnrolResult, error)
	// EnrolmentStatus asks the enrolment server whether this device's key
	// is still enrolled: EnrolActive, EnrolRevoked or EnrolUnknown. May
	// block (5 s at most). Its errors are as Enrol's.
	EnrolmentStatus() (string, error)

	// Drills: runs, steps, reports (issue 6).
	Drills
	// Diagnostics: bundles for the helpdesk (issue 7).
	Diagnostics

	// SetLanguage sets the language of the errors ("fr" or "en").
	SetLanguage(lang string)
	// Demo reports whether this is the embedded demo office.
	Demo() bool
	// SystemProxyProblem is why the running Mode urgence could not point
	// the person's proxy setting at Relais (SystemProxyNoDesktop,
	// SystemProxySetFailed): their programs do not follow it. "" when it
	// did, when the setting is off, or when Mode urgence is not on.
	SystemProxyProblem() string
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
	// there is none (a coded *Error, worded by the front end); nil when
	// all is well.
	Problem error
}

// NoticesState is what the organisation announces: crisis notices shown
// as a banner and the apps under planned maintenance, from the last good
// signed notices document (kept offline).
type NoticesState struct {
	// Configured: the profile names notices ([notices]); otherwise the
	// rest is empty.
	Configured bool
	Serial     int64
	IssuedAt   time.Time
	FetchedAt  time.Time // when the source last sent or confirmed them; zero: never
	// Active are the notices shown now, the most serious first.
	Active []Notice
	// Maintenance are the maintenance windows that hold now.
	Maintenance []Maintenance
	// Problem says why the last sync kept the last good notices (or why
	// there are none): a coded *Error; nil when all is well.
	Problem error
}

// Notice levels.
const (
	NoticeInfo    = "info"
	NoticeWarning = "warning"
	NoticeCrisis  = "crisis"
)

// Notice is one crisis notice.
type Notice struct {
	ID    string
	Level string // NoticeInfo | NoticeWarning | NoticeCrisis
	Text  profile.Text
	From  time.Time // zero: from its publication
	Until time.Time // zero: until withdrawn
}

// Maintenance is an app's planned maintenance window.
type Maintenance struct {
	App     string
	AppName profile.Text // the profile's name of the app (its id when the profile has none)
	From    time.Time
	Until   time.Time
	Text    profile.Text // may be empty
}

// Settings are the user's choices.
type Settings struct {
	Language   string // LanguageAuto | LanguageFR | LanguageEN
	Autostart  bool
	TunnelMode string // ModeAuto | ModeUserspace | ModeSystem
	// SystemProxy: during Mode urgence in userspace, point the person's
	// own proxy setting (GNOME, KDE, Windows) at the tunnel's PAC file.
	SystemProxy bool
}

// DefaultSettings are the settings of a new user.
func DefaultSettings() Settings {
	return Settings{Language: LanguageAuto, TunnelMode: ModeAuto}
}

// Locks says which settings the organisation's managed configuration
// fixes; a locked setting is shown disabled.
type Locks struct {
	TunnelMode  bool
	Autostart   bool
	SystemProxy bool
}

// Identity is the device's WireGuard identity, for enrolment.
type Identity struct {
	PublicKey string   // "" when the device has none yet
	Addresses []string // tunnel addresses IT assigned, if any
	// Source is "generated", "keyring" (a key found in the keyring with no
	// record, adopted) or the imported file's name.
	Source string
	// Setup says whether Mode urgence can use this identity (SetupReady),
	// or what is missing.
	Setup string
	// Problem is why the keyring cannot be read or the key in it does not
	// match (a coded *Error); nil otherwise.
	Problem error
	// EnrolHost is the host of the organisation's enrolment server: the
	// one this identity was enrolled with (Source SourceEnrolled), else
	// the one this device would enrol with; "" when none is known.
	EnrolHost string
	// EnrolAuto: the managed configuration gives a setup token, so
	// enrolment needs no code.
	EnrolAuto bool
	// CreatedAt is when the identity was made, imported or enrolled;
	// zero when there is none.
	CreatedAt time.Time
}

// SourceEnrolled is Identity.Source of an identity the organisation's
// server gave (Enrol).
const SourceEnrolled = "enrolment"

// EnrolResult is what Enrol made.
type EnrolResult struct {
	Host      string   // the enrolment server's host
	Addresses []string // the device's tunnel addresses
}

// Enrolment statuses (EnrolmentStatus).
const (
	EnrolActive  = "active"
	EnrolRevoked = "revoked"
	EnrolUnknown = "unknown"
)

// EnrolErrorPrefix starts the key of every coded enrolment refusal: the
// refusal's code follows (enrol.error.token_expired).
const EnrolErrorPrefix = "enrol.error."

// LooksLikeCode reports whether s, as typed, has the shape of a one-time
// enrolment code (ten letters and digits, in any case, with or without
// spaces and hyphens: ACD4F-GHJ7K) or of a setup token (rlst_…): what a
// front end checks before asking the server, which judges the rest.
func LooksLikeCode(s string) bool {
	s = strings.TrimSpace(s)
	if strings.HasPrefix(s, "rlst_") {
		return len(s) > len("rlst_")
	}
	n := 0
	for _, r := range strings.ToUpper(s) {
		switch {
		case r == ' ' || r == '-' || r == '\u00a0':
		case (r >= 'A' && r <= 'Z') || (r >= '0' && r <= '9'):
			n++
		default:
			return false
		}
	}
	return n == 10
}

// EnrolCode is the code of an enrolment refusal (token_expired, …), ""
// when err is not one.
func EnrolCode(err error) string {
	var fe *Error
	if errors.As(err, &fe) && strings.HasPrefix(fe.Key, EnrolErrorPrefix) {
		return strings.TrimPrefix(fe.Key, EnrolErrorPrefix)
	}
	return ""
}

// Identity.Setup values.
const (
	SetupReady       = "ready"        // Mode urgence has a key and a tunnel address (or the demo needs none)
	SetupNone        = "none"         // no key yet: IT's .conf is to be imported
	SetupNoAddress   = "no_address"   // a key but no tunnel address: IT's .conf is to be imported
	SetupKeyMissing  = "key_missing"  // the store knows a key the keyring lost
	SetupKeyMismatch = "key_mismatch" // the keyring's key is not the recorded one
	SetupNoKeyring   = "no_keyring"   // the OS keyring did not answer
)

// IdentityError is why GenerateKey, ImportConf or DeleteKey failed: a code
// the GUI words in its language, and the details it shows below.
type IdentityError struct {
	Code string // an IdentityErr* value
	File string // the .conf's base name, for the codes about a file
	// Detail are lines shown under the sentence, coded (*Error, worded by
	// the front end): the file's errors (FILE:LINE: key: message), the
	// differences with the profile, what to do about the keyring, a store
	// error.
	Detail []error
	// PublicKey is the key kept, for IdentityErrExists.
	PublicKey string
	// Err is the cause, for errors.Is; never shown as is.
	Err error
}

func (e *IdentityError) Unwrap() error { return e.Err }

func (e *IdentityError) Error() string {
	s := "identity: " + e.Code
	if e.File != "" {
		s += ": " + e.File
	}
	for _, d := range e.Detail {
		s += ": " + d.Error()
	}
	return s
}

// IdentityError.Code values.
const (
	IdentityErrExists       = "exists"         // another key is kept: ask, then call again with replace
	IdentityErrNoKeyring    = "no_keyring"     // the OS keyring did not answer; nothing was changed
	IdentityErrUnreadable   = "unreadable"     // the file cannot be read
	IdentityErrInvalid      = "invalid"        // not a valid wg-quick file; Detail lists the problems
	IdentityErrTooLarge     = "too_large"      // far larger than any .conf
	IdentityErrNoPrivateKey = "no_private_key" // the file has no PrivateKey
	IdentityErrPeers        = "peers"          // more than one [Peer]
	IdentityErrZeroKey      = "zero_key"       // PrivateKey is all zeros
	IdentityErrMismatch     = "mismatch"       // the file's server is not the profile's; Detail lists the differences
	IdentityErrStore        = "store"          // the local database failed; Detail says how
	IdentityErrFailed       = "failed"         // anything else; Detail says what
)

// Drills is the drills part of the backend. Every method may block (the
// store; verification runs checks and actions through the engine). Errors
// are sentences.
type Drills interface {
	// Runs are this device's drill runs, newest first.
	Runs() ([]*drills.Run, error)
	// StartDrill resumes the active run of drill id, or starts one (its
	// window must be open).
	StartDrill(id string) (*drills.Run, error)
	// CompleteStep does the run's current step (see drillrun.Walker.Complete);
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
	// CampaignURL is the page of a drill's campaign on the
	// organisation's server (its Campagne page, /campagnes/{drill}) when
	// the profile's report_url is the intake of a Relais server (the
	// demo's is); "" otherwise. From memory.
	CampaignURL(drillID string) string
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
	Problem     error     // why the last attempt failed (a coded *Error); nil when none
	// ReceiptID is the receiver's number for the report when it answered
	// with a receipt (the organisation's server does); 0 when none.
	ReceiptID int64
	// Received is when the receiver received it, by its own clock; zero
	// when there is no receipt.
	Received time.Time
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
	OpenBundle(path, identityFile string) (*bundle.Bundle, error)
	// DemoHelpdeskKey is the demo service desk's age identity file (it
	// opens the demo's encrypted bundles); "" outside the demo. From memory.
	DemoHelpdeskKey() string
	// CaseURL is a bundle's case in the inbox of the organisation's
	// server (its Dossiers page, /dossiers/{code}) when the profile's
	// upload_url is the intake of a Relais server; "" otherwise. From
	// memory.
	CaseURL(caseCode string) string
	// DemoAccounts are the demo server's accounts (one per role, with the
	// password the demo office made at its start), to sign in to its
	// pages; nil outside the demo or before the demo office runs. From
	// memory.
	DemoAccounts() []DemoAccount
	// RecentLog is the app's last n log lines, secrets redacted.
	RecentLog(n int) ([]bundle.LogLine, error)
	// UploadBundle queues a bundle for the profile's upload_url (https
	// only), delivered by the outbox; its state is Delivery(case code).
	UploadBundle(path string) error
}

// DemoAccount is an account of the demo server.
type DemoAccount struct {
	Name     string
	Role     string // continuity, helpdesk or ambassador
	Password string
}

// Roles of the demo accounts.
const (
	RoleContinuity = "continuity"
	RoleHelpdesk   = "helpdesk"
	RoleAmbassador = "ambassador"
)

// DiagExport is a bundle just written.
type DiagExport struct {
	Path      string
	CaseCode  string
	Encrypted bool
	Size      int64
	Failures  []string // collectors that did not finish, noted in the bundle
}

// Single is this process as the one app of the user: another launch of
// the app hands over to it (its window comes forward).
type Single interface {
	// Serve calls raise each time another launch hands over, until Close.
	Serve(raise func())
	Close() error
}

// Keys of the errors a Claim returns when this process is not the one app:
// the running app was asked to come forward (exit 0), or it does not
// answer (exit 2; Args: its process id).
const (
	ErrKeyHandedOver = "instance.handed_over"
	ErrKeyNoAnswer   = "instance.no_answer"
)

// Claim makes this process the one app of the user. A nil Single with a
// nil error: the app runs alone (its data directory is unusable; the
// backend says what is wrong with it). An *Error with ErrKeyHandedOver or
// ErrKeyNoAnswer: another app runs.
type Claim func() (Single, error)

// ErrKeyAutostartFailed is the key of SaveSettings' error when the
// settings were saved but starting at login could not be turned on or off
// (Args: why, coded): a front end says the settings are saved.
const ErrKeyAutostartFailed = "cli.desk.autostart_failed"
