package db

// Accounts of the web pages and their sessions. A password is kept as an
// argon2id PHC string ($argon2id$v=19$m=…,t=…,p=…$salt$hash), never in
// clear; a session as the SHA-256 of its id, never the id itself.

import (
	"context"
	"crypto/rand"
	"crypto/subtle"
	"database/sql"
	"encoding/base64"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"sync"
	"time"

	"golang.org/x/crypto/argon2"
)

// Role is what an account may see.
type Role string

// Roles.
const (
	RoleContinuity Role = "continuity" // campaigns and notices
	RoleHelpdesk   Role = "helpdesk"   // the bundles' inbox (Dossiers)
	RoleAmbassador Role = "ambassador" // reads the inbox, relays colleagues
)

// Roles lists every role, in the order they are shown.
var Roles = []Role{RoleContinuity, RoleHelpdesk, RoleAmbassador}

// ValidRole says whether r is one of Roles.
func ValidRole(r Role) bool {
	for _, x := range Roles {
		if r == x {
			return true
		}
	}
	return false
}

// Errors of accounts.
var (
	ErrAccountExists = errors.New("serverdb: an account with this name exists")
	ErrNoAccount     = errors.New("serverdb: no such account")
	ErrAccountName   = errors.New("serverdb: an account name is 1 to 64 letters, digits, dots, hyphens, underscores or @")
	ErrRole          = errors.New("serverdb: the role is continuity, helpdesk or ambassador")
	ErrNoSession     = errors.New("serverdb: no such session")
)

// ValidAccountName says whether name is 1 to 64 ASCII letters, digits,
// '.', '-', '_' or '@', starting with a letter or a digit.
func ValidAccountName(name string) bool {
	if name == "" || len(name) > 64 {
		return false
	}
	for i := 0; i < len(name); i++ {
		c := name[i]
		alnum := c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9'
		if !alnum && (i == 0 || (c != '.' && c != '-' && c != '_' && c != '@')) {
			return false
		}
	}
	return true
}

// Account is one person's account.
type Account struct {
	ID      int64
	Name    string
	Role    Role
	Created time.Time
	Updated time.Time
}

// argon2id parameters of new hashes (RFC 9106's second recommendation,
// memory-constrained: 64 MiB, 3 passes). Those of a stored hash are read
// from it, so they may change without invalidating passwords.
const (
	argonTime    = 3
	argonMemory  = 64 * 1024
	argonThreads = 2
	argonKeyLen  = 32
	argonSaltLen = 16
	// Bounds of a stored hash's parameters: a tampered row must not make
	// a login allocate gigabytes.
	maxArgonMemory = 1024 * 1024
	maxArgonTime   = 16
)

// MaxPassword is the longest password accepted (bytes); MinPassword the
// shortest.
const (
	MaxPassword = 1024
	MinPassword = 10
)

// ErrPassword: the password is too short or too long.
var ErrPassword = fmt.Errorf("serverdb: a password is %d to %d bytes", MinPassword, MaxPassword)

// HashPassword returns password's argon2id PHC string.
func HashPassword(password string) (string, error) {
	return hashPassword(password, argonTime, argonMemory)
}

// HashGeneratedPassword hashes a password the program drew itself, with
// 128 bits of entropy or more (the demo's accounts): no guess can find
// it, so the hash needs none of the cost that protects a person's
// password against guessing (1 pass over 1 MiB, not 3 over 64 MiB).
func HashGeneratedPassword(password string) (string, error) {
	if len(password) < 26 {
		return "", ErrPassword
	}
	return hashPassword(password, 1, 1024)
}

func hashPassword(password string, time, memory uint32) (string, error) {
	if len(password) < MinPassword || len(password) > MaxPassword {
		return "", ErrPassword
	}
	salt := make([]byte, argonSaltLen)
	if _, err := rand.Read(salt); err != nil {
		return "", err
	}
	key := argon2.IDKey([]byte(password), salt, time, memory, argonThreads, argonKeyLen)
	b64 := base64.RawStdEncoding
	return fmt.Sprintf("$argon2id$v=%d$m=%d,t=%d,p=%d$%s$%s", argon2.Version, memory, time, argonThreads,
		b64.EncodeToString(salt), b64.EncodeToString(key)), nil
}

// CheckPassword says whether password matches the PHC string, comparing
// in constant time. A malformed string matches nothing.
func CheckPassword(phc, password string) bool {
	if len(password) > MaxPassword {
		return false
	}
	p, ok := parsePHC(phc)
	if !ok {
		return false
	}
	key := argon2.IDKey([]byte(password), p.salt, p.time, p.memory, p.threads, uint32(len(p.key)))
	return subtle.ConstantTimeCompare(key, p.key) == 1
}

// DummyCheck spends the time of a password check, for a login with an
// unknown name: its answer comes as late as a wrong password's.
func DummyCheck(password string) {
	CheckPassword(dummyHash(), password)
}

// dummyHash is made on first use: not at every start of the program.
var dummyHash = sync.OnceValue(func() string {
	h, _ := HashPassword("not a password of anyone")
	return h
})

type phc struct {
	time, memory uint32
	threads      uint8
	salt, key    []byte
}

func parsePHC(s string) (phc, bool) {
	var p phc
	parts := strings.Split(s, "$")
	if len(parts) != 6 || parts[0] != "" || parts[1] != "argon2id" || parts[2] != "v="+strconv.Itoa(argon2.Version) {
		return p, false
	}
	for _, kv := range strings.Split(parts[3], ",") {
		k, v, ok := strings.Cut(kv, "=")
		n, err := strconv.ParseUint(v, 10, 32)
		if !ok || err != nil {
			return p, false
		}
		switch k {
		case "m":
			p.memory = uint32(n)
		case "t":
			p.time = uint32(n)
		case "p":
			if n > 255 {
				return p, false
			}
			p.threads = uint8(n)
		default:
			return p, false
		}
	}
	if p.memory < 8 || p.memory > maxArgonMemory || p.time < 1 || p.time > maxArgonTime || p.threads < 1 {
		return p, false
	}
	var err error
	b64 := base64.RawStdEncoding
	if p.salt, err = b64.DecodeString(parts[4]); err != nil || len(p.salt) < 8 || len(p.salt) > 64 {
		return p, false
	}
	if p.key, err = b64.DecodeString(parts[5]); err != nil || len(p.key) < 16 || len(p.key) > 64 {
		return p, false
	}
	return p, true
}

// CreateAccount adds an account with a password hash (HashPassword).
func (db *DB) CreateAccount(ctx context.Context, name string, role Role, hash string) error {
	if !ValidAccountName(name) {
		return ErrAccountName
	}
	if !ValidRole(role) {
		return ErrRole
	}
	now := db.now().UTC().UnixMilli()
	res, err := db.sql.ExecContext(ctx, db.rebind(`INSERT INTO accounts (name, role, password_hash, created_at, updated_at)
		VALUES (?, ?, ?, ?, ?) ON CONFLICT (name) DO NOTHING`), name, string(role), hash, now, now)
	if err != nil {
		return fmt.Errorf("serverdb: add account: %w", err)
	}
	if n, err := res.RowsAffected(); err == nil && n == 0 {
		return ErrAccountExists
	}
	return nil
}

// SetPassword replaces an account's password hash and ends its sessions.
func (db *DB) SetPassword(ctx context.Context, name, hash string) error {
	return db.inTx(ctx, func(tx *sql.Tx) error {
		res, err := tx.ExecContext(ctx, db.rebind("UPDATE accounts SET password_hash = ?, updated_at = ? WHERE name = ?"),
			hash, db.now().UTC().UnixMilli(), name)
		if err != nil {
			return err
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return ErrNoAccount
		}
		_, err = tx.ExecContext(ctx, db.rebind("DELETE FROM sessions WHERE account_id = (SELECT id FROM accounts WHERE name = ?)"), name)
		return err
	})
}

// RemoveAccount deletes an account and its sessions. What it did (notes,
// bundles taken) keeps its name.
func (db *DB) RemoveAccount(ctx context.Context, name string) error {
	return db.inTx(ctx, func(tx *sql.Tx) error {
		if _, err := tx.ExecContext(ctx, db.rebind("DELETE FROM sessions WHERE account_id = (SELECT id FROM accounts WHERE name = ?)"), name); err != nil {
			return err
		}
		res, err := tx.ExecContext(ctx, db.rebind("DELETE FROM accounts WHERE name = ?"), name)
		if err != nil {
			return err
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return ErrNoAccount
		}
		return nil
	})
}

// Accounts lists the accounts by name.
func (db *DB) Accounts(ctx context.Context) ([]Account, error) {
	rows, err := db.sql.QueryContext(ctx, "SELECT id, name, role, created_at, updated_at FROM accounts ORDER BY name")
	if err != nil {
		return nil, fmt.Errorf("serverdb: %w", err)
	}
	defer rows.Close()
	var out []Account
	for rows.Next() {
		var a Account
		var role string
		var c, u int64
		if err := rows.Scan(&a.ID, &a.Name, &role, &c, &u); err != nil {
			return nil, fmt.Errorf("serverdb: %w", err)
		}
		a.Role, a.Created, a.Updated = Role(role), time.UnixMilli(c).UTC(), time.UnixMilli(u).UTC()
		out = append(out, a)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("serverdb: %w", err)
	}
	return out, nil
}

// AccountForLogin returns an account and its password hash.
func (db *DB) AccountForLogin(ctx context.Context, name string) (Account, string, error) {
	var a Account
	var role, hash string
	var c, u int64
	err := db.sql.QueryRowContext(ctx, db.rebind("SELECT id, name, role, password_hash, created_at, updated_at FROM accounts WHERE name = ?"), name).
		Scan(&a.ID, &a.Name, &role, &hash, &c, &u)
	if errors.Is(err, sql.ErrNoRows) {
		return Account{}, "", ErrNoAccount
	}
	if err != nil {
		return Account{}, "", fmt.Errorf("serverdb: %w", err)
	}
	a.Role, a.Created, a.Updated = Role(role), time.UnixMilli(c).UTC(), time.UnixMilli(u).UTC()
	return a, hash, nil
}

// Session is a signed-in account's session.
type Session struct {
	Account  Account
	CSRF     string
	Created  time.Time
	LastSeen time.Time
	Expires  time.Time // absolute
}

// CreateSession stores a session under the SHA-256 of its id (hex).
func (db *DB) CreateSession(ctx context.Context, idSHA256 string, accountID int64, csrf string, expires time.Time) error {
	now := db.now().UTC().UnixMilli()
	_, err := db.sql.ExecContext(ctx, db.rebind(`INSERT INTO sessions (id_sha256, account_id, csrf_token, created_at, last_seen_at, expires_at)
		VALUES (?, ?, ?, ?, ?, ?)`), idSHA256, accountID, csrf, now, now, expires.UTC().UnixMilli())
	if err != nil {
		return fmt.Errorf("serverdb: add session: %w", err)
	}
	return nil
}

// SessionByHash returns the session stored under idSHA256 with its
// account, whatever its expiry (the caller judges it).
func (db *DB) SessionByHash(ctx context.Context, idSHA256 string) (Session, error) {
	var s Session
	var role string
	var c, u, sc, sl, se int64
	err := db.sql.QueryRowContext(ctx, db.rebind(`SELECT a.id, a.name, a.role, a.created_at, a.updated_at,
		s.csrf_token, s.created_at, s.last_seen_at, s.expires_at
		FROM sessions s JOIN accounts a ON a.id = s.account_id WHERE s.id_sha256 = ?`), idSHA256).
		Scan(&s.Account.ID, &s.Account.Name, &role, &c, &u, &s.CSRF, &sc, &sl, &se)
	if errors.Is(err, sql.ErrNoRows) {
		return Session{}, ErrNoSession
	}
	if err != nil {
		return Session{}, fmt.Errorf("serverdb: %w", err)
	}
	s.Account.Role = Role(role)
	s.Account.Created, s.Account.Updated = time.UnixMilli(c).UTC(), time.UnixMilli(u).UTC()
	s.Created, s.LastSeen, s.Expires = time.UnixMilli(sc).UTC(), time.UnixMilli(sl).UTC(), time.UnixMilli(se).UTC()
	return s, nil
}

// TouchSession records that the session was used now.
func (db *DB) TouchSession(ctx context.Context, idSHA256 string) error {
	_, err := db.sql.ExecContext(ctx, db.rebind("UPDATE sessions SET last_seen_at = ? WHERE id_sha256 = ?"),
		db.now().UTC().UnixMilli(), idSHA256)
	if err != nil {
		return fmt.Errorf("serverdb: %w", err)
	}
	return nil
}

// DeleteSession ends a session (sign out).
func (db *DB) DeleteSession(ctx context.Context, idSHA256 string) error {
	if _, err := db.sql.ExecContext(ctx, db.rebind("DELETE FROM sessions WHERE id_sha256 = ?"), idSHA256); err != nil {
		return fmt.Errorf("serverdb: %w", err)
	}
	return nil
}

// DeleteStaleSessions removes the sessions past their absolute expiry or
// unused since idleBefore.
func (db *DB) DeleteStaleSessions(ctx context.Context, idleBefore time.Time) (int64, error) {
	res, err := db.sql.ExecContext(ctx, db.rebind("DELETE FROM sessions WHERE expires_at <= ? OR last_seen_at < ?"),
		db.now().UTC().UnixMilli(), idleBefore.UTC().UnixMilli())
	if err != nil {
		return 0, fmt.Errorf("serverdb: %w", err)
	}
	n, _ := res.RowsAffected()
	return n, nil
}
