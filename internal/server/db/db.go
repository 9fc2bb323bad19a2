// Package db is the organisation's server's storage: one API over
// database/sql for SQLite (the default: <data_dir>/relais-server.db, WAL)
// and PostgreSQL (database_url, through pgx's database/sql driver), with
// the same embedded migrations for both.
//
// Intake is exactly once by key: an INSERT … ON CONFLICT DO NOTHING, then
// the stored row is read back and the receipt derived from it, so a repeat
// — on this instance or another sharing the same PostgreSQL, now or after a
// restart — gets the identical receipt, and a key reused for another body
// is refused (ErrKeyReused). Bodies are stored as received (a bundle is
// encrypted to the helpdesk: the server needs no key to keep it).
//
// It never logs, and never puts the database URL (it may carry a password)
// in an error.
package db

import (
	"context"
	"crypto/sha256"
	"database/sql"
	"embed"
	"encoding/hex"
	"errors"
	"fmt"
	"hash/fnv"
	"io/fs"
	"net/url"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/stdlib"
	_ "github.com/mattn/go-sqlite3" // the "sqlite3" driver

	"relais/internal/drills"
)

// Dialect is the SQL database behind a DB.
type Dialect string

// Dialects.
const (
	SQLite   Dialect = "sqlite"
	Postgres Dialect = "postgres"
)

// FileName is the SQLite database's name in the data directory.
const FileName = "relais-server.db"

// Timeouts.
const (
	busyTimeout    = 5 * time.Second  // SQLite: wait for another process's write lock
	connectTimeout = 10 * time.Second // PostgreSQL: one connection attempt
	openTimeout    = 30 * time.Second // Open as a whole, migrations included
)

// Errors.
var (
	// ErrKeyReused: the key is already stored with another body.
	ErrKeyReused = errors.New("serverdb: this key was used for another body")
	// ErrNotFound: no row for that key.
	ErrNotFound = errors.New("serverdb: not found")
	// ErrTooNew: the database was migrated by a newer Relais.
	ErrTooNew = errors.New("serverdb: the database's schema is newer than this Relais")
)

// Options says which database to open.
type Options struct {
	// DataDir holds the SQLite file; used when DatabaseURL is empty.
	DataDir string
	// DatabaseURL is a postgres:// URL: PostgreSQL instead of SQLite.
	DatabaseURL string
	// Now is the clock of received_at; nil: time.Now.
	Now func() time.Time
}

// DB is the server's database.
type DB struct {
	sql     *sql.DB
	dialect Dialect
	now     func() time.Time
}

//go:embed migrations/*.sql
var migrationFS embed.FS

type migration struct {
	version int
	name    string
	text    string
}

// migrations are the embedded files, NNNN_name.sql, in order.
func migrations() ([]migration, error) {
	entries, err := fs.ReadDir(migrationFS, "migrations")
	if err != nil {
		return nil, err
	}
	var ms []migration
	for _, e := range entries {
		num, _, ok := strings.Cut(e.Name(), "_")
		v, err := strconv.Atoi(num)
		if !ok || err != nil || v <= 0 {
			return nil, fmt.Errorf("serverdb: migration %s: not NNNN_name.sql", e.Name())
		}
		b, err := migrationFS.ReadFile("migrations/" + e.Name())
		if err != nil {
			return nil, err
		}
		ms = append(ms, migration{version: v, name: e.Name(), text: string(b)})
	}
	sort.Slice(ms, func(i, j int) bool { return ms[i].version < ms[j].version })
	for i, m := range ms {
		if m.version != i+1 {
			return nil, fmt.Errorf("serverdb: migration %s: expected version %d", m.name, i+1)
		}
	}
	return ms, nil
}

// SchemaVersion is the newest migration this build knows.
func SchemaVersion() int {
	ms, _ := migrations()
	return len(ms)
}

// Open opens the database (creating the SQLite file and its directory,
// mode 0700, when needed) and brings its schema up to date. Several
// processes may open the same database at once: migrations run once.
func Open(ctx context.Context, o Options) (*DB, error) {
	ctx, cancel := context.WithTimeout(ctx, openTimeout)
	defer cancel()
	db := &DB{now: o.Now}
	if db.now == nil {
		db.now = time.Now
	}
	var err error
	if o.DatabaseURL != "" {
		db.dialect = Postgres
		db.sql, err = openPostgres(o.DatabaseURL)
	} else {
		db.dialect = SQLite
		db.sql, err = openSQLite(o.DataDir)
	}
	if err != nil {
		return nil, err
	}
	if err := db.sql.PingContext(ctx); err != nil {
		db.sql.Close()
		return nil, fmt.Errorf("serverdb: connect (%s): %w", db.dialect, err)
	}
	if err := db.migrate(ctx); err != nil {
		db.sql.Close()
		return nil, err
	}
	if err := db.backfillCampaign(ctx); err != nil {
		db.sql.Close()
		return nil, err
	}
	return db, nil
}

func openPostgres(rawURL string) (*sql.DB, error) {
	cfg, err := pgx.ParseConfig(rawURL)
	if err != nil {
		// pgx's message may quote the URL: say only what is wrong.
		return nil, errors.New("serverdb: database_url is not a valid PostgreSQL URL")
	}
	if cfg.ConnectTimeout == 0 || cfg.ConnectTimeout > connectTimeout {
		cfg.ConnectTimeout = connectTimeout
	}
	if cfg.RuntimeParams == nil {
		cfg.RuntimeParams = map[string]string{}
	}
	if _, ok := cfg.RuntimeParams["application_name"]; !ok {
		cfg.RuntimeParams["application_name"] = "relais-server"
	}
	sqlDB := stdlib.OpenDB(*cfg)
	sqlDB.SetMaxOpenConns(16)
	sqlDB.SetMaxIdleConns(16)
	sqlDB.SetConnMaxIdleTime(5 * time.Minute)
	sqlDB.SetConnMaxLifetime(time.Hour)
	return sqlDB, nil
}

func openSQLite(dataDir string) (*sql.DB, error) {
	if strings.TrimSpace(dataDir) == "" {
		return nil, errors.New("serverdb: no data directory for the SQLite database")
	}
	dir, err := filepath.Abs(dataDir)
	if err != nil {
		return nil, fmt.Errorf("serverdb: %w", err)
	}
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, fmt.Errorf("serverdb: %w", err)
	}
	path := filepath.Join(dir, FileName)
	f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE, 0o600)
	if err != nil {
		return nil, fmt.Errorf("serverdb: %w", err)
	}
	f.Close()
	p := filepath.ToSlash(path)
	if !strings.HasPrefix(p, "/") {
		p = "/" + p
	}
	q := url.Values{}
	q.Set("_busy_timeout", strconv.FormatInt(busyTimeout.Milliseconds(), 10))
	q.Set("_journal_mode", "WAL")
	q.Set("_synchronous", "NORMAL")
	// BEGIN IMMEDIATE: a migration re-reads the version under the write
	// lock, and busy_timeout applies when another process holds it.
	q.Set("_txlock", "immediate")
	sqlDB, err := sql.Open("sqlite3", (&url.URL{Scheme: "file", Path: p, RawQuery: q.Encode()}).String())
	if err != nil {
		return nil, fmt.Errorf("serverdb: %w", err)
	}
	// One writer at a time anyway: requests queue in database/sql rather
	// than fail with SQLITE_BUSY.
	sqlDB.SetMaxOpenConns(1)
	return sqlDB, nil
}

// migrationLock is the PostgreSQL advisory lock key that serialises the
// migrations of instances starting together.
var migrationLock = func() int64 {
	h := fnv.New64a()
	h.Write([]byte("relais-server/migrations"))
	return int64(h.Sum64() >> 1)
}()

// migrate applies the missing migrations in one transaction, under
// PostgreSQL's advisory lock or SQLite's write lock, re-reading the
// version under the lock: instances starting together migrate once.
func (db *DB) migrate(ctx context.Context) error {
	ms, err := migrations()
	if err != nil {
		return err
	}
	tx, err := db.sql.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("serverdb: migrate: %w", err)
	}
	defer tx.Rollback()
	if db.dialect == Postgres {
		// Held until the transaction ends.
		if _, err := tx.ExecContext(ctx, "SELECT pg_advisory_xact_lock($1)", migrationLock); err != nil {
			return fmt.Errorf("serverdb: migrate: lock: %w", err)
		}
	}
	if _, err := tx.ExecContext(ctx, `CREATE TABLE IF NOT EXISTS schema_migrations (
		version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at BIGINT NOT NULL)`); err != nil {
		return fmt.Errorf("serverdb: migrate: %w", err)
	}
	var have int
	if err := tx.QueryRowContext(ctx, "SELECT COALESCE(MAX(version), 0) FROM schema_migrations").Scan(&have); err != nil {
		return fmt.Errorf("serverdb: migrate: %w", err)
	}
	if have > len(ms) {
		return fmt.Errorf("%w (version %d, this Relais knows %d)", ErrTooNew, have, len(ms))
	}
	for _, m := range ms[have:] {
		for _, stmt := range statements(db.dialectSQL(m.text)) {
			if _, err := tx.ExecContext(ctx, stmt); err != nil {
				return fmt.Errorf("serverdb: migration %s: %w", m.name, err)
			}
		}
		if _, err := tx.ExecContext(ctx, db.rebind("INSERT INTO schema_migrations (version, name, applied_at) VALUES (?, ?, ?)"),
			m.version, m.name, db.now().UTC().UnixMilli()); err != nil {
			return fmt.Errorf("serverdb: migration %s: %w", m.name, err)
		}
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("serverdb: migrate: %w", err)
	}
	return nil
}

// dialectSQL substitutes the few words that differ.
func (db *DB) dialectSQL(s string) string {
	id, blob := "INTEGER PRIMARY KEY", "BLOB"
	if db.dialect == Postgres {
		id, blob = "BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY", "BYTEA"
	}
	return strings.NewReplacer("{{ID}}", id, "{{BLOB}}", blob).Replace(s)
}

// statements splits a migration at semicolons ending a line, without its
// comment lines.
func statements(s string) []string {
	var out []string
	var cur strings.Builder
	for _, line := range strings.Split(s, "\n") {
		t := strings.TrimSpace(line)
		if t == "" || strings.HasPrefix(t, "--") {
			continue
		}
		cur.WriteString(line)
		cur.WriteByte('\n')
		if strings.HasSuffix(t, ";") {
			out = append(out, strings.TrimSuffix(strings.TrimSpace(cur.String()), ";"))
			cur.Reset()
		}
	}
	if strings.TrimSpace(cur.String()) != "" {
		out = append(out, strings.TrimSpace(cur.String()))
	}
	return out
}

// rebind turns ? placeholders into $1, $2… for PostgreSQL. The queries of
// this package have no '?' inside literals.
func (db *DB) rebind(q string) string {
	if db.dialect != Postgres {
		return q
	}
	var b strings.Builder
	n := 0
	for i := 0; i < len(q); i++ {
		if q[i] == '?' {
			n++
			b.WriteString("$" + strconv.Itoa(n))
			continue
		}
		b.WriteByte(q[i])
	}
	return b.String()
}

// Dialect says which database this is.
func (db *DB) Dialect() Dialect { return db.dialect }

// Ping checks that the database answers.
func (db *DB) Ping(ctx context.Context) error { return db.sql.PingContext(ctx) }

// Close closes the database.
func (db *DB) Close() error { return db.sql.Close() }

// Receipt is what the server answers for a stored submission: derived
// from the stored row only, so every repeat gets the same one.
type Receipt struct {
	Kind     string    `json:"kind"` // "report" or "bundle"
	Key      string    `json:"key"`  // the Idempotency-Key (a bundle's case code)
	ID       int64     `json:"id"`
	Received time.Time `json:"received"`
	SHA256   string    `json:"sha256"`
	Bytes    int64     `json:"bytes"`
}

// ReportFacts are the columns extracted from a report for the campaign's
// aggregates: those of the reports table, and the campaign's (campaign.go:
// the participant, feedback, RTO and title; the steps not done and the
// checks not ok). A zero value of the campaign's fields is valid.
type ReportFacts struct {
	DrillID, RunID      string
	Started, Finished   time.Time // zero: unknown / not finished
	TimeToOperationalMS *float64
	Completed           bool
	WithinRTO           *bool

	CampaignFacts
}

// FactsOf extracts a parsed report's facts.
func FactsOf(r *drills.Report) ReportFacts {
	return ReportFacts{DrillID: r.DrillID, RunID: r.RunID, Started: r.Started, Finished: r.Finished,
		TimeToOperationalMS: r.TimeToOperationalMS, Completed: r.Completed, WithinRTO: r.WithinRTO,
		CampaignFacts: campaignFactsOf(r)}
}

func msOrNull(t time.Time) any {
	if t.IsZero() {
		return nil
	}
	return t.UTC().UnixMilli()
}

func boolInt(b bool) int64 {
	if b {
		return 1
	}
	return 0
}

// PutReport stores a report under key once. created is true when this
// call stored it; a repeat with the same body gets the stored receipt, a
// repeat with another body ErrKeyReused.
func (db *DB) PutReport(ctx context.Context, key, source, contentType string, body []byte, f ReportFacts) (Receipt, bool, error) {
	sum := sha256.Sum256(body)
	sha := hex.EncodeToString(sum[:])
	var tto, within any
	if f.TimeToOperationalMS != nil {
		tto = *f.TimeToOperationalMS
	}
	if f.WithinRTO != nil {
		within = boolInt(*f.WithinRTO)
	}
	if body == nil {
		body = []byte{}
	}
	now := db.now().UTC().UnixMilli()
	// One transaction: the report and its campaign facts together.
	tx, err := db.sql.BeginTx(ctx, nil)
	if err != nil {
		return Receipt{}, false, fmt.Errorf("serverdb: store report: %w", err)
	}
	defer tx.Rollback()
	var id int64
	err = tx.QueryRowContext(ctx, db.rebind(`INSERT INTO reports (idempotency_key, body_sha256, received_at, source,
		content_type, size, body, drill_id, run_id, started_at, finished_at, time_to_operational_ms, completed, within_rto)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (idempotency_key) DO NOTHING RETURNING id`),
		key, sha, now, source, contentType, int64(len(body)), body, f.DrillID, f.RunID,
		msOrNull(f.Started), msOrNull(f.Finished), tto, boolInt(f.Completed), within).Scan(&id)
	created := err == nil
	if err != nil && !errors.Is(err, sql.ErrNoRows) {
		return Receipt{}, false, fmt.Errorf("serverdb: store report: %w", err)
	}
	var r Receipt
	if created {
		if err := db.putCampaign(ctx, tx, []campaignRow{{id: id, received: now, source: source, f: &f}}); err != nil {
			return Receipt{}, false, err
		}
		// What was just stored: the row read back would say the same.
		r = Receipt{Kind: "report", Key: key, ID: id, Received: time.UnixMilli(now).UTC(), SHA256: sha, Bytes: int64(len(body))}
	} else if r, err = db.readReceipt(ctx, tx, "report", key, sha,
		"SELECT id, body_sha256, received_at, size FROM reports WHERE idempotency_key = ?"); err != nil {
		return Receipt{}, false, err
	}
	if err := tx.Commit(); err != nil {
		return Receipt{}, false, fmt.Errorf("serverdb: store report: %w", err)
	}
	return r, created, nil
}

// PutBundle stores a diagnostics bundle under its case code once, as
// PutReport does.
func (db *DB) PutBundle(ctx context.Context, caseCode, source, contentType string, body []byte) (Receipt, bool, error) {
	sum := sha256.Sum256(body)
	sha := hex.EncodeToString(sum[:])
	if body == nil {
		body = []byte{}
	}
	res, err := db.sql.ExecContext(ctx, db.rebind(`INSERT INTO bundles (case_code, sha256, received_at, source, content_type,
		size, body) VALUES (?, ?, ?, ?, ?, ?, ?) ON CONFLICT (case_code) DO NOTHING`),
		caseCode, sha, db.now().UTC().UnixMilli(), source, contentType, int64(len(body)), body)
	if err != nil {
		return Receipt{}, false, fmt.Errorf("serverdb: store bundle: %w", err)
	}
	return db.receipt(ctx, res, "bundle", caseCode, sha,
		"SELECT id, sha256, received_at, size FROM bundles WHERE case_code = ?")
}

// receipt reads back the row stored under key after an insert.
func (db *DB) receipt(ctx context.Context, res sql.Result, kind, key, sha, query string) (Receipt, bool, error) {
	n, err := res.RowsAffected()
	if err != nil {
		return Receipt{}, false, fmt.Errorf("serverdb: store %s: %w", kind, err)
	}
	r, err := db.readReceipt(ctx, db.sql, kind, key, sha, query)
	return r, n == 1 && err == nil, err
}

// rowQuerier is a *sql.DB or a *sql.Tx.
type rowQuerier interface {
	QueryRowContext(ctx context.Context, query string, args ...any) *sql.Row
}

// readReceipt reads back the row stored under key.
func (db *DB) readReceipt(ctx context.Context, q rowQuerier, kind, key, sha, query string) (Receipt, error) {
	r := Receipt{Kind: kind, Key: key}
	var storedSHA string
	var at int64
	err := q.QueryRowContext(ctx, db.rebind(query), key).Scan(&r.ID, &storedSHA, &at, &r.Bytes)
	if err != nil {
		return Receipt{}, fmt.Errorf("serverdb: read back %s: %w", kind, err)
	}
	if storedSHA != sha {
		return Receipt{}, ErrKeyReused
	}
	r.SHA256 = storedSHA
	r.Received = time.UnixMilli(at).UTC()
	return r, nil
}

// ReportBody returns the report stored under key, as received.
func (db *DB) ReportBody(ctx context.Context, key string) ([]byte, error) {
	return db.body(ctx, "SELECT body FROM reports WHERE idempotency_key = ?", key)
}

// ReportKeys returns the keys of the stored reports, in the order they
// were first received.
func (db *DB) ReportKeys(ctx context.Context) ([]string, error) {
	rows, err := db.sql.QueryContext(ctx, "SELECT idempotency_key FROM reports ORDER BY id")
	if err != nil {
		return nil, fmt.Errorf("serverdb: %w", err)
	}
	defer rows.Close()
	var keys []string
	for rows.Next() {
		var k string
		if err := rows.Scan(&k); err != nil {
			return nil, fmt.Errorf("serverdb: %w", err)
		}
		keys = append(keys, k)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("serverdb: %w", err)
	}
	return keys, nil
}

// BundleBody returns the bundle stored under its case code, as received.
func (db *DB) BundleBody(ctx context.Context, caseCode string) ([]byte, error) {
	return db.body(ctx, "SELECT body FROM bundles WHERE case_code = ?", caseCode)
}

func (db *DB) body(ctx context.Context, query, key string) ([]byte, error) {
	var b []byte
	err := db.sql.QueryRowContext(ctx, db.rebind(query), key).Scan(&b)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, ErrNotFound
	}
	if err != nil {
		return nil, fmt.Errorf("serverdb: %w", err)
	}
	return b, nil
}

// Counts returns how many reports and bundles are stored.
func (db *DB) Counts(ctx context.Context) (reports, bundles int64, err error) {
	err = db.sql.QueryRowContext(ctx, "SELECT (SELECT COUNT(*) FROM reports), (SELECT COUNT(*) FROM bundles)").Scan(&reports, &bundles)
	if err != nil {
		return 0, 0, fmt.Errorf("serverdb: %w", err)
	}
	return reports, bundles, nil
}

// inTx runs f in one transaction, committed when f returns nil. Its
// errors carry the package prefix, but ErrNoAccount and ErrNotFound,
// which are returned as they are.
func (db *DB) inTx(ctx context.Context, f func(tx *sql.Tx) error) error {
	tx, err := db.sql.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("serverdb: %w", err)
	}
	defer tx.Rollback()
	if err := f(tx); err != nil {
		if errors.Is(err, ErrNoAccount) || errors.Is(err, ErrNotFound) {
			return err
		}
		return fmt.Errorf("serverdb: %w", err)
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("serverdb: %w", err)
	}
	return nil
}
