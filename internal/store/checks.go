package store

import (
	"context"
	"database/sql"
	"fmt"
	"time"
)

// KeepChecks is how many check results the history keeps (the newest).
const KeepChecks = 20000

// CheckRecord is one check result in the history. The store does not import
// package checks: the engine fills the plain fields and may keep the whole
// result, JSON-encoded, in DetailJSON (never a secret: it goes into
// diagnostics bundles).
type CheckRecord struct {
	ID         int64
	RunAt      time.Time // the start of the run the result belongs to
	At         time.Time // when the check finished; the store's clock when zero
	CheckID    string
	AppID      string
	Type       string
	State      string // ok | degraded | failed | blocked | pending
	Duration   time.Duration
	ReasonCode string // a short machine code, empty when ok
	DetailJSON string
}

// RecordChecks appends the results of one run in one transaction, then
// prunes the history to KeepChecks results.
func (db *DB) RecordChecks(ctx context.Context, recs []CheckRecord) error {
	if len(recs) == 0 {
		return nil
	}
	tx, err := db.sql.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("store: record checks: %w", err)
	}
	defer tx.Rollback() //nolint:errcheck // after Commit it is a no-op
	stmt, err := tx.PrepareContext(ctx, `
		INSERT INTO check_results (run_at, at, check_id, app_id, type, state, duration_us, reason_code, detail_json)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`)
	if err != nil {
		return fmt.Errorf("store: record checks: %w", err)
	}
	defer stmt.Close()
	var last sql.Result
	for _, r := range recs {
		last, err = stmt.ExecContext(ctx, db.orNow(r.RunAt).UnixMilli(), db.orNow(r.At).UnixMilli(), r.CheckID, r.AppID, r.Type,
			r.State, r.Duration.Microseconds(), r.ReasonCode, r.DetailJSON)
		if err != nil {
			return fmt.Errorf("store: record checks: %w", err)
		}
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("store: record checks: %w", err)
	}
	return db.prune(ctx, last, "check_results", KeepChecks)
}

// PruneChecks keeps only the keep newest check results.
func (db *DB) PruneChecks(ctx context.Context, keep int) error {
	if _, err := db.sql.ExecContext(ctx, `
		DELETE FROM check_results WHERE id <= (SELECT COALESCE(MAX(id), 0) FROM check_results) - ?`, keep); err != nil {
		return fmt.Errorf("store: prune check_results: %w", err)
	}
	return nil
}

const checkColumns = `id, run_at, at, check_id, app_id, type, state, duration_us, reason_code, detail_json`

func scanChecks(rows *sql.Rows) ([]CheckRecord, error) {
	defer rows.Close()
	var out []CheckRecord
	for rows.Next() {
		var (
			r          CheckRecord
			runAt, at  int64
			durationUS int64
		)
		if err := rows.Scan(&r.ID, &runAt, &at, &r.CheckID, &r.AppID, &r.Type, &r.State, &durationUS, &r.ReasonCode, &r.DetailJSON); err != nil {
			return nil, fmt.Errorf("store: checks: %w", err)
		}
		r.RunAt, r.At, r.Duration = fromMillis(runAt), fromMillis(at), time.Duration(durationUS)*time.Microsecond
		out = append(out, r)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("store: checks: %w", err)
	}
	return out, nil
}

// LastChecks returns the results of the most recent run, in the order they
// were recorded, or ErrNotFound when there is none.
func (db *DB) LastChecks(ctx context.Context) ([]CheckRecord, error) {
	rows, err := db.sql.QueryContext(ctx, `SELECT `+checkColumns+` FROM check_results
		WHERE run_at = (SELECT run_at FROM check_results ORDER BY id DESC LIMIT 1) ORDER BY id`)
	if err != nil {
		return nil, fmt.Errorf("store: last checks: %w", err)
	}
	out, err := scanChecks(rows)
	if err == nil && len(out) == 0 {
		err = ErrNotFound
	}
	return out, err
}

// CheckHistory returns up to limit results of one check, newest first;
// limit <= 0 returns all those kept.
func (db *DB) CheckHistory(ctx context.Context, checkID string, limit int) ([]CheckRecord, error) {
	if limit <= 0 {
		limit = -1
	}
	rows, err := db.sql.QueryContext(ctx, `SELECT `+checkColumns+` FROM check_results WHERE check_id = ? ORDER BY id DESC LIMIT ?`, checkID, limit)
	if err != nil {
		return nil, fmt.Errorf("store: check history: %w", err)
	}
	return scanChecks(rows)
}

// ChecksSince returns up to limit results recorded at or after since,
// oldest first; limit <= 0 returns all of them.
func (db *DB) ChecksSince(ctx context.Context, since time.Time, limit int) ([]CheckRecord, error) {
	if limit <= 0 {
		limit = -1
	}
	rows, err := db.sql.QueryContext(ctx, `SELECT * FROM (SELECT `+checkColumns+` FROM check_results WHERE at >= ? ORDER BY id DESC LIMIT ?) ORDER BY id`,
		since.UnixMilli(), limit)
	if err != nil {
		return nil, fmt.Errorf("store: checks since: %w", err)
	}
	return scanChecks(rows)
}

// CheckCount is how many check results the history holds.
func (db *DB) CheckCount(ctx context.Context) (int, error) {
	var n int
	if err := db.sql.QueryRowContext(ctx, `SELECT COUNT(*) FROM check_results`).Scan(&n); err != nil {
		return 0, fmt.Errorf("store: check count: %w", err)
	}
	return n, nil
}
