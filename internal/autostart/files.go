//go:build !windows

package autostart

import (
	"fmt"
	"os"
	"path/filepath"

	"relais/internal/atomicfile"
)

// Linux, the other freedesktop.org systems and macOS store the entry as a
// file (Location): one Enable and one Disable for both, each platform
// giving its file's contents (render) and what it cannot start (refuse).

// dirMode is the mode of the directories Enable creates (only those that
// do not exist; an existing one is left as it is). 0700: the XDG Base
// Directory spec asks it of every directory it makes, and on macOS
// ~/Library, the LaunchAgents directory's parent, is 0700 already, so that
// a LaunchAgents directory open to others gave them nothing but was a
// second rule for the same act; launchd reads a user's agents as that user.
const dirMode = 0o700

// fileMode is the mode of the entry's file: the session (or launchd) must
// read it, and it holds nothing secret.
const fileMode = 0o644

// Enable writes the entry's file, replacing any earlier one (on Linux, one
// the user turned off in their session's settings included), fileMode in
// directories created dirMode. On macOS it does not load the agent now:
// with RunAtLoad that would start a second copy of the running app.
func (e Entry) Enable() error {
	if err := e.validate(); err != nil {
		return err
	}
	if err := e.refuse(); err != nil {
		return err
	}
	path, err := e.Location()
	if err != nil {
		return err
	}
	if err := os.MkdirAll(filepath.Dir(path), dirMode); err != nil {
		return fmt.Errorf("autostart: %w", err)
	}
	return writeFileAtomic(path, []byte(e.render()), fileMode)
}

// Disable removes the entry's file; one already absent is not an error.
// The running app is left alone.
func (e Entry) Disable() error {
	path, err := e.Location()
	if err != nil {
		return err
	}
	return removeFile(path)
}

// home is e.Home or the user's home directory.
func (e Entry) home() (string, error) {
	if e.Home != "" {
		return e.Home, nil
	}
	h, err := os.UserHomeDir()
	if err != nil {
		return "", fmt.Errorf("autostart: %w", err)
	}
	return h, nil
}

// writeFileAtomic replaces path with data so that a reader (the session at
// login) sees the old file or the new one, never a part.
func writeFileAtomic(path string, data []byte, perm os.FileMode) error {
	if err := atomicfile.WriteFile(path, data, perm); err != nil {
		return fmt.Errorf("autostart: %w", err)
	}
	return nil
}

// removeFile removes path; a file already absent is not an error.
func removeFile(path string) error {
	if err := os.Remove(path); err != nil && !os.IsNotExist(err) {
		return fmt.Errorf("autostart: %w", err)
	}
	return nil
}
