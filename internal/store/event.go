package store

import (
	"context"
	"fmt"
	"time"
)

// Event is one entry of the diagnostics log.
type Event struct {
	ID      int64 // increases with each event
	At      time.Time
	Kind    string // short category such as "sync" or "tunnel"
	Message string
}

// LogEvent appends an event stamped with the store's clock, and prunes old
// ones. Never pass secrets: the log goes into diagnostics bundles.
func (db *DB) LogEvent(ctx context.Context, kind, message string) error {
	res, err := db.sql.ExecContext(ctx, `INSERT INTO events (at, kind, message) VALUES (?, ?, ?)`,
		db.now().UnixMilli(), kind, message)
	if err != nil {
		return fmt.Errorf("store: log event: %w", err)
	}
	return db.prune(ctx, res, "events", db.keepEvents)
}

// Events returns up to limit events, newest first; limit <= 0 returns all
// the events kept. "Newest" is the order of logging, whatever the clock did.
func (db *DB) Events(ctx context.Context, limit int) ([]Event, error) {
	if limit <= 0 {
		limit = -1 // SQLite: no limit
	}
	rows, err := db.sql.QueryContext(ctx, `SELECT id, at, kind, message FROM events ORDER BY id DESC LIMIT ?`, limit)
	if err != nil {
		return nil, fmt.Errorf("store: events: %w", err)
	}
	defer rows.Close()
	var events []Event
	for rows.Next() {
		var (
			e  Event
			at int64
		)
		if err := rows.Scan(&e.ID, &at, &e.Kind, &e.Message); err != nil {
			return nil, fmt.Errorf("store: events: %w", err)
		}
		e.At = fromMillis(at)
		events = append(events, e)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("store: events: %w", err)
	}
	return events, nil
}
