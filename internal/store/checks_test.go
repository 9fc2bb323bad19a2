package store

import (
	"context"
	"errors"
	"path/filepath"
	"testing"
	"time"
)

func TestCheckHistory(t *testing.T) {
	ctx := context.Background()
	db, err := Open(filepath.Join(t.TempDir(), "relais.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	if _, err := db.LastChecks(ctx); !errors.Is(err, ErrNotFound) {
		t.Fatalf("LastChecks on an empty store: %v", err)
	}
	run1 := time.UnixMilli(1_700_000_000_000).UTC()
	run2 := run1.Add(time.Minute)
	for i, run := range []time.Time{run1, run2} {
		recs := []CheckRecord{
			{RunAt: run, At: run.Add(10 * time.Millisecond), CheckID: "paie-web", AppID: "paie", Type: "http", State: "ok", Duration: 12500 * time.Microsecond},
			{RunAt: run, At: run.Add(20 * time.Millisecond), CheckID: "messagerie-web", AppID: "messagerie", Type: "http", State: "failed", ReasonCode: "http_status", DetailJSON: `{"x":1}`},
		}
		if i == 1 {
			recs[1].State, recs[1].ReasonCode = "ok", ""
		}
		if err := db.RecordChecks(ctx, recs); err != nil {
			t.Fatal(err)
		}
	}
	last, err := db.LastChecks(ctx)
	if err != nil || len(last) != 2 || !last[0].RunAt.Equal(run2) || last[0].Duration != 12500*time.Microsecond || last[1].State != "ok" {
		t.Fatalf("LastChecks: %v %+v", err, last)
	}
	h, err := db.CheckHistory(ctx, "messagerie-web", 0)
	if err != nil || len(h) != 2 || h[0].State != "ok" || h[1].State != "failed" || h[1].ReasonCode != "http_status" || h[1].DetailJSON != `{"x":1}` {
		t.Fatalf("CheckHistory: %v %+v", err, h)
	}
	if err := db.PruneChecks(ctx, 3); err != nil {
		t.Fatal(err)
	}
	if n, _ := db.CheckCount(ctx); n != 3 {
		t.Fatalf("after prune: %d results", n)
	}
	if h, _ := db.CheckHistory(ctx, "paie-web", 0); len(h) != 1 || !h[0].RunAt.Equal(run2) {
		t.Fatalf("prune kept the wrong ones: %+v", h)
	}
}
