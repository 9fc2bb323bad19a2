package office

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"relais/internal/server/db"
)

// The demo server keeps its database in the directory it is given; each
// start makes one account per role with a new password (the previous
// one no longer signs in); without a directory it uses a temporary one,
// removed at Close.
func TestDemoServerAccountsAndDirectory(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	dir := filepath.Join(t.TempDir(), ServerDirName)
	start := func() *Office {
		t.Helper()
		o, err := Start(ctx, Options{Serial: 1, DataDir: dir, NoNotices: true})
		if err != nil {
			t.Fatal(err)
		}
		return o
	}
	signsIn := func(o *Office, a DemoAccount) bool {
		t.Helper()
		acc, hash, err := o.DB().AccountForLogin(ctx, a.Name)
		if err != nil {
			t.Fatal(err)
		}
		return acc.Role == a.Role && db.CheckPassword(hash, a.Password)
	}
	o := start()
	if len(o.DemoAccounts) != len(db.Roles) {
		t.Fatalf("demo accounts %+v", o.DemoAccounts)
	}
	first := map[db.Role]DemoAccount{}
	for _, r := range db.Roles {
		a, ok := o.DemoAccount(r)
		if !ok || len(a.Password) < db.MinPassword || !signsIn(o, a) {
			t.Fatalf("account for %s: %+v", r, a)
		}
		first[r] = a
	}
	if code, _ := post(t, o, "run-1", reportJSON(t, "run-1", 0)); code != 201 {
		t.Fatalf("report: %d", code)
	}
	o.Close()
	if got := o.Reports(); len(got) != 1 {
		t.Fatalf("closed, the office reads %d reports from its directory, want 1", len(got))
	}
	if _, err := os.Stat(filepath.Join(dir, db.FileName)); err != nil {
		t.Fatalf("the database is not kept in %s: %v", dir, err)
	}

	o = start()
	defer o.Close()
	for _, r := range db.Roles {
		a, _ := o.DemoAccount(r)
		if a.Name != first[r].Name || a.Password == first[r].Password || !signsIn(o, a) || signsIn(o, first[r]) {
			t.Fatalf("restarted, account for %s: %+v (before %+v)", r, a, first[r])
		}
	}

	tmp, err := Start(ctx, Options{Serial: 1, NoNotices: true})
	if err != nil {
		t.Fatal(err)
	}
	tmpDir := tmp.srv.tempDir
	if tmpDir == "" {
		t.Fatal("no temporary directory")
	}
	tmp.Close()
	if _, err := os.Stat(tmpDir); !errors.Is(err, os.ErrNotExist) {
		t.Fatalf("the temporary directory is left: %v", err)
	}
}

// A start that fails late — here the server's directory is a file — says
// why and leaves nothing running; it never panics on its way out (a
// failed start used to close a nil office while its DNS goroutines ran).
func TestStartFailsCleanly(t *testing.T) {
	file := filepath.Join(t.TempDir(), "not-a-directory")
	if err := os.WriteFile(file, nil, 0o600); err != nil {
		t.Fatal(err)
	}
	o, err := Start(context.Background(), Options{DataDir: filepath.Join(file, "server")})
	if err == nil || o != nil {
		t.Fatalf("Start = %v, %v: want an error and no office", o, err)
	}
	if !strings.Contains(err.Error(), "server directory") {
		t.Errorf("error %q does not say what failed", err)
	}
}
