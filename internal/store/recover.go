package store

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"strings"
	"time"

	"github.com/mattn/go-sqlite3"
)

var (
	// ErrDiskFull is matched (IsDiskFull) by a write that failed because
	// the disk (or the user's quota) is full: SQLITE_FULL, or ENOSPC/EDQUOT
	// reported through SQLite.
	ErrDiskFull = errors.New("store: the disk is full")
	// ErrCorrupt is matched (errors.Is) by a *CorruptError from Open, and
	// IsCorrupt also recognises SQLite's own SQLITE_CORRUPT/SQLITE_NOTADB.
	ErrCorrupt = errors.New("store: the database file is damaged")
)

// IsDiskFull reports whether err comes from a full disk.
func IsDiskFull(err error) bool {
	if err == nil {
		return false
	}
	if errors.Is(err, ErrDiskFull) || osDiskFull(err) {
		return true
	}
	var se sqlite3.Error
	if errors.As(err, &se) {
		return se.Code == sqlite3.ErrFull || (se.SystemErrno != 0 && osDiskFull(se.SystemErrno))
	}
	return false
}

// IsCorrupt reports whether err says the database file is damaged or is
// not a database at all.
func IsCorrupt(err error) bool {
	if err == nil {
		return false
	}
	if errors.Is(err, ErrCorrupt) {
		return true
	}
	var se sqlite3.Error
	if errors.As(err, &se) {
		return se.Code == sqlite3.ErrCorrupt || se.Code == sqlite3.ErrNotADB
	}
	return false
}

// CorruptError is returned by Open for a damaged database file. Open
// leaves the file as it is; OpenOrRecover moves it aside.
type CorruptError struct {
	Path   string
	Detail string // what SQLite said
}

func (e *CorruptError) Error() string {
	return fmt.Sprintf("store: %s is damaged: %s", e.Path, e.Detail)
}

// Is makes errors.Is(err, ErrCorrupt) true.
func (e *CorruptError) Is(target error) bool { return target == ErrCorrupt }

// Recovery says that OpenOrRecover found the database damaged, moved it
// aside and started a fresh one.
type Recovery struct {
	At      time.Time
	MovedTo string // the damaged file's new name (its -wal and -shm beside it)
	Detail  string // what SQLite said about it
}

// integrity runs PRAGMA quick_check: a damaged file (truncated, pages
// overwritten) is found when it is opened rather than by a later query.
// It reads every page, which for a store of a few megabytes is a few
// milliseconds.
func integrity(ctx context.Context, db *DB) error {
	rows, err := db.sql.QueryContext(ctx, `PRAGMA quick_check`)
	if err != nil {
		return err
	}
	defer rows.Close()
	var problems []string
	for rows.Next() {
		var s string
		if err := rows.Scan(&s); err != nil {
			return err
		}
		if s != "ok" && len(problems) < 5 {
			problems = append(problems, s)
		}
	}
	if err := rows.Err(); err != nil {
		return err
	}
	if len(problems) > 0 {
		return &CorruptError{Path: db.path, Detail: strings.Join(problems, "; ")}
	}
	return nil
}

// corruptSuffix names the damaged copy: relais.db.corrupt-20060102-150405.
const corruptSuffix = ".corrupt-"

// OpenOrRecover opens the store at path as Open does; when the file is
// damaged (truncated, pages overwritten, not a database), it moves the
// file and its -wal and -shm aside to path.corrupt-<timestamp>, kept for
// the helpdesk, opens a fresh store in its place and logs what happened
// there. The returned *Recovery is non-nil only then, so that the caller
// tells the person once. Whatever else Open refuses (a newer schema, a
// full disk) is returned as is, the file untouched.
func OpenOrRecover(path string, now time.Time) (*DB, *Recovery, error) {
	before, _ := os.Stat(path)
	db, err := Open(path)
	if err == nil || !IsCorrupt(err) {
		return db, nil, err
	}
	detail := err.Error()
	var ce *CorruptError
	if errors.As(err, &ce) {
		detail = ce.Detail
	}
	// Another process may have recovered meanwhile: move only the file
	// that was found damaged, never its fresh successor.
	if after, serr := os.Stat(path); serr != nil || before == nil || !os.SameFile(before, after) {
		db, err := Open(path)
		return db, nil, err
	}
	rec := &Recovery{At: now, Detail: detail, MovedTo: path + corruptSuffix + now.Format("20060102-150405")}
	for i := 2; exists(rec.MovedTo); i++ {
		rec.MovedTo = fmt.Sprintf("%s%s%s-%d", path, corruptSuffix, now.Format("20060102-150405"), i)
	}
	for _, suffix := range []string{"", "-wal", "-shm"} {
		if err := os.Rename(path+suffix, rec.MovedTo+suffix); err != nil && !errors.Is(err, fs.ErrNotExist) {
			return nil, nil, fmt.Errorf("store: move the damaged database aside: %w", err)
		}
	}
	db, err = Open(path)
	if err != nil {
		return nil, rec, err
	}
	_ = db.LogEvent(context.Background(), "store", fmt.Sprintf(
		"the database was damaged (%s): moved aside to %s, a fresh one started", detail, rec.MovedTo))
	return db, rec, nil
}

func exists(name string) bool {
	_, err := os.Lstat(name)
	return err == nil
}
