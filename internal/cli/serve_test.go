package cli

import (
	"bytes"
	"context"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"relais/internal/backend"
	"relais/internal/drills"
	serverdb "relais/internal/server/db"
	"relais/internal/server/db/pgtest"
)

// lockedBuffer is a stream a running command writes while the test reads.
type lockedBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *lockedBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

func serveEnv(dir string, stderr *lockedBuffer) Env {
	vars := map[string]string{"LANG": "fr_FR.UTF-8", "RELAIS_HOME": filepath.Join(dir, "home")}
	return Env{Stdout: &bytes.Buffer{}, Stderr: stderr, Env: backend.Env{GOOS: "linux", Home: dir, Now: time.Now,
		Getenv: func(k string) string { return vars[k] }}}
}

// relais serve with an empty configuration, on a free loopback port,
// receives a report, and stops when its context ends.
func TestServeEmptyConfigReceivesAReport(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	cfg := filepath.Join(dir, "server.toml")
	if err := os.WriteFile(cfg, nil, 0o600); err != nil {
		t.Fatal(err)
	}
	stderr := &lockedBuffer{}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	done := make(chan int, 1)
	go func() {
		done <- Main(ctx, []string{"serve", "--config", cfg, "--listen", "127.0.0.1:0"}, serveEnv(dir, stderr))
	}()
	ready := regexp.MustCompile(`prêt sur (http://127\.0\.0\.1:\d+) \(base SQLite dans ([^)]+)\)`)
	var base string
	for deadline := time.Now().Add(30 * time.Second); base == ""; {
		if m := ready.FindStringSubmatch(stderr.String()); m != nil {
			base = m[1]
			if want := filepath.Join(dir, "relais-server-data"); m[2] != want {
				t.Errorf("data directory %s, want %s", m[2], want)
			}
			break
		}
		select {
		case code := <-done:
			t.Fatalf("relais serve exited %d:\n%s", code, stderr)
		default:
		}
		if time.Now().After(deadline) {
			t.Fatalf("relais serve not ready:\n%s", stderr)
		}
		time.Sleep(20 * time.Millisecond)
	}

	tto, within := 60000.0, true
	body, err := drills.Report{Schema: drills.ReportSchema, RunID: "run-serve", DrillID: "exercice", Completed: true,
		TimeToOperationalMS: &tto, WithinRTO: &within}.JSON()
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []int{http.StatusCreated, http.StatusOK} {
		rctx, rcancel := context.WithTimeout(ctx, 10*time.Second)
		req, _ := http.NewRequestWithContext(rctx, http.MethodPost, base+"/v1/reports", bytes.NewReader(body))
		req.Header.Set("Content-Type", "application/json")
		req.Header.Set("Idempotency-Key", "run-serve")
		resp, err := http.DefaultClient.Do(req)
		rcancel()
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != want {
			t.Fatalf("POST /v1/reports: %d, want %d", resp.StatusCode, want)
		}
	}
	cancel()
	select {
	case code := <-done:
		if code != ExitOK || !strings.Contains(stderr.String(), "Serveur Relais arrêté.") {
			t.Errorf("exit %d:\n%s", code, stderr)
		}
	case <-time.After(30 * time.Second):
		t.Fatal("relais serve did not stop")
	}
	if _, err := os.Stat(filepath.Join(dir, "relais-server-data", "relais-server.db")); err != nil {
		t.Error(err)
	}
	if strings.Contains(stderr.String(), "Camille") {
		t.Error("a body in the log")
	}
}

func TestServeBadConfiguration(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	write := func(name, text string) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, []byte(text), 0o600); err != nil {
			t.Fatal(err)
		}
		return p
	}
	if err := os.WriteFile(filepath.Join(dir, "short.token"), []byte("abc\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		args []string
		want string
	}{
		{[]string{"serve"}, "relais serve --config FICHIER"},
		{[]string{"serve", "--config", filepath.Join(dir, "missing.toml")}, "Impossible de lire la configuration du serveur"},
		{[]string{"serve", "--config", write("a.toml", "\nport = 1\n")}, "a.toml:2 : clé inconnue « port »."},
		{[]string{"serve", "--config", write("b.toml", "listen = \"0.0.0.0:8443\"\n")}, "b.toml:1 : en HTTP simple"},
		{[]string{"serve", "--config", write("c.toml", ""), "--listen", "0.0.0.0:8443"}, "--listen:1 : en HTTP simple"},
		{[]string{"serve", "--config", write("d.toml", "[limits]\nrate_burst = -1\n")}, "d.toml:2 : « limits.rate_burst » est hors des limites permises."},
		{[]string{"serve", "--config", write("e.toml", "submit_token_file = \"short.token\"\n")}, "Le jeton de dépôt"},
		{[]string{"serve", "stray", "--config", write("f.toml", "")}, "Usage : relais serve"},
	} {
		stderr := &lockedBuffer{}
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		code := Main(ctx, c.args, serveEnv(dir, stderr))
		cancel()
		if code != ExitUsage || !strings.Contains(stderr.String(), c.want) {
			t.Errorf("%v: exit %d, want %q in\n%s", c.args, code, c.want, stderr)
		}
	}
}

// With database_url, `relais serve` stores in PostgreSQL (a real cluster
// the test starts): it says so, a report is stored there once, and
// nothing is written beside the configuration.
func TestServePostgres(t *testing.T) {
	t.Parallel()
	pg := pgtest.New(t)
	url := pg.NewDatabase(t)
	dir := t.TempDir()
	cfg := filepath.Join(dir, "server.toml")
	if err := os.WriteFile(cfg, []byte("database_url = "+strconv.Quote(url)+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	stderr := &lockedBuffer{}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	done := make(chan int, 1)
	go func() {
		done <- Main(ctx, []string{"serve", "--config", cfg, "--listen", "127.0.0.1:0"}, serveEnv(dir, stderr))
	}()
	ready := regexp.MustCompile(`prêt sur (http://127\.0\.0\.1:\d+) \(base PostgreSQL\)`)
	var base string
	for deadline := time.Now().Add(30 * time.Second); base == ""; time.Sleep(20 * time.Millisecond) {
		if m := ready.FindStringSubmatch(stderr.String()); m != nil {
			base = m[1]
			break
		}
		select {
		case code := <-done:
			t.Fatalf("relais serve exited %d:\n%s", code, stderr)
		default:
		}
		if time.Now().After(deadline) {
			t.Fatalf("relais serve not ready:\n%s", stderr)
		}
	}
	body, err := drills.Report{Schema: drills.ReportSchema, RunID: "run-pg", DrillID: "exercice", Completed: true}.JSON()
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []int{http.StatusCreated, http.StatusOK} {
		req, _ := http.NewRequestWithContext(ctx, http.MethodPost, base+"/v1/reports", bytes.NewReader(body))
		req.Header.Set("Idempotency-Key", "run-pg")
		resp, err := (&http.Client{Timeout: 10 * time.Second}).Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != want {
			t.Fatalf("POST /v1/reports: %d, want %d", resp.StatusCode, want)
		}
	}
	cancel()
	select {
	case code := <-done:
		if code != ExitOK {
			t.Errorf("exit %d:\n%s", code, stderr)
		}
	case <-time.After(30 * time.Second):
		t.Fatal("relais serve did not stop")
	}
	d, err := serverdb.Open(context.Background(), serverdb.Options{DatabaseURL: url})
	if err != nil {
		t.Fatal(err)
	}
	defer d.Close()
	if reports, _, err := d.Counts(context.Background()); err != nil || reports != 1 {
		t.Errorf("PostgreSQL holds %d reports (%v), want 1", reports, err)
	}
	if _, err := os.Stat(filepath.Join(dir, "relais-server-data")); err == nil {
		t.Error("a SQLite directory was made beside the configuration")
	}
	if strings.Contains(stderr.String(), url) {
		t.Error("the database URL is in the log")
	}
}
