package server_test

import (
	"context"
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"regexp"
	"strings"
	"testing"

	"relais/internal/server/db"
)

// The Postes page is mounted in the layout for the helpdesk and the
// continuity team (an ambassador gets 403), with its stylesheet; without
// [wireguard] it says the server enrols no one; with it, the form's
// default validity is code_validity.
func TestPostesIsMounted(t *testing.T) {
	t.Parallel()
	for _, c := range []struct{ cfg, want string }{
		{"", `id="not-enabled"`},
		{"[wireguard]\ninterface = \"wg0\"\npool = [\"10.20.128.0/17\"]\ncode_validity = \"2h\"\n", `<option value="120" selected>`},
	} {
		d := openDB(t, db.Options{DataDir: t.TempDir()})
		hash, err := db.HashPassword("mot de passe de test")
		if err != nil {
			t.Fatal(err)
		}
		for name, role := range map[string]db.Role{"alice": db.RoleHelpdesk, "amb": db.RoleAmbassador} {
			if err := d.CreateAccount(context.Background(), name, role, hash); err != nil {
				t.Fatal(err)
			}
		}
		in := startServer(t, d, c.cfg, nil)
		get := func(cl *http.Client, path string) (int, string) {
			t.Helper()
			resp, err := cl.Get(in.url(path))
			if err != nil {
				t.Fatal(err)
			}
			defer resp.Body.Close()
			b, _ := io.ReadAll(resp.Body)
			return resp.StatusCode, string(b)
		}
		signIn := func(name string) *http.Client {
			t.Helper()
			jar, _ := cookiejar.New(nil)
			cl := &http.Client{Jar: jar, CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
			_, form := get(cl, "/connexion")
			m := regexp.MustCompile(`name="csrf" value="([^"]+)"`).FindStringSubmatch(form)
			if m == nil {
				t.Fatal("no csrf on /connexion")
			}
			resp, err := cl.PostForm(in.url("/connexion"), url.Values{"csrf": {m[1]}, "name": {name}, "password": {"mot de passe de test"}, "next": {"/"}})
			if err != nil || resp.StatusCode != http.StatusSeeOther {
				t.Fatalf("sign in %s: %v %v", name, resp, err)
			}
			resp.Body.Close()
			return cl
		}
		alice, amb := signIn("alice"), signIn("amb")
		if status, body := get(alice, "/postes"); status != 200 || !strings.Contains(body, c.want) || !strings.Contains(body, `href="/postes" aria-current="page"`) {
			t.Errorf("%q: /postes: %d %.300s", c.cfg, status, body)
		}
		if status, body := get(alice, "/postes/postes.css"); status != 200 || !strings.Contains(body, ".postes-secret") {
			t.Errorf("stylesheet: %d", status)
		}
		if status, _ := get(amb, "/postes"); status != http.StatusForbidden {
			t.Errorf("ambassador: %d", status)
		}
	}
}
