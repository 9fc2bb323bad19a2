package server_test

import (
	"bytes"
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"relais/internal/outbox"
	"relais/internal/server/db"
	"relais/internal/server/db/pgtest"
	"relais/internal/store"
)

// clock is a laptop's clock that tests move forward.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) Now() time.Time { c.mu.Lock(); defer c.mu.Unlock(); return c.t }

func (c *clock) Advance(d time.Duration) { c.mu.Lock(); c.t = c.t.Add(d); c.mu.Unlock() }

// laptop is a real outbox on a real store in its own RELAIS_HOME.
func laptop(t *testing.T, c *clock) *outbox.Outbox {
	t.Helper()
	st, err := store.Open(filepath.Join(t.TempDir(), "relais.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	return &outbox.Outbox{DB: st, Timeout: 5 * time.Second, Now: c.Now,
		Backoff: func(n int) time.Duration { return time.Duration(n) * time.Minute }}
}

func mustState(t *testing.T, o *outbox.Outbox, key, want string) *outbox.Item {
	t.Helper()
	it, err := o.Item(context.Background(), key)
	if err != nil {
		t.Fatal(err)
	}
	if it.State != want {
		t.Fatalf("%s: state %s (last status %d, %s), want %s", key, it.State, it.LastStatus, it.LastError, want)
	}
	return it
}

// A laptop's outbox delivers a report and a bundle; the first answer to
// the report is lost after the server stored it, and the retry stores
// nothing twice.
func TestOutboxDeliversExactlyOnce(t *testing.T) {
	t.Parallel()
	eachBackend(t, func(t *testing.T, opts db.Options) {
		in := startServer(t, openDB(t, opts), "", nil)
		var lost atomic.Bool
		lost.Store(true)
		// The first request reaches the server, whose answer is then lost
		// (the connection is cut).
		front := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			if lost.CompareAndSwap(true, false) {
				rec := httptest.NewRecorder()
				in.srv.Config.Handler.ServeHTTP(rec, r)
				if rec.Code != http.StatusCreated {
					t.Errorf("the lost answer was %d %s", rec.Code, rec.Body)
				}
				panic(http.ErrAbortHandler)
			}
			in.srv.Config.Handler.ServeHTTP(w, r)
		}))
		t.Cleanup(front.Close)

		c := &clock{t: time.Date(2026, 11, 3, 9, 30, 0, 0, time.UTC)}
		o := laptop(t, c)
		ctx := ctxFor(t)
		if err := o.Enqueue(ctx, "drill_report", "run-o", front.URL+"/v1/reports", "application/json", reportJSON(t, "run-o")); err != nil {
			t.Fatal(err)
		}
		bundle := bytes.Repeat([]byte("age"), 1000)
		if err := o.Enqueue(ctx, "diag_bundle", "RLS-7K3M-Q9TD", front.URL+"/v1/bundles", "application/octet-stream", bundle); err != nil {
			t.Fatal(err)
		}
		if n, err := o.DeliverDue(ctx); err != nil || n != 1 {
			t.Fatalf("first pass: %d delivered, %v", n, err)
		}
		mustState(t, o, "run-o", outbox.StatePending)
		mustState(t, o, "RLS-7K3M-Q9TD", outbox.StateDelivered)
		if got := counts(t, in.db); got != "1 reports, 1 bundles" {
			t.Fatalf("after the lost answer: %s", got)
		}
		c.Advance(time.Hour)
		if n, err := o.DeliverDue(ctx); err != nil || n != 1 {
			t.Fatalf("retry: %d delivered, %v", n, err)
		}
		if it := mustState(t, o, "run-o", outbox.StateDelivered); it.LastStatus != http.StatusOK {
			t.Errorf("the retry got %d, want 200 (a repeat)", it.LastStatus)
		}
		if got := counts(t, in.db); got != "1 reports, 1 bundles" {
			t.Errorf("after the retry: %s", got)
		}
		if got, _ := in.db.BundleBody(ctx, "RLS-7K3M-Q9TD"); !bytes.Equal(got, bundle) {
			t.Errorf("the bundle was not stored as sent")
		}
	})
}

// Two server instances share one PostgreSQL; two laptops' outboxes send
// the same report to them at once: one row, both delivered, one receipt.
func TestTwoInstancesTwoOutboxesOneRow(t *testing.T) {
	t.Parallel()
	url := pgtest.Shared(t).NewDatabase(t)
	a := startServer(t, openDB(t, db.Options{DatabaseURL: url}), "", nil)
	b := startServer(t, openDB(t, db.Options{DatabaseURL: url}), "", nil)
	c := &clock{t: time.Date(2026, 11, 3, 9, 30, 0, 0, time.UTC)}
	const reports = 30
	outboxes := []*outbox.Outbox{laptop(t, c), laptop(t, c)}
	ctx := ctxFor(t)
	for i, o := range outboxes {
		in := []*instance{a, b}[i]
		for n := range reports {
			key := fmt.Sprintf("run-%02d", n)
			if err := o.Enqueue(ctx, "drill_report", key, in.url("/v1/reports"), "application/json", reportJSON(t, key)); err != nil {
				t.Fatal(err)
			}
		}
	}
	var wg sync.WaitGroup
	for _, o := range outboxes {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if n, err := o.DeliverDue(ctx); err != nil || n != reports {
				t.Errorf("%d delivered, %v", n, err)
			}
		}()
	}
	wg.Wait()
	if got := counts(t, a.db); got != fmt.Sprintf("%d reports, 0 bundles", reports) {
		t.Errorf("stored %s", got)
	}
	for n := range reports {
		key := fmt.Sprintf("run-%02d", n)
		s1 := mustState(t, outboxes[0], key, outbox.StateDelivered).LastStatus
		s2 := mustState(t, outboxes[1], key, outbox.StateDelivered).LastStatus
		if s1+s2 != http.StatusCreated+http.StatusOK {
			t.Errorf("%s: answers %d and %d, want one 201 and one 200", key, s1, s2)
		}
	}
}

// PostgreSQL restarts while laptops submit: the answers in between are
// 503, the outbox retries, nothing is lost and nothing stored twice.
func TestPostgresRestartDuringIntake(t *testing.T) {
	t.Parallel()
	cluster := pgtest.New(t)
	d := openDB(t, db.Options{DatabaseURL: cluster.NewDatabase(t)})
	in := startServer(t, d, "[limits]\nrate_per_minute = 1000000\nrate_burst = 1000000\n", nil)
	c := &clock{t: time.Date(2026, 11, 3, 9, 30, 0, 0, time.UTC)}
	o := laptop(t, c)
	ctx := ctxFor(t)
	const reports = 40
	for n := range reports {
		key := fmt.Sprintf("run-%02d", n)
		if err := o.Enqueue(ctx, "drill_report", key, in.url("/v1/reports"), "application/json", reportJSON(t, key)); err != nil {
			t.Fatal(err)
		}
	}
	// The first pass runs while the cluster stops and starts again.
	restarted := make(chan error, 1)
	go func() {
		time.Sleep(20 * time.Millisecond)
		if err := cluster.Stop(); err != nil {
			restarted <- err
			return
		}
		time.Sleep(300 * time.Millisecond)
		restarted <- cluster.Start()
	}()
	first, err := o.DeliverDue(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if err := <-restarted; err != nil {
		t.Fatal(err)
	}
	delivered := first
	for pass := 0; delivered < reports && pass < 10; pass++ {
		c.Advance(2 * time.Hour)
		n, err := o.DeliverDue(ctx)
		if err != nil {
			t.Fatal(err)
		}
		delivered += n
	}
	if delivered != reports {
		t.Fatalf("%d delivered, want %d\n%s", delivered, reports, in.logs)
	}
	if got := counts(t, d); got != fmt.Sprintf("%d reports, 0 bundles", reports) {
		t.Errorf("stored %s", got)
	}
	items, err := o.Items(ctx)
	if err != nil {
		t.Fatal(err)
	}
	retried := 0
	for _, it := range items {
		if it.State != outbox.StateDelivered {
			t.Errorf("%s: %s", it.Key, it.State)
		}
		if it.Attempts > 1 {
			retried++
		}
		body, err := d.ReportBody(ctx, it.Key)
		if err != nil || !bytes.Equal(body, reportJSON(t, it.Key)) {
			t.Errorf("%s: stored body differs (%v)", it.Key, err)
		}
	}
	t.Logf("first pass: %d delivered; %d reports needed a retry", first, retried)
	if retried == 0 {
		t.Errorf("no report met the restart: the test did not test it")
	}
}
