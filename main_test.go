package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"image/png"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"relais/internal/testenv"
)

// TestMain lets the test binary act as the relais binary in a child process
// (RELAIS_TEST_EXEC_MAIN=1), so end-to-end tests run the real main() without
// a separate build.
func TestMain(m *testing.M) {
	if os.Getenv("RELAIS_TEST_EXEC_MAIN") == "1" {
		os.Args = append([]string{"relais"}, strings.Fields(os.Getenv("RELAIS_TEST_ARGS"))...)
		main()
		os.Exit(0)
	}
	// No test may reach the person's own keyring, settings or session bus.
	cleanup, err := testenv.IsolateUserDirs()
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(2)
	}
	code := m.Run()
	cleanup()
	os.Exit(code)
}

// No package under internal/ may depend on Fyne: the engine and the CLI must
// build and run where no display exists (README, "For developers").
func TestInternalDoesNotImportFyne(t *testing.T) {
	out, err := exec.Command("go", "list", "-deps", "-test", "./internal/...").CombinedOutput()
	if err != nil {
		t.Fatalf("go list: %v\n%s", err, out)
	}
	for _, line := range strings.Split(string(out), "\n") {
		if strings.HasPrefix(line, "fyne.io/") || line == "relais/app" {
			t.Errorf("internal/... depends on %s", line)
		}
	}
}

// startXvfb starts a private X server and returns its DISPLAY.
func startXvfb(t testing.TB) string {
	t.Helper()
	testenv.NeedTools(t, "Xvfb", "xwininfo", "import", "dbus-run-session")
	r, w, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	// -displayfd: Xvfb picks a free display and writes its number to fd 3.
	cmd := exec.Command("Xvfb", "-displayfd", "3", "-screen", "0", "1024x768x24", "-nolisten", "tcp", "-noreset")
	cmd.ExtraFiles = []*os.File{w}
	if err := cmd.Start(); err != nil {
		t.Fatalf("Xvfb: %v", err)
	}
	w.Close()
	t.Cleanup(func() { cmd.Process.Kill(); cmd.Wait() })
	num := make(chan string, 1)
	go func() {
		line, _ := bufio.NewReader(r).ReadString('\n')
		num <- strings.TrimSpace(line)
	}()
	select {
	case n := <-num:
		if n == "" {
			t.Fatal("Xvfb did not report a display")
		}
		return ":" + n
	case <-time.After(30 * time.Second):
		t.Fatal("Xvfb did not start within 30 s")
	}
	return ""
}

// A real window under Xvfb: the app opens its main window titled "Relais",
// in French and in English, and the screen shows more than a blank
// rectangle. Screenshots go to RELAIS_SCREENSHOTS when set.
func TestWindowOpensUnderXvfb(t *testing.T) {
	if testing.Short() {
		t.Skip("short mode")
	}
	display := startXvfb(t)
	for _, lang := range []string{"fr_FR.UTF-8", "en_US.UTF-8"} {
		t.Run(lang, func(t *testing.T) {
			ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
			defer cancel()
			// A private session bus, as a desktop session has: without one
			// the app's D-Bus client would autolaunch a bus that outlives
			// the test. The whole process group is killed at the end.
			cmd := exec.CommandContext(ctx, "dbus-run-session", "--", os.Args[0])
			cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
			cmd.Cancel = func() error { return syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL) }
			var logs lockedBuffer
			cmd.Stdout, cmd.Stderr = &logs, &logs
			cmd.Env = append(os.Environ(), "RELAIS_TEST_EXEC_MAIN=1", "RELAIS_TEST_ARGS=", "DISPLAY="+display,
				"LANG="+lang, "LANGUAGE=", "LC_ALL=", "RELAIS_HOME="+t.TempDir(), "FYNE_THEME=light")
			if err := cmd.Start(); err != nil {
				t.Fatal(err)
			}
			defer func() { syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL); cmd.Wait() }()

			deadline := time.Now().Add(90 * time.Second)
			for {
				out, _ := exec.Command("xwininfo", "-display", display, "-root", "-tree").CombinedOutput()
				if bytes.Contains(out, []byte(`"Relais"`)) {
					break
				}
				if time.Now().After(deadline) {
					t.Fatalf("no window titled Relais after 90 s; window tree:\n%s\napp output:\n%s", out, logs.String())
				}
				time.Sleep(250 * time.Millisecond)
			}
			time.Sleep(2 * time.Second) // let the first frames render
			dir := os.Getenv("RELAIS_SCREENSHOTS")
			if dir == "" {
				dir = t.TempDir()
			}
			shot := filepath.Join(dir, fmt.Sprintf("first-window-%s.png", lang[:2]))
			if out, err := exec.Command("import", "-display", display, "-window", "root", shot).CombinedOutput(); err != nil {
				t.Fatalf("import: %v\n%s", err, out)
			}
			if n := distinctColours(t, shot); n < 8 {
				t.Errorf("screenshot %s has %d distinct colours: the window looks blank", shot, n)
			}
			if strings.Contains(logs.String(), "locale") {
				t.Errorf("the app complained about the locale:\n%s", logs.String())
			}
		})
	}
}

// lockedBuffer collects a child's output while the test reads it.
type lockedBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *lockedBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

func distinctColours(t *testing.T, file string) int {
	f, err := os.Open(file)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	img, err := png.Decode(f)
	if err != nil {
		t.Fatal(err)
	}
	seen := map[[4]uint32]bool{}
	b := img.Bounds()
	for y := b.Min.Y; y < b.Max.Y; y += 3 {
		for x := b.Min.X; x < b.Max.X; x += 3 {
			r, g, bl, a := img.At(x, y).RGBA()
			seen[[4]uint32{r, g, bl, a}] = true
		}
	}
	return len(seen)
}

// Fyne reads the locale before our code runs and used to log an error for
// the POSIX locale C.UTF-8 (the default of many Debian machines) on every
// invocation; the CLI must print no such thing, and still speak French.
func TestNoLocaleErrorUnderCLocales(t *testing.T) {
	for _, v := range []string{"LANG=C.UTF-8", "LC_ALL=C.UTF-8", "LANG=C", "LANG=POSIX"} {
		cmd := exec.Command(os.Args[0])
		cmd.Env = append(os.Environ(), "RELAIS_TEST_EXEC_MAIN=1", "RELAIS_TEST_ARGS=help", "LANG=", "LC_ALL=", "LC_MESSAGES=", "LANGUAGE=", v)
		out, _ := cmd.CombinedOutput()
		if strings.Contains(strings.ToLower(string(out)), "locale") || !strings.Contains(string(out), "Usage : relais") {
			t.Errorf("%s:\n%s", v, out)
		}
	}
}

// `relais version` names the Fyne it was built with, read from the build
// information (internal/ never imports Fyne).
func TestVersionNamesFyne(t *testing.T) {
	cmd := exec.Command(os.Args[0])
	cmd.Env = append(os.Environ(), "RELAIS_TEST_EXEC_MAIN=1", "RELAIS_TEST_ARGS=version --json")
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("%v\n%s", err, out)
	}
	var v struct{ Version, Go, Fyne string }
	if err := json.Unmarshal(out, &v); err != nil {
		t.Fatalf("%v\n%s", err, out)
	}
	if !strings.HasPrefix(v.Fyne, "v2.") || !strings.HasPrefix(v.Go, "go1.") || v.Version == "" {
		t.Fatalf("version --json: %+v", v)
	}
}

// Where no window can open, `relais` says so in one sentence naming the
// commands that still work, in the person's language — no stack trace.
func TestNoDisplaySaysWhatStillWorks(t *testing.T) {
	for _, tt := range []struct{ lang, want string }{
		{"fr_FR.UTF-8", "La ligne de commande fonctionne toujours : relais check, relais diag export"},
		{"en_GB.UTF-8", "The command line still works: relais check, relais diag export"},
	} {
		cmd := exec.Command(os.Args[0])
		cmd.Env = append(os.Environ(), "RELAIS_TEST_EXEC_MAIN=1", "RELAIS_TEST_ARGS=", "DISPLAY=", "WAYLAND_DISPLAY=",
			"LANG="+tt.lang, "LC_ALL=", "LANGUAGE=", "RELAIS_HOME="+t.TempDir())
		out, err := cmd.CombinedOutput()
		var ee *exec.ExitError
		if !errors.As(err, &ee) || ee.ExitCode() != 2 {
			t.Fatalf("%s: exit %v, want 2\n%s", tt.lang, err, out)
		}
		if !strings.Contains(string(out), tt.want) || strings.Contains(string(out), "goroutine") || strings.Count(strings.TrimSpace(string(out)), "\n") != 0 {
			t.Errorf("%s: want one sentence containing %q, got:\n%s", tt.lang, tt.want, out)
		}
	}
}

// A display that cannot be opened (GLFW panics inside Fyne) ends in the
// same sentence, not a stack trace.
func TestUnusableDisplaySaysWhatStillWorks(t *testing.T) {
	cmd := exec.Command(os.Args[0])
	cmd.Env = append(os.Environ(), "RELAIS_TEST_EXEC_MAIN=1", "RELAIS_TEST_ARGS=", "DISPLAY=:987", "WAYLAND_DISPLAY=",
		"LANG=en_GB.UTF-8", "LC_ALL=", "LANGUAGE=", "RELAIS_HOME="+t.TempDir())
	out, err := cmd.CombinedOutput()
	var ee *exec.ExitError
	if !errors.As(err, &ee) || ee.ExitCode() != 2 {
		t.Fatalf("exit %v, want 2\n%s", err, out)
	}
	if !strings.Contains(string(out), "The command line still works: relais check, relais diag export") || strings.Contains(string(out), "goroutine") {
		t.Errorf("want the sentence and no stack trace, got:\n%s", out)
	}
}
