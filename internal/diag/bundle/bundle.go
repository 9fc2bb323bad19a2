// Package bundle holds a diagnostic bundle's contents as values: its
// manifest (the files with their hashes, the collectors that failed, the
// anonymisation level), its files by name once opened and their names,
// what its JSON files hold (files.go: tunnel.json, checks.json,
// drills.json, profile.json; facts.go: the parts of system.json and
// network.json), the app's log lines, and how many entries a reader lists
// one by one. It says a bundle in words: Summary (plain text for a
// terminal or the app's viewer, through TerminalText) and SummaryHTML
// (summary.html, the page the helpdesk opens first). Front ends show a
// bundle through these values and summaries.
//
// It never collects, reads or decrypts: internal/diag makes bundles and
// opens them (zip, age, hashes checked). It must never import a package
// that does I/O: only the value packages internal/status, internal/drills,
// internal/profile, internal/i18n and internal/version.
package bundle

import (
	"time"

	"relais/internal/i18n"
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

// LogLine is one line of the app's log.
type LogLine struct {
	At      time.Time `json:"at"`
	Source  string    `json:"source"` // engine, tunnel, profile, outbox…
	Message string    `json:"message"`
}

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

// MaxListed bounds the entries a reader of a bundle lists one by one
// (collector failures, files): a real bundle has a few; a crafted one with
// 100,000 is summed up, not laid out (the app's layout of them was
// quadratic: 4,000 took two minutes).
const MaxListed = 50

// Listed is how many of n entries to list one by one, and how many are
// left to say as a number.
func Listed(n int) (shown, more int) {
	if n <= MaxListed {
		return n, 0
	}
	return MaxListed, n - MaxListed
}

// More says how many entries were not listed: "… et 99 950 autres".
func More(lang string, n int) string {
	return i18n.N(lang, "diag.more", n, i18n.Integer(lang, n))
}
