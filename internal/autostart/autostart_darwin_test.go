package autostart

import (
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"testing"

	"relais/internal/testenv"
)

func TestEnableDisable(t *testing.T) {
	plutil := testenv.NeedTools(t, "plutil")[0]
	home := t.TempDir()
	e := Entry{AppID: "org.relais.Relais", Name: "Relais", Exec: "/Applications/R&D <Relais>.app/Contents/MacOS/relais", Home: home}
	path := filepath.Join(home, "Library", "LaunchAgents", "org.relais.Relais.plist")

	if loc, err := e.Location(); err != nil || loc != path {
		t.Fatalf("Location = %q, %v; want %q", loc, err, path)
	}
	if on, err := e.Enabled(); err != nil || on {
		t.Fatalf("before Enable: Enabled = %v, %v", on, err)
	}
	for range 2 {
		if err := e.Enable(); err != nil {
			t.Fatal(err)
		}
	}
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if string(data) != LaunchAgentPlist(e) {
		t.Errorf("file content:\n%s\nwant:\n%s", data, LaunchAgentPlist(e))
	}
	for p, want := range map[string]os.FileMode{path: 0o644, filepath.Dir(path): dirMode | os.ModeDir} {
		if fi, err := os.Stat(p); err != nil || fi.Mode() != want {
			t.Errorf("%s: %v, %v; want mode %v", p, fi.Mode(), err, want)
		}
	}
	if out, err := exec.Command(plutil, "-lint", path).CombinedOutput(); err != nil {
		t.Errorf("plutil -lint: %v\n%s", err, out)
	}
	if on, err := e.Enabled(); err != nil || !on {
		t.Errorf("after Enable: Enabled = %v, %v", on, err)
	}
	for range 2 {
		if err := e.Disable(); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := os.Stat(path); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("after Disable: %v", err)
	}
	if on, err := e.Enabled(); err != nil || on {
		t.Errorf("after Disable: Enabled = %v, %v", on, err)
	}
}
