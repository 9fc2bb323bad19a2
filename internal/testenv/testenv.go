// Package testenv decides what a test does when the machine lacks what an
// end-to-end test needs (root, a display, namespaces, a keyring, a tool):
// skip with the reason on a laptop, fail when RELAIS_REQUIRE_E2E=1, as CI
// sets it. It is imported by tests only and must never be used by the app.
package testenv

import (
	"os"
	"os/exec"
	"strings"
	"testing"
)

// Required reports whether end-to-end prerequisites are mandatory here.
func Required() bool { return os.Getenv("RELAIS_REQUIRE_E2E") == "1" }

// Need stops the test when ok is false: t.Skip with the reason, or t.Fatal
// when RELAIS_REQUIRE_E2E=1.
func Need(t testing.TB, ok bool, reason string) {
	t.Helper()
	if ok {
		return
	}
	if Required() {
		t.Fatalf("end-to-end prerequisite missing (RELAIS_REQUIRE_E2E=1): %s", reason)
	}
	t.Skipf("skipped: %s (set RELAIS_REQUIRE_E2E=1 to make this a failure)", reason)
}

// NeedTools requires programs on PATH and returns their paths in order.
func NeedTools(t testing.TB, names ...string) []string {
	t.Helper()
	paths := make([]string, len(names))
	for i, n := range names {
		p, err := exec.LookPath(n)
		Need(t, err == nil, n+" is not installed (make deps installs it)")
		paths[i] = p
	}
	return paths
}

// NeedRoot requires root.
func NeedRoot(t testing.TB) {
	t.Helper()
	Need(t, os.Geteuid() == 0, "needs root")
}

// userDirVars are the variables that point a program at the person's own
// data: keyrings (gnome-keyring keeps them under XDG_DATA_HOME), settings,
// state, and the session bus through which the Secret Service is reached.
const isolatedVar = "RELAIS_TEST_ISOLATED"

var userDirVars = []string{"XDG_DATA_HOME", "XDG_CONFIG_HOME", "XDG_STATE_HOME", "XDG_RUNTIME_DIR"}

// IsolateUserDirs points the test binary, and every process it starts, at
// a fresh directory instead of the person's own: XDG_DATA_HOME,
// XDG_CONFIG_HOME, XDG_STATE_HOME and XDG_RUNTIME_DIR are set below it, and
// DBUS_SESSION_BUS_ADDRESS is unset, so no test can reach the real login
// keyring, settings or session bus (a test that needs a bus starts its own
// with dbus-run-session); LANGUAGE, LC_ALL and LC_MESSAGES are unset, so
// the person's language never decides what a test reads. XDG_CACHE_HOME
// and HOME are left alone: the Go
// build cache lives there, and tests that build binaries need it warm.
// Call it first in TestMain; the returned func removes the directory.
//
// A test binary started by an isolated one (a test re-running itself under
// dbus-run-session, say) is isolated already: its directories and the bus
// its parent gave it on purpose are kept.
func IsolateUserDirs() (cleanup func(), err error) {
	if os.Getenv(isolatedVar) == "1" {
		return func() {}, nil
	}
	dir, err := os.MkdirTemp("", "relais-test-home-")
	if err != nil {
		return func() {}, err
	}
	for _, v := range userDirVars {
		sub := dir + string(os.PathSeparator) + strings.ToLower(strings.TrimPrefix(v, "XDG_"))
		if err := os.MkdirAll(sub, 0o700); err != nil {
			os.RemoveAll(dir)
			return func() {}, err
		}
		os.Setenv(v, sub)
	}
	os.Unsetenv("DBUS_SESSION_BUS_ADDRESS")
	// The person's language choices (LANGUAGE comes before LANG, as in
	// gettext) must not decide what a test reads: each test sets LANG.
	for _, v := range []string{"LANGUAGE", "LC_ALL", "LC_MESSAGES"} {
		os.Unsetenv(v)
	}
	os.Setenv(isolatedVar, "1")
	return func() { os.RemoveAll(dir) }, nil
}
