//go:build !windows

package autostart

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// Linux and macOS make the entry's directories the same way: every
// directory Enable creates is dirMode (0700), on both (macOS made
// ~/Library/LaunchAgents 0755, Linux ~/.config/autostart 0700), and the
// entry is fileMode.
func TestEnableCreatesDirectoriesPrivate(t *testing.T) {
	t.Parallel()
	home := t.TempDir()
	e := Entry{AppID: "org.relais.Relais", Name: "Relais", Exec: "/opt/relais/relais", Home: home, ConfigHome: filepath.Join(home, ".config")}
	path, err := e.Location()
	if err != nil {
		t.Fatal(err)
	}
	if err := e.Enable(); err != nil {
		t.Fatal(err)
	}
	assertMode(t, path, fileMode)
	rel, err := filepath.Rel(home, filepath.Dir(path))
	if err != nil || strings.HasPrefix(rel, "..") {
		t.Fatalf("%s is not under the home %s", path, home)
	}
	dir := home
	for _, part := range strings.Split(rel, string(filepath.Separator)) {
		dir = filepath.Join(dir, part)
		assertMode(t, dir, dirMode|os.ModeDir)
	}
}

// A directory that exists keeps its mode: Enable creates, never changes.
func TestEnableKeepsExistingDirectoryMode(t *testing.T) {
	t.Parallel()
	home := t.TempDir()
	e := Entry{AppID: "org.relais.Relais", Name: "Relais", Exec: "/opt/relais/relais", Home: home, ConfigHome: filepath.Join(home, ".config")}
	path, err := e.Location()
	if err != nil {
		t.Fatal(err)
	}
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.Chmod(filepath.Dir(path), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := e.Enable(); err != nil {
		t.Fatal(err)
	}
	assertMode(t, filepath.Dir(path), 0o755|os.ModeDir)
	if err := e.Disable(); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(path); !os.IsNotExist(err) {
		t.Errorf("after Disable: %v", err)
	}
}

func assertMode(t *testing.T, path string, want os.FileMode) {
	t.Helper()
	fi, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	if fi.Mode() != want {
		t.Errorf("%s: mode %v, want %v", path, fi.Mode(), want)
	}
}
