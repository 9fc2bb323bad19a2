// Package testenv decides what a test does when the machine lacks what an
// end-to-end test needs (root, a display, namespaces, a keyring, a tool):
// skip with the reason on a laptop, fail when RELAIS_REQUIRE_E2E=1, as CI
// sets it. It is imported by tests only and must never be used by the app.
package testenv

import (
	"os"
	"os/exec"
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
