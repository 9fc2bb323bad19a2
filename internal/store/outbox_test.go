package store

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"path/filepath"
	"sync"
	"testing"
	"time"
)

func testOutboxItem(key string) OutboxItem {
	return OutboxItem{Key: key, Kind: "drill_report", URL: "https://continuite.example.org/rapports",
		ContentType: "application/json", Body: []byte(`{"run_id":"` + key + `"}`)}
}

func TestOutboxEnqueueKeepsTheFirst(t *testing.T) {
	db := openTest(t)
	ctx := context.Background()
	added, err := db.EnqueueOutbox(ctx, testOutboxItem("run-1"))
	if err != nil || !added {
		t.Fatalf("first enqueue: added=%v err=%v", added, err)
	}
	again := testOutboxItem("run-1")
	again.Body = []byte("something else")
	again.URL = "https://ailleurs.example.org/"
	added, err = db.EnqueueOutbox(ctx, again)
	if err != nil || added {
		t.Fatalf("second enqueue of the same key: added=%v err=%v, want false and nil", added, err)
	}
	it, err := db.OutboxItem(ctx, "run-1")
	if err != nil {
		t.Fatal(err)
	}
	want := testOutboxItem("run-1")
	if !bytes.Equal(it.Body, want.Body) || it.URL != want.URL || it.State != OutboxPending || it.Attempts != 0 ||
		!it.Created.Equal(testNow) || !it.NextAttempt.Equal(testNow) || !it.Delivered.IsZero() || it.ContentType != "application/json" {
		t.Fatalf("item after two enqueues: %+v", it)
	}
	if n := rawCount(t, db, "outbox"); n != 1 {
		t.Fatalf("%d rows, want 1", n)
	}
	if _, err := db.OutboxItem(ctx, "unknown"); !errors.Is(err, ErrNotFound) {
		t.Fatalf("unknown key: %v", err)
	}
}

func TestOutboxEnqueueRefuses(t *testing.T) {
	db := openTest(t)
	for name, it := range map[string]OutboxItem{
		"no key":      {Kind: "k", URL: "https://x.example/"},
		"no kind":     {Key: "a", URL: "https://x.example/"},
		"no url":      {Key: "a", Kind: "k"},
		"credentials": {Key: "a", Kind: "k", URL: "https://u:secret@x.example/"},
	} {
		if _, err := db.EnqueueOutbox(context.Background(), it); err == nil {
			t.Errorf("%s: accepted", name)
		}
	}
	if n := rawCount(t, db, "outbox"); n != 0 {
		t.Fatalf("%d rows after refusals", n)
	}
}

func TestOutboxClaimAndRecord(t *testing.T) {
	db := openTest(t)
	ctx := context.Background()
	for _, k := range []string{"b", "a"} {
		if _, err := db.EnqueueOutbox(ctx, testOutboxItem(k)); err != nil {
			t.Fatal(err)
		}
	}
	if next, ok, err := db.NextOutboxAttempt(ctx); err != nil || !ok || !next.Equal(testNow) {
		t.Fatalf("next attempt: %v %v %v", next, ok, err)
	}
	due, err := db.DueOutbox(ctx, testNow, 0)
	if err != nil || fmt.Sprint(due) != "[b a]" {
		t.Fatalf("due: %v %v, want [b a] (oldest first)", due, err)
	}
	if due, _ := db.DueOutbox(ctx, testNow.Add(-time.Millisecond), 0); len(due) != 0 {
		t.Fatalf("due before their time: %v", due)
	}

	lease := testNow.Add(time.Minute)
	var gotAttempt int
	it, err := db.ClaimOutbox(ctx, "a", testNow, func(n int) time.Time { gotAttempt = n; return lease })
	if err != nil {
		t.Fatal(err)
	}
	if it.Attempts != 1 || gotAttempt != 1 || !it.NextAttempt.Equal(lease) || string(it.Body) != `{"run_id":"a"}` {
		t.Fatalf("claimed: %+v (until called with %d)", it, gotAttempt)
	}
	// The claim is in the store before anything is sent: a crash now
	// leaves the item due only at the lease, attempt counted.
	stored, _ := db.OutboxItem(ctx, "a")
	if stored.Attempts != 1 || !stored.NextAttempt.Equal(lease) {
		t.Fatalf("stored after claim: %+v", stored)
	}
	if _, err := db.ClaimOutbox(ctx, "a", testNow, func(int) time.Time { return lease }); !errors.Is(err, ErrNotFound) {
		t.Fatalf("second claim before the lease ends: %v, want ErrNotFound", err)
	}
	if due, _ := db.DueOutbox(ctx, testNow, 0); fmt.Sprint(due) != "[b]" {
		t.Fatalf("due with a claimed: %v", due)
	}

	// A retry recorded for a stale attempt changes nothing.
	retryAt := testNow.Add(10 * time.Second)
	if changed, err := db.RecordOutboxAttempt(ctx, "a", 0, OutboxAttempt{State: OutboxPending, Status: 500, Error: "HTTP 500", NextAttempt: retryAt}); err != nil || changed {
		t.Fatalf("stale record: changed=%v err=%v", changed, err)
	}
	if changed, err := db.RecordOutboxAttempt(ctx, "a", 1, OutboxAttempt{State: OutboxPending, Status: 500, Error: "HTTP 500", NextAttempt: retryAt}); err != nil || !changed {
		t.Fatalf("record retry: changed=%v err=%v", changed, err)
	}
	stored, _ = db.OutboxItem(ctx, "a")
	if stored.State != OutboxPending || stored.LastStatus != 500 || stored.LastError != "HTTP 500" || !stored.NextAttempt.Equal(retryAt) {
		t.Fatalf("after retry: %+v", stored)
	}
	if next, _, _ := db.NextOutboxAttempt(ctx); !next.Equal(testNow) {
		t.Fatalf("next attempt %v, want b's %v", next, testNow)
	}

	it, err = db.ClaimOutbox(ctx, "a", retryAt, func(int) time.Time { return retryAt.Add(time.Minute) })
	if err != nil || it.Attempts != 2 {
		t.Fatalf("claim 2: %+v %v", it, err)
	}
	deliveredAt := retryAt.Add(time.Second)
	if changed, err := db.RecordOutboxAttempt(ctx, "a", 2, OutboxAttempt{State: OutboxDelivered, Status: 201, At: deliveredAt}); err != nil || !changed {
		t.Fatalf("record delivered: changed=%v err=%v", changed, err)
	}
	stored, _ = db.OutboxItem(ctx, "a")
	if stored.State != OutboxDelivered || stored.LastStatus != 201 || stored.LastError != "" || !stored.Delivered.Equal(deliveredAt) {
		t.Fatalf("after delivery: %+v", stored)
	}
	if _, err := db.ClaimOutbox(ctx, "a", deliveredAt.Add(time.Hour), func(int) time.Time { return deliveredAt }); !errors.Is(err, ErrNotFound) {
		t.Fatalf("claim of a delivered item: %v", err)
	}
	// A late rejection or retry from an older attempt cannot undo a delivery.
	if changed, _ := db.RecordOutboxAttempt(ctx, "a", 2, OutboxAttempt{State: OutboxRejected, Status: 400}); changed {
		t.Fatal("a delivered item was rejected")
	}

	// Reject b.
	if _, err := db.ClaimOutbox(ctx, "b", testNow, func(int) time.Time { return lease }); err != nil {
		t.Fatal(err)
	}
	if changed, err := db.RecordOutboxAttempt(ctx, "b", 1, OutboxAttempt{State: OutboxRejected, Status: 400, Error: "HTTP 400"}); err != nil || !changed {
		t.Fatalf("record rejected: %v %v", changed, err)
	}
	if _, ok, err := db.NextOutboxAttempt(ctx); ok || err != nil {
		t.Fatalf("next attempt with nothing pending: ok=%v err=%v", ok, err)
	}
	items, err := db.OutboxItems(ctx)
	if err != nil || len(items) != 2 || items[0].Body != nil {
		t.Fatalf("items: %+v %v", items, err)
	}
	if _, err := db.RecordOutboxAttempt(ctx, "b", 1, OutboxAttempt{State: "lost"}); err == nil {
		t.Fatal("unknown state recorded")
	}
}

// Two store handles on one file (two processes: the GUI and the CLI)
// claiming the same items at once: each claim goes to exactly one.
func TestOutboxClaimIsExclusiveAcrossHandles(t *testing.T) {
	path := filepath.Join(t.TempDir(), "relais.db")
	dbs := make([]*DB, 2)
	for i := range dbs {
		db, err := Open(path)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { db.Close() })
		dbs[i] = db
	}
	ctx := context.Background()
	const items = 20
	for i := range items {
		it := testOutboxItem(fmt.Sprintf("run-%02d", i))
		it.Created = testNow
		if _, err := dbs[0].EnqueueOutbox(ctx, it); err != nil {
			t.Fatal(err)
		}
	}
	var (
		mu     sync.Mutex
		claims = map[string]int{}
		wg     sync.WaitGroup
	)
	for w := range 4 {
		db := dbs[w%2]
		wg.Go(func() {
			keys, err := db.DueOutbox(ctx, testNow, 0)
			if err != nil {
				t.Error(err)
				return
			}
			for _, k := range keys {
				_, err := db.ClaimOutbox(ctx, k, testNow, func(int) time.Time { return testNow.Add(time.Hour) })
				if errors.Is(err, ErrNotFound) {
					continue
				}
				if err != nil {
					t.Error(err)
					return
				}
				mu.Lock()
				claims[k]++
				mu.Unlock()
			}
		})
	}
	wg.Wait()
	if len(claims) != items {
		t.Fatalf("%d items claimed, want %d", len(claims), items)
	}
	for k, n := range claims {
		if n != 1 {
			t.Errorf("%s claimed %d times", k, n)
		}
	}
}

func TestPruneOutboxKeepsPending(t *testing.T) {
	db := openTest(t)
	ctx := context.Background()
	for i := range 6 {
		it := testOutboxItem(fmt.Sprintf("run-%d", i))
		it.Created = testNow.Add(time.Duration(i) * time.Minute)
		if _, err := db.EnqueueOutbox(ctx, it); err != nil {
			t.Fatal(err)
		}
		if i%3 == 2 {
			continue // run-2 and run-5 stay pending
		}
		if _, err := db.ClaimOutbox(ctx, it.Key, it.Created, func(int) time.Time { return it.Created }); err != nil {
			t.Fatal(err)
		}
		if _, err := db.RecordOutboxAttempt(ctx, it.Key, 1, OutboxAttempt{State: OutboxDelivered, Status: 200}); err != nil {
			t.Fatal(err)
		}
	}
	if err := db.PruneOutbox(ctx, 1); err != nil {
		t.Fatal(err)
	}
	items, _ := db.OutboxItems(ctx)
	var keys []string
	for _, it := range items {
		keys = append(keys, it.Key)
	}
	if fmt.Sprint(keys) != "[run-5 run-4 run-2]" {
		t.Fatalf("after pruning to 1 finished item: %v", keys)
	}
}

// A delivery keeps the receiver's receipt when it gave one, and only then;
// the receipt comes back in OutboxItem and OutboxItems.
func TestOutboxDeliveryKeepsTheReceipt(t *testing.T) {
	db := openTest(t)
	ctx := context.Background()
	received := time.Date(2025, 12, 6, 7, 50, 12, 345e6, time.UTC)
	for _, key := range []string{"with", "without", "half"} {
		if _, err := db.EnqueueOutbox(ctx, testOutboxItem(key)); err != nil {
			t.Fatal(err)
		}
		if _, err := db.ClaimOutbox(ctx, key, testNow, func(int) time.Time { return testNow.Add(time.Minute) }); err != nil {
			t.Fatal(err)
		}
	}
	attempts := map[string]*OutboxReceipt{
		"with":    {ID: 12, Received: received},
		"without": nil,
		"half":    {ID: 13}, // no date: not a receipt
	}
	for key, r := range attempts {
		if _, err := db.RecordOutboxAttempt(ctx, key, 1, OutboxAttempt{State: OutboxDelivered, Status: 201, Receipt: r}); err != nil {
			t.Fatal(err)
		}
	}
	it, err := db.OutboxItem(ctx, "with")
	if err != nil || it.Receipt == nil || it.Receipt.ID != 12 || !it.Receipt.Received.Equal(received) {
		t.Fatalf("with a receipt: %+v %v", it, err)
	}
	for _, key := range []string{"without", "half"} {
		if it, err := db.OutboxItem(ctx, key); err != nil || it.State != OutboxDelivered || it.Receipt != nil {
			t.Fatalf("%s: %+v %v", key, it, err)
		}
	}
	items, err := db.OutboxItems(ctx)
	if err != nil {
		t.Fatal(err)
	}
	for _, it := range items {
		if (it.Receipt != nil) != (it.Key == "with") {
			t.Fatalf("items: %s receipt %+v", it.Key, it.Receipt)
		}
	}
}
