package cli

import (
	"context"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"aead.dev/minisign"

	"relais/internal/profile/profiletest"
	"relais/internal/store"
)

// damagedMachine is a machine whose profile came from its bootstrap file
// and whose real database, grown to a few hundred pages, is then damaged
// by damage; it returns the machine and the database's path.
func damagedMachine(t *testing.T, damage func(t *testing.T, path string)) (*machineT, string) {
	t.Helper()
	pk, sk := newKey(t)
	o := profiletest.New(t)
	o.Publish(t, sk, 7)
	f := filepath.Join(t.TempDir(), "profile.toml")
	body := profiletest.Example(t, o.Base(), 7)
	os.WriteFile(f, body, 0o644)
	os.WriteFile(f+".minisig", minisign.Sign(sk, body), 0o644)
	m := newMachine(t)
	m.manage("", f, pk)
	if r := m.run("profile", "sync"); r.code != ExitOK {
		t.Fatalf("sync: %+v", r)
	}
	path := filepath.Join(m.vars["RELAIS_HOME"], "relais.db")
	db, err := store.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	for i := range 3000 {
		if err := db.LogEvent(context.Background(), "test", fmt.Sprintf("event %d %s", i, strings.Repeat("x", 200))); err != nil {
			t.Fatal(err)
		}
	}
	db.Close()
	damage(t, path)
	return m, path
}

func truncateMidFile(t *testing.T, path string) {
	fi, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.Truncate(path, fi.Size()/2+777); err != nil {
		t.Fatal(err)
	}
}

func overwritePages(t *testing.T, path string) {
	f, err := os.OpenFile(path, os.O_RDWR, 0)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	fi, _ := f.Stat()
	pages := fi.Size() / 4096
	rng := rand.New(rand.NewPCG(56, 78))
	junk := make([]byte, 4096)
	for range 8 {
		for i := range junk {
			junk[i] = byte(rng.Uint32())
		}
		if _, err := f.WriteAt(junk, (1+rng.Int64N(pages-1))*4096); err != nil {
			t.Fatal(err)
		}
	}
}

// corruptCopies are the damaged files kept aside.
func corruptCopies(t *testing.T, path string) []string {
	t.Helper()
	m, err := filepath.Glob(path + ".corrupt-*")
	if err != nil {
		t.Fatal(err)
	}
	var mains []string
	for _, f := range m {
		if !strings.HasSuffix(f, "-wal") && !strings.HasSuffix(f, "-shm") {
			mains = append(mains, f)
		}
	}
	return mains
}

// A damaged database once left every command failing with "Cannot open
// the local database: … malformed", diagnostics included. It is moved
// aside with a sentence, said once; a fresh one gets the profile again
// from the bootstrap file; every command works.
func TestDamagedDatabaseIsMovedAside(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name   string
		damage func(*testing.T, string)
		first  []string // the first command after the damage
	}{
		{"truncated/show", truncateMidFile, []string{"profile", "show"}},
		{"pages/sync", overwritePages, []string{"profile", "sync"}},
		{"truncated/diag", truncateMidFile, []string{"diag", "export", "-o", ""}},
		{"pages/en", overwritePages, []string{"--lang", "en", "profile", "show"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			m, path := damagedMachine(t, tc.damage)
			args := tc.first
			if args[0] == "diag" {
				args = []string{"diag", "export", "-o", t.TempDir()}
			}
			r := m.run(args...)
			want := "La base de données locale de Relais était endommagée : elle a été mise de côté"
			if args[0] == "--lang" {
				want = "The local Relais database was damaged: it was moved aside"
			}
			if r.code != ExitOK || !strings.Contains(r.stderr, want) || strings.Contains(r.stderr, "malformed") {
				t.Fatalf("first command after the damage: %+v", r)
			}
			copies := corruptCopies(t, path)
			if len(copies) != 1 || !strings.Contains(r.stderr, copies[0]) {
				t.Fatalf("corrupt copies %v; stderr %s", copies, r.stderr)
			}
			// Said once: the next commands just work.
			for _, cmd := range [][]string{{"profile", "show"}, {"profile", "sync"}, {"diag", "export", "-o", t.TempDir()}} {
				r := m.run(cmd...)
				if r.code != ExitOK || strings.Contains(r.stderr, "endommagée") {
					t.Fatalf("%v after the recovery: %+v", cmd, r)
				}
			}
			if s := m.show(); s.Serial != 7 || !s.Signed {
				t.Fatalf("profile after the recovery: %+v", s)
			}
			if got := corruptCopies(t, path); len(got) != 1 {
				t.Fatalf("corrupt copies after more commands: %v", got)
			}
		})
	}
}
