package server_test

import (
	"context"
	"io"
	"log/slog"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"relais/internal/enrolment"
	"relais/internal/server"
	"relais/internal/server/config"
	"relais/internal/server/db"
)

// browser is a signed-in account on a server's pages (no JavaScript, no
// redirect followed).
type browser struct {
	t    *testing.T
	base string
	c    *http.Client
	csrf string
}

var csrfIn = regexp.MustCompile(`name="csrf" value="([^"]+)"`)

func (b *browser) do(method, path string, form url.Values) (int, string, string) {
	b.t.Helper()
	var body io.Reader
	if form != nil {
		body = strings.NewReader(form.Encode())
	}
	req, _ := http.NewRequest(method, b.base+path, body)
	if form != nil {
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	}
	resp, err := b.c.Do(req)
	if err != nil {
		b.t.Fatal(err)
	}
	defer resp.Body.Close()
	raw, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, resp.Header.Get("Location"), string(raw)
}

func signIn(t *testing.T, base, name string) *browser {
	t.Helper()
	jar, _ := cookiejar.New(nil)
	b := &browser{t: t, base: base, c: &http.Client{Jar: jar, CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}}
	_, _, form := b.do("GET", "/connexion", nil)
	m := csrfIn.FindStringSubmatch(form)
	if m == nil {
		t.Fatal("no csrf on /connexion")
	}
	if status, _, _ := b.do("POST", "/connexion", url.Values{"csrf": {m[1]}, "name": {name}, "password": {"mot de passe de test"}, "next": {"/"}}); status != http.StatusSeeOther {
		t.Fatalf("sign in %s: %d", name, status)
	}
	_, _, home := b.do("GET", "/", nil)
	if m = csrfIn.FindStringSubmatch(home); m == nil {
		t.Fatal("no csrf on /")
	}
	b.csrf = m[1]
	return b
}

func withAccounts(t *testing.T, d *db.DB) {
	t.Helper()
	hash, err := db.HashPassword("mot de passe de test")
	if err != nil {
		t.Fatal(err)
	}
	for name, role := range map[string]db.Role{"alice": db.RoleHelpdesk, "amb": db.RoleAmbassador} {
		if err := d.CreateAccount(context.Background(), name, role, hash); err != nil {
			t.Fatal(err)
		}
	}
}

// Without [wireguard], the Postes page is mounted in the layout for the
// helpdesk (an ambassador gets 403), with its stylesheet, and says the
// server enrols no one.
func TestPostesIsMounted(t *testing.T) {
	t.Parallel()
	d := openDB(t, db.Options{DataDir: t.TempDir()})
	withAccounts(t, d)
	in := startServer(t, d, "", nil)
	alice, amb := signIn(t, in.url(""), "alice"), signIn(t, in.url(""), "amb")
	if status, _, body := alice.do("GET", "/postes", nil); status != 200 || !strings.Contains(body, `id="not-enabled"`) ||
		!strings.Contains(body, `href="/postes" aria-current="page"`) {
		t.Errorf("/postes: %d %.300s", status, body)
	}
	if status, _, body := alice.do("GET", "/postes/postes.css", nil); status != 200 || !strings.Contains(body, ".postes-secret") {
		t.Errorf("stylesheet: %d", status)
	}
	if status, _, _ := amb.do("GET", "/postes", nil); status != http.StatusForbidden {
		t.Errorf("ambassador: %d", status)
	}
}

// With [wireguard], the whole loop through relais serve's handler: the
// helpdesk creates a code on the page (its validity code_validity), a
// laptop enrols with it over POST /v1/enrol and is on the gateway, the
// page lists it, and revoking it there takes it off the gateway at once.
func TestPostesCodeEnrolRevoke(t *testing.T) {
	t.Parallel()
	cfg, err := config.Parse("server.toml", []byte("[wireguard]\ninterface = \"wg-test\"\npool = [\"10.44.0.0/24\"]\ncode_validity = \"2h\"\n"))
	if err != nil {
		t.Fatal(err)
	}
	d := openDB(t, db.Options{DataDir: t.TempDir()})
	withAccounts(t, d)
	gw := newMemGateway()
	logs := &syncBuffer{}
	s, err := server.New(cfg, d, server.Options{Gateway: gw, Logger: slog.New(slog.NewJSONHandler(logs, nil))})
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(s)
	t.Cleanup(srv.Close)
	alice := signIn(t, srv.URL, "alice")
	_, _, page := alice.do("GET", "/postes", nil)
	if !strings.Contains(page, `<option value="120" selected>`) {
		t.Fatalf("default validity: %.3000s", page)
	}
	status, _, page := alice.do("POST", "/postes/code", url.Values{"csrf": {alice.csrf}, "person": {"Marie Dupont"}})
	m := regexp.MustCompile(`id="code-value"[^>]*><span class="groups" aria-hidden="true"><span>([A-Z0-9]{5})</span>.*?<span>([A-Z0-9]{5})</span>`).FindStringSubmatch(page)
	if status != 200 || m == nil {
		t.Fatalf("create: %d %.2000s", status, page)
	}
	key := pubKey(t)
	a := post(t, srv.URL+enrolment.Path, enrolBody(strings.ToLower(m[1]+" "+m[2]), key, "PC-MARIE"))
	if on, _ := gw.Peers(context.Background()); a.status != 201 || len(on) != 1 {
		t.Fatalf("enrol with the page's code: %d %s", a.status, a.body)
	}
	peers, _ := d.Peers(context.Background(), false)
	if len(peers) != 1 || peers[0].Via != "code:Marie Dupont" {
		t.Fatalf("stored: %+v", peers)
	}
	id := strconv.FormatInt(peers[0].ID, 10)
	if _, _, page = alice.do("GET", "/postes", nil); !strings.Contains(page, `id="peer-`+id+`"`) || !strings.Contains(page, "code de Marie Dupont") {
		t.Fatalf("listed: %.3000s", page)
	}
	if status, loc, _ := alice.do("POST", "/postes/"+id+"/revoquer", url.Values{"csrf": {alice.csrf}}); status != http.StatusSeeOther || loc != "/postes?revoque="+id {
		t.Fatalf("revoke: %d %s", status, loc)
	}
	if on, _ := gw.Peers(context.Background()); len(on) != 0 {
		t.Fatalf("still on the gateway: %v", on)
	}
	if st := post(t, srv.URL+enrolment.StatusPath, strings.NewReader(`{"public_key":"`+key+`"}`)); st.status != 200 || !strings.Contains(string(st.body), enrolment.StatusRevoked) {
		t.Errorf("status after revoke: %d %s", st.status, st.body)
	}
	for _, secret := range []string{m[1] + "-" + m[2], m[1] + m[2]} {
		if strings.Contains(logs.String(), secret) {
			t.Fatal("the code is in the log")
		}
	}
}
