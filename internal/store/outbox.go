package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"net/url"
	"time"
)

// Outbox item states, as the store keeps them (package outbox names them
// too).
const (
	OutboxPending   = "pending"
	OutboxDelivered = "delivered"
	OutboxRejected  = "rejected"
)

// KeepOutbox is how many finished (delivered or rejected) outbox items the
// store keeps, newest first; pending items are never pruned.
const KeepOutbox = 500

// OutboxItem is one item of the outbox: something to POST exactly once as
// far as the receiver can tell. The store does not send anything: package
// outbox does, and records each attempt here.
type OutboxItem struct {
	Key         string // idempotency key, unique
	Kind        string // drill_report, …
	URL         string // never with credentials
	ContentType string
	Body        []byte // nil in lists (OutboxItems)
	State       string // OutboxPending | OutboxDelivered | OutboxRejected
	Created     time.Time
	Attempts    int       // requests started, counted before each is sent
	NextAttempt time.Time // when pending: not before
	Delivered   time.Time // zero until delivered
	LastStatus  int       // HTTP status of the last answer, 0 when none
	LastError   string    // why the last attempt failed, "" when none
	// Receipt is what the receiver said it recorded, nil when it gave no
	// receipt (or the item is not delivered).
	Receipt *OutboxReceipt
}

// OutboxReceipt is a receiver's receipt for a delivered item: its number
// for it and when it received it, by its own clock.
type OutboxReceipt struct {
	ID       int64     // > 0
	Received time.Time // never zero
}

// OutboxAttempt is the outcome of one delivery attempt.
type OutboxAttempt struct {
	State       string         // OutboxPending (retry), OutboxDelivered or OutboxRejected
	Status      int            // HTTP status, 0 when there was no answer
	Error       string         // "" when delivered
	NextAttempt time.Time      // OutboxPending: when to try again
	At          time.Time      // when it ended (the delivery time); the store's clock when zero
	Receipt     *OutboxReceipt // OutboxDelivered: the receiver's receipt, nil when none
}

// EnqueueOutbox adds an item, pending and due at it.NextAttempt (at once
// when zero). An item with the same key already there is left as it is:
// added is false and err nil.
func (db *DB) EnqueueOutbox(ctx context.Context, it OutboxItem) (added bool, err error) {
	switch {
	case it.Key == "":
		return false, errors.New("store: enqueue: empty key")
	case it.Kind == "":
		return false, errors.New("store: enqueue: empty kind")
	case it.URL == "":
		return false, errors.New("store: enqueue: empty url")
	}
	if u, err := url.Parse(it.URL); err != nil || u.User != nil {
		// Not redacted like a source URL: the item would then go elsewhere.
		return false, errors.New("store: enqueue: the url must be valid and without credentials")
	}
	created := db.orNow(it.Created)
	next := it.NextAttempt
	if next.IsZero() {
		next = created
	}
	body := it.Body
	if body == nil {
		body = []byte{} // NOT NULL
	}
	res, err := db.sql.ExecContext(ctx, `
		INSERT OR IGNORE INTO outbox (key, kind, url, content_type, body, state, created, attempts, next_attempt)
		VALUES (?, ?, ?, ?, ?, 'pending', ?, 0, ?)`,
		it.Key, it.Kind, it.URL, it.ContentType, body, created.UnixMilli(), next.UnixMilli())
	if err != nil {
		return false, fmt.Errorf("store: enqueue: %w", err)
	}
	n, err := res.RowsAffected()
	if err != nil {
		return false, fmt.Errorf("store: enqueue: %w", err)
	}
	return n == 1, nil
}

const outboxColumns = `key, kind, url, content_type, state, created, attempts, next_attempt, delivered, last_status, last_error,
	receipt_id, receipt_received`

type rowScanner interface{ Scan(dest ...any) error }

// scanOutbox reads outboxColumns, then the extra destinations.
func scanOutbox(row rowScanner, extra ...any) (OutboxItem, error) {
	var (
		it                       OutboxItem
		created, next, delivered int64
		rid, rat                 sql.NullInt64
	)
	dest := append([]any{&it.Key, &it.Kind, &it.URL, &it.ContentType, &it.State, &created, &it.Attempts, &next,
		&delivered, &it.LastStatus, &it.LastError, &rid, &rat}, extra...)
	if err := row.Scan(dest...); err != nil {
		return it, err
	}
	it.Created, it.NextAttempt = fromMillis(created), fromMillis(next)
	if delivered != 0 {
		it.Delivered = fromMillis(delivered)
	}
	if rid.Valid && rid.Int64 > 0 && rat.Valid && rat.Int64 != 0 {
		it.Receipt = &OutboxReceipt{ID: rid.Int64, Received: fromMillis(rat.Int64)}
	}
	return it, nil
}

// OutboxItem returns one item with its body, or ErrNotFound.
func (db *DB) OutboxItem(ctx context.Context, key string) (*OutboxItem, error) {
	var body []byte
	it, err := scanOutbox(db.sql.QueryRowContext(ctx, `SELECT `+outboxColumns+`, body FROM outbox WHERE key = ?`, key), &body)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, ErrNotFound
	}
	if err != nil {
		return nil, fmt.Errorf("store: outbox item: %w", err)
	}
	it.Body = body
	if it.Body == nil {
		it.Body = []byte{}
	}
	return &it, nil
}

// OutboxItems lists every item, newest first, without bodies.
func (db *DB) OutboxItems(ctx context.Context) ([]OutboxItem, error) {
	rows, err := db.sql.QueryContext(ctx, `SELECT `+outboxColumns+` FROM outbox ORDER BY created DESC, rowid DESC`)
	if err != nil {
		return nil, fmt.Errorf("store: outbox items: %w", err)
	}
	defer rows.Close()
	var out []OutboxItem
	for rows.Next() {
		it, err := scanOutbox(rows)
		if err != nil {
			return nil, fmt.Errorf("store: outbox items: %w", err)
		}
		out = append(out, it)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("store: outbox items: %w", err)
	}
	return out, nil
}

// DueOutbox returns the keys of up to limit pending items due at now, the
// longest overdue first; limit <= 0 means all.
func (db *DB) DueOutbox(ctx context.Context, now time.Time, limit int) ([]string, error) {
	if limit <= 0 {
		limit = -1
	}
	rows, err := db.sql.QueryContext(ctx, `
		SELECT key FROM outbox WHERE state = 'pending' AND next_attempt <= ?
		ORDER BY next_attempt, created, rowid LIMIT ?`, now.UnixMilli(), limit)
	if err != nil {
		return nil, fmt.Errorf("store: due outbox: %w", err)
	}
	defer rows.Close()
	var keys []string
	for rows.Next() {
		var k string
		if err := rows.Scan(&k); err != nil {
			return nil, fmt.Errorf("store: due outbox: %w", err)
		}
		keys = append(keys, k)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("store: due outbox: %w", err)
	}
	return keys, nil
}

// NextOutboxAttempt returns when the earliest pending item is due; ok is
// false when nothing is pending.
func (db *DB) NextOutboxAttempt(ctx context.Context) (next time.Time, ok bool, err error) {
	var ms sql.NullInt64
	if err := db.sql.QueryRowContext(ctx, `SELECT min(next_attempt) FROM outbox WHERE state = 'pending'`).Scan(&ms); err != nil {
		return time.Time{}, false, fmt.Errorf("store: next outbox attempt: %w", err)
	}
	if !ms.Valid {
		return time.Time{}, false, nil
	}
	return fromMillis(ms.Int64), true, nil
}

// ClaimOutbox starts an attempt at the item key, if it is pending and due
// at now: in one transaction it counts the attempt and moves next_attempt
// to until(attempt), attempt being the new count, so that neither this
// process after a crash nor another process meanwhile tries it again before
// then. It returns the item (with its body and the new attempt count), or
// ErrNotFound when the item is unknown, finished or not due (another process
// may have claimed it first).
func (db *DB) ClaimOutbox(ctx context.Context, key string, now time.Time, until func(attempt int) time.Time) (*OutboxItem, error) {
	tx, err := db.sql.BeginTx(ctx, nil) // BEGIN IMMEDIATE (see dsn): the check and the update are one step
	if err != nil {
		return nil, fmt.Errorf("store: claim outbox item: %w", err)
	}
	defer tx.Rollback() //nolint:errcheck // after Commit it is a no-op
	var body []byte
	it, err := scanOutbox(tx.QueryRowContext(ctx, `SELECT `+outboxColumns+`, body FROM outbox
		WHERE key = ? AND state = 'pending' AND next_attempt <= ?`, key, now.UnixMilli()), &body)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, ErrNotFound
	}
	if err != nil {
		return nil, fmt.Errorf("store: claim outbox item: %w", err)
	}
	it.Attempts++
	next := until(it.Attempts).UnixMilli()
	it.NextAttempt = fromMillis(next)
	if _, err := tx.ExecContext(ctx, `UPDATE outbox SET attempts = ?, next_attempt = ? WHERE key = ?`,
		it.Attempts, next, key); err != nil {
		return nil, fmt.Errorf("store: claim outbox item: %w", err)
	}
	if err := tx.Commit(); err != nil {
		return nil, fmt.Errorf("store: claim outbox item: %w", err)
	}
	it.Body = body
	if it.Body == nil {
		it.Body = []byte{}
	}
	return &it, nil
}

// RecordOutboxAttempt records how the attempt-th attempt at key (as counted
// by ClaimOutbox) ended. A retry or a rejection is recorded only if no later
// attempt was claimed meanwhile and the item is still pending; a delivery is
// always recorded unless the item was already delivered: the receiver has it.
// It returns whether the item changed. Finished items beyond KeepOutbox are
// pruned.
func (db *DB) RecordOutboxAttempt(ctx context.Context, key string, attempt int, a OutboxAttempt) (bool, error) {
	at := db.orNow(a.At).UnixMilli()
	var (
		res sql.Result
		err error
	)
	switch a.State {
	case OutboxDelivered:
		var rid, rat sql.NullInt64
		if r := a.Receipt; r != nil && r.ID > 0 && !r.Received.IsZero() {
			rid = sql.NullInt64{Int64: r.ID, Valid: true}
			rat = sql.NullInt64{Int64: r.Received.UnixMilli(), Valid: true}
		}
		res, err = db.sql.ExecContext(ctx, `
			UPDATE outbox SET state = 'delivered', delivered = ?, last_status = ?, last_error = '',
				receipt_id = ?, receipt_received = ?
			WHERE key = ? AND state <> 'delivered'`, at, a.Status, rid, rat, key)
	case OutboxRejected:
		res, err = db.sql.ExecContext(ctx, `
			UPDATE outbox SET state = 'rejected', last_status = ?, last_error = ?
			WHERE key = ? AND state = 'pending' AND attempts = ?`, a.Status, a.Error, key, attempt)
	case OutboxPending:
		res, err = db.sql.ExecContext(ctx, `
			UPDATE outbox SET next_attempt = ?, last_status = ?, last_error = ?
			WHERE key = ? AND state = 'pending' AND attempts = ?`, a.NextAttempt.UnixMilli(), a.Status, a.Error, key, attempt)
	default:
		return false, fmt.Errorf("store: record outbox attempt: unknown state %q", a.State)
	}
	if err != nil {
		return false, fmt.Errorf("store: record outbox attempt: %w", err)
	}
	n, err := res.RowsAffected()
	if err != nil {
		return false, fmt.Errorf("store: record outbox attempt: %w", err)
	}
	if n == 1 && a.State != OutboxPending {
		if err := db.PruneOutbox(ctx, KeepOutbox); err != nil {
			return true, err
		}
	}
	return n == 1, nil
}

// PruneOutbox keeps only the keep newest finished (delivered or rejected)
// items; pending items are never removed.
func (db *DB) PruneOutbox(ctx context.Context, keep int) error {
	if _, err := db.sql.ExecContext(ctx, `
		DELETE FROM outbox WHERE state <> 'pending' AND rowid NOT IN (
			SELECT rowid FROM outbox WHERE state <> 'pending' ORDER BY created DESC, rowid DESC LIMIT ?)`, max(keep, 0)); err != nil {
		return fmt.Errorf("store: prune outbox: %w", err)
	}
	return nil
}
