package db

// The helpdesk's inbox: bundles as a list (oldest untaken first), who took
// one, its notes, resolved or not.

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"
	"unicode/utf8"
)

// BundleInfo is what the inbox shows of a bundle, without its body.
type BundleInfo struct {
	ID          int64
	CaseCode    string
	Received    time.Time
	Size        int64
	ContentType string
	TakenBy     string    // "": nobody yet
	TakenAt     time.Time // zero with TakenBy ""
	Resolved    time.Time // zero: not resolved
	ResolvedBy  string
	// EssentialFailing is nil until the server opened the bundle.
	EssentialFailing *bool
}

// Note is a helpdesk note on a bundle.
type Note struct {
	ID      int64
	Author  string
	Created time.Time
	Body    string
}

// MaxNote is the longest note kept (characters).
const MaxNote = 4000

// ErrNote: a note is empty, too long or not UTF-8.
var ErrNote = fmt.Errorf("serverdb: a note is 1 to %d characters of UTF-8", MaxNote)

const bundleColumns = `id, case_code, received_at, size, content_type, taken_by, taken_at, resolved_at, resolved_by, essential_failing`

type scanner interface{ Scan(...any) error }

func scanBundle(s scanner) (BundleInfo, error) {
	var b BundleInfo
	var at int64
	var takenBy, resolvedBy sql.NullString
	var takenAt, resolvedAt, essential sql.NullInt64
	if err := s.Scan(&b.ID, &b.CaseCode, &at, &b.Size, &b.ContentType, &takenBy, &takenAt, &resolvedAt, &resolvedBy, &essential); err != nil {
		return b, err
	}
	b.Received = time.UnixMilli(at).UTC()
	b.TakenBy, b.ResolvedBy = takenBy.String, resolvedBy.String
	if takenAt.Valid {
		b.TakenAt = time.UnixMilli(takenAt.Int64).UTC()
	}
	if resolvedAt.Valid {
		b.Resolved = time.UnixMilli(resolvedAt.Int64).UTC()
	}
	if essential.Valid {
		v := essential.Int64 != 0
		b.EssentialFailing = &v
	}
	return b, nil
}

// InboxCounts are how many bundles wait, are taken, are resolved.
type InboxCounts struct{ Untaken, Taken, Resolved int64 }

// Inbox lists at most limit bundles: the untaken ones first, oldest
// first; then the taken ones, oldest first; then the resolved ones,
// newest first.
func (db *DB) Inbox(ctx context.Context, limit int) ([]BundleInfo, InboxCounts, error) {
	var c InboxCounts
	err := db.sql.QueryRowContext(ctx, `SELECT
		COALESCE(SUM(CASE WHEN resolved_at IS NULL AND taken_by IS NULL THEN 1 ELSE 0 END), 0),
		COALESCE(SUM(CASE WHEN resolved_at IS NULL AND taken_by IS NOT NULL THEN 1 ELSE 0 END), 0),
		COALESCE(SUM(CASE WHEN resolved_at IS NOT NULL THEN 1 ELSE 0 END), 0) FROM bundles`).Scan(&c.Untaken, &c.Taken, &c.Resolved)
	if err != nil {
		return nil, c, fmt.Errorf("serverdb: %w", err)
	}
	rows, err := db.sql.QueryContext(ctx, db.rebind(`SELECT `+bundleColumns+` FROM bundles
		ORDER BY CASE WHEN resolved_at IS NOT NULL THEN 2 WHEN taken_by IS NULL THEN 0 ELSE 1 END,
		CASE WHEN resolved_at IS NOT NULL THEN -received_at ELSE received_at END, id LIMIT ?`), limit)
	if err != nil {
		return nil, c, fmt.Errorf("serverdb: %w", err)
	}
	defer rows.Close()
	var out []BundleInfo
	for rows.Next() {
		b, err := scanBundle(rows)
		if err != nil {
			return nil, c, fmt.Errorf("serverdb: %w", err)
		}
		out = append(out, b)
	}
	if err := rows.Err(); err != nil {
		return nil, c, fmt.Errorf("serverdb: %w", err)
	}
	return out, c, nil
}

// Bundle returns what the inbox shows of one bundle.
func (db *DB) Bundle(ctx context.Context, caseCode string) (BundleInfo, error) {
	b, err := scanBundle(db.sql.QueryRowContext(ctx, db.rebind(`SELECT `+bundleColumns+` FROM bundles WHERE case_code = ?`), caseCode))
	if errors.Is(err, sql.ErrNoRows) {
		return b, ErrNotFound
	}
	if err != nil {
		return b, fmt.Errorf("serverdb: %w", err)
	}
	return b, nil
}

// exec runs an update of one bundle: ErrNotFound when no row matched.
func (db *DB) execBundle(ctx context.Context, query string, args ...any) error {
	res, err := db.sql.ExecContext(ctx, db.rebind(query), args...)
	if err != nil {
		return fmt.Errorf("serverdb: %w", err)
	}
	if n, err := res.RowsAffected(); err == nil && n == 0 {
		return ErrNotFound
	}
	return nil
}

// TakeBundle records that account took the bundle ("je le prends"); it
// replaces whoever had it.
func (db *DB) TakeBundle(ctx context.Context, caseCode, account string) error {
	return db.execBundle(ctx, "UPDATE bundles SET taken_by = ?, taken_at = ? WHERE case_code = ?",
		account, db.now().UTC().UnixMilli(), caseCode)
}

// ResolveBundle marks the bundle resolved by account.
func (db *DB) ResolveBundle(ctx context.Context, caseCode, account string) error {
	return db.execBundle(ctx, "UPDATE bundles SET resolved_at = ?, resolved_by = ? WHERE case_code = ?",
		db.now().UTC().UnixMilli(), account, caseCode)
}

// ReopenBundle marks the bundle not resolved.
func (db *DB) ReopenBundle(ctx context.Context, caseCode string) error {
	return db.execBundle(ctx, "UPDATE bundles SET resolved_at = NULL, resolved_by = NULL WHERE case_code = ?", caseCode)
}

// SetEssentialFailing records what the bundle's verdict says of the
// essential apps, once the server opened it.
func (db *DB) SetEssentialFailing(ctx context.Context, caseCode string, failing bool) error {
	return db.execBundle(ctx, "UPDATE bundles SET essential_failing = ? WHERE case_code = ?", boolInt(failing), caseCode)
}

// AddNote adds a note by author to the bundle.
func (db *DB) AddNote(ctx context.Context, caseCode, author, body string) error {
	if body == "" || !utf8.ValidString(body) || utf8.RuneCountInString(body) > MaxNote {
		return ErrNote
	}
	return db.inTx(ctx, func(tx *sql.Tx) error {
		var id int64
		err := tx.QueryRowContext(ctx, db.rebind("SELECT id FROM bundles WHERE case_code = ?"), caseCode).Scan(&id)
		if errors.Is(err, sql.ErrNoRows) {
			return ErrNotFound
		}
		if err != nil {
			return err
		}
		_, err = tx.ExecContext(ctx, db.rebind("INSERT INTO bundle_notes (case_code, author, created_at, body) VALUES (?, ?, ?, ?)"),
			caseCode, author, db.now().UTC().UnixMilli(), body)
		return err
	})
}

// Notes lists the bundle's notes, oldest first.
func (db *DB) Notes(ctx context.Context, caseCode string) ([]Note, error) {
	rows, err := db.sql.QueryContext(ctx, db.rebind("SELECT id, author, created_at, body FROM bundle_notes WHERE case_code = ? ORDER BY created_at, id"), caseCode)
	if err != nil {
		return nil, fmt.Errorf("serverdb: %w", err)
	}
	defer rows.Close()
	var out []Note
	for rows.Next() {
		var n Note
		var at int64
		if err := rows.Scan(&n.ID, &n.Author, &at, &n.Body); err != nil {
			return nil, fmt.Errorf("serverdb: %w", err)
		}
		n.Created = time.UnixMilli(at).UTC()
		out = append(out, n)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("serverdb: %w", err)
	}
	return out, nil
}
