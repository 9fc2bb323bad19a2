//go:build linux

package main

import (
	"bytes"
	"context"
	"os"
	"os/exec"
	"strings"
	"syscall"
	"testing"
	"time"

	"relais/internal/testenv"
)

// visibleRelaisWindows counts the mapped windows titled Relais.
func (g *guiApp) visibleRelaisWindows() int {
	cmd := exec.Command("xdotool", "search", "--onlyvisible", "--name", "^Relais$")
	cmd.Env = append(os.Environ(), "DISPLAY="+g.display)
	out, _ := cmd.Output() // exit 1: none
	return len(strings.Fields(string(out)))
}

// One app per user: with the first window out of sight (unmapped, as a
// window hidden or left behind), launching Relais again brings that window
// back instead of a second app with a second tunnel on the same key; the
// second launch says so and exits 0, and the first app is the only one.
func TestSecondLaunchRaisesTheFirstUnderXvfb(t *testing.T) {
	if testing.Short() {
		t.Skip("short mode")
	}
	testenv.NeedTools(t, "xdotool", "pgrep")
	display := startXvfb(t)
	g := startGUI(t, display, "fr_FR.UTF-8")
	first := g.appPID()
	g.xdotool("windowunmap", "--sync", g.window)
	if n := g.visibleRelaisWindows(); n != 0 {
		t.Fatalf("%d visible Relais windows after unmapping the first", n)
	}

	ctx, cancel := context.WithTimeout(context.Background(), 45*time.Second)
	defer cancel()
	second := exec.CommandContext(ctx, os.Args[0])
	second.Env = append(g.env, "RELAIS_TEST_ARGS=")
	second.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	second.Cancel = func() error { return syscall.Kill(-second.Process.Pid, syscall.SIGKILL) }
	var out bytes.Buffer
	second.Stdout, second.Stderr = &out, &out
	err := second.Run()
	if ctx.Err() != nil {
		t.Fatalf("the second launch was still running after 45 s (a second app):\n%s", out.String())
	}
	if err != nil {
		t.Fatalf("the second launch: %v, want exit 0\n%s", err, out.String())
	}
	if !strings.Contains(out.String(), "Relais est déjà ouvert") {
		t.Errorf("the second launch said %q", out.String())
	}
	deadline := time.Now().Add(10 * time.Second)
	for g.visibleRelaisWindows() != 1 {
		if time.Now().After(deadline) {
			t.Fatalf("the first window did not come back within 10 s:\n%s", g.logs.String())
		}
		time.Sleep(100 * time.Millisecond)
	}
	if !processExists(first) {
		t.Fatalf("the first app is gone:\n%s", g.logs.String())
	}
}
