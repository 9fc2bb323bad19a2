package app

import (
	"fmt"
	"net/url"
	"strings"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/lang"

	"relais/internal/desk"
	"relais/internal/engine"
	"relais/internal/version"
)

// ui is what every screen shares: the backend, the window, the language
// and the latest state. Its fields are read and written on the UI
// goroutine only (the bridge hands engine events over with fyne.Do).
type ui struct {
	b    desk.Backend
	app  fyne.App
	win  fyne.Window
	lang string // "fr" or "en": the language shown, profile texts included
	info version.Info

	now func() time.Time
	// background runs work that may block (the backend's "may block"
	// methods) off the UI goroutine; it hands results back with fyne.Do.
	// Tests make it synchronous.
	background func(func())
	// notify shows a desktop notification.
	notify func(title, body string)
	// openURL opens tel:, mailto: and https: links of the Aide screen.
	openURL func(*url.URL) error

	// The latest state, as the last refresh saw it.
	snap engine.Snapshot
	prof desk.ProfileState
}

// screen is one tab of the main window: one unexported struct per screen,
// widgets as fields, handlers as onX methods.
type screen interface {
	// content builds the screen's widgets; called once.
	content() fyne.CanvasObject
	// refresh shows u.snap and u.prof; called on the UI goroutine after
	// they changed, at most every 250 ms.
	refresh()
}

// tr returns the translation of key, formatted with args (printf verbs,
// as in the CLI's translations).
func tr(key string, args ...any) string {
	s := lang.L(key)
	if len(args) == 0 {
		return s
	}
	return fmt.Sprintf(s, args...)
}

// runDo runs f on the UI goroutine: from the UI goroutine or from ours.
func runDo(f func()) { fyne.Do(f) }

// ago says how long ago t was, in words ("il y a 3 min"); "" for a zero
// time.
func ago(now, t time.Time) string {
	if t.IsZero() {
		return ""
	}
	d := now.Sub(t)
	switch {
	case d < 5*time.Second:
		return tr("app.time.just_now")
	case d < time.Minute:
		return tr("app.time.seconds_ago", int(d.Seconds()))
	case d < time.Hour:
		return tr("app.time.minutes_ago", int(d.Minutes()))
	case d < 48*time.Hour:
		return tr("app.time.hours_ago", int(d.Hours()))
	}
	return tr("app.time.days_ago", int(d.Hours()/24))
}

// clock formats t as a local time of day, or a date and time when it is not
// today.
func clock(now, t time.Time) string {
	t = t.Local()
	if y, m, d := now.Local().Date(); t.Year() == y && t.Month() == m && t.Day() == d {
		return t.Format("15:04:05")
	}
	return t.Format("2006-01-02 15:04")
}

// duration says d in words people read: "850 ms", "4,2 s", "3 min 05 s".
func duration(l string, d time.Duration) string {
	switch {
	case d < time.Second:
		return fmt.Sprintf("%d ms", d.Milliseconds())
	case d < time.Minute:
		s := fmt.Sprintf("%.1f s", d.Seconds())
		if l == "fr" {
			s = strings.Replace(s, ".", ",", 1)
		}
		return s
	}
	return fmt.Sprintf("%d min %02d s", int(d.Minutes()), int(d.Seconds())%60)
}

// reloadDue reports whether data read at `at` should be read again, every
// `every`, unless a read is under way.
func reloadDue(loading bool, at time.Time, every time.Duration) bool {
	return !loading && (at.IsZero() || time.Since(at) >= every)
}
