package avis_test

import (
	"encoding/base64"
	"html"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"aead.dev/minisign"

	"relais/internal/i18n"
	"relais/internal/notices"
	"relais/internal/server/avis"
	"relais/internal/server/db"
)

// Bad input gets a clear sentence in the form, keeps what was typed, and
// stores nothing: the endpoint still has no document.
func TestBadInputStoresNothing(t *testing.T) {
	t.Parallel()
	eachBackend(t, func(t *testing.T, opts db.Options) {
		_, priv := newKey(t)
		s := newSite(t, opts, avis.NewSigner(priv))
		with := func(base url.Values, kv ...string) url.Values {
			v := url.Values{}
			for k, vs := range base {
				v[k] = append([]string(nil), vs...)
			}
			for i := 0; i+1 < len(kv); i += 2 {
				v.Set(kv[i], kv[i+1])
			}
			return v
		}
		long := strings.Repeat("a", 5000)
		cases := []struct {
			name, path, lang string
			form             url.Values
			want             string
		}{
			{"no french", "/avis/avis", "fr", with(noticeForm(), "text_fr", "  "), i18n.T("fr", "avis.err.text_missing_fr")},
			{"no english", "/avis/avis", "en", with(noticeForm(), "text_en", ""), i18n.T("en", "avis.err.text_missing_en")},
			{"until before from", "/avis/avis", "fr", with(noticeForm(), "from", "2026-12-05T15:00"), i18n.T("fr", "avis.err.until_before_from")},
			{"until past", "/avis/avis", "fr", with(noticeForm(), "until", "2026-12-05T08:00"), i18n.T("fr", "avis.err.until_past")},
			{"bell character", "/avis/avis", "fr", with(noticeForm(), "text_fr", "Paie\x07 en panne"), i18n.T("fr", "avis.err.text_control_fr", "U+0007")},
			{"bidi override", "/avis/avis", "en", with(noticeForm(), "text_en", "Payroll \u202eNWOD"), i18n.T("en", "avis.err.text_control_en", "U+202E")},
			{"5000 characters", "/avis/avis", "fr", with(noticeForm(), "text_fr", long), i18n.T("fr", "avis.err.text_too_long_fr", i18n.Integer("fr", 5000), i18n.Integer("fr", 1000))},
			{"level", "/avis/avis", "fr", with(noticeForm(), "level", "red"), i18n.T("fr", "avis.err.level")},
			{"unreadable date", "/avis/avis", "en", with(noticeForm(), "until", "tomorrow"), i18n.T("en", "avis.err.date_until")},
			{"window without app", "/avis/maintenance", "fr", with(windowForm(), "app", ""), i18n.T("fr", "avis.err.app_missing")},
			{"window bad app", "/avis/maintenance", "fr", with(windowForm(), "app", "Paie RH"), i18n.T("fr", "avis.err.app")},
			{"window without end", "/avis/maintenance", "en", with(windowForm(), "until", ""), i18n.T("en", "avis.err.window_until")},
			{"window half text", "/avis/maintenance", "fr", with(windowForm(), "text_en", ""), i18n.T("fr", "avis.err.window_text_half")},
			{"window backwards", "/avis/maintenance", "fr", with(windowForm(), "from", "2026-12-05T15:00"), i18n.T("fr", "avis.err.until_before_from")},
		}
		for _, c := range cases {
			status, _, body := s.post(t, c.path+"?lang="+c.lang, c.form)
			text := html.UnescapeString(body)
			if status != http.StatusUnprocessableEntity {
				t.Errorf("%s: status %d", c.name, status)
			}
			if !strings.Contains(text, c.want) || !strings.Contains(text, i18n.T(c.lang, "avis.err.summary")) {
				t.Errorf("%s: the sentence %q is not on the page", c.name, c.want)
			}
			if !strings.Contains(body, `aria-invalid="true"`) {
				t.Errorf("%s: no field marked invalid", c.name)
			}
			// What was typed is there again (the text as sent).
			for _, k := range []string{"text_fr", "text_en", "app"} {
				if v := strings.TrimSpace(c.form.Get(k)); v != "" && !strings.Contains(text, v) {
					t.Errorf("%s: %s was lost", c.name, k)
				}
			}
		}
		if resp, _ := s.get(t, avis.PathDocument); resp.StatusCode != http.StatusNotFound {
			t.Fatalf("a document was published: %d", resp.StatusCode)
		}
		if items, err := s.db.OpenNoticeItems(ctxFor(t), s.clock.Now()); err != nil || len(items) != 0 {
			t.Fatalf("stored %+v %v", items, err)
		}
		// A text area's line breaks become spaces, not a refusal.
		status, _, _ := s.post(t, "/avis/avis", with(noticeForm(), "text_fr", "Ligne un\r\nligne deux"))
		if status != http.StatusSeeOther {
			t.Fatalf("line breaks: %d", status)
		}
	})
}

// The 51st current notice is refused by the document's own rules, with a
// sentence, and stores nothing.
func TestTooManyNotices(t *testing.T) {
	t.Parallel()
	_, priv := newKey(t)
	s := newSite(t, db.Options{DataDir: t.TempDir()}, avis.NewSigner(priv))
	for i := 0; i < notices.MaxNotices; i++ {
		if status, _, body := s.post(t, "/avis/avis", noticeForm()); status != http.StatusSeeOther {
			t.Fatalf("notice %d: %d %s", i, status, body)
		}
	}
	status, _, body := s.post(t, "/avis/avis", noticeForm())
	if status != http.StatusUnprocessableEntity ||
		!strings.Contains(html.UnescapeString(body), i18n.T("fr", "avis.err.too_many", notices.MaxNotices, notices.MaxWindows)) {
		t.Fatalf("%d %s", status, body)
	}
	if latest, _ := s.db.LatestNoticeDocument(ctxFor(t)); latest.Serial != notices.MaxNotices {
		t.Fatalf("serial %d", latest.Serial)
	}
}

// Conditional GET: ETag is the document's SHA-256, 304 to If-None-Match
// and to If-Modified-Since; Cache-Control: no-cache; a new document
// answers 200 to the old validator.
func TestConditionalGet(t *testing.T) {
	t.Parallel()
	pub, priv := newKey(t)
	s := newSite(t, db.Options{DataDir: t.TempDir()}, avis.NewSigner(priv))
	if resp, _ := s.get(t, avis.PathDocument); resp.StatusCode != http.StatusNotFound {
		t.Fatalf("nothing published yet: %d", resp.StatusCode)
	}
	s.post(t, "/avis/avis", noticeForm())
	resp, body := s.get(t, avis.PathDocument)
	d, err := notices.Parse(body)
	if err != nil {
		t.Fatal(err)
	}
	etag, lastMod := resp.Header.Get("ETag"), resp.Header.Get("Last-Modified")
	if resp.StatusCode != http.StatusOK || etag != `"`+d.SHA256+`"` || lastMod != "Sat, 05 Dec 2026 08:00:00 GMT" ||
		resp.Header.Get("Cache-Control") != "no-cache" || resp.Header.Get("Content-Type") != "application/json" {
		t.Fatalf("%d %v", resp.StatusCode, resp.Header)
	}
	if resp, b := s.get(t, avis.PathDocument, "If-None-Match", etag); resp.StatusCode != http.StatusNotModified || len(b) != 0 {
		t.Fatalf("If-None-Match: %d %q", resp.StatusCode, b)
	}
	if resp, _ := s.get(t, avis.PathDocument, "If-Modified-Since", lastMod); resp.StatusCode != http.StatusNotModified {
		t.Fatalf("If-Modified-Since: %d", resp.StatusCode)
	}
	resp, sig := s.get(t, avis.PathSignature)
	if resp.StatusCode != http.StatusOK || notices.Verify(body, sig, pub) != nil {
		t.Fatalf("signature: %d", resp.StatusCode)
	}
	s.clock.Add(5 * 60e9)
	s.post(t, "/avis/maintenance", windowForm())
	resp, body2 := s.get(t, avis.PathDocument, "If-None-Match", etag)
	if resp.StatusCode != http.StatusOK || resp.Header.Get("ETag") == etag || string(body2) == string(body) {
		t.Fatalf("after a new document: %d", resp.StatusCode)
	}
	if resp, _ := s.get(t, avis.PathDocument, "If-Modified-Since", lastMod); resp.StatusCode != http.StatusOK {
		t.Fatalf("If-Modified-Since after a new document: %d", resp.StatusCode)
	}
}

// Without a notice key the page says so and how to configure one; nothing
// can be posted; the endpoint answers 404 even with documents stored.
func TestWithoutNoticeKey(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	_, priv := newKey(t)
	// A document stored while the server had a key.
	s1 := newSite(t, db.Options{DataDir: dir}, avis.NewSigner(priv))
	s1.post(t, "/avis/avis", noticeForm())
	s1.db.Close()

	s := newSite(t, db.Options{DataDir: dir}, nil)
	for _, lang := range []string{"fr", "en"} {
		resp, page := s.get(t, "/avis?lang="+lang)
		text := html.UnescapeString(string(page))
		if resp.StatusCode != http.StatusOK || !strings.Contains(text, i18n.T(lang, "avis.off.what")) ||
			!strings.Contains(text, `notice_key_file = "/etc/relais/notices.key"`) || strings.Contains(text, "<form") {
			t.Fatalf("%s page: %d\n%s", lang, resp.StatusCode, text)
		}
	}
	status, _, body := s.post(t, "/avis/avis", noticeForm())
	if status != http.StatusConflict || !strings.Contains(html.UnescapeString(body), i18n.T("fr", "avis.err.not_configured")) {
		t.Fatalf("post: %d", status)
	}
	for _, p := range []string{avis.PathDocument, avis.PathSignature} {
		if resp, _ := s.get(t, p); resp.StatusCode != http.StatusNotFound {
			t.Fatalf("%s: %d", p, resp.StatusCode)
		}
	}
}

// A hostile text is published as text and shown escaped.
func TestHostileTextEscaped(t *testing.T) {
	t.Parallel()
	_, priv := newKey(t)
	s := newSite(t, db.Options{DataDir: t.TempDir()}, avis.NewSigner(priv))
	hostile := `<script>window.__pwned=1</script><img src=x onerror="window.__pwned=1">`
	f := noticeForm()
	f.Set("text_fr", hostile)
	f.Set("text_en", `"><a href="javascript:window.__pwned=1">x</a>`)
	if status, _, body := s.post(t, "/avis/avis", f); status != http.StatusSeeOther {
		t.Fatalf("%d %s", status, body)
	}
	_, page := s.get(t, "/avis")
	text := string(page)
	if strings.Contains(text, "<script>window") || strings.Contains(text, "<img src=x") || strings.Contains(text, `<a href="javascript`) {
		t.Fatalf("unescaped:\n%s", text)
	}
	if !strings.Contains(text, "&lt;script&gt;window.__pwned=1&lt;/script&gt;") {
		t.Fatalf("the text is not shown:\n%s", text)
	}
	// The same, typed again into a refused form.
	f.Set("text_en", "")
	_, _, body := s.post(t, "/avis/avis", f)
	if strings.Contains(body, "<script>window") || !strings.Contains(body, "&lt;script&gt;") {
		t.Fatalf("refused form unescaped:\n%s", body)
	}
}

func writeKey(t *testing.T, text []byte, mode os.FileMode) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), "notices.key")
	if err := os.WriteFile(p, text, mode); err != nil {
		t.Fatal(err)
	}
	if err := os.Chmod(p, mode); err != nil {
		t.Fatal(err)
	}
	return p
}

func TestLoadSigner(t *testing.T) {
	t.Parallel()
	pub, priv := newKey(t)
	good, err := priv.MarshalText()
	if err != nil {
		t.Fatal(err)
	}
	s, err := avis.LoadSigner(writeKey(t, good, 0o600))
	if err != nil || s.PublicKeyText() != pub.String() || !s.PublicKey().Equal(pub) {
		t.Fatal(s, err)
	}
	// An encrypted key: the same bytes with the scrypt KDF marked.
	raw, _ := base64.StdEncoding.DecodeString(strings.TrimSpace(strings.SplitN(string(good), "\n", 2)[1]))
	raw[2], raw[3] = 'S', 'c'
	encrypted := []byte("untrusted comment: minisign encrypted secret key\n" + base64.StdEncoding.EncodeToString(raw) + "\n")
	if !minisign.IsEncrypted(encrypted) {
		t.Fatal("the crafted key is not marked encrypted")
	}
	dir := t.TempDir()
	cases := []struct {
		name, path, code string
	}{
		{"group-readable", writeKey(t, good, 0o640), avis.KeyPermissions},
		{"world-readable", writeKey(t, good, 0o604), avis.KeyPermissions},
		{"encrypted", writeKey(t, encrypted, 0o600), avis.KeyEncrypted},
		{"a public key", writeKey(t, []byte(pub.String()), 0o600), avis.KeyInvalid},
		{"garbage", writeKey(t, []byte("hello"), 0o600), avis.KeyInvalid},
		{"missing", filepath.Join(dir, "none.key"), avis.KeyUnreadable},
		{"a directory", dir, avis.KeyUnreadable},
	}
	for _, c := range cases {
		s, err := avis.LoadSigner(c.path)
		ke, ok := err.(*avis.KeyError)
		if s != nil || !ok || ke.Code != c.code || ke.Path != c.path {
			t.Errorf("%s: %v %v", c.name, s, err)
			continue
		}
		if strings.Contains(err.Error(), strings.SplitN(string(good), "\n", 2)[1][:20]) {
			t.Errorf("%s: the key is in the message", c.name)
		}
		for _, lang := range []string{"fr", "en"} {
			if k := "cli.serve.notice_key." + c.code; i18n.T(lang, k, c.path) == k {
				t.Errorf("%s: %s is not worded", c.name, k)
			}
		}
	}
}
