package autostart

import (
	"errors"
	"fmt"
	"strings"

	"golang.org/x/sys/windows/registry"
)

// Windows: a value named e.Name under the current user's Run key.

const (
	runKey = `Software\Microsoft\Windows\CurrentVersion\Run`
	// Where Task Manager and Settings record that the user turned a Run
	// entry off (see startupApprovedDisabled).
	approvedKey = `Software\Microsoft\Windows\CurrentVersion\Explorer\StartupApproved\Run`
)

// Location names the registry value.
func (e Entry) Location() (string, error) {
	return `HKEY_CURRENT_USER\` + runKey + `\` + e.Name, nil
}

// Enable sets the Run value, replacing any earlier one, and forgets a
// "turned off" the user set in Task Manager: turning it on in Relais is the
// later choice.
func (e Entry) Enable() error {
	if err := e.validate(); err != nil {
		return err
	}
	if strings.ContainsRune(e.Exec, '"') {
		return fmt.Errorf("%w: Exec %q contains '\"'", ErrInvalidEntry, e.Exec)
	}
	k, _, err := registry.CreateKey(registry.CURRENT_USER, runKey, registry.SET_VALUE)
	if err != nil {
		return fmt.Errorf("autostart: open HKCU\\%s: %w", runKey, err)
	}
	defer k.Close()
	if err := k.SetStringValue(e.Name, RunValue(e)); err != nil {
		return fmt.Errorf("autostart: set HKCU\\%s\\%s: %w", runKey, e.Name, err)
	}
	return deleteValue(approvedKey, e.Name)
}

// Disable deletes the Run value; one already absent is not an error.
func (e Entry) Disable() error {
	if err := deleteValue(runKey, e.Name); err != nil {
		return err
	}
	return deleteValue(approvedKey, e.Name)
}

// Enabled reports whether Windows will start the app at login: the Run
// value exists and the user did not turn it off in Task Manager.
func (e Entry) Enabled() (bool, error) {
	k, err := registry.OpenKey(registry.CURRENT_USER, runKey, registry.QUERY_VALUE)
	if errors.Is(err, registry.ErrNotExist) {
		return false, nil
	}
	if err != nil {
		return false, fmt.Errorf("autostart: open HKCU\\%s: %w", runKey, err)
	}
	defer k.Close()
	if _, _, err := k.GetStringValue(e.Name); errors.Is(err, registry.ErrNotExist) {
		return false, nil
	} else if err != nil {
		return false, fmt.Errorf("autostart: read HKCU\\%s\\%s: %w", runKey, e.Name, err)
	}
	a, err := registry.OpenKey(registry.CURRENT_USER, approvedKey, registry.QUERY_VALUE)
	if errors.Is(err, registry.ErrNotExist) {
		return true, nil
	}
	if err != nil {
		return false, fmt.Errorf("autostart: open HKCU\\%s: %w", approvedKey, err)
	}
	defer a.Close()
	data, _, err := a.GetBinaryValue(e.Name)
	if errors.Is(err, registry.ErrNotExist) {
		return true, nil
	}
	if err != nil {
		return false, fmt.Errorf("autostart: read HKCU\\%s\\%s: %w", approvedKey, e.Name, err)
	}
	return !startupApprovedDisabled(data), nil
}

// deleteValue deletes HKCU\key\name; a key or value already absent is not
// an error.
func deleteValue(key, name string) error {
	k, err := registry.OpenKey(registry.CURRENT_USER, key, registry.SET_VALUE)
	if errors.Is(err, registry.ErrNotExist) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("autostart: open HKCU\\%s: %w", key, err)
	}
	defer k.Close()
	if err := k.DeleteValue(name); err != nil && !errors.Is(err, registry.ErrNotExist) {
		return fmt.Errorf("autostart: delete HKCU\\%s\\%s: %w", key, name, err)
	}
	return nil
}
