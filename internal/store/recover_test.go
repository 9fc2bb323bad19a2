package store

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"relais/internal/testenv"
)

// filledStore writes a real database of a few hundred pages (a profile,
// thousands of events) and closes it, its WAL checkpointed into the file.
func filledStore(t *testing.T) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "relais.db")
	db, err := Open(path)
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	if err := db.SaveProfile(ctx, testProfile(7), nil); err != nil {
		t.Fatal(err)
	}
	for i := range 3000 {
		if err := db.LogEvent(ctx, "test", fmt.Sprintf("event %d %s", i, strings.Repeat("x", 200))); err != nil {
			t.Fatal(err)
		}
	}
	if err := db.Close(); err != nil {
		t.Fatal(err)
	}
	return path
}

// recoverDamaged opens a damaged file: it must be moved aside, byte for
// byte, and a fresh store must stand in its place.
func recoverDamaged(t *testing.T, path string) {
	t.Helper()
	damaged, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := Open(path); !errors.Is(err, ErrCorrupt) || !IsCorrupt(err) {
		t.Fatalf("Open of a damaged file: %v, want ErrCorrupt", err)
	}
	now := time.Date(2026, 3, 14, 9, 26, 53, 0, time.Local)
	db, rec, err := OpenOrRecover(path, now)
	if err != nil {
		t.Fatalf("OpenOrRecover: %v", err)
	}
	defer db.Close()
	if rec == nil || rec.MovedTo != path+".corrupt-20260314-092653" || rec.Detail == "" {
		t.Fatalf("recovery %+v", rec)
	}
	kept, err := os.ReadFile(rec.MovedTo)
	if err != nil || string(kept) != string(damaged) {
		t.Fatalf("the damaged copy was not kept as it was: %v", err)
	}
	ctx := context.Background()
	if _, err := db.CurrentProfile(ctx); !errors.Is(err, ErrNotFound) {
		t.Fatalf("fresh store: %v", err)
	}
	ev, err := db.Events(ctx, 0)
	if err != nil || len(ev) != 1 || !strings.Contains(ev[0].Message, rec.MovedTo) {
		t.Fatalf("the recovery is not logged: %+v %v", ev, err)
	}
	if err := db.SaveProfile(ctx, testProfile(8), nil); err != nil {
		t.Fatal(err)
	}
	// The next open finds a sound store: nothing more is moved.
	db.Close()
	db2, rec2, err := OpenOrRecover(path, now.Add(time.Minute))
	if err != nil || rec2 != nil {
		t.Fatalf("reopen: %+v %v", rec2, err)
	}
	defer db2.Close()
	if p, err := db2.CurrentProfile(ctx); err != nil || p.Serial != 8 {
		t.Fatalf("reopen: %+v %v", p, err)
	}
}

func TestRecoverTruncatedDatabase(t *testing.T) {
	path := filledStore(t)
	fi, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	if fi.Size() < 100*4096 {
		t.Fatalf("the test database is too small: %d bytes", fi.Size())
	}
	// Cut mid-file and mid-page, as a disk or a copy that stopped.
	if err := os.Truncate(path, fi.Size()/2+1234); err != nil {
		t.Fatal(err)
	}
	recoverDamaged(t, path)
}

func TestRecoverOverwrittenPages(t *testing.T) {
	path := filledStore(t)
	f, err := os.OpenFile(path, os.O_RDWR, 0)
	if err != nil {
		t.Fatal(err)
	}
	fi, _ := f.Stat()
	pages := fi.Size() / 4096
	rng := rand.New(rand.NewPCG(12, 34))
	junk := make([]byte, 4096)
	for range 8 {
		page := 1 + rng.Int64N(pages-1) // page 1 (the header) left alone
		for i := range junk {
			junk[i] = byte(rng.Uint32())
		}
		if _, err := f.WriteAt(junk, page*4096); err != nil {
			t.Fatal(err)
		}
	}
	f.Close()
	recoverDamaged(t, path)
}

func TestRecoverNotADatabase(t *testing.T) {
	path := filepath.Join(t.TempDir(), "relais.db")
	junk := make([]byte, 3*4096)
	for i := range junk {
		junk[i] = byte(i * 7)
	}
	os.WriteFile(path, junk, 0o600)
	recoverDamaged(t, path)
}

// A sound database is never moved, and a newer schema is refused as
// before, untouched.
func TestOpenOrRecoverLeavesSoundFiles(t *testing.T) {
	path := filledStore(t)
	db, rec, err := OpenOrRecover(path, time.Now())
	if err != nil || rec != nil {
		t.Fatalf("%+v %v", rec, err)
	}
	db.Close()
	matches, _ := filepath.Glob(path + ".corrupt-*")
	if len(matches) != 0 {
		t.Fatalf("moved aside: %v", matches)
	}
}

// On a real full file system, writes fail with an error IsDiskFull
// recognises, never one that looks like corruption; reads still work.
func TestDiskFullIsRecognised(t *testing.T) {
	dir := testenv.SmallDisk(t, "2m")
	db, err := Open(filepath.Join(dir, "relais.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	ctx := context.Background()
	if err := db.SaveProfile(ctx, testProfile(7), nil); err != nil {
		t.Fatal(err)
	}
	testenv.FillDisk(t, dir)
	var werr error
	for i := 0; i < 10000 && werr == nil; i++ {
		werr = db.LogEvent(ctx, "test", strings.Repeat("y", 1000))
	}
	if !IsDiskFull(werr) || IsCorrupt(werr) {
		t.Fatalf("write on a full disk: %v, want a disk-full error", werr)
	}
	if err := db.SaveProfile(ctx, testProfile(8), nil); !IsDiskFull(err) {
		t.Fatalf("SaveProfile on a full disk: %v", err)
	}
	if p, err := db.CurrentProfile(ctx); err != nil || p.Serial != 7 {
		t.Fatalf("read on a full disk: %+v %v", p, err)
	}
	if IsDiskFull(errors.New("database or disk is full")) {
		t.Fatal("a plain string is not a disk-full error")
	}
}
