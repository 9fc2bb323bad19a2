package backend

import (
	"context"
	"crypto/rand"
	"net/http/httptest"
	"net/netip"
	"sync"
	"testing"
	"time"

	"aead.dev/minisign"

	"relais/internal/config"
	"relais/internal/enrolment"
	"relais/internal/server/db"
	"relais/internal/server/enrol"
)

// memGateway is the gateway's WireGuard interface in memory: the only
// part not real in this test (the end-to-end test runs wireguard-go).
type memGateway struct {
	mu    sync.Mutex
	peers map[string][]netip.Prefix
}

func (g *memGateway) PublicKey(context.Context) (string, error) { return exampleServerKey, nil }

func (g *memGateway) Peers(context.Context) (map[string][]netip.Prefix, error) {
	g.mu.Lock()
	defer g.mu.Unlock()
	out := map[string][]netip.Prefix{}
	for k, v := range g.peers {
		out[k] = v
	}
	return out, nil
}

func (g *memGateway) AddPeer(_ context.Context, key string, addrs []netip.Prefix) error {
	g.mu.Lock()
	defer g.mu.Unlock()
	g.peers[key] = addrs
	return nil
}

func (g *memGateway) RemovePeer(_ context.Context, key string) error {
	g.mu.Lock()
	defer g.mu.Unlock()
	delete(g.peers, key)
	return nil
}

// The laptop against the organisation's real enrolment service (its real
// SQLite database, its HTTP handler, its grants): enrolled with the managed
// setup token, the grant verified with the profile's key; the same again
// is a repeat; revoked by IT, a failing handshake learns it; the setup
// token does not enrol it again, the helpdesk's one-time code does, with a
// new key.
func TestEnrolAgainstTheServer(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	sdb, err := db.Open(ctx, db.Options{DataDir: t.TempDir()})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { sdb.Close() })
	pk, sk, err := minisign.GenerateKey(rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	gw := &memGateway{peers: map[string][]netip.Prefix{}}
	svc, err := enrol.New(ctx, enrol.Options{DB: sdb, Gateway: gw, Pools: []netip.Prefix{netip.MustParsePrefix("10.20.128.0/17")}, GrantKey: &sk})
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(svc.Handler())
	t.Cleanup(srv.Close)
	tok := enrolment.NewSetupToken()
	if err := sdb.AddSetupToken(ctx, "rentree", enrolment.Hash(tok), 10, time.Now().Add(time.Hour), "alice"); err != nil {
		t.Fatal(err)
	}

	sec := section(srv.URL+enrolment.Path) + "public_key = \"" + pk.String() + "\"\n"
	em := newEnrolMachine(t, &config.Managed{EnrolToken: tok}, sec)
	res, err := em.Enrol(ctx, EnrolOptions{DeviceName: "PC-ACCUEIL-03"})
	if err != nil {
		t.Fatal(err)
	}
	if !res.Granted || len(res.Identity.Addresses) != 1 || len(gw.peers[res.Identity.PublicKey]) != 1 {
		t.Fatalf("%+v, gateway %v", res, gw.peers)
	}
	again, err := em.Enrol(ctx, EnrolOptions{DeviceName: "PC-ACCUEIL-03"})
	if err != nil || !again.Reused || again.Identity.Addresses[0] != res.Identity.Addresses[0] {
		t.Fatalf("repeat: %+v %v", again, err)
	}
	if st, err := em.EnrolmentStatus(ctx); err != nil || st != enrolment.StatusActive {
		t.Fatalf("status %q %v", st, err)
	}

	if _, err := svc.Revoke(ctx, res.Identity.PublicKey, "alice"); err != nil {
		t.Fatal(err)
	}
	em.advance(EnrolStatusEvery)
	if !em.Revoked(ctx) {
		t.Fatal("the revocation is not seen")
	}
	_, err = em.Enrol(ctx, EnrolOptions{DeviceName: "PC-ACCUEIL-03"})
	wantCode(t, err, enrolment.CodeRevoked)
	if id, _ := em.identity(t); id.PublicKey != res.Identity.PublicKey {
		t.Fatal("a refusal changed the identity")
	}

	code := enrolment.NewCode()
	if _, err := sdb.AddEnrolCode(ctx, "Agent d'accueil", enrolment.Hash(code), time.Now().Add(time.Hour), "bob"); err != nil {
		t.Fatal(err)
	}
	back, err := em.Enrol(ctx, EnrolOptions{Code: code, DeviceName: "PC-ACCUEIL-03"})
	if err != nil {
		t.Fatal(err)
	}
	if back.Reused || back.Identity.PublicKey == res.Identity.PublicKey || len(gw.peers[back.Identity.PublicKey]) != 1 || !back.Granted {
		t.Fatalf("re-enrolled: %+v", back)
	}
	em.advance(EnrolStatusEvery)
	if em.Revoked(ctx) {
		t.Fatal("the new key is said revoked")
	}
}
