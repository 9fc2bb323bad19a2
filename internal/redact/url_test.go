package redact

import (
	"net/url"
	"strings"
	"testing"
)

// The cases of the copies this package replaced: store's and profile's
// source URLs (URL), checks' targets and errors (Target, URLIn).
func TestURL(t *testing.T) {
	t.Parallel()
	for _, tt := range []struct{ in, want string }{
		// store: the password replaced, the user name kept.
		{"https://relais:hunter2@continuite.example.org/profile.toml", "https://relais:xxxxx@continuite.example.org/profile.toml"},
		{"https://relais@continuite.example.org/profile.toml", "https://relais@continuite.example.org/profile.toml"},
		{"https://continuite.example.org/profile.toml", "https://continuite.example.org/profile.toml"},
		// store, profile: anything that is not a URL with a scheme is unchanged.
		{"/etc/relais/profile.toml", "/etc/relais/profile.toml"},
		{`C:\ProgramData\Relais\profile.toml`, `C:\ProgramData\Relais\profile.toml`},
		{"bootstrap", "bootstrap"},
		{"", ""},
		{"%zz://bad", "%zz://bad"},
		// file URLs (the store's own) keep their query.
		{"file:///var/lib/relais/relais.db?_pragma=busy_timeout(5000)", "file:///var/lib/relais/relais.db?_pragma=busy_timeout(5000)"},
		// Stricter than the copies: query values named like secrets.
		{"https://continuite.example.org/p.toml?token=abc123&v=2", "https://continuite.example.org/p.toml?token=xxxxx&v=2"},
		{"https://h.example.org/?access_token=a1&api_key=b2&X-Amz-Signature=c3&sig=d4&pwd=e5&dbPassword=f6", "https://h.example.org/?access_token=xxxxx&api_key=xxxxx&X-Amz-Signature=xxxxx&sig=xxxxx&pwd=xxxxx&dbPassword=xxxxx"},
		{"https://u:pw@h.example.org/?token=t0k3n#frag", "https://u:xxxxx@h.example.org/?token=xxxxx#frag"},
		{"https://h.example.org/?public_key=AAAA&monkey=3&keyboard=fr&tokens=", "https://h.example.org/?public_key=AAAA&monkey=3&keyboard=fr&tokens="},
	} {
		if got := URL(tt.in); got != tt.want {
			t.Errorf("URL(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

func TestTargetAndURLIn(t *testing.T) {
	t.Parallel()
	target := "http://agent:s3cret@192.0.2.1:8080/?token=abc123"
	for _, tt := range []struct{ text, rawURL, want string }{
		{target, target, "http://xxxxx:xxxxx@192.0.2.1:8080/?…"},
		{`Get "` + target + `": dial tcp 192.0.2.1:8080: connect: connection refused`, target,
			`Get "http://xxxxx:xxxxx@192.0.2.1:8080/?…": dial tcp 192.0.2.1:8080: connect: connection refused`},
		{"http://agent@h.example.org/", "http://agent@h.example.org/", "http://xxxxx@h.example.org/"},
		// The password as written in the URL (escaped) goes too.
		{"https://u:p%40ss@h.example.org/ said p@ss", "https://u:p%40ss@h.example.org/", "https://xxxxx:xxxxx@h.example.org/ said xxxxx"},
		{"https://paie.intra.example.org/sante", "https://paie.intra.example.org/sante", "https://paie.intra.example.org/sante"},
		// Not a URL with a host: unchanged.
		{"paie.intra.example.org:443", "paie.intra.example.org:443", "paie.intra.example.org:443"},
		{"text", "", "text"},
	} {
		if got := URLIn(tt.text, tt.rawURL); got != tt.want {
			t.Errorf("URLIn(%q, %q) = %q, want %q", tt.text, tt.rawURL, got, tt.want)
		}
	}
	if got := Target(target); strings.Contains(got, "s3cret") || strings.Contains(got, "abc123") || strings.Contains(got, "agent") {
		t.Errorf("Target(%q) = %q", target, got)
	}
}

func TestSecretName(t *testing.T) {
	t.Parallel()
	for name, want := range map[string]bool{
		"token": true, "access_token": true, "myToken": true, "api-key": true, "key": true, "sig": true,
		"X-Amz-Signature": true, "auth": true, "client.credentials": true, "PWD": true, "psk": true,
		"public_key": false, "server_pubkey": false, "monkey": false, "keyboard": false, "v": false, "": false, "signal": false,
	} {
		if got := SecretName(name); got != want {
			t.Errorf("SecretName(%q) = %v, want %v", name, got, want)
		}
	}
}

// FuzzURL: no input panics URL, Target or URLIn, and a secret planted as
// a URL's password or as a token in its query never survives them.
func FuzzURL(f *testing.F) {
	f.Add("https://h.example.org/p?v=2", "hunter2", "profile.toml", uint8(0))
	f.Add("%zz", "p@ss w0rd&x", "a/b", uint8(1))
	f.Add("file:///x?y", "S3CRET-TOKEN-123", "", uint8(2))
	f.Fuzz(func(t *testing.T, any, secret, path string, where uint8) {
		_, _, _ = URL(any), Target(any), URLIn(any, any)
		_ = URLIn(secret, any)
		if len(secret) < MinSecretLen || strings.Contains("xxxxx…user", secret) {
			return
		}
		u := &url.URL{Scheme: "https", Host: "h.example.org", Path: "/" + path}
		if where%2 == 0 {
			u.User = url.UserPassword("user", secret)
		} else {
			u.RawQuery = url.Values{"v": {"2"}, "access_token": {secret}}.Encode()
		}
		raw := u.String()
		bare := (&url.URL{Scheme: "https", Host: "h.example.org", Path: "/" + path, User: url.User("user"), RawQuery: "v=2&access_token="}).String()
		forms := []string{secret, url.QueryEscape(secret), strings.TrimPrefix(url.UserPassword("", secret).String(), ":")}
		for _, f := range forms {
			if strings.Contains(bare, f) {
				return // the rest of the URL holds it already
			}
		}
		for name, out := range map[string]string{"URL": URL(raw), "Target": Target(raw), "URLIn": URLIn("error: "+raw, raw)} {
			for _, f := range forms {
				if strings.Contains(out, f) {
					t.Fatalf("%s(%q) = %q keeps the secret %q", name, raw, out, secret)
				}
			}
		}
	})
}
