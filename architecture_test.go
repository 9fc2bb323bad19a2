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
		// Nor at its documents by name: the repository has no such files.
		for _, doc := range []string{"DESIGN", "CLI", "PROFILE", "STYLE", "CONTEXT"} {
			if bytes.Contains(b, []byte(doc+".md")) {
				t.Errorf("%s names %s.md, which is not in the repository", f, doc)
			}
		}
	}
}

// relaisImports lists the packages of this module that pkg's own files
// (not its tests) import.
func relaisImports(t *testing.T, pkg string) []string {
	t.Helper()
	out, err := exec.Command("go", "list", "-f", `{{join .Imports "\n"}}`, pkg).Output()
	if err != nil {
		t.Skipf("go list %s: %v", pkg, err)
	}
	return strings.Fields(string(out))
}

// The desktop app is a client of the backend through the contract
// (internal/frontend): it imports no package that does the work (backend,
// cli, store, tunnel, helper, config, instance…), only the contract and
// the value packages listed here.
func TestAppImportsOnlyTheContract(t *testing.T) {
	allowed := map[string]string{
		"relais/internal/frontend": "the contract",
		"relais/assets":            "embedded images and translations",
		"relais/internal/i18n":     "the catalogue and the locale's numbers",
		"relais/internal/version":  "the build's version",
		// Value types the contract still borrows from the packages that
		// make them (the Backend interface names them).
		"relais/internal/profile":     "Profile, Link, Drill",
		"relais/internal/engine":      "Snapshot, Event, Verdict",
		"relais/internal/drills":      "Run, Step, Report, Table",
		"relais/internal/diag/bundle": "Bundle, LogLine",
		"relais/internal/diag":        "Summary (a bundle's summary)",
		"relais/internal/checks":      "State, Report",
	}
	for _, imp := range relaisImports(t, "./app") {
		if strings.HasPrefix(imp, "relais/") {
			if _, ok := allowed[imp]; !ok {
				t.Errorf("app imports %s: the app reaches the rest of Relais through internal/frontend only", imp)
			}
		}
	}
}

// The contract does no I/O and holds no state: none of its own imports
// reaches the disk, the network or the system, and it never imports the
// backend or a front end.
func TestFrontendDoesNoIO(t *testing.T) {
	forbidden := []string{"os", "os/exec", "net", "net/http", "database/sql", "syscall", "io/fs", "path/filepath",
		"relais/internal/backend", "relais/internal/cli", "relais/app", "relais/internal/store", "relais/internal/tunnel",
		"relais/internal/helper", "relais/internal/config", "relais/internal/secrets", "relais/internal/outbox"}
	for _, pkg := range []string{"./internal/frontend"} {
		for _, imp := range relaisImports(t, pkg) {
			for _, f := range forbidden {
				if imp == f {
					t.Errorf("%s imports %s", pkg, imp)
				}
			}
		}
	}
}

// One engine constructor: only the backend's session builds an engine;
// the command line never builds one, opens a store or dials the helper
// (it asks the backend).
func TestOneEngineConstructor(t *testing.T) {
	for _, f := range trackedFiles(t) {
		if !strings.HasSuffix(f, ".go") || strings.HasSuffix(f, "_test.go") {
			continue
		}
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		if bytes.Contains(b, []byte("engine.Engine{")) && f != filepath.FromSlash("internal/backend/session.go") {
			t.Errorf("%s builds an engine: only backend.Machine.NewEngine does", f)
		}
		if strings.HasPrefix(f, filepath.FromSlash("internal/cli/")) {
			for _, call := range []string{"store.Open(", "store.OpenOrRecover(", "helper.Dial(", "profilesync.Syncer{"} {
				if bytes.Contains(b, []byte(call)) {
					t.Errorf("%s calls %s: the command line asks the backend", f, call)
				}
			}
		}
	}
}
