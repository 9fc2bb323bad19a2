package main

import (
	"encoding/json"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"relais/internal/testenv"
)

// graphicsLibs are the libraries the window needs (Fyne through GLFW) and
// the build without it must not link.
var graphicsLibs = []string{"libGL", "libEGL", "libX11", "libxcb", "libXcursor", "libXrandr", "libXi", "libwayland"}

// `-tags nogui` builds a relais without the window: no Fyne in its
// dependencies, no graphics library in ldd; without a subcommand (or with
// `demo` alone, which opens the window in the other build) it says in one
// sentence, in the person's language, that it has no window and what to
// run instead; its help asks for a command; every subcommand works. The
// default build keeps the window, `-tags gui` is the same build, and both
// tags at once do not build.
func TestNoGUIBuild(t *testing.T) {
	testenv.NeedTools(t, "go", "ldd")

	deps := func(tags string) []string {
		t.Helper()
		args := []string{"list", "-deps"}
		if tags != "" {
			args = append(args, "-tags", tags)
		}
		out, err := exec.Command("go", append(args, ".")...).CombinedOutput()
		if err != nil {
			t.Fatalf("go list %s: %v\n%s", tags, err, out)
		}
		return strings.Fields(string(out))
	}
	for _, d := range deps("nogui") {
		if strings.HasPrefix(d, "fyne.io/") || strings.HasPrefix(d, "github.com/go-gl/") || d == "relais/app" {
			t.Errorf("the nogui build depends on %s", d)
		}
	}
	for _, tags := range []string{"", "gui"} {
		if d := deps(tags); !slices.Contains(d, "relais/app") || !slices.Contains(d, "fyne.io/fyne/v2") {
			t.Errorf("the build with tags %q lost the window (no relais/app or fyne.io/fyne/v2)", tags)
		}
	}
	if out, err := exec.Command("go", "build", "-tags", "gui,nogui", "-o", os.DevNull, ".").CombinedOutput(); err == nil ||
		!strings.Contains(string(out), "exclude each other") {
		t.Errorf("go build -tags gui,nogui: %v, want the refusal\n%s", err, out)
	}

	bin := filepath.Join(t.TempDir(), "relais")
	if out, err := exec.Command("go", "build", "-tags", "nogui", "-o", bin, ".").CombinedOutput(); err != nil {
		t.Fatalf("go build -tags nogui: %v\n%s", err, out)
	}
	libs, err := exec.Command("ldd", bin).CombinedOutput()
	// ldd exits 1 on a static binary ("not a dynamic executable"): nothing linked.
	if err != nil && !strings.Contains(string(libs), "not a dynamic executable") {
		t.Fatalf("ldd: %v\n%s", err, libs)
	}
	for _, lib := range graphicsLibs {
		if strings.Contains(string(libs), lib) {
			t.Errorf("the nogui build links %s:\n%s", lib, libs)
		}
	}

	run := func(lang string, args ...string) (string, int) {
		t.Helper()
		cmd := exec.Command(bin, args...)
		cmd.Env = append(os.Environ(), "LANG="+lang, "LC_ALL=", "LC_MESSAGES=", "LANGUAGE=", "RELAIS_HOME="+t.TempDir())
		out, err := cmd.CombinedOutput()
		var ee *exec.ExitError
		if errors.As(err, &ee) {
			return string(out), ee.ExitCode()
		} else if err != nil {
			t.Fatalf("%s %v: %v", bin, args, err)
		}
		return string(out), 0
	}
	for _, tt := range []struct {
		lang string
		args []string
		want string
	}{
		{"fr_FR.UTF-8", nil, "Cette version de Relais est sans fenêtre"},
		{"en_GB.UTF-8", nil, "This build of Relais has no window"},
		{"C.UTF-8", nil, "Cette version de Relais est sans fenêtre"}, // as the CLI: French when the locale says nothing
		{"fr_FR.UTF-8", []string{"demo"}, "lancez relais demo --headless."},
		{"en_GB.UTF-8", []string{"demo"}, "run relais demo --headless."},
	} {
		out, code := run(tt.lang, tt.args...)
		if code != 2 || !strings.Contains(out, tt.want) || strings.Count(strings.TrimSpace(out), "\n") != 0 ||
			strings.Contains(out, "goroutine") || strings.Contains(out, "cli.nogui") {
			t.Errorf("%s relais %v: exit %d, want 2 and one sentence containing %q:\n%s", tt.lang, tt.args, code, tt.want, out)
		}
	}
	// Its help does not promise the app: it asks for a command.
	for _, tt := range []struct{ lang, arg, want, never string }{
		{"fr_FR.UTF-8", "help", "Cette version de Relais est sans fenêtre : donnez-lui toujours une commande.", "ouvre l'application"},
		{"en_GB.UTF-8", "help", "This build of Relais has no window: always give it a command.", "opens the app"},
		{"en_GB.UTF-8", "--help", "This build of Relais has no window: always give it a command.", "opens the app"},
	} {
		if out, code := run(tt.lang, tt.arg); code != 0 || !strings.Contains(out, "Usage") || !strings.Contains(out, tt.want) || strings.Contains(out, tt.never) {
			t.Errorf("%s relais %s: exit %d, want %q and not %q\n%s", tt.lang, tt.arg, code, tt.want, tt.never, out)
		}
	}
	if out, code := run("en_GB.UTF-8", "helper", "--help"); code != 0 || !strings.Contains(out, "relais helper") {
		t.Errorf("relais helper --help: exit %d\n%s", code, out)
	}
	out, code := run("en_GB.UTF-8", "version", "--json")
	var v struct{ Version, Fyne string }
	if err := json.Unmarshal([]byte(out), &v); err != nil || code != 0 || v.Fyne != "none" || v.Version == "" {
		t.Errorf("relais version --json: exit %d, %v, %+v\n%s", code, err, v, out)
	}
}
