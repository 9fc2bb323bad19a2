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
// The bundle's values, its files' types and its summaries (summary.html,
// the plain-text one) live in internal/diag/bundle, which does no I/O, so
// that front ends can show a bundle without importing diag: diag collects,
// scrubs, writes, encrypts and opens.
//
// Each collector runs with a deadline; one that fails is noted in the
// bundle and the others still ship. It never imports fyne.io or the CLI,
// never writes outside the writer it is given, and never needs a display.
package diag

import (
	"time"

	"relais/internal/diag/bundle"
	"relais/internal/drills"
	"relais/internal/engine"
	"relais/internal/store"
	"relais/internal/version"
)

// The values of a bundle live in internal/diag/bundle, which front ends
// import; these names keep diag's callers as they were.
type (
	Bundle           = bundle.Bundle
	Manifest         = bundle.Manifest
	FileEntry        = bundle.FileEntry
	CollectorFailure = bundle.CollectorFailure
	Level            = bundle.Level
	LogLine          = bundle.LogLine
	ProfileFacts     = bundle.ProfileFacts
)

// Schema, levels and listing bound: see internal/diag/bundle.
const (
	Schema        = bundle.Schema
	LevelNone     = bundle.LevelNone
	LevelStandard = bundle.LevelStandard
	LevelStrict   = bundle.LevelStrict
	MaxListed     = bundle.MaxListed
)

// Summary is the bundle's verdict as plain text for a terminal, in lang
// (bundle.Summary, which front ends call).
func Summary(b *Bundle, lang string) string { return bundle.Summary(b, lang) }

// TerminalText is s safe to write to a terminal (bundle.TerminalText).
func TerminalText(s string) string { return bundle.TerminalText(s) }

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

// ErrEncrypted is returned by Open for an encrypted bundle without a
// matching identity.
var ErrEncrypted = errEncrypted{}

type errEncrypted struct{}

func (errEncrypted) Error() string {
	return "diag: the bundle is encrypted and no identity given opens it"
}
