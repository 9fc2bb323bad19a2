package db_test

import (
	"errors"
	"fmt"
	"net/netip"
	"sync"
	"testing"
	"time"

	"relais/internal/server/db"
)

var t0 = time.Date(2026, 12, 6, 8, 0, 0, 0, time.UTC)

func key(i int) string {
	b := make([]byte, 32)
	b[0], b[1], b[31] = byte(i), byte(i>>8), 1
	return fmt.Sprintf("%x", b) // unique per i; the db does not check the shape
}

func req(hash, k, dev string, pools ...string) db.EnrolRequest {
	r := db.EnrolRequest{Hash: hash, PublicKey: k, DeviceName: dev, Source: "192.0.2.1"}
	for _, p := range pools {
		r.Pools = append(r.Pools, netip.MustParsePrefix(p))
	}
	return r
}

// A setup token: each enrolment takes one use and the lowest free
// address; the last use spent, the token is used up; a repeat (same key,
// same device) takes nothing and gets the same addresses; the same key
// from another device is refused, as a revoked key; expired, unknown and
// revoked tokens are refused; every enrolment and revocation is logged.
func TestEnrolSetupToken(t *testing.T) {
	t.Parallel()
	eachBackend(t, func(t *testing.T, opts db.Options) {
		now := t0
		opts.Now = func() time.Time { return now }
		d := open(t, opts)
		c := ctx(t)
		if err := d.AddSetupToken(c, "rentree", "h1", 2, t0.Add(time.Hour), "alice"); err != nil {
			t.Fatal(err)
		}
		if err := d.AddSetupToken(c, "rentree", "h9", 2, t0.Add(time.Hour), "alice"); !errors.Is(err, db.ErrExists) {
			t.Fatalf("duplicate name: %v", err)
		}
		pool := "10.20.0.0/24"
		a, err := d.Enrol(c, req("h1", key(1), "pc-1", pool, "fd00:20::/64"))
		if err != nil || a.Repeat || a.Peer.State != db.PeerPending || a.Peer.Via != "token:rentree" ||
			fmt.Sprint(a.Peer.Addresses) != "[10.20.0.1/32 fd00:20::1/128]" {
			t.Fatalf("%+v %v", a, err)
		}
		again, err := d.Enrol(c, req("h1", key(1), "pc-1", pool, "fd00:20::/64"))
		if err != nil || !again.Repeat || again.Peer.ID != a.Peer.ID || fmt.Sprint(again.Peer.Addresses) != fmt.Sprint(a.Peer.Addresses) {
			t.Fatalf("repeat: %+v %v", again, err)
		}
		if _, err := d.Enrol(c, req("h1", key(1), "pc-other", pool)); !errors.Is(err, db.ErrKeyInUse) {
			t.Fatalf("key of another device: %v", err)
		}
		b, err := d.Enrol(c, req("h1", key(2), "pc-2", pool))
		if err != nil || fmt.Sprint(b.Peer.Addresses) != "[10.20.0.2/32]" {
			t.Fatalf("%+v %v", b, err)
		}
		if _, err := d.Enrol(c, req("h1", key(3), "pc-3", pool)); !errors.Is(err, db.ErrTokenUsedUp) {
			t.Fatalf("third use of two: %v", err)
		}
		toks, err := d.SetupTokens(c)
		if err != nil || len(toks) != 1 || toks[0].Uses != 2 || toks[0].MaxUses != 2 || toks[0].CreatedBy != "alice" ||
			!toks[0].Expires.Equal(t0.Add(time.Hour)) || toks[0].FromFile || toks[0].Revoked {
			t.Fatalf("%+v %v", toks, err)
		}
		if _, err := d.Enrol(c, req("nope", key(3), "pc-3", pool)); !errors.Is(err, db.ErrTokenUnknown) {
			t.Fatalf("unknown: %v", err)
		}
		if err := d.AddSetupToken(c, "court", "h2", 5, t0.Add(time.Minute), "alice"); err != nil {
			t.Fatal(err)
		}
		now = t0.Add(2 * time.Minute)
		if _, err := d.Enrol(c, req("h2", key(3), "pc-3", pool)); !errors.Is(err, db.ErrTokenExpired) {
			t.Fatalf("expired: %v", err)
		}
		if err := d.AddSetupToken(c, "autre", "h3", 5, t0.Add(time.Hour), "alice"); err != nil {
			t.Fatal(err)
		}
		if err := d.RevokeSetupToken(c, "autre", "bob"); err != nil {
			t.Fatal(err)
		}
		if err := d.RevokeSetupToken(c, "autre", "bob"); !errors.Is(err, db.ErrNotFound) {
			t.Fatalf("second revoke: %v", err)
		}
		if _, err := d.Enrol(c, req("h3", key(3), "pc-3", pool)); !errors.Is(err, db.ErrTokenUnknown) {
			t.Fatalf("revoked token: %v", err)
		}
		// Revoke by id; the key is then refused, its address free again.
		r, err := d.RevokePeer(c, fmt.Sprint(a.Peer.ID), "bob")
		if err != nil || r.State != db.PeerRevoked || r.RevokedBy != "bob" || r.PublicKey != key(1) {
			t.Fatalf("%+v %v", r, err)
		}
		if _, err := d.RevokePeer(c, key(1), "bob"); !errors.Is(err, db.ErrNotFound) {
			t.Fatalf("second revoke: %v", err)
		}
		if err := d.AddSetupToken(c, "plus", "h4", 5, t0.Add(time.Hour), "alice"); err != nil {
			t.Fatal(err)
		}
		if _, err := d.Enrol(c, req("h4", key(1), "pc-1", pool)); !errors.Is(err, db.ErrKeyRevoked) {
			t.Fatalf("revoked key: %v", err)
		}
		e, err := d.Enrol(c, req("h4", key(4), "pc-4", pool))
		if err != nil || fmt.Sprint(e.Peer.Addresses) != "[10.20.0.1/32]" {
			t.Fatalf("freed address not reused: %+v %v", e, err)
		}
		if st, _ := d.KeyStatus(c, key(1)); st != db.PeerRevoked {
			t.Fatalf("status of revoked: %q", st)
		}
		if st, _ := d.KeyStatus(c, key(4)); st != db.PeerActive {
			t.Fatalf("status of pending: %q", st)
		}
		if st, _ := d.KeyStatus(c, key(99)); st != "" {
			t.Fatalf("status of unknown: %q", st)
		}
		if err := d.ActivatePeer(c, e.Peer.ID); err != nil {
			t.Fatal(err)
		}
		live, err := d.Peers(c, false)
		if err != nil || len(live) != 2 || live[0].State != db.PeerActive && live[1].State != db.PeerActive {
			t.Fatalf("%+v %v", live, err)
		}
		all, _ := d.Peers(c, true)
		if len(all) != 3 {
			t.Fatalf("all peers: %+v", all)
		}
		evs, err := d.EnrolEvents(c, 10)
		if err != nil || len(evs) != 4 || evs[0].Kind != db.EventEnrolled || evs[1].Kind != db.EventRevoked ||
			evs[0].PublicKey != key(4) || evs[0].DeviceName != "pc-4" || evs[0].Source != "192.0.2.1" {
			t.Fatalf("%+v %v", evs, err)
		}
	})
}

// A code is used once, by one device; the same device retrying gets the
// same answer.
func TestEnrolCode(t *testing.T) {
	t.Parallel()
	eachBackend(t, func(t *testing.T, opts db.Options) {
		now := t0
		opts.Now = func() time.Time { return now }
		d := open(t, opts)
		c := ctx(t)
		code, err := d.AddEnrolCode(c, "Zoé Ñúñez", "hc", t0.Add(8*time.Hour), "helpdesk")
		if err != nil || code.ID == 0 || code.Person != "Zoé Ñúñez" {
			t.Fatalf("%+v %v", code, err)
		}
		if _, err := d.AddEnrolCode(c, "x", "hc", t0.Add(time.Hour), "helpdesk"); !errors.Is(err, db.ErrExists) {
			t.Fatalf("same hash: %v", err)
		}
		r := req("hc", key(1), "pc-zoe", "10.0.0.0/30")
		r.IsCode = true
		a, err := d.Enrol(c, r)
		if err != nil || a.Peer.Via != "code:Zoé Ñúñez" {
			t.Fatalf("%+v %v", a, err)
		}
		if b, err := d.Enrol(c, r); err != nil || !b.Repeat {
			t.Fatalf("retry: %+v %v", b, err)
		}
		r2 := req("hc", key(2), "pc-2", "10.0.0.0/30")
		r2.IsCode = true
		if _, err := d.Enrol(c, r2); !errors.Is(err, db.ErrTokenUsedUp) {
			t.Fatalf("second use: %v", err)
		}
		usable, _ := d.EnrolCodes(c, false)
		all, _ := d.EnrolCodes(c, true)
		if len(usable) != 0 || len(all) != 1 || all[0].UsedBy != "pc-zoe" || !all[0].UsedAt.Equal(t0) {
			t.Fatalf("%+v %+v", usable, all)
		}
		if _, err := d.AddEnrolCode(c, "Léa", "hd", t0.Add(time.Hour), "helpdesk"); err != nil {
			t.Fatal(err)
		}
		now = t0.Add(2 * time.Hour)
		r3 := req("hd", key(3), "pc-3", "10.0.0.0/30")
		r3.IsCode = true
		if _, err := d.Enrol(c, r3); !errors.Is(err, db.ErrTokenExpired) {
			t.Fatalf("expired code: %v", err)
		}
	})
}

// A /30 holds two hosts (network and broadcast skipped); a refused
// enrolment for want of an address takes no use of the token. Re-enrolling
// a device revokes its old peer and frees its address.
func TestEnrolPoolAndReenrol(t *testing.T) {
	t.Parallel()
	eachBackend(t, func(t *testing.T, opts db.Options) {
		d := open(t, opts)
		c := ctx(t)
		if err := d.AddSetupToken(c, "t", "h", 10, time.Now().Add(time.Hour), "alice"); err != nil {
			t.Fatal(err)
		}
		pool := "10.9.0.0/30"
		a, err := d.Enrol(c, req("h", key(1), "pc-1", pool))
		if err != nil || fmt.Sprint(a.Peer.Addresses) != "[10.9.0.1/32]" {
			t.Fatal(a, err)
		}
		rr := req("h", key(2), "pc-2", pool)
		rr.Reserved = []netip.Addr{netip.MustParseAddr("10.9.0.2")}
		if _, err := d.Enrol(c, rr); !errors.Is(err, db.ErrPoolExhausted) {
			t.Fatalf("reserved address handed out: %v", err)
		}
		if _, err := d.Enrol(c, req("h", key(2), "pc-2", pool)); err != nil {
			t.Fatal(err)
		}
		if _, err := d.Enrol(c, req("h", key(3), "pc-3", pool)); !errors.Is(err, db.ErrPoolExhausted) {
			t.Fatalf("third in a /30: %v", err)
		}
		if toks, _ := d.SetupTokens(c); toks[0].Uses != 2 {
			t.Fatalf("uses %d, want 2 (refusals take none)", toks[0].Uses)
		}
		// pc-1 with a new key: its old peer goes, its address is reused.
		b, err := d.Enrol(c, req("h", key(5), "pc-1", pool))
		if err != nil || len(b.Replaced) != 1 || b.Replaced[0].ID != a.Peer.ID || fmt.Sprint(b.Peer.Addresses) != "[10.9.0.1/32]" {
			t.Fatalf("%+v %v", b, err)
		}
		if st, _ := d.KeyStatus(c, key(1)); st != db.PeerRevoked {
			t.Fatalf("old key %q", st)
		}
		if evs, _ := d.EnrolEvents(c, 1); evs[0].Kind != db.EventReenrolled {
			t.Fatalf("%+v", evs)
		}
	})
}

// Tokens of the file: added, updated (uses kept), revoked when no longer
// listed; a CLI token's name is not taken over.
func TestUpsertFileTokens(t *testing.T) {
	t.Parallel()
	eachBackend(t, func(t *testing.T, opts db.Options) {
		d := open(t, opts)
		c := ctx(t)
		exp := time.Now().Add(time.Hour).UTC().Truncate(time.Millisecond)
		if err := d.UpsertFileTokens(c, []db.FileToken{{"a", "ha", 3, exp}, {"b", "hb", 1, exp}}); err != nil {
			t.Fatal(err)
		}
		if _, err := d.Enrol(c, req("ha", key(1), "pc-1", "10.0.0.0/24")); err != nil {
			t.Fatal(err)
		}
		if err := d.UpsertFileTokens(c, []db.FileToken{{"a", "ha2", 5, exp.Add(time.Hour)}}); err != nil {
			t.Fatal(err)
		}
		toks, _ := d.SetupTokens(c)
		if len(toks) != 2 || toks[0].Name != "a" || toks[0].Uses != 1 || toks[0].MaxUses != 5 || !toks[0].FromFile ||
			!toks[0].Expires.Equal(exp.Add(time.Hour)) || toks[0].Revoked || !toks[1].Revoked {
			t.Fatalf("%+v", toks)
		}
		if _, err := d.Enrol(c, req("ha", key(2), "pc-2", "10.0.0.0/24")); !errors.Is(err, db.ErrTokenUnknown) {
			t.Fatalf("old hash: %v", err)
		}
		if err := d.AddSetupToken(c, "cli", "hcli", 1, exp, "alice"); err != nil {
			t.Fatal(err)
		}
		if err := d.UpsertFileTokens(c, []db.FileToken{{"cli", "hx", 1, exp}}); !errors.Is(err, db.ErrExists) {
			t.Fatalf("CLI token taken over: %v", err)
		}
	})
}

// Two instances on one PostgreSQL (two SQLite handles on one file),
// enrolling concurrently with one token: every enrolment gets its own
// address, the token's uses are exact, no address is given twice.
func TestEnrolTwoInstances(t *testing.T) {
	t.Parallel()
	eachBackend(t, func(t *testing.T, opts db.Options) {
		d1, d2 := open(t, opts), open(t, opts)
		c := ctx(t)
		const n = 60
		if err := d1.AddSetupToken(c, "t", "h", n-10, time.Now().Add(time.Hour), "alice"); err != nil {
			t.Fatal(err)
		}
		if _, err := d1.AddEnrolCode(c, "p", "hc", time.Now().Add(time.Hour), "alice"); err != nil {
			t.Fatal(err)
		}
		var wg sync.WaitGroup
		errs := make([]error, n+1)
		res := make([]db.EnrolResult, n+1)
		for i := 0; i <= n; i++ {
			wg.Add(1)
			go func() {
				defer wg.Done()
				d := d1
				if i%2 == 1 {
					d = d2
				}
				r := req("h", key(i), fmt.Sprintf("pc-%d", i), "10.1.0.0/16", "fd00:1::/64")
				if i == n {
					r.Hash, r.IsCode = "hc", true
				}
				res[i], errs[i] = d.Enrol(c, r)
			}()
		}
		wg.Wait()
		seen := map[netip.Prefix]int{}
		ok, usedUp := 0, 0
		for i, err := range errs {
			switch {
			case err == nil:
				ok++
				for _, a := range res[i].Peer.Addresses {
					if j, dup := seen[a]; dup {
						t.Fatalf("%s given to %d and %d", a, j, i)
					}
					seen[a] = i
				}
			case errors.Is(err, db.ErrTokenUsedUp):
				usedUp++
			default:
				t.Fatalf("enrolment %d: %v", i, err)
			}
		}
		if ok != n-10+1 || usedUp != 10 {
			t.Fatalf("%d enrolled, %d used up", ok, usedUp)
		}
		peers, _ := d2.Peers(c, false)
		if len(peers) != ok {
			t.Fatalf("%d peers", len(peers))
		}
		// The lowest addresses, none skipped.
		for i := 1; i <= ok; i++ {
			a := netip.PrefixFrom(netip.AddrFrom4([4]byte{10, 1, byte(i >> 8), byte(i)}), 32)
			if _, in := seen[a]; !in {
				t.Fatalf("%s not handed out", a)
			}
		}
	})
}
