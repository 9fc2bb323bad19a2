package sysproxy

import (
	"context"
	"errors"
	"fmt"
	"strings"
)

// The Windows desktop: the per-user WinINET setting, the value
// AutoConfigURL of HKCU\Software\Microsoft\Windows\CurrentVersion\Internet
// Settings (the "automatic configuration script" of the Internet options,
// which the browsers, Teams and the Citrix Workspace app follow). The
// logic is here, without build tags, behind the registry interface, so
// that it is tested on every platform against a fake; the real registry is
// in windows_registry.go.

// WindowsSettingsKey is the key, under HKEY_CURRENT_USER, whose value
// AutoConfigURL the Windows desktop changes.
const WindowsSettingsKey = `Software\Microsoft\Windows\CurrentVersion\Internet Settings`

// AutoConfigURL is the value's name (and its key in Saved).
const AutoConfigURL = "AutoConfigURL"

// The registry types of the string values the Windows desktop saves and
// restores, by their usual names.
const (
	RegSZ       = "REG_SZ"
	RegExpandSZ = "REG_EXPAND_SZ"
)

// errNotString is a value the Windows desktop cannot save exactly (a
// DWORD or binary AutoConfigURL): it changes nothing then.
var errNotString = errors.New("not a string value")

// registry is one registry key's string values, as the Windows desktop
// uses them.
type registry interface {
	// Get returns the value's data and type (RegSZ or RegExpandSZ); found
	// is false, with no error, when the value does not exist. A value of
	// another type is an error wrapping errNotString.
	Get(name string) (data, typ string, found bool, err error)
	// Set creates or replaces the value with data of type typ.
	Set(name, typ, data string) error
	// Delete removes the value; an absent value is not an error.
	Delete(name string) error
}

// Windows is the per-user WinINET proxy setting.
type Windows struct {
	reg registry
	// changed tells running programs that the setting changed (WinINET's
	// INTERNET_OPTION_SETTINGS_CHANGED and INTERNET_OPTION_REFRESH), best
	// effort.
	changed func()
}

// newWindows is the Windows desktop on reg; changed may be nil.
func newWindows(reg registry, changed func()) *Windows {
	if changed == nil {
		changed = func() {}
	}
	return &Windows{reg: reg, changed: changed}
}

// Name is "windows".
func (w *Windows) Name() string { return "windows" }

// Read returns AutoConfigURL as it is: its type and data in Values (see
// FormatRegValue), or in Absent when the value does not exist.
func (w *Windows) Read(ctx context.Context) (Saved, error) {
	if err := ctx.Err(); err != nil {
		return Saved{}, err
	}
	s := Saved{Desktop: w.Name()}
	data, typ, found, err := w.reg.Get(AutoConfigURL)
	if err != nil {
		return Saved{}, fmt.Errorf("sysproxy: windows: read %s: %w", AutoConfigURL, err)
	}
	if !found {
		s.Absent = []string{AutoConfigURL}
		return s, nil
	}
	s.Values = map[string]string{AutoConfigURL: FormatRegValue(typ, data)}
	return s, nil
}

// SetPAC sets AutoConfigURL to url (REG_SZ), then tells running programs.
func (w *Windows) SetPAC(ctx context.Context, url string) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	if url == "" {
		return errors.New("sysproxy: windows: empty PAC URL")
	}
	if err := w.reg.Set(AutoConfigURL, RegSZ, url); err != nil {
		return fmt.Errorf("sysproxy: windows: set %s: %w", AutoConfigURL, err)
	}
	w.changed()
	return nil
}

// Restore puts AutoConfigURL back as Read found it — the same type and
// data, or no value at all — then tells running programs. A Saved that
// says neither (or says both) is refused, and nothing is changed.
func (w *Windows) Restore(ctx context.Context, s Saved) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	if s.Desktop != w.Name() {
		return fmt.Errorf("sysproxy: windows: restore of a %q setting", s.Desktop)
	}
	raw, saved := s.Values[AutoConfigURL]
	absent := false
	for _, k := range s.Absent {
		absent = absent || k == AutoConfigURL
	}
	var err error
	switch {
	case saved && absent, !saved && !absent:
		return fmt.Errorf("sysproxy: windows: the saved setting has %d value(s) for %s, want one", btoi(saved)+btoi(absent), AutoConfigURL)
	case absent:
		err = w.reg.Delete(AutoConfigURL)
	default:
		typ, data, perr := ParseRegValue(raw)
		if perr != nil {
			return fmt.Errorf("sysproxy: windows: saved %s: %w", AutoConfigURL, perr)
		}
		err = w.reg.Set(AutoConfigURL, typ, data)
	}
	if err != nil {
		return fmt.Errorf("sysproxy: windows: restore %s: %w", AutoConfigURL, err)
	}
	w.changed()
	return nil
}

func btoi(b bool) int {
	if b {
		return 1
	}
	return 0
}

// FormatRegValue is a string registry value as Saved keeps it: its type, a
// colon, then its data as is ("REG_SZ:http://127.0.0.1:8080/proxy.pac").
func FormatRegValue(typ, data string) string { return typ + ":" + data }

// ParseRegValue reads what FormatRegValue wrote: the type must be RegSZ or
// RegExpandSZ; the data is everything after the first colon, even empty
// (an empty REG_SZ is not an absent value).
func ParseRegValue(s string) (typ, data string, err error) {
	typ, data, ok := strings.Cut(s, ":")
	if !ok {
		return "", "", fmt.Errorf("registry value %q: no type", s)
	}
	if typ != RegSZ && typ != RegExpandSZ {
		return "", "", fmt.Errorf("registry value type %q: %w", typ, errNotString)
	}
	return typ, data, nil
}
