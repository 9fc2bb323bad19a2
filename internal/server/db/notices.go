package db

import (
	"context"
	"crypto/sha256"
	"database/sql"
	"encoding/hex"
	"errors"
	"fmt"
	"math/rand/v2"
	"slices"
	"time"

	"github.com/jackc/pgx/v5/pgconn"
)

// Kinds of notice items.
const (
	KindNotice = "notice" // a text shown as a banner
	KindWindow = "window" // a planned maintenance of one app
)

// NoticeItem is one notice or maintenance window as the continuity team
// wrote it. A zero From or Until is open; a zero EndedAt means it was not
// withdrawn.
type NoticeItem struct {
	ID             int64
	Kind           string // KindNotice or KindWindow
	App            string // a window's app id
	Level          string // a notice's level
	TextFR, TextEN string // a window's may both be empty
	From, Until    time.Time
	CreatedAt      time.Time
	CreatedBy      string
	EndedAt        time.Time
	EndedBy        string
}

// NoticeDocument is a published notices document, as signed and served.
type NoticeDocument struct {
	Serial    int64
	IssuedAt  time.Time
	SHA256    string // of Body, lower-case hex
	Body      []byte
	Signature []byte
	CreatedBy string
}

// BuildNotices makes the signed document numbered serial, issued at
// issuedAt, from the items it carries (those neither ended nor over, in
// the order they were written). An error stores nothing.
type BuildNotices func(serial int64, issuedAt time.Time, items []NoticeItem) (body, sig []byte, err error)

// Errors of notices.
var (
	// ErrNoticeEnded: the item does not exist or was already ended.
	ErrNoticeEnded = errors.New("serverdb: this notice does not exist or has already ended")
	// ErrNoticeBusy: other instances kept publishing; nothing was stored.
	ErrNoticeBusy = errors.New("serverdb: notices: too many concurrent publications, retry")
)

// publishAttempts bounds the retries of a publication whose serial was
// taken by another instance.
const publishAttempts = 20

// AddNoticeItem stores a new notice or window and publishes the document
// that carries it, in one transaction: both or neither.
func (db *DB) AddNoticeItem(ctx context.Context, it NoticeItem, build BuildNotices) (NoticeDocument, error) {
	if it.Kind != KindNotice && it.Kind != KindWindow {
		return NoticeDocument{}, fmt.Errorf("serverdb: notice kind %q", it.Kind)
	}
	return db.publish(ctx, it.CreatedBy, build, func(tx *sql.Tx, now time.Time) error {
		_, err := tx.ExecContext(ctx, db.rebind(`INSERT INTO notice_items (kind, app, level, text_fr, text_en,
			from_at, until_at, created_at, created_by) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`),
			it.Kind, it.App, it.Level, it.TextFR, it.TextEN, msOrNull(it.From), msOrNull(it.Until),
			now.UTC().UnixMilli(), it.CreatedBy)
		return err
	})
}

// EndNoticeItem withdraws an item now and publishes the document without
// it, in one transaction. An item already ended (or unknown) is
// ErrNoticeEnded and publishes nothing.
func (db *DB) EndNoticeItem(ctx context.Context, id int64, actor string, build BuildNotices) (NoticeDocument, error) {
	return db.publish(ctx, actor, build, func(tx *sql.Tx, now time.Time) error {
		res, err := tx.ExecContext(ctx, db.rebind(`UPDATE notice_items SET ended_at = ?, ended_by = ?
			WHERE id = ? AND ended_at IS NULL`), now.UTC().UnixMilli(), actor, id)
		if err != nil {
			return err
		}
		if n, err := res.RowsAffected(); err != nil || n != 1 {
			return ErrNoticeEnded
		}
		return nil
	})
}

// publish runs change and stores the next document in one transaction. The
// serial is read before the items: a document that commits with serial s
// was built after every document below s had committed, so it carries
// their items. Another instance taking the same serial first (the UNIQUE
// constraint; PostgreSQL's serialization failures under stricter
// isolation) rolls the whole transaction back and runs it again.
func (db *DB) publish(ctx context.Context, actor string, build BuildNotices, change func(*sql.Tx, time.Time) error) (NoticeDocument, error) {
	for attempt := 0; attempt < publishAttempts; attempt++ {
		doc, retry, err := db.publishOnce(ctx, actor, build, change)
		if !retry {
			return doc, err
		}
		// A short random wait, so that racing instances spread out.
		t := time.NewTimer(time.Duration(1+rand.IntN(5*(attempt+1))) * time.Millisecond)
		select {
		case <-ctx.Done():
			t.Stop()
			return NoticeDocument{}, fmt.Errorf("serverdb: notices: %w", ctx.Err())
		case <-t.C:
		}
	}
	return NoticeDocument{}, ErrNoticeBusy
}

func (db *DB) publishOnce(ctx context.Context, actor string, build BuildNotices, change func(*sql.Tx, time.Time) error) (NoticeDocument, bool, error) {
	tx, err := db.sql.BeginTx(ctx, nil)
	if err != nil {
		return NoticeDocument{}, retryable(err), fmt.Errorf("serverdb: notices: %w", err)
	}
	defer tx.Rollback()
	now := db.now()
	if err := change(tx, now); err != nil {
		if errors.Is(err, ErrNoticeEnded) {
			return NoticeDocument{}, false, err
		}
		return NoticeDocument{}, retryable(err), fmt.Errorf("serverdb: notices: %w", err)
	}
	var last int64
	if err := tx.QueryRowContext(ctx, "SELECT COALESCE(MAX(serial), 0) FROM notice_documents").Scan(&last); err != nil {
		return NoticeDocument{}, retryable(err), fmt.Errorf("serverdb: notices: %w", err)
	}
	items, err := db.openItems(ctx, tx, now)
	if err != nil {
		return NoticeDocument{}, retryable(err), err
	}
	doc := NoticeDocument{Serial: last + 1, IssuedAt: now.UTC().Truncate(time.Millisecond), CreatedBy: actor}
	doc.Body, doc.Signature, err = build(doc.Serial, doc.IssuedAt, items)
	if err != nil {
		return NoticeDocument{}, false, err
	}
	sum := sha256.Sum256(doc.Body)
	doc.SHA256 = hex.EncodeToString(sum[:])
	res, err := tx.ExecContext(ctx, db.rebind(`INSERT INTO notice_documents (serial, issued_at, sha256, body, signature,
		created_by) VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT (serial) DO NOTHING`),
		doc.Serial, doc.IssuedAt.UnixMilli(), doc.SHA256, doc.Body, doc.Signature, actor)
	if err != nil {
		return NoticeDocument{}, retryable(err), fmt.Errorf("serverdb: notices: store: %w", err)
	}
	if n, err := res.RowsAffected(); err != nil || n != 1 {
		return NoticeDocument{}, true, fmt.Errorf("serverdb: notices: serial %d taken", doc.Serial)
	}
	if err := tx.Commit(); err != nil {
		return NoticeDocument{}, retryable(err), fmt.Errorf("serverdb: notices: %w", err)
	}
	return doc, false, nil
}

// retryable: PostgreSQL's unique violation, serialization failure or
// deadlock — another instance got there first.
func retryable(err error) bool {
	var pe *pgconn.PgError
	if errors.As(err, &pe) {
		switch pe.Code {
		case "23505", "40001", "40P01":
			return true
		}
	}
	return false
}

const itemColumns = `id, kind, app, level, text_fr, text_en, from_at, until_at, created_at, created_by, ended_at, ended_by`

// openItems are the items neither ended nor over at now, oldest first.
func (db *DB) openItems(ctx context.Context, q interface {
	QueryContext(context.Context, string, ...any) (*sql.Rows, error)
}, now time.Time) ([]NoticeItem, error) {
	rows, err := q.QueryContext(ctx, db.rebind(`SELECT `+itemColumns+` FROM notice_items
		WHERE ended_at IS NULL AND (until_at IS NULL OR until_at > ?) ORDER BY id`), now.UTC().UnixMilli())
	if err != nil {
		return nil, fmt.Errorf("serverdb: notices: %w", err)
	}
	defer rows.Close()
	var out []NoticeItem
	for rows.Next() {
		var (
			it                 NoticeItem
			from, until, ended sql.NullInt64
			created            int64
			endedBy            sql.NullString
		)
		if err := rows.Scan(&it.ID, &it.Kind, &it.App, &it.Level, &it.TextFR, &it.TextEN, &from, &until,
			&created, &it.CreatedBy, &ended, &endedBy); err != nil {
			return nil, fmt.Errorf("serverdb: notices: %w", err)
		}
		it.From, it.Until, it.EndedAt = msTime(from), msTime(until), msTime(ended)
		it.CreatedAt = time.UnixMilli(created).UTC()
		it.EndedBy = endedBy.String
		out = append(out, it)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("serverdb: notices: %w", err)
	}
	return out, nil
}

func msTime(v sql.NullInt64) time.Time {
	if !v.Valid {
		return time.Time{}
	}
	return time.UnixMilli(v.Int64).UTC()
}

// OpenNoticeItems are the notices and windows neither ended nor over at
// now (current and scheduled ones), oldest first.
func (db *DB) OpenNoticeItems(ctx context.Context, now time.Time) ([]NoticeItem, error) {
	return db.openItems(ctx, db.sql, now)
}

// LatestNoticeDocument is the document with the highest serial;
// ErrNotFound when none was published.
func (db *DB) LatestNoticeDocument(ctx context.Context) (NoticeDocument, error) {
	var (
		d      NoticeDocument
		issued int64
	)
	err := db.sql.QueryRowContext(ctx, `SELECT serial, issued_at, sha256, body, signature, created_by
		FROM notice_documents ORDER BY serial DESC LIMIT 1`).Scan(&d.Serial, &issued, &d.SHA256, &d.Body, &d.Signature, &d.CreatedBy)
	if errors.Is(err, sql.ErrNoRows) {
		return NoticeDocument{}, ErrNotFound
	}
	if err != nil {
		return NoticeDocument{}, fmt.Errorf("serverdb: notices: %w", err)
	}
	d.IssuedAt = time.UnixMilli(issued).UTC()
	return d, nil
}

// NoticeDocuments are the documents published, oldest first, at most
// limit of the newest.
func (db *DB) NoticeDocuments(ctx context.Context, limit int) ([]NoticeDocument, error) {
	rows, err := db.sql.QueryContext(ctx, db.rebind(`SELECT serial, issued_at, sha256, body, signature, created_by
		FROM notice_documents ORDER BY serial DESC LIMIT ?`), limit)
	if err != nil {
		return nil, fmt.Errorf("serverdb: notices: %w", err)
	}
	defer rows.Close()
	var out []NoticeDocument
	for rows.Next() {
		var (
			d      NoticeDocument
			issued int64
		)
		if err := rows.Scan(&d.Serial, &issued, &d.SHA256, &d.Body, &d.Signature, &d.CreatedBy); err != nil {
			return nil, fmt.Errorf("serverdb: notices: %w", err)
		}
		d.IssuedAt = time.UnixMilli(issued).UTC()
		out = append(out, d)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("serverdb: notices: %w", err)
	}
	slices.Reverse(out)
	return out, nil
}
