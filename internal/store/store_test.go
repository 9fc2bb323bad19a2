package store

import (
	"bytes"
	"context"
	"crypto/sha256"
	"database/sql"
	"encoding/hex"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"testing"
	"time"
)

// testNow is the fixed clock of test databases, at millisecond precision
// like the stored times.
var testNow = time.Date(2026, 3, 14, 9, 26, 53, 589_000_000, time.UTC)

// openTest opens a fresh database in a temporary directory, closed when the
// test ends, with a fixed clock.
func openTest(t testing.TB) *DB {
	t.Helper()
	db, err := Open(filepath.Join(t.TempDir(), "relais.db"))
	if err != nil {
		t.Fatal(err)
	}
	db.Now = func() time.Time { return testNow }
	t.Cleanup(func() {
		if err := db.Close(); err != nil {
			t.Error(err)
		}
	})
	return db
}

func hashOf(b []byte) string {
	sum := sha256.Sum256(b)
	return hex.EncodeToString(sum[:])
}

// testProfile returns a valid profile with this serial.
func testProfile(serial int64) CachedProfile {
	b := fmt.Appendf(nil, "schema = 1\nserial = %d\n", serial)
	return CachedProfile{
		Serial:       serial,
		SHA256:       hashOf(b),
		Bytes:        b,
		Signature:    fmt.Appendf(nil, "untrusted comment: signature\nRWQ%d\n", serial),
		Source:       "https://continuite.example.org/profile.toml",
		ETag:         fmt.Sprintf(`"v%d"`, serial),
		LastModified: "Sat, 14 Mar 2026 09:00:00 GMT",
		FetchedAt:    testNow.Add(-time.Hour),
		CheckedAt:    testNow.Add(-time.Minute),
	}
}

func testAsset(id, content string) Asset {
	return Asset{
		SHA256:    hashOf([]byte(content)),
		ID:        id,
		Bytes:     []byte(content),
		SourceURL: "https://continuite.example.org/assets/" + id,
		FetchedAt: testNow.Add(-2 * time.Hour),
	}
}

// rawCount counts rows with SQL, bypassing the API.
func rawCount(t testing.TB, db *DB, table string) int {
	t.Helper()
	var n int
	if err := db.sql.QueryRow(`SELECT count(*) FROM ` + table).Scan(&n); err != nil {
		t.Fatal(err)
	}
	return n
}

func mode(t *testing.T, path string) fs.FileMode {
	t.Helper()
	fi, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	return fi.Mode().Perm()
}

func skipModesOnWindows(t *testing.T) {
	if runtime.GOOS == "windows" {
		t.Skip("Unix permission bits do not apply on Windows")
	}
}

func TestMigrationsNumberedUpToSchemaVersion(t *testing.T) {
	ms, err := migrations()
	if err != nil {
		t.Fatal(err)
	}
	if got := ms[len(ms)-1].version; got != SchemaVersion {
		t.Fatalf("last migration is %d, SchemaVersion is %d", got, SchemaVersion)
	}
}

func TestOpenCreatesPrivateDirAndFile(t *testing.T) {
	skipModesOnWindows(t)
	dir := filepath.Join(t.TempDir(), "data", "relais")
	path := filepath.Join(dir, "relais.db")
	db, err := Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	if db.Path() != path {
		t.Errorf("Path() = %q, want %q", db.Path(), path)
	}
	if got := mode(t, dir); got != 0o700 {
		t.Errorf("dir mode %o, want 700", got)
	}
	if got := mode(t, path); got != 0o600 {
		t.Errorf("file mode %o, want 600", got)
	}
	// A write makes sure the WAL exists; it and the shared-memory index
	// must be as private as the database.
	if err := db.LogEvent(context.Background(), "test", "hello"); err != nil {
		t.Fatal(err)
	}
	for _, suffix := range []string{"-wal", "-shm"} {
		if got := mode(t, path+suffix); got != 0o600 {
			t.Errorf("%s mode %o, want 600", suffix, got)
		}
	}
}

func TestOpenTightensExistingFiles(t *testing.T) {
	skipModesOnWindows(t)
	path := filepath.Join(t.TempDir(), "relais.db")
	if err := os.WriteFile(path, nil, 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.Chmod(path, 0o644); err != nil {
		t.Fatal(err)
	}
	first, err := Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer first.Close()
	if got := mode(t, path); got != 0o600 {
		t.Errorf("existing file mode %o after Open, want 600", got)
	}
	// Loosen the WAL files while the first handle keeps them in place: the
	// next Open must tighten them again.
	if err := first.LogEvent(context.Background(), "test", "hello"); err != nil {
		t.Fatal(err)
	}
	for _, suffix := range []string{"-wal", "-shm"} {
		if err := os.Chmod(path+suffix, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	second, err := Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer second.Close()
	for _, suffix := range []string{"-wal", "-shm"} {
		if got := mode(t, path+suffix); got != 0o600 {
			t.Errorf("%s mode %o after Open, want 600", suffix, got)
		}
	}
}

func TestOpenPathWithURISpecialCharacters(t *testing.T) {
	name := "a?b#c%41.db"
	if runtime.GOOS == "windows" {
		name = "a#b%41;c d.db" // '?' is not allowed in a Windows file name
	}
	path := filepath.Join(t.TempDir(), "dossier avec espaces", name)
	db, err := Open(path)
	if err != nil {
		t.Fatal(err)
	}
	if err := db.LogEvent(context.Background(), "test", "hello"); err != nil {
		t.Fatal(err)
	}
	if err := db.Close(); err != nil {
		t.Fatal(err)
	}
	fi, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	if fi.Size() == 0 {
		t.Fatal("the database was written somewhere else than the file at path")
	}
}

func TestOpenPragmas(t *testing.T) {
	db := openTest(t)
	for pragma, want := range map[string]string{
		"journal_mode": "wal",
		"foreign_keys": "1",
		"busy_timeout": "5000",
		"synchronous":  "1", // NORMAL
	} {
		var got string
		if err := db.sql.QueryRow("PRAGMA " + pragma).Scan(&got); err != nil {
			t.Fatal(err)
		}
		if got != want {
			t.Errorf("PRAGMA %s = %s, want %s", pragma, got, want)
		}
	}
}

func TestReopenAppliesMigrationsOnce(t *testing.T) {
	path := filepath.Join(t.TempDir(), "relais.db")
	for range 3 {
		db, err := Open(path)
		if err != nil {
			t.Fatal(err)
		}
		if err := db.LogEvent(context.Background(), "open", ""); err != nil {
			t.Fatal(err)
		}
		if err := db.Close(); err != nil {
			t.Fatal(err)
		}
	}
	db, err := Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	rows, err := db.sql.Query(`SELECT version FROM schema_migrations ORDER BY version`)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	var versions []int
	for rows.Next() {
		var v int
		if err := rows.Scan(&v); err != nil {
			t.Fatal(err)
		}
		versions = append(versions, v)
	}
	if len(versions) != SchemaVersion {
		t.Fatalf("schema_migrations holds %v, want 1…%d once each", versions, SchemaVersion)
	}
	for i, v := range versions {
		if v != i+1 {
			t.Fatalf("schema_migrations holds %v, want 1…%d once each", versions, SchemaVersion)
		}
	}
	// The data written between opens survived them.
	if n := rawCount(t, db, "events"); n != 3 {
		t.Errorf("%d events after 3 opens, want 3", n)
	}
}

func TestOpenRefusesNewerSchema(t *testing.T) {
	path := filepath.Join(t.TempDir(), "relais.db")
	db, err := Open(path)
	if err != nil {
		t.Fatal(err)
	}
	if err := db.SaveProfile(context.Background(), testProfile(7), nil); err != nil {
		t.Fatal(err)
	}
	if err := db.Close(); err != nil {
		t.Fatal(err)
	}

	// A newer Relais migrated the file.
	raw, err := sql.Open("sqlite3", path)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := raw.Exec(`INSERT INTO schema_migrations (version, applied_at) VALUES (?, 0)`, SchemaVersion+1); err != nil {
		t.Fatal(err)
	}
	if err := raw.Close(); err != nil { // checkpoints the WAL into the file
		t.Fatal(err)
	}
	before, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}

	db, err = Open(path)
	if err == nil {
		db.Close()
		t.Fatal("Open succeeded on a database newer than the code")
	}
	if !errors.Is(err, ErrTooNew) {
		t.Errorf("errors.Is(%v, ErrTooNew) = false", err)
	}
	var tooNew *TooNewError
	if !errors.As(err, &tooNew) || tooNew.Have != SchemaVersion+1 || tooNew.Know != SchemaVersion {
		t.Errorf("error %#v, want *TooNewError{Have: %d, Know: %d}", err, SchemaVersion+1, SchemaVersion)
	}
	want := fmt.Sprintf("store: database schema %d is newer than this version of Relais (knows %d): update Relais",
		SchemaVersion+1, SchemaVersion)
	if err.Error() != want {
		t.Errorf("message %q, want %q", err, want)
	}

	after, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(before, after) {
		t.Error("refusing a newer database modified the file")
	}
	raw, err = sql.Open("sqlite3", path)
	if err != nil {
		t.Fatal(err)
	}
	defer raw.Close()
	var migrationsRows, profileRows int
	if err := raw.QueryRow(`SELECT (SELECT count(*) FROM schema_migrations), (SELECT count(*) FROM profiles)`).Scan(&migrationsRows, &profileRows); err != nil {
		t.Fatal(err)
	}
	if migrationsRows != SchemaVersion+1 || profileRows != 1 {
		t.Errorf("after refusal: %d migrations rows, %d profiles, want %d and 1", migrationsRows, profileRows, SchemaVersion+1)
	}
}

func TestOpenEmptyPath(t *testing.T) {
	if _, err := Open(""); err == nil || !strings.HasPrefix(err.Error(), "store: ") {
		t.Fatalf("Open(\"\") = %v, want a store: error", err)
	}
}

// Windows has no Unix modes: Open must not chmod the -wal and -shm files
// there, since changing the attributes of a file SQLite holds open fails
// with a sharing violation (relais.exe under wine stopped at once with
// "chmod …relais.db-shm: Sharing violation"). On Unix both are made 0600,
// a missing one is fine, and any other error is Open's.
func TestTightenWALPerOS(t *testing.T) {
	sharing := errors.New("Sharing violation")
	var calls []string
	chmod := func(name string, mode fs.FileMode) error {
		calls = append(calls, fmt.Sprintf("%s %o", name, mode))
		return sharing
	}
	if err := tightenWAL("windows", `C:\relais\relais.db`, chmod); err != nil || len(calls) > 0 {
		t.Errorf("windows: %v, chmod calls %q; want nil and none", err, calls)
	}

	calls = nil
	ok := func(name string, mode fs.FileMode) error {
		calls = append(calls, fmt.Sprintf("%s %o", name, mode))
		if strings.HasSuffix(name, "-shm") {
			return fs.ErrNotExist
		}
		return nil
	}
	if err := tightenWAL("linux", "/d/relais.db", ok); err != nil {
		t.Errorf("linux, -shm missing: %v", err)
	}
	if want := []string{"/d/relais.db-wal 600", "/d/relais.db-shm 600"}; !slices.Equal(calls, want) {
		t.Errorf("linux: chmod calls %q, want %q", calls, want)
	}
	if err := tightenWAL("linux", "/d/relais.db", chmod); !errors.Is(err, sharing) {
		t.Errorf("linux, chmod failing: %v, want it returned", err)
	}
}
