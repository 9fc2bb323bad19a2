package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"
	"time"
)

// Identity is the public half of the device's WireGuard identity. The
// private key is never here: it lives in the OS keyring.
type Identity struct {
	PublicKey string   // base64, 44 characters
	Addresses []string // tunnel addresses (CIDR) assigned by IT, may be empty
	Source    string   // "generated", SourceEnrolled, or the name of the imported .conf
	CreatedAt time.Time
	// An identity from the organisation's server (Source SourceEnrolled):
	// the server's enrolment URL and the grant it signed for this key and
	// these addresses (empty when the server signs none).
	EnrolURL       string
	Grant          string
	GrantSignature string
}

// SourceEnrolled is the Source of an identity the organisation's server
// gave (relais enrol).
const SourceEnrolled = "enrolment"

// SetIdentity records the device identity, replacing any previous one.
func (db *DB) SetIdentity(ctx context.Context, id Identity) error {
	_, err := db.sql.ExecContext(ctx, `
		INSERT INTO device_identity (id, public_key, addresses, source, created_at, enrol_url, grant_doc, grant_signature)
		VALUES (1, ?, ?, ?, ?, ?, ?, ?)
		ON CONFLICT (id) DO UPDATE SET public_key = excluded.public_key, addresses = excluded.addresses,
			source = excluded.source, created_at = excluded.created_at, enrol_url = excluded.enrol_url,
			grant_doc = excluded.grant_doc, grant_signature = excluded.grant_signature`,
		id.PublicKey, strings.Join(id.Addresses, ","), id.Source, db.orNow(id.CreatedAt).UnixMilli(),
		id.EnrolURL, id.Grant, id.GrantSignature)
	if err != nil {
		return fmt.Errorf("store: set identity: %w", err)
	}
	return nil
}

// Identity returns the device identity, or ErrNotFound.
func (db *DB) Identity(ctx context.Context) (*Identity, error) {
	var (
		id    Identity
		addrs string
		at    int64
	)
	err := db.sql.QueryRowContext(ctx, `SELECT public_key, addresses, source, created_at, enrol_url, grant_doc, grant_signature
		FROM device_identity WHERE id = 1`).Scan(
		&id.PublicKey, &addrs, &id.Source, &at, &id.EnrolURL, &id.Grant, &id.GrantSignature)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, ErrNotFound
	}
	if err != nil {
		return nil, fmt.Errorf("store: identity: %w", err)
	}
	if addrs != "" {
		id.Addresses = strings.Split(addrs, ",")
	}
	id.CreatedAt = fromMillis(at)
	return &id, nil
}

// DeleteIdentity forgets the device identity (no error when there is none).
func (db *DB) DeleteIdentity(ctx context.Context) error {
	if _, err := db.sql.ExecContext(ctx, `DELETE FROM device_identity`); err != nil {
		return fmt.Errorf("store: delete identity: %w", err)
	}
	return nil
}
