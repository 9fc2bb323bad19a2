package backend

import (
	"context"
	"crypto/rand"
	"errors"
	"os"
	"path/filepath"
	"testing"

	"aead.dev/minisign"

	"relais/internal/config"
	"relais/internal/profile"
	"relais/internal/profile/profilesync"
	"relais/internal/profile/profiletest"
	"relais/internal/store"
)

// bootstrapMachine is a machine whose managed configuration names the
// given sources, with an empty store; install writes the signed bootstrap
// file at serial (a package upgrade), unsigned drops its signature.
type bootstrapMachine struct {
	pol  *ProfilePolicy
	file string
	sk   minisign.PrivateKey
	o    *profiletest.Office
}

func newBootstrapMachine(t *testing.T, withURL bool) *bootstrapMachine {
	t.Helper()
	pk, sk, err := minisign.GenerateKey(rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	o := profiletest.New(t)
	o.Publish(t, sk, 7) // serves the asset the profile pins
	db, err := store.Open(filepath.Join(t.TempDir(), "relais.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	m := &bootstrapMachine{file: filepath.Join(t.TempDir(), "profile.toml"), sk: sk, o: o}
	managed := &config.Managed{ProfileFile: m.file}
	if withURL {
		managed.ProfileURL = o.URL()
	}
	m.pol = &ProfilePolicy{Store: db, Managed: managed, Trusted: []minisign.PublicKey{pk}}
	return m
}

func (m *bootstrapMachine) install(t *testing.T, serial int, signed bool) {
	t.Helper()
	body := profiletest.Example(t, m.o.Base(), serial)
	if err := os.WriteFile(m.file, body, 0o644); err != nil {
		t.Fatal(err)
	}
	os.Remove(m.file + ".minisig")
	if signed {
		if err := os.WriteFile(m.file+".minisig", minisign.Sign(m.sk, body), 0o644); err != nil {
			t.Fatal(err)
		}
	}
}

func (m *bootstrapMachine) serial(t *testing.T) int64 {
	t.Helper()
	c, err := m.pol.Current(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	return c.Cached.Serial
}

// With only a bootstrap file, a second sync says nothing changed (with
// the profile in use: it once came back nil), a newer file is adopted and
// an older one is not.
func TestSyncBootstrapFileOnly(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	m := newBootstrapMachine(t, false)
	m.install(t, 7, true)
	for i, want := range []struct {
		serial  int
		outcome profilesync.Outcome
		inUse   int64
	}{{7, profilesync.Accepted, 7}, {7, profilesync.NotModified, 7}, {8, profilesync.Accepted, 8}, {7, profilesync.NotModified, 8}} {
		m.install(t, want.serial, true)
		res, err := m.pol.Sync(ctx)
		if err != nil || res == nil || res.Profile == nil || res.Outcome != want.outcome || res.Profile.Serial != want.inUse || res.Source != m.file {
			t.Fatalf("sync %d: %v %+v", i, err, res)
		}
		if s := m.serial(t); s != want.inUse {
			t.Fatalf("sync %d: in use %d, want %d", i, s, want.inUse)
		}
	}
}

// AdoptBootstrap installs the file only when nothing is cached or it is
// newer; a refused file keeps the last good profile.
func TestAdoptBootstrap(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	m := newBootstrapMachine(t, true) // the URL is not asked: no network
	m.install(t, 7, true)
	if b, err := m.pol.AdoptBootstrap(ctx); err != nil || !b.Adopted || b.Serial != 7 || b.File != m.file {
		t.Fatalf("nothing cached: %v %+v", err, b)
	}
	if b, err := m.pol.AdoptBootstrap(ctx); err != nil || b.Adopted {
		t.Fatalf("same file: %v %+v", err, b)
	}
	m.install(t, 8, true)
	if b, err := m.pol.AdoptBootstrap(ctx); err != nil || !b.Adopted || b.Serial != 8 {
		t.Fatalf("newer file: %v %+v", err, b)
	}
	m.install(t, 9, false)
	if b, err := m.pol.AdoptBootstrap(ctx); !errors.Is(err, profile.ErrUnsigned) || b.Adopted || b.File != m.file {
		t.Fatalf("unsigned file: %v %+v", err, b)
	}
	if s := m.serial(t); s != 8 {
		t.Fatalf("in use: %d, want 8", s)
	}
	if n := m.o.Hits(profiletest.ProfilePath); n != 0 {
		t.Fatalf("the URL was asked %d times", n)
	}
}

// The URL comes first; the bootstrap file serves when the URL fails.
func TestSyncURLThenFile(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	m := newBootstrapMachine(t, true)
	m.install(t, 8, true)
	res, err := m.pol.Sync(ctx)
	if err != nil || res.Outcome != profilesync.Accepted || res.Profile.Serial != 7 || res.Source != m.o.URL() {
		t.Fatalf("URL: %v %+v", err, res)
	}
	m.o.Remove(profiletest.ProfilePath)
	res, err = m.pol.Sync(ctx)
	if err != nil || res.Outcome != profilesync.Accepted || res.Profile.Serial != 8 || res.Source != m.file || res.URLError == nil {
		t.Fatalf("URL failed: %v %+v", err, res)
	}
}

// Current parses the cached profile once per change, and says when there
// is none.
func TestCurrentParsedOncePerChange(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	m := newBootstrapMachine(t, false)
	if _, err := m.pol.Current(ctx); !errors.Is(err, ErrNoProfile) {
		t.Fatalf("empty store: %v", err)
	}
	m.install(t, 7, true)
	if _, err := m.pol.Sync(ctx); err != nil {
		t.Fatal(err)
	}
	a, err := m.pol.Current(ctx)
	if err != nil || a.Profile.Serial != 7 || a.Signature != SignatureValid || !a.Signed() {
		t.Fatalf("first: %v %+v", err, a)
	}
	b, err := m.pol.Current(ctx)
	if err != nil || b.Profile != a.Profile {
		t.Fatalf("same bytes parsed again: %v", err)
	}
	m.install(t, 8, true)
	if _, err := m.pol.AdoptBootstrap(ctx); err != nil {
		t.Fatal(err)
	}
	if c, err := m.pol.Current(ctx); err != nil || c.Profile == a.Profile || c.Profile.Serial != 8 {
		t.Fatalf("after a change: %v %+v", err, c)
	}
}

// A machine without a managed configuration has no source; its
// signatures are not checked unless it trusts a key (the demo office).
func TestNoManagedConfiguration(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	p := &ProfilePolicy{}
	if p.HasSource() || p.HasURL() {
		t.Fatalf("sources: %+v", p.Sources())
	}
	if _, err := p.Sync(ctx); !errors.Is(err, profile.ErrNoSource) {
		t.Fatalf("sync: %v", err)
	}
	if b, err := p.AdoptBootstrap(ctx); err != nil || b != (Bootstrap{}) {
		t.Fatalf("adopt: %v %+v", err, b)
	}
	if s, err := p.Signature(&store.CachedProfile{Bytes: []byte("x")}); s != SignatureNotChecked || err != nil {
		t.Fatalf("signature: %s %v", s, err)
	}
	pk, _, _ := minisign.GenerateKey(rand.Reader)
	p.Trusted = []minisign.PublicKey{pk}
	if s, err := p.Signature(&store.CachedProfile{Bytes: []byte("x")}); s != SignatureInvalid || err == nil {
		t.Fatalf("signature with a key: %s %v", s, err)
	}
}
