package db_test

import (
	"errors"
	"strings"
	"sync"
	"testing"
	"time"

	"relais/internal/server/db"
)

func TestPasswordHash(t *testing.T) {
	t.Parallel()
	h, err := db.HashPassword("correct horse battery")
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(h, "$argon2id$v=19$m=65536,t=3,p=2$") || strings.Contains(h, "correct horse") {
		t.Fatalf("hash %q: not an argon2id PHC string", h)
	}
	h2, _ := db.HashPassword("correct horse battery")
	if h == h2 {
		t.Fatal("two hashes of one password are equal: no salt")
	}
	if !db.CheckPassword(h, "correct horse battery") || db.CheckPassword(h, "correct horse batterY") {
		t.Fatal("CheckPassword does not tell right from wrong")
	}
	for _, bad := range []string{"", "$argon2id$v=19$m=65536,t=3,p=2$AAAA$AAAA", "$argon2i$v=19$m=65536,t=3,p=2" + h[len("$argon2id$v=19$m=65536,t=3,p=2"):],
		strings.Replace(h, "m=65536", "m=99999999", 1), strings.Replace(h, "t=3", "t=0", 1), h + "$"} {
		if db.CheckPassword(bad, "correct horse battery") {
			t.Errorf("CheckPassword(%q) matched", bad)
		}
	}
	if _, err := db.HashPassword("short"); !errors.Is(err, db.ErrPassword) {
		t.Errorf("a 5-byte password: %v", err)
	}
}

func FuzzCheckPassword(f *testing.F) {
	f.Add("$argon2id$v=19$m=64,t=1,p=1$c2FsdHNhbHQ$a2V5a2V5a2V5a2V5a2V5aw", "pw")
	f.Add("$argon2id$v=19$m=,t=1,p=1$$", "")
	f.Fuzz(func(t *testing.T, phc, pw string) {
		db.CheckPassword(phc, pw) // never panics, never allocates beyond the bounds
	})
}

func TestAccountNames(t *testing.T) {
	t.Parallel()
	for name, want := range map[string]bool{"alice": true, "a.b-c_d@x": true, "A1": true, "": false, ".x": false,
		"a b": false, "é": false, strings.Repeat("a", 64): true, strings.Repeat("a", 65): false, "a<b": false} {
		if db.ValidAccountName(name) != want {
			t.Errorf("ValidAccountName(%q) = %v", name, !want)
		}
	}
}

func TestAccountsAndSessions(t *testing.T) {
	eachBackend(t, func(t *testing.T, opts db.Options) {
		var mu sync.Mutex
		now := time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC)
		opts.Now = func() time.Time { mu.Lock(); defer mu.Unlock(); return now }
		d := open(t, opts)
		c := ctx(t)
		if err := d.CreateAccount(c, "alice", db.RoleHelpdesk, "$argon2id$fake"); err != nil {
			t.Fatal(err)
		}
		if err := d.CreateAccount(c, "alice", db.RoleContinuity, "x"); !errors.Is(err, db.ErrAccountExists) {
			t.Fatalf("a second alice: %v", err)
		}
		if err := d.CreateAccount(c, "bob", "admin", "x"); !errors.Is(err, db.ErrRole) {
			t.Fatalf("role admin: %v", err)
		}
		if err := d.CreateAccount(c, "b b", db.RoleHelpdesk, "x"); !errors.Is(err, db.ErrAccountName) {
			t.Fatalf("name with a space: %v", err)
		}
		if err := d.CreateAccount(c, "carol", db.RoleAmbassador, "h2"); err != nil {
			t.Fatal(err)
		}
		list, err := d.Accounts(c)
		if err != nil || len(list) != 2 || list[0].Name != "alice" || list[1].Role != db.RoleAmbassador {
			t.Fatalf("Accounts = %+v, %v", list, err)
		}
		a, hash, err := d.AccountForLogin(c, "alice")
		if err != nil || hash != "$argon2id$fake" || a.Role != db.RoleHelpdesk {
			t.Fatalf("AccountForLogin = %+v %q %v", a, hash, err)
		}
		if _, _, err := d.AccountForLogin(c, "nobody"); !errors.Is(err, db.ErrNoAccount) {
			t.Fatalf("unknown: %v", err)
		}

		if err := d.CreateSession(c, "h1", a.ID, "csrf1", now.Add(12*time.Hour)); err != nil {
			t.Fatal(err)
		}
		s, err := d.SessionByHash(c, "h1")
		if err != nil || s.Account.Name != "alice" || s.CSRF != "csrf1" || !s.Expires.Equal(now.Add(12*time.Hour)) {
			t.Fatalf("SessionByHash = %+v, %v", s, err)
		}
		mu.Lock()
		now = now.Add(10 * time.Minute)
		mu.Unlock()
		if err := d.TouchSession(c, "h1"); err != nil {
			t.Fatal(err)
		}
		if s, _ := d.SessionByHash(c, "h1"); !s.LastSeen.Equal(now) {
			t.Fatalf("LastSeen = %v, want %v", s.LastSeen, now)
		}
		// A new password ends the sessions.
		if err := d.SetPassword(c, "alice", "new"); err != nil {
			t.Fatal(err)
		}
		if _, err := d.SessionByHash(c, "h1"); !errors.Is(err, db.ErrNoSession) {
			t.Fatalf("session after a new password: %v", err)
		}
		if err := d.SetPassword(c, "nobody", "new"); !errors.Is(err, db.ErrNoAccount) {
			t.Fatalf("SetPassword(nobody): %v", err)
		}
		// Stale sessions go; fresh ones stay.
		d.CreateSession(c, "old", a.ID, "c", now.Add(time.Hour))
		mu.Lock()
		now = now.Add(2 * time.Hour)
		mu.Unlock()
		d.CreateSession(c, "new", a.ID, "c", now.Add(time.Hour))
		if n, err := d.DeleteStaleSessions(c, now.Add(-time.Hour)); err != nil || n != 1 {
			t.Fatalf("DeleteStaleSessions = %d, %v", n, err)
		}
		if err := d.DeleteSession(c, "new"); err != nil {
			t.Fatal(err)
		}
		if _, err := d.SessionByHash(c, "new"); !errors.Is(err, db.ErrNoSession) {
			t.Fatalf("after sign-out: %v", err)
		}
		// Removing an account ends its sessions.
		d.CreateSession(c, "s3", a.ID, "c", now.Add(time.Hour))
		if err := d.RemoveAccount(c, "alice"); err != nil {
			t.Fatal(err)
		}
		if _, err := d.SessionByHash(c, "s3"); !errors.Is(err, db.ErrNoSession) {
			t.Fatalf("session of a removed account: %v", err)
		}
		if err := d.RemoveAccount(c, "alice"); !errors.Is(err, db.ErrNoAccount) {
			t.Fatalf("removing twice: %v", err)
		}
	})
}

// A generated password (130 bits) is hashed lightly and still checks; a
// person's password cannot take that path.
func TestHashGeneratedPassword(t *testing.T) {
	t.Parallel()
	pw := "ABCDEFGHIJKLMNOPQRSTUVWXYZ"
	h, err := db.HashGeneratedPassword(pw)
	if err != nil || !strings.Contains(h, "m=1024,t=1") {
		t.Fatalf("%q, %v", h, err)
	}
	if !db.CheckPassword(h, pw) || db.CheckPassword(h, pw+"x") {
		t.Error("the light hash does not check as a hash should")
	}
	if _, err := db.HashGeneratedPassword("correct horse battery"); err == nil {
		t.Error("a person's length of password was hashed lightly")
	}
}
