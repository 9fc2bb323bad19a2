// Package store keeps, on the laptop, what Relais needs to start and explain
// itself with no network at all: the last good continuity profile with its
// signature, the assets it pins by hash, the outcome of each sync attempt,
// an event log for diagnostics, and the live record of a running Mode
// urgence that other processes read (live.go). It is one SQLite file in the user's data
// directory, readable by its owner only, which the GUI and the CLI may have
// open at the same time.
//
// The store must never hold a secret: no WireGuard private key, token,
// password or credential of any kind, not even encrypted. Keys live in the OS
// keyring; what is here may be read by anyone who gets a copy of the file and
// ends up in diagnostics bundles. As a last line of defence the store writes
// a source URL through redact.URL (its password and secret-named query
// values replaced), but callers must not pass secrets in the first place.
//
// The store does not verify signatures or decide what is acceptable: it keeps
// what package profile accepted, and checks only that bytes match their hash.
package store

import (
	"context"
	"database/sql"
	"embed"
	"errors"
	"fmt"
	"io/fs"
	"math/rand/v2"
	"net/url"
	"os"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"time"

	"github.com/mattn/go-sqlite3" // also registers the "sqlite3" driver
)

// SchemaVersion is the highest migration this code knows: the number of the
// last file in migrations/. A test keeps the two in step.
const SchemaVersion = 10

// busyTimeout is how long a statement waits for another process's lock.
const busyTimeout = 5 * time.Second

// Retention of history rows; see the keep* fields of DB.
const (
	keepProfiles = 20    // non-current profiles kept besides the current one
	keepSyncs    = 1000  // sync attempts
	keepEvents   = 10000 // events
)

var (
	// ErrTooNew is matched (errors.Is) by a *TooNewError from Open.
	ErrTooNew = errors.New("store: database schema is newer than this version of Relais")
	// ErrNotFound is returned when the thing asked for is not in the store.
	ErrNotFound = errors.New("store: not found")
)

// TooNewError is returned by Open for a database migrated by a newer Relais.
// Open leaves such a database untouched, so the newer version keeps working.
type TooNewError struct {
	Have int // highest migration applied to the database
	Know int // highest migration this code knows (SchemaVersion)
}

func (e *TooNewError) Error() string {
	return fmt.Sprintf("store: database schema %d is newer than this version of Relais (knows %d): update Relais", e.Have, e.Know)
}

// Is makes errors.Is(err, ErrTooNew) true.
func (e *TooNewError) Is(target error) bool { return target == ErrTooNew }

// DB is an open store. Its methods are safe for concurrent use, and other
// processes may use the same file at the same time.
type DB struct {
	// Now returns the current time; Open sets it to time.Now and tests
	// replace it. It stamps rows whose caller gave no time.
	Now func() time.Time

	sql  *sql.DB
	path string

	// How many history rows SaveProfile, RecordSync and LogEvent keep: the
	// keep* constants, as fields so that tests can make them small.
	keepProfiles, keepSyncs, keepEvents int

	// beforeCommit, when set, runs inside SaveProfile's transaction after
	// every write and just before the commit. Only the crash tests set it, to
	// be killed with a write transaction open.
	beforeCommit func()
}

//go:embed migrations/*.sql
var migrationFiles embed.FS

type migration struct {
	version int
	name    string
	sql     string
}

// migrations returns the embedded migrations in order, checking that they are
// numbered 1, 2, 3… without gaps and that the last is SchemaVersion.
func migrations() ([]migration, error) {
	entries, err := fs.ReadDir(migrationFiles, "migrations")
	if err != nil {
		return nil, fmt.Errorf("store: migrations: %w", err)
	}
	var ms []migration
	for _, e := range entries { // fs.ReadDir sorts by name
		num, _, _ := strings.Cut(e.Name(), "_")
		v, err := strconv.Atoi(num)
		if err != nil || v != len(ms)+1 {
			return nil, fmt.Errorf("store: migration %s: want number %04d", e.Name(), len(ms)+1)
		}
		b, err := migrationFiles.ReadFile("migrations/" + e.Name())
		if err != nil {
			return nil, fmt.Errorf("store: migration %s: %w", e.Name(), err)
		}
		ms = append(ms, migration{version: v, name: e.Name(), sql: string(b)})
	}
	if len(ms) != SchemaVersion {
		return nil, fmt.Errorf("store: %d embedded migrations but SchemaVersion is %d", len(ms), SchemaVersion)
	}
	return ms, nil
}

// Open opens the store at path, creating it (and its directory, mode 0700)
// if needed, and brings its schema up to date. The file is made mode 0600.
// A database migrated by a newer Relais is refused with a *TooNewError and
// left unmodified.
func Open(path string) (*DB, error) {
	if path == "" {
		return nil, errors.New("store: open: empty path")
	}
	ms, err := migrations()
	if err != nil {
		return nil, err
	}
	abs, err := filepath.Abs(path)
	if err != nil {
		return nil, fmt.Errorf("store: open: %w", err)
	}
	if err := createPrivate(abs); err != nil {
		return nil, fmt.Errorf("store: open: %w", err)
	}
	sqlDB, err := sql.Open("sqlite3", dsn(abs))
	if err != nil {
		return nil, fmt.Errorf("store: open: %w", err)
	}
	// One connection per process. SQLite allows one writer at a time per
	// file anyway; with a single connection, goroutines of this process queue
	// in database/sql instead of failing with SQLITE_BUSY or deadlocking
	// (two connections each holding a read snapshot and wanting to write),
	// and SaveProfile's transaction never waits on a sibling connection.
	// Our queries are short, so readers lose little by queueing. Another
	// process (GUI and CLI at once) is the real concurrency: WAL lets its
	// readers run beside our writer, and busy_timeout makes writers wait
	// for each other.
	sqlDB.SetMaxOpenConns(1)

	db := &DB{
		Now:          time.Now,
		sql:          sqlDB,
		path:         abs,
		keepProfiles: keepProfiles,
		keepSyncs:    keepSyncs,
		keepEvents:   keepEvents,
	}
	ctx := context.Background()
	if err := connect(ctx, sqlDB); err != nil {
		sqlDB.Close()
		return nil, openError(abs, err)
	}
	if err := db.migrate(ctx, ms); err != nil {
		sqlDB.Close()
		return nil, openError(abs, err)
	}
	// A damaged file is found here, not by whichever query reads the
	// damaged page later: OpenOrRecover can then move it aside.
	if err := integrity(ctx, db); err != nil {
		sqlDB.Close()
		return nil, openError(abs, err)
	}
	if err := tightenWAL(runtime.GOOS, abs, os.Chmod); err != nil {
		sqlDB.Close()
		return nil, fmt.Errorf("store: open: %w", err)
	}
	return db, nil
}

// tightenWAL makes the -wal and -shm files beside the database at path
// mode 0600 on Unix: SQLite gives them the database file's mode when it
// creates them, and this also corrects ones left behind with a looser
// mode. On Windows (goos "windows") it does nothing: there are no Unix
// modes there (os.Chmod only sets or clears the read-only attribute, and
// the files are private by the user profile's ACL), and changing the
// attributes of a file SQLite holds open fails with a sharing violation —
// which made Open fail on every start.
func tightenWAL(goos, path string, chmod func(string, fs.FileMode) error) error {
	if goos == "windows" {
		return nil
	}
	for _, suffix := range []string{"-wal", "-shm"} {
		if err := chmod(path+suffix, 0o600); err != nil && !errors.Is(err, fs.ErrNotExist) {
			return err
		}
	}
	return nil
}

// openError is err as Open returns it: a damaged file as a *CorruptError,
// anything else wrapped as before.
func openError(path string, err error) error {
	var ce *CorruptError
	switch {
	case errors.As(err, &ce):
		return err
	case IsCorrupt(err):
		return &CorruptError{Path: path, Detail: err.Error()}
	case strings.HasPrefix(err.Error(), "store: "):
		return err
	}
	return fmt.Errorf("store: open: %w", err)
}

// createPrivate creates the database file's directory (0700) if it is
// missing, and the file itself, and makes the file 0600 even if it existed.
func createPrivate(path string) error {
	dir := filepath.Dir(path)
	if _, err := os.Stat(dir); errors.Is(err, fs.ErrNotExist) {
		if err := os.MkdirAll(dir, 0o700); err != nil {
			return err
		}
		// MkdirAll's mode is filtered by the umask; state it exactly.
		if err := os.Chmod(dir, 0o700); err != nil {
			return err
		}
	}
	// The umask can only narrow 0600, so the file is never readable by
	// others, not even between this open and the chmod.
	f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE, 0o600)
	if err != nil {
		return err
	}
	if err := f.Chmod(0o600); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}

// dsn is the go-sqlite3 data source name for the file at the absolute path.
// The path is a file: URI so that any character in it ('?', '#', '%', ' ')
// reaches SQLite intact. The driver sets busy_timeout first, then the other
// pragmas, on every new connection.
func dsn(path string) string {
	p := filepath.ToSlash(path)
	if !strings.HasPrefix(p, "/") {
		p = "/" + p // Windows: file:///C:/Users/...
	}
	q := url.Values{}
	// Another process (GUI and CLI together) may hold the write lock for a
	// moment: wait up to 5 s for it rather than fail with SQLITE_BUSY.
	q.Set("_busy_timeout", strconv.FormatInt(busyTimeout.Milliseconds(), 10))
	// WAL: readers in one process never block on a writer in another, and a
	// process killed mid-transaction leaves only uncommitted frames in the
	// log, which SQLite discards: the last good profile stays readable.
	q.Set("_journal_mode", "WAL")
	// With WAL, NORMAL never corrupts the database and survives a killed
	// process; a power cut may lose the last commits, which sync refetches.
	q.Set("_synchronous", "NORMAL")
	// The schema's REFERENCES clauses are enforced only with this on, and it
	// is per connection: current_profile can never point at a pruned row.
	q.Set("_foreign_keys", "on")
	// Every transaction takes the write lock when it starts (BEGIN
	// IMMEDIATE), where busy_timeout applies. A deferred transaction that
	// reads and then writes can fail at once with SQLITE_BUSY when another
	// process wrote in between; and migrations must re-check the version
	// under the lock.
	q.Set("_txlock", "immediate")
	u := url.URL{Scheme: "file", Path: p, RawQuery: q.Encode()}
	return u.String()
}

// connect opens the pool's connection, which runs the pragmas of dsn, and
// keeps it idle in the pool for the queries to come.
//
// The first PRAGMA journal_mode=WAL on a new file writes the file's header
// after reading it: a read upgraded to a write, for which SQLite returns
// SQLITE_BUSY at once, without the busy handler, when another process does
// the same at the same moment (two first starts at once). SQLite leaves
// retrying to the caller: retry for as long as busy_timeout would wait.
// Once the file is in WAL mode the pragma only reads and this never recurs.
func connect(ctx context.Context, sqlDB *sql.DB) error {
	deadline := time.Now().Add(busyTimeout)
	for {
		err := sqlDB.PingContext(ctx)
		var sqliteErr sqlite3.Error
		if err == nil || !errors.As(err, &sqliteErr) || sqliteErr.Code != sqlite3.ErrBusy || time.Now().After(deadline) {
			return err
		}
		time.Sleep(time.Duration(5+rand.IntN(20)) * time.Millisecond) // jitter: don't retry in lockstep
	}
}

// migrate applies the migrations that the database lacks, each in its own
// transaction together with its row in schema_migrations.
func (db *DB) migrate(ctx context.Context, ms []migration) error {
	// Read-only first, so that a database from a newer Relais is refused
	// without taking the write lock or writing anything.
	have, err := schemaVersion(ctx, db.sql)
	if err != nil {
		return fmt.Errorf("store: open: schema version: %w", err)
	}
	if have > SchemaVersion {
		return &TooNewError{Have: have, Know: SchemaVersion}
	}
	for _, m := range ms {
		if m.version <= have {
			continue
		}
		if err := db.apply(ctx, m); err != nil {
			return err
		}
	}
	return nil
}

const createSchemaMigrations = `CREATE TABLE IF NOT EXISTS schema_migrations (
	version    INTEGER PRIMARY KEY,
	applied_at INTEGER NOT NULL -- Unix milliseconds
)`

// apply runs one migration. Two processes opening a new database at once
// both get here: the transaction is BEGIN IMMEDIATE (see dsn), so the second
// waits for the first, then sees the version already applied and skips it.
func (db *DB) apply(ctx context.Context, m migration) error {
	tx, err := db.sql.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("store: migration %s: %w", m.name, err)
	}
	defer tx.Rollback()
	if _, err := tx.ExecContext(ctx, createSchemaMigrations); err != nil {
		return fmt.Errorf("store: migration %s: %w", m.name, err)
	}
	var have int
	if err := tx.QueryRowContext(ctx, `SELECT coalesce(max(version), 0) FROM schema_migrations`).Scan(&have); err != nil {
		return fmt.Errorf("store: migration %s: %w", m.name, err)
	}
	if have > SchemaVersion {
		return &TooNewError{Have: have, Know: SchemaVersion}
	}
	if have >= m.version {
		return nil // another process applied it meanwhile
	}
	if _, err := tx.ExecContext(ctx, m.sql); err != nil {
		return fmt.Errorf("store: migration %s: %w", m.name, err)
	}
	if _, err := tx.ExecContext(ctx, `INSERT INTO schema_migrations (version, applied_at) VALUES (?, ?)`,
		m.version, db.now().UnixMilli()); err != nil {
		return fmt.Errorf("store: migration %s: %w", m.name, err)
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("store: migration %s: %w", m.name, err)
	}
	return nil
}

// schemaVersion returns the highest migration applied, 0 for a new database.
func schemaVersion(ctx context.Context, q *sql.DB) (int, error) {
	var n int
	if err := q.QueryRowContext(ctx,
		`SELECT count(*) FROM sqlite_master WHERE type = 'table' AND name = 'schema_migrations'`).Scan(&n); err != nil {
		return 0, err
	}
	if n == 0 {
		return 0, nil
	}
	var v int
	err := q.QueryRowContext(ctx, `SELECT coalesce(max(version), 0) FROM schema_migrations`).Scan(&v)
	return v, err
}

// Close closes the database. SQLite checkpoints the WAL into the main file
// when the last connection to it, in any process, closes.
func (db *DB) Close() error {
	if err := db.sql.Close(); err != nil {
		return fmt.Errorf("store: close: %w", err)
	}
	return nil
}

// Path returns the absolute path of the database file.
func (db *DB) Path() string { return db.path }

func (db *DB) now() time.Time {
	if db.Now != nil {
		return db.Now()
	}
	return time.Now()
}

// orNow returns t, or the store's current time if t is zero.
func (db *DB) orNow(t time.Time) time.Time {
	if t.IsZero() {
		return db.now()
	}
	return t
}

// fromMillis converts a stored time back; times come back in UTC.
func fromMillis(ms int64) time.Time { return time.UnixMilli(ms).UTC() }
