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
		"relais/internal/status":      "Snapshot, Event, Verdict, Report, Tunnel",
		"relais/internal/drills":      "Run, Step, Report, Table",
		"relais/internal/diag/bundle": "Bundle, LogLine",
	}
	for _, imp := range relaisImports(t, "./app") {
		if strings.HasPrefix(imp, "relais/") {
			if _, ok := allowed[imp]; !ok {
				t.Errorf("app imports %s: the app reaches the rest of Relais through internal/frontend only", imp)
			}
		}
	}
}

// workers are the packages that do the work — the disk, the network,
// the tunnel, the system — and the libraries only they may link: what
// neither the contract nor the app may reach, even through a value
// package they borrow.
var workers = []string{
	"relais/internal/backend", "relais/internal/cli", "relais/app", "relais/internal/store", "relais/internal/tunnel",
	"relais/internal/helper", "relais/internal/config", "relais/internal/secrets", "relais/internal/outbox",
	"relais/internal/engine", "relais/internal/checks", "relais/internal/diag", "relais/internal/drills/drillrun",
	"relais/internal/profile/profilesync", "relais/internal/launch", "relais/internal/office", "relais/internal/instance",
	"relais/internal/autostart",
	"golang.zx2c4.com/wireguard", "gvisor.dev/gvisor", "github.com/mattn/go-sqlite3", "github.com/zalando/go-keyring",
	"github.com/vishvananda/netlink",
}

// deps lists every package pkg's own files (not its tests) depend on,
// directly or not.
func deps(t *testing.T, pkg string) []string {
	t.Helper()
	out, err := exec.Command("go", "list", "-deps", pkg).Output()
	if err != nil {
		t.Skipf("go list -deps %s: %v", pkg, err)
	}
	return strings.Fields(string(out))
}

// reaches reports which of deps is the package p or, when p is a module
// of another project (its first element has a dot), lies under it.
func reaches(deps []string, p string) []string {
	module := strings.Contains(strings.Split(p, "/")[0], ".")
	var found []string
	for _, d := range deps {
		if d == p || module && strings.HasPrefix(d, p+"/") {
			found = append(found, d)
		}
	}
	return found
}

// The contract does no I/O and holds no state: nothing it depends on,
// directly or through the value packages it borrows, reaches the
// network, runs a program or opens a database, and it never reaches the
// backend, a front end or a package that does the work.
func TestFrontendDoesNoIO(t *testing.T) {
	own := []string{"os", "os/exec", "net", "net/http", "database/sql", "syscall", "io/fs", "path/filepath"}
	for _, imp := range relaisImports(t, "./internal/frontend") {
		for _, f := range own {
			if imp == f {
				t.Errorf("internal/frontend imports %s", imp)
			}
		}
	}
	all := deps(t, "./internal/frontend")
	// D-Bus too: Fyne's tray and notifications use it, the contract never.
	for _, f := range append([]string{"net", "net/http", "os/exec", "database/sql", "github.com/godbus/dbus"}, workers...) {
		if found := reaches(all, f); len(found) > 0 {
			t.Errorf("internal/frontend depends on %s", strings.Join(found, ", "))
		}
	}
}

// The app reaches the work only through the contract: none of its
// dependencies, direct or not, is a package that does the work (Fyne
// itself may use the network and run programs: opening a URL, say).
func TestAppReachesNoWorker(t *testing.T) {
	all := deps(t, "./app")
	for _, f := range workers {
		if f == "relais/app" {
			continue // itself
		}
		if found := reaches(all, f); len(found) > 0 {
			t.Errorf("app depends on %s: it reaches the work through internal/frontend only", strings.Join(found, ", "))
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

// The organisation's server shares the laptops' value packages, never
// their backend: it reaches no front end, no Mode urgence and no piece of
// the laptop's machinery (the tunnel, the helper, the keyring, Fyne). It
// manages the peers of the gateway's existing interface through wgctrl
// (enrolment), and never runs a WireGuard device itself: wireguard-go's
// data plane (device, tun, conn) stays out.
func TestServerNeverReachesTheLaptop(t *testing.T) {
	all := deps(t, "./internal/server/...")
	for _, f := range []string{
		"relais/internal/backend", "relais/internal/cli", "relais/app", "relais/internal/frontend",
		"relais/internal/engine", "relais/internal/tunnel", "relais/internal/helper", "relais/internal/secrets",
		"relais/internal/store", "relais/internal/office", "relais/internal/launch", "relais/internal/instance",
		"golang.zx2c4.com/wireguard/device", "golang.zx2c4.com/wireguard/tun", "golang.zx2c4.com/wireguard/conn", "gvisor.dev/gvisor", "github.com/zalando/go-keyring", "fyne.io/fyne",
	} {
		if found := reaches(all, f); len(found) > 0 {
			t.Errorf("internal/server depends on %s: the server shares value packages only", strings.Join(found, ", "))
		}
	}
}
