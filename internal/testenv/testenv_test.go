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

// IsolateUserDirs moves every user directory away from the person's own
// (a login keyring in the real home once made the window test fail) and
// cuts the way to their session bus; a child process inherits it.
func TestIsolateUserDirs(t *testing.T) {
	if os.Getenv("TESTENV_CHILD") == "isolate" {
		cleanup, err := IsolateUserDirs()
		if err != nil {
			t.Fatal(err)
		}
		defer cleanup()
		out, err := exec.Command("sh", "-c", `echo "$XDG_DATA_HOME|$XDG_CONFIG_HOME|$XDG_STATE_HOME|$XDG_RUNTIME_DIR|${DBUS_SESSION_BUS_ADDRESS-unset}"`).Output()
		if err != nil {
			t.Fatal(err)
		}
		os.Stdout.WriteString("CHILD " + string(out))
		// A grandchild given a bus on purpose (dbus-run-session) keeps it.
		os.Setenv("DBUS_SESSION_BUS_ADDRESS", "unix:path=/test/bus")
		data := os.Getenv("XDG_DATA_HOME")
		if _, err := IsolateUserDirs(); err != nil {
			t.Fatal(err)
		}
		if os.Getenv("DBUS_SESSION_BUS_ADDRESS") != "unix:path=/test/bus" || os.Getenv("XDG_DATA_HOME") != data {
			os.Stdout.WriteString("NESTED changed\n")
		}
		return
	}
	real := t.TempDir()
	cmd := exec.Command(os.Args[0], "-test.run=^TestIsolateUserDirs$", "-test.v")
	cmd.Env = append(withoutVar(os.Environ(), isolatedVar), "TESTENV_CHILD=isolate", "XDG_DATA_HOME="+real, "XDG_CONFIG_HOME="+real,
		"XDG_STATE_HOME="+real, "XDG_RUNTIME_DIR="+real, "DBUS_SESSION_BUS_ADDRESS=unix:path="+real+"/bus")
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("%v\n%s", err, out)
	}
	var line string
	for _, l := range strings.Split(string(out), "\n") {
		if strings.HasPrefix(l, "CHILD ") {
			line = strings.TrimPrefix(l, "CHILD ")
		}
	}
	f := strings.Split(line, "|")
	if len(f) != 5 {
		t.Fatalf("child printed %q\n%s", line, out)
	}
	for i, v := range f[:4] {
		if v == "" || strings.HasPrefix(v, real) || !strings.Contains(v, "relais-test-home-") {
			t.Errorf("%s = %q, want a fresh test directory", userDirVars[i], v)
		}
	}
	if f[4] != "unset" {
		t.Errorf("DBUS_SESSION_BUS_ADDRESS = %q, want unset", f[4])
	}
	if strings.Contains(string(out), "NESTED changed") {
		t.Errorf("an isolated binary's child changed its directories or lost its bus")
	}
}

func withoutVar(env []string, name string) []string {
	var out []string
	for _, kv := range env {
		if !strings.HasPrefix(kv, name+"=") {
			out = append(out, kv)
		}
	}
	return out
}
