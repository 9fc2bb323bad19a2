package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"
	"time"

	"relais/internal/redact"
)

// CachedNotices is the last good notices document, exactly as fetched and
// verified.
type CachedNotices struct {
	Serial       int64
	SHA256       string // hex SHA-256 of Bytes, lowercase
	Bytes        []byte
	Signature    []byte
	Source       string
	KeyID        string // the notice key that verified it
	ETag         string
	LastModified string
	FetchedAt    time.Time // SaveNotices uses the store's clock when zero
	CheckedAt    time.Time // SaveNotices uses FetchedAt when zero
}

// NoticesSync is the outcome of the last notices sync (Outcome* values).
type NoticesSync struct {
	At      time.Time // RecordNoticesSync uses the store's clock when zero
	Source  string
	Outcome string
	Serial  int64
	Code    string // notices.Code* when refused, else empty
	Reason  string
}

// SaveNotices makes n the current notices document. The caller has verified
// it; the hash must match the bytes.
func (db *DB) SaveNotices(ctx context.Context, n CachedNotices) error {
	n.SHA256 = strings.ToLower(n.SHA256)
	if err := checkHash(n.SHA256, n.Bytes); err != nil {
		return fmt.Errorf("store: save notices: %w", err)
	}
	fetched := db.orNow(n.FetchedAt)
	checked := n.CheckedAt
	if checked.IsZero() {
		checked = fetched
	}
	_, err := db.sql.ExecContext(ctx, `
		INSERT INTO notices (id, serial, sha256, bytes, signature, source, key_id, etag, last_modified, fetched_at, checked_at)
		VALUES (1, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
		ON CONFLICT (id) DO UPDATE SET serial = excluded.serial, sha256 = excluded.sha256, bytes = excluded.bytes,
			signature = excluded.signature, source = excluded.source, key_id = excluded.key_id, etag = excluded.etag,
			last_modified = excluded.last_modified, fetched_at = excluded.fetched_at, checked_at = excluded.checked_at`,
		n.Serial, n.SHA256, n.Bytes, n.Signature, redact.URL(n.Source), n.KeyID, n.ETag, n.LastModified,
		fetched.UnixMilli(), checked.UnixMilli())
	if err != nil {
		return fmt.Errorf("store: save notices: %w", err)
	}
	return nil
}

// TouchNotices records that the source confirmed the current document (304
// or the same bytes), with its new validators. It does nothing when sha256
// is not the current document.
func (db *DB) TouchNotices(ctx context.Context, sha256, etag, lastModified string) error {
	_, err := db.sql.ExecContext(ctx, `
		UPDATE notices SET etag = ?, last_modified = ?, checked_at = ? WHERE id = 1 AND sha256 = ?`,
		etag, lastModified, db.orNow(time.Time{}).UnixMilli(), strings.ToLower(sha256))
	if err != nil {
		return fmt.Errorf("store: touch notices: %w", err)
	}
	return nil
}

// CurrentNotices returns the last good notices document, or ErrNotFound.
func (db *DB) CurrentNotices(ctx context.Context) (*CachedNotices, error) {
	var (
		n                CachedNotices
		fetched, checked int64
	)
	err := db.sql.QueryRowContext(ctx, `
		SELECT serial, sha256, bytes, signature, source, key_id, etag, last_modified, fetched_at, checked_at
		FROM notices WHERE id = 1`).Scan(&n.Serial, &n.SHA256, &n.Bytes, &n.Signature, &n.Source, &n.KeyID,
		&n.ETag, &n.LastModified, &fetched, &checked)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, ErrNotFound
	}
	if err != nil {
		return nil, fmt.Errorf("store: current notices: %w", err)
	}
	n.FetchedAt, n.CheckedAt = fromMillis(fetched), fromMillis(checked)
	return &n, nil
}

// ForgetNotices drops the current document (the profile no longer names
// notices, or names another key).
func (db *DB) ForgetNotices(ctx context.Context) error {
	if _, err := db.sql.ExecContext(ctx, `DELETE FROM notices`); err != nil {
		return fmt.Errorf("store: forget notices: %w", err)
	}
	return nil
}

// RecordNoticesSync records the outcome of a notices sync, replacing the
// previous one.
func (db *DB) RecordNoticesSync(ctx context.Context, s NoticesSync) error {
	_, err := db.sql.ExecContext(ctx, `
		INSERT INTO notices_sync (id, at, source, outcome, serial, code, reason) VALUES (1, ?, ?, ?, ?, ?, ?)
		ON CONFLICT (id) DO UPDATE SET at = excluded.at, source = excluded.source, outcome = excluded.outcome,
			serial = excluded.serial, code = excluded.code, reason = excluded.reason`,
		db.orNow(s.At).UnixMilli(), redact.URL(s.Source), s.Outcome, s.Serial, s.Code, redact.New().Text(s.Reason))
	if err != nil {
		return fmt.Errorf("store: record notices sync: %w", err)
	}
	return nil
}

// LastNoticesSync returns the last notices sync, or ErrNotFound.
func (db *DB) LastNoticesSync(ctx context.Context) (*NoticesSync, error) {
	var (
		s  NoticesSync
		at int64
	)
	err := db.sql.QueryRowContext(ctx, `
		SELECT at, source, outcome, serial, code, reason FROM notices_sync WHERE id = 1`).Scan(
		&at, &s.Source, &s.Outcome, &s.Serial, &s.Code, &s.Reason)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, ErrNotFound
	}
	if err != nil {
		return nil, fmt.Errorf("store: last notices sync: %w", err)
	}
	s.At = fromMillis(at)
	return &s, nil
}
