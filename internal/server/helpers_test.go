package server_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"relais/internal/drills"
	"relais/internal/server"
	"relais/internal/server/config"
	"relais/internal/server/db"
	"relais/internal/server/db/pgtest"
)

func TestMain(m *testing.M) { os.Exit(pgtest.Main(m)) }

// backend is a database dialect to run a test on.
type backend struct {
	name string
	new  func(t *testing.T) db.Options // a fresh, empty database
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

// syncBuffer is a log sink that tests read.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// instance is one server under test.
type instance struct {
	srv  *httptest.Server
	db   *db.DB
	logs *syncBuffer
}

func (in *instance) url(path string) string { return in.srv.URL + path }

// startServer serves the intake on d with the configuration text.
func startServer(t *testing.T, d *db.DB, cfgText string, now func() time.Time) *instance {
	t.Helper()
	cfg, err := config.Parse("server.toml", []byte(cfgText))
	if err != nil {
		t.Fatal(err)
	}
	logs := &syncBuffer{}
	s, err := server.New(cfg, d, server.Options{Logger: slog.New(slog.NewJSONHandler(logs, nil)), Now: now})
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(s)
	t.Cleanup(srv.Close)
	return &instance{srv: srv, db: d, logs: logs}
}

// reportJSON is a real drill report of run runID.
func reportJSON(t testing.TB, runID string) []byte {
	t.Helper()
	tto, within := 95000.0, true
	r := drills.Report{Schema: drills.ReportSchema, RunID: runID, DrillID: "exercice-2026-11", Participant: "Camille Martin",
		Language: "fr", Started: time.Date(2026, 11, 3, 9, 0, 0, 0, time.UTC), Finished: time.Date(2026, 11, 3, 9, 6, 0, 0, time.UTC),
		Completed: true, RTOMS: 600000, TimeToOperationalMS: &tto, WithinRTO: &within, Feedback: "RAS",
		Steps: []drills.ReportStep{{ID: "tunnel", Kind: "action", Required: true, State: drills.StepDone}}}
	b, err := r.JSON()
	if err != nil {
		t.Fatal(err)
	}
	return b
}

type answer struct {
	status int
	header http.Header
	body   []byte
}

func (a answer) errorCode(t *testing.T) string {
	t.Helper()
	var e struct {
		Error string `json:"error"`
	}
	if err := json.Unmarshal(a.body, &e); err != nil {
		t.Fatalf("answer %d is not JSON: %q", a.status, a.body)
	}
	return e.Error
}

// post sends body with the headers (name, value, …).
func post(t *testing.T, url string, body io.Reader, headers ...string) answer {
	t.Helper()
	req, err := http.NewRequestWithContext(ctxFor(t), http.MethodPost, url, body)
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/json")
	for i := 0; i+1 < len(headers); i += 2 {
		req.Header.Set(headers[i], headers[i+1])
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return answer{resp.StatusCode, resp.Header, b}
}

func get(t *testing.T, url string) answer {
	t.Helper()
	req, _ := http.NewRequestWithContext(ctxFor(t), http.MethodGet, url, nil)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return answer{resp.StatusCode, resp.Header, b}
}

func writeFile(t *testing.T, name, text string) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), name)
	if err := os.WriteFile(p, []byte(text), 0o600); err != nil {
		t.Fatal(err)
	}
	return p
}

func counts(t *testing.T, d *db.DB) string {
	t.Helper()
	r, b, err := d.Counts(ctxFor(t))
	if err != nil {
		t.Fatal(err)
	}
	return fmt.Sprintf("%d reports, %d bundles", r, b)
}

// newServerErr is server.New's error for the configuration text.
func newServerErr(t *testing.T, cfgText string) (*server.Server, error) {
	t.Helper()
	cfg, err := config.Parse("server.toml", []byte(cfgText))
	if err != nil {
		t.Fatal(err)
	}
	return server.New(cfg, openDB(t, db.Options{DataDir: t.TempDir()}), server.Options{})
}
