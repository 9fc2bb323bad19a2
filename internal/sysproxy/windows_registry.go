//go:build windows

package sysproxy

import (
	"errors"
	"fmt"

	"golang.org/x/sys/windows"
	winreg "golang.org/x/sys/windows/registry"
)

// NewWindows is the current user's WinINET proxy setting in the real
// registry (HKEY_CURRENT_USER\ + WindowsSettingsKey); after each change it
// tells running programs through wininet.dll.
func NewWindows() *Windows {
	return newWindows(hkcu{path: WindowsSettingsKey}, notifyWinINET)
}

// hkcu is one key under HKEY_CURRENT_USER, opened for each call (the
// setting is read and written a few times per Mode urgence).
type hkcu struct{ path string }

func (r hkcu) Get(name string) (data, typ string, found bool, err error) {
	k, err := winreg.OpenKey(winreg.CURRENT_USER, r.path, winreg.QUERY_VALUE)
	if errors.Is(err, winreg.ErrNotExist) {
		return "", "", false, nil // no key, no value
	}
	if err != nil {
		return "", "", false, err
	}
	defer k.Close()
	data, t, err := k.GetStringValue(name)
	switch {
	case errors.Is(err, winreg.ErrNotExist):
		return "", "", false, nil
	case errors.Is(err, winreg.ErrUnexpectedType):
		return "", "", false, fmt.Errorf("registry type %d: %w", t, errNotString)
	case err != nil:
		return "", "", false, err
	case t == winreg.EXPAND_SZ:
		return data, RegExpandSZ, true, nil
	}
	return data, RegSZ, true, nil
}

func (r hkcu) Set(name, typ, data string) error {
	k, _, err := winreg.CreateKey(winreg.CURRENT_USER, r.path, winreg.SET_VALUE)
	if err != nil {
		return err
	}
	defer k.Close()
	switch typ {
	case RegSZ:
		return k.SetStringValue(name, data)
	case RegExpandSZ:
		return k.SetExpandStringValue(name, data)
	}
	return fmt.Errorf("registry type %q: %w", typ, errNotString)
}

func (r hkcu) Delete(name string) error {
	k, err := winreg.OpenKey(winreg.CURRENT_USER, r.path, winreg.SET_VALUE)
	if errors.Is(err, winreg.ErrNotExist) {
		return nil
	}
	if err != nil {
		return err
	}
	defer k.Close()
	if err := k.DeleteValue(name); err != nil && !errors.Is(err, winreg.ErrNotExist) {
		return err
	}
	return nil
}

// WinINET's options that make running programs read the settings again.
const (
	internetOptionRefresh         = 37
	internetOptionSettingsChanged = 39
)

var procInternetSetOptionW = windows.NewLazySystemDLL("wininet.dll").NewProc("InternetSetOptionW")

// notifyWinINET tells the programs using WinINET that the proxy setting
// changed: INTERNET_OPTION_SETTINGS_CHANGED, then INTERNET_OPTION_REFRESH.
// Best effort: the registry is already right, and a program that missed
// it reads it at its next start.
func notifyWinINET() {
	if procInternetSetOptionW.Find() != nil {
		return
	}
	for _, opt := range []uintptr{internetOptionSettingsChanged, internetOptionRefresh} {
		_, _, _ = procInternetSetOptionW.Call(0, opt, 0, 0)
	}
}
