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

// render is the LaunchAgent's property list.
func (e Entry) render() string { return LaunchAgentPlist(e) }

// refuse refuses nothing more than validate: a property list can carry
// any path.
func (e Entry) refuse() error { return nil }

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
