package backend

import (
	"context"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"runtime"
	"testing"
	"time"

	"relais/internal/engine"
	"relais/internal/store"
	"relais/internal/tunnel"
)

// deadPID is a process id no system hands out (above Linux's 2^22 limit).
const deadPID = 1<<22 + 12345

var liveNow = time.Date(2026, 3, 14, 9, 30, 0, 0, time.UTC)

func liveDB(t *testing.T) *store.DB {
	t.Helper()
	db, err := store.Open(filepath.Join(t.TempDir(), "relais.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	return db
}

// recordLiveAt writes pid's live record, written age before liveNow.
func recordLiveAt(t *testing.T, db *store.DB, pid int, age time.Duration, phase engine.Phase) {
	t.Helper()
	snap := engine.Snapshot{PID: pid, Phase: phase, Tunnel: tunnel.Status{Mode: tunnel.ModeUserspace, Up: true, SOCKS5: "127.0.0.1:1080"}}
	b, err := json.Marshal(snap)
	if err != nil {
		t.Fatal(err)
	}
	if err := db.RecordLive(context.Background(), store.LiveRecord{PID: pid, SnapshotJSON: string(b), UpdatedAt: liveNow.Add(-age)}); err != nil {
		t.Fatal(err)
	}
}

func liveClock() time.Time { return liveNow }

func TestReadLiveFresh(t *testing.T) {
	t.Parallel()
	db := liveDB(t)
	recordLiveAt(t, db, os.Getpid(), LiveStaleAfter, engine.PhaseOperational) // the bound itself is still live
	l, ok := ReadLive(context.Background(), db, liveClock)
	if !ok {
		t.Fatal("a record of a running process, LiveStaleAfter old, is not live")
	}
	if l.PID != os.Getpid() || !l.Own() || l.Stale != LiveFresh || l.Snapshot.Phase != engine.PhaseOperational ||
		!l.Tunnel().Up || l.Tunnel().SOCKS5 != "127.0.0.1:1080" || !l.UpdatedAt.Equal(liveNow.Add(-LiveStaleAfter)) {
		t.Errorf("ReadLive = %+v", l)
	}
}

func TestReadLiveNothing(t *testing.T) {
	t.Parallel()
	db := liveDB(t)
	if l, ok := ReadLive(context.Background(), db, liveClock); ok {
		t.Errorf("ReadLive on an empty store = %+v, true", l)
	}
	if _, err := LastLive(context.Background(), db, liveClock); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("LastLive on an empty store = %v, want store.ErrNotFound", err)
	}
}

// A running writer that stopped recording: stale, whatever its process.
func TestReadLiveOldRecord(t *testing.T) {
	t.Parallel()
	db := liveDB(t)
	recordLiveAt(t, db, os.Getpid(), LiveStaleAfter+time.Millisecond, engine.PhaseOperational)
	if _, ok := ReadLive(context.Background(), db, liveClock); ok {
		t.Error("a record older than LiveStaleAfter is live")
	}
	l, err := LastLive(context.Background(), db, liveClock)
	if err != nil || l.Stale != LiveOldRecord || l.PID != os.Getpid() {
		t.Errorf("LastLive = %+v, %v; want the record, stale: old_record", l, err)
	}
}

// A writer that died: stale at once, however fresh its record.
func TestReadLiveDeadProcess(t *testing.T) {
	t.Parallel()
	if runtime.GOOS == "windows" {
		t.Skip("on Windows only the age decides")
	}
	db := liveDB(t)
	recordLiveAt(t, db, deadPID, 0, engine.PhaseOperational)
	if _, ok := ReadLive(context.Background(), db, liveClock); ok {
		t.Error("the record of a process that is gone is live")
	}
	l, err := LastLive(context.Background(), db, liveClock)
	if err != nil || l.Stale != LiveProcessGone || l.PID != deadPID {
		t.Errorf("LastLive = %+v, %v; want the record, stale: process_gone", l, err)
	}
}

// Of several records, the live one counts, even behind a newer stale one;
// with none live, LastLive gives the newest.
func TestReadLiveSeveral(t *testing.T) {
	t.Parallel()
	if runtime.GOOS == "windows" {
		t.Skip("on Windows only the age decides")
	}
	ctx := context.Background()
	db := liveDB(t)
	recordLiveAt(t, db, os.Getpid(), 3*time.Second, engine.PhaseChecking)
	recordLiveAt(t, db, deadPID, time.Second, engine.PhaseOperational)
	if err := db.RecordLive(ctx, store.LiveRecord{PID: 77, SnapshotJSON: "not json", UpdatedAt: liveNow}); err != nil {
		t.Fatal(err)
	}
	l, ok := ReadLive(ctx, db, liveClock)
	if !ok || l.PID != os.Getpid() || l.Snapshot.Phase != engine.PhaseChecking {
		t.Fatalf("ReadLive = %+v, %v; want this process's record behind the dead one's", l, ok)
	}
	if err := db.ClearLive(ctx, os.Getpid()); err != nil {
		t.Fatal(err)
	}
	l, err := LastLive(ctx, db, liveClock)
	if err != nil || l.PID != deadPID || l.Stale != LiveProcessGone {
		t.Errorf("LastLive = %+v, %v; want the newest snapshot (the dead process's), not the unreadable one", l, err)
	}
}

// `relais check` beside `relais up`: the check's own engine record, the
// newest, is passed over for the tunnel of the other process.
func TestReadOtherLive(t *testing.T) {
	t.Parallel()
	if runtime.GOOS == "windows" {
		t.Skip("on Windows only the age decides")
	}
	ctx := context.Background()
	db := liveDB(t)
	other := os.Getppid() // a running process that is not this one
	recordLiveAt(t, db, other, 2*time.Second, engine.PhaseOperational)
	recordLiveAt(t, db, os.Getpid(), 0, engine.PhaseChecking)
	if l, ok := ReadLive(ctx, db, liveClock); !ok || !l.Own() {
		t.Fatalf("ReadLive = %+v, %v; want this process's, the newest", l, ok)
	}
	l, ok := ReadOtherLive(ctx, db, liveClock)
	if !ok || l.PID != other || l.Own() || l.Snapshot.Phase != engine.PhaseOperational {
		t.Fatalf("ReadOtherLive = %+v, %v; want process %d's", l, ok, other)
	}
	if err := db.ClearLive(ctx, other); err != nil {
		t.Fatal(err)
	}
	if l, ok := ReadOtherLive(ctx, db, liveClock); ok {
		t.Errorf("ReadOtherLive with only this process's record = %+v, true", l)
	}
}
