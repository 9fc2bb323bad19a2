package store

import (
	"context"
	"fmt"
	"time"
)

// The live record of Mode urgence. A process running it (the app, `relais
// up`) writes its engine's snapshot -- the tunnel's status inside -- to
// its own row, on every change and every few seconds, and removes the row
// when it stops; every other process (`relais status`, `relais open`,
// `relais check`, the app's bundle) reads it. The store only keeps the
// rows: whether one is still live is internal/backend's ReadLive's
// judgement, the one rule.

// keepLive is how many rows ClearLive leaves, the newest: rows of
// processes that died without removing theirs are of no use past a few.
const keepLive = 8

// LiveRecord is the live record of one process.
type LiveRecord struct {
	PID int // the process that writes it
	// SnapshotJSON is a JSON-encoded engine.Snapshot, the tunnel's status
	// in its "tunnel" member (the store imports neither engine nor tunnel).
	SnapshotJSON string
	UpdatedAt    time.Time // when it was written; zero: now
}

// RecordLive replaces r.PID's live record. It is on the engine's path to
// every event (one statement: the records of processes that died without
// clearing theirs are pruned by ClearLive, at each clean end).
func (db *DB) RecordLive(ctx context.Context, r LiveRecord) error {
	_, err := db.sql.ExecContext(ctx, `
		INSERT INTO live (pid, snapshot_json, updated_at) VALUES (?, ?, ?)
		ON CONFLICT (pid) DO UPDATE SET snapshot_json = excluded.snapshot_json, updated_at = excluded.updated_at`,
		r.PID, r.SnapshotJSON, db.orNow(r.UpdatedAt).UnixMilli())
	if err != nil {
		return fmt.Errorf("store: record live state: %w", err)
	}
	return nil
}

// Live returns every live record, the most recently written first; none
// is not an error. Some may be stale: their writer stopped or died.
func (db *DB) Live(ctx context.Context) ([]LiveRecord, error) {
	rows, err := db.sql.QueryContext(ctx, `SELECT pid, snapshot_json, updated_at FROM live ORDER BY updated_at DESC, pid`)
	if err != nil {
		return nil, fmt.Errorf("store: live state: %w", err)
	}
	defer rows.Close()
	var recs []LiveRecord
	for rows.Next() {
		var (
			r  LiveRecord
			at int64
		)
		if err := rows.Scan(&r.PID, &r.SnapshotJSON, &at); err != nil {
			return nil, fmt.Errorf("store: live state: %w", err)
		}
		r.UpdatedAt = fromMillis(at)
		recs = append(recs, r)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("store: live state: %w", err)
	}
	return recs, nil
}

// ClearLive removes pid's live record (a process only removes its own);
// none is not an error.
func (db *DB) ClearLive(ctx context.Context, pid int) error {
	if _, err := db.sql.ExecContext(ctx, `
		DELETE FROM live WHERE pid = ?;
		DELETE FROM live WHERE pid NOT IN (SELECT pid FROM live ORDER BY updated_at DESC, pid LIMIT ?)`, pid, keepLive); err != nil {
		return fmt.Errorf("store: clear live state: %w", err)
	}
	return nil
}
