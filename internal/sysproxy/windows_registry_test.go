//go:build windows

package sysproxy

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"testing"
	"time"

	winreg "golang.org/x/sys/windows/registry"
)

// The real registry (on Windows, or under wine: installer/windows runs
// this test's binary there and reads the value back with `wine reg
// query` at each pause). RELAIS_SYSPROXY_PAC and RELAIS_SYSPROXY_PRIOR
// choose the PAC URL and the prior REG_SZ value; RELAIS_SYSPROXY_PAUSE, a
// directory, makes the test stop at each step (see pause).

func envOr(name, def string) string {
	if v := os.Getenv(name); v != "" {
		return v
	}
	return def
}

// pause, when RELAIS_SYSPROXY_PAUSE is set, writes the file step in that
// directory and waits (up to 2 minutes) for step+".go": the test outside
// reads the registry meanwhile.
func pause(t *testing.T, step string) {
	t.Helper()
	dir := os.Getenv("RELAIS_SYSPROXY_PAUSE")
	if dir == "" {
		return
	}
	if err := os.WriteFile(filepath.Join(dir, step), nil, 0o644); err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(2 * time.Minute)
	for {
		if _, err := os.Stat(filepath.Join(dir, step+".go")); err == nil {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("pause %s: nobody said go", step)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// value reads AutoConfigURL straight from HKCU (found false: no value).
func value(t *testing.T) (data string, typ uint32, found bool) {
	t.Helper()
	k, err := winreg.OpenKey(winreg.CURRENT_USER, WindowsSettingsKey, winreg.QUERY_VALUE)
	if errors.Is(err, winreg.ErrNotExist) {
		return "", 0, false
	}
	if err != nil {
		t.Fatal(err)
	}
	defer k.Close()
	data, typ, err = k.GetStringValue(AutoConfigURL)
	if errors.Is(err, winreg.ErrNotExist) {
		return "", 0, false
	}
	if err != nil {
		t.Fatal(err)
	}
	return data, typ, true
}

// setValue makes AutoConfigURL a REG_SZ data, or no value when found is
// false.
func setValue(t *testing.T, data string, typ uint32, found bool) {
	t.Helper()
	k, _, err := winreg.CreateKey(winreg.CURRENT_USER, WindowsSettingsKey, winreg.SET_VALUE)
	if err != nil {
		t.Fatal(err)
	}
	defer k.Close()
	switch {
	case !found:
		err = k.DeleteValue(AutoConfigURL)
		if errors.Is(err, winreg.ErrNotExist) {
			err = nil
		}
	case typ == winreg.EXPAND_SZ:
		err = k.SetExpandStringValue(AutoConfigURL, data)
	default:
		err = k.SetStringValue(AutoConfigURL, data)
	}
	if err != nil {
		t.Fatal(err)
	}
}

// Read, SetPAC and Restore on the current user's real setting: first with
// no AutoConfigURL (Restore deletes it again), then with a REG_SZ one
// (Restore writes it back). The user's own value is put back at the end.
func TestWindowsRealRegistry(t *testing.T) {
	pac := envOr("RELAIS_SYSPROXY_PAC", "http://127.0.0.1:48123/proxy.pac")
	prior := envOr("RELAIS_SYSPROXY_PRIOR", "http://wpad.relais-test.invalid/wpad.dat")
	own, ownType, ownFound := value(t)
	t.Cleanup(func() { setValue(t, own, ownType, ownFound) })

	ctx := context.Background()
	if ds := Detect(os.Getenv); len(ds) != 1 || ds[0].Name() != "windows" {
		t.Fatalf("Detect = %v, want the windows desktop", ds)
	}
	w := NewWindows()
	for _, c := range []struct {
		name  string
		found bool
	}{{"absent", false}, {"sz", true}} {
		setValue(t, prior, winreg.SZ, c.found)
		saved, err := w.Read(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if err := w.SetPAC(ctx, pac); err != nil {
			t.Fatal(err)
		}
		if data, typ, found := value(t); !found || typ != winreg.SZ || data != pac {
			t.Errorf("%s: during, AutoConfigURL = %q (type %d, present %v), want the REG_SZ %q", c.name, data, typ, found, pac)
		}
		pause(t, c.name+"-set")
		if err := w.Restore(ctx, saved); err != nil {
			t.Fatal(err)
		}
		data, typ, found := value(t)
		switch {
		case !c.found && found:
			t.Errorf("%s: after Restore AutoConfigURL = %q, want no value", c.name, data)
		case c.found && (!found || typ != winreg.SZ || data != prior):
			t.Errorf("%s: after Restore AutoConfigURL = %q (type %d, present %v), want the REG_SZ %q", c.name, data, typ, found, prior)
		}
		pause(t, c.name+"-restored")
	}
}
