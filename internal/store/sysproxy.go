package store

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"

	"relais/internal/sysproxy"
)

// SettingSystemProxySaved is the settings key under which the person's
// own proxy setting waits, as it was before Mode urgence changed it, until
// it is put back (JSON; no secret: proxy modes and URLs).
const SettingSystemProxySaved = "system_proxy.saved"

var _ sysproxy.Store = (*DB)(nil)

// SaveSystemProxy keeps the person's proxy setting until it is restored.
// It is durable when it returns: the commit is synced to disk (synchronous
// FULL for this write), so that a crash or a power cut right after — with
// the setting already changed — still finds the values to put back.
func (db *DB) SaveSystemProxy(ctx context.Context, saved []sysproxy.Saved) error {
	b, err := json.Marshal(saved)
	if err != nil {
		return fmt.Errorf("store: save system proxy: %w", err)
	}
	return db.durable(ctx, `
		INSERT INTO settings (key, value, updated_at) VALUES (?, ?, ?)
		ON CONFLICT (key) DO UPDATE SET value = excluded.value, updated_at = excluded.updated_at`,
		SettingSystemProxySaved, string(b), db.now().UnixMilli())
}

// SavedSystemProxy returns the saved proxy setting; nil when none waits.
func (db *DB) SavedSystemProxy(ctx context.Context) ([]sysproxy.Saved, error) {
	v, err := db.Setting(ctx, SettingSystemProxySaved)
	if errors.Is(err, ErrNotFound) || (err == nil && v == "") {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	var saved []sysproxy.Saved
	if err := json.Unmarshal([]byte(v), &saved); err != nil {
		return nil, fmt.Errorf("store: saved system proxy: %w", err)
	}
	return saved, nil
}

// ClearSystemProxy forgets the saved proxy setting (it was put back),
// durably as SaveSystemProxy.
func (db *DB) ClearSystemProxy(ctx context.Context) error {
	return db.durable(ctx, `DELETE FROM settings WHERE key = ?`, SettingSystemProxySaved)
}

// durable runs one statement with synchronous FULL: in WAL mode the
// commit is then synced before it returns (NORMAL, the store's default,
// syncs only at checkpoints). The store's one connection is held for the
// three statements, so the pragma covers exactly this write; NORMAL comes
// back after it.
func (db *DB) durable(ctx context.Context, query string, args ...any) error {
	conn, err := db.sql.Conn(ctx)
	if err != nil {
		return fmt.Errorf("store: system proxy: %w", err)
	}
	defer conn.Close()
	if _, err := conn.ExecContext(ctx, `PRAGMA synchronous = FULL`); err != nil {
		return fmt.Errorf("store: system proxy: synchronous: %w", err)
	}
	_, err = conn.ExecContext(ctx, query, args...)
	if _, rerr := conn.ExecContext(context.WithoutCancel(ctx), `PRAGMA synchronous = NORMAL`); rerr != nil && err == nil {
		err = rerr
	}
	if err != nil {
		return fmt.Errorf("store: system proxy: %w", err)
	}
	return nil
}
