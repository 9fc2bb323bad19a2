package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"relais/internal/redact"
)

// Outcomes of a sync attempt, the values of SyncAttempt.Outcome.
const (
	OutcomeAccepted    = "accepted"     // a new profile was accepted and is now current
	OutcomeNotModified = "not_modified" // the source confirmed the current profile
	OutcomeRefused     = "refused"      // the source served a profile that was refused (signature, rollback, expiry…)
	OutcomeFailed      = "failed"       // the source could not be reached or read
)

// SyncAttempt is the outcome of one sync, so that the UI and the CLI can say
// why the last good profile is still in use.
type SyncAttempt struct {
	At      time.Time // when it ran; RecordSync uses the store's clock when zero
	Source  string    // URL or file path tried
	Outcome string    // one of the Outcome constants
	Serial  int64     // serial of the profile seen, 0 if none
	Reason  string    // error text, may be empty
	Code    string    // short machine code such as "rollback" or "bad_signature", may be empty
}

// RecordSync records a sync attempt and prunes old ones.
func (db *DB) RecordSync(ctx context.Context, a SyncAttempt) error {
	res, err := db.sql.ExecContext(ctx, `
		INSERT INTO sync_attempts (at, source, outcome, serial, reason, code) VALUES (?, ?, ?, ?, ?, ?)`,
		db.orNow(a.At).UnixMilli(), redact.URL(a.Source), a.Outcome, a.Serial, a.Reason, a.Code)
	if err != nil {
		return fmt.Errorf("store: record sync: %w", err)
	}
	return db.prune(ctx, res, "sync_attempts", db.keepSyncs)
}

// LastSync returns the most recent sync attempt, or ErrNotFound.
func (db *DB) LastSync(ctx context.Context) (*SyncAttempt, error) {
	var (
		a  SyncAttempt
		at int64
	)
	err := db.sql.QueryRowContext(ctx, `
		SELECT at, source, outcome, serial, reason, code FROM sync_attempts ORDER BY id DESC LIMIT 1`).Scan(
		&at, &a.Source, &a.Outcome, &a.Serial, &a.Reason, &a.Code)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, ErrNotFound
	}
	if err != nil {
		return nil, fmt.Errorf("store: last sync: %w", err)
	}
	a.At = fromMillis(at)
	return &a, nil
}

// prune deletes the rows of table older than the keep newest, given the
// result of inserting the newest. Ids are dense (INTEGER PRIMARY KEY, only
// old rows are ever deleted), so "older than keep" is an id range. It runs
// as its own statement, not in a transaction with the insert: if the process
// dies in between, the next insert prunes instead.
func (db *DB) prune(ctx context.Context, inserted sql.Result, table string, keep int) error {
	id, err := inserted.LastInsertId()
	if err != nil {
		return fmt.Errorf("store: prune %s: %w", table, err)
	}
	// table is one of our constant names, never input.
	if _, err := db.sql.ExecContext(ctx, `DELETE FROM `+table+` WHERE id <= ?`, id-int64(keep)); err != nil {
		return fmt.Errorf("store: prune %s: %w", table, err)
	}
	return nil
}
