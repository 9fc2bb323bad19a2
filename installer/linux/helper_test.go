package linux_test

import (
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"relais/internal/testenv"
)

// graphicsLibs are what the window needs (Fyne: GLFW, OpenGL, X11) and the
// helper, which runs as root, must not load.
var graphicsLibs = []string{"libGL", "libEGL", "libX11", "libxcb", "libXcursor", "libXrandr", "libXi", "libwayland"}

// The helper the .deb ships is the build without the window: ldd names no
// OpenGL, X11, xcb or EGL library (while /usr/bin/relais, the app, does
// link libGL: the check sees them where they are), it runs every command,
// and without one it says that it has no window.
func TestHelperBinaryLinksNoGraphics(t *testing.T) {
	b := packages(t)
	testenv.NeedTools(t, "ldd")
	root := t.TempDir()
	mustRun(t, "dpkg-deb", "-x", b.deb, root)
	helper := filepath.Join(root, "usr/libexec/relais/relais-helper")

	ldd := func(bin string) string {
		out, err := exec.Command("ldd", bin).CombinedOutput()
		// ldd exits 1 on a static binary: nothing linked at all.
		if err != nil && !strings.Contains(string(out), "not a dynamic executable") {
			t.Fatalf("ldd %s: %v\n%s", bin, err, out)
		}
		return string(out)
	}
	libs := ldd(helper)
	t.Logf("ldd relais-helper:\n%s", libs)
	for _, lib := range graphicsLibs {
		if strings.Contains(libs, lib) {
			t.Errorf("the helper links %s:\n%s", lib, libs)
		}
	}
	if app := ldd(filepath.Join(root, "usr/bin/relais")); !strings.Contains(app, "libGL") {
		t.Errorf("/usr/bin/relais (the app) links no libGL: is it the build with the window?\n%s", app)
	}

	cmd := exec.Command(helper)
	cmd.Env = append(os.Environ(), "LANG=en_GB.UTF-8", "LC_ALL=", "LC_MESSAGES=", "LANGUAGE=", "RELAIS_HOME="+t.TempDir())
	out, err := cmd.CombinedOutput()
	var ee *exec.ExitError
	if !errors.As(err, &ee) || ee.ExitCode() != 2 || !strings.Contains(string(out), "This build of Relais has no window") {
		t.Errorf("relais-helper without a command: %v, want exit 2 and the sentence:\n%s", err, out)
	}
	if out := mustRun(t, helper, "helper", "--help", "--lang", "en"); !strings.Contains(out, "relais helper") {
		t.Errorf("relais-helper helper --help:\n%s", out)
	}
}

// package.sh refuses, as the helper, a binary that links graphics
// libraries (the build with the window given by mistake).
func TestPackageRefusesGUIHelper(t *testing.T) {
	b := packages(t)
	cmd := exec.Command("./package.sh", version, b.bin, b.bin, filepath.Join(t.TempDir(), "out"))
	out, err := cmd.CombinedOutput()
	if err == nil || !strings.Contains(string(out), "links graphics libraries") {
		t.Errorf("package.sh with the app as helper: %v, want a refusal\n%s", err, out)
	}
}

// unitValues returns every value of key in the unit file text, in order
// (a key may be repeated; values are not split).
func unitValues(text, key string) []string {
	var vals []string
	for _, l := range strings.Split(text, "\n") {
		if v, ok := strings.CutPrefix(strings.TrimSpace(l), key+"="); ok {
			vals = append(vals, v)
		}
	}
	return vals
}

// The helper's unit leaves /etc read-only (DNS goes to systemd-resolved
// over D-Bus; the resolv.conf fallback needs the admin's drop-in): no
// ReadWritePaths, ReadWriteDirectories or BindPaths of /etc, below it or
// of /, the whole system read-only, AF_UNIX for the system bus, and a
// state directory of root's only.
func TestHelperUnitLeavesEtcReadOnly(t *testing.T) {
	text, err := os.ReadFile("relais-helper.service")
	if err != nil {
		t.Fatal(err)
	}
	unit := string(text)
	for _, key := range []string{"ReadWritePaths", "ReadWriteDirectories", "BindPaths"} {
		for _, v := range unitValues(unit, key) {
			for _, f := range strings.Fields(v) {
				for _, p := range strings.Split(strings.TrimLeft(f, "-+"), ":") {
					p = filepath.Clean(p)
					if p == "/" || p == "/etc" || strings.HasPrefix(p, "/etc/") {
						t.Errorf("%s=%s makes %s writable", key, v, p)
					}
				}
			}
		}
	}
	want := map[string]string{
		"ProtectSystem": "strict", "StateDirectory": "relais", "StateDirectoryMode": "0700",
		"ExecStart": "/usr/libexec/relais/relais-helper helper --group relais",
	}
	for key, w := range want {
		if got := unitValues(unit, key); len(got) != 1 || got[0] != w {
			t.Errorf("%s=%q, want %q", key, got, w)
		}
	}
	if af := unitValues(unit, "RestrictAddressFamilies"); len(af) != 1 || !strings.Contains(" "+af[0]+" ", " AF_UNIX ") {
		t.Errorf("RestrictAddressFamilies=%q: the system bus needs AF_UNIX", af)
	}
	for _, key := range []string{"PrivateNetwork", "ProtectProc", "InaccessiblePaths"} {
		if v := unitValues(unit, key); len(v) > 0 {
			t.Errorf("%s=%q: would keep the helper from the host's links, the system bus or its callers' /proc", key, v)
		}
	}
}

// maxExposure is `systemd-analyze security --offline=true` of the unit as
// it was before it stopped writing /etc (systemd 252, Debian 12): 2.9. The
// unit may only get better. Another systemd version may weigh the settings
// differently: update the figure with the version, never for a change of
// the unit.
const maxExposure = 2.9

// The unit's exposure, as systemd-analyze security scores it, is no worse
// than maxExposure.
func TestHelperUnitExposure(t *testing.T) {
	testenv.NeedTools(t, "systemd-analyze")
	unit, err := filepath.Abs("relais-helper.service")
	if err != nil {
		t.Fatal(err)
	}
	out, err := exec.Command("systemd-analyze", "security", "--offline=true", unit).CombinedOutput()
	testenv.Need(t, !strings.Contains(string(out), "unrecognized option"), "this systemd-analyze has no --offline (systemd 252 or later needed)")
	if err != nil {
		t.Fatalf("systemd-analyze security: %v\n%s", err, out)
	}
	m := regexp.MustCompile(`Overall exposure level for relais-helper\.service: ([0-9]+\.[0-9]+)`).FindSubmatch(out)
	if m == nil {
		t.Fatalf("no overall exposure level in:\n%s", out)
	}
	score, err := strconv.ParseFloat(string(m[1]), 64)
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("exposure %.1f (at most %.1f)", score, maxExposure)
	if score > maxExposure {
		t.Errorf("exposure %.1f, worse than %.1f:\n%s", score, maxExposure, out)
	}
}
