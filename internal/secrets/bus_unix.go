//go:build !darwin && !windows

package secrets

import (
	"errors"
	"os"
	"path/filepath"
)

// sessionBusProblem says why no D-Bus session bus can be reached, or nil.
// Without DBUS_SESSION_BUS_ADDRESS or $XDG_RUNTIME_DIR/bus, godbus (under
// go-keyring) would autolaunch a session bus with dbus-launch, which
// outlives Relais and holds no unlocked Secret Service anyway: better to say
// at once that there is no keyring.
func sessionBusProblem(getenv func(string) string, exists func(string) bool) error {
	if getenv("DBUS_SESSION_BUS_ADDRESS") != "" {
		return nil
	}
	if d := getenv("XDG_RUNTIME_DIR"); d != "" && exists(filepath.Join(d, "bus")) {
		return nil
	}
	return errors.New("no D-Bus session bus (DBUS_SESSION_BUS_ADDRESS is not set)")
}

func osSessionBusProblem() error {
	return sessionBusProblem(os.Getenv, func(p string) bool { _, err := os.Stat(p); return err == nil })
}
