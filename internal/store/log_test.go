package store

import (
	"context"
	"errors"
	"fmt"
	"testing"
	"time"
)

func TestLastSync(t *testing.T) {
	ctx := context.Background()
	db := openTest(t)
	if _, err := db.LastSync(ctx); !errors.Is(err, ErrNotFound) {
		t.Fatalf("LastSync on an empty store: %v, want ErrNotFound", err)
	}
	first := SyncAttempt{At: testNow.Add(-time.Hour), Source: "https://continuite.example.org/profile.toml", Outcome: OutcomeAccepted, Serial: 4}
	last := SyncAttempt{Source: first.Source, Outcome: OutcomeRefused, Serial: 3,
		Reason: "profile: serial 3 is lower than the last accepted 4", Code: "rollback"}
	for _, a := range []SyncAttempt{first, last} {
		if err := db.RecordSync(ctx, a); err != nil {
			t.Fatal(err)
		}
	}
	got, err := db.LastSync(ctx)
	if err != nil {
		t.Fatal(err)
	}
	last.At = testNow // zero At: the store's clock
	if *got != last {
		t.Fatalf("LastSync = %+v, want %+v", *got, last)
	}
}

func TestRecordSyncRejectsUnknownOutcome(t *testing.T) {
	db := openTest(t)
	if err := db.RecordSync(context.Background(), SyncAttempt{Outcome: "maybe"}); err == nil {
		t.Fatal("RecordSync accepted an unknown outcome")
	}
}

func TestRecordSyncPrunes(t *testing.T) {
	ctx := context.Background()
	db := openTest(t)
	db.keepSyncs = 3
	for serial := range int64(5) {
		if err := db.RecordSync(ctx, SyncAttempt{Outcome: OutcomeFailed, Serial: serial}); err != nil {
			t.Fatal(err)
		}
	}
	if n := rawCount(t, db, "sync_attempts"); n != 3 {
		t.Fatalf("%d sync attempts kept, want 3", n)
	}
	if got, err := db.LastSync(ctx); err != nil || got.Serial != 4 {
		t.Fatalf("LastSync = %+v, %v; want serial 4", got, err)
	}
}

func TestEventsNewestFirst(t *testing.T) {
	ctx := context.Background()
	db := openTest(t)
	if events, err := db.Events(ctx, 10); err != nil || len(events) != 0 {
		t.Fatalf("Events on an empty store = %v, %v", events, err)
	}
	// The clock goes backwards: order is still the order of logging.
	clock := testNow
	db.Now = func() time.Time { return clock }
	for i := range 3 {
		clock = testNow.Add(-time.Duration(i) * time.Minute)
		if err := db.LogEvent(ctx, "sync", fmt.Sprintf("event %d", i)); err != nil {
			t.Fatal(err)
		}
	}
	events, err := db.Events(ctx, 2)
	if err != nil {
		t.Fatal(err)
	}
	if len(events) != 2 || events[0].Message != "event 2" || events[1].Message != "event 1" {
		t.Fatalf("Events(2) = %+v, want event 2 then event 1", events)
	}
	if events[0].ID <= events[1].ID || events[0].Kind != "sync" || !events[0].At.Equal(testNow.Add(-2*time.Minute)) {
		t.Errorf("Events(2)[0] = %+v", events[0])
	}
	all, err := db.Events(ctx, 0)
	if err != nil {
		t.Fatal(err)
	}
	if len(all) != 3 || all[2].Message != "event 0" {
		t.Fatalf("Events(0) = %+v, want all 3", all)
	}
}

func TestLogEventPrunes(t *testing.T) {
	ctx := context.Background()
	db := openTest(t)
	db.keepEvents = 4
	for i := range 10 {
		if err := db.LogEvent(ctx, "test", fmt.Sprint(i)); err != nil {
			t.Fatal(err)
		}
	}
	events, err := db.Events(ctx, 0)
	if err != nil {
		t.Fatal(err)
	}
	if len(events) != 4 || events[0].Message != "9" || events[3].Message != "6" {
		t.Fatalf("kept %+v, want events 9…6", events)
	}
}

func TestLogEventRequiresKind(t *testing.T) {
	db := openTest(t)
	if err := db.LogEvent(context.Background(), "", "no kind"); err == nil {
		t.Fatal("LogEvent accepted an empty kind")
	}
}
