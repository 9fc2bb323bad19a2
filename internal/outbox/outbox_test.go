package outbox

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"strings"
	"sync"
	"testing"
	"time"

	"relais/internal/store"
	"relais/internal/version"
)

// The receiver fails, then times out, then keeps a report but its answer
// is lost, then answers; the app restarts between each attempt. Each report
// reaches the receiver exactly once by key, none is lost, and the schedule
// of retries outlives the restarts.
func TestExactlyOnceAcrossFailuresAndRestarts(t *testing.T) {
	ctx := context.Background()
	rc := newReceiver(t)
	path, c := dbPath(t), newClock()
	const reports = 3

	restart := func() *Outbox { return newOutbox(t, path, c, nil) }
	o := restart()
	for i := range reports {
		key, body := report(i)
		if err := o.Enqueue(ctx, "drill_report", key, rc.url(), "application/json", body); err != nil {
			t.Fatal(err)
		}
	}
	o.DB.Close()

	phases := []struct {
		mode      mode
		lastError string
		status    int
	}{
		{fail500, "HTTP 500 Internal Server Error", 500},
		{hang, "no answer within " + testTimeout.String(), 0},
		{keepThenHang, "no answer within " + testTimeout.String(), 0},
	}
	for n, ph := range phases {
		attempt := n + 1
		rc.setMode(ph.mode)
		o = restart()
		if got := deliverDue(t, o); got != 0 {
			t.Fatalf("attempt %d: %d delivered", attempt, got)
		}
		_, _, total := rc.received()
		if total != reports*attempt {
			t.Fatalf("attempt %d: the receiver saw %d requests, want %d", attempt, total, reports*attempt)
		}
		for i := range reports {
			key, _ := report(i)
			it := mustItem(t, o, key)
			if it.State != StatePending || it.Attempts != attempt || it.LastError != ph.lastError || it.LastStatus != ph.status ||
				!it.NextAttempt.Equal(c.Now().Add(linearBackoff(attempt))) {
				t.Fatalf("attempt %d: %+v", attempt, it)
			}
		}
		o.DB.Close()

		// A new process before the item is due sends nothing.
		o = restart()
		c.Advance(linearBackoff(attempt) - time.Millisecond)
		if got := deliverDue(t, o); got != 0 {
			t.Fatalf("before the backoff ended: %d delivered", got)
		}
		if _, _, total := rc.received(); total != reports*attempt {
			t.Fatalf("a restarted outbox retried before next_attempt: %d requests", total)
		}
		o.DB.Close()
		c.Advance(time.Millisecond)
	}

	rc.setMode(accept)
	o = restart()
	if got := deliverDue(t, o); got != reports {
		t.Fatalf("%d delivered, want %d", got, reports)
	}
	got, order, total := rc.received()
	if len(got) != reports || len(order) != reports || total != reports*(len(phases)+1) {
		t.Fatalf("receiver: %d distinct reports, %d requests", len(got), total)
	}
	for i := range reports {
		key, body := report(i)
		if !bytes.Equal(got[key], body) {
			t.Errorf("%s arrived as %q, want %q", key, got[key], body)
		}
		it := mustItem(t, o, key)
		if it.State != StateDelivered || !it.Delivered.Equal(c.Now()) || it.LastError != "" || it.Attempts != len(phases)+1 {
			t.Errorf("%s: %+v", key, it)
		}
	}
	// Delivered items are never sent again.
	c.Advance(24 * time.Hour)
	if got := deliverDue(t, o); got != 0 {
		t.Fatalf("delivered again: %d", got)
	}
	if _, _, again := rc.received(); again != total {
		t.Fatalf("requests after delivery: %d, want %d", again, total)
	}
}

// Reports queued while the receiver is down (nothing listens on its port)
// go out once it is back on the same address.
func TestDeliversWhenTheReceiverComesBack(t *testing.T) {
	ctx := context.Background()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	url := "http://" + addr + "/relais/rapports"

	c, l := newClock(), &logs{}
	o := newOutbox(t, dbPath(t), c, l)
	for i := range 2 {
		key, body := report(i)
		if err := o.Enqueue(ctx, "drill_report", key, url, "application/json", body); err != nil {
			t.Fatal(err)
		}
	}
	if got := deliverDue(t, o); got != 0 {
		t.Fatalf("%d delivered to nobody", got)
	}
	key0, _ := report(0)
	if it := mustItem(t, o, key0); it.State != StatePending || it.LastError != "connection refused" || it.LastStatus != 0 {
		t.Fatalf("unreachable: %+v", it)
	}

	ln, err = net.Listen("tcp", addr)
	if err != nil {
		t.Skipf("the port was taken meanwhile: %v", err)
	}
	rc := newReceiverUnstarted()
	rc.srv = httptest.NewUnstartedServer(rc)
	rc.srv.Listener.Close()
	rc.srv.Listener = ln
	rc.srv.Start()
	t.Cleanup(rc.close)

	c.Advance(linearBackoff(1))
	if got := deliverDue(t, o); got != 2 {
		t.Fatalf("%d delivered once the receiver is back, want 2\n%s", got, l)
	}
	if got, _, total := rc.received(); len(got) != 2 || total != 2 {
		t.Fatalf("receiver: %d reports in %d requests", len(got), total)
	}
}

// What the receiver sees of a request.
func TestRequest(t *testing.T) {
	ctx := context.Background()
	rc := newReceiver(t)
	o := newOutbox(t, dbPath(t), newClock(), nil)
	key, body := report(1)
	if err := o.Enqueue(ctx, "drill_report", key, rc.url(), "application/json; charset=utf-8", body); err != nil {
		t.Fatal(err)
	}
	if got := deliverDue(t, o); got != 1 {
		t.Fatalf("%d delivered", got)
	}
	rc.mu.Lock()
	h, method := rc.headers, rc.method
	rc.mu.Unlock()
	if method != http.MethodPost || h.Get("Content-Type") != "application/json; charset=utf-8" || h.Get("Idempotency-Key") != key ||
		h.Get("User-Agent") != "Relais/"+version.Version {
		t.Fatalf("%s with headers %v", method, h)
	}
	if got, _, _ := rc.received(); !bytes.Equal(got[key], body) {
		t.Fatalf("body %q", got[key])
	}
	if it := mustItem(t, o, key); it.LastStatus != http.StatusCreated || it.Kind != "drill_report" || it.URL != rc.url() {
		t.Fatalf("item %+v", it)
	}
}

// Which answers are retried and which refuse an item for good.
func TestStatusClasses(t *testing.T) {
	ctx := context.Background()
	rc := newReceiver(t)
	rc.setMode(statusFromPath)
	c := newClock()
	o := newOutbox(t, dbPath(t), c, nil)
	cases := []struct {
		status int
		state  string
	}{
		{200, StateDelivered}, {202, StateDelivered}, {204, StateDelivered},
		{400, StateRejected}, {401, StateRejected}, {403, StateRejected}, {404, StateRejected}, {413, StateRejected}, {422, StateRejected},
		{408, StatePending}, {429, StatePending}, {500, StatePending}, {502, StatePending}, {503, StatePending},
		{301, StatePending}, {302, StatePending}, {308, StatePending},
	}
	for _, tc := range cases {
		if err := o.Enqueue(ctx, "drill_report", fmt.Sprint("k", tc.status), fmt.Sprintf("%s/status/%d", rc.srv.URL, tc.status), "", []byte("x")); err != nil {
			t.Fatal(err)
		}
	}
	deliverDue(t, o)
	for _, tc := range cases {
		key := fmt.Sprint("k", tc.status)
		it := mustItem(t, o, key)
		if it.State != tc.state || it.LastStatus != tc.status || it.Attempts != 1 {
			t.Errorf("HTTP %d: %+v, want %s", tc.status, it, tc.state)
		}
		if tc.state != StateDelivered && !strings.HasPrefix(it.LastError, fmt.Sprintf("HTTP %d ", tc.status)) {
			t.Errorf("HTTP %d: last error %q", tc.status, it.LastError)
		}
		if rc.requestsFor(key) != 1 {
			t.Errorf("HTTP %d: %d requests (a redirect was followed?)", tc.status, rc.requestsFor(key))
		}
	}
	// A rejected item is never sent again; the retried ones are.
	c.Advance(30 * 24 * time.Hour)
	deliverDue(t, o)
	for _, tc := range cases {
		want := 1
		if tc.state == StatePending {
			want = 2
		}
		if n := rc.requestsFor(fmt.Sprint("k", tc.status)); n != want {
			t.Errorf("HTTP %d: %d requests after a month, want %d", tc.status, n, want)
		}
	}
}

func TestRetryAfter(t *testing.T) {
	ctx := context.Background()
	rc := newReceiver(t)
	rc.setMode(statusFromPath)
	c := newClock()
	o := newOutbox(t, dbPath(t), c, nil)
	o.Backoff = func(int) time.Duration { return time.Second }
	date := c.Now().Add(5 * time.Minute).Format(http.TimeFormat)
	cases := []struct {
		key, path string
		wait      time.Duration
	}{
		{"seconds", "/status/503?retry_after=120", 120 * time.Second},
		{"date", "/status/429?retry_after=" + strings.ReplaceAll(date, " ", "%20"), 5 * time.Minute},
		{"capped", "/status/503?retry_after=99999999", MaxRetryAfter},
		{"shorter than the backoff", "/status/503?retry_after=0", time.Second},
		{"garbage", "/status/503?retry_after=demain", time.Second},
		{"absent", "/status/500", time.Second},
	}
	for _, tc := range cases {
		if err := o.Enqueue(ctx, "k", strings.ReplaceAll(tc.key, " ", "-"), rc.srv.URL+tc.path, "", nil); err != nil {
			t.Fatal(err)
		}
	}
	deliverDue(t, o)
	for _, tc := range cases {
		it := mustItem(t, o, strings.ReplaceAll(tc.key, " ", "-"))
		if got := it.NextAttempt.Sub(c.Now()); got != tc.wait {
			t.Errorf("%s: next attempt in %s, want %s", tc.key, got, tc.wait)
		}
	}
}

// Two processes delivering from the same database at the same moment
// never send one item twice: each attempt is claimed in a transaction.
func TestConcurrentOutboxesSendEachItemOnce(t *testing.T) {
	ctx := context.Background()
	rc := newReceiver(t)
	path, c := dbPath(t), newClock()
	a := newOutbox(t, path, c, nil)
	b := newOutbox(t, path, c, nil) // its own store handle: another process
	a.Timeout, b.Timeout = 5*time.Second, 5*time.Second
	const reports = 30
	for i := range reports {
		key, body := report(i)
		if err := a.Enqueue(ctx, "drill_report", key, rc.url(), "application/json", body); err != nil {
			t.Fatal(err)
		}
	}
	var (
		wg        sync.WaitGroup
		mu        sync.Mutex
		delivered int
	)
	for _, o := range []*Outbox{a, b, a, b} {
		wg.Go(func() {
			n, err := o.DeliverDue(ctx)
			if err != nil {
				t.Error(err)
			}
			mu.Lock()
			delivered += n
			mu.Unlock()
		})
	}
	wg.Wait()
	got, _, total := rc.received()
	if delivered != reports || len(got) != reports || total != reports {
		t.Fatalf("%d delivered, %d distinct at the receiver in %d requests; want %d each", delivered, len(got), total, reports)
	}
	for i := range reports {
		key, _ := report(i)
		if n := rc.requestsFor(key); n != 1 {
			t.Errorf("%s sent %d times", key, n)
		}
		if it := mustItem(t, b, key); it.State != StateDelivered || it.Attempts != 1 {
			t.Errorf("%s: %+v", key, it)
		}
	}
}

func TestEnqueueSameKeyTwiceKeepsOne(t *testing.T) {
	ctx := context.Background()
	rc := newReceiver(t)
	o := newOutbox(t, dbPath(t), newClock(), nil)
	key, body := report(7)
	if err := o.Enqueue(ctx, "drill_report", key, rc.url(), "application/json", body); err != nil {
		t.Fatal(err)
	}
	if err := o.Enqueue(ctx, "drill_report", key, rc.url(), "application/json", []byte(`{"other":true}`)); err != nil {
		t.Fatalf("second enqueue: %v", err)
	}
	items, err := o.Items(ctx)
	if err != nil || len(items) != 1 {
		t.Fatalf("items: %+v %v", items, err)
	}
	deliverDue(t, o)
	// Enqueueing a delivered key again does not make it pending.
	if err := o.Enqueue(ctx, "drill_report", key, rc.url(), "application/json", body); err != nil {
		t.Fatal(err)
	}
	deliverDue(t, o)
	got, _, total := rc.received()
	if total != 1 || !bytes.Equal(got[key], body) || mustItem(t, o, key).State != StateDelivered {
		t.Fatalf("receiver: %d requests, %q", total, got[key])
	}
}

func TestEnqueueRefuses(t *testing.T) {
	ctx := context.Background()
	o := newOutbox(t, dbPath(t), newClock(), nil)
	ok := "https://continuite.example.org/rapports"
	cases := []struct {
		name, key, url, contentType string
		body                        []byte
		want                        error
	}{
		{"body over MaxBody", "k", ok, "", make([]byte, MaxBody+1), ErrTooLarge},
		{"plain http elsewhere", "k", "http://continuite.example.org/rapports", "", nil, ErrBadURL},
		{"credentials", "k", "https://agent:motdepasse@continuite.example.org/rapports", "", nil, ErrBadURL},
		{"other scheme", "k", "ftp://continuite.example.org/rapports", "", nil, ErrBadURL},
		{"relative", "k", "/rapports", "", nil, ErrBadURL},
		{"empty key", "", ok, "", nil, ErrBadKey},
		{"key with a space", "a b", ok, "", nil, ErrBadKey},
		{"key with a newline", "a\r\nX-Evil: 1", ok, "", nil, ErrBadKey},
		{"long key", strings.Repeat("k", MaxKey+1), ok, "", nil, ErrBadKey},
		{"content type", "k", ok, "application/json\r\nX-Evil: 1", nil, nil},
	}
	for _, tc := range cases {
		err := o.Enqueue(ctx, "drill_report", tc.key, tc.url, tc.contentType, tc.body)
		if err == nil || (tc.want != nil && !errors.Is(err, tc.want)) {
			t.Errorf("%s: %v, want %v", tc.name, err, tc.want)
		}
	}
	if items, _ := o.Items(ctx); len(items) != 0 {
		t.Fatalf("refused items were stored: %+v", items)
	}
	// At the limits: accepted.
	for i, url := range []string{ok, "http://127.0.0.1:9/r", "http://[::1]:9/r", "http://localhost:9/r"} {
		if err := o.Enqueue(ctx, "drill_report", fmt.Sprint("k-", i), url, "", make([]byte, MaxBody)); err != nil {
			t.Errorf("%s: %v", url, err)
		}
	}
}

// The log and the stored reason of a failure never quote the URL's query
// (a token), nor the body (personal answers).
func TestNoSecretInLastErrorOrLog(t *testing.T) {
	ctx := context.Background()
	rc := newReceiver(t)
	rc.setMode(fail500)
	c, l := newClock(), &logs{}
	o := newOutbox(t, dbPath(t), c, l)
	const token, personal = "jeton-TRES-SECRET", "Camille Dupont, 12 rue des Lilas"
	body := []byte(`{"participant":"` + personal + `"}`)
	ln, _ := net.Listen("tcp", "127.0.0.1:0")
	refused := "http://" + ln.Addr().String() + "/r?token=" + token
	ln.Close()
	for key, url := range map[string]string{
		"server-error": rc.url() + "?token=" + token,
		"refused":      refused,
		"bad-name":     "https://nulle-part.invalid/r?token=" + token,
	} {
		if err := o.Enqueue(ctx, "drill_report", key, url, "application/json", body); err != nil {
			t.Fatal(err)
		}
	}
	deliverDue(t, o)
	items, _ := o.Items(ctx)
	for _, it := range items {
		if it.LastError == "" || strings.Contains(it.LastError, token) || strings.Contains(it.LastError, "Camille") {
			t.Errorf("%s: last error %q", it.Key, it.LastError)
		}
	}
	if s := l.String(); strings.Contains(s, token) || strings.Contains(s, "Camille") || strings.Contains(s, "/r?") || l.count() < 3 {
		t.Errorf("log:\n%s", s)
	}
}

func TestDefaultBackoff(t *testing.T) {
	for _, tc := range []struct {
		n    int
		base time.Duration
	}{{0, 5 * time.Second}, {1, 5 * time.Second}, {2, 10 * time.Second}, {3, 20 * time.Second}, {10, 2560 * time.Second},
		{11, time.Hour}, {1000, time.Hour}} {
		for range 50 {
			d := DefaultBackoff(tc.n)
			lo, hi := time.Duration(float64(tc.base)*0.8), time.Duration(float64(tc.base)*1.2)
			if d < lo || d > hi {
				t.Fatalf("DefaultBackoff(%d) = %s, want within %s…%s", tc.n, d, lo, hi)
			}
		}
	}
}

// Run sends an item queued while it sleeps as soon as it is woken, and
// retries it on its own when the backoff ends; it returns when ctx ends.
func TestRun(t *testing.T) {
	rc := newReceiver(t)
	rc.setMode(fail500)
	o := newOutbox(t, dbPath(t), &clock{t: time.Now()}, nil)
	o.Now = time.Now
	o.Backoff = func(int) time.Duration { return 50 * time.Millisecond }
	o.minWait = 10 * time.Millisecond
	ctx, cancel := context.WithCancel(context.Background())
	wake := make(chan struct{}, 1)
	done := make(chan struct{})
	go func() { defer close(done); o.Run(ctx, wake) }()
	defer func() { cancel(); <-done }()

	key, body := report(1)
	if err := o.Enqueue(ctx, "drill_report", key, rc.url(), "application/json", body); err != nil {
		t.Fatal(err)
	}
	wake <- struct{}{}
	waitFor(t, rc.entered, key) // the first attempt: woken, not after the 5-minute ceiling
	rc.setMode(accept)
	waitFor(t, rc.entered, key) // the retry: on its own when due
	deadline := time.Now().Add(5 * time.Second)
	for mustItem(t, o, key).State != StateDelivered {
		if time.Now().After(deadline) {
			t.Fatalf("not delivered: %+v", mustItem(t, o, key))
		}
		time.Sleep(5 * time.Millisecond)
	}
	cancel()
	<-done
	if got, _, _ := rc.received(); !bytes.Equal(got[key], body) {
		t.Fatalf("received %q", got[key])
	}
}

func waitFor(t *testing.T, ch <-chan string, want string) {
	t.Helper()
	select {
	case got := <-ch:
		if got != want {
			t.Fatalf("request for %q, want %q", got, want)
		}
	case <-time.After(5 * time.Second):
		t.Fatalf("no request for %q", want)
	}
}

// A store that fails does not stop Run nor make it spin: it logs, waits,
// and tries again when woken.
func TestRunSurvivesStoreErrors(t *testing.T) {
	l := &logs{}
	o := newOutbox(t, dbPath(t), newClock(), l)
	o.DB.Close()
	o.dbRetry = time.Hour
	ctx, cancel := context.WithCancel(context.Background())
	wake := make(chan struct{})
	done := make(chan struct{})
	go func() { defer close(done); o.Run(ctx, wake) }()

	waitLogs := func(n int) {
		t.Helper()
		deadline := time.Now().Add(5 * time.Second)
		for l.count() < n {
			if time.Now().After(deadline) {
				t.Fatalf("%d log lines, want %d", l.count(), n)
			}
			time.Sleep(time.Millisecond)
		}
	}
	waitLogs(1)
	wake <- struct{}{} // accepted only once Run waits again
	waitLogs(2)
	wake <- struct{}{}
	waitLogs(3)
	cancel()
	<-done
	if n := l.count(); n != 3 || !strings.Contains(l.String(), "trying again in 1h0m0s") {
		t.Fatalf("%d log lines, want one per pass (3):\n%s", n, l)
	}
}

// A process killed while its request is in flight leaves the attempt
// counted and the item due only later: the next start does not retry it at
// once, and when it does, the receiver, which kept the first copy, gets it
// once by key.
func TestCrashMidRequest(t *testing.T) {
	rc := newReceiver(t)
	rc.setMode(keepThenHang)
	path := dbPath(t)
	c := &clock{t: time.Now()}
	o := newOutbox(t, path, c, nil)
	key, body := report(3)
	if err := o.Enqueue(context.Background(), "drill_report", key, rc.url(), "application/json", body); err != nil {
		t.Fatal(err)
	}

	cmd := exec.Command(os.Args[0], "-test.run=^TestHelperDeliver$")
	cmd.Env = append(os.Environ(), helperEnv+"="+path)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	select {
	case <-rc.entered: // the child's request is at the receiver
	case <-time.After(10 * time.Second):
		cmd.Process.Kill()
		cmd.Wait()
		t.Fatalf("the child sent nothing: %s", stderr.String())
	}
	if err := cmd.Process.Kill(); err != nil {
		t.Fatal(err)
	}
	cmd.Wait()
	killedAt := time.Now()

	it := mustItem(t, o, key)
	if it.State != StatePending || it.Attempts != 1 || it.NextAttempt.Before(killedAt.Add(time.Minute)) {
		t.Fatalf("after the crash: %+v (killed at %s)", it, killedAt)
	}
	rc.setMode(accept)
	o2 := newOutbox(t, path, c, nil)
	c.Set(time.Now())
	if got := deliverDue(t, o2); got != 0 || rc.requestsFor(key) != 1 {
		t.Fatalf("retried at once after the crash: %d delivered, %d requests", got, rc.requestsFor(key))
	}
	c.Advance(it.NextAttempt.Sub(c.Now()))
	if got := deliverDue(t, o2); got != 1 {
		t.Fatalf("%d delivered when due", got)
	}
	got, _, total := rc.received()
	if len(got) != 1 || !bytes.Equal(got[key], body) || total != 2 {
		t.Fatalf("receiver: %d reports in %d requests", len(got), total)
	}
}

const helperEnv = "RELAIS_OUTBOX_HELPER_DB"

// TestHelperDeliver is not a test: it is the process TestCrashMidRequest
// kills mid-request.
func TestHelperDeliver(t *testing.T) {
	path := os.Getenv(helperEnv)
	if path == "" {
		t.Skip("child process of TestCrashMidRequest")
	}
	db, err := store.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	o := &Outbox{DB: db, Timeout: time.Minute}
	_, err = o.DeliverDue(context.Background())
	t.Fatalf("DeliverDue returned (%v): it should have been killed", err)
}

func TestRetryAfterParsing(t *testing.T) {
	now := time.Date(2026, 11, 3, 9, 30, 0, 0, time.UTC)
	for h, want := range map[string]time.Duration{
		"":                              0,
		"30":                            30 * time.Second,
		" 30 ":                          30 * time.Second,
		"-5":                            0,
		"3601":                          MaxRetryAfter,
		"9223372036854775807":           MaxRetryAfter,
		"Tue, 03 Nov 2026 09:32:00 GMT": 2 * time.Minute,
		"Tue, 03 Nov 2026 09:00:00 GMT": 0,
		"Sat, 03 Nov 2035 09:00:00 GMT": MaxRetryAfter,
		"soon":                          0,
	} {
		if got := retryAfter(h, now); got != want {
			t.Errorf("retryAfter(%q) = %s, want %s", h, got, want)
		}
	}
}

// A 2xx answer that is a receipt (the organisation's server's) is kept on
// the delivered item; any other 2xx answer delivers the item with no
// receipt.
func TestReceipt(t *testing.T) {
	ctx := context.Background()
	received := time.Date(2026, 12, 6, 7, 50, 3, 125e6, time.UTC)
	receipt := func(key string, id int64) []byte {
		return fmt.Appendf(nil, `{"kind":"report","key":%q,"id":%d,"received":%q,"sha256":"%s","bytes":120}`,
			key, id, received.Format(time.RFC3339Nano), strings.Repeat("ab", 32))
	}
	cases := []struct {
		name   string
		answer func(key string) []byte
		wantID int64 // 0: no receipt
	}{
		{"receipt", func(key string) []byte { return receipt(key, 12) }, 12},
		{"none", nil, 0},
		{"empty", func(string) []byte { return []byte{} }, 0},
		{"text", func(string) []byte { return []byte("merci !") }, 0},
		{"junk", func(string) []byte { return []byte{0xff, 0xfe, '{', 0} }, 0},
		{"array", func(key string) []byte { return append(append([]byte("["), receipt(key, 12)...), ']') }, 0},
		{"truncated", func(key string) []byte { r := receipt(key, 12); return r[:len(r)-3] }, 0},
		{"another key", func(string) []byte { return receipt("run-9999", 12) }, 0},
		{"no id", func(key string) []byte { return receipt(key, 0) }, 0},
		{"no date", func(key string) []byte { return fmt.Appendf(nil, `{"kind":"report","key":%q,"id":3}`, key) }, 0},
		{"padded beyond 1 KiB", func(key string) []byte {
			r := receipt(key, 12)
			return append(r[:len(r)-1], fmt.Appendf(nil, `,"pad":%q}`, strings.Repeat("x", 1<<10))...)
		}, 0},
		{"huge", func(string) []byte { return bytes.Repeat([]byte("x"), 10<<20) }, 0},
	}
	for i, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			rc := newReceiver(t)
			rc.setAnswer(tc.answer)
			o := newOutbox(t, dbPath(t), newClock(), nil)
			// Not a test of the deadline: the 10 MiB answer alone can take
			// longer than testTimeout to start on a loaded machine (CI).
			o.Timeout = 30 * time.Second
			key, body := report(i)
			if err := o.Enqueue(ctx, "drill_report", key, rc.url(), "application/json", body); err != nil {
				t.Fatal(err)
			}
			if got := deliverDue(t, o); got != 1 {
				t.Fatalf("%d delivered, want 1", got)
			}
			it := mustItem(t, o, key)
			if it.State != StateDelivered {
				t.Fatalf("item %+v", it)
			}
			switch {
			case tc.wantID == 0 && it.Receipt != nil:
				t.Fatalf("receipt %+v from an answer that is none", it.Receipt)
			case tc.wantID != 0 && (it.Receipt == nil || it.Receipt.ID != tc.wantID || !it.Receipt.Received.Equal(received)):
				t.Fatalf("receipt %+v, want no. %d received %v", it.Receipt, tc.wantID, received)
			}
			items, err := o.Items(ctx)
			if err != nil || len(items) != 1 || (items[0].Receipt != nil) != (tc.wantID != 0) {
				t.Fatalf("items %+v %v", items, err)
			}
		})
	}
}

func TestParseReceiptKeepsNoMoreThanItsTwoFacts(t *testing.T) {
	r := parseReceipt([]byte(`{"kind":"report","key":"k","id":7,"received":"2026-12-06T07:50:03Z","sha256":"x","bytes":1}`), "k")
	if r == nil || r.ID != 7 || !r.Received.Equal(time.Date(2026, 12, 6, 7, 50, 3, 0, time.UTC)) {
		t.Fatalf("receipt %+v", r)
	}
	if r := parseReceipt([]byte(`{"kind":"report","key":"k","id":7,"received":"2026-12-06T07:50:03Z"}`), "other"); r != nil {
		t.Fatalf("a receipt for another key: %+v", r)
	}
}
