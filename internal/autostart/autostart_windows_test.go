package autostart

import (
	"fmt"
	"os"
	"testing"

	"golang.org/x/sys/windows/registry"
)

// The real HKCU Run key, under a value name of this test's own, which
// points to a path that does not exist and is removed at the end.
func TestEnableDisable(t *testing.T) {
	e := Entry{AppID: "org.relais.Relais", Name: fmt.Sprintf("RelaisTest-%d", os.Getpid()), Exec: `C:\Program Files\Relais Test\relais.exe`}
	t.Cleanup(func() { _ = e.Disable() })

	if on, err := e.Enabled(); err != nil || on {
		t.Fatalf("before Enable: Enabled = %v, %v", on, err)
	}
	if err := e.Enable(); err != nil {
		t.Fatal(err)
	}
	k, err := registry.OpenKey(registry.CURRENT_USER, runKey, registry.QUERY_VALUE)
	if err != nil {
		t.Fatal(err)
	}
	v, _, err := k.GetStringValue(e.Name)
	k.Close()
	if err != nil || v != RunValue(e) {
		t.Errorf("Run value = %q, %v; want %q", v, err, RunValue(e))
	}
	if on, err := e.Enabled(); err != nil || !on {
		t.Errorf("after Enable: Enabled = %v, %v", on, err)
	}

	// Turned off in Task Manager: Enabled says so, Enable turns it on.
	a, _, err := registry.CreateKey(registry.CURRENT_USER, approvedKey, registry.SET_VALUE)
	if err != nil {
		t.Fatal(err)
	}
	err = a.SetBinaryValue(e.Name, []byte{3, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0})
	a.Close()
	if err != nil {
		t.Fatal(err)
	}
	if on, err := e.Enabled(); err != nil || on {
		t.Errorf("turned off in Task Manager: Enabled = %v, %v", on, err)
	}
	if err := e.Enable(); err != nil {
		t.Fatal(err)
	}
	if on, err := e.Enabled(); err != nil || !on {
		t.Errorf("after Enable again: Enabled = %v, %v", on, err)
	}

	for range 2 {
		if err := e.Disable(); err != nil {
			t.Fatal(err)
		}
	}
	if on, err := e.Enabled(); err != nil || on {
		t.Errorf("after Disable: Enabled = %v, %v", on, err)
	}
}

func TestEnableRefusesQuote(t *testing.T) {
	e := Entry{AppID: "org.relais.Relais", Name: "RelaisTest", Exec: `C:\a"b\relais.exe`}
	if err := e.Enable(); err == nil {
		_ = e.Disable()
		t.Fatal("Enable accepted a path with '\"'")
	}
}
