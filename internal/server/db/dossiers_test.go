package db_test

import (
	"errors"
	"strings"
	"sync"
	"testing"
	"time"

	"relais/internal/server/db"
)

func TestInbox(t *testing.T) {
	eachBackend(t, func(t *testing.T, opts db.Options) {
		var mu sync.Mutex
		now := time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC)
		opts.Now = func() time.Time { mu.Lock(); defer mu.Unlock(); return now }
		tick := func() { mu.Lock(); now = now.Add(time.Minute); mu.Unlock() }
		d := open(t, opts)
		c := ctx(t)
		codes := []string{"RLS-AAAA-AAAA", "RLS-CCCC-CCCC", "RLS-DDDD-DDDD", "RLS-EEEE-EEEE", "RLS-FFFF-FFFF"}
		for _, code := range codes {
			if _, _, err := d.PutBundle(c, code, "10.0.0.1", "application/octet-stream", []byte("body of "+code)); err != nil {
				t.Fatal(err)
			}
			tick()
		}
		if err := d.TakeBundle(c, codes[0], "alice"); err != nil {
			t.Fatal(err)
		}
		tick()
		if err := d.ResolveBundle(c, codes[1], "bob"); err != nil {
			t.Fatal(err)
		}
		if err := d.ResolveBundle(c, codes[2], "bob"); err != nil {
			t.Fatal(err)
		}
		if err := d.SetEssentialFailing(c, codes[3], true); err != nil {
			t.Fatal(err)
		}
		list, counts, err := d.Inbox(c, 100)
		if err != nil {
			t.Fatal(err)
		}
		var got []string
		for _, b := range list {
			got = append(got, b.CaseCode)
		}
		// Untaken oldest first, then taken, then resolved newest first.
		want := []string{codes[3], codes[4], codes[0], codes[2], codes[1]}
		if strings.Join(got, " ") != strings.Join(want, " ") {
			t.Fatalf("Inbox order = %v, want %v", got, want)
		}
		if counts != (db.InboxCounts{Untaken: 2, Taken: 1, Resolved: 2}) {
			t.Fatalf("counts = %+v", counts)
		}
		if list[0].EssentialFailing == nil || !*list[0].EssentialFailing || list[1].EssentialFailing != nil {
			t.Fatalf("essential flags: %v %v", list[0].EssentialFailing, list[1].EssentialFailing)
		}
		if list[2].TakenBy != "alice" || list[2].TakenAt.IsZero() || list[3].ResolvedBy != "bob" || list[0].Size != int64(len("body of "+codes[3])) {
			t.Fatalf("details: %+v", list[:4])
		}
		if short, _, _ := d.Inbox(c, 2); len(short) != 2 {
			t.Fatalf("limit 2: %d rows", len(short))
		}
		if err := d.ReopenBundle(c, codes[1]); err != nil {
			t.Fatal(err)
		}
		b, err := d.Bundle(c, codes[1])
		if err != nil || !b.Resolved.IsZero() || b.ResolvedBy != "" {
			t.Fatalf("reopened: %+v %v", b, err)
		}
		if _, err := d.Bundle(c, "RLS-XXXX-XXXX"); !errors.Is(err, db.ErrNotFound) {
			t.Fatalf("unknown bundle: %v", err)
		}
		for _, err := range []error{d.TakeBundle(c, "RLS-XXXX-XXXX", "a"), d.ResolveBundle(c, "RLS-XXXX-XXXX", "a"),
			d.AddNote(c, "RLS-XXXX-XXXX", "a", "x")} {
			if !errors.Is(err, db.ErrNotFound) {
				t.Errorf("on an unknown bundle: %v", err)
			}
		}

		hostile := "<script>alert(1)</script> \u202e'\"; DROP TABLE bundles; --"
		if err := d.AddNote(c, codes[0], "alice", "Rappelé, VPN OK"); err != nil {
			t.Fatal(err)
		}
		tick()
		if err := d.AddNote(c, codes[0], "bob", hostile); err != nil {
			t.Fatal(err)
		}
		for _, bad := range []string{"", strings.Repeat("é", db.MaxNote+1), "\xff"} {
			if err := d.AddNote(c, codes[0], "bob", bad); !errors.Is(err, db.ErrNote) {
				t.Errorf("note of %d bytes: %v", len(bad), err)
			}
		}
		if err := d.AddNote(c, codes[0], "bob", strings.Repeat("é", db.MaxNote)); err != nil {
			t.Errorf("a note of MaxNote characters: %v", err)
		}
		notes, err := d.Notes(c, codes[0])
		if err != nil || len(notes) != 3 || notes[0].Author != "alice" || notes[1].Body != hostile || !notes[1].Created.After(notes[0].Created) {
			t.Fatalf("Notes = %+v, %v", notes, err)
		}
	})
}
