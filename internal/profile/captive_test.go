package profile

import (
	"net/url"
	"strings"
	"testing"
)

// TestCaptive: [captive] is optional; when present its url is an absolute
// http or https URL and its expect_status a status between 200 and 599,
// each error on the key's own line with a coded problem.
func TestCaptive(t *testing.T) {
	cases := []struct {
		name, add, want string
	}{
		{"http", "\n[captive]\nurl = \"http://portail-test.example.org/ok\"\nexpect_status = 204\n", ""},
		{"https 200", "\n[captive]\nurl = \"https://portail-test.example.org/ok\"\nexpect_status = 200\n", ""},
		{"status absent", "\n[captive]\nurl = \"http://portail-test.example.org/ok\"\n", ""},
		{"url missing", "\n[captive]\nexpect_status = 204\n", "22: captive.url: required"},
		{"url empty", "\n[captive]\nurl = \" \"\n", "23: captive.url: must not be empty"},
		{"url relative", "\n[captive]\nurl = \"/ok\"\n", "23: captive.url: must be an absolute URL"},
		{"url ftp", "\n[captive]\nurl = \"ftp://portail.example.org/ok\"\n", "23: captive.url: scheme must be http or https"},
		{"url file", "\n[captive]\nurl = \"file:///etc/passwd\"\n", "23: captive.url: scheme must be http or https"},
		{"url no host", "\n[captive]\nurl = \"http:///ok\"\n", "23: captive.url: URL must have a host"},
		{"url userinfo", "\n[captive]\nurl = \"http://a:b@portail.example.org/ok\"\n", "23: captive.url: must not contain a user name or password"},
		{"url invalid", "\n[captive]\nurl = \"http://por tail.example.org/%zz\"\n", "23: captive.url: invalid URL"},
		{"url control", "\n[captive]\nurl = \"http://portail.example.org/\\nok\"\n", "23: captive.url: invalid URL"},
		{"status low", "\n[captive]\nurl = \"http://p.example.org/ok\"\nexpect_status = 199\n", "24: captive.expect_status: must be between 200 and 599"},
		{"status high", "\n[captive]\nurl = \"http://p.example.org/ok\"\nexpect_status = 600\n", "24: captive.expect_status: must be between 200 and 599"},
		{"status zero", "\n[captive]\nurl = \"http://p.example.org/ok\"\nexpect_status = 0\n", "24: captive.expect_status: must be between 200 and 599"},
		{"status string", "\n[captive]\nurl = \"http://p.example.org/ok\"\nexpect_status = \"204\"\n", "24: captive.expect_status:"},
		{"unknown key", "\n[captive]\nurl = \"http://p.example.org/ok\"\nbody = \"Success\"\n", "24: captive.body: unknown key"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			src := base + tc.add
			p, err := Parse("p.toml", []byte(src))
			if tc.want == "" {
				if err != nil {
					t.Fatalf("unexpected error:\n%v", err)
				}
				if p.Captive == nil || p.Captive.URL == "" {
					t.Fatalf("no [captive]: %+v", p.Captive)
				}
				return
			}
			if err == nil {
				t.Fatalf("no error, want %s", tc.want)
			}
			for _, e := range errorList(t, err) {
				if strings.HasPrefix(e.Error(), "p.toml:"+tc.want) {
					return
				}
			}
			t.Errorf("want p.toml:%s\ngot:\n%v\nsource:\n%s", tc.want, err, numbered(src))
		})
	}
}

// TestCaptiveStatus: an absent expect_status (or no [captive]) means 204.
func TestCaptiveStatus(t *testing.T) {
	p, err := Parse("p.toml", []byte(base+"\n[captive]\nurl = \"http://p.example.org/ok\"\n"))
	if err != nil {
		t.Fatal(err)
	}
	if got := p.Captive.Status(); got != 204 {
		t.Errorf("status %d, want 204", got)
	}
	var none *Captive
	if got := none.Status(); got != 204 {
		t.Errorf("no [captive]: status %d, want 204", got)
	}
	p, err = Parse("p.toml", []byte(base+"\n[captive]\nurl = \"http://p.example.org/ok\"\nexpect_status = 200\n"))
	if err != nil {
		t.Fatal(err)
	}
	if got := p.Captive.Status(); got != 200 {
		t.Errorf("status %d, want 200", got)
	}
	p, err = Parse("p.toml", []byte(base))
	if err != nil {
		t.Fatal(err)
	}
	if p.Captive != nil {
		t.Errorf("base has a [captive]: %+v", p.Captive)
	}
}

// FuzzCaptiveURLProblem: whatever the text, the check does not panic, and
// what it accepts is an http or https URL with a host and no user.
func FuzzCaptiveURLProblem(f *testing.F) {
	for _, s := range []string{"http://portail-test.example.org/ok", "https://p.example.org", "ftp://x", "/ok",
		"http://a:b@x/", "http:///", "", " http://x/", "http://[::1]:80/x", "HTTP://X/", "http://x/\x00"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		if p := CaptiveURLProblem(s); p.ok() {
			u := mustURL(t, s)
			if (u.Scheme != "http" && u.Scheme != "https") || u.Hostname() == "" || u.User != nil {
				t.Fatalf("accepted %q", s)
			}
		} else if p.English() == "" {
			t.Fatalf("%q: a problem without words", s)
		}
	})
}

func mustURL(t *testing.T, s string) *url.URL {
	t.Helper()
	u, err := url.Parse(s)
	if err != nil {
		t.Fatalf("accepted %q: %v", s, err)
	}
	return u
}
