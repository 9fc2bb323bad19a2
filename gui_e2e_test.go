//go:build linux

package main

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"relais/internal/testenv"
)

// guiApp is the desktop app running under Xvfb in a private D-Bus session,
// on the embedded demo office (no managed configuration).
type guiApp struct {
	t       *testing.T
	display string
	env     []string // the app's environment; `relais status` runs with it too
	cmd     *exec.Cmd
	logs    *lockedBuffer
	window  string // the X window id
	urgence [4]int // the Mode urgence button: x, y, width, height in the window
}

var layoutLine = regexp.MustCompile(`relais-test-layout urgence (\d+) (\d+) (\d+) (\d+)`)

// startGUI starts the app in language lang ("fr_FR.UTF-8") and waits until
// its window is mapped and its screens are built.
func startGUI(t *testing.T, display, lang string) *guiApp {
	t.Helper()
	home := t.TempDir()
	g := &guiApp{t: t, display: display, logs: &lockedBuffer{}}
	g.env = append(os.Environ(), "RELAIS_TEST_EXEC_MAIN=1", "DISPLAY="+display,
		"LANG="+lang, "LANGUAGE=", "LC_ALL=", "RELAIS_HOME="+home,
		"RELAIS_CONFIG="+filepath.Join(home, "no-managed-config.toml"),
		"XDG_CONFIG_HOME="+filepath.Join(home, "config"), "XDG_DATA_HOME="+filepath.Join(home, "data"),
		"FYNE_THEME=light", "FYNE_SCALE=1", "RELAIS_TEST_LAYOUT=1")
	g.cmd = exec.Command("dbus-run-session", "--", os.Args[0])
	g.cmd.Env = append(g.env, "RELAIS_TEST_ARGS=")
	g.cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	g.cmd.Stdout, g.cmd.Stderr = g.logs, g.logs
	if err := g.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		syscall.Kill(-g.cmd.Process.Pid, syscall.SIGKILL)
		g.cmd.Wait()
		if strings.Contains(g.logs.String(), "Error in Fyne call thread") {
			t.Errorf("Fyne's thread check fired:\n%s", g.logs.String())
		}
		if strings.Contains(g.logs.String(), "goroutine ") || strings.Contains(g.logs.String(), "ne peut pas ouvrir de fenêtre") ||
			strings.Contains(g.logs.String(), "cannot open a window") {
			t.Errorf("the app crashed:\n%s", g.logs.String())
		}
	})
	deadline := time.Now().Add(90 * time.Second)
	for {
		if m := layoutLine.FindStringSubmatch(g.logs.String()); m != nil {
			for i := range g.urgence {
				g.urgence[i], _ = strconv.Atoi(m[i+1])
			}
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("the app did not build its screens within 90 s:\n%s", g.logs.String())
		}
		time.Sleep(100 * time.Millisecond)
	}
	search := exec.Command("xdotool", "search", "--onlyvisible", "--name", "^Relais$")
	search.Env = append(os.Environ(), "DISPLAY="+display)
	out, err := search.Output()
	if err != nil || len(strings.Fields(string(out))) == 0 {
		t.Fatalf("xdotool search: %v %q", err, out)
	}
	g.window = strings.Fields(string(out))[0]
	return g
}

func (g *guiApp) xdotool(args ...string) {
	g.t.Helper()
	cmd := exec.Command("xdotool", args...)
	cmd.Env = append(os.Environ(), "DISPLAY="+g.display)
	if out, err := cmd.CombinedOutput(); err != nil {
		g.t.Fatalf("xdotool %v: %v\n%s", args, err, out)
	}
}

// click clicks at the centre of the Mode urgence button with the mouse.
func (g *guiApp) clickUrgence() {
	x, y := g.urgence[0]+g.urgence[2]/2, g.urgence[1]+g.urgence[3]/2
	g.xdotool("mousemove", "--window", g.window, strconv.Itoa(x), strconv.Itoa(y))
	g.xdotool("click", "1")
}

// status runs `relais status --json` as another process would.
func (g *guiApp) status() statusDoc {
	g.t.Helper()
	cmd := exec.Command(os.Args[0])
	cmd.Env = append(g.env, "RELAIS_TEST_ARGS=status --json", "DISPLAY=")
	out, _ := cmd.Output() // exit 1 while no tunnel is up
	var doc statusDoc
	if err := json.Unmarshal(out, &doc); err != nil {
		g.t.Fatalf("relais status --json: %v\n%s", err, out)
	}
	return doc
}

type statusDoc struct {
	Tunnel *struct {
		Up    bool `json:"up"`
		Stale bool `json:"stale"`
	} `json:"tunnel"`
	Checks []struct {
		AppID string `json:"app_id"`
		State string `json:"state"`
	} `json:"checks"`
}

func (d statusDoc) app(id string) string {
	for _, c := range d.Checks {
		if c.AppID == id {
			return c.State
		}
	}
	return ""
}

// shot photographs the screen into dir/name.
func (g *guiApp) shot(dir, name string) {
	g.t.Helper()
	file := filepath.Join(dir, name)
	cmd := exec.Command("import", "-display", g.display, "-window", g.window, file)
	if out, err := cmd.CombinedOutput(); err != nil {
		g.t.Fatalf("import: %v\n%s", err, out)
	}
	if n := distinctColours(g.t, file); n < 8 {
		g.t.Errorf("screenshot %s has %d distinct colours: the window looks blank", file, n)
	}
}

// appPID is the app's own process (dbus-run-session's child).
func (g *guiApp) appPID() int {
	out, err := exec.Command("pgrep", "-P", strconv.Itoa(g.cmd.Process.Pid)).Output()
	if err != nil {
		g.t.Fatalf("pgrep: %v", err)
	}
	for _, f := range strings.Fields(string(out)) {
		if b, err := os.ReadFile("/proc/" + f + "/cmdline"); err == nil && strings.HasPrefix(string(b), os.Args[0]) {
			pid, _ := strconv.Atoi(f)
			return pid
		}
	}
	g.t.Fatalf("no app process under dbus-run-session %d (%q)", g.cmd.Process.Pid, out)
	return 0
}

// The real app in a real window, as a person uses it: on the demo office,
// a mouse click on Mode urgence brings the tunnel up and the checks run;
// `relais status --json`, from another process, shows the healthy app ok
// and the broken one failed; every screen is photographed (into
// RELAIS_SCREENSHOTS, for the README, when set); SIGTERM takes the tunnel
// down and clears the records; Fyne's thread check never fires.
func TestGUIModeUrgenceUnderXvfb(t *testing.T) {
	if testing.Short() {
		t.Skip("short mode")
	}
	testenv.NeedTools(t, "xdotool", "pgrep")
	display := startXvfb(t)
	dir := os.Getenv("RELAIS_SCREENSHOTS")
	if dir == "" {
		dir = t.TempDir()
	}
	for _, lang := range []string{"fr_FR.UTF-8", "en_US.UTF-8"} {
		t.Run(lang[:2], func(t *testing.T) {
			g := startGUI(t, display, lang)
			l := lang[:2]
			g.shot(dir, fmt.Sprintf("home-idle-%s.png", l))
			if d := g.status(); d.Tunnel != nil && d.Tunnel.Up && !d.Tunnel.Stale {
				t.Fatal("a tunnel is up before Mode urgence")
			}
			g.clickUrgence()

			var d statusDoc
			deadline := time.Now().Add(60 * time.Second)
			for {
				d = g.status()
				if d.Tunnel != nil && d.Tunnel.Up && d.app("paie") == "ok" && d.app("messagerie") == "failed" {
					break
				}
				if time.Now().After(deadline) {
					t.Fatalf("after the click, status never showed paie ok and messagerie failed: %+v\n%s", d, g.logs.String())
				}
				time.Sleep(250 * time.Millisecond)
			}
			time.Sleep(time.Second) // the screens refresh (batched)
			g.xdotool("windowfocus", "--sync", g.window)
			for i, name := range []string{"home", "apps", "drills", "help", "diag", "settings"} {
				g.xdotool("key", "--clearmodifiers", fmt.Sprintf("ctrl+%d", i+1))
				time.Sleep(700 * time.Millisecond)
				g.shot(dir, fmt.Sprintf("%s-%s.png", name, l))
			}

			// SIGTERM: the app quits as Quitter does, tunnel down first.
			pid := g.appPID()
			if err := syscall.Kill(pid, syscall.SIGTERM); err != nil {
				t.Fatal(err)
			}
			ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
			defer cancel()
			for processExists(pid) {
				if ctx.Err() != nil {
					t.Fatalf("the app did not quit within 30 s of SIGTERM:\n%s", g.logs.String())
				}
				time.Sleep(100 * time.Millisecond)
			}
			if d := g.status(); d.Tunnel != nil && d.Tunnel.Up && !d.Tunnel.Stale {
				t.Fatalf("the tunnel is still recorded up after quitting: %+v\n%s", d.Tunnel, g.logs.String())
			}
		})
	}
}

func processExists(pid int) bool {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return false
	}
	// A zombie has quit; its parent has not reaped it yet.
	s := bufio.NewScanner(strings.NewReader(string(b)))
	s.Scan()
	f := strings.Fields(s.Text()[strings.LastIndexByte(s.Text(), ')')+1:])
	return len(f) > 0 && f[0] != "Z"
}
