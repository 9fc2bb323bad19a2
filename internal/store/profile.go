package store

import (
	"context"
	"crypto/sha256"
	"database/sql"
	"encoding/hex"
	"errors"
	"fmt"
	"strings"
	"time"

	"relais/internal/redact"
)

// CachedProfile is a continuity profile as accepted from its source. The
// current one is the last accepted: the last good profile, used while the
// source is unreachable or serves something that is refused.
type CachedProfile struct {
	Serial       int64  // the profile's serial
	SHA256       string // hex SHA-256 of Bytes; stored and returned lowercase
	Bytes        []byte // the profile file (TOML), exactly as fetched
	Signature    []byte // its detached minisign signature, exactly as fetched
	Source       string // URL or file path it came from
	ETag         string // validator for a conditional GET, may be empty
	LastModified string // validator for a conditional GET, may be empty
	// FetchedAt is when these bytes were accepted; SaveProfile uses the
	// store's clock when it is zero.
	FetchedAt time.Time
	// CheckedAt is the last time the source confirmed these bytes (304 or
	// the same bytes again); SaveProfile uses FetchedAt when it is zero.
	CheckedAt time.Time
}

// Asset is a file pinned by a profile (an image, a document), kept by hash.
type Asset struct {
	SHA256    string // hex SHA-256 of Bytes: the key; stored and returned lowercase
	ID        string // the profile's id for the asset, informational
	Bytes     []byte
	SourceURL string
	FetchedAt time.Time // SaveProfile uses the store's clock when it is zero
}

// checkHash reports whether want is the hex SHA-256 of b. A store keyed by
// hash must not be poisoned by a wrong key: the first bytes stored under a
// hash are kept for good.
func checkHash(want string, b []byte) error {
	sum := sha256.Sum256(b)
	if got := hex.EncodeToString(sum[:]); got != want {
		return fmt.Errorf("sha256 %q does not match the bytes (%s)", want, got)
	}
	return nil
}

// CurrentProfile returns the last accepted profile, or ErrNotFound when no
// profile was ever accepted.
func (db *DB) CurrentProfile(ctx context.Context) (*CachedProfile, error) {
	var (
		p                  CachedProfile
		fetched, checkedAt int64
	)
	err := db.sql.QueryRowContext(ctx, `
		SELECT p.serial, p.sha256, p.bytes, p.signature, p.source,
		       p.etag, p.last_modified, p.fetched_at, p.checked_at
		FROM current_profile AS c JOIN profiles AS p ON p.id = c.profile_id`).Scan(
		&p.Serial, &p.SHA256, &p.Bytes, &p.Signature, &p.Source,
		&p.ETag, &p.LastModified, &fetched, &checkedAt)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, ErrNotFound
	}
	if err != nil {
		return nil, fmt.Errorf("store: current profile: %w", err)
	}
	p.FetchedAt, p.CheckedAt = fromMillis(fetched), fromMillis(checkedAt)
	return &p, nil
}

// SaveProfile records an accepted profile and makes it current, in one
// transaction: it stores every asset not already present (an asset whose
// hash is present is kept as it is, without error), adds the profile to the
// history, makes it current and prunes the history. On any error nothing is
// changed and the previous current profile stays current.
//
// Each asset's and the profile's bytes must match their SHA256. Assets are
// never deleted: the caller passes only the assets it fetched, so the store
// cannot know which ones older profiles still pin.
func (db *DB) SaveProfile(ctx context.Context, p CachedProfile, assets []Asset) error {
	p.SHA256 = strings.ToLower(p.SHA256)
	if err := checkHash(p.SHA256, p.Bytes); err != nil {
		return fmt.Errorf("store: save profile: %w", err)
	}
	fetched := db.orNow(p.FetchedAt)
	checkedAt := p.CheckedAt
	if checkedAt.IsZero() {
		checkedAt = fetched
	}

	tx, err := db.sql.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("store: save profile: %w", err)
	}
	defer tx.Rollback()
	for _, a := range assets {
		key := strings.ToLower(a.SHA256)
		if err := checkHash(key, a.Bytes); err != nil {
			return fmt.Errorf("store: save profile: asset %q: %w", a.ID, err)
		}
		if _, err := tx.ExecContext(ctx, `
			INSERT INTO assets (sha256, asset_id, bytes, source_url, fetched_at)
			VALUES (?, ?, ?, ?, ?)
			ON CONFLICT (sha256) DO NOTHING`,
			key, a.ID, a.Bytes, redact.URL(a.SourceURL), db.orNow(a.FetchedAt).UnixMilli()); err != nil {
			return fmt.Errorf("store: save profile: asset %q: %w", a.ID, err)
		}
	}
	res, err := tx.ExecContext(ctx, `
		INSERT INTO profiles (serial, sha256, bytes, signature, source, etag, last_modified, fetched_at, checked_at)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`,
		p.Serial, p.SHA256, p.Bytes, p.Signature, redact.URL(p.Source),
		p.ETag, p.LastModified, fetched.UnixMilli(), checkedAt.UnixMilli())
	if err != nil {
		return fmt.Errorf("store: save profile: %w", err)
	}
	id, err := res.LastInsertId()
	if err != nil {
		return fmt.Errorf("store: save profile: %w", err)
	}
	if _, err := tx.ExecContext(ctx, `
		INSERT INTO current_profile (id, profile_id) VALUES (1, ?)
		ON CONFLICT (id) DO UPDATE SET profile_id = excluded.profile_id`, id); err != nil {
		return fmt.Errorf("store: save profile: %w", err)
	}
	// Keep the current profile and the keepProfiles newest others. The
	// current one is the newest row, at offset 0.
	if _, err := tx.ExecContext(ctx, `
		DELETE FROM profiles
		WHERE id < (SELECT id FROM profiles ORDER BY id DESC LIMIT 1 OFFSET ?)
		  AND id NOT IN (SELECT profile_id FROM current_profile)`, db.keepProfiles); err != nil {
		return fmt.Errorf("store: save profile: prune history: %w", err)
	}
	if db.beforeCommit != nil {
		db.beforeCommit()
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("store: save profile: %w", err)
	}
	return nil
}

// TouchProfile records that the source confirmed the current profile, after
// a 304 Not Modified or when it served the same bytes again: it updates the
// validators and CheckedAt (the store's clock if checkedAt is zero). An empty
// etag or lastModified keeps the stored one, because a 304 need not repeat
// them. It returns an error matching ErrNotFound, and changes nothing, when
// sha256 is not the current profile's.
func (db *DB) TouchProfile(ctx context.Context, sha256, etag, lastModified string, checkedAt time.Time) error {
	res, err := db.sql.ExecContext(ctx, `
		UPDATE profiles
		SET etag = coalesce(nullif(?, ''), etag),
		    last_modified = coalesce(nullif(?, ''), last_modified),
		    checked_at = ?
		WHERE id = (SELECT profile_id FROM current_profile) AND sha256 = ?`,
		etag, lastModified, db.orNow(checkedAt).UnixMilli(), strings.ToLower(sha256))
	if err != nil {
		return fmt.Errorf("store: touch profile: %w", err)
	}
	n, err := res.RowsAffected()
	if err != nil {
		return fmt.Errorf("store: touch profile: %w", err)
	}
	if n == 0 {
		return fmt.Errorf("store: touch profile: %s is not the current profile: %w", sha256, ErrNotFound)
	}
	return nil
}

// HasAsset reports whether the asset with this hash is stored, so that sync
// fetches each asset once.
func (db *DB) HasAsset(ctx context.Context, sha256 string) (bool, error) {
	var ok bool
	err := db.sql.QueryRowContext(ctx, `SELECT EXISTS (SELECT 1 FROM assets WHERE sha256 = ?)`,
		strings.ToLower(sha256)).Scan(&ok)
	if err != nil {
		return false, fmt.Errorf("store: has asset: %w", err)
	}
	return ok, nil
}

// Asset returns the asset with this hash, or ErrNotFound.
func (db *DB) Asset(ctx context.Context, sha256 string) (*Asset, error) {
	var (
		a       Asset
		fetched int64
	)
	err := db.sql.QueryRowContext(ctx, `
		SELECT sha256, asset_id, bytes, source_url, fetched_at FROM assets WHERE sha256 = ?`,
		strings.ToLower(sha256)).Scan(&a.SHA256, &a.ID, &a.Bytes, &a.SourceURL, &fetched)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, ErrNotFound
	}
	if err != nil {
		return nil, fmt.Errorf("store: asset: %w", err)
	}
	a.FetchedAt = fromMillis(fetched)
	return &a, nil
}

// AssetCount returns the number of stored assets.
func (db *DB) AssetCount(ctx context.Context) (int, error) {
	var n int
	if err := db.sql.QueryRowContext(ctx, `SELECT count(*) FROM assets`).Scan(&n); err != nil {
		return 0, fmt.Errorf("store: asset count: %w", err)
	}
	return n, nil
}
