package windows_test

// relais.exe under wine: the console commands, in a throwaway Wine prefix
// of the test's own (never the user's ~/.wine). Wine runs on this machine
// with no display (DISPLAY=) and no Mono or Gecko.

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"relais/internal/testenv"
)

// wineRun is one command under wine: its output and exit code.
type wineRun struct {
	stdout, stderr string
	code           int
}

// wineEnv is the environment every wine command gets: the test's prefix,
// no debug chatter, no Mono/Gecko install prompt, no display.
func wineEnv(t *testing.T) []string {
	t.Helper()
	return append(os.Environ(), "WINEDEBUG=-all", "WINEPREFIX="+wineprefix(t), "WINEDLLOVERRIDES=mscoree,mshtml=", "DISPLAY=")
}

// runWine runs exe (a Windows program, or a Wine tool such as reg) with
// args and the extra environment env, within 3 minutes. A program that
// could not be started, or was killed at the deadline, fails the test; an
// exit code is the caller's to judge.
func runWine(t *testing.T, env []string, exe string, args ...string) wineRun {
	t.Helper()
	r, err := tryWine(t, env, exe, args...)
	if err != nil {
		t.Fatal(err)
	}
	return r
}

// tryWine is runWine returning its failure instead: for a goroutine other
// than the test's. wine64 and the prefix must be known already.
func tryWine(t *testing.T, env []string, exe string, args ...string) (wineRun, error) {
	return tryWineInput(t, "", env, exe, args...)
}

// tryWineInput is tryWine with stdin as the program's standard input.
func tryWineInput(t *testing.T, stdin string, env []string, exe string, args ...string) (wineRun, error) {
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, wine64(t), append([]string{exe}, args...)...)
	cmd.Dir = root(t)
	cmd.Env = append(wineEnv(t), env...)
	cmd.Stdin = strings.NewReader(stdin)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	err := cmd.Run()
	var ee *exec.ExitError
	if err != nil && (!errors.As(err, &ee) || ctx.Err() != nil) {
		return wineRun{}, fmt.Errorf("wine64 %s %s: %v\n%s", exe, strings.Join(args, " "), err, stderr.String())
	}
	return wineRun{stdout: unCRLF(stdout.String()), stderr: unCRLF(stderr.String()), code: cmd.ProcessState.ExitCode()}, nil
}

func unCRLF(s string) string { return strings.ReplaceAll(s, "\r\n", "\n") }

// wine runs relais.exe's console commands with RELAIS_HOME C:\relais-test.
func wine(t *testing.T, exe string, args ...string) (string, error) {
	t.Helper()
	r := runWine(t, []string{"RELAIS_HOME=" + `C:\relais-test`}, exe, args...)
	if r.code != 0 {
		t.Logf("wine64 %s: exit %d, stderr:\n%s", strings.Join(args, " "), r.code, r.stderr)
		return r.stdout, errors.New("exit status " + strconv.Itoa(r.code))
	}
	return r.stdout, nil
}

// freshHome is a new RELAIS_HOME inside the prefix's drive C: (as a
// Windows user's would be), removed when the test ends; it returns the
// Windows path.
func freshHome(t *testing.T) string {
	t.Helper()
	drive := filepath.Join(wineprefix(t), "drive_c")
	dir, err := os.MkdirTemp(drive, "relais-home-")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(dir) })
	return `C:\` + filepath.Base(dir)
}

// winPath is a Linux path as programs under wine see it (drive Z: is /).
func winPath(p string) string { return "Z:" + strings.ReplaceAll(p, "/", `\`) }

var (
	prefixOnce sync.Once
	prefixDir  string
	prefixErr  string
	// shimInstalled: the prefix has the test's bcryptprimitives.dll, and
	// with it testdata/wine-workarounds.c.
	shimInstalled bool
)

// wineprefix is a prefix kept between runs (creating one takes a while).
// When this Wine lacks bcryptprimitives.dll (Wine < 9: Debian 12 has
// 8.0), the test installs its own stand-in there, rebuilt once per test
// binary from testdata/wine-bcryptprimitives.c and
// testdata/wine-workarounds.c (SIO_UDP_NETRESET, os.RemoveAll); a DLL of
// Wine's own is left alone.
func wineprefix(t *testing.T) string {
	t.Helper()
	loader := wine64(t)
	testenv.NeedTools(t, "x86_64-w64-mingw32-gcc")
	prefixOnce.Do(func() {
		prefix := filepath.Join(os.TempDir(), "relais-wineprefix")
		sys32 := filepath.Join(prefix, "drive_c", "windows", "system32")
		if _, err := os.Stat(sys32); err != nil {
			ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
			defer cancel()
			cmd := exec.CommandContext(ctx, loader, "wineboot", "-i")
			cmd.Env = append(os.Environ(), "WINEDEBUG=-all", "WINEPREFIX="+prefix, "WINEDLLOVERRIDES=mscoree,mshtml=", "DISPLAY=")
			if out, err := cmd.CombinedOutput(); err != nil {
				prefixErr = "creating the Wine prefix: " + err.Error() + "\n" + string(out)
				return
			}
		}
		dll := filepath.Join(sys32, "bcryptprimitives.dll")
		if b, err := os.ReadFile(dll); err == nil && (bytes.Contains(b, []byte("Wine placeholder DLL")) || bytes.Contains(b, []byte("Wine builtin DLL"))) {
			prefixDir = prefix // Wine's own: Go's runtime has its ProcessPrng
			return
		}
		cmd := exec.Command("x86_64-w64-mingw32-gcc", "-shared", "-O2", "-o", dll,
			filepath.Join("testdata", "wine-bcryptprimitives.c"), filepath.Join("testdata", "wine-workarounds.c"), "-lbcrypt")
		if out, err := cmd.CombinedOutput(); err != nil {
			prefixErr = "building the bcryptprimitives.dll shim: " + err.Error() + "\n" + string(out)
			return
		}
		t.Logf("this Wine lacks bcryptprimitives.dll (Go's runtime needs ProcessPrng), SIO_UDP_NETRESET (Go's net needs it for UDP) and FileDispositionInformationEx (Go's os.RemoveAll): installed the test shim in %s", dll)
		prefixDir, shimInstalled = prefix, true
	})
	if prefixErr != "" {
		t.Fatal(prefixErr)
	}
	return prefixDir
}

// wine64 finds the loader: on PATH with Debian's wine package, else where
// the wine64 package alone puts it.
func wine64(t *testing.T) string {
	t.Helper()
	if p, err := exec.LookPath("wine64"); err == nil {
		return p
	}
	const p = "/usr/lib/wine/wine64"
	_, err := os.Stat(p)
	testenv.Need(t, err == nil, "wine64 is not installed (make deps installs it)")
	return p
}

func TestExeUnderWine(t *testing.T) {
	wine64(t)
	testenv.NeedTools(t, "x86_64-w64-mingw32-gcc")
	exe := buildExe(t)
	out, err := wine(t, exe, "version")
	if err != nil {
		t.Fatalf("relais.exe version under wine: %v\n%s", err, out)
	}
	if !strings.Contains(out, "relais ") || !strings.Contains(out, "windows/amd64") {
		t.Errorf("relais.exe version printed:\n%s", out)
	}
	out, err = wine(t, exe, "profile", "lint", filepath.Join("testdata", "profiles", "example.toml"))
	if err != nil {
		t.Fatalf("relais.exe profile lint under wine: %v\n%s", err, out)
	}
	t.Logf("profile lint:\n%s", out)
}

// relais-helper.exe, the service's program, runs without the window: its
// version says so (no Fyne), its help asks for a command, and it knows the
// helper command the service gives it.
func TestHelperExeUnderWine(t *testing.T) {
	wine64(t)
	testenv.NeedTools(t, "x86_64-w64-mingw32-gcc")
	exe := buildHelperExe(t)
	out, err := wine(t, exe, "version", "--json")
	var v struct{ Version, Fyne string }
	if err != nil || json.Unmarshal([]byte(out), &v) != nil || v.Fyne != "none" || v.Version == "" {
		t.Errorf("relais-helper.exe version --json under wine: %v, want Fyne none\n%s", err, out)
	}
	out, err = wine(t, exe, "help", "--lang", "en")
	if err != nil || !strings.Contains(out, "This build of Relais has no window: always give it a command.") || strings.Contains(out, "opens the app") {
		t.Errorf("relais-helper.exe help under wine: %v\n%s", err, out)
	}
	out, err = wine(t, exe, "helper", "--help", "--lang", "en")
	if err != nil || !strings.Contains(out, "relais helper") {
		t.Errorf("relais-helper.exe helper --help under wine: %v\n%s", err, out)
	}
}
