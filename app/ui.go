package app

import (
	"fmt"
	"net/url"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/lang"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"

	"relais/internal/frontend"
	"relais/internal/i18n"
	"relais/internal/status"
	"relais/internal/version"
)

// ui is what every screen shares: the backend, the window, the language
// and the latest state. Its fields are read and written on the UI
// goroutine only (the bridge hands engine events over with fyne.Do).
type ui struct {
	b    frontend.Backend
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
	snap status.Snapshot
	prof frontend.ProfileState
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

// verdictSentence words Mode urgence's verdict in language l: the one
// sentence Accueil, the tray and the status summary show, the CLI's too
// (frontend.VerdictIn).
func verdictSentence(l string, v status.Verdict) string { return frontend.VerdictIn(l, v) }

// blockedSVG is a circle struck through (⊘, Material's "block"): the one
// mark of the blocked state — an app not checked because what it depends
// on fails — on Applications, Accueil and the tray, as the CLI's "⊘".
const blockedSVG = `<svg xmlns="http://www.w3.org/2000/svg" width="24" height="24" viewBox="0 0 24 24"><path fill="#000000" d="M12 2C6.48 2 2 6.48 2 12s4.48 10 10 10 10-4.48 10-10S17.52 2 12 2zM4 12c0-4.42 3.58-8 8-8 1.85 0 3.55.63 4.9 1.69L5.69 16.9C4.63 15.55 4 13.85 4 12zm8 8c-1.85 0-3.55-.63-4.9-1.69L18.31 7.1C19.37 8.45 20 10.15 20 12c0 4.42-3.58 8-8 8z"/></svg>`

// blockedIcon is blockedSVG in the theme's error colour.
func blockedIcon() fyne.Resource {
	return theme.NewErrorThemedResource(fyne.NewStaticResource("relais-blocked.svg", []byte(blockedSVG)))
}

// verdictIcon is the icon beside the verdict's words (the tray's state
// line): nil while Mode urgence is off or coming up.
func verdictIcon(v status.Verdict) fyne.Resource {
	switch v.Level {
	case status.VerdictOperational:
		return theme.NewSuccessThemedResource(theme.ConfirmIcon())
	case status.VerdictDegraded, status.VerdictPartial, status.VerdictMaintenance:
		return theme.NewWarningThemedResource(theme.WarningIcon())
	case status.VerdictFailed:
		return theme.NewErrorThemedResource(theme.ErrorIcon())
	}
	return nil
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
	if t.IsZero() {
		return "—" // unknown: never year 1
	}
	t = t.Local()
	if y, m, d := now.Local().Date(); t.Year() == y && t.Month() == m && t.Day() == d {
		return t.Format("15:04:05")
	}
	return t.Format("2006-01-02 15:04")
}

// duration says d in words people read, in l's locale: "0,8 s", "4,2 s",
// "15 min", "1 h 5 min" (i18n.Duration); never milliseconds.
func duration(l string, d time.Duration) string {
	return i18n.Duration(l, d)
}

// reloadDue reports whether data read at `at` should be read again, every
// `every`, unless a read is under way.
func reloadDue(loading bool, at time.Time, every time.Duration) bool {
	return !loading && (at.IsZero() || time.Since(at) >= every)
}

// tunnelCauseKey is the words for why the tunnel did not come up: the
// engine's code, never the Go error (that stays in the log and the bundle).
func tunnelCauseKey(s status.Snapshot) string {
	code := s.TunnelErrorCode
	if code == "" {
		code = status.TunnelFailed
	}
	return "verdict.tunnel." + code
}

// wrap is a label whose text wraps at word boundaries.
func wrap() *widget.Label { return &widget.Label{Wrapping: fyne.TextWrapWord} }

// spin starts or stops an activity; a stopped one is hidden (an animation
// left running redraws the window for nothing).
func spin(a *widget.Activity, on bool) {
	if on {
		a.Show()
		a.Start()
		return
	}
	a.Stop()
	a.Hide()
}

func setEnabled(b *widget.Button, on bool) {
	if on {
		b.Enable()
	} else {
		b.Disable()
	}
}

func setVisible(o fyne.CanvasObject, on bool) {
	if on {
		o.Show()
	} else {
		o.Hide()
	}
}

// appLang is the language the app speaks ("fr" or "en"), set with the
// translations (useLanguage).
var appLang = i18n.FR

// words says an error of the backend in the app's language: a coded
// error (frontend.Error) from its key, with the app's own words for a
// sentence that names a control (KEY.in_app) rather than a command.
func words(err error) string {
	t := func(key string, args ...any) string {
		if c, err := i18n.Catalog(appLang); err == nil && c[key+".in_app"] != "" {
			key += ".in_app"
		}
		return tr(key, args...)
	}
	return frontend.Words(appLang, err, t, func(err error) string { return frontend.Describe(appLang, err) })
}
