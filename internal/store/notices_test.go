package store

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"testing"
	"time"
)

func TestNoticesRoundTrip(t *testing.T) {
	ctx := context.Background()
	db := openTest(t)
	if _, err := db.CurrentNotices(ctx); !errors.Is(err, ErrNotFound) {
		t.Fatalf("empty store: %v", err)
	}
	if _, err := db.LastNoticesSync(ctx); !errors.Is(err, ErrNotFound) {
		t.Fatalf("empty store: %v", err)
	}
	doc := []byte(`{"schema":1}`)
	sum := sha256.Sum256(doc)
	n := CachedNotices{Serial: 3, SHA256: hex.EncodeToString(sum[:]), Bytes: doc, Signature: []byte("sig"),
		Source: "https://u:secret@x.example.org/n.json?token=t", KeyID: "ABC", ETag: `"e1"`,
		FetchedAt: time.UnixMilli(1_000_000)}
	if err := db.SaveNotices(ctx, n); err != nil {
		t.Fatal(err)
	}
	got, err := db.CurrentNotices(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if got.Serial != 3 || string(got.Bytes) != string(doc) || got.ETag != `"e1"` || !got.CheckedAt.Equal(n.FetchedAt) {
		t.Fatalf("%+v", got)
	}
	if got.Source == n.Source {
		t.Fatalf("the source's secrets were stored: %s", got.Source)
	}
	if err := db.TouchNotices(ctx, n.SHA256, `"e2"`, "Sat, 05 Dec 2026 09:00:00 GMT"); err != nil {
		t.Fatal(err)
	}
	if got, _ := db.CurrentNotices(ctx); got.ETag != `"e2"` || got.LastModified == "" {
		t.Fatalf("touch: %+v", got)
	}
	bad := n
	bad.SHA256 = "00" + n.SHA256[2:]
	if err := db.SaveNotices(ctx, bad); err == nil {
		t.Fatal("a hash that does not match the bytes was stored")
	}
	for _, s := range []NoticesSync{
		{Outcome: OutcomeAccepted, Serial: 3},
		{Outcome: OutcomeRefused, Serial: 2, Code: "rollback", Reason: "serial 2 is lower than the last accepted 3"},
	} {
		if err := db.RecordNoticesSync(ctx, s); err != nil {
			t.Fatal(err)
		}
	}
	last, err := db.LastNoticesSync(ctx)
	if err != nil || last.Outcome != OutcomeRefused || last.Code != "rollback" || last.At.IsZero() {
		t.Fatalf("%+v %v", last, err)
	}
	if got, _ := db.CurrentNotices(ctx); got.Serial != 3 {
		t.Fatal("a refusal touched the last good document")
	}
	if err := db.ForgetNotices(ctx); err != nil {
		t.Fatal(err)
	}
	if _, err := db.CurrentNotices(ctx); !errors.Is(err, ErrNotFound) {
		t.Fatal(err)
	}
}
