package db

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"math/rand/v2"
	"net/netip"
	"strconv"
	"strings"
	"time"
)

// Enrolment on the emergency WireGuard gateway (internal/server/enrol):
// setup tokens, one-time codes, peers and the log of enrolments. Secrets
// are stored as their enrolment.Hash only; this package never sees them.
//
// One enrolment is one transaction (Enrol): claim a use of the token or
// code (an UPDATE that only succeeds while uses remain and the token has
// not expired), revoke the device's previous peer, insert the peer
// "pending" and reserve its addresses (a partial UNIQUE index over the
// live addresses: two instances sharing one PostgreSQL never hand out the
// same one). The service then puts the peer on the interface and marks it
// active (ActivatePeer).

// Peer states.
const (
	PeerPending = "pending" // address reserved, peer maybe not yet on the interface
	PeerActive  = "active"  // on the interface
	PeerRevoked = "revoked" // removed (or to be removed) from the interface
)

// Kinds of enrolment events.
const (
	EventEnrolled   = "enrolled"
	EventReenrolled = "reenrolled" // the device's previous peer was replaced
	EventRefused    = "refused"
	EventRevoked    = "revoked"
)

// Errors of enrolment.
var (
	// ErrExists: a setup token of that name (or hash) already exists.
	ErrExists = errors.New("serverdb: already exists")
	// ErrTokenUnknown: no such token or code, or revoked.
	ErrTokenUnknown = errors.New("serverdb: unknown or revoked token")
	// ErrTokenExpired: the token or code is past its expiry.
	ErrTokenExpired = errors.New("serverdb: token expired")
	// ErrTokenUsedUp: every use of the token (the code's one use) is spent.
	ErrTokenUsedUp = errors.New("serverdb: token used up")
	// ErrKeyInUse: another device holds this public key.
	ErrKeyInUse = errors.New("serverdb: public key enrolled by another device")
	// ErrKeyRevoked: this public key was revoked.
	ErrKeyRevoked = errors.New("serverdb: public key revoked")
	// ErrPoolExhausted: no free address left in a pool.
	ErrPoolExhausted = errors.New("serverdb: address pool exhausted")
	// ErrEnrolBusy: other instances kept conflicting; nothing was stored.
	ErrEnrolBusy = errors.New("serverdb: enrolment: too many concurrent conflicts, retry")
)

// SetupToken is an organisation-wide setup token (its hash is not read back).
type SetupToken struct {
	Name               string
	MaxUses, Uses      int
	Expires, CreatedAt time.Time
	CreatedBy          string
	FromFile, Revoked  bool
}

// State is the token's state at now: revoked, used_up, expired, file
// (active, from setup_tokens_file) or active.
func (t SetupToken) State(now time.Time) string {
	switch {
	case t.Revoked:
		return "revoked"
	case t.Uses >= t.MaxUses:
		return "used_up"
	case !now.Before(t.Expires):
		return "expired"
	case t.FromFile:
		return "file"
	}
	return "active"
}

// EnrolCode is a one-time code made for one person.
type EnrolCode struct {
	ID                 int64
	Person             string
	Expires, CreatedAt time.Time
	CreatedBy          string
	UsedAt             time.Time // zero: unused
	UsedBy             string    // the device name that used it
}

// Peer is a device's WireGuard peer on the gateway.
type Peer struct {
	ID                    int64
	PublicKey, DeviceName string
	Addresses             []netip.Prefix
	Via                   string // "token:NAME" | "code:PERSON"
	State                 string // PeerPending, PeerActive, PeerRevoked
	EnrolledAt, RevokedAt time.Time
	RevokedBy             string
}

// EnrolEvent is one enrolment, refusal or revocation, as logged.
type EnrolEvent struct {
	At                                 time.Time
	Kind                               string // EventEnrolled, EventReenrolled, EventRefused, EventRevoked
	Code                               string // a refusal's code (enrolment.Code*)
	DeviceName, PublicKey, Via, Source string
}

// FileToken is a setup token listed in setup_tokens_file.
type FileToken struct {
	Name    string
	Hash    string // enrolment.Hash of the token
	MaxUses int
	Expires time.Time
}

// EnrolRequest is one enrolment to record.
type EnrolRequest struct {
	Hash       string // enrolment.Hash of the token or code
	IsCode     bool   // a one-time code rather than a setup token
	PublicKey  string
	DeviceName string
	Pools      []netip.Prefix // one address from each
	Reserved   []netip.Addr   // never handed out (the gateway's own addresses)
	Source     string         // the client's address, for the log
}

// EnrolResult is what Enrol recorded.
type EnrolResult struct {
	Peer Peer
	// Repeat: this key was already enrolled by this device; nothing was
	// claimed or changed (the laptop retries after a lost answer).
	Repeat bool
	// Replaced are the device's previous peers, revoked by this enrolment:
	// the service removes them from the interface.
	Replaced []Peer
}

// enrolAttempts bounds the retries of an enrolment that conflicted with
// another instance's.
const enrolAttempts = 20

// Enrol records an enrolment: see the package comment above. A refusal is
// one of ErrTokenUnknown, ErrTokenExpired, ErrTokenUsedUp, ErrKeyInUse,
// ErrKeyRevoked, ErrPoolExhausted, and stores nothing (the caller logs it
// with AddEnrolEvent).
func (db *DB) Enrol(ctx context.Context, r EnrolRequest) (EnrolResult, error) {
	for attempt := 0; attempt < enrolAttempts; attempt++ {
		res, err := db.enrolOnce(ctx, r)
		if err == nil || !retryable(err) {
			return res, err
		}
		t := time.NewTimer(time.Duration(1+rand.IntN(5*(attempt+1))) * time.Millisecond)
		select {
		case <-ctx.Done():
			t.Stop()
			return EnrolResult{}, fmt.Errorf("serverdb: enrolment: %w", ctx.Err())
		case <-t.C:
		}
	}
	return EnrolResult{}, ErrEnrolBusy
}

func (db *DB) enrolOnce(ctx context.Context, r EnrolRequest) (EnrolResult, error) {
	tx, err := db.sql.BeginTx(ctx, nil)
	if err != nil {
		return EnrolResult{}, fmt.Errorf("serverdb: enrolment: %w", err)
	}
	defer tx.Rollback()
	now := db.now().UTC()
	nowMS := now.UnixMilli()

	via, err := db.tokenVia(ctx, tx, r.Hash, r.IsCode)
	if err != nil {
		return EnrolResult{}, err
	}
	// This key: the same device again is a repeat; another device's, or a
	// revoked one, is refused.
	keyPeers, err := db.peersWhere(ctx, tx, "public_key = ?", r.PublicKey)
	if err != nil {
		return EnrolResult{}, err
	}
	revoked := false
	for _, p := range keyPeers {
		if p.State == PeerRevoked {
			revoked = true
			continue
		}
		if p.DeviceName != r.DeviceName {
			return EnrolResult{}, ErrKeyInUse
		}
		return EnrolResult{Peer: p, Repeat: true}, tx.Commit()
	}
	if revoked {
		return EnrolResult{}, ErrKeyRevoked
	}
	if err := db.claim(ctx, tx, r, nowMS); err != nil {
		return EnrolResult{}, err
	}
	// Re-enrolling a device replaces its old peer.
	old, err := db.peersWhere(ctx, tx, "device_name = ? AND state <> 'revoked'", r.DeviceName)
	if err != nil {
		return EnrolResult{}, err
	}
	for i := range old {
		if err := db.revokeRow(ctx, tx, &old[i], "reenrol", now); err != nil {
			return EnrolResult{}, err
		}
	}
	p := Peer{PublicKey: r.PublicKey, DeviceName: r.DeviceName, Via: via, State: PeerPending,
		EnrolledAt: time.UnixMilli(nowMS).UTC()}
	if err := tx.QueryRowContext(ctx, db.rebind(`INSERT INTO peers (public_key, device_name, addresses, via, state, enrolled_at)
		VALUES (?, ?, '', ?, ?, ?) RETURNING id`), p.PublicKey, p.DeviceName, p.Via, p.State, nowMS).Scan(&p.ID); err != nil {
		return EnrolResult{}, fmt.Errorf("serverdb: enrolment: %w", err)
	}
	if p.Addresses, err = db.reserve(ctx, tx, p.ID, r.Pools, r.Reserved); err != nil {
		return EnrolResult{}, err
	}
	if _, err := tx.ExecContext(ctx, db.rebind("UPDATE peers SET addresses = ? WHERE id = ?"), joinPrefixes(p.Addresses), p.ID); err != nil {
		return EnrolResult{}, fmt.Errorf("serverdb: enrolment: %w", err)
	}
	kind := EventEnrolled
	if len(old) > 0 {
		kind = EventReenrolled
	}
	if err := db.addEvent(ctx, tx, EnrolEvent{At: now, Kind: kind, DeviceName: p.DeviceName, PublicKey: p.PublicKey,
		Via: via, Source: r.Source}); err != nil {
		return EnrolResult{}, err
	}
	if err := tx.Commit(); err != nil {
		return EnrolResult{}, fmt.Errorf("serverdb: enrolment: %w", err)
	}
	return EnrolResult{Peer: p, Replaced: old}, nil
}

// tokenVia finds the token or code (not revoked) and names it for
// peers.via; ErrTokenUnknown when there is none.
func (db *DB) tokenVia(ctx context.Context, tx *sql.Tx, hash string, isCode bool) (string, error) {
	var name string
	var err error
	if isCode {
		err = tx.QueryRowContext(ctx, db.rebind("SELECT person FROM enrol_codes WHERE sha256 = ?"), hash).Scan(&name)
		name = "code:" + name
	} else {
		err = tx.QueryRowContext(ctx, db.rebind("SELECT name FROM setup_tokens WHERE sha256 = ? AND revoked_at IS NULL"), hash).Scan(&name)
		name = "token:" + name
	}
	if errors.Is(err, sql.ErrNoRows) {
		return "", ErrTokenUnknown
	}
	if err != nil {
		return "", fmt.Errorf("serverdb: enrolment: %w", err)
	}
	return name, nil
}

// claim takes one use of the token or code, atomically: the UPDATE only
// matches while a use remains and the expiry is ahead. When it matches
// nothing, the row says why.
func (db *DB) claim(ctx context.Context, tx *sql.Tx, r EnrolRequest, nowMS int64) error {
	var res sql.Result
	var err error
	if r.IsCode {
		res, err = tx.ExecContext(ctx, db.rebind(`UPDATE enrol_codes SET used_at = ?, used_by = ?
			WHERE sha256 = ? AND used_at IS NULL AND expires_at > ?`), nowMS, r.DeviceName, r.Hash, nowMS)
	} else {
		res, err = tx.ExecContext(ctx, db.rebind(`UPDATE setup_tokens SET uses = uses + 1
			WHERE sha256 = ? AND revoked_at IS NULL AND uses < max_uses AND expires_at > ?`), r.Hash, nowMS)
	}
	if err != nil {
		return fmt.Errorf("serverdb: enrolment: claim: %w", err)
	}
	if n, err := res.RowsAffected(); err != nil {
		return fmt.Errorf("serverdb: enrolment: claim: %w", err)
	} else if n == 1 {
		return nil
	}
	var expires int64
	var usedUp bool
	if r.IsCode {
		var used sql.NullInt64
		err = tx.QueryRowContext(ctx, db.rebind("SELECT expires_at, used_at FROM enrol_codes WHERE sha256 = ?"), r.Hash).Scan(&expires, &used)
		usedUp = used.Valid
	} else {
		var uses, max int64
		err = tx.QueryRowContext(ctx, db.rebind("SELECT expires_at, uses, max_uses FROM setup_tokens WHERE sha256 = ? AND revoked_at IS NULL"),
			r.Hash).Scan(&expires, &uses, &max)
		usedUp = uses >= max
	}
	switch {
	case errors.Is(err, sql.ErrNoRows):
		return ErrTokenUnknown
	case err != nil:
		return fmt.Errorf("serverdb: enrolment: claim: %w", err)
	case expires <= nowMS:
		return ErrTokenExpired
	case usedUp:
		return ErrTokenUsedUp
	}
	// Changed between the UPDATE and the SELECT: another instance.
	return ErrTokenUsedUp
}

// reserve gives peer one free address of each pool: the lowest host not
// held by a live peer nor reserved. The database finds it (the first gap
// in the pool's live offsets); the INSERT … ON CONFLICT DO NOTHING over
// the partial unique index settles a race with another instance: the
// loser tries the next gap.
func (db *DB) reserve(ctx context.Context, tx *sql.Tx, peer int64, pools []netip.Prefix, reserved []netip.Addr) ([]netip.Prefix, error) {
	skip := map[netip.Addr]bool{}
	for _, a := range reserved {
		skip[a.Unmap()] = true
	}
	var out []netip.Prefix
	for _, pool := range pools {
		pool = pool.Masked()
		name := pool.String()
		base := pool.Addr()
		from := offset(base, FirstHost(pool))
		got := false
		for tries := 0; tries < 1000; tries++ {
			off, err := db.lowestFree(ctx, tx, name, from)
			if err != nil {
				return nil, err
			}
			a, ok := addOffset(base, off)
			if !ok || !IsHost(pool, a) {
				break // past the end of the pool
			}
			from = off + 1
			if skip[a] {
				continue
			}
			p := netip.PrefixFrom(a, a.BitLen())
			res, err := tx.ExecContext(ctx, db.rebind(`INSERT INTO peer_addresses (address, pool, host, peer_id, live)
				VALUES (?, ?, ?, ?, 1) ON CONFLICT (address) WHERE live = 1 DO NOTHING`), p.String(), name, off, peer)
			if err != nil {
				return nil, fmt.Errorf("serverdb: enrolment: reserve: %w", err)
			}
			if n, err := res.RowsAffected(); err != nil {
				return nil, fmt.Errorf("serverdb: enrolment: reserve: %w", err)
			} else if n == 1 {
				out = append(out, p)
				got = true
				break
			}
		}
		if !got {
			return nil, ErrPoolExhausted
		}
	}
	return out, nil
}

// maxOffset bounds the offsets of a pool (they are BIGINT): an IPv6 /64
// hands out its first 2^62 addresses only.
const maxOffset = 1 << 62

// lowestFree is the lowest offset at or above from that no live address
// of the pool holds.
func (db *DB) lowestFree(ctx context.Context, tx *sql.Tx, pool string, from int64) (int64, error) {
	var taken int
	if err := tx.QueryRowContext(ctx, db.rebind(`SELECT COUNT(*) FROM peer_addresses WHERE pool = ? AND live = 1 AND host = ?`),
		pool, from).Scan(&taken); err != nil {
		return 0, fmt.Errorf("serverdb: enrolment: reserve: %w", err)
	}
	if taken == 0 {
		return from, nil
	}
	// The first hole after from: one ordered scan of the pool's index.
	var next sql.NullInt64
	if err := tx.QueryRowContext(ctx, db.rebind(`SELECT host + 1 FROM (
			SELECT host, LEAD(host) OVER (ORDER BY host) AS nxt FROM peer_addresses
			WHERE pool = ? AND live = 1 AND host >= ?) gaps
		WHERE nxt IS NULL OR nxt <> host + 1 ORDER BY host LIMIT 1`),
		pool, from).Scan(&next); err != nil {
		return 0, fmt.Errorf("serverdb: enrolment: reserve: %w", err)
	}
	return next.Int64, nil
}

// revokeRow marks a live peer revoked and frees its addresses.
func (db *DB) revokeRow(ctx context.Context, tx *sql.Tx, p *Peer, by string, now time.Time) error {
	ms := now.UTC().UnixMilli()
	if _, err := tx.ExecContext(ctx, db.rebind(`UPDATE peers SET state = 'revoked', revoked_at = ?, revoked_by = ?
		WHERE id = ?`), ms, by, p.ID); err != nil {
		return fmt.Errorf("serverdb: revoke peer: %w", err)
	}
	if _, err := tx.ExecContext(ctx, db.rebind("UPDATE peer_addresses SET live = 0 WHERE peer_id = ?"), p.ID); err != nil {
		return fmt.Errorf("serverdb: revoke peer: %w", err)
	}
	p.State, p.RevokedAt, p.RevokedBy = PeerRevoked, time.UnixMilli(ms).UTC(), by
	return nil
}

const peerColumns = "id, public_key, device_name, addresses, via, state, enrolled_at, revoked_at, revoked_by"

func (db *DB) peersWhere(ctx context.Context, q interface {
	QueryContext(context.Context, string, ...any) (*sql.Rows, error)
}, where string, args ...any) ([]Peer, error) {
	rows, err := q.QueryContext(ctx, db.rebind("SELECT "+peerColumns+" FROM peers WHERE "+where+" ORDER BY id"), args...)
	if err != nil {
		return nil, fmt.Errorf("serverdb: peers: %w", err)
	}
	defer rows.Close()
	var out []Peer
	for rows.Next() {
		var (
			p       Peer
			addrs   string
			at      int64
			revoked sql.NullInt64
			by      sql.NullString
		)
		if err := rows.Scan(&p.ID, &p.PublicKey, &p.DeviceName, &addrs, &p.Via, &p.State, &at, &revoked, &by); err != nil {
			return nil, fmt.Errorf("serverdb: peers: %w", err)
		}
		p.Addresses = splitPrefixes(addrs)
		p.EnrolledAt = time.UnixMilli(at).UTC()
		p.RevokedAt = msTime(revoked)
		p.RevokedBy = by.String
		out = append(out, p)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("serverdb: peers: %w", err)
	}
	return out, nil
}

// ActivatePeer marks a pending peer active (it is on the interface). A
// peer revoked meanwhile stays revoked.
func (db *DB) ActivatePeer(ctx context.Context, id int64) error {
	_, err := db.sql.ExecContext(ctx, db.rebind("UPDATE peers SET state = 'active' WHERE id = ? AND state = 'pending'"), id)
	if err != nil {
		return fmt.Errorf("serverdb: activate peer: %w", err)
	}
	return nil
}

// Peers are the peers, oldest first; the revoked ones too when asked.
func (db *DB) Peers(ctx context.Context, includeRevoked bool) ([]Peer, error) {
	if includeRevoked {
		return db.peersWhere(ctx, db.sql, "1 = 1")
	}
	return db.peersWhere(ctx, db.sql, "state <> 'revoked'")
}

// PeerCounts are how many peers there are in each state.
func (db *DB) PeerCounts(ctx context.Context) (map[string]int, error) {
	rows, err := db.sql.QueryContext(ctx, "SELECT state, COUNT(*) FROM peers GROUP BY state")
	if err != nil {
		return nil, fmt.Errorf("serverdb: peers: %w", err)
	}
	defer rows.Close()
	out := map[string]int{}
	for rows.Next() {
		var s string
		var n int
		if err := rows.Scan(&s, &n); err != nil {
			return nil, fmt.Errorf("serverdb: peers: %w", err)
		}
		out[s] = n
	}
	return out, rows.Err()
}

// KeyStatus is a public key's state: PeerActive when a live peer holds it
// (pending counts as active), PeerRevoked when only revoked ones did, ""
// when it was never enrolled.
func (db *DB) KeyStatus(ctx context.Context, key string) (string, error) {
	ps, err := db.peersWhere(ctx, db.sql, "public_key = ?", key)
	if err != nil {
		return "", err
	}
	status := ""
	for _, p := range ps {
		if p.State != PeerRevoked {
			return PeerActive, nil
		}
		status = PeerRevoked
	}
	return status, nil
}

// RevokePeer revokes the live peer with this public key or numeric id,
// logs it and returns it (the caller then removes it from the interface;
// reconciliation does if that fails). ErrNotFound when no live peer
// matches.
func (db *DB) RevokePeer(ctx context.Context, keyOrID, by string) (Peer, error) {
	var p Peer
	err := db.inTx(ctx, func(tx *sql.Tx) error {
		ps, err := db.peersWhere(ctx, tx, "public_key = ? AND state <> 'revoked'", keyOrID)
		if err != nil {
			return err
		}
		if id, perr := strconv.ParseInt(keyOrID, 10, 64); perr == nil && len(ps) == 0 {
			if ps, err = db.peersWhere(ctx, tx, "id = ? AND state <> 'revoked'", id); err != nil {
				return err
			}
		}
		if len(ps) == 0 {
			return ErrNotFound
		}
		p = ps[0]
		now := db.now().UTC()
		if err := db.revokeRow(ctx, tx, &p, by, now); err != nil {
			return err
		}
		return db.addEvent(ctx, tx, EnrolEvent{At: now, Kind: EventRevoked, DeviceName: p.DeviceName,
			PublicKey: p.PublicKey, Via: p.Via, Source: by})
	})
	return p, err
}

// AddSetupToken stores a setup token by its hash; ErrExists when the name
// (or the hash) is taken.
func (db *DB) AddSetupToken(ctx context.Context, name, hash string, maxUses int, expires time.Time, by string) error {
	res, err := db.sql.ExecContext(ctx, db.rebind(`INSERT INTO setup_tokens (name, sha256, max_uses, uses, expires_at,
		created_at, created_by, from_file) VALUES (?, ?, ?, 0, ?, ?, ?, 0) ON CONFLICT DO NOTHING`),
		name, hash, maxUses, expires.UTC().UnixMilli(), db.now().UTC().UnixMilli(), by)
	if err != nil {
		return fmt.Errorf("serverdb: setup token: %w", err)
	}
	if n, err := res.RowsAffected(); err != nil {
		return fmt.Errorf("serverdb: setup token: %w", err)
	} else if n == 0 {
		return ErrExists
	}
	return nil
}

// UpsertFileTokens brings the tokens of setup_tokens_file into the
// database: a new name is added, a known one gets the file's hash, uses
// and expiry (its count of uses is kept), and a token from the file no
// longer listed is revoked (by "file"). A name already taken by a token
// made with the CLI is ErrExists and changes nothing.
func (db *DB) UpsertFileTokens(ctx context.Context, tokens []FileToken) error {
	return db.inTx(ctx, func(tx *sql.Tx) error {
		now := db.now().UTC().UnixMilli()
		listed := map[string]bool{}
		for _, t := range tokens {
			listed[t.Name] = true
			res, err := tx.ExecContext(ctx, db.rebind(`INSERT INTO setup_tokens (name, sha256, max_uses, uses, expires_at,
				created_at, created_by, from_file) VALUES (?, ?, ?, 0, ?, ?, 'file', 1)
				ON CONFLICT (name) DO UPDATE SET sha256 = excluded.sha256, max_uses = excluded.max_uses,
				expires_at = excluded.expires_at WHERE setup_tokens.from_file = 1`),
				t.Name, t.Hash, t.MaxUses, t.Expires.UTC().UnixMilli(), now)
			if err != nil {
				if retryable(err) || strings.Contains(err.Error(), "UNIQUE") {
					return fmt.Errorf("%w: setup token %q: its hash is another token's", ErrExists, t.Name)
				}
				return err
			}
			if n, err := res.RowsAffected(); err != nil {
				return err
			} else if n == 0 {
				return fmt.Errorf("%w: setup token %q was made with the CLI", ErrExists, t.Name)
			}
		}
		rows, err := tx.QueryContext(ctx, "SELECT name FROM setup_tokens WHERE from_file = 1 AND revoked_at IS NULL")
		if err != nil {
			return err
		}
		var gone []string
		for rows.Next() {
			var n string
			if err := rows.Scan(&n); err != nil {
				rows.Close()
				return err
			}
			if !listed[n] {
				gone = append(gone, n)
			}
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return err
		}
		for _, n := range gone {
			if _, err := tx.ExecContext(ctx, db.rebind("UPDATE setup_tokens SET revoked_at = ?, revoked_by = 'file' WHERE name = ?"), now, n); err != nil {
				return err
			}
		}
		return nil
	})
}

// SetupTokens are the setup tokens by name.
func (db *DB) SetupTokens(ctx context.Context) ([]SetupToken, error) {
	rows, err := db.sql.QueryContext(ctx, `SELECT name, max_uses, uses, expires_at, created_at, created_by, from_file,
		revoked_at FROM setup_tokens ORDER BY name`)
	if err != nil {
		return nil, fmt.Errorf("serverdb: setup tokens: %w", err)
	}
	defer rows.Close()
	var out []SetupToken
	for rows.Next() {
		var (
			t                SetupToken
			expires, created int64
			fromFile         int64
			revoked          sql.NullInt64
		)
		if err := rows.Scan(&t.Name, &t.MaxUses, &t.Uses, &expires, &created, &t.CreatedBy, &fromFile, &revoked); err != nil {
			return nil, fmt.Errorf("serverdb: setup tokens: %w", err)
		}
		t.Expires, t.CreatedAt = time.UnixMilli(expires).UTC(), time.UnixMilli(created).UTC()
		t.FromFile, t.Revoked = fromFile != 0, revoked.Valid
		out = append(out, t)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("serverdb: setup tokens: %w", err)
	}
	return out, nil
}

// RevokeSetupToken revokes a setup token by name: it enrols no one from
// now on; peers it enrolled stay. ErrNotFound when there is no such token
// not yet revoked.
func (db *DB) RevokeSetupToken(ctx context.Context, name, by string) error {
	res, err := db.sql.ExecContext(ctx, db.rebind(`UPDATE setup_tokens SET revoked_at = ?, revoked_by = ?
		WHERE name = ? AND revoked_at IS NULL`), db.now().UTC().UnixMilli(), by, name)
	if err != nil {
		return fmt.Errorf("serverdb: setup token: %w", err)
	}
	if n, err := res.RowsAffected(); err != nil {
		return fmt.Errorf("serverdb: setup token: %w", err)
	} else if n == 0 {
		return ErrNotFound
	}
	return nil
}

// AddEnrolCode stores a one-time code for person by its hash.
func (db *DB) AddEnrolCode(ctx context.Context, person, hash string, expires time.Time, by string) (EnrolCode, error) {
	now := db.now().UTC()
	c := EnrolCode{Person: person, Expires: time.UnixMilli(expires.UTC().UnixMilli()).UTC(),
		CreatedAt: time.UnixMilli(now.UnixMilli()).UTC(), CreatedBy: by}
	err := db.sql.QueryRowContext(ctx, db.rebind(`INSERT INTO enrol_codes (person, sha256, expires_at, created_at, created_by)
		VALUES (?, ?, ?, ?, ?) ON CONFLICT DO NOTHING RETURNING id`),
		person, hash, c.Expires.UnixMilli(), c.CreatedAt.UnixMilli(), by).Scan(&c.ID)
	if errors.Is(err, sql.ErrNoRows) {
		return EnrolCode{}, ErrExists
	}
	if err != nil {
		return EnrolCode{}, fmt.Errorf("serverdb: enrolment code: %w", err)
	}
	return c, nil
}

// EnrolCodes are the one-time codes, oldest first: those still usable,
// and with includeSpent also those used or expired.
func (db *DB) EnrolCodes(ctx context.Context, includeSpent bool) ([]EnrolCode, error) {
	q := "SELECT id, person, expires_at, created_at, created_by, used_at, used_by FROM enrol_codes"
	var args []any
	if !includeSpent {
		q += " WHERE used_at IS NULL AND expires_at > ?"
		args = append(args, db.now().UTC().UnixMilli())
	}
	rows, err := db.sql.QueryContext(ctx, db.rebind(q+" ORDER BY id"), args...)
	if err != nil {
		return nil, fmt.Errorf("serverdb: enrolment codes: %w", err)
	}
	defer rows.Close()
	var out []EnrolCode
	for rows.Next() {
		var (
			c                EnrolCode
			expires, created int64
			used             sql.NullInt64
			usedBy           sql.NullString
		)
		if err := rows.Scan(&c.ID, &c.Person, &expires, &created, &c.CreatedBy, &used, &usedBy); err != nil {
			return nil, fmt.Errorf("serverdb: enrolment codes: %w", err)
		}
		c.Expires, c.CreatedAt = time.UnixMilli(expires).UTC(), time.UnixMilli(created).UTC()
		c.UsedAt, c.UsedBy = msTime(used), usedBy.String
		out = append(out, c)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("serverdb: enrolment codes: %w", err)
	}
	return out, nil
}

func (db *DB) addEvent(ctx context.Context, q interface {
	ExecContext(context.Context, string, ...any) (sql.Result, error)
}, e EnrolEvent) error {
	if e.At.IsZero() {
		e.At = db.now()
	}
	_, err := q.ExecContext(ctx, db.rebind(`INSERT INTO enrol_events (at, kind, code, device_name, public_key, via, source)
		VALUES (?, ?, ?, ?, ?, ?, ?)`), e.At.UTC().UnixMilli(), e.Kind, e.Code, e.DeviceName, e.PublicKey, e.Via, e.Source)
	if err != nil {
		return fmt.Errorf("serverdb: enrolment event: %w", err)
	}
	return nil
}

// AddEnrolEvent logs an event (a refusal; Enrol and RevokePeer log their
// own). A zero At is now.
func (db *DB) AddEnrolEvent(ctx context.Context, e EnrolEvent) error {
	return db.addEvent(ctx, db.sql, e)
}

// EnrolEvents are the newest events, newest first, at most limit.
func (db *DB) EnrolEvents(ctx context.Context, limit int) ([]EnrolEvent, error) {
	rows, err := db.sql.QueryContext(ctx, db.rebind(`SELECT at, kind, code, device_name, public_key, via, source
		FROM enrol_events ORDER BY id DESC LIMIT ?`), limit)
	if err != nil {
		return nil, fmt.Errorf("serverdb: enrolment events: %w", err)
	}
	defer rows.Close()
	var out []EnrolEvent
	for rows.Next() {
		var e EnrolEvent
		var at int64
		if err := rows.Scan(&at, &e.Kind, &e.Code, &e.DeviceName, &e.PublicKey, &e.Via, &e.Source); err != nil {
			return nil, fmt.Errorf("serverdb: enrolment events: %w", err)
		}
		e.At = time.UnixMilli(at).UTC()
		out = append(out, e)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("serverdb: enrolment events: %w", err)
	}
	return out, nil
}
