package windows_test

// The per-user system proxy on Windows, under wine: internal/sysproxy's
// tests cross-compiled for Windows run against Wine's real registry, and
// this test reads the value back with `wine reg query` at each step.

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"relais/internal/config"
	"relais/internal/store"
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
	typ, data, found, err := queryAutoConfigURL(t)
	if err != nil {
		t.Fatal(err)
	}
	return typ, data, found
}

// queryAutoConfigURL is autoConfigURL returning its failure instead.
func queryAutoConfigURL(t *testing.T) (typ, data string, found bool, err error) {
	r, err := tryWine(t, nil, "reg", "query", internetSettings, "/v", "AutoConfigURL")
	if err != nil {
		return "", "", false, err
	}
	if r.code != 0 {
		if !strings.Contains(r.stderr+r.stdout, "Unable to find") {
			return "", "", false, fmt.Errorf("wine reg query: exit %d\n%s\n%s", r.code, r.stdout, r.stderr)
		}
		return "", "", false, nil
	}
	for _, line := range strings.Split(r.stdout, "\n") {
		f := strings.Fields(line)
		if len(f) >= 2 && f[0] == "AutoConfigURL" {
			rest := line[strings.Index(line, f[1])+len(f[1]):]
			return f[1], strings.TrimSpace(rest), true, nil
		}
	}
	return "", "", false, fmt.Errorf("wine reg query: exit 0 but no AutoConfigURL line:\n%s", r.stdout)
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

// managedSystemProxy is a managed configuration that locks the system
// proxy on.
const managedSystemProxy = `trusted_keys = ["RWQf6LRCGA9i53mlYecO4IzT51TGPpvWucNSCh1CBM0QTaLn73Y7GFO3"]

[locked]
system_proxy = true
`

// relais.exe demo --headless with the organisation's lock on the system
// proxy: while the demo's Mode urgence runs, HKCU's AutoConfigURL is the
// demo tunnel's PAC, as another Windows process (testdata/regwatch) sees
// it; after it, the user's previous value is back (wine reg query), and
// the demo's timeline says so.
func TestDemoSystemProxyUnderWine(t *testing.T) {
	wine64(t)
	testenv.NeedTools(t, "x86_64-w64-mingw32-gcc")
	if _, err := config.ParseManaged("relais.toml", []byte(managedSystemProxy)); err != nil {
		t.Fatal(err)
	}
	exe := buildExe(t)
	conf := filepath.Join(t.TempDir(), "relais.toml")
	if err := os.WriteFile(conf, []byte(managedSystemProxy), 0o644); err != nil {
		t.Fatal(err)
	}
	const prior = "http://wpad.relais-test.invalid/wpad.dat"
	runWine(t, nil, "reg", "add", internetSettings, "/v", "AutoConfigURL", "/t", "REG_SZ", "/d", prior, "/f")
	t.Cleanup(func() { runWine(t, nil, "reg", "delete", internetSettings, "/v", "AutoConfigURL", "/f") })
	if typ, data, found := autoConfigURL(t); !found || typ != "REG_SZ" || data != prior {
		t.Fatalf("before: AutoConfigURL %s %q (present %v), want REG_SZ %q", typ, data, found, prior)
	}

	// Watch the registry from another Windows process while the demo
	// runs (a wine reg query per read takes seconds to start beside it).
	watch := startRegwatch(t)
	home := freshHome(t)
	r := runWine(t, []string{"RELAIS_HOME=" + home, "RELAIS_CONFIG=" + winPath(conf)}, exe, "demo", "--headless", "--lang", "en")
	during := watch.stop(t)
	if r.code != 0 {
		t.Fatalf("relais.exe demo --headless with the lock: exit %d\n%s\n%s", r.code, r.stdout, r.stderr)
	}

	// What the demo's timeline says it pointed the setting at.
	db, err := store.Open(filepath.Join(wineprefix(t), "drive_c", strings.TrimPrefix(home, `C:\`), "demo", "relais.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	evs, err := db.Events(context.Background(), 0)
	if err != nil {
		t.Fatal(err)
	}
	var pac string
	restored := false
	for _, e := range evs {
		if e.Kind != "system_proxy" {
			continue
		}
		t.Logf("timeline: %s", e.Message)
		if u, ok := strings.CutPrefix(e.Message, "system proxy pointed at the PAC "); ok {
			pac = strings.Fields(u)[0]
		}
		restored = restored || strings.HasPrefix(e.Message, "system proxy restored")
	}
	if !strings.HasPrefix(pac, "http://127.0.0.1:") || !strings.HasSuffix(pac, "/proxy.pac") || !restored {
		t.Errorf("the demo's timeline does not say it pointed the setting at the PAC (%q) and restored it (%v)", pac, restored)
	}
	if want := []string{"REG_SZ " + prior, "REG_SZ " + pac, "REG_SZ " + prior}; !slices.Equal(during, want) {
		t.Errorf("AutoConfigURL during the demo went %q, want %q", during, want)
	} else {
		t.Logf("AutoConfigURL during the demo went %q", during)
	}
	if typ, data, found := autoConfigURL(t); !found || typ != "REG_SZ" || data != prior {
		t.Errorf("after the demo: AutoConfigURL %s %q (present %v), want the user's REG_SZ %q back", typ, data, found, prior)
	}
}

// regwatch is testdata/regwatch.exe running under wine, watching HKCU's
// AutoConfigURL.
type regwatch struct {
	stdin io.WriteCloser
	lines chan string
	done  chan error
}

func startRegwatch(t *testing.T) *regwatch {
	t.Helper()
	exe := filepath.Join(t.TempDir(), "regwatch.exe")
	build := exec.Command("go", "build", "-o", exe, "./installer/windows/testdata/regwatch")
	build.Dir = root(t)
	build.Env = append(os.Environ(), "CGO_ENABLED=0", "GOOS=windows", "GOARCH=amd64")
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("building regwatch.exe: %v\n%s", err, out)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	t.Cleanup(cancel)
	cmd := exec.CommandContext(ctx, wine64(t), exe, strings.TrimPrefix(internetSettings, `HKCU\`), "AutoConfigURL")
	cmd.Env = wineEnv(t)
	stdin, err := cmd.StdinPipe()
	if err != nil {
		t.Fatal(err)
	}
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	w := &regwatch{stdin: stdin, lines: make(chan string, 100), done: make(chan error, 1)}
	go func() {
		sc := bufio.NewScanner(stdout)
		for sc.Scan() {
			w.lines <- strings.TrimRight(sc.Text(), "\r")
		}
		close(w.lines)
		w.done <- cmd.Wait()
	}()
	if l, ok := <-w.lines; !ok || l != "ready" {
		t.Fatalf("regwatch.exe did not start: %q", l)
	}
	return w
}

// stop ends the watch and returns every value it saw, in order, the one
// at the start first ("absent" or "TYPE DATA").
func (w *regwatch) stop(t *testing.T) []string {
	t.Helper()
	time.Sleep(200 * time.Millisecond) // a last read after the program's end
	w.stdin.Close()
	var seen []string
	for l := range w.lines {
		seen = append(seen, l)
	}
	if err := <-w.done; err != nil {
		t.Fatalf("regwatch.exe: %v (saw %q)", err, seen)
	}
	return seen
}
