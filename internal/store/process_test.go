package store

// Tests with real processes: the test binary re-executes itself as
// TestHelperProcess with a role in the environment.

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"
)

const (
	helperRoleEnv = "RELAIS_STORE_HELPER"
	helperPathEnv = "RELAIS_STORE_PATH"
	helperNameEnv = "RELAIS_STORE_NAME"
)

// TestHelperProcess is not a test: it is the child process of the tests
// below.
func TestHelperProcess(t *testing.T) {
	role := os.Getenv(helperRoleEnv)
	if role == "" {
		t.Skip("child process of the multi-process tests")
	}
	path := os.Getenv(helperPathEnv)
	var err error
	switch role {
	case "writer":
		err = helperWriter(path, os.Getenv(helperNameEnv))
	case "crash-in-save":
		err = helperCrashInSave(path)
	case "save-loop":
		err = helperSaveLoop(path)
	default:
		err = fmt.Errorf("unknown role %q", role)
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "helper:", err)
		os.Exit(1)
	}
	os.Exit(0)
}

// helper is a running child process.
type helper struct {
	cmd   *exec.Cmd
	stdin io.WriteCloser
	lines chan string // its stdout, line by line; closed at EOF
	err   *bytes.Buffer
}

func startHelper(t *testing.T, role, path string, env ...string) *helper {
	t.Helper()
	cmd := exec.Command(os.Args[0], "-test.run=^TestHelperProcess$")
	cmd.Env = append(os.Environ(), append(env, helperRoleEnv+"="+role, helperPathEnv+"="+path)...)
	h := &helper{cmd: cmd, lines: make(chan string, 1024), err: &bytes.Buffer{}}
	cmd.Stderr = h.err
	stdin, err := cmd.StdinPipe()
	if err != nil {
		t.Fatal(err)
	}
	h.stdin = stdin
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	go func() {
		s := bufio.NewScanner(stdout)
		for s.Scan() {
			h.lines <- s.Text()
		}
		close(h.lines)
	}()
	t.Cleanup(func() {
		// Kill is a no-op error for a process already waited for.
		_ = cmd.Process.Kill()
	})
	return h
}

// waitLine waits for a line of stdout for which match is true.
func (h *helper) waitLine(t *testing.T, match func(string) bool) string {
	t.Helper()
	timeout := time.After(2 * time.Minute)
	for {
		select {
		case line, ok := <-h.lines:
			if !ok {
				t.Fatalf("helper exited before the expected line: %v\n%s", h.cmd.Wait(), h.err)
			}
			if match(line) {
				return line
			}
		case <-timeout:
			t.Fatalf("helper: no expected line within 2 minutes\n%s", h.err)
		}
	}
}

// wait waits for the helper to exit, reading the rest of its stdout first.
func (h *helper) wait() error {
	for range h.lines {
	}
	return h.cmd.Wait()
}

// helperWriter opens the database as soon as the parent says "go", then logs
// 200 events, reading the current profile and saving one now and then.
func helperWriter(path, name string) error {
	fmt.Println("ready")
	if _, err := bufio.NewReader(os.Stdin).ReadString('\n'); err != nil {
		return err
	}
	db, err := Open(path)
	if err != nil {
		return err
	}
	defer db.Close()
	ctx := context.Background()
	for i := range 200 {
		if err := db.LogEvent(ctx, "writer", fmt.Sprintf("%s %d", name, i)); err != nil {
			return err
		}
		if _, err := db.CurrentProfile(ctx); err != nil && !errors.Is(err, ErrNotFound) {
			return err
		}
		if i%50 == 0 {
			p := testProfile(int64(i))
			p.Source = name
			if err := db.SaveProfile(ctx, p, []Asset{testAsset("shared", "shared"), testAsset(name, name)}); err != nil {
				return err
			}
		}
	}
	return db.Close()
}

func TestTwoProcessesAtOnce(t *testing.T) {
	for round := range 3 {
		t.Run(fmt.Sprint("round", round), func(t *testing.T) {
			path := filepath.Join(t.TempDir(), "new", "relais.db") // not even its directory exists
			names := []string{"gui", "cli"}
			var helpers []*helper
			for _, name := range names {
				helpers = append(helpers, startHelper(t, "writer", path, helperNameEnv+"="+name))
			}
			// Both processes are up before either opens the new database,
			// so that they create and migrate it at the same moment.
			for _, h := range helpers {
				h.waitLine(t, func(l string) bool { return l == "ready" })
			}
			for _, h := range helpers {
				if _, err := io.WriteString(h.stdin, "go\n"); err != nil {
					t.Fatal(err)
				}
			}
			for i, h := range helpers {
				if err := h.wait(); err != nil {
					t.Fatalf("%s: %v\n%s", names[i], err, h.err)
				}
			}

			db, err := Open(path)
			if err != nil {
				t.Fatal(err)
			}
			defer db.Close()
			if n := rawCount(t, db, "events"); n != 400 {
				t.Errorf("%d events, want 400", n)
			}
			for _, name := range names {
				var n int
				if err := db.sql.QueryRow(`SELECT count(DISTINCT message) FROM events WHERE message LIKE ?`, name+" %").Scan(&n); err != nil {
					t.Fatal(err)
				}
				if n != 200 {
					t.Errorf("%d distinct events from %s, want 200", n, name)
				}
			}
			if n := rawCount(t, db, "schema_migrations"); n != SchemaVersion {
				t.Errorf("%d schema_migrations rows, want %d (each migration once)", n, SchemaVersion)
			}
			if n := rawCount(t, db, "profiles"); n != 8 {
				t.Errorf("%d profiles, want 8", n)
			}
			if n, err := db.AssetCount(context.Background()); err != nil || n != 3 {
				t.Errorf("AssetCount = %d, %v; want 3", n, err)
			}
		})
	}
}

// bigProfile is a profile of a few MiB whose content follows from its
// serial, so that parent and child agree on it without talking.
func bigProfile(serial int64) CachedProfile {
	b := make([]byte, 4<<20)
	var seed [32]byte
	copy(seed[:], strconv.FormatInt(serial, 10))
	_, _ = rand.NewChaCha8(seed).Read(b)
	copy(b, fmt.Sprintf("schema = 1\nserial = %d\n#", serial))
	p := testProfile(serial)
	p.Bytes, p.SHA256 = b, hashOf(b)
	return p
}

// helperCrashInSave saves a big profile with a big asset and stops just
// before the commit, holding the write transaction open until killed.
func helperCrashInSave(path string) error {
	db, err := Open(path)
	if err != nil {
		return err
	}
	db.beforeCommit = func() {
		fmt.Println("in-transaction")
		time.Sleep(time.Hour)
	}
	asset := bigProfile(1000).Bytes
	return db.SaveProfile(context.Background(), bigProfile(2),
		[]Asset{{SHA256: hashOf(asset), ID: "big", Bytes: asset}})
}

func TestKilledDuringSaveKeepsLastGoodProfile(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "relais.db")
	db, err := Open(path)
	if err != nil {
		t.Fatal(err)
	}
	good := testProfile(1)
	if err := db.SaveProfile(ctx, good, []Asset{testAsset("logo", "PNG")}); err != nil {
		t.Fatal(err)
	}
	if err := db.Close(); err != nil {
		t.Fatal(err)
	}

	h := startHelper(t, "crash-in-save", path)
	h.waitLine(t, func(l string) bool { return l == "in-transaction" })
	// The uncommitted transaction is on disk, not just in memory: SQLite
	// spilled its pages to the WAL. This is what recovery must discard.
	if fi, err := os.Stat(path + "-wal"); err != nil || fi.Size() < 4<<20 {
		t.Fatalf("WAL before the kill: %v, %v; want the uncommitted pages in it", fi, err)
	}
	if err := h.cmd.Process.Kill(); err != nil {
		t.Fatal(err)
	}
	if err := h.wait(); err == nil {
		t.Fatal("the helper exited normally instead of being killed")
	}

	db, err = Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	got, err := db.CurrentProfile(ctx)
	if err != nil {
		t.Fatal(err)
	}
	sameProfile(t, got, good)
	if n, err := db.AssetCount(ctx); err != nil || n != 1 {
		t.Errorf("AssetCount = %d, %v; want 1 (the killed save's asset rolled back)", n, err)
	}
	checkIntegrity(t, db)
}

// helperSaveLoop saves ever newer big profiles, after the current one,
// printing "saved N" after each commit, until killed.
func helperSaveLoop(path string) error {
	db, err := Open(path)
	if err != nil {
		return err
	}
	ctx := context.Background()
	cur, err := db.CurrentProfile(ctx)
	if err != nil {
		return err
	}
	for serial := cur.Serial + 1; ; serial++ {
		if err := db.SaveProfile(ctx, bigProfile(serial), nil); err != nil {
			return err
		}
		fmt.Println("saved", serial)
	}
}

func TestKilledAtRandomDuringSavesKeepsACommittedProfile(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "relais.db")
	db, err := Open(path)
	if err != nil {
		t.Fatal(err)
	}
	if err := db.SaveProfile(ctx, bigProfile(1), nil); err != nil {
		t.Fatal(err)
	}
	if err := db.Close(); err != nil {
		t.Fatal(err)
	}

	for round := range 5 {
		h := startHelper(t, "save-loop", path)
		// Let it commit a couple of profiles, then kill it at a random
		// moment, most likely inside a transaction.
		var committed int64 // the last serial the child reported saved
		saved := func(line string) bool {
			s, ok := strings.CutPrefix(line, "saved ")
			if ok {
				committed, _ = strconv.ParseInt(s, 10, 64)
			}
			return ok
		}
		h.waitLine(t, saved)
		h.waitLine(t, saved)
		time.Sleep(time.Duration(rand.IntN(40_000)) * time.Microsecond)
		if err := h.cmd.Process.Kill(); err != nil {
			t.Fatal(err)
		}
		for line := range h.lines {
			saved(line)
		}
		if err := h.cmd.Wait(); err == nil {
			t.Fatal("the helper exited normally instead of being killed")
		}

		db, err := Open(path)
		if err != nil {
			t.Fatalf("round %d: %v", round, err)
		}
		got, err := db.CurrentProfile(ctx)
		if err != nil {
			db.Close()
			t.Fatalf("round %d: %v", round, err)
		}
		// The last profile the child reported, or one it committed just
		// before the kill, intact.
		if got.Serial < committed || got.Serial > committed+1 {
			t.Errorf("round %d: current serial %d, child last reported %d", round, got.Serial, committed)
		}
		sameProfile(t, got, bigProfile(got.Serial))
		checkIntegrity(t, db)
		if err := db.Close(); err != nil {
			t.Fatal(err)
		}
	}
}

func checkIntegrity(t *testing.T, db *DB) {
	t.Helper()
	var result string
	if err := db.sql.QueryRow(`PRAGMA integrity_check`).Scan(&result); err != nil {
		t.Fatal(err)
	}
	if result != "ok" {
		t.Fatalf("integrity_check: %s", result)
	}
	rows, err := db.sql.Query(`PRAGMA foreign_key_check`)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	if rows.Next() {
		t.Fatal("foreign_key_check reports violations")
	}
}
