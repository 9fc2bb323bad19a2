package db_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"relais/internal/server/db"
	"relais/internal/server/db/pgtest"
)

func TestMain(m *testing.M) { os.Exit(pgtest.Main(m)) }

// backend opens fresh databases of one dialect for a test.
type backend struct {
	name string
	// options returns the options of a new, empty database; every call
	// with the same t after the first returns the same database (a second
	// instance).
	options func(t *testing.T) db.Options
}

func backends() []backend {
	return []backend{
		{"sqlite", func(t *testing.T) db.Options { return db.Options{DataDir: t.TempDir()} }},
		{"postgres", func(t *testing.T) db.Options {
			return db.Options{DatabaseURL: pgtest.Shared(t).NewDatabase(t)}
		}},
	}
}

// eachBackend runs f against SQLite and against PostgreSQL, in parallel.
func eachBackend(t *testing.T, f func(t *testing.T, opts db.Options)) {
	for _, b := range backends() {
		t.Run(b.name, func(t *testing.T) {
			t.Parallel()
			f(t, b.options(t))
		})
	}
}

func open(t *testing.T, opts db.Options) *db.DB {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	d, err := db.Open(ctx, opts)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { d.Close() })
	return d
}

func ctx(t *testing.T) context.Context {
	c, cancel := context.WithTimeout(context.Background(), time.Minute)
	t.Cleanup(cancel)
	return c
}

func facts(runID string) db.ReportFacts {
	tto, within := 42000.5, true
	return db.ReportFacts{DrillID: "drill-2026-11", RunID: runID, Started: time.Date(2026, 11, 3, 9, 0, 0, 0, time.UTC),
		Finished: time.Date(2026, 11, 3, 9, 5, 0, 0, time.UTC), TimeToOperationalMS: &tto, Completed: true, WithinRTO: &within}
}

func TestDialect(t *testing.T) {
	t.Parallel()
	for _, b := range backends() {
		t.Run(b.name, func(t *testing.T) {
			t.Parallel()
			if got := open(t, b.options(t)).Dialect(); string(got) != b.name {
				t.Errorf("Dialect() = %q", got)
			}
		})
	}
}

func TestRepeatGetsIdenticalReceiptAndOneRow(t *testing.T) {
	t.Parallel()
	eachBackend(t, func(t *testing.T, opts db.Options) {
		clock := time.Date(2026, 11, 3, 9, 30, 0, 123456789, time.UTC)
		opts.Now = func() time.Time { clock = clock.Add(time.Second); return clock }
		d := open(t, opts)
		body := []byte(`{"schema":1,"run_id":"run-1"}`)
		r1, created, err := d.PutReport(ctx(t), "run-1", "10.20.0.7", "application/json", body, facts("run-1"))
		if err != nil || !created {
			t.Fatalf("first: created %v, %v", created, err)
		}
		r2, created, err := d.PutReport(ctx(t), "run-1", "10.20.0.8", "application/json", body, facts("run-1"))
		if err != nil || created {
			t.Fatalf("repeat: created %v, %v", created, err)
		}
		if r1 != r2 {
			t.Errorf("receipts differ:\n%+v\n%+v", r1, r2)
		}
		if r1.Kind != "report" || r1.Key != "run-1" || r1.Bytes != int64(len(body)) || len(r1.SHA256) != 64 ||
			r1.Received.Nanosecond() != 123000000 || r1.Received.Location() != time.UTC {
			t.Errorf("receipt %+v", r1)
		}
		reports, bundles, err := d.Counts(ctx(t))
		if err != nil || reports != 1 || bundles != 0 {
			t.Errorf("counts %d %d %v", reports, bundles, err)
		}
		got, err := d.ReportBody(ctx(t), "run-1")
		if err != nil || !bytes.Equal(got, body) {
			t.Errorf("body %q %v", got, err)
		}

		code := "RLS-7K3M-Q9TD"
		bundle := []byte("age-encryption.org/v1\n\x00\x01binary")
		b1, created, err := d.PutBundle(ctx(t), code, "10.20.0.7", "application/octet-stream", bundle)
		if err != nil || !created {
			t.Fatalf("bundle: %v %v", created, err)
		}
		b2, created, err := d.PutBundle(ctx(t), code, "10.20.0.7", "application/octet-stream", bundle)
		if err != nil || created || b1 != b2 || b1.Kind != "bundle" {
			t.Fatalf("bundle repeat: %+v %+v %v %v", b1, b2, created, err)
		}
		if got, err := d.BundleBody(ctx(t), code); err != nil || !bytes.Equal(got, bundle) {
			t.Errorf("bundle body %q %v", got, err)
		}
		if _, err := d.BundleBody(ctx(t), "RLS-XXXX-XXXX"); !errors.Is(err, db.ErrNotFound) {
			t.Errorf("missing bundle: %v", err)
		}
	})
}

func TestReusedKeyWithAnotherBody(t *testing.T) {
	t.Parallel()
	eachBackend(t, func(t *testing.T, opts db.Options) {
		d := open(t, opts)
		if _, _, err := d.PutReport(ctx(t), "run-1", "s", "application/json", []byte("a"), facts("run-1")); err != nil {
			t.Fatal(err)
		}
		if _, _, err := d.PutReport(ctx(t), "run-1", "s", "application/json", []byte("b"), facts("run-1")); !errors.Is(err, db.ErrKeyReused) {
			t.Fatalf("err = %v, want ErrKeyReused", err)
		}
		if _, _, err := d.PutBundle(ctx(t), "RLS-7K3M-Q9TD", "s", "application/zip", []byte("a")); err != nil {
			t.Fatal(err)
		}
		if _, _, err := d.PutBundle(ctx(t), "RLS-7K3M-Q9TD", "s", "application/zip", []byte("b")); !errors.Is(err, db.ErrKeyReused) {
			t.Fatalf("err = %v, want ErrKeyReused", err)
		}
		if got, _ := d.ReportBody(ctx(t), "run-1"); string(got) != "a" {
			t.Errorf("the first body was replaced: %q", got)
		}
		if _, _, err := d.PutReport(ctx(t), "run-0", "s", "application/json", []byte("c"), facts("run-0")); err != nil {
			t.Fatal(err)
		}
		if keys, err := d.ReportKeys(ctx(t)); err != nil || len(keys) != 2 || keys[0] != "run-1" || keys[1] != "run-0" {
			t.Errorf("keys in order of arrival: %q %v", keys, err)
		}
	})
}

func TestNullFacts(t *testing.T) {
	t.Parallel()
	eachBackend(t, func(t *testing.T, opts db.Options) {
		d := open(t, opts)
		f := db.ReportFacts{DrillID: "d", RunID: "r"} // never operational, not finished
		if _, _, err := d.PutReport(ctx(t), "r", "s", "application/json", []byte("{}"), f); err != nil {
			t.Fatal(err)
		}
	})
}

// Two instances on one database receive the same report at once, from
// many goroutines: it is stored once and every answer is the same receipt.
func TestConcurrentInstancesStoreOnce(t *testing.T) {
	t.Parallel()
	eachBackend(t, func(t *testing.T, opts db.Options) {
		instances := []*db.DB{open(t, opts), open(t, opts)}
		const n = 40
		var wg sync.WaitGroup
		receipts := make([]db.Receipt, n)
		created := make([]bool, n)
		errs := make([]error, n)
		body := []byte(`{"schema":1,"run_id":"run-c"}`)
		for i := range n {
			wg.Add(1)
			go func() {
				defer wg.Done()
				receipts[i], created[i], errs[i] = instances[i%2].PutReport(ctx(t), "run-c", fmt.Sprint("10.0.0.", i),
					"application/json", body, facts("run-c"))
			}()
		}
		wg.Wait()
		creations := 0
		for i := range n {
			if errs[i] != nil {
				t.Fatalf("%d: %v", i, errs[i])
			}
			if receipts[i] != receipts[0] {
				t.Errorf("%d: receipt %+v, want %+v", i, receipts[i], receipts[0])
			}
			if created[i] {
				creations++
			}
		}
		if creations != 1 {
			t.Errorf("%d calls say they stored it, want 1", creations)
		}
		if r, _, err := instances[1].Counts(ctx(t)); err != nil || r != 1 {
			t.Errorf("%d rows, %v", r, err)
		}
	})
}

// Instances starting together migrate once; opening again is harmless.
func TestMigrationsConcurrentAndTwice(t *testing.T) {
	t.Parallel()
	eachBackend(t, func(t *testing.T, opts db.Options) {
		const n = 6
		var wg sync.WaitGroup
		errs := make([]error, n)
		dbs := make([]*db.DB, n)
		for i := range n {
			wg.Add(1)
			go func() {
				defer wg.Done()
				dbs[i], errs[i] = db.Open(ctx(t), opts)
			}()
		}
		wg.Wait()
		for i, err := range errs {
			if err != nil {
				t.Fatalf("open %d: %v", i, err)
			}
			dbs[i].Close()
		}
		d := open(t, opts)
		if _, _, err := d.PutReport(ctx(t), "k", "s", "application/json", []byte("x"), facts("k")); err != nil {
			t.Fatal(err)
		}
		d.Close()
		d = open(t, opts) // twice more: nothing to apply, nothing lost
		if r, _, err := d.Counts(ctx(t)); err != nil || r != 1 {
			t.Fatalf("%d rows, %v", r, err)
		}
	})
}

func TestReopenKeepsEverything(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	d := open(t, db.Options{DataDir: dir})
	r1, _, err := d.PutReport(ctx(t), "run-1", "s", "application/json", []byte("body"), facts("run-1"))
	if err != nil {
		t.Fatal(err)
	}
	if err := d.Close(); err != nil {
		t.Fatal(err)
	}
	fi, err := os.Stat(filepath.Join(dir, db.FileName))
	if err != nil || fi.Mode().Perm() != 0o600 {
		t.Fatalf("file: %v %v", fi, err)
	}
	d = open(t, db.Options{DataDir: dir})
	r2, created, err := d.PutReport(ctx(t), "run-1", "s", "application/json", []byte("body"), facts("run-1"))
	if err != nil || created || r1 != r2 {
		t.Fatalf("after reopening: %+v %+v %v %v", r1, r2, created, err)
	}
}

func TestBadDatabaseURLNotQuoted(t *testing.T) {
	t.Parallel()
	_, err := db.Open(ctx(t), db.Options{DatabaseURL: "postgres://u:hunter2@[::1/x"})
	if err == nil || bytes.Contains([]byte(err.Error()), []byte("hunter2")) {
		t.Fatalf("err = %v", err)
	}
}

func TestUnreachablePostgresFailsWithinDeadline(t *testing.T) {
	t.Parallel()
	c, cancel := context.WithTimeout(context.Background(), 3*time.Second)
	defer cancel()
	start := time.Now()
	_, err := db.Open(c, db.Options{DatabaseURL: "postgres://u:hunter2@127.0.0.1:1/x?sslmode=disable"})
	if err == nil || time.Since(start) > 10*time.Second || bytes.Contains([]byte(err.Error()), []byte("hunter2")) {
		t.Fatalf("err = %v after %s", err, time.Since(start))
	}
}
