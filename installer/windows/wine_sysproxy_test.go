package windows_test

// The per-user system proxy on Windows, under wine: internal/sysproxy's
// tests cross-compiled for Windows run against Wine's real registry, and
// this test reads the value back with `wine reg query` at each step.

import (
	"bytes"
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"relais/internal/testenv"
)

// internetSettings is the key the Windows desktop of internal/sysproxy
// changes.
const internetSettings = `HKCU\Software\Microsoft\Windows\CurrentVersion\Internet Settings`

// buildSysproxyTest is internal/sysproxy's test binary for Windows (pure
// Go: no cgo needed).
func buildSysproxyTest(t *testing.T) string {
	t.Helper()
	exe := filepath.Join(t.TempDir(), "sysproxy.test.exe")
	cmd := exec.Command("go", "test", "-c", "-o", exe, "./internal/sysproxy")
	cmd.Dir = root(t)
	cmd.Env = append(os.Environ(), "CGO_ENABLED=0", "GOOS=windows", "GOARCH=amd64")
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("cross-compiling internal/sysproxy's tests: %v\n%s", err, out)
	}
	return exe
}

// autoConfigURL reads AutoConfigURL with `wine reg query`: its type and
// data, or found false when reg says there is no such value.
func autoConfigURL(t *testing.T) (typ, data string, found bool) {
	t.Helper()
	r := runWine(t, nil, "reg", "query", internetSettings, "/v", "AutoConfigURL")
	if r.code != 0 {
		if !strings.Contains(r.stderr+r.stdout, "Unable to find") {
			t.Fatalf("wine reg query: exit %d\n%s\n%s", r.code, r.stdout, r.stderr)
		}
		return "", "", false
	}
	for _, line := range strings.Split(r.stdout, "\n") {
		f := strings.Fields(line)
		if len(f) >= 2 && f[0] == "AutoConfigURL" {
			rest := line[strings.Index(line, f[1])+len(f[1]):]
			return f[1], strings.TrimSpace(rest), true
		}
	}
	t.Fatalf("wine reg query: exit 0 but no AutoConfigURL line:\n%s", r.stdout)
	return "", "", false
}

// TestWindowsRealRegistry (internal/sysproxy) on Wine's registry: the PAC
// URL is in HKCU during each step, and after it the value is deleted
// again (there was none) or the previous REG_SZ is back, as `wine reg
// query` reads them from outside the process.
func TestSystemProxyUnderWine(t *testing.T) {
	wine64(t)
	testenv.NeedTools(t, "x86_64-w64-mingw32-gcc") // the prefix's shim
	exe := buildSysproxyTest(t)
	const pac = "http://127.0.0.1:48123/proxy.pac"
	const prior = "http://wpad.relais-test.invalid/wpad.dat"
	// A fresh Windows profile has no AutoConfigURL.
	runWine(t, nil, "reg", "delete", internetSettings, "/v", "AutoConfigURL", "/f")
	if _, data, found := autoConfigURL(t); found {
		t.Fatalf("AutoConfigURL %q still there after reg delete", data)
	}

	pause := t.TempDir()
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, wine64(t), exe, "-test.run", "^TestWindowsRealRegistry$", "-test.v", "-test.count=1")
	cmd.Env = append(wineEnv(t), "RELAIS_SYSPROXY_PAUSE="+winPath(pause), "RELAIS_SYSPROXY_PAC="+pac, "RELAIS_SYSPROXY_PRIOR="+prior)
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	exited := false

	for _, s := range []struct {
		step      string
		found     bool
		typ, data string
	}{
		{"absent-set", true, "REG_SZ", pac},
		{"absent-restored", false, "", ""},
		{"sz-set", true, "REG_SZ", pac},
		{"sz-restored", true, "REG_SZ", prior},
	} {
		if exited || !waitFile(filepath.Join(pause, s.step), done, &exited) {
			t.Fatalf("the test under wine ended before step %s:\n%s", s.step, out.String())
		}
		typ, data, found := autoConfigURL(t)
		if found != s.found || typ != s.typ || data != s.data {
			t.Errorf("%s: wine reg query says %s %q (present %v), want %s %q (present %v)", s.step, typ, data, found, s.typ, s.data, s.found)
		} else {
			t.Logf("%s: wine reg query: AutoConfigURL %s %q (present %v)", s.step, typ, data, found)
		}
		if err := os.WriteFile(filepath.Join(pause, s.step+".go"), nil, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	if !exited {
		if err := <-done; err != nil {
			t.Errorf("internal/sysproxy's tests under wine: %v", err)
		}
	}
	if !strings.Contains(out.String(), "--- PASS: TestWindowsRealRegistry") {
		t.Errorf("TestWindowsRealRegistry did not pass under wine:\n%s", out.String())
	}
	// The test put back what it found: no value.
	if typ, data, found := autoConfigURL(t); found {
		t.Errorf("after the test AutoConfigURL is %s %q, want no value", typ, data)
	}
	t.Logf("internal/sysproxy under wine:\n%s", out.String())
}

// waitFile waits up to 2 minutes for path, unless the process ends first
// (then it records that in exited and returns false).
func waitFile(path string, done <-chan error, exited *bool) bool {
	deadline := time.After(2 * time.Minute)
	for {
		if _, err := os.Stat(path); err == nil {
			return true
		}
		select {
		case <-done:
			*exited = true
			_, err := os.Stat(path)
			return err == nil
		case <-deadline:
			return false
		case <-time.After(50 * time.Millisecond):
		}
	}
}
