package store

import (
	"context"
	"database/sql"
	"errors"
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

// keepLive is how many rows RecordLive keeps, the newest: rows of
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

// RecordLive replaces r.PID's live record.
func (db *DB) RecordLive(ctx context.Context, r LiveRecord) error {
	_, err := db.sql.ExecContext(ctx, `
		INSERT INTO live (pid, snapshot_json, updated_at) VALUES (?, ?, ?)
		ON CONFLICT (pid) DO UPDATE SET snapshot_json = excluded.snapshot_json, updated_at = excluded.updated_at;
		DELETE FROM live WHERE pid NOT IN (SELECT pid FROM live ORDER BY updated_at DESC, pid LIMIT ?)`,
		r.PID, r.SnapshotJSON, db.orNow(r.UpdatedAt).UnixMilli(), keepLive)
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
	if _, err := db.sql.ExecContext(ctx, `DELETE FROM live WHERE pid = ?`, pid); err != nil {
		return fmt.Errorf("store: clear live state: %w", err)
	}
	return nil
}

// The former two records, tunnel_state and engine_state, as thin
// wrappers over the live table until their callers use the API above.
// They keep what the two one-row tables did: the last tunnel status
// recorded (by any process, whatever its time) and the most recent engine
// snapshot are read independently. The tunnel's is also kept in a member
// of its writer's snapshot, legacyTunnel, that only one row holds: an
// engine snapshot of another process (`relais check` beside `relais up`)
// does not hide it, nor does its writer's own engine replace it.

// legacyTunnel is the snapshot member where RecordTunnelState keeps the
// status TunnelState returns.
const legacyTunnel = "$.legacy_tunnel_state"

// TunnelState is the tunnel as a running process last recorded it.
//
// Deprecated: use LiveRecord (the tunnel's status is in the snapshot) and
// internal/backend's ReadLive.
type TunnelState struct {
	PID        int    // the process that recorded it
	StatusJSON string // a JSON-encoded tunnel.Status (the store does not import tunnel)
	UpdatedAt  time.Time
}

// RecordTunnelState sets the tunnel's status in s.PID's live record, the
// one TunnelState returns from now on.
//
// Deprecated: record the whole snapshot with RecordLive.
func (db *DB) RecordTunnelState(ctx context.Context, s TunnelState) error {
	err := db.inTx(ctx, func(tx *sql.Tx) error {
		// The other processes' records lose theirs; those that hold
		// nothing else go.
		if _, err := tx.ExecContext(ctx, `
			UPDATE live SET snapshot_json = json_remove(snapshot_json, '`+legacyTunnel+`')
			WHERE pid <> ? AND json_valid(snapshot_json)`, s.PID); err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, `DELETE FROM live WHERE pid <> ? AND
			CASE WHEN json_valid(snapshot_json) THEN json_type(snapshot_json, '$.phase') END IS NULL`, s.PID); err != nil {
			return err
		}
		_, err := tx.ExecContext(ctx, `
			INSERT INTO live (pid, snapshot_json, updated_at)
				VALUES (?1, json_object('pid', ?1, 'tunnel', json(?2), '`+legacyTunnel[2:]+`', json(?2)), ?3)
			ON CONFLICT (pid) DO UPDATE SET
				snapshot_json = json_set(live.snapshot_json, '$.tunnel', json(?2), '`+legacyTunnel+`', json(?2)),
				updated_at = excluded.updated_at`,
			s.PID, s.StatusJSON, db.orNow(s.UpdatedAt).UnixMilli())
		return err
	})
	if err != nil {
		return fmt.Errorf("store: record tunnel state: %w", err)
	}
	return nil
}

// TunnelState returns the last tunnel status RecordTunnelState recorded,
// or ErrNotFound.
//
// Deprecated: use internal/backend's ReadLive.
func (db *DB) TunnelState(ctx context.Context) (*TunnelState, error) {
	var (
		s  TunnelState
		at int64
	)
	err := db.sql.QueryRowContext(ctx, `
		SELECT pid, json_extract(snapshot_json, '`+legacyTunnel+`'), updated_at FROM live
		WHERE CASE WHEN json_valid(snapshot_json) THEN json_type(snapshot_json, '`+legacyTunnel+`') END IS NOT NULL
		ORDER BY updated_at DESC, pid LIMIT 1`).Scan(&s.PID, &s.StatusJSON, &at)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, ErrNotFound
	}
	if err != nil {
		return nil, fmt.Errorf("store: tunnel state: %w", err)
	}
	s.UpdatedAt = fromMillis(at)
	return &s, nil
}

// ClearTunnelState removes pid's live record.
//
// Deprecated: use ClearLive.
func (db *DB) ClearTunnelState(ctx context.Context, pid int) error { return db.ClearLive(ctx, pid) }

// EngineState is the Mode urgence engine as a running process last
// recorded it.
//
// Deprecated: use LiveRecord and internal/backend's ReadLive.
type EngineState struct {
	PID          int
	SnapshotJSON string // a JSON-encoded engine snapshot (the store does not import engine)
	UpdatedAt    time.Time
}

// RecordEngineState replaces s.PID's live record with its engine's
// snapshot, keeping the tunnel status RecordTunnelState recorded in it.
//
// Deprecated: use RecordLive.
func (db *DB) RecordEngineState(ctx context.Context, s EngineState) error {
	_, err := db.sql.ExecContext(ctx, `
		INSERT INTO live (pid, snapshot_json, updated_at) VALUES (?, ?, ?)
		ON CONFLICT (pid) DO UPDATE SET updated_at = excluded.updated_at, snapshot_json =
			CASE WHEN json_valid(live.snapshot_json) AND json_valid(excluded.snapshot_json)
				AND json_type(live.snapshot_json, '`+legacyTunnel+`') IS NOT NULL
			THEN json_set(excluded.snapshot_json, '`+legacyTunnel+`', json(json_extract(live.snapshot_json, '`+legacyTunnel+`')))
			ELSE excluded.snapshot_json END`,
		s.PID, s.SnapshotJSON, db.orNow(s.UpdatedAt).UnixMilli())
	if err != nil {
		return fmt.Errorf("store: record engine state: %w", err)
	}
	return nil
}

// EngineState returns the most recent live record an engine wrote (one
// with a phase), or ErrNotFound.
//
// Deprecated: use internal/backend's ReadLive.
func (db *DB) EngineState(ctx context.Context) (*EngineState, error) {
	var (
		s  EngineState
		at int64
	)
	err := db.sql.QueryRowContext(ctx, `
		SELECT pid, snapshot_json, updated_at FROM live
		WHERE CASE WHEN json_valid(snapshot_json) THEN json_type(snapshot_json, '$.phase') END IS NOT NULL
		ORDER BY updated_at DESC, pid LIMIT 1`).Scan(&s.PID, &s.SnapshotJSON, &at)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, ErrNotFound
	}
	if err != nil {
		return nil, fmt.Errorf("store: engine state: %w", err)
	}
	s.UpdatedAt = fromMillis(at)
	return &s, nil
}

// ClearEngineState removes pid's live record.
//
// Deprecated: use ClearLive.
func (db *DB) ClearEngineState(ctx context.Context, pid int) error { return db.ClearLive(ctx, pid) }

// inTx runs f in a transaction, committed when f returns nil.
func (db *DB) inTx(ctx context.Context, f func(*sql.Tx) error) error {
	tx, err := db.sql.BeginTx(ctx, nil)
	if err != nil {
		return err
	}
	defer tx.Rollback()
	if err := f(tx); err != nil {
		return err
	}
	return tx.Commit()
}
