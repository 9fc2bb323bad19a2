// Package notices holds the crisis notices and maintenance windows an
// organisation's continuity team publishes beside the profile: one small
// signed JSON document (schema 1) that laptops show as a banner and use to
// say "under maintenance (planned)" rather than "down" for an app during its
// window.
//
// A notice can only carry text and maintenance windows: the document is
// decoded strictly (every key is known and spelled exactly, none twice,
// nothing after it), so a document that tries to carry anything else — a
// tunnel, checks, links, an endpoint — is refused. It is signed with a
// minisign key trusted for notices only (the profile's [notices]
// public_key), never with the profile's keys.
//
// The package is pure: values, rules and coded errors; it never fetches
// (notices/noticesync does), never stores and never words anything for a
// person (front ends word the codes as notices.reason.<code>).
package notices

import (
	"slices"
	"time"

	"relais/internal/profile"
)

// Schema is the only notices schema this version understands.
const Schema = 1

// Limits keep a hostile or broken document from burdening a laptop.
const (
	MaxSize    = 64 << 10 // bytes of the document
	MaxNotices = 50
	MaxWindows = 200
	MaxText    = 1000 // characters of one text, in each language
)

// Level is how serious a notice is.
type Level string

// Levels, from the least to the most serious.
const (
	Info    Level = "info"
	Warning Level = "warning"
	Crisis  Level = "crisis"
)

// rank orders levels, the most serious first.
func (l Level) rank() int {
	switch l {
	case Crisis:
		return 0
	case Warning:
		return 1
	}
	return 2
}

// Text is something a person reads, in both languages (the profile's Text).
type Text = profile.Text

// Notice is a text shown as a banner between From and Until. A zero From
// means "from now on", a zero Until "until a newer document withdraws it".
type Notice struct {
	ID    string    `json:"id"`
	Level Level     `json:"level"`
	Text  Text      `json:"text"`
	From  time.Time `json:"from"`
	Until time.Time `json:"until"`
}

// Window is a planned maintenance of one app, From (inclusive) to Until
// (exclusive), with an optional text saying what the person can do.
type Window struct {
	App   string    `json:"app"`
	From  time.Time `json:"from"`
	Until time.Time `json:"until"`
	Text  Text      `json:"text"`
}

// Document is a decoded, validated notices document.
type Document struct {
	Schema      int       `json:"schema"`
	Serial      int64     `json:"serial"`
	IssuedAt    time.Time `json:"issued_at"`
	Notices     []Notice  `json:"notices"`
	Maintenance []Window  `json:"maintenance"`

	// SHA256 is the lower-case hex SHA-256 of the exact bytes Parse was
	// given: an equal serial is accepted only for identical bytes.
	SHA256 string `json:"-"`
}

// activeAt reports whether [from, until) holds now; a zero bound is open.
func activeAt(from, until, now time.Time) bool {
	return (from.IsZero() || !now.Before(from)) && (until.IsZero() || now.Before(until))
}

// Active returns the notices shown at now, the most serious first (in the
// document's order within a level). A nil document has none.
func (d *Document) Active(now time.Time) []Notice {
	if d == nil {
		return nil
	}
	var out []Notice
	for _, n := range d.Notices {
		if activeAt(n.From, n.Until, now) {
			out = append(out, n)
		}
	}
	slices.SortStableFunc(out, func(a, b Notice) int { return a.Level.rank() - b.Level.rank() })
	return out
}

// MaintenanceOf returns the maintenance window of app that holds at now,
// if any (the one ending last when windows overlap).
func (d *Document) MaintenanceOf(appID string, now time.Time) (Window, bool) {
	var (
		best Window
		ok   bool
	)
	if d == nil {
		return best, false
	}
	for _, w := range d.Maintenance {
		if w.App == appID && activeAt(w.From, w.Until, now) && (!ok || w.Until.After(best.Until)) {
			best, ok = w, true
		}
	}
	return best, ok
}

// ActiveMaintenance returns every window that holds at now, in the document's
// order.
func (d *Document) ActiveMaintenance(now time.Time) []Window {
	if d == nil {
		return nil
	}
	var out []Window
	for _, w := range d.Maintenance {
		if activeAt(w.From, w.Until, now) {
			out = append(out, w)
		}
	}
	return out
}
