package atomicfile

import (
	"errors"
	"os"
	"path/filepath"
	"runtime"
	"testing"
)

// entries is the names in dir.
func entries(t *testing.T, dir string) []string {
	t.Helper()
	des, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, de := range des {
		names = append(names, de.Name())
	}
	return names
}

func TestWriteFileCreatesAndReplaces(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	path := filepath.Join(dir, "mark.json")
	if err := WriteFile(path, []byte("one"), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := WriteFile(path, []byte("two, longer"), 0o644); err != nil {
		t.Fatal(err)
	}
	b, err := os.ReadFile(path)
	if err != nil || string(b) != "two, longer" {
		t.Fatalf("contents = %q, %v; want the second write", b, err)
	}
	if names := entries(t, dir); len(names) != 1 || names[0] != "mark.json" {
		t.Errorf("directory holds %q, want only mark.json (no temporary file left)", names)
	}
	if runtime.GOOS == "windows" {
		return
	}
	fi, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	if fi.Mode().Perm() != 0o644 {
		t.Errorf("mode = %v, want 0644 exactly (not subject to the umask)", fi.Mode().Perm())
	}
}

func TestWriteFilePrivateMode(t *testing.T) {
	t.Parallel()
	if runtime.GOOS == "windows" {
		t.Skip("no Unix modes on Windows")
	}
	path := filepath.Join(t.TempDir(), "key")
	if err := WriteFile(path, []byte("secret"), 0o600); err != nil {
		t.Fatal(err)
	}
	fi, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	if fi.Mode().Perm() != 0o600 {
		t.Errorf("mode = %v, want 0600", fi.Mode().Perm())
	}
}

// A write that fails half way leaves the old file as it was and no
// temporary file behind.
func TestWriteFailureKeepsOldFile(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	path := filepath.Join(dir, "state.json")
	if err := os.WriteFile(path, []byte("old"), 0o600); err != nil {
		t.Fatal(err)
	}
	boom := errors.New("disk full")
	err := write(path, 0o600, func(f *os.File) error {
		if _, err := f.Write([]byte("new, half")); err != nil {
			return err
		}
		return boom
	})
	if !errors.Is(err, boom) {
		t.Fatalf("write = %v, want %v", err, boom)
	}
	if b, err := os.ReadFile(path); err != nil || string(b) != "old" {
		t.Errorf("after a failed write: %q, %v; want the old contents", b, err)
	}
	if names := entries(t, dir); len(names) != 1 {
		t.Errorf("directory holds %q, want only state.json", names)
	}
}

// A rename that fails (a directory where the file should be) leaves that
// directory and no temporary file.
func TestWriteFileRenameFailure(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	path := filepath.Join(dir, "entry")
	if err := os.Mkdir(path, 0o700); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(path, "inside"), []byte("x"), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := WriteFile(path, []byte("new"), 0o644); err == nil {
		t.Fatal("WriteFile over a directory succeeded")
	}
	if fi, err := os.Stat(path); err != nil || !fi.IsDir() {
		t.Errorf("the directory at path is gone: %v, %v", fi, err)
	}
	if names := entries(t, dir); len(names) != 1 {
		t.Errorf("directory holds %q, want only entry", names)
	}
}

func TestWriteFileMissingDirectory(t *testing.T) {
	t.Parallel()
	path := filepath.Join(t.TempDir(), "absent", "file")
	if err := WriteFile(path, []byte("x"), 0o600); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("WriteFile in a missing directory = %v, want not exist", err)
	}
}
