package web

import (
	"context"
	"errors"
	"html/template"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"

	"relais/internal/server/db"
	"relais/internal/status"
)

const code1 = "RLS-7K3M-Q9TD"

// Every page × every role: anonymous is sent to /connexion, a wrong role
// gets a 403 page in words, the right one the page.
func TestEveryPageChecksItsRole(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	e.putBundle(code1, makeBundle(t, code1, []app{{"Paie", "essential", status.StateOK}}, "", nil))
	type want struct{ anon, continuity, helpdesk, ambassador int }
	const ok, see, no = http.StatusOK, http.StatusSeeOther, http.StatusForbidden
	pages := []struct {
		method, path string
		want         want
	}{
		{"GET", "/", want{see, ok, ok, ok}},
		{"GET", "/dossiers", want{see, no, ok, ok}},
		{"GET", "/dossiers/" + code1, want{see, no, ok, ok}},
		{"GET", "/dossiers/" + code1 + "/bundle", want{see, no, ok, no}},
		{"POST", "/dossiers/" + code1 + "/prendre", want{see, no, see, no}},
		{"POST", "/dossiers/" + code1 + "/note", want{see, no, see, no}},
		{"POST", "/dossiers/" + code1 + "/resolu", want{see, no, see, no}},
		{"POST", "/dossiers/" + code1 + "/rouvrir", want{see, no, see, no}},
		{"POST", "/deconnexion", want{see, see, see, see}},
	}
	clients := map[string]*http.Client{}
	tokens := map[string]string{}
	for _, name := range []string{"carol", "alice", "amb"} {
		clients[name] = e.client()
		tokens[name] = e.login(clients[name], name)
	}
	anon := e.client()
	for _, p := range pages {
		for _, who := range []string{"", "carol", "alice", "amb"} {
			var form url.Values
			if p.method == "POST" {
				form = url.Values{"csrf": {tokens[who]}, "note": {"vu"}}
			}
			c := anon
			wantStatus := p.want.anon
			switch who {
			case "carol":
				c, wantStatus = clients[who], p.want.continuity
			case "alice":
				c, wantStatus = clients[who], p.want.helpdesk
			case "amb":
				c, wantStatus = clients[who], p.want.ambassador
			}
			if p.path == "/deconnexion" && who != "" {
				continue // tested last: it ends the session
			}
			got := e.do(c, p.method, p.path, form)
			if got.status != wantStatus {
				t.Errorf("%s %s as %q: %d, want %d", p.method, p.path, who, got.status, wantStatus)
				continue
			}
			switch {
			case who == "" && !strings.HasPrefix(got.header.Get("Location"), "/connexion"):
				t.Errorf("%s %s anonymous: sent to %q", p.method, p.path, got.header.Get("Location"))
			case wantStatus == no && !strings.Contains(got.body, "Cette page est réservée aux rôles suivants"):
				t.Errorf("%s %s as %s: the 403 page does not say why: %.400s", p.method, p.path, who, got.body)
			}
		}
	}
	// Ambassadors read the case, without the helpdesk's buttons.
	amb := e.do(clients["amb"], "GET", "/dossiers/"+code1, nil)
	if strings.Contains(amb.body, "Je le prends") || !strings.Contains(amb.body, "Vous pouvez lire ce dossier") {
		t.Errorf("the ambassador's view of a case: %.600s", amb.body)
	}
	for _, who := range []string{"carol", "alice", "amb"} {
		if got := e.do(clients[who], "POST", "/deconnexion", url.Values{"csrf": {tokens[who]}}); got.status != see || got.header.Get("Location") != "/connexion" {
			t.Errorf("sign-out of %s: %d %s", who, got.status, got.header.Get("Location"))
		}
		if got := e.do(clients[who], "GET", "/", nil); got.status != see {
			t.Errorf("after sign-out, %s still reaches /: %d", who, got.status)
		}
	}
}

// A POST without the session's CSRF token, with another's, or from
// another site is refused 403, and changes nothing.
func TestPostWithoutCSRFIsRefused(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	e.putBundle(code1, makeBundle(t, code1, nil, "", nil))
	alice, bob := e.client(), e.client()
	e.login(alice, "alice")
	bobToken := e.login(bob, "bob")
	aliceToken := csrfOf(t, e.do(alice, "GET", "/", nil))
	for name, tc := range map[string]struct {
		form url.Values
		hdr  []string
	}{
		"no token":         {url.Values{}, nil},
		"empty token":      {url.Values{"csrf": {""}}, nil},
		"bob's token":      {url.Values{"csrf": {bobToken}}, nil},
		"other origin":     {url.Values{"csrf": {aliceToken}}, []string{"Origin", "https://evil.example"}},
		"cross-site":       {url.Values{"csrf": {aliceToken}}, []string{"Sec-Fetch-Site", "cross-site"}},
		"token in a query": {nil, nil},
	} {
		path := "/dossiers/" + code1 + "/prendre"
		if name == "token in a query" {
			path += "?csrf=" + aliceToken
			tc.form = url.Values{}
		}
		got := e.do(alice, "POST", path, tc.form, tc.hdr...)
		if got.status != http.StatusForbidden || !strings.Contains(got.body, "Formulaire refusé") {
			t.Errorf("%s: %d %.300s", name, got.status, got.body)
		}
	}
	b, _ := e.db.Bundle(context.Background(), code1)
	if b.TakenBy != "" {
		t.Fatalf("a refused POST took the case: %+v", b)
	}
	if got := e.do(alice, "POST", "/deconnexion", url.Values{}); got.status != http.StatusForbidden {
		t.Errorf("sign-out without the token: %d", got.status)
	}
	// The sign-in form has its own token, bound to a cookie.
	anon := e.client()
	got := e.do(anon, "POST", PathLogin, url.Values{"name": {"alice"}, "password": {testPassword}})
	if got.status != http.StatusForbidden {
		t.Errorf("sign-in without the form's token: %d", got.status)
	}
	// With it, same-origin: taken.
	if got := e.do(alice, "POST", "/dossiers/"+code1+"/prendre", url.Values{"csrf": {aliceToken}}, "Sec-Fetch-Site", "same-origin"); got.status != http.StatusSeeOther {
		t.Fatalf("a good POST: %d %.300s", got.status, got.body)
	}
}

func TestSecurityHeaders(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	c := e.client()
	for _, path := range []string{"/connexion", "/dossiers/a/b/c"} {
		p := e.do(c, "GET", path, nil)
		csp := p.header.Get("Content-Security-Policy")
		if !strings.Contains(csp, "default-src 'none'") || !strings.Contains(csp, "frame-ancestors 'none'") || strings.Contains(csp, "script-src") ||
			p.header.Get("X-Frame-Options") != "DENY" || p.header.Get("Referrer-Policy") != "no-referrer" {
			t.Errorf("%s: headers %v", path, p.header)
		}
		if strings.Contains(p.body, "<script") || strings.Contains(p.body, " style=") {
			t.Errorf("%s: inline script or style", path)
		}
	}
	if p := e.do(c, "GET", "/dossiers/a/b/c", nil); p.status != http.StatusNotFound || !strings.Contains(p.body, "Cette page n&#39;existe pas") {
		t.Errorf("404: %d", p.status)
	}
	if p := e.do(c, "GET", "/static/web.css", nil); p.status != http.StatusOK || !strings.HasPrefix(p.header.Get("Content-Type"), "text/css") {
		t.Errorf("web.css: %d %s", p.status, p.header.Get("Content-Type"))
	}
}

// Sign-in: a wrong password or an unknown name get the same sentence; the
// cookie is HttpOnly, SameSite=Lax, Path=/; the session is stored hashed;
// a sixth attempt within a minute is refused; next stays on this site.
func TestSignIn(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	c := e.client()
	try := func(name, pw, next string, hdr ...string) page {
		form := e.do(c, "GET", PathLogin, nil)
		return e.do(c, "POST", PathLogin, url.Values{"csrf": {csrfOf(t, form)}, "name": {name}, "password": {pw}, "next": {next}}, hdr...)
	}
	for _, tc := range [][2]string{{"alice", "wrong password!"}, {"nobody", testPassword}} {
		p := try(tc[0], tc[1], "/")
		if p.status != http.StatusUnauthorized || !strings.Contains(p.body, "Nom de compte ou mot de passe incorrect.") {
			t.Errorf("%v: %d %.300s", tc, p.status, p.body)
		}
		if strings.Contains(p.body, tc[1]) && tc[1] != testPassword {
			t.Errorf("the password is echoed back")
		}
	}
	p := try("alice", testPassword, "//evil.example/x")
	if p.status != http.StatusSeeOther || p.header.Get("Location") != "/" {
		t.Fatalf("sign-in with an outside next: %d %q", p.status, p.header.Get("Location"))
	}
	var cookie *http.Cookie
	for _, ck := range (&http.Response{Header: p.header}).Cookies() {
		if ck.Name == "relais_session" {
			cookie = ck
		}
	}
	if cookie == nil || !cookie.HttpOnly || cookie.SameSite != http.SameSiteLaxMode || cookie.Path != "/" || len(cookie.Value) != 43 {
		t.Fatalf("session cookie: %+v", cookie)
	}
	if _, err := e.db.SessionByHash(context.Background(), cookie.Value); !errors.Is(err, db.ErrNoSession) {
		t.Fatal("the session id is stored in clear")
	}
	if _, err := e.db.SessionByHash(context.Background(), hashID(cookie.Value)); err != nil {
		t.Fatalf("the session's hash: %v", err)
	}
	// Throttle: 5 attempts a minute per account.
	other := e.client()
	var last page
	for i := 0; i < 6; i++ {
		form := e.do(other, "GET", PathLogin, nil)
		last = e.do(other, "POST", PathLogin, url.Values{"csrf": {csrfOf(t, form)}, "name": {"bob"}, "password": {"wrong password!"}})
	}
	if last.status != http.StatusTooManyRequests || !strings.Contains(last.body, "Trop de tentatives") {
		t.Fatalf("sixth attempt: %d %.300s", last.status, last.body)
	}
	form := e.do(other, "GET", PathLogin, nil)
	if p := e.do(other, "POST", PathLogin, url.Values{"csrf": {csrfOf(t, form)}, "name": {"bob"}, "password": {testPassword}}); p.status != http.StatusTooManyRequests {
		t.Fatalf("the right password while throttled: %d", p.status)
	}
	e.clock.add(time.Minute)
	form = e.do(other, "GET", PathLogin, nil)
	if p := e.do(other, "POST", PathLogin, url.Values{"csrf": {csrfOf(t, form)}, "name": {"bob"}, "password": {testPassword}}); p.status != http.StatusSeeOther {
		t.Fatalf("a minute later: %d", p.status)
	}
}

// Sessions end after IdleTimeout unused and AbsoluteTimeout in all.
func TestSessionExpiry(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	c := e.client()
	e.login(c, "alice")
	e.clock.add(IdleTimeout - time.Minute)
	if p := e.do(c, "GET", "/", nil); p.status != http.StatusOK {
		t.Fatalf("used within the idle timeout: %d", p.status)
	}
	e.clock.add(IdleTimeout - time.Minute)
	if p := e.do(c, "GET", "/", nil); p.status != http.StatusOK {
		t.Fatalf("used again within the idle timeout: %d", p.status)
	}
	e.clock.add(IdleTimeout)
	if p := e.do(c, "GET", "/dossiers", nil); p.status != http.StatusSeeOther || p.header.Get("Location") != "/connexion?next=%2Fdossiers" {
		t.Fatalf("after the idle timeout: %d %s", p.status, p.header.Get("Location"))
	}
	e.login(c, "alice")
	for i := 0; i < int(AbsoluteTimeout/time.Hour); i++ {
		e.clock.add(time.Hour)
		e.do(c, "GET", "/", nil)
	}
	if p := e.do(c, "GET", "/", nil); p.status != http.StatusSeeOther {
		t.Fatalf("after the absolute timeout: %d", p.status)
	}
}

// Over TLS the cookie is __Host-relais_session, Secure.
func TestCookieOverTLS(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	h := New(Options{DB: e.db, Now: e.clock.now, TLS: true})
	srv := httptest.NewTLSServer(h)
	defer srv.Close()
	c := srv.Client()
	c.CheckRedirect = func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }
	form, err := c.Get(srv.URL + PathLogin)
	if err != nil {
		t.Fatal(err)
	}
	var loginCookie *http.Cookie
	for _, ck := range form.Cookies() {
		loginCookie = ck
	}
	buf, _ := io.ReadAll(form.Body)
	form.Body.Close()
	tok := csrfOf(t, page{body: string(buf)})
	req, _ := http.NewRequest("POST", srv.URL+PathLogin, strings.NewReader(url.Values{"csrf": {tok}, "name": {"alice"}, "password": {testPassword}}.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.AddCookie(loginCookie)
	resp, err := c.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	var got *http.Cookie
	for _, ck := range resp.Cookies() {
		if ck.Name == "__Host-relais_session" {
			got = ck
		}
	}
	if loginCookie == nil || loginCookie.Name != "__Host-relais_login" || got == nil || !got.Secure || !got.HttpOnly || got.Path != "/" || got.Domain != "" {
		t.Fatalf("over TLS: status %d, cookies %v", resp.StatusCode, resp.Cookies())
	}
}

func FuzzLocalPath(f *testing.F) {
	for _, s := range []string{"/", "//evil.example", "/\\evil", "/dossiers?x=1", "https://evil.example", "/a\r\nLocation: x"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		p := localPath(s)
		if !strings.HasPrefix(p, "/") || strings.HasPrefix(p, "//") || strings.HasPrefix(p, "/\\") || strings.ContainsAny(p, "\r\n\\") {
			t.Fatalf("localPath(%q) = %q", s, p)
		}
	})
}

// A page of another package renders inside the layout, behind the role
// check, with its section in the navigation.
func TestPageOfAnotherPackage(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	e.h.AddSection(SectionCampaigns)
	mux := http.NewServeMux()
	mux.Handle("/", e.h)
	mux.Handle("GET /campagnes", e.h.Require(db.RoleContinuity)(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		Page(w, r, "Campagnes", template.HTML("<p>corps "+template.HTMLEscapeString(Account(r).Name)+"</p>"))
	})))
	srv := httptest.NewServer(mux)
	defer srv.Close()
	e.srv = srv
	carol, alice := e.client(), e.client()
	e.login(carol, "carol")
	e.login(alice, "alice")
	p := e.do(carol, "GET", "/campagnes", nil)
	if p.status != http.StatusOK || !strings.Contains(p.body, "<p>corps carol</p>") || !strings.Contains(p.body, `<a href="/campagnes" aria-current="page">Campagnes</a>`) ||
		p.header.Get("Content-Security-Policy") != csp {
		t.Fatalf("campaign page: %d %.1500s", p.status, p.body)
	}
	if home := e.do(carol, "GET", "/", nil); !strings.Contains(home.body, `href="/campagnes"`) || strings.Contains(home.body, `href="/dossiers"`) {
		t.Fatalf("carol's home: %.1500s", home.body)
	}
	if p := e.do(alice, "GET", "/campagnes", nil); p.status != http.StatusForbidden {
		t.Fatalf("helpdesk on the campaign page: %d", p.status)
	}
}
