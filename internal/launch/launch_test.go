package launch

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"regexp"
	"runtime"
	"slices"
	"strings"
	"testing"

	"relais/internal/i18n"
	"relais/internal/profile"
)

// recorder is a Launcher whose programs are recorded, never run.
type recorder struct {
	runs    [][]string
	present map[string]bool // what LookPath finds
}

func (rec *recorder) launcher(t *testing.T) *Launcher {
	return &Launcher{
		Exec: func(name string, args ...string) error {
			rec.runs = append(rec.runs, append([]string{name}, args...))
			return nil
		},
		LookPath: func(name string) (string, error) {
			if rec.present[name] {
				return "/fake/bin/" + name, nil
			}
			return "", errors.New("not found")
		},
		Getenv:  func(string) string { return "" },
		DataDir: t.TempDir(),
	}
}

// wantDefault is the argv the platform's default handler gets for url.
func wantDefault(url string) []string {
	switch runtime.GOOS {
	case "darwin":
		return []string{"/usr/bin/open", url}
	case "windows":
		return []string{`C:\Windows\System32\rundll32.exe`, "url.dll,FileProtocolHandler", url}
	}
	return []string{"xdg-open", url}
}

func link(url, via string) profile.Link {
	return profile.Link{ID: "l", URL: url, Via: via}
}

var testProxy = &Proxy{SOCKS5: "127.0.0.1:41080", HTTP: "127.0.0.1:48080"}

func TestSchemes(t *testing.T) {
	allowed := []string{"msteams", "ica"}
	for _, tt := range []struct {
		url     string
		allowed []string
		ok      bool
	}{
		{"https://portail.intra.example.org/", nil, true},
		{"http://portail.intra/", nil, true},
		{"HTTPS://portail.intra.example.org/", nil, true},
		{"msteams:/l/meetup-join/19%3ameeting%40thread.v2/0", allowed, true},
		{"MSTeams:/l/meetup-join/0", allowed, true},
		{"ica://bureau.intra.example.org/Desktop", allowed, true},
		{"msteams:/l/meetup-join/0", nil, false},
		{"javascript:alert(1)", allowed, false},
		{"JavaScript:alert(1)", allowed, false},
		{"file:///etc/passwd", allowed, false},
		{"ftp://ftp.example.org/", allowed, false},
		{"data:text/html,<script>alert(1)</script>", allowed, false},
		{"vbscript:msgbox", allowed, false},
		// Listed by a profile that escaped validation: still refused.
		{"javascript:alert(1)", []string{"javascript"}, false},
		{"file:///etc/passwd", []string{"file"}, false},
		{"ftp://ftp.example.org/", []string{"ftp"}, true},
	} {
		rec := &recorder{}
		res, err := rec.launcher(t).Open(context.Background(), link(tt.url, "direct"), tt.allowed, nil)
		if tt.ok {
			if err != nil || !slices.Equal(res.Argv, wantDefault(tt.url)) || len(rec.runs) != 1 || !slices.Equal(rec.runs[0], res.Argv) {
				t.Errorf("%s (allowed %v): %v, ran %q", tt.url, tt.allowed, err, rec.runs)
			}
			continue
		}
		var le *Error
		if !errors.Is(err, ErrSchemeNotAllowed) || !errors.As(err, &le) || len(rec.runs) != 0 {
			t.Errorf("%s (allowed %v): err %v, ran %q", tt.url, tt.allowed, err, rec.runs)
			continue
		}
		if le.Scheme != strings.ToLower(tt.url[:strings.IndexByte(tt.url, ':')]) {
			t.Errorf("%s: scheme %q", tt.url, le.Scheme)
		}
		if fr, en := le.Message(i18n.FR), le.Message(i18n.EN); !strings.Contains(fr, "« "+le.Scheme+" »") || !strings.Contains(en, `"`+le.Scheme+`"`) {
			t.Errorf("%s: messages %q / %q", tt.url, fr, en)
		}
	}
}

func TestInvalidURLs(t *testing.T) {
	for _, url := range []string{
		"",
		"https://portail.intra/\n",
		"https://portail.intra/\r\nX-Injected: 1",
		"https://portail.intra/\x00",
		"https://portail.intra/\x1b[2J",
		"https://portail.intra/\x7f",
		"https://portail.intra/\u0085",
		"https://portail.intra/\u2028",
		"https://portail.intra/\xff",
		"--proxy-server=socks5://evil.example:1080",
		"-https://portail.intra/",
		"//portail.intra/",
		"portail.intra",
		":https://x",
		"https:",
		"https://",
		"https:///etc/passwd",
		"https:portail.intra",
		"https://portail.intra/" + strings.Repeat("a", profile.MaxLinkURLLen),
	} {
		rec := &recorder{present: map[string]bool{"chromium": true}}
		l := rec.launcher(t)
		for _, via := range []string{"direct", "tunnel"} {
			_, err := l.Open(context.Background(), link(url, via), []string{"msteams"}, testProxy)
			if !errors.Is(err, ErrInvalidURL) {
				t.Errorf("%q via %s: %v", url, via, err)
			}
		}
		if len(rec.runs) != 0 {
			t.Errorf("%q: ran %q", url, rec.runs)
		}
	}
}

// hostile URLs hold what a shell would act on. They must reach the
// program as one argument, byte for byte.
var hostile = []string{
	"https://portail.intra/a;touch${IFS}/tmp/x",
	"https://portail.intra/a&b=1&c=2|cat",
	"https://portail.intra/$(id)/`id`/${HOME}",
	`https://portail.intra/'quoted'/"double"/\back`,
	"https://portail.intra/a b  c%20d?q=x y#frag ment",
	"https://portail.intra/*?[a-z]~!<in>out>>2&1^%PATH%",
	"msteams:/l/meetup-join/0;$(id)&|`x`",
}

func TestMetacharactersPassedLiterally(t *testing.T) {
	for _, url := range hostile {
		rec := &recorder{present: map[string]bool{"chromium": true, "firefox": true}}
		l := rec.launcher(t)
		res, err := l.Open(context.Background(), link(url, "direct"), []string{"msteams"}, testProxy)
		if err != nil {
			t.Fatalf("%q: %v", url, err)
		}
		if want := wantDefault(url); len(rec.runs) != 1 || !slices.Equal(rec.runs[0], want) || !slices.Equal(res.Argv, want) {
			t.Errorf("%q: ran %q, want %q", url, rec.runs, want)
		}
		if strings.HasPrefix(url, "msteams:") || runtime.GOOS != "linux" {
			continue
		}
		// Through the proxy, the browser gets the URL as its last
		// argument, unchanged.
		rec.runs = nil
		if _, err := l.Open(context.Background(), link(url, "tunnel"), nil, testProxy); err != nil {
			t.Fatalf("%q via tunnel: %v", url, err)
		}
		if len(rec.runs) != 1 || rec.runs[0][0] != "/fake/bin/chromium" || rec.runs[0][len(rec.runs[0])-1] != url ||
			slices.Index(rec.runs[0], url) != len(rec.runs[0])-1 {
			t.Errorf("%q via tunnel: ran %q", url, rec.runs)
		}
	}
}

func TestWhichWay(t *testing.T) {
	for _, tt := range []struct {
		name     string
		url, via string
		proxy    *Proxy
		method   Method
		notProxy bool
	}{
		{"direct link with a proxy", "https://www.example.org/", "direct", testProxy, MethodDefault, false},
		{"tunnel link in system mode", "https://portail.intra/", "tunnel", nil, MethodDefault, false},
		{"tunnel link, proxies off", "https://portail.intra/", "tunnel", &Proxy{}, MethodDefault, false},
		{"tunnel link in userspace mode", "https://portail.intra/", "tunnel", testProxy, MethodBrowser, false},
		{"tunnel link for another application", "ica://bureau.intra/Desktop", "tunnel", testProxy, MethodDefault, true},
	} {
		rec := &recorder{present: map[string]bool{"chromium": true}}
		res, err := rec.launcher(t).Open(context.Background(), link(tt.url, tt.via), []string{"ica"}, tt.proxy)
		if err != nil || res.Method != tt.method || res.ProxyNotApplied != tt.notProxy || len(rec.runs) != 1 {
			t.Errorf("%s: %+v %v ran %q", tt.name, res, err, rec.runs)
		}
		if tt.method == MethodDefault && !slices.Equal(rec.runs[0], wantDefault(tt.url)) {
			t.Errorf("%s: ran %q", tt.name, rec.runs)
		}
	}
}

func TestBadProxy(t *testing.T) {
	for _, addr := range []string{"10.0.0.1:1080", "0.0.0.0:1080", "portail.intra:1080", "127.0.0.1", "127.0.0.1:0",
		"127.0.0.1:65536", "127.0.0.1:+80", "[fe80::1%lo]:1080", "127.0.0.1:1080\"); user_pref(\"x"} {
		for _, p := range []*Proxy{{SOCKS5: addr}, {SOCKS5: "127.0.0.1:1080", HTTP: addr}} {
			rec := &recorder{present: map[string]bool{"chromium": true, "firefox": true}}
			_, err := rec.launcher(t).Open(context.Background(), link("https://portail.intra/", "tunnel"), nil, p)
			if !errors.Is(err, ErrBadProxy) || len(rec.runs) != 0 {
				t.Errorf("%+v: %v, ran %q", p, err, rec.runs)
			}
		}
	}
}

func TestNoBrowser(t *testing.T) {
	url := "https://portail.intra/"
	for _, tt := range []struct {
		proxy  Proxy
		fr, en []string
	}{
		{*testProxy,
			[]string{"SOCKS5 127.0.0.1:41080", "DNS distant", "proxy HTTP 127.0.0.1:48080", url},
			[]string{"SOCKS5 127.0.0.1:41080", "remote DNS", "HTTP proxy 127.0.0.1:48080", url}},
		{Proxy{SOCKS5: "127.0.0.1:41080"},
			[]string{"SOCKS5 127.0.0.1:41080", "DNS distant", url},
			[]string{"SOCKS5 127.0.0.1:41080", "remote DNS", url}},
		{Proxy{HTTP: "[::1]:48080"},
			[]string{"proxy HTTP [::1]:48080", url},
			[]string{"HTTP proxy [::1]:48080", url}},
	} {
		rec := &recorder{}
		p := tt.proxy
		_, err := rec.launcher(t).Open(context.Background(), link(url, "tunnel"), nil, &p)
		var le *Error
		if !errors.Is(err, ErrNoBrowser) || !errors.As(err, &le) || len(rec.runs) != 0 {
			t.Fatalf("%+v: %v, ran %q", p, err, rec.runs)
		}
		for lang, want := range map[string][]string{i18n.FR: tt.fr, i18n.EN: tt.en} {
			msg := le.Message(lang)
			for _, w := range want {
				if !strings.Contains(msg, w) {
					t.Errorf("%s message lacks %q: %s", lang, w, msg)
				}
			}
		}
		if !strings.Contains(err.Error(), "127.0.0.1:41080") && !strings.Contains(err.Error(), "[::1]:48080") {
			t.Errorf("Error(): %s", err)
		}
	}
}

func TestStartFailure(t *testing.T) {
	l := &Launcher{Exec: func(string, ...string) error { return errors.New("exit status 3") }}
	_, err := l.Open(context.Background(), link("https://www.example.org/", "direct"), nil, nil)
	var le *Error
	if !errors.Is(err, ErrStart) || !errors.As(err, &le) || le.ExitCode != 3 || strings.Contains(le.Message(i18n.EN), "exit status") {
		t.Fatalf("%v", err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := l.Open(ctx, link("https://www.example.org/", "direct"), nil, nil); !errors.Is(err, context.Canceled) {
		t.Fatalf("cancelled: %v", err)
	}
}

// Every message key this package uses exists in French and English (the
// i18n test covers only cli. and app. keys).
func TestMessageKeys(t *testing.T) {
	key := regexp.MustCompile(`"(launch\.[a-z0-9_]+(?:\.[a-z0-9_]+)+)"`)
	files, _ := filepath.Glob("*.go")
	var keys []string
	for _, f := range files {
		if strings.HasSuffix(f, "_test.go") {
			continue
		}
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		for _, m := range key.FindAllStringSubmatch(string(b), -1) {
			keys = append(keys, m[1])
		}
	}
	if len(keys) < 7 {
		t.Fatalf("found only %q", keys)
	}
	for _, lang := range []string{i18n.FR, i18n.EN} {
		cat, err := i18n.Catalog(lang)
		if err != nil {
			t.Fatal(err)
		}
		for _, k := range keys {
			if strings.TrimSpace(cat[k]) == "" {
				t.Errorf("%s: %s missing", lang, k)
			}
		}
	}
}
