package server_test

import (
	"context"
	"errors"
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"filippo.io/age"

	"relais/internal/server"
	"relais/internal/server/config"
	"relais/internal/server/db"
	"relais/internal/server/web"
)

// The pages are served next to the API: /connexion answers, /dossiers
// asks to sign in, the API keeps its own answers.
func TestPagesAreMounted(t *testing.T) {
	t.Parallel()
	in := startServer(t, openDB(t, db.Options{DataDir: t.TempDir()}), "", nil)
	c := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	for path, want := range map[string]int{"/connexion": 200, "/dossiers": 303, "/dossiers/RLS-7K3M-Q9TD": 303, "/": 303,
		"/static/web.css": 200, "/healthz": 200, "/v1/reports": 405} {
		resp, err := c.Get(in.url(path))
		if err != nil {
			t.Fatal(err)
		}
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != want {
			t.Errorf("GET %s: %d, want %d: %.200s", path, resp.StatusCode, want, body)
		}
		if path == "/connexion" && !strings.Contains(string(body), `<form method="post" action="/connexion"`) {
			t.Errorf("/connexion is not the sign-in form")
		}
	}
}

// helpdesk_identity_file is read at start; a file without an identity is
// refused with a clear error.
func TestHelpdeskIdentityFile(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	id, _ := age.GenerateX25519Identity()
	good := filepath.Join(dir, "helpdesk.agekey")
	os.WriteFile(good, []byte("# helpdesk\n"+id.String()+"\n"), 0o600)
	if _, err := newServerErr(t, "helpdesk_identity_file = \""+good+"\"\n"); err != nil {
		t.Fatalf("a good identity file: %v", err)
	}
	bad := filepath.Join(dir, "bad.agekey")
	os.WriteFile(bad, []byte("not a key\n"), 0o600)
	for _, path := range []string{bad, filepath.Join(dir, "missing")} {
		_, err := newServerErr(t, "helpdesk_identity_file = \""+path+"\"\n")
		if !errors.Is(err, web.ErrIdentity) {
			t.Errorf("%s: %v", path, err)
		}
	}
}

// The Campagne and Avis pages are mounted inside the web layer: signed
// out, a person is sent to sign in; signed in, each role sees what it
// may (continuity: both; ambassador: Campagne only; helpdesk: neither)
// and every POST needs the session's CSRF token.
func TestCampaignAndNoticePagesBehindRoles(t *testing.T) {
	t.Parallel()
	d := openDB(t, db.Options{DataDir: t.TempDir()})
	in := startServer(t, d, "", nil)
	hash, err := db.HashPassword("mot de passe solide")
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range []db.Role{db.RoleContinuity, db.RoleHelpdesk, db.RoleAmbassador} {
		if err := d.CreateAccount(context.Background(), string(r)+"1", r, hash); err != nil {
			t.Fatal(err)
		}
	}
	csrf := regexp.MustCompile(`name="csrf" value="([^"]+)"`)
	get := func(c *http.Client, path string) (int, string) {
		resp, err := c.Get(in.url(path))
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, string(b)
	}
	post := func(c *http.Client, path string, form url.Values) int {
		resp, err := c.PostForm(in.url(path), form)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		return resp.StatusCode
	}
	client := func() *http.Client {
		jar, _ := cookiejar.New(nil)
		return &http.Client{Jar: jar, CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	}

	anon := client()
	for _, p := range []string{"/campagnes", "/campagnes/automne-2026", "/avis"} {
		if code, _ := get(anon, p); code != http.StatusSeeOther {
			t.Errorf("signed out, GET %s: %d, want 303 to sign in", p, code)
		}
	}
	for role, want := range map[db.Role]map[string]int{
		db.RoleContinuity: {"/campagnes": 200, "/avis": 200},
		db.RoleAmbassador: {"/campagnes": 200, "/avis": 403},
		db.RoleHelpdesk:   {"/campagnes": 403, "/avis": 403},
	} {
		c := client()
		_, form := get(c, "/connexion")
		m := csrf.FindStringSubmatch(form)
		if m == nil {
			t.Fatalf("no csrf on the sign-in form")
		}
		if code := post(c, "/connexion", url.Values{"csrf": {m[1]}, "name": {string(role) + "1"}, "password": {"mot de passe solide"}, "next": {"/"}}); code != http.StatusSeeOther {
			t.Fatalf("%s: sign-in %d", role, code)
		}
		for p, status := range want {
			code, body := get(c, p)
			if code != status {
				t.Errorf("%s: GET %s: %d, want %d: %.200s", role, p, code, status, body)
			}
			if code == 200 && !strings.Contains(body, `<html lang="fr"`) {
				t.Errorf("%s: GET %s is not inside the layout: %.300s", role, p, body)
			}
		}
		if role == db.RoleContinuity {
			// Without the session's token, nothing is published.
			if code := post(c, "/avis/avis", url.Values{"level": {"info"}, "text_fr": {"Bonjour"}, "text_en": {"Hello"}}); code != http.StatusForbidden {
				t.Errorf("POST /avis/avis without CSRF: %d, want 403", code)
			}
		}
	}
}

// Over HTTPS every answer asks the browser to keep to HTTPS (HSTS); over
// plain loopback HTTP none does.
func TestHSTSOverTLSOnly(t *testing.T) {
	t.Parallel()
	cfg, err := config.Parse("server.toml", nil)
	if err != nil {
		t.Fatal(err)
	}
	s, err := server.New(cfg, openDB(t, db.Options{DataDir: t.TempDir()}), server.Options{})
	if err != nil {
		t.Fatal(err)
	}
	tlsSrv := httptest.NewTLSServer(s)
	defer tlsSrv.Close()
	plain := httptest.NewServer(s)
	defer plain.Close()
	for _, tc := range []struct {
		srv  *httptest.Server
		want string
	}{{tlsSrv, "max-age=31536000"}, {plain, ""}} {
		resp, err := tc.srv.Client().Get(tc.srv.URL + "/connexion")
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if got := resp.Header.Get("Strict-Transport-Security"); got != tc.want {
			t.Errorf("%s: Strict-Transport-Security %q, want %q", tc.srv.URL, got, tc.want)
		}
	}
}
