package autostart

import (
	"fmt"
	"os"
	"path/filepath"
)

// macOS: a per-user LaunchAgent, loaded by launchd at login.

// Location is the path of the agent's property list:
// ~/Library/LaunchAgents/<AppID>.plist.
func (e Entry) Location() (string, error) {
	h, err := e.home()
	if err != nil {
		return "", err
	}
	return filepath.Join(h, "Library", "LaunchAgents", e.AppID+".plist"), nil
}

// Enable writes the LaunchAgent, replacing any earlier one, mode 0644 in a
// directory created 0755 as macOS has it. It does not load the agent now:
// with RunAtLoad that would start a second copy of the running app.
func (e Entry) Enable() error {
	if err := e.validate(); err != nil {
		return err
	}
	path, err := e.Location()
	if err != nil {
		return err
	}
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return fmt.Errorf("autostart: %w", err)
	}
	return writeFileAtomic(path, []byte(LaunchAgentPlist(e)), 0o644)
}

// Disable removes the LaunchAgent; one already absent is not an error. The
// running app is left alone.
func (e Entry) Disable() error {
	path, err := e.Location()
	if err != nil {
		return err
	}
	return removeFile(path)
}

// Enabled reports whether the LaunchAgent exists.
func (e Entry) Enabled() (bool, error) {
	path, err := e.Location()
	if err != nil {
		return false, err
	}
	_, err = os.Stat(path)
	if os.IsNotExist(err) {
		return false, nil
	}
	if err != nil {
		return false, fmt.Errorf("autostart: %w", err)
	}
	return true, nil
}
