package avis_test

import (
	"context"
	"crypto/rand"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"strings"
	"sync"
	"testing"
	"time"

	"aead.dev/minisign"

	"relais/internal/server/avis"
	"relais/internal/server/db"
	"relais/internal/server/db/pgtest"
)

func TestMain(m *testing.M) { os.Exit(pgtest.Main(m)) }

type backend struct {
	name string
	new  func(t *testing.T) db.Options
}

var backends = []backend{
	{"sqlite", func(t *testing.T) db.Options { return db.Options{DataDir: t.TempDir()} }},
	{"postgres", func(t *testing.T) db.Options { return db.Options{DatabaseURL: pgtest.Shared(t).NewDatabase(t)} }},
}

// eachBackend runs f on SQLite and on PostgreSQL, in parallel.
func eachBackend(t *testing.T, f func(t *testing.T, opts db.Options)) {
	for _, b := range backends {
		t.Run(b.name, func(t *testing.T) {
			t.Parallel()
			f(t, b.new(t))
		})
	}
}

func ctxFor(t *testing.T) context.Context {
	c, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	t.Cleanup(cancel)
	return c
}

func openDB(t *testing.T, opts db.Options) *db.DB {
	t.Helper()
	d, err := db.Open(ctxFor(t), opts)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { d.Close() })
	return d
}

func newKey(t testing.TB) (minisign.PublicKey, minisign.PrivateKey) {
	pub, priv, err := minisign.GenerateKey(rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	return pub, priv
}

// paris is the server's time zone in these tests.
var paris = func() *time.Location {
	if l, err := time.LoadLocation("Europe/Paris"); err == nil {
		return l
	}
	return time.FixedZone("CET", 3600)
}()

// clock is a settable clock, shared by the handler and the database.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *clock) Add(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(d)
}

// site is the page and the endpoint on one test server.
type site struct {
	*httptest.Server
	db     *db.DB
	clock  *clock
	client *http.Client // does not follow redirects
}

// newSite serves the page (signer may be nil) and the endpoint over d's
// options, at 5 Dec 2026 09:00 in Paris.
func newSite(t *testing.T, opts db.Options, signer *avis.Signer) *site {
	t.Helper()
	c := &clock{t: time.Date(2026, 12, 5, 9, 0, 0, 0, paris)}
	opts.Now = c.Now
	d := openDB(t, opts)
	mux := http.NewServeMux()
	page := avis.Handler(d, signer, avis.Options{Now: c.Now, Location: paris,
		Actor: func(*http.Request) string { return "continuite@example.org" }})
	mux.Handle(avis.Path, page)
	mux.Handle(avis.Path+"/", page)
	pub := avis.Endpoint(d, signer != nil, nil)
	mux.Handle(avis.PathDocument, pub)
	mux.Handle(avis.PathSignature, pub)
	srv := httptest.NewServer(mux)
	t.Cleanup(srv.Close)
	return &site{Server: srv, db: d, clock: c, client: &http.Client{
		Timeout:       30 * time.Second,
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
	}}
}

// post sends a form; it returns the status, the Location and the body.
func (s *site) post(t *testing.T, path string, form url.Values) (int, string, string) {
	t.Helper()
	resp, err := s.client.Post(s.URL+path, "application/x-www-form-urlencoded", strings.NewReader(form.Encode()))
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return resp.StatusCode, resp.Header.Get("Location"), string(b)
}

// get fetches path with headers (name, value…); it returns the response
// and its body.
func (s *site) get(t *testing.T, path string, hdr ...string) (*http.Response, []byte) {
	t.Helper()
	req, err := http.NewRequest(http.MethodGet, s.URL+path, nil)
	if err != nil {
		t.Fatal(err)
	}
	for i := 0; i+1 < len(hdr); i += 2 {
		req.Header.Set(hdr[i], hdr[i+1])
	}
	resp, err := s.client.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return resp, b
}

// noticeForm is a good notice: a warning until 14:00 in Paris.
func noticeForm() url.Values {
	return url.Values{
		"level":   {"warning"},
		"text_fr": {"La paie est en maintenance jusqu'à 14 h."},
		"text_en": {"Payroll is under maintenance until 2 pm."},
		"from":    {""},
		"until":   {"2026-12-05T14:00"},
	}
}

// windowForm is a good maintenance window on paie, 9:00 to 14:00.
func windowForm() url.Values {
	return url.Values{
		"app":     {"paie"},
		"from":    {"2026-12-05T09:00"},
		"until":   {"2026-12-05T14:00"},
		"text_fr": {"Saisissez vos notes de frais demain."},
		"text_en": {"Enter your expense claims tomorrow."},
	}
}
