package web

import (
	"archive/zip"
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"net/url"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"filippo.io/age"

	"relais/internal/diag/bundle"
	"relais/internal/profile"
	"relais/internal/server/db"
	"relais/internal/status"
)

const testPassword = "mot de passe de test"

// clock is a test's settable time.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) now() time.Time { c.mu.Lock(); defer c.mu.Unlock(); return c.t }
func (c *clock) add(d time.Duration) {
	c.mu.Lock()
	c.t = c.t.Add(d)
	c.mu.Unlock()
}

type env struct {
	t     *testing.T
	db    *db.DB
	h     *Handler
	srv   *httptest.Server
	clock *clock
}

// newEnv is the pages over a fresh SQLite database, with the accounts
// alice (helpdesk), carol (continuity), amb (ambassador), served on
// loopback HTTP.
func newEnv(t *testing.T, ids ...age.Identity) *env {
	t.Helper()
	c := &clock{t: time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC)}
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	d, err := db.Open(ctx, db.Options{DataDir: t.TempDir(), Now: c.now})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { d.Close() })
	hash, err := db.HashPassword(testPassword)
	if err != nil {
		t.Fatal(err)
	}
	for name, role := range map[string]db.Role{"alice": db.RoleHelpdesk, "bob": db.RoleHelpdesk, "carol": db.RoleContinuity, "amb": db.RoleAmbassador} {
		if err := d.CreateAccount(ctx, name, role, hash); err != nil {
			t.Fatal(err)
		}
	}
	h := New(Options{DB: d, Now: c.now, Identities: ids})
	mux := http.NewServeMux()
	for _, p := range Patterns {
		mux.Handle(p, h)
	}
	srv := httptest.NewServer(mux)
	t.Cleanup(srv.Close)
	return &env{t: t, db: d, h: h, srv: srv, clock: c}
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
	return page{status: resp.StatusCode, header: resp.Header, body: string(b)}
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
// token (read from the home page).
func (e *env) login(c *http.Client, name string) string {
	e.t.Helper()
	form := e.do(c, "GET", PathLogin, nil)
	p := e.do(c, "POST", PathLogin, url.Values{"csrf": {csrfOf(e.t, form)}, "name": {name}, "password": {testPassword}, "next": {"/"}})
	if p.status != http.StatusSeeOther || p.header.Get("Location") != "/" {
		e.t.Fatalf("login %s: %d %s %.300s", name, p.status, p.header.Get("Location"), p.body)
	}
	return csrfOf(e.t, e.do(c, "GET", "/", nil))
}

func (e *env) putBundle(code string, body []byte) {
	e.t.Helper()
	if _, _, err := e.db.PutBundle(context.Background(), code, "10.20.0.5", "application/octet-stream", body); err != nil {
		e.t.Fatal(err)
	}
}

// app is an app of a test bundle's last report.
type app struct {
	name        string
	criticality string
	state       status.State
}

// makeBundle is a bundle as internal/diag writes it (zip, manifest with
// hashes), with a last report of apps; extra files override.
func makeBundle(t testing.TB, code string, apps []app, tunnelErr string, failures []bundle.CollectorFailure) []byte {
	t.Helper()
	rep := &status.Report{Started: time.Date(2026, 3, 1, 8, 0, 0, 0, time.UTC), Finished: time.Date(2026, 3, 1, 8, 0, 5, 0, time.UTC)}
	for i, a := range apps {
		rep.Apps = append(rep.Apps, status.AppResult{ID: "app" + string(rune('a'+i%26)), Name: profile.Text{FR: a.name, EN: a.name},
			Criticality: a.criticality, State: a.state})
	}
	phase := status.PhaseOperational
	for _, a := range apps {
		if a.criticality == "essential" && a.state != status.StateOK {
			phase = status.PhaseFailed
		}
	}
	files := map[string][]byte{}
	put := func(name string, v any) {
		b, err := json.Marshal(v)
		if err != nil {
			t.Fatal(err)
		}
		files[name] = b
	}
	put(bundle.NameTunnel, bundle.TunnelFile{Known: true, Phase: phase, Started: rep.Started, Error: tunnelErr, Timeline: []status.TimelineEntry{}})
	put(bundle.NameChecks, bundle.ChecksFile{LastReport: rep})
	files[bundle.NameLog] = []byte("2026-03-01T08:00:00Z engine started\n")
	m := bundle.Manifest{Schema: bundle.Schema, CaseCode: code, Created: rep.Finished, Level: bundle.LevelStandard, Failures: failures, Redactions: 2}
	for _, name := range []string{bundle.NameTunnel, bundle.NameChecks, bundle.NameLog} {
		sum := sha256.Sum256(files[name])
		m.Files = append(m.Files, bundle.FileEntry{Name: name, Size: int64(len(files[name])), SHA256: hex.EncodeToString(sum[:])})
	}
	put(bundle.NameManifest, m)
	var buf bytes.Buffer
	zw := zip.NewWriter(&buf)
	for _, name := range []string{bundle.NameManifest, bundle.NameTunnel, bundle.NameChecks, bundle.NameLog} {
		w, err := zw.Create(name)
		if err != nil {
			t.Fatal(err)
		}
		w.Write(files[name])
	}
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

func encrypt(t testing.TB, plain []byte, to age.Recipient) []byte {
	t.Helper()
	var buf bytes.Buffer
	w, err := age.Encrypt(&buf, to)
	if err != nil {
		t.Fatal(err)
	}
	w.Write(plain)
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

func newIdentity(t testing.TB) *age.X25519Identity {
	t.Helper()
	id, err := age.GenerateX25519Identity()
	if err != nil {
		t.Fatal(err)
	}
	return id
}

type (
	ageX25519   = age.X25519Identity
	ageIdentity = age.Identity
)
