package launch

import (
	"bytes"
	"context"
	"errors"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"relais/internal/i18n"
	"relais/internal/testenv"
)

// fakeBin puts programs in a fresh directory that becomes the whole PATH.
// Each records its argv, NUL-separated, in dir/NAME.argv and exits with
// code.
type fakeBin struct {
	t   *testing.T
	dir string
}

func newFakeBin(t *testing.T) *fakeBin {
	dir := t.TempDir()
	t.Setenv("PATH", dir)
	return &fakeBin{t, dir}
}

func (f *fakeBin) add(name string, code int) {
	f.t.Helper()
	script := "#!/bin/sh\nprintf '%s\\0' \"$@\" > '" + filepath.Join(f.dir, name+".argv") + "'\nexit " + string(rune('0'+code)) + "\n"
	if err := os.WriteFile(filepath.Join(f.dir, name), []byte(script), 0o755); err != nil {
		f.t.Fatal(err)
	}
}

// argv is what name received, or nil if it never ran.
func (f *fakeBin) argv(name string) []string {
	f.t.Helper()
	b, err := os.ReadFile(filepath.Join(f.dir, name+".argv"))
	if errors.Is(err, os.ErrNotExist) {
		return nil
	}
	if err != nil {
		f.t.Fatal(err)
	}
	return strings.Split(strings.TrimSuffix(string(b), "\x00"), "\x00")
}

// The real thing: Open starts xdg-open found in PATH, with no shell in
// between. The hostile URLs arrive as one argument, byte for byte, and
// what they hold for a shell never runs.
func TestRealExecIsLiteral(t *testing.T) {
	bin := newFakeBin(t)
	bin.add("xdg-open", 0)
	marker := filepath.Join(t.TempDir(), "pwned")
	urls := append([]string{
		"https://portail.intra/$(touch " + marker + ")",
		"https://portail.intra/`touch " + marker + "`",
		"https://portail.intra/;touch " + marker + ";",
		"https://portail.intra/a&touch " + marker + "&",
		"https://portail.intra/a|touch " + marker,
		"https://portail.intra/'$(touch " + marker + ")'\"$(touch " + marker + ")\"",
	}, hostile...)
	l := &Launcher{}
	for _, url := range urls {
		os.Remove(filepath.Join(bin.dir, "xdg-open.argv"))
		res, err := l.Open(context.Background(), link(url, "direct"), []string{"msteams"}, nil)
		if err != nil {
			t.Fatalf("%q: %v", url, err)
		}
		if got := bin.argv("xdg-open"); !slices.Equal(got, []string{url}) {
			t.Errorf("xdg-open got %q, want [%q]", got, url)
		}
		if !slices.Equal(res.Argv, []string{"xdg-open", url}) {
			t.Errorf("result argv %q", res.Argv)
		}
	}
	if _, err := os.Stat(marker); !errors.Is(err, os.ErrNotExist) {
		t.Fatalf("a shell ran a command from a URL: %s exists", marker)
	}
}

func TestRealExecFailure(t *testing.T) {
	bin := newFakeBin(t)
	l := &Launcher{}
	_, err := l.Open(context.Background(), link("https://www.example.org/", "direct"), nil, nil)
	if !errors.Is(err, ErrStart) {
		t.Fatalf("no xdg-open: %v", err)
	}
	bin.add("xdg-open", 3) // xdg-open: "a required tool could not be found"
	_, err = l.Open(context.Background(), link("https://www.example.org/", "direct"), nil, nil)
	if !errors.Is(err, ErrStart) || !strings.Contains(err.Error(), "exit status 3") {
		t.Fatalf("xdg-open exit 3: %v", err)
	}
}

func TestBrowserDiscoveryOrder(t *testing.T) {
	for _, tt := range []struct {
		present []string
		want    string
	}{
		{[]string{"firefox", "brave-browser", "microsoft-edge", "google-chrome-stable", "google-chrome", "chromium-browser", "chromium"}, "chromium"},
		{[]string{"firefox", "google-chrome", "chromium-browser"}, "chromium-browser"},
		{[]string{"firefox", "google-chrome-stable", "google-chrome"}, "google-chrome"},
		{[]string{"firefox", "google-chrome-stable"}, "google-chrome-stable"},
		{[]string{"firefox", "brave-browser", "microsoft-edge"}, "microsoft-edge"},
		{[]string{"firefox", "brave-browser"}, "brave-browser"},
		{[]string{"firefox-esr", "firefox"}, "firefox"},
		{[]string{"firefox-esr"}, "firefox-esr"},
	} {
		rec := &recorder{present: map[string]bool{}}
		for _, p := range tt.present {
			rec.present[p] = true
		}
		l := rec.launcher(t)
		res, err := l.Open(context.Background(), link("https://portail.intra/", "tunnel"), nil, testProxy)
		if err != nil || res.Browser != tt.want || len(rec.runs) != 1 || rec.runs[0][0] != "/fake/bin/"+tt.want ||
			res.ProfileDir != filepath.Join(l.DataDir, "browsers", tt.want) {
			t.Errorf("with %v: %+v %v ran %q, want %s", tt.present, res, err, rec.runs, tt.want)
		}
	}
}

func checkPrivateDir(t *testing.T, dataDir, dir string) {
	t.Helper()
	if rel, err := filepath.Rel(dataDir, dir); err != nil || strings.HasPrefix(rel, "..") || rel == "." {
		t.Errorf("profile dir %s is not under %s", dir, dataDir)
	}
	fi, err := os.Stat(dir)
	if err != nil || !fi.IsDir() || fi.Mode().Perm() != 0o700 {
		t.Fatalf("profile dir %s: %v %v", dir, fi.Mode(), err)
	}
}

func TestChromiumStartedWithTheProxy(t *testing.T) {
	bin := newFakeBin(t)
	bin.add("google-chrome", 0)
	bin.add("firefox", 0)
	dataDir := filepath.Join(t.TempDir(), "relais") // not created yet
	l := &Launcher{DataDir: dataDir}
	url := "https://portail.intra/a b;$(id)"
	res, err := l.Open(context.Background(), link(url, "tunnel"), nil, testProxy)
	if err != nil {
		t.Fatal(err)
	}
	dir := filepath.Join(dataDir, "browsers", "google-chrome")
	want := []string{
		"--user-data-dir=" + dir,
		"--proxy-pac-url=http://127.0.0.1:48080/proxy.pac",
		"--no-first-run",
		"--no-default-browser-check",
		"--new-window",
		url,
	}
	if got := bin.argv("google-chrome"); !slices.Equal(got, want) {
		t.Errorf("google-chrome got\n%q\nwant\n%q", got, want)
	}
	if bin.argv("firefox") != nil {
		t.Error("firefox ran too")
	}
	if res.Method != MethodBrowser || res.Browser != "google-chrome" || res.ProfileDir != dir ||
		res.Proxy != "http://127.0.0.1:48080" || res.Argv[0] != filepath.Join(bin.dir, "google-chrome") {
		t.Errorf("result %+v", res)
	}
	checkPrivateDir(t, dataDir, dir)

	// Only a SOCKS5 proxy (no PAC without the HTTP proxy): everything
	// goes through it.
	os.Chmod(dir, 0o755) // an existing directory is made private again
	if _, err := l.Open(context.Background(), link(url, "tunnel"), nil, &Proxy{SOCKS5: "127.0.0.1:41080"}); err != nil {
		t.Fatal(err)
	}
	if got := bin.argv("google-chrome"); !slices.Contains(got, "--proxy-server=socks5://127.0.0.1:41080") || slices.ContainsFunc(got, func(a string) bool { return strings.HasPrefix(a, "--proxy-pac-url") }) {
		t.Errorf("SOCKS5 proxy only: %q", got)
	}
	checkPrivateDir(t, dataDir, dir)
}

func TestFirefoxStartedWithTheProxy(t *testing.T) {
	bin := newFakeBin(t)
	bin.add("firefox", 0)
	dataDir := t.TempDir()
	l := &Launcher{DataDir: dataDir}
	url := "https://portail.intra/?a=1&b='2'"
	res, err := l.Open(context.Background(), link(url, "tunnel"), nil, testProxy)
	if err != nil {
		t.Fatal(err)
	}
	dir := filepath.Join(dataDir, "browsers", "firefox")
	if got, want := bin.argv("firefox"), []string{"--profile", dir, "--new-instance", url}; !slices.Equal(got, want) {
		t.Errorf("firefox got %q, want %q", got, want)
	}
	if res.Browser != "firefox" || res.Proxy != "http://127.0.0.1:48080" {
		t.Errorf("result %+v", res)
	}
	checkPrivateDir(t, dataDir, dir)
	prefs := filepath.Join(dir, "user.js")
	b, err := os.ReadFile(prefs)
	if err != nil {
		t.Fatal(err)
	}
	for _, w := range []string{
		`user_pref("network.proxy.type", 2);`,
		`user_pref("network.proxy.autoconfig_url", "http://127.0.0.1:48080/proxy.pac");`,
		`user_pref("network.proxy.socks_remote_dns", true);`,
		`user_pref("network.trr.mode", 5);`,
	} {
		if !bytes.Contains(b, []byte(w)) {
			t.Errorf("user.js lacks %s:\n%s", w, b)
		}
	}
	if fi, err := os.Stat(prefs); err != nil || fi.Mode().Perm() != 0o600 {
		t.Errorf("user.js mode %v %v", fi.Mode(), err)
	}

	// The next tunnel has another port: user.js follows.
	if _, err := l.Open(context.Background(), link(url, "tunnel"), nil, &Proxy{HTTP: "127.0.0.1:48081"}); err != nil {
		t.Fatal(err)
	}
	b, _ = os.ReadFile(prefs)
	for _, w := range []string{`user_pref("network.proxy.type", 2);`, `user_pref("network.proxy.autoconfig_url", "http://127.0.0.1:48081/proxy.pac");`} {
		if !bytes.Contains(b, []byte(w)) {
			t.Errorf("HTTP only: user.js lacks %s:\n%s", w, b)
		}
	}
	// A SOCKS5 proxy only: set by hand, no PAC.
	if _, err := l.Open(context.Background(), link(url, "tunnel"), nil, &Proxy{SOCKS5: "127.0.0.1:41081"}); err != nil {
		t.Fatal(err)
	}
	b, _ = os.ReadFile(prefs)
	for _, w := range []string{`user_pref("network.proxy.type", 1);`, `user_pref("network.proxy.socks", "127.0.0.1");`,
		`user_pref("network.proxy.socks_port", 41081);`, `user_pref("network.proxy.socks_version", 5);`} {
		if !bytes.Contains(b, []byte(w)) {
			t.Errorf("SOCKS5 only: user.js lacks %s:\n%s", w, b)
		}
	}
	if bytes.Contains(b, []byte("autoconfig_url")) {
		t.Errorf("SOCKS5 only: user.js still names a PAC:\n%s", b)
	}
	if entries, _ := os.ReadDir(dir); len(entries) != 1 {
		t.Errorf("profile dir holds %v: a temporary file was left", entries)
	}
}

func TestNoBrowserInPath(t *testing.T) {
	bin := newFakeBin(t)
	bin.add("xdg-open", 0)
	_, err := (&Launcher{DataDir: t.TempDir()}).Open(context.Background(), link("https://portail.intra/", "tunnel"), nil, testProxy)
	if !errors.Is(err, ErrNoBrowser) {
		t.Fatal(err)
	}
	if bin.argv("xdg-open") != nil {
		t.Error("fell back to xdg-open, which would bypass the tunnel")
	}
}

// realXdgOpen runs the real xdg-open (xdg-utils) in a desktop that has no
// handler for any scheme: no desktop environment, no display, empty XDG
// directories, and for the fallback browser (BROWSER) a program that
// fails after delay, as a desktop's launcher does when it finds nothing.
// xdg-open tries BROWSER twice, then exits 3 ("no method available")
// after twice delay.
func realXdgOpen(t *testing.T, delay string) {
	t.Helper()
	real := testenv.NeedTools(t, "xdg-open", "xdg-mime", "sed", "sleep")
	dir := t.TempDir()
	if err := os.Symlink(real[0], filepath.Join(dir, "xdg-open")); err != nil {
		t.Fatal(err)
	}
	slow := filepath.Join(dir, "slow-handler")
	if err := os.WriteFile(slow, []byte("#!/bin/sh\nsleep "+delay+"\nexit 1\n"), 0o755); err != nil {
		t.Fatal(err)
	}
	t.Setenv("PATH", dir+":/usr/bin:/bin")
	for _, k := range []string{"DISPLAY", "WAYLAND_DISPLAY", "XDG_CURRENT_DESKTOP", "DESKTOP_SESSION", "KDE_FULL_SESSION", "GNOME_DESKTOP_SESSION_ID", "XDG_SESSION_DESKTOP"} {
		t.Setenv(k, "")
	}
	home := t.TempDir()
	t.Setenv("HOME", home)
	t.Setenv("XDG_DATA_HOME", filepath.Join(home, "data"))
	t.Setenv("XDG_CONFIG_HOME", filepath.Join(home, "config"))
	t.Setenv("XDG_DATA_DIRS", filepath.Join(home, "sysdata"))
	t.Setenv("XDG_CONFIG_DIRS", filepath.Join(home, "sysconfig"))
	t.Setenv("BROWSER", slow)
}

// A link nothing on the computer can open is not "opened": the real
// xdg-open, failing after about 1.5 s with exit 3, makes Open fail with a
// sentence that says so, in both languages, without "exit status".
func TestRealXdgOpenWithoutHandlerFails(t *testing.T) {
	realXdgOpen(t, "0.75")
	l := &Launcher{}
	for _, url := range []string{"msteams:/l/meetup-join/crise", "https://portail.urgence.example/"} {
		_, err := l.Open(context.Background(), link(url, "direct"), []string{"msteams"}, nil)
		var le *Error
		if !errors.As(err, &le) || !errors.Is(err, ErrStart) {
			t.Fatalf("%s: xdg-open exited 3 after 1.5 s, Open said %v", url, err)
		}
		if le.ExitCode != 3 {
			t.Errorf("%s: exit code %d, want 3", url, le.ExitCode)
		}
		for _, lang := range []string{i18n.FR, i18n.EN} {
			msg := le.Message(lang)
			if strings.Contains(msg, "exit status") || strings.Contains(msg, "xdg-open") {
				t.Errorf("%s %s: raw detail in %q", url, lang, msg)
			}
		}
	}
}

// A handler still running at the deadline has taken the link: Open
// returns without waiting for it to finish.
func TestRealXdgOpenStillRunningIsOpened(t *testing.T) {
	realXdgOpen(t, "3")
	l := &Launcher{}
	if _, err := l.Open(context.Background(), link("msteams:/l/meetup-join/crise", "direct"), []string{"msteams"}, nil); err != nil {
		t.Fatalf("a handler still running is an opened link: %v", err)
	}
}
