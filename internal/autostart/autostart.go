// Package autostart starts Relais when the user logs in: an XDG autostart
// entry on Linux and the other freedesktop.org systems, a LaunchAgent on
// macOS, a value under the HKCU Run key on Windows. What each platform
// stores is rendered by a pure function (DesktopFile, LaunchAgentPlist,
// RunValue) so that all three are tested on any machine.
//
// It acts for the current user only: it must never write system-wide
// locations (/etc/xdg/autostart, /Library/LaunchAgents, HKLM), never need
// administrator rights, never start, stop or signal the app itself
// (launchctl, a running process) and never import fyne.io. What it stores
// starts the binary with no arguments, because relais with arguments runs
// its CLI, not the desktop app.
package autostart

import (
	"errors"
	"fmt"
	"path/filepath"
	"unicode"
	"unicode/utf8"
)

// Entry is the app to start at login, for the current user.
type Entry struct {
	AppID string // reverse-DNS application ID ("org.relais.Relais"): file name, launchd label, icon name
	Name  string // name shown to people ("Relais"); also the Run value's name on Windows
	Exec  string // absolute path of the binary, started with no arguments

	// Test seams; "" means from the environment.
	Home       string // home directory; "" = os.UserHomeDir
	ConfigHome string // XDG config directory; "" = $XDG_CONFIG_HOME if absolute, else <home>/.config
}

// ErrInvalidEntry is wrapped by the error Enable returns for an Entry that
// cannot be stored safely (see validate).
var ErrInvalidEntry = errors.New("autostart: invalid entry")

// Texts of the desktop entry's Comment key. The package keeps them rather
// than the caller because an autostart entry is read by the session, not
// by the app, so it carries both languages at once.
const (
	commentEN = "Emergency access to your essential applications"
	commentFR = "Accès d'urgence à vos applications essentielles"
)

// validate refuses what no platform could store faithfully: an AppID that
// is not a plain file name, control characters (a newline would end a key
// in a desktop file, XML 1.0 cannot carry most of them) and a relative or
// non-UTF-8 Exec.
func (e Entry) validate() error {
	if e.AppID == "" || e.AppID[0] == '.' {
		return fmt.Errorf("%w: AppID %q", ErrInvalidEntry, e.AppID)
	}
	for _, r := range e.AppID {
		if !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '.' || r == '_' || r == '-') {
			return fmt.Errorf("%w: AppID %q: only letters, digits, '.', '_' and '-' are allowed", ErrInvalidEntry, e.AppID)
		}
	}
	if e.Name == "" || hasControl(e.Name) || !utf8.ValidString(e.Name) {
		return fmt.Errorf("%w: Name %q", ErrInvalidEntry, e.Name)
	}
	if !filepath.IsAbs(e.Exec) {
		return fmt.Errorf("%w: Exec %q is not an absolute path", ErrInvalidEntry, e.Exec)
	}
	if hasControl(e.Exec) || !utf8.ValidString(e.Exec) {
		return fmt.Errorf("%w: Exec %q has control characters or is not UTF-8", ErrInvalidEntry, e.Exec)
	}
	return nil
}

func hasControl(s string) bool {
	for _, r := range s {
		if unicode.IsControl(r) {
			return true
		}
	}
	return false
}
