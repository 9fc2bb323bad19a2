package outbox

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"relais/internal/store"
)

// The fixtures of the outbox tests: a receiver that can fail on demand,
// a clock the test moves, a log recorder, and small helpers.

// receiver is the continuity coordinator's side: a real HTTP server that
// keeps each report once by Idempotency-Key, as a receiver that honours the
// key does, and counts the raw requests to show what the network saw.
type receiver struct {
	srv *httptest.Server

	mu       sync.Mutex // guards the fields below
	byKey    map[string][]byte
	order    []string
	requests map[string]int // raw requests by key
	total    int
	headers  http.Header // of the last request
	method   string
	mode     mode
	release  chan struct{} // closed to end hang modes early
	entered  chan string   // a key each time a request arrives, if not full
	// answer, when set, is the body of an accept answer for a key (the
	// receipt, or whatever the receiver says); nil: no body.
	answer func(key string) []byte
}

type mode int

const (
	accept         mode = iota // keep the report, 201 (200 for a repeat)
	fail500                    // 500, nothing kept
	hang                       // no answer until the client gives up; nothing kept
	keepThenHang               // keep the report, then no answer: the answer is lost
	statusFromPath             // answer /status/N with N, nothing kept
)

func newReceiver(t *testing.T) *receiver {
	t.Helper()
	r := newReceiverUnstarted()
	r.srv = httptest.NewServer(r)
	t.Cleanup(r.close)
	return r
}

func newReceiverUnstarted() *receiver {
	return &receiver{byKey: map[string][]byte{}, requests: map[string]int{}, release: make(chan struct{}),
		entered: make(chan string, 100)}
}

func (rc *receiver) close() {
	rc.mu.Lock()
	select {
	case <-rc.release:
	default:
		close(rc.release)
	}
	rc.mu.Unlock()
	rc.srv.Close()
}

func (rc *receiver) url() string { return rc.srv.URL + "/relais/rapports" }

func (rc *receiver) setMode(m mode) {
	rc.mu.Lock()
	rc.mode = m
	rc.mu.Unlock()
}

func (rc *receiver) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	body, err := io.ReadAll(r.Body)
	key := r.Header.Get("Idempotency-Key")
	rc.mu.Lock()
	rc.total++
	rc.requests[key]++
	rc.headers, rc.method = r.Header.Clone(), r.Method
	m := rc.mode
	answer := rc.answer
	keep := func() (first bool) {
		if _, seen := rc.byKey[key]; seen {
			return false
		}
		rc.byKey[key] = body
		rc.order = append(rc.order, key)
		return true
	}
	var first bool
	if err == nil && key != "" && (m == accept || m == keepThenHang) {
		first = keep()
	}
	rc.mu.Unlock()
	select {
	case rc.entered <- key:
	default:
	}
	switch {
	case err != nil || key == "":
		w.WriteHeader(http.StatusBadRequest)
	case m == accept:
		code := http.StatusOK
		if first {
			code = http.StatusCreated
		}
		if answer == nil {
			w.WriteHeader(code)
			break
		}
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(code)
		_, _ = w.Write(answer(key))
	case m == fail500:
		http.Error(w, "panne", http.StatusInternalServerError)
	case m == hang || m == keepThenHang:
		select {
		case <-r.Context().Done():
		case <-rc.release:
		}
	case m == statusFromPath:
		var code int
		fmt.Sscanf(r.URL.Path, "/status/%d", &code)
		if ra := r.URL.Query().Get("retry_after"); ra != "" {
			w.Header().Set("Retry-After", ra)
		}
		if code >= 300 && code < 400 {
			w.Header().Set("Location", "/ailleurs")
		}
		w.WriteHeader(code)
	}
}

func (rc *receiver) setAnswer(f func(key string) []byte) {
	rc.mu.Lock()
	rc.answer = f
	rc.mu.Unlock()
}

func (rc *receiver) received() (map[string][]byte, []string, int) {
	rc.mu.Lock()
	defer rc.mu.Unlock()
	m := make(map[string][]byte, len(rc.byKey))
	for k, v := range rc.byKey {
		m[k] = v
	}
	return m, append([]string(nil), rc.order...), rc.total
}

func (rc *receiver) requestsFor(key string) int {
	rc.mu.Lock()
	defer rc.mu.Unlock()
	return rc.requests[key]
}

// clock is a fake clock at millisecond precision, like the store.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func newClock() *clock { return &clock{t: time.Date(2026, 11, 3, 9, 30, 0, 0, time.UTC)} }

func (c *clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *clock) Set(t time.Time) {
	c.mu.Lock()
	c.t = t
	c.mu.Unlock()
}

func (c *clock) Advance(d time.Duration) {
	c.mu.Lock()
	c.t = c.t.Add(d)
	c.mu.Unlock()
}

// linearBackoff: n minutes after the n-th failure, no jitter.
func linearBackoff(n int) time.Duration { return time.Duration(n) * time.Minute }

// logs collects log lines.
type logs struct {
	mu    sync.Mutex
	lines []string
}

func (l *logs) Logf(format string, args ...any) {
	l.mu.Lock()
	l.lines = append(l.lines, fmt.Sprintf(format, args...))
	l.mu.Unlock()
}

func (l *logs) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return strings.Join(l.lines, "\n")
}

func (l *logs) count() int {
	l.mu.Lock()
	defer l.mu.Unlock()
	return len(l.lines)
}

const testTimeout = 150 * time.Millisecond

func openStore(t *testing.T, path string) *store.DB {
	t.Helper()
	db, err := store.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	return db
}

// newOutbox opens the store at path (a process starting) and returns an
// Outbox on it with the fake clock and short timeouts.
func newOutbox(t *testing.T, path string, c *clock, l *logs) *Outbox {
	t.Helper()
	o := &Outbox{DB: openStore(t, path), Timeout: testTimeout, Backoff: linearBackoff, Now: c.Now}
	if l != nil {
		o.Logf = l.Logf
	}
	return o
}

func dbPath(t *testing.T) string { return filepath.Join(t.TempDir(), "relais.db") }

func report(i int) (key string, body []byte) {
	key = fmt.Sprintf("run-%04d", i)
	return key, fmt.Appendf(nil, `{"schema":1,"run_id":%q,"participant":"Agent %d","feedback":"ok"}`, key, i)
}

func mustItem(t *testing.T, o *Outbox, key string) *Item {
	t.Helper()
	it, err := o.Item(context.Background(), key)
	if err != nil {
		t.Fatal(err)
	}
	return it
}

func deliverDue(t *testing.T, o *Outbox) int {
	t.Helper()
	n, err := o.DeliverDue(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	return n
}
