package postes_test

import (
	"bytes"
	"context"
	"html"
	"io"
	"log/slog"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"net/netip"
	"net/url"
	"os"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"golang.zx2c4.com/wireguard/wgctrl/wgtypes"

	"relais/internal/enrolment"
	"relais/internal/server/db"
	"relais/internal/server/db/pgtest"
	"relais/internal/server/postes"
	"relais/internal/server/web"
)

const testPassword = "mot de passe de test"

func TestMain(m *testing.M) { os.Exit(pgtest.Main(m)) }

// eachBackend runs f on SQLite and on a real PostgreSQL (pgtest: skipped
// without one, failing under RELAIS_REQUIRE_E2E=1), in parallel.
func eachBackend(t *testing.T, f func(t *testing.T, opts db.Options)) {
	for _, b := range []struct {
		name string
		opts func(t *testing.T) db.Options
	}{
		{"sqlite", func(t *testing.T) db.Options { return db.Options{DataDir: t.TempDir()} }},
		{"postgres", func(t *testing.T) db.Options { return db.Options{DatabaseURL: pgtest.Shared(t).NewDatabase(t)} }},
	} {
		t.Run(b.name, func(t *testing.T) {
			t.Parallel()
			f(t, b.opts(t))
		})
	}
}

// clock is a test's settable time.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) now() time.Time { c.mu.Lock(); defer c.mu.Unlock(); return c.t }

// env is the server's pages (web layout, sign-in, roles, CSRF) with the
// Postes page mounted as internal/server mounts it, over a fresh SQLite
// database with the accounts alice (helpdesk), carol (continuity) and amb
// (ambassador).
type env struct {
	t     *testing.T
	db    *db.DB
	srv   *httptest.Server
	clock *clock
	logs  *syncBuffer // what the page and the layout logged
}

// syncBuffer is a log written by the server while a test reads it.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}
func (s *syncBuffer) String() string { s.mu.Lock(); defer s.mu.Unlock(); return s.b.String() }

var pool = netip.MustParsePrefix("10.20.128.0/24")

func newEnv(t *testing.T, opts db.Options, tweak ...func(*postes.Options)) *env {
	t.Helper()
	c := &clock{t: time.Now()}
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	opts.Now = c.now
	d, err := db.Open(ctx, opts)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { d.Close() })
	hash, err := db.HashPassword(testPassword)
	if err != nil {
		t.Fatal(err)
	}
	for name, role := range map[string]db.Role{"alice": db.RoleHelpdesk, "carol": db.RoleContinuity, "amb": db.RoleAmbassador} {
		if err := d.CreateAccount(ctx, name, role, hash); err != nil {
			t.Fatal(err)
		}
	}
	logs := &syncBuffer{}
	logger := slog.New(slog.NewTextHandler(logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
	w := web.New(web.Options{DB: d, Now: c.now, Logger: logger})
	mux := http.NewServeMux()
	for _, p := range web.Patterns {
		mux.Handle(p, w)
	}
	po := postes.Options{Page: web.Page, Lang: web.Lang, CSRFField: web.CSRFField, Now: c.now, Logger: logger,
		Actor: func(r *http.Request) string {
			if a := web.Account(r); a != nil {
				return a.Name
			}
			return ""
		}}
	for _, f := range tweak {
		f(&po)
	}
	page := w.Require(postes.Section.Roles...)(postes.Handler(d, po))
	mux.Handle(postes.Path, page)
	mux.Handle(postes.Path+"/", page)
	w.AddSection(postes.Section)
	srv := httptest.NewServer(mux)
	t.Cleanup(srv.Close)
	return &env{t: t, db: d, srv: srv, clock: c, logs: logs}
}

// client is a browser without JavaScript: cookies, no redirect followed.
func (e *env) client() *http.Client {
	jar, _ := cookiejar.New(nil)
	return &http.Client{Jar: jar, Timeout: 30 * time.Second,
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
}

type page struct {
	status int
	header http.Header
	body   string
}

func (e *env) do(c *http.Client, method, path string, form url.Values, hdr ...string) page {
	e.t.Helper()
	var body io.Reader
	if form != nil {
		body = strings.NewReader(form.Encode())
	}
	req, err := http.NewRequest(method, e.srv.URL+path, body)
	if err != nil {
		e.t.Fatal(err)
	}
	if form != nil {
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	}
	for i := 0; i+1 < len(hdr); i += 2 {
		req.Header.Set(hdr[i], hdr[i+1])
	}
	resp, err := c.Do(req)
	if err != nil {
		e.t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	// Text as read: &#39; is an apostrophe.
	return page{status: resp.StatusCode, header: resp.Header, body: html.UnescapeString(string(b))}
}

var csrfField = regexp.MustCompile(`name="csrf" value="([^"]+)"`)

func csrfOf(t *testing.T, p page) string {
	t.Helper()
	m := csrfField.FindStringSubmatch(p.body)
	if m == nil {
		t.Fatalf("no csrf field in the page (%d): %.300s", p.status, p.body)
	}
	return m[1]
}

// login signs name in through the form and returns the session's CSRF
// token.
func (e *env) login(c *http.Client, name string) string {
	e.t.Helper()
	form := e.do(c, "GET", web.PathLogin, nil)
	p := e.do(c, "POST", web.PathLogin, url.Values{"csrf": {csrfOf(e.t, form)}, "name": {name}, "password": {testPassword}, "next": {"/"}})
	if p.status != http.StatusSeeOther {
		e.t.Fatalf("login %s: %d %.300s", name, p.status, p.body)
	}
	return csrfOf(e.t, e.do(c, "GET", "/", nil))
}

// newKey is a fresh WireGuard public key.
func newKey(t testing.TB) string {
	t.Helper()
	k, err := wgtypes.GeneratePrivateKey()
	if err != nil {
		t.Fatal(err)
	}
	return k.PublicKey().String()
}

// enrol enrols a laptop named name with a fresh key, through a setup
// token of its own, as the enrolment service does.
func (e *env) enrol(name string) db.Peer {
	e.t.Helper()
	ctx := context.Background()
	tok := enrolment.NewSetupToken()
	if err := e.db.AddSetupToken(ctx, "t-"+strings.ToLower(strings.ReplaceAll(name, " ", "-")), enrolment.Hash(tok), 1,
		e.clock.now().Add(72*time.Hour), "test"); err != nil {
		e.t.Fatal(err)
	}
	res, err := e.db.Enrol(ctx, db.EnrolRequest{Hash: enrolment.Hash(tok), PublicKey: newKey(e.t), DeviceName: name,
		Pools: []netip.Prefix{pool}, Source: "192.0.2.10"})
	if err != nil {
		e.t.Fatal(err)
	}
	if err := e.db.ActivatePeer(ctx, res.Peer.ID); err != nil {
		e.t.Fatal(err)
	}
	return res.Peer
}
