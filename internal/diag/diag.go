// Package diag makes the diagnostics bundle the helpdesk reads (README,
// "Diagnostics"): one zip with summary.html (the verdict first: what
// works, what fails and why, then the details), manifest.json, system and
// network facts, the tunnel's status, the checks and their history, the
// drill runs, the profile's state, the settings and the managed
// configuration, and the app's recent log. Secrets are always redacted
// (by internal/redact); addresses, names and user names are anonymised at
// the chosen level, the same value getting the same stand-in in every file
// of one bundle; the bundle can be encrypted to the helpdesk's age
// recipient. A bundle is named by a case code that is easy to read over
// the phone.
//
// Each collector runs with a deadline; one that fails is noted in the
// bundle and the others still ship. It never imports fyne.io or the CLI,
// never writes outside the writer it is given, and never needs a display.
package diag

import (
	"time"

	"relais/internal/drills"
	"relais/internal/engine"
	"relais/internal/store"
	"relais/internal/version"
)

// Schema is the version of manifest.json.
const Schema = 1

// Level is how much of the machine's identity the bundle hides.
type Level string

// Anonymisation levels. Secrets are redacted at every level.
const (
	LevelNone     Level = "none"     // addresses, names and user names as they are
	LevelStandard Level = "standard" // public IP addresses, host and domain names, MAC addresses and user names replaced
	LevelStrict   Level = "strict"   // also every internal (private, loopback excepted) IP address
)

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

// LogLine is one line of the app's log.
type LogLine struct {
	At      time.Time `json:"at"`
	Source  string    `json:"source"` // engine, tunnel, profile, outbox…
	Message string    `json:"message"`
}

// Input is what the backend knows, read from the store and the engine;
// the system and network facts diag collects itself.
type Input struct {
	App      version.Info
	Language string           // fr | en: the language of summary.html
	Snapshot *engine.Snapshot // Mode urgence now, or its last recorded state; nil: none
	Profile  *ProfileFacts    // nil: no profile cached
	Checks   []store.CheckRecord
	Drills   []*drills.Run
	Settings map[string]string
	// Managed is the managed configuration file's text (nil: none).
	Managed []byte
	// PublicKey is the device's WireGuard public key ("" none): public,
	// but it identifies the device, so anonymisation hides it.
	PublicKey string
	Log       []LogLine
	// Secrets are values known to be secret (the private key, tokens
	// found in the profile's URLs): scrubbed wherever they appear, on top
	// of the redaction patterns.
	Secrets []string
	// People are names of people the bundle may mention (a drill
	// participant): anonymised like the user's own name.
	People []string
}

// Options are how to make the bundle.
type Options struct {
	Level Level // "": LevelStandard
	// Recipient is the age recipient (age1…) to encrypt to; "": not
	// encrypted.
	Recipient string
	// CollectorTimeout bounds each collector; 0: DefaultCollectorTimeout.
	CollectorTimeout time.Duration
	Now              func() time.Time
	// CaseCode names the bundle; "": a new one (NewCaseCode).
	CaseCode string

	// collectors replace the system and network collectors (tests make
	// one hang or fail); nil: the real ones.
	collectors []collector
}

// DefaultCollectorTimeout bounds each collector.
const DefaultCollectorTimeout = 3 * time.Second

// FileEntry is one file of the bundle in the manifest.
type FileEntry struct {
	Name   string `json:"name"`
	Size   int64  `json:"size"`
	SHA256 string `json:"sha256"`
}

// CollectorFailure is a collector that did not finish.
type CollectorFailure struct {
	Name  string `json:"name"`
	Error string `json:"error"`
}

// Manifest is manifest.json.
type Manifest struct {
	Schema     int                `json:"schema"`
	CaseCode   string             `json:"case_code"`
	Created    time.Time          `json:"created"`
	App        version.Info       `json:"app"`
	Level      Level              `json:"anonymisation"`
	Encrypted  bool               `json:"encrypted"` // the zip was encrypted to the helpdesk (seen from inside: always written true when so)
	Files      []FileEntry        `json:"files"`
	Failures   []CollectorFailure `json:"failures,omitempty"`
	Redactions int                `json:"redactions"` // how many secrets were removed
}

// Bundle is an opened bundle.
type Bundle struct {
	Manifest Manifest
	Files    map[string][]byte // by name, every file listed in the manifest, hashes checked
}

// ErrEncrypted is returned by Open for an encrypted bundle without a
// matching identity.
var ErrEncrypted = errEncrypted{}

type errEncrypted struct{}

func (errEncrypted) Error() string {
	return "diag: the bundle is encrypted and no identity given opens it"
}
