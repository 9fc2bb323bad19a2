package server_test

import (
	"errors"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"filippo.io/age"

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
