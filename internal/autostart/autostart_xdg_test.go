//go:build !darwin && !windows

package autostart

import (
	"bytes"
	"context"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"relais/internal/testenv"
)

// trickyDirs are directory names with every character the Exec quoting
// rules care about.
var trickyDirs = []string{
	"Relais App",
	`o'brien "test"`,
	"$HOME `id` \\back",
	"R&D; a|b <c> ~d *e ?f #g =h",
	"Été",
}

func TestEnableDisable(t *testing.T) {
	config := t.TempDir()
	t.Setenv("XDG_CONFIG_HOME", config)
	e := Entry{AppID: "org.relais.Relais", Name: "Relais", Exec: "/opt/Relais App/relais"}
	path := filepath.Join(config, "autostart", "org.relais.Relais.desktop")

	if loc, err := e.Location(); err != nil || loc != path {
		t.Fatalf("Location = %q, %v; want %q", loc, err, path)
	}
	if on, err := e.Enabled(); err != nil || on {
		t.Fatalf("before Enable: Enabled = %v, %v", on, err)
	}
	for range 2 { // the second Enable replaces the first
		if err := e.Enable(); err != nil {
			t.Fatal(err)
		}
	}
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if string(data) != DesktopFile(e) {
		t.Errorf("file content:\n%s\nwant:\n%s", data, DesktopFile(e))
	}
	assertMode(t, path, 0o644)
	assertMode(t, filepath.Dir(path), 0o700|os.ModeDir)
	assertOnlyFile(t, filepath.Dir(path), filepath.Base(path))
	t.Run("desktop-file-validate", func(t *testing.T) {
		desktopFileValidate(t, testenv.NeedTools(t, "desktop-file-validate")[0], path)
	})

	if on, err := e.Enabled(); err != nil || !on {
		t.Errorf("after Enable: Enabled = %v, %v", on, err)
	}
	for range 2 { // removing an absent entry is not an error
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

// desktop-file-validate accepts the entry for binaries in directories
// whose names need quoting.
func TestDesktopFileValidatesTrickyPaths(t *testing.T) {
	validate := testenv.NeedTools(t, "desktop-file-validate")[0]
	for _, dir := range trickyDirs {
		e := Entry{AppID: "org.relais.Relais", Name: "Relais", Exec: "/opt/" + dir + "/relais", ConfigHome: t.TempDir()}
		if err := e.Enable(); err != nil {
			t.Fatal(err)
		}
		path, _ := e.Location()
		desktopFileValidate(t, validate, path)
	}
}

// GLib, which GNOME and others use to start autostart entries, reads our
// Exec back into exactly the binary's path: gio launch starts a script
// whose directory has every troublesome character, and the script records
// the path it was started as.
func TestGioLaunchesTrickyPath(t *testing.T) {
	gio := testenv.NeedTools(t, "gio")[0]
	base := t.TempDir()
	for _, dir := range trickyDirs {
		bin := filepath.Join(base, dir, "relais")
		if err := os.MkdirAll(filepath.Dir(bin), 0o755); err != nil {
			t.Fatal(err)
		}
		marker := filepath.Join(base, "started")
		_ = os.Remove(marker)
		script := "#!/bin/sh\nprintf '%s' \"$0\" > \"$RELAIS_MARKER.tmp\" && mv \"$RELAIS_MARKER.tmp\" \"$RELAIS_MARKER\"\n"
		if err := os.WriteFile(bin, []byte(script), 0o755); err != nil {
			t.Fatal(err)
		}
		e := Entry{AppID: "org.relais.Relais", Name: "Relais", Exec: bin, ConfigHome: t.TempDir()}
		if err := e.Enable(); err != nil {
			t.Fatal(err)
		}
		path, _ := e.Location()
		ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
		cmd := exec.CommandContext(ctx, gio, "launch", path)
		cmd.Env = append(os.Environ(), "RELAIS_MARKER="+marker)
		out, err := cmd.CombinedOutput()
		cancel()
		if err != nil {
			t.Fatalf("gio launch for %q: %v\n%s", bin, err, out)
		}
		got := waitForFile(t, marker)
		if got != bin {
			t.Errorf("GLib started %q, want %q (Exec line %q)", got, bin, escapeString(execArg(bin)))
		}
	}
}

func TestLocationSeams(t *testing.T) {
	home := t.TempDir()
	e := Entry{AppID: "org.relais.Relais", Home: home}
	for _, tt := range []struct{ env, configHome, want string }{
		{"/xdg", "/seam", "/seam/autostart/org.relais.Relais.desktop"},
		{"/xdg", "", "/xdg/autostart/org.relais.Relais.desktop"},
		{"relative/ignored", "", filepath.Join(home, ".config/autostart/org.relais.Relais.desktop")},
		{"", "", filepath.Join(home, ".config/autostart/org.relais.Relais.desktop")},
	} {
		t.Setenv("XDG_CONFIG_HOME", tt.env)
		e.ConfigHome = tt.configHome
		if got, err := e.Location(); err != nil || got != tt.want {
			t.Errorf("XDG_CONFIG_HOME=%q ConfigHome=%q: %q, %v; want %q", tt.env, tt.configHome, got, err, tt.want)
		}
	}
}

// An entry the user turned off in their session's settings (which rewrite
// the file with Hidden=true or X-GNOME-Autostart-enabled=false) is not
// enabled, and Enable turns it back on.
func TestEnabledHonoursUserChoice(t *testing.T) {
	e := Entry{AppID: "org.relais.Relais", Name: "Relais", Exec: "/usr/bin/relais", ConfigHome: t.TempDir()}
	path, _ := e.Location()
	for _, tt := range []struct {
		extra string
		want  bool
	}{
		{"Hidden=true\n", false},
		{"Hidden = true\n", false},
		{"X-GNOME-Autostart-enabled=false\n", false},
		{"Hidden=false\n", true},
		{"[Desktop Action x]\nHidden=true\n", true},
	} {
		if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
			t.Fatal(err)
		}
		content := strings.Replace(DesktopFile(e), "X-GNOME-Autostart-enabled=true\n", "", 1) + tt.extra
		if err := os.WriteFile(path, []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
		if on, err := e.Enabled(); err != nil || on != tt.want {
			t.Errorf("with %q: Enabled = %v, %v; want %v", tt.extra, on, err, tt.want)
		}
		if err := e.Enable(); err != nil {
			t.Fatal(err)
		}
		if on, err := e.Enabled(); err != nil || !on {
			t.Errorf("with %q, after Enable: Enabled = %v, %v", tt.extra, on, err)
		}
	}
}

// Enable refuses a relative path, and a path with '%', which GLib cannot
// start (see Enable), and writes nothing.
func TestEnableRefusesInvalidEntry(t *testing.T) {
	for _, exec := range []string{"relais", "/opt/100%/relais"} {
		e := Entry{AppID: "org.relais.Relais", Name: "Relais", Exec: exec, ConfigHome: t.TempDir()}
		if err := e.Enable(); !errors.Is(err, ErrInvalidEntry) {
			t.Errorf("Enable with Exec %q: %v, want ErrInvalidEntry", exec, err)
		}
		if entries, _ := os.ReadDir(e.ConfigHome); len(entries) != 0 {
			t.Errorf("Exec %q left %v behind", exec, entries)
		}
	}
}

func TestEnableReportsUnwritableDirectory(t *testing.T) {
	file := filepath.Join(t.TempDir(), "not-a-directory")
	if err := os.WriteFile(file, nil, 0o644); err != nil {
		t.Fatal(err)
	}
	e := Entry{AppID: "org.relais.Relais", Name: "Relais", Exec: "/usr/bin/relais", ConfigHome: file}
	err := e.Enable()
	if err == nil || !strings.HasPrefix(err.Error(), "autostart: ") {
		t.Errorf("Enable under a file: %v, want an error prefixed autostart:", err)
	}
}

func desktopFileValidate(t *testing.T, validate, path string) {
	t.Helper()
	out, err := exec.Command(validate, path).CombinedOutput()
	if err != nil || len(bytes.TrimSpace(out)) != 0 {
		data, _ := os.ReadFile(path)
		t.Errorf("desktop-file-validate: %v\n%s\nfile:\n%s", err, out, data)
	}
}

// assertOnlyFile checks that no temporary file was left next to the entry.
func assertOnlyFile(t *testing.T, dir, name string) {
	t.Helper()
	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	if len(entries) != 1 || entries[0].Name() != name {
		t.Errorf("%s holds %v, want only %s", dir, entries, name)
	}
}

func waitForFile(t *testing.T, path string) string {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for {
		data, err := os.ReadFile(path)
		if err == nil {
			return string(data)
		}
		if time.Now().After(deadline) {
			t.Fatalf("%s never appeared: %v", path, err)
		}
		time.Sleep(20 * time.Millisecond)
	}
}
