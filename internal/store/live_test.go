package store

import (
	"context"
	"encoding/json"
	"fmt"
	"path/filepath"
	"testing"
	"time"
)

func TestLiveRoundTrip(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	db := openTest(t)
	if recs, err := db.Live(ctx); err != nil || len(recs) != 0 {
		t.Fatalf("empty store: %v, %v", recs, err)
	}
	at := time.Date(2026, 3, 1, 10, 0, 0, 0, time.UTC)
	for _, r := range []LiveRecord{
		{PID: 42, SnapshotJSON: `{"phase":"checking"}`, UpdatedAt: at},
		{PID: 7, SnapshotJSON: `{"phase":"connecting"}`, UpdatedAt: at.Add(time.Second)},
		{PID: 42, SnapshotJSON: `{"phase":"operational"}`, UpdatedAt: at.Add(2 * time.Second)},
	} {
		if err := db.RecordLive(ctx, r); err != nil {
			t.Fatal(err)
		}
	}
	recs, err := db.Live(ctx)
	if err != nil {
		t.Fatal(err)
	}
	want := []LiveRecord{
		{PID: 42, SnapshotJSON: `{"phase":"operational"}`, UpdatedAt: at.Add(2 * time.Second)},
		{PID: 7, SnapshotJSON: `{"phase":"connecting"}`, UpdatedAt: at.Add(time.Second)},
	}
	if fmt.Sprint(recs) != fmt.Sprint(want) {
		t.Fatalf("Live = %+v, want one row per process, newest first: %+v", recs, want)
	}
	if err := db.ClearLive(ctx, 42); err != nil {
		t.Fatal(err)
	}
	if err := db.ClearLive(ctx, 1234); err != nil { // none: not an error
		t.Fatal(err)
	}
	if recs, err := db.Live(ctx); err != nil || len(recs) != 1 || recs[0].PID != 7 {
		t.Fatalf("after ClearLive(42): %+v, %v; want only 7's", recs, err)
	}
	// No time given: the store's clock.
	if err := db.RecordLive(ctx, LiveRecord{PID: 9, SnapshotJSON: `{}`}); err != nil {
		t.Fatal(err)
	}
	if recs, _ := db.Live(ctx); len(recs) != 2 || !recs[0].UpdatedAt.Equal(testNow.Truncate(time.Millisecond)) {
		t.Errorf("a record without a time: %+v, want stamped %v", recs, testNow)
	}
}

// Rows of processes that died without removing theirs do not pile up.
func TestRecordLiveKeepsTheNewest(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	db := openTest(t)
	at := time.Date(2026, 3, 1, 10, 0, 0, 0, time.UTC)
	for pid := 1; pid <= keepLive+6; pid++ {
		if err := db.RecordLive(ctx, LiveRecord{PID: pid, SnapshotJSON: `{}`, UpdatedAt: at.Add(time.Duration(pid) * time.Second)}); err != nil {
			t.Fatal(err)
		}
	}
	// A clean end prunes what processes that died left behind.
	if err := db.ClearLive(ctx, keepLive+6); err != nil {
		t.Fatal(err)
	}
	recs, err := db.Live(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if len(recs) != keepLive || recs[0].PID != keepLive+5 || recs[len(recs)-1].PID != 6 {
		t.Fatalf("kept %d rows (%+v), want the %d newest", len(recs), recs, keepLive)
	}
}

// A database of schema 6, with the two former tables and their rows,
// opens: the migration keeps the records as one live row per process and
// drops the tables.
func TestMigrationToLive(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "relais.db")
	db, err := Open(path)
	if err != nil {
		t.Fatal(err)
	}
	// Back to schema 6, as 0002 and 0003 left it.
	if _, err := db.sql.ExecContext(ctx, `
		DROP TABLE live;
		DROP TABLE notices;
		DROP TABLE notices_sync;
		ALTER TABLE outbox DROP COLUMN receipt_id;
		ALTER TABLE outbox DROP COLUMN receipt_received;
		ALTER TABLE device_identity DROP COLUMN enrol_url;
		ALTER TABLE device_identity DROP COLUMN grant_doc;
		ALTER TABLE device_identity DROP COLUMN grant_signature;
		DELETE FROM schema_migrations WHERE version >= 7;
		CREATE TABLE tunnel_state (
			id          INTEGER PRIMARY KEY CHECK (id = 1),
			pid         INTEGER NOT NULL,
			status_json TEXT    NOT NULL,
			updated_at  INTEGER NOT NULL
		);
		CREATE TABLE engine_state (
			id            INTEGER PRIMARY KEY CHECK (id = 1),
			pid           INTEGER NOT NULL,
			snapshot_json TEXT    NOT NULL,
			updated_at    INTEGER NOT NULL
		);
		INSERT INTO engine_state VALUES (1, 42, '{"pid":42,"phase":"operational","tunnel":{"up":false}}', 1000);
		INSERT INTO tunnel_state VALUES (1, 42, '{"up":true,"mode":"system"}', 2000);`); err != nil {
		t.Fatal(err)
	}
	if err := db.Close(); err != nil {
		t.Fatal(err)
	}

	db, err = Open(path)
	if err != nil {
		t.Fatalf("a database of schema 6 does not open: %v", err)
	}
	defer db.Close()
	recs, err := db.Live(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if len(recs) != 1 || recs[0].PID != 42 || recs[0].UpdatedAt.UnixMilli() != 2000 {
		t.Fatalf("Live after the migration = %+v, want pid 42's one row, written at 2000 ms", recs)
	}
	var snap struct {
		Phase  string          `json:"phase"`
		Tunnel json.RawMessage `json:"tunnel"`
	}
	if err := json.Unmarshal([]byte(recs[0].SnapshotJSON), &snap); err != nil || snap.Phase != "operational" || string(snap.Tunnel) != `{"up":true,"mode":"system"}` {
		t.Fatalf("migrated snapshot %s, %v; want the engine's with the tunnel's later status", recs[0].SnapshotJSON, err)
	}
	var n int
	if err := db.sql.QueryRowContext(ctx, `SELECT count(*) FROM sqlite_master WHERE name IN ('tunnel_state', 'engine_state')`).Scan(&n); err != nil || n != 0 {
		t.Errorf("%d former tables left (%v), want none", n, err)
	}
}

// Records of two different processes, or that are not JSON, do not stop
// the database from opening.
func TestMigrationToLiveOddRows(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "relais.db")
	db, err := Open(path)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := db.sql.ExecContext(ctx, `
		DROP TABLE live;
		DROP TABLE notices;
		DROP TABLE notices_sync;
		ALTER TABLE outbox DROP COLUMN receipt_id;
		ALTER TABLE outbox DROP COLUMN receipt_received;
		ALTER TABLE device_identity DROP COLUMN enrol_url;
		ALTER TABLE device_identity DROP COLUMN grant_doc;
		ALTER TABLE device_identity DROP COLUMN grant_signature;
		DELETE FROM schema_migrations WHERE version >= 7;
		CREATE TABLE tunnel_state (id INTEGER PRIMARY KEY CHECK (id = 1), pid INTEGER NOT NULL, status_json TEXT NOT NULL, updated_at INTEGER NOT NULL);
		CREATE TABLE engine_state (id INTEGER PRIMARY KEY CHECK (id = 1), pid INTEGER NOT NULL, snapshot_json TEXT NOT NULL, updated_at INTEGER NOT NULL);
		INSERT INTO engine_state VALUES (1, 1, 'not json', 1000);
		INSERT INTO tunnel_state VALUES (1, 2, '{"up":true}', 2000);`); err != nil {
		t.Fatal(err)
	}
	db.Close()
	db, err = Open(path)
	if err != nil {
		t.Fatalf("does not open: %v", err)
	}
	defer db.Close()
	recs, err := db.Live(ctx)
	if err != nil || len(recs) != 1 || recs[0].PID != 2 || recs[0].SnapshotJSON != `{"pid":2,"tunnel":{"up":true}}` {
		t.Fatalf("Live = %+v, %v; want pid 2's tunnel only", recs, err)
	}
}
