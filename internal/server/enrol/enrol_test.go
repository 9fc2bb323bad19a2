package enrol

import (
	"bytes"
	"context"
	"fmt"
	"net/netip"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"aead.dev/minisign"

	"relais/internal/enrolment"
	"relais/internal/server/db"
)

// Every answer of the contract, over HTTP, against SQLite and PostgreSQL:
// 201 with addresses, the server's key and a grant that verifies; the
// retry 200 with the same; each refusal code; re-enrolment replacing the
// old peer on the interface; revocation; the status endpoint; the log.
func TestEnrolHTTP(t *testing.T) {
	t.Parallel()
	eachBackend(t, func(t *testing.T, opts db.Options) {
		now := time.Now().UTC()
		opts.Now = func() time.Time { return now }
		d := openDB(t, opts)
		c := tctx(t)
		gw := newFakeGateway("")
		pub, priv, err := minisign.GenerateKey(nil)
		if err != nil {
			t.Fatal(err)
		}
		s := newService(t, Options{DB: d, Gateway: gw, Pools: pools("10.20.0.0/30", "fd00:20::/64"), GrantKey: &priv,
			Now: func() time.Time { return now }})
		cl := serve(t, s.Handler())

		tok := enrolment.NewSetupToken()
		if err := d.AddSetupToken(c, "rentree", enrolment.Hash(tok), 3, now.Add(time.Hour), "alice"); err != nil {
			t.Fatal(err)
		}
		k1 := wgKey(t)
		st, code, r := cl.enrol(tok, k1, "PC-Zoé")
		if st != 201 || code != "" || strings.Join(r.Addresses, " ") != "10.20.0.1/32 fd00:20::1/128" || r.ServerPublicKey != gw.key {
			t.Fatalf("%d %s %+v", st, code, r)
		}
		addrs, err := enrolment.VerifyGrant([]byte(r.Grant), []byte(r.GrantSignature), pub, k1)
		if err != nil || len(addrs) != 2 || addrs[0].String() != "10.20.0.1/32" {
			t.Fatalf("grant: %v %v", addrs, err)
		}
		if got := gw.addrs(k1); len(got) != 2 {
			t.Fatalf("interface: %v", gw.peers)
		}
		// The laptop retries after a lost answer: same addresses, no use taken.
		st, _, r2 := cl.enrol(tok, k1, "PC-Zoé")
		if st != 200 || strings.Join(r2.Addresses, " ") != strings.Join(r.Addresses, " ") {
			t.Fatalf("retry: %d %+v", st, r2)
		}
		if toks, _ := d.SetupTokens(c); toks[0].Uses != 1 {
			t.Fatalf("uses %d after a retry", toks[0].Uses)
		}
		if st, code, _ := cl.enrol(tok, k1, "PC-other"); st != 409 || code != enrolment.CodeKeyInUse {
			t.Fatalf("key of another device: %d %s", st, code)
		}
		// Re-enrolling PC-Zoé with a new key replaces its peer.
		k2 := wgKey(t)
		if st, _, r := cl.enrol(tok, k2, "PC-Zoé"); st != 201 || r.Addresses[0] != "10.20.0.1/32" {
			t.Fatalf("re-enrol: %d %+v", st, r)
		}
		if gw.has(k1) {
			t.Fatal("the replaced peer is still on the interface")
		}
		if st, code, _ := cl.enrol(tok, k1, "PC-Zoé"); st != 403 || code != enrolment.CodeRevoked {
			t.Fatalf("revoked key: %d %s", st, code)
		}
		k3 := wgKey(t)
		if st, _, _ := cl.enrol(tok, k3, "PC-3"); st != 201 {
			t.Fatalf("third: %d", st)
		}
		// A /30 has two hosts: pool exhausted (and the use not taken).
		tok2 := enrolment.NewSetupToken()
		if err := d.AddSetupToken(c, "deux", enrolment.Hash(tok2), 5, now.Add(time.Hour), "alice"); err != nil {
			t.Fatal(err)
		}
		if st, code, _ := cl.enrol(tok2, wgKey(t), "PC-4"); st != 503 || code != enrolment.CodePoolExhausted {
			t.Fatalf("exhausted: %d %s", st, code)
		}
		if st, code, _ := cl.enrol(tok, wgKey(t), "PC-5"); st != 403 || code != enrolment.CodeTokenUsedUp {
			t.Fatalf("used up: %d %s", st, code)
		}
		if st, code, _ := cl.enrol(enrolment.NewSetupToken(), wgKey(t), "PC-5"); st != 403 || code != enrolment.CodeTokenUnknown {
			t.Fatalf("unknown: %d %s", st, code)
		}
		if st, code, _ := cl.enrol(enrolment.NewCode(), wgKey(t), "PC-5"); st != 403 || code != enrolment.CodeTokenUnknown {
			t.Fatalf("unknown code: %d %s", st, code)
		}
		old := enrolment.NewSetupToken()
		if err := d.AddSetupToken(c, "vieux", enrolment.Hash(old), 5, now.Add(-time.Second), "alice"); err != nil {
			t.Fatal(err)
		}
		if st, code, _ := cl.enrol(old, wgKey(t), "PC-5"); st != 403 || code != enrolment.CodeTokenExpired {
			t.Fatalf("expired: %d %s", st, code)
		}
		if st, code, _ := cl.enrol(tok, "not-a-key", "PC-5"); st != 400 || code != enrolment.CodeBadKey {
			t.Fatalf("bad key: %d %s", st, code)
		}
		if st, code, _ := cl.enrol(tok, wgKey(t), "PC\x07"); st != 400 || code != enrolment.CodeBadName {
			t.Fatalf("bad name: %d %s", st, code)
		}
		if st, body, _ := cl.post(enrolment.Path, `{"token": 1}`); st != 400 || enrolment.ParseErrorBody(body) != enrolment.CodeBadRequest {
			t.Fatalf("bad request: %d %s", st, body)
		}
		if st, body, _ := cl.post(enrolment.Path, strings.Repeat(" ", enrolment.MaxRequestBytes+10)); st != 400 ||
			enrolment.ParseErrorBody(body) != enrolment.CodeBadRequest {
			t.Fatalf("overlong: %d %s", st, body)
		}
		// Revocation: row, then interface; status says so.
		p, err := s.Revoke(c, k3, "bob")
		if err != nil || p.State != db.PeerRevoked {
			t.Fatal(p, err)
		}
		if gw.has(k3) {
			t.Fatal("revoked peer on the interface")
		}
		for key, want := range map[string]string{k2: enrolment.StatusActive, k3: enrolment.StatusRevoked, wgKey(t): enrolment.StatusUnknown} {
			st, body, _ := cl.post(enrolment.StatusPath, enrolment.StatusRequest{PublicKey: key})
			if st != 200 || !strings.Contains(string(body), `"`+want+`"`) {
				t.Fatalf("status of %s: %d %s, want %s", key, st, body, want)
			}
		}
		if st, body, _ := cl.post(enrolment.StatusPath, `{"public_key":"x"}`); st != 400 || enrolment.ParseErrorBody(body) != enrolment.CodeBadKey {
			t.Fatalf("status bad key: %d %s", st, body)
		}
		evs, err := d.EnrolEvents(c, 100)
		if err != nil {
			t.Fatal(err)
		}
		kinds := map[string]int{}
		for _, e := range evs {
			kinds[e.Kind+":"+e.Code]++
			if e.Kind == db.EventEnrolled && (e.DeviceName == "" || e.PublicKey == "" || e.Source == "") {
				t.Errorf("event without device, key or source: %+v", e)
			}
		}
		for _, want := range []string{"enrolled:", "reenrolled:", "revoked:", "refused:key_in_use", "refused:revoked",
			"refused:pool_exhausted", "refused:token_used_up", "refused:token_unknown", "refused:token_expired",
			"refused:bad_key", "refused:bad_device_name", "refused:bad_request"} {
			if kinds[want] == 0 {
				t.Errorf("no event %s in %v", want, kinds)
			}
		}
	})
}

// A one-time code enrols one device once; the code never reaches the
// database (the SQLite file, WAL included, is searched for it and for the
// setup token), and an IPv6-only pool works.
func TestCodeAndNoSecretInDB(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	d := openDB(t, db.Options{DataDir: dir})
	c := tctx(t)
	gw := newFakeGateway("")
	s := newService(t, Options{DB: d, Gateway: gw, Pools: pools("fd00:30::/120")})
	cl := serve(t, s.Handler())
	code := enrolment.NewCode()
	if _, err := d.AddEnrolCode(c, "Zoé", enrolment.Hash(code), time.Now().Add(8*time.Hour), "helpdesk"); err != nil {
		t.Fatal(err)
	}
	tok := enrolment.NewSetupToken()
	if err := d.AddSetupToken(c, "t", enrolment.Hash(tok), 5, time.Now().Add(time.Hour), "alice"); err != nil {
		t.Fatal(err)
	}
	// Read over the phone: lower case, spaces instead of the hyphen.
	spoken := strings.ToLower(strings.ReplaceAll(code, "-", " "))
	st, errCode, r := cl.enrol(spoken, wgKey(t), "PC-Zoé")
	if st != 201 || strings.Join(r.Addresses, " ") != "fd00:30::1/128" || r.Grant != "" {
		t.Fatalf("%d %s %+v", st, errCode, r)
	}
	if st, errCode, _ := cl.enrol(code, wgKey(t), "PC-autre"); st != 403 || errCode != enrolment.CodeTokenUsedUp {
		t.Fatalf("second use: %d %s", st, errCode)
	}
	if st, _, _ := cl.enrol(tok, wgKey(t), "PC-2"); st != 201 {
		t.Fatal(st)
	}
	peers, _ := d.Peers(c, false)
	if len(peers) != 2 || peers[0].Via != "code:Zoé" || peers[1].Via != "token:t" {
		t.Fatalf("%+v", peers)
	}
	files, _ := filepath.Glob(filepath.Join(dir, db.FileName+"*"))
	if len(files) == 0 {
		t.Fatal("no database file")
	}
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		for _, secret := range []string{code, enrolment.NormalizeSecret(code), tok} {
			if bytes.Contains(b, []byte(secret)) {
				t.Fatalf("%s holds a secret", filepath.Base(f))
			}
		}
		if !bytes.Contains(b, []byte(enrolment.Hash(tok))) && strings.HasSuffix(f, ".db") && len(files) == 1 {
			t.Fatalf("%s: the token's hash is not there either: is this the database?", f)
		}
	}
}

// countingLimiter blocks a source after max failures (the server's token
// bucket in production).
type countingLimiter struct {
	mu   sync.Mutex
	max  int
	fail map[netip.Addr]int
}

func (l *countingLimiter) Blocked(src netip.Addr, _ time.Time) (bool, time.Duration) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.fail[src] >= l.max, time.Minute
}

func (l *countingLimiter) Failed(src netip.Addr, _ time.Time) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.fail[src]++
}

// Failed guesses count against the source; successes do not; once
// blocked, even the right code is refused 429 with Retry-After.
func TestRateLimitedGuesses(t *testing.T) {
	t.Parallel()
	d := openDB(t, db.Options{DataDir: t.TempDir()})
	c := tctx(t)
	lim := &countingLimiter{max: 3, fail: map[netip.Addr]int{}}
	s := newService(t, Options{DB: d, Gateway: newFakeGateway(""), Pools: pools("10.0.0.0/24"), Limiter: lim})
	cl := serve(t, s.Handler())
	tok := enrolment.NewSetupToken()
	if err := d.AddSetupToken(c, "t", enrolment.Hash(tok), 100, time.Now().Add(time.Hour), "alice"); err != nil {
		t.Fatal(err)
	}
	for i := 0; i < 5; i++ {
		if st, _, _ := cl.enrol(tok, wgKey(t), fmt.Sprintf("PC-%d", i)); st != 201 {
			t.Fatalf("success %d: %d", i, st)
		}
	}
	for i := 0; i < 3; i++ {
		if st, code, _ := cl.enrol(enrolment.NewCode(), wgKey(t), "PC-x"); code != enrolment.CodeTokenUnknown {
			t.Fatalf("guess %d: %d %s", i, st, code)
		}
	}
	st, body, h := cl.post(enrolment.Path, enrolment.Request{Token: tok, PublicKey: wgKey(t), DeviceName: "PC-y"})
	if st != 429 || enrolment.ParseErrorBody(body) != enrolment.CodeRateLimited || h.Get("Retry-After") == "" {
		t.Fatalf("%d %s %v", st, body, h)
	}
}

// Without [wireguard], 404 not_enabled.
func TestNotEnabled(t *testing.T) {
	t.Parallel()
	cl := serve(t, NotEnabled())
	st, code, _ := cl.enrol(enrolment.NewSetupToken(), wgKey(t), "PC")
	if st != 404 || code != enrolment.CodeNotEnabled {
		t.Fatalf("%d %s", st, code)
	}
}

// The interface refusing the peer: 503 unavailable, the row stays
// pending; reconciliation adds it once the interface is back, and the
// laptop's retry then gets the same addresses.
func TestInterfaceFailureThenReconcile(t *testing.T) {
	t.Parallel()
	d := openDB(t, db.Options{DataDir: t.TempDir()})
	c := tctx(t)
	gw := newFakeGateway("")
	s := newService(t, Options{DB: d, Gateway: gw, Pools: pools("10.0.0.0/24")})
	cl := serve(t, s.Handler())
	tok := enrolment.NewSetupToken()
	if err := d.AddSetupToken(c, "t", enrolment.Hash(tok), 1, time.Now().Add(time.Hour), "alice"); err != nil {
		t.Fatal(err)
	}
	k := wgKey(t)
	gw.setFail(errBroken)
	if st, code, _ := cl.enrol(tok, k, "PC"); st != 503 || code != enrolment.CodeUnavailable {
		t.Fatalf("%d %s", st, code)
	}
	if ps, _ := d.Peers(c, false); len(ps) != 1 || ps[0].State != db.PeerPending {
		t.Fatalf("%+v", ps)
	}
	if _, err := s.Reconcile(c); err == nil {
		t.Fatal("reconcile with a broken interface: no error")
	}
	gw.setFail(nil)
	if r, err := s.Reconcile(c); err != nil || r.Added != 1 || r.Activated != 1 {
		t.Fatalf("%+v %v", r, err)
	}
	if st, _, r := cl.enrol(tok, k, "PC"); st != 200 || r.Addresses[0] != "10.0.0.1/32" {
		t.Fatalf("retry: %d %+v", st, r)
	}
}

// Reconciliation: a pending row gets its peer; wrong allowed IPs are put
// right; a revoked row's peer goes; a peer with no row goes when it holds
// a pool address, and is left alone outside the pool unless
// remove_unknown_peers.
func TestReconcile(t *testing.T) {
	t.Parallel()
	for _, removeUnknown := range []bool{false, true} {
		t.Run(fmt.Sprint("remove_unknown=", removeUnknown), func(t *testing.T) {
			t.Parallel()
			d := openDB(t, db.Options{DataDir: t.TempDir()})
			c := tctx(t)
			gw := newFakeGateway("")
			s := newService(t, Options{DB: d, Gateway: gw, Pools: pools("10.0.0.0/24"), RemoveUnknownPeers: removeUnknown})
			if err := d.AddSetupToken(c, "t", "h", 10, time.Now().Add(time.Hour), "alice"); err != nil {
				t.Fatal(err)
			}
			ka, kb, kc := wgKey(t), wgKey(t), wgKey(t)
			a, _ := d.Enrol(c, db.EnrolRequest{Hash: "h", PublicKey: ka, DeviceName: "a", Pools: s.o.Pools})
			b, _ := d.Enrol(c, db.EnrolRequest{Hash: "h", PublicKey: kb, DeviceName: "b", Pools: s.o.Pools})
			if _, err := d.Enrol(c, db.EnrolRequest{Hash: "h", PublicKey: kc, DeviceName: "c", Pools: s.o.Pools}); err != nil {
				t.Fatal(err)
			}
			if _, err := d.RevokePeer(c, kc, "bob"); err != nil {
				t.Fatal(err)
			}
			gw.peers[kb] = pools("10.0.0.99/32")     // wrong address
			gw.peers[kc] = pools("10.0.0.3/32")      // revoked
			inPool, outside := wgKey(t), wgKey(t)    // no rows
			gw.peers[inPool] = pools("10.0.0.50/32") // inside the pool
			gw.peers[outside] = pools("192.168.7.0/24")
			r, err := s.Reconcile(c)
			if err != nil {
				t.Fatal(err)
			}
			wantRemoved, wantUnknown := 2, 1
			if removeUnknown {
				wantRemoved, wantUnknown = 3, 2
			}
			if r.Added != 2 || r.Activated != 2 || r.Removed != wantRemoved || r.Unknown != wantUnknown {
				t.Fatalf("%+v", r)
			}
			if fmt.Sprint(gw.peers[ka]) != fmt.Sprint(a.Peer.Addresses) || fmt.Sprint(gw.peers[kb]) != fmt.Sprint(b.Peer.Addresses) {
				t.Fatalf("%v", gw.peers)
			}
			_, hasOutside := gw.peers[outside]
			if _, on := gw.peers[kc]; on || hasOutside == removeUnknown {
				t.Fatalf("%v", gw.peers)
			}
			if _, on := gw.peers[inPool]; on {
				t.Fatal("unknown pool peer kept")
			}
			// Nothing left to do.
			if r, err := s.Reconcile(c); err != nil || r != (Report{}) {
				t.Fatalf("second pass %+v %v", r, err)
			}
			ps, _ := d.Peers(c, false)
			for _, p := range ps {
				if p.State != db.PeerActive {
					t.Fatalf("%+v", p)
				}
			}
		})
	}
}

// Two servers on one PostgreSQL (two SQLite handles on one file),
// enrolling concurrently over HTTP: no address twice, every laptop one
// peer.
func TestTwoServersConcurrent(t *testing.T) {
	t.Parallel()
	eachBackend(t, func(t *testing.T, opts db.Options) {
		d1, d2 := openDB(t, opts), openDB(t, opts)
		c := tctx(t)
		gw := newFakeGateway("")
		s1 := newService(t, Options{DB: d1, Gateway: gw, Pools: pools("10.5.0.0/16")})
		s2 := newService(t, Options{DB: d2, Gateway: gw, Pools: pools("10.5.0.0/16")})
		cl := []client{serve(t, s1.Handler()), serve(t, s2.Handler())}
		tok := enrolment.NewSetupToken()
		if err := d1.AddSetupToken(c, "t", enrolment.Hash(tok), 1000, time.Now().Add(time.Hour), "alice"); err != nil {
			t.Fatal(err)
		}
		const n = 80
		var wg sync.WaitGroup
		var mu sync.Mutex
		seen := map[string]int{}
		for i := 0; i < n; i++ {
			wg.Add(1)
			go func() {
				defer wg.Done()
				k := wgKey(t)
				st, code, r := cl[i%2].enrol(tok, k, fmt.Sprintf("PC-%d", i))
				if st != 201 {
					t.Errorf("%d: %d %s", i, st, code)
					return
				}
				mu.Lock()
				defer mu.Unlock()
				for _, a := range r.Addresses {
					if j, dup := seen[a]; dup {
						t.Errorf("%s given to %d and %d", a, j, i)
					}
					seen[a] = i
				}
			}()
		}
		wg.Wait()
		if len(seen) != n || gw.count() != n {
			t.Fatalf("%d addresses, %d peers", len(seen), len(gw.peers))
		}
	})
}

// The real interface: wgctrl over wireguard-go's UAPI socket adds,
// replaces and removes peers, and reads the interface's key.
func TestWireGuardGateway(t *testing.T) {
	l := newWGLab(t)
	c := tctx(t)
	if _, err := OpenWireGuard(c, "relais-nope0"); gwCode(err) != GatewayMissing {
		t.Fatalf("missing interface: %v", err)
	}
	w, err := OpenWireGuard(c, l.ifc)
	if err != nil {
		t.Fatal(err)
	}
	defer w.Close()
	if k, err := w.PublicKey(c); err != nil || k != l.key.PublicKey().String() {
		t.Fatalf("%s %v", k, err)
	}
	k := wgKey(t)
	if err := w.AddPeer(c, k, pools("10.0.0.1/32", "fd00::1/128")); err != nil {
		t.Fatal(err)
	}
	if err := w.AddPeer(c, k, pools("10.0.0.2/32")); err != nil {
		t.Fatal(err)
	}
	if got := l.wgPeers(t)[k]; got != "10.0.0.2/32" {
		t.Fatalf("wg says %q", got)
	}
	ps, err := w.Peers(c)
	if err != nil || fmt.Sprint(ps[k]) != "[10.0.0.2/32]" {
		t.Fatalf("%v %v", ps, err)
	}
	if err := w.RemovePeer(c, k); err != nil {
		t.Fatal(err)
	}
	if err := w.RemovePeer(c, k); err != nil {
		t.Fatalf("removing an absent peer: %v", err)
	}
	if len(l.wgPeers(t)) != 0 {
		t.Fatal(l.wgPeers(t))
	}
}

// gwCode is a GatewayError's code.
func gwCode(err error) string {
	if ge, ok := err.(*GatewayError); ok {
		return ge.Code
	}
	return ""
}

// racingGateway runs onAdd just before each AddPeer lands.
type racingGateway struct {
	*fakeGateway
	onAdd func(key string)
}

func (g racingGateway) AddPeer(ctx context.Context, key string, addrs []netip.Prefix) error {
	g.onAdd(key)
	return g.fakeGateway.AddPeer(ctx, key, addrs)
}

// A revocation that completes while reconciliation is adding the same
// peer back (row read live, then revoked and removed, then added): the
// peer does not stay on the interface.
func TestReconcileRacingRevoke(t *testing.T) {
	t.Parallel()
	d := openDB(t, db.Options{DataDir: t.TempDir()})
	c := tctx(t)
	fake := newFakeGateway("")
	if err := d.AddSetupToken(c, "t", "h", 10, time.Now().Add(time.Hour), "alice"); err != nil {
		t.Fatal(err)
	}
	k := wgKey(t)
	if _, err := d.Enrol(c, db.EnrolRequest{Hash: "h", PublicKey: k, DeviceName: "PC", Pools: pools("10.0.0.0/24")}); err != nil {
		t.Fatal(err)
	}
	var s *Service
	once := false
	gw := racingGateway{fake, func(key string) {
		if key == k && !once {
			once = true
			if _, err := s.Revoke(c, k, "bob"); err != nil {
				t.Error(err)
			}
		}
	}}
	s = newService(t, Options{DB: d, Gateway: gw, Pools: pools("10.0.0.0/24")})
	if _, err := s.Reconcile(c); err != nil {
		t.Fatal(err)
	}
	if !once || fake.has(k) {
		t.Fatalf("race not run (%v) or the revoked peer is back on the interface", once)
	}
}
