//go:build !darwin && !windows

package autostart

import (
	"bufio"
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"strings"
)

// Linux and the other freedesktop.org systems: an entry in the user's
// autostart directory (XDG Autostart Specification).

// Location is the path of the entry's file:
// $XDG_CONFIG_HOME/autostart/<AppID>.desktop.
func (e Entry) Location() (string, error) {
	dir := e.ConfigHome
	if dir == "" {
		// The XDG Base Directory spec says a relative value is invalid
		// and must be ignored.
		if v := os.Getenv("XDG_CONFIG_HOME"); filepath.IsAbs(v) {
			dir = v
		}
	}
	if dir == "" {
		h, err := e.home()
		if err != nil {
			return "", err
		}
		dir = filepath.Join(h, ".config")
	}
	return filepath.Join(dir, "autostart", e.AppID+".desktop"), nil
}

// render is the desktop entry.
func (e Entry) render() string { return DesktopFile(e) }

// refuse refuses a path with '%': the specification writes it "%%", but
// GLib (GNOME and others) looks for the binary before turning "%%" back
// into '%', finds none and ignores the entry.
func (e Entry) refuse() error {
	if strings.ContainsRune(e.Exec, '%') {
		return fmt.Errorf("%w: Exec %q contains '%%', which GLib-based sessions cannot start", ErrInvalidEntry, e.Exec)
	}
	return nil
}

// Enabled reports whether the session will start the app at login: the
// entry exists and is not turned off by Hidden=true or
// X-GNOME-Autostart-enabled=false, as session settings write it.
func (e Entry) Enabled() (bool, error) {
	path, err := e.Location()
	if err != nil {
		return false, err
	}
	data, err := os.ReadFile(path)
	if os.IsNotExist(err) {
		return false, nil
	}
	if err != nil {
		return false, fmt.Errorf("autostart: %w", err)
	}
	return desktopEntryActive(data), nil
}

// desktopEntryActive reads the [Desktop Entry] group of an autostart file.
func desktopEntryActive(data []byte) bool {
	inGroup := false
	sc := bufio.NewScanner(bytes.NewReader(data))
	for sc.Scan() {
		line := strings.TrimSpace(sc.Text())
		if strings.HasPrefix(line, "[") {
			inGroup = line == "[Desktop Entry]"
			continue
		}
		key, value, ok := strings.Cut(line, "=")
		if !inGroup || !ok {
			continue
		}
		switch strings.TrimSpace(key) {
		case "Hidden":
			if strings.TrimSpace(value) == "true" {
				return false
			}
		case "X-GNOME-Autostart-enabled":
			if strings.TrimSpace(value) == "false" {
				return false
			}
		}
	}
	return true
}
