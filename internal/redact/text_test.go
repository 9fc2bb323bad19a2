package redact

import (
	"encoding/base64"
	"encoding/hex"
	"net/url"
	"strings"
	"testing"
	"unsafe"
)

func TestText(t *testing.T) {
	t.Parallel()
	key := "yAnz5TF+lXXJte14tji3zlMNq+hd2rYUIgJBgB3fBmk="
	tests := []struct {
		in, want string
		n        int
	}{
		{"PrivateKey = " + key, "PrivateKey = [REDACTED]", 1},
		{"PresharedKey=" + key, "PresharedKey=[REDACTED]", 1},
		{`{"private_key": "` + key + `"}`, `{"private_key": "[REDACTED]"}`, 1},
		{"private key: " + key, "private key: [REDACTED]", 1},
		{"PublicKey = " + key, "PublicKey = " + key, 0},
		{`server_public_key = "` + key + `"`, `server_public_key = "` + key + `"`, 0},
		{"GET https://h.example.org/p?token=abc123&v=2", "GET https://h.example.org/p?token=[REDACTED]&v=2", 1},
		{"?access_token=x1&api_key=y2&apikey=z3&key=k4&sig=s5&pwd=p6&secret=s7", "?access_token=[REDACTED]&api_key=[REDACTED]&apikey=[REDACTED]&key=[REDACTED]&sig=[REDACTED]&pwd=[REDACTED]&secret=[REDACTED]", 7},
		{"password: correct-horse", "password: [REDACTED]", 1},
		{`password = "correct horse battery"`, `password = "[REDACTED]"`, 1},
		{"dbPassword=x1y2", "dbPassword=[REDACTED]", 1},
		{"https://user:hunter2@host.example.org/x", "https://REDACTED@host.example.org/x", 1},
		{"ftp://anonymous@ftp.example.org", "ftp://REDACTED@ftp.example.org", 1},
		{"Authorization: Basic dXNlcjpwYXNz", "Authorization: [REDACTED]", 1},
		{"curl -H 'Authorization: Bearer abc.def.ghi'", "curl -H 'Authorization: [REDACTED]'", 1},
		{"sent Bearer abc.def.ghi to the server", "sent Bearer [REDACTED] to the server", 1},
		{"Cookie: session=1; lang=fr\nnext line", "Cookie: [REDACTED]\nnext line", 1},
		{"Set-Cookie: id=a3fWa; Secure", "Set-Cookie: [REDACTED]", 1},
		{`{"Authorization":"Bearer x"}`, `{"Authorization":"[REDACTED]"}`, 1},
		{"identity AGE-SECRET-KEY-1GFPYYSJZGFPYYSJZGFPYYSJZGFPYYSJZGFPYYSJZGFPYYSJZGFPQ4EGAEX here", "identity [REDACTED] here", 1},
		// Words are not secrets.
		{"the key: minisign", "the key: minisign", 0},
		{"monkey=3 Signature: valid tokens=12 keyboard=fr", "monkey=3 Signature: valid tokens=12 keyboard=fr", 0},
		{"Token expired, password reset", "Token expired, password reset", 0},
		{"[[apps.checks]] id = \"paie-web\"", "[[apps.checks]] id = \"paie-web\"", 0},
		{"already: PrivateKey = [REDACTED]", "already: PrivateKey = [REDACTED]", 0},
	}
	for _, tt := range tests {
		r := New()
		if got := r.Text(tt.in); got != tt.want || r.Count() != tt.n {
			t.Errorf("Text(%q)\n got %q (%d)\nwant %q (%d)", tt.in, got, r.Count(), tt.want, tt.n)
		}
		if got := Text(tt.in); got != tt.want {
			t.Errorf("Text(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

// Known secrets go in every form, and none shorter than MinSecretLen.
func TestTextKnownSecrets(t *testing.T) {
	t.Parallel()
	key := "yAnz5TF+lXXJte14tji3zlMNq+hd2rYUIgJBgB3fBmk="
	r := New(key, "tok<&>\"en", "ab", "")
	raw, _ := base64.StdEncoding.DecodeString(key)
	in := strings.Join([]string{key, url.QueryEscape(key), strings.ReplaceAll(strings.ReplaceAll(url.QueryEscape(key), "%2B", "%2b"), "%3D", "%3d"), url.PathEscape(key),
		hex.EncodeToString(raw), "tok&lt;&amp;&gt;&#34;en", `tok\u003c\u0026\u003e\"en`, "tok<&>\"en", "ab cd"}, " | ")
	got := r.Text(in)
	want := strings.Repeat("[REDACTED] | ", 8) + "ab cd"
	if got != want {
		t.Errorf("got  %s\nwant %s", got, want)
	}
	if r.Count() != 8 {
		t.Errorf("count %d", r.Count())
	}
	if Text("key="+key, key) != "key=[REDACTED]" {
		t.Error("Text")
	}
}

// FuzzText: no text panics, and a known secret put anywhere in any text
// never survives, as it is or query-escaped.
func FuzzText(f *testing.F) {
	f.Add("log line: ", "yAnz5TF+lXXJte14tji3zlMNq+hd2rYUIgJBgB3fBmk=", uint(4))
	f.Add("PrivateKey = ", "S3CRET-TOKEN-123", uint(0))
	f.Add("https://x.example.org/?token=", "p@ss w0rd&x", uint(30))
	f.Add("", "AGE-SECRET-KEY-1XYZ", uint(0))
	f.Fuzz(func(t *testing.T, text, secret string, at uint) {
		if len(secret) < MinSecretLen || strings.Contains(secret, "[REDACTED]") || strings.Contains(secret, "REDACTED") {
			return
		}
		i := int(at % uint(len(text)+1))
		planted := text[:i] + secret + text[i:] + " " + url.QueryEscape(secret)
		r := New(secret)
		out := r.Text(planted)
		if strings.Contains(out, secret) || strings.Contains(out, url.QueryEscape(secret)) {
			t.Fatalf("secret %q survives in %q", secret, out)
		}
		if r.Count() < 2 {
			t.Fatalf("count %d", r.Count())
		}
		_ = Text(text) // no panic without known secrets either
	})
}

func TestMapLines(t *testing.T) {
	t.Parallel()
	upper := func(l string) string {
		if strings.HasPrefix(l, "x") {
			return strings.ToUpper(l)
		}
		return l
	}
	tests := []struct{ in, want string }{
		{"", ""},
		{"a\nb\n", "a\nb\n"},
		{"a\nxb\nc", "a\nXB\nc"},
		{"xa\r\nb\n", "XA\r\nb\n"},
		{"a\n\nxc\n", "a\n\nXC\n"},
		{"xa", "XA"},
	}
	for _, tt := range tests {
		var seen []string
		got := MapLines(tt.in, func(l string) string { seen = append(seen, l); return upper(l) })
		if got != tt.want {
			t.Errorf("MapLines(%q) = %q, want %q", tt.in, got, tt.want)
		}
		if strings.Contains(strings.Join(seen, ""), "\n") {
			t.Errorf("MapLines(%q) gave f a newline: %q", tt.in, seen)
		}
	}
	// Nothing changed: the very same string, no copy.
	in := "a\nb\nc"
	if got := MapLines(in, func(l string) string { return l }); unsafe.StringData(got) != unsafe.StringData(in) {
		t.Error("MapLines copied a text it did not change")
	}
}
