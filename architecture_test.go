package main

import (
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// The rules of the layout (README, "For developers"), checked on the tree
// as it is: a rule broken by a change fails here, not in a review.

// trackedFiles lists the repository's files as git knows them (tracked
// and new, not ignored).
func trackedFiles(t *testing.T) []string {
	t.Helper()
	out, err := exec.Command("git", "ls-files", "--cached", "--others", "--exclude-standard").Output()
	if err != nil {
		t.Skipf("not a git checkout: %v", err)
	}
	var files []string
	for _, f := range strings.Split(strings.TrimSpace(string(out)), "\n") {
		if _, err := os.Stat(f); err == nil {
			files = append(files, f)
		}
	}
	return files
}

// No Go file over 800 lines: a file that long holds more than one thing.
func TestNoGoFileOver800Lines(t *testing.T) {
	for _, f := range trackedFiles(t) {
		if !strings.HasSuffix(f, ".go") {
			continue
		}
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		if n := bytes.Count(b, []byte("\n")); n > 800 {
			t.Errorf("%s has %d lines (at most 800: split it by what it holds)", f, n)
		}
	}
}

// What users and contributors need lives in the repository: nothing points
// at the design folder the project was started from, which a public clone
// does not have.
func TestNothingPointsOutsideTheRepository(t *testing.T) {
	outside := []byte("../" + "shared")
	for _, f := range trackedFiles(t) {
		switch filepath.Ext(f) {
		case ".go", ".md", ".toml", ".json", ".yaml", ".sh", ".html", ".txt":
		default:
			continue
		}
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		if bytes.Contains(b, outside) {
			t.Errorf("%s points at %s, outside the repository", f, outside)
		}
	}
}
