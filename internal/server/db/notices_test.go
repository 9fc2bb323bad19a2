package db_test

import (
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"sync"
	"testing"
	"time"

	"relais/internal/server/db"
)

// fakeBuild is a BuildNotices that writes the serial and the items' row
// ids, so that tests can read back what each document carried.
func fakeBuild(serial int64, issued time.Time, items []db.NoticeItem) ([]byte, []byte, error) {
	ids := make([]int64, 0, len(items))
	for _, it := range items {
		ids = append(ids, it.ID)
	}
	b, err := json.Marshal(struct {
		Serial int64   `json:"serial"`
		Items  []int64 `json:"items"`
	}{serial, ids})
	return b, []byte(fmt.Sprintf("sig of %d", serial)), err
}

type carried struct {
	Serial int64   `json:"serial"`
	Items  []int64 `json:"items"`
}

func carriedBy(t *testing.T, d db.NoticeDocument) carried {
	t.Helper()
	var c carried
	if err := json.Unmarshal(d.Body, &c); err != nil {
		t.Fatal(err)
	}
	if c.Serial != d.Serial {
		t.Fatalf("document %d carries serial %d", d.Serial, c.Serial)
	}
	return c
}

func notice(text string, from, until time.Time) db.NoticeItem {
	return db.NoticeItem{Kind: db.KindNotice, Level: "warning", TextFR: text, TextEN: text, From: from, Until: until, CreatedBy: "alice"}
}

// Each change publishes the next serial with the items neither ended nor
// over; an ended item leaves the next document; a refused build and a
// second end store nothing.
func TestNoticesPublish(t *testing.T) {
	t.Parallel()
	eachBackend(t, func(t *testing.T, opts db.Options) {
		now := time.Date(2026, 12, 5, 9, 0, 0, 0, time.UTC)
		opts.Now = func() time.Time { return now }
		d := open(t, opts)
		if _, err := d.LatestNoticeDocument(ctx(t)); !errors.Is(err, db.ErrNotFound) {
			t.Fatalf("latest of none: %v", err)
		}
		a, err := d.AddNoticeItem(ctx(t), notice("a", time.Time{}, now.Add(4*time.Hour)), fakeBuild)
		if err != nil || a.Serial != 1 || a.SHA256 == "" || string(a.Signature) != "sig of 1" {
			t.Fatalf("%+v %v", a, err)
		}
		w := db.NoticeItem{Kind: db.KindWindow, App: "paie", From: now, Until: now.Add(time.Hour), CreatedBy: "bob"}
		b, err := d.AddNoticeItem(ctx(t), w, fakeBuild)
		if err != nil || b.Serial != 2 || len(carriedBy(t, b).Items) != 2 {
			t.Fatalf("%+v %v", b, err)
		}
		items, err := d.OpenNoticeItems(ctx(t), now)
		if err != nil || len(items) != 2 {
			t.Fatal(items, err)
		}
		first, second := items[0], items[1]
		if first.Kind != db.KindNotice || first.Level != "warning" || first.TextFR != "a" || !first.Until.Equal(now.Add(4*time.Hour)) ||
			!first.From.IsZero() || first.CreatedBy != "alice" || !first.CreatedAt.Equal(now) {
			t.Fatalf("read back %+v", first)
		}
		if second.Kind != db.KindWindow || second.App != "paie" || !second.From.Equal(now) {
			t.Fatalf("read back %+v", second)
		}

		// Ending the notice: the next document no longer carries it.
		now = now.Add(time.Minute)
		c, err := d.EndNoticeItem(ctx(t), first.ID, "carol", fakeBuild)
		if err != nil || c.Serial != 3 || !slices.Equal(carriedBy(t, c).Items, []int64{second.ID}) {
			t.Fatalf("%+v %v", c, err)
		}
		if _, err := d.EndNoticeItem(ctx(t), first.ID, "carol", fakeBuild); !errors.Is(err, db.ErrNoticeEnded) {
			t.Fatalf("ended twice: %v", err)
		}
		if _, err := d.EndNoticeItem(ctx(t), 999999, "carol", fakeBuild); !errors.Is(err, db.ErrNoticeEnded) {
			t.Fatalf("unknown item: %v", err)
		}

		// A refused build stores neither the item nor a document.
		refused := errors.New("refused")
		if _, err := d.AddNoticeItem(ctx(t), notice("b", time.Time{}, time.Time{}), func(int64, time.Time, []db.NoticeItem) ([]byte, []byte, error) {
			return nil, nil, refused
		}); !errors.Is(err, refused) {
			t.Fatalf("refused build: %v", err)
		}
		if items, _ := d.OpenNoticeItems(ctx(t), now); len(items) != 1 {
			t.Fatalf("the refused item was stored: %+v", items)
		}

		// A window over is left out of the next document.
		now = now.Add(2 * time.Hour)
		e, err := d.AddNoticeItem(ctx(t), notice("c", time.Time{}, time.Time{}), fakeBuild)
		if err != nil || e.Serial != 4 || len(carriedBy(t, e).Items) != 1 {
			t.Fatalf("%+v %v", carriedBy(t, e), err)
		}
		latest, err := d.LatestNoticeDocument(ctx(t))
		if err != nil || latest.Serial != 4 || latest.SHA256 != e.SHA256 || string(latest.Body) != string(e.Body) ||
			!latest.IssuedAt.Equal(now) || latest.CreatedBy != "alice" {
			t.Fatalf("latest %+v %v", latest, err)
		}
		docs, err := d.NoticeDocuments(ctx(t), 100)
		if err != nil || len(docs) != 4 {
			t.Fatal(len(docs), err)
		}
		for i, doc := range docs {
			if doc.Serial != int64(i+1) {
				t.Fatalf("serials %d at %d", doc.Serial, i)
			}
		}
	})
}

// Two instances on one database (one SQLite file; one PostgreSQL), many
// writers at once: serials are 1..n without a gap or a repeat, and every
// document carries at least what the one before it carried (nothing is
// ended here), the last one every item.
func TestNoticesConcurrentWriters(t *testing.T) {
	t.Parallel()
	eachBackend(t, func(t *testing.T, opts db.Options) {
		instances := []*db.DB{open(t, opts), open(t, opts)}
		const perInstance = 12
		var wg sync.WaitGroup
		errs := make(chan error, 2*perInstance)
		for i, d := range instances {
			for j := 0; j < perInstance; j++ {
				wg.Add(1)
				go func() {
					defer wg.Done()
					_, err := d.AddNoticeItem(ctx(t), notice(fmt.Sprintf("%d-%d", i, j), time.Time{}, time.Time{}), fakeBuild)
					errs <- err
				}()
			}
		}
		wg.Wait()
		close(errs)
		for err := range errs {
			if err != nil {
				t.Fatal(err)
			}
		}
		docs, err := instances[0].NoticeDocuments(ctx(t), 1000)
		if err != nil {
			t.Fatal(err)
		}
		if len(docs) != 2*perInstance {
			t.Fatalf("%d documents for %d changes", len(docs), 2*perInstance)
		}
		var prev []int64
		for i, doc := range docs {
			if doc.Serial != int64(i+1) {
				t.Fatalf("serial %d at position %d", doc.Serial, i+1)
			}
			items := carriedBy(t, doc).Items
			for _, id := range prev {
				if !slices.Contains(items, id) {
					t.Fatalf("document %d lost item %d of document %d: %v", doc.Serial, id, doc.Serial-1, items)
				}
			}
			if len(items) != i+1 {
				t.Fatalf("document %d carries %d items", doc.Serial, len(items))
			}
			prev = items
		}
	})
}
