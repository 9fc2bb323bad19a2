package testenv

import (
	"os"
	"os/exec"
	"strings"
	"testing"
)

// The policy itself: a missing prerequisite skips normally and fails under
// RELAIS_REQUIRE_E2E=1. Each case runs in a child process so that the
// child's failure is observed, not suffered.
func TestNeedPolicy(t *testing.T) {
	if os.Getenv("TESTENV_CHILD") == "1" {
		Need(t, false, "a unicorn")
		return
	}
	for _, tt := range []struct {
		require  string
		wantFail bool
		wantText string
	}{
		{"", false, "SKIP"},
		{"1", true, "prerequisite missing"},
	} {
		cmd := exec.Command(os.Args[0], "-test.run=^TestNeedPolicy$", "-test.v")
		cmd.Env = append(os.Environ(), "TESTENV_CHILD=1", "RELAIS_REQUIRE_E2E="+tt.require)
		out, err := cmd.CombinedOutput()
		if failed := err != nil; failed != tt.wantFail {
			t.Errorf("RELAIS_REQUIRE_E2E=%q: failed=%v, want %v\n%s", tt.require, failed, tt.wantFail, out)
		}
		if !strings.Contains(string(out), tt.wantText) || !strings.Contains(string(out), "a unicorn") {
			t.Errorf("RELAIS_REQUIRE_E2E=%q: output lacks %q and the reason:\n%s", tt.require, tt.wantText, out)
		}
	}
}
