package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"sort"
)

// Setting returns the value of one of the user's settings, or ErrNotFound
// when it was never set.
func (db *DB) Setting(ctx context.Context, key string) (string, error) {
	var v string
	err := db.sql.QueryRowContext(ctx, `SELECT value FROM settings WHERE key = ?`, key).Scan(&v)
	if errors.Is(err, sql.ErrNoRows) {
		return "", ErrNotFound
	}
	if err != nil {
		return "", fmt.Errorf("store: setting %s: %w", key, err)
	}
	return v, nil
}

// SetSetting records one of the user's settings, replacing its value.
func (db *DB) SetSetting(ctx context.Context, key, value string) error {
	return db.SetSettings(ctx, map[string]string{key: value})
}

// SetSettings records several settings in one transaction: all of them or,
// on error, none.
func (db *DB) SetSettings(ctx context.Context, values map[string]string) error {
	keys := make([]string, 0, len(values))
	for k := range values {
		if k == "" {
			return errors.New("store: set setting: empty key")
		}
		keys = append(keys, k)
	}
	sort.Strings(keys)
	tx, err := db.sql.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("store: set settings: %w", err)
	}
	defer tx.Rollback()
	now := db.now().UnixMilli()
	for _, k := range keys {
		if _, err := tx.ExecContext(ctx, `
			INSERT INTO settings (key, value, updated_at) VALUES (?, ?, ?)
			ON CONFLICT (key) DO UPDATE SET value = excluded.value, updated_at = excluded.updated_at`,
			k, values[k], now); err != nil {
			return fmt.Errorf("store: set setting %s: %w", k, err)
		}
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("store: set settings: %w", err)
	}
	return nil
}
