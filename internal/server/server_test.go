package server_test

import (
	"bytes"
	"io"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"relais/internal/server/db"
)

func TestIntakeStatusCodes(t *testing.T) {
	t.Parallel()
	eachBackend(t, func(t *testing.T, opts db.Options) {
		in := startServer(t, openDB(t, opts), "[limits]\nmax_report_bytes = 4096\nmax_bundle_bytes = 8192\nrate_burst = 1000\n", nil)
		reports, bundles := in.url("/v1/reports"), in.url("/v1/bundles")
		rep := reportJSON(t, "run-a")

		first := post(t, reports, bytes.NewReader(rep), "Idempotency-Key", "run-a")
		if first.status != http.StatusCreated || first.header.Get("Content-Type") != "application/json" {
			t.Fatalf("first: %d %s", first.status, first.body)
		}
		repeat := post(t, reports, bytes.NewReader(rep), "Idempotency-Key", "run-a")
		if repeat.status != http.StatusOK || !bytes.Equal(repeat.body, first.body) {
			t.Fatalf("repeat: %d %s, want 200 %s", repeat.status, repeat.body, first.body)
		}
		if !strings.Contains(string(first.body), `"key":"run-a"`) || !strings.Contains(string(first.body), `"kind":"report"`) {
			t.Errorf("receipt %s", first.body)
		}

		other := reportJSON(t, "run-a")
		other = bytes.Replace(other, []byte("RAS"), []byte("autre"), 1)
		bundle := bytes.Repeat([]byte{0xA6}, 5000)
		chunked := func(b []byte) io.Reader { return io.MultiReader(bytes.NewReader(b)) } // no Content-Length
		cases := []struct {
			name   string
			url    string
			body   io.Reader
			hdr    []string
			status int
			code   string
		}{
			{"reused key", reports, bytes.NewReader(other), []string{"Idempotency-Key", "run-a"}, 422, "key_reused"},
			{"no key", reports, bytes.NewReader(rep), nil, 400, "key_missing"},
			{"key with a space", reports, bytes.NewReader(rep), []string{"Idempotency-Key", "run a"}, 400, "key_invalid"},
			{"key too long", reports, bytes.NewReader(rep), []string{"Idempotency-Key", strings.Repeat("k", 201)}, 400, "key_invalid"},
			{"key not the run", reports, bytes.NewReader(rep), []string{"Idempotency-Key", "run-b"}, 400, "key_mismatch"},
			{"not a report", reports, strings.NewReader(`{"hello":1}`), []string{"Idempotency-Key", "x"}, 400, "report_invalid"},
			{"not JSON", reports, strings.NewReader(`PK\x03\x04`), []string{"Idempotency-Key", "x"}, 400, "report_invalid"},
			// A drill id PostgreSQL could not index (a NUL, kilobytes) is refused for good, not retried forever.
			{"drill id with a NUL", reports, bytes.NewReader(bytes.Replace(reportJSON(t, "run-n"), []byte(`"exercice-2026-11"`), []byte(`"exercice\u0000"`), 1)), []string{"Idempotency-Key", "run-n"}, 400, "report_invalid"},
			{"report too large", reports, bytes.NewReader(make([]byte, 5000)), []string{"Idempotency-Key", "x"}, 413, "too_large"},
			{"report too large, chunked", reports, chunked(make([]byte, 5000)), []string{"Idempotency-Key", "x"}, 413, "too_large"},
			{"bundle", bundles, bytes.NewReader(bundle), []string{"Idempotency-Key", "RLS-7K3M-Q9TD"}, 201, ""},
			{"bundle again", bundles, bytes.NewReader(bundle), []string{"Idempotency-Key", "RLS-7K3M-Q9TD"}, 200, ""},
			{"bundle other body", bundles, bytes.NewReader(bundle[1:]), []string{"Idempotency-Key", "RLS-7K3M-Q9TD"}, 422, "key_reused"},
			{"bundle not a case code", bundles, bytes.NewReader(bundle), []string{"Idempotency-Key", "RLS-0000-0000"}, 400, "case_code_invalid"},
			{"bundle no key", bundles, bytes.NewReader(bundle), nil, 400, "key_missing"},
			{"bundle too large", bundles, bytes.NewReader(make([]byte, 9000)), []string{"Idempotency-Key", "RLS-7K3M-Q9TF"}, 413, "too_large"},
			{"bundle too large, chunked", bundles, chunked(make([]byte, 9000)), []string{"Idempotency-Key", "RLS-7K3M-Q9TF"}, 413, "too_large"},
		}
		for _, tc := range cases {
			a := post(t, tc.url, tc.body, tc.hdr...)
			if a.status != tc.status {
				t.Errorf("%s: %d %s, want %d", tc.name, a.status, a.body, tc.status)
				continue
			}
			if tc.code != "" && a.errorCode(t) != tc.code {
				t.Errorf("%s: error %s, want %s", tc.name, a.body, tc.code)
			}
		}
		if a := post(t, reports, strings.NewReader(`{"schema":9}`), "Idempotency-Key", "x"); !strings.Contains(string(a.body), `"detail":"newer"`) {
			t.Errorf("a newer report: %s", a.body)
		}
		if a := get(t, reports); a.status != http.StatusMethodNotAllowed {
			t.Errorf("GET %s: %d", reports, a.status)
		}
		if got := counts(t, in.db); got != "1 reports, 1 bundles" {
			t.Errorf("stored %s", got)
		}
		if strings.Contains(in.logs.String(), "Camille") || strings.Contains(in.logs.String(), "RAS") {
			t.Errorf("a body reached the log:\n%s", in.logs)
		}
	})
}

func TestAuthorization(t *testing.T) {
	t.Parallel()
	const token = "s3cr3t-t0ken-0123456789"
	tokenFile := writeFile(t, "submit.token", token+"\n")
	in := startServer(t, openDB(t, db.Options{DataDir: t.TempDir()}),
		"trusted_networks = [\"10.20.0.0/16\"]\nsubmit_token_file = \""+tokenFile+"\"\n", nil)
	url := in.url("/v1/reports")
	rep := reportJSON(t, "run-auth")

	a := post(t, url, bytes.NewReader(rep), "Idempotency-Key", "run-auth")
	if a.status != http.StatusUnauthorized || a.errorCode(t) != "unauthorized" || !strings.HasPrefix(a.header.Get("WWW-Authenticate"), "Bearer") {
		t.Errorf("no token, untrusted: %d %s %v", a.status, a.body, a.header)
	}
	for _, auth := range []string{"Bearer wrong-token-0123456789", "Basic " + token, "Bearer " + token + "x", token} {
		a = post(t, url, bytes.NewReader(rep), "Idempotency-Key", "run-auth", "Authorization", auth)
		if a.status != http.StatusForbidden || a.errorCode(t) != "forbidden" {
			t.Errorf("%q: %d %s", auth, a.status, a.body)
		}
	}
	a = post(t, url, bytes.NewReader(rep), "Idempotency-Key", "run-auth", "Authorization", "Bearer "+token)
	if a.status != http.StatusCreated {
		t.Errorf("with the token: %d %s", a.status, a.body)
	}
	if got := counts(t, in.db); got != "1 reports, 0 bundles" {
		t.Errorf("stored %s", got)
	}
	if strings.Contains(in.logs.String(), token) || strings.Contains(in.logs.String(), "0123456789") {
		t.Errorf("the token reached the log:\n%s", in.logs)
	}

	// Loopback is trusted by default, and no token is needed there.
	def := startServer(t, openDB(t, db.Options{DataDir: t.TempDir()}), "", nil)
	if a := post(t, def.url("/v1/reports"), bytes.NewReader(rep), "Idempotency-Key", "run-auth"); a.status != http.StatusCreated {
		t.Errorf("loopback by default: %d %s", a.status, a.body)
	}
	// No token configured and an untrusted source: a token cannot help.
	none := startServer(t, openDB(t, db.Options{DataDir: t.TempDir()}), "trusted_networks = []\n", nil)
	if a := post(t, none.url("/v1/reports"), bytes.NewReader(rep), "Idempotency-Key", "run-auth", "Authorization", "Bearer "+token); a.status != http.StatusForbidden {
		t.Errorf("no token configured: %d %s", a.status, a.body)
	}
}

func TestShortTokenRefused(t *testing.T) {
	t.Parallel()
	short := writeFile(t, "t", "short\n")
	_, err := newServerErr(t, "submit_token_file = \""+short+"\"\n")
	if err == nil || strings.Contains(err.Error(), "short\n") {
		t.Fatalf("err = %v", err)
	}
	_, err = newServerErr(t, "submit_token_file = \"/nonexistent/token\"\n")
	if err == nil {
		t.Fatal("a missing token file was accepted")
	}
}

func TestRateLimitPerSource(t *testing.T) {
	t.Parallel()
	var mu sync.Mutex
	now := time.Date(2026, 11, 3, 9, 0, 0, 0, time.UTC)
	clock := func() time.Time { mu.Lock(); defer mu.Unlock(); return now }
	in := startServer(t, openDB(t, db.Options{DataDir: t.TempDir()}), "[limits]\nrate_per_minute = 2\nrate_burst = 3\n", clock)
	url := in.url("/v1/reports")
	for i := range 3 {
		key := "run-" + strconv.Itoa(i)
		if a := post(t, url, bytes.NewReader(reportJSON(t, key)), "Idempotency-Key", key); a.status != http.StatusCreated {
			t.Fatalf("%d: %d %s", i, a.status, a.body)
		}
	}
	a := post(t, url, bytes.NewReader(reportJSON(t, "run-3")), "Idempotency-Key", "run-3")
	if a.status != http.StatusTooManyRequests || a.errorCode(t) != "rate_limited" {
		t.Fatalf("over the rate: %d %s", a.status, a.body)
	}
	if ra, err := strconv.Atoi(a.header.Get("Retry-After")); err != nil || ra < 1 || ra > 30 {
		t.Errorf("Retry-After %q", a.header.Get("Retry-After"))
	}
	mu.Lock()
	now = now.Add(31 * time.Second) // one token back at 2 a minute
	mu.Unlock()
	if a := post(t, url, bytes.NewReader(reportJSON(t, "run-3")), "Idempotency-Key", "run-3"); a.status != http.StatusCreated {
		t.Errorf("after waiting: %d %s", a.status, a.body)
	}
	if got := counts(t, in.db); got != "4 reports, 0 bundles" {
		t.Errorf("stored %s", got)
	}
}

func TestHealthAndMetrics(t *testing.T) {
	t.Parallel()
	eachBackend(t, func(t *testing.T, opts db.Options) {
		d, err := db.Open(ctxFor(t), opts)
		if err != nil {
			t.Fatal(err)
		}
		in := startServer(t, d, "", nil)
		if a := get(t, in.url("/healthz")); a.status != http.StatusOK || !strings.Contains(string(a.body), `"ok"`) {
			t.Errorf("healthz: %d %s", a.status, a.body)
		}
		post(t, in.url("/v1/reports"), bytes.NewReader(reportJSON(t, "run-m")), "Idempotency-Key", "run-m")
		post(t, in.url("/v1/reports"), bytes.NewReader(reportJSON(t, "run-m")), "Idempotency-Key", "run-m")
		post(t, in.url("/v1/bundles"), strings.NewReader("x"), "Idempotency-Key", "nope")
		m := get(t, in.url("/metrics"))
		for _, want := range []string{
			`relais_server_submissions_total{kind="report",outcome="created"} 1`,
			`relais_server_submissions_total{kind="report",outcome="repeat"} 1`,
			`relais_server_submissions_total{kind="bundle",outcome="case_code_invalid"} 1`,
			`relais_server_submission_duration_seconds_count{kind="report"} 2`,
		} {
			if !strings.Contains(string(m.body), want) {
				t.Errorf("metrics lack %s", want)
			}
		}
		d.Close()
		if a := get(t, in.url("/healthz")); a.status != http.StatusServiceUnavailable {
			t.Errorf("healthz with the database closed: %d %s", a.status, a.body)
		}
		a := post(t, in.url("/v1/reports"), bytes.NewReader(reportJSON(t, "run-n")), "Idempotency-Key", "run-n")
		if a.status != http.StatusServiceUnavailable || a.header.Get("Retry-After") == "" {
			t.Errorf("intake with the database closed: %d %s", a.status, a.body)
		}
	})
}
