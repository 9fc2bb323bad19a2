package cli

import (
	"context"
	"encoding/hex"
	"errors"
	"strings"
	"testing"
	"time"

	"golang.zx2c4.com/wireguard/wgctrl/wgtypes"

	"relais/internal/backend"
	"relais/internal/frontend"
	"relais/internal/profile"
	"relais/internal/secrets"
	"relais/internal/tunnel"
	"relais/internal/wgconf"
)

// storedPSK is the preshared key the fake keyring holds, or "".
func storedPSK(kr interface{ Items() map[string]string }) string {
	return kr.Items()[secrets.Service+"/"+secrets.PresharedUser]
}

// A PresharedKey in IT's .conf is kept in the keyring (and nowhere else)
// and used by the tunnel; a later file without one, a new key or a delete
// removes it.
func TestKeyImportPresharedKey(t *testing.T) {
	t.Parallel()
	m, tun := syncedMachine(t)
	kr := fakeKeyring(m)
	psk, err := wgtypes.GenerateKey()
	if err != nil {
		t.Fatal(err)
	}
	conf, priv := writeConf(t, tun, func(f *wgconf.File) { f.Peers[0].PresharedKey = &psk })
	r := m.run("key", "import", conf)
	if r.code != ExitOK {
		t.Fatalf("import: %+v", r)
	}
	if storedPSK(kr) != psk.String() {
		t.Fatalf("the keyring holds preshared key %q, want the file's", storedPSK(kr))
	}
	outputs := []string{r.stdout, r.stderr}
	for _, args := range [][]string{{"key", "show"}, {"key", "show", "--json"}, {"key", "export-conf"}} {
		r := m.run(args...)
		outputs = append(outputs, r.stdout, r.stderr)
	}
	for _, o := range outputs {
		if strings.Contains(o, psk.String()) || strings.Contains(o, hex.EncodeToString(psk[:])) {
			t.Fatalf("the preshared key was printed:\n%s", o)
		}
	}
	assertNotUnder(t, m.vars["RELAIS_HOME"], psk.String())
	assertNotUnder(t, m.vars["RELAIS_HOME"], hex.EncodeToString(psk[:]))

	// The tunnel uses it.
	rr := &run{lang: "fr", Env: Env{Env: backend.Env{Getenv: func(k string) string { return m.vars[k] }, GOOS: "linux", Home: t.TempDir(), Now: time.Now, Seams: m.seams}}}
	mach, code := rr.openMachine(false)
	if mach == nil {
		t.Fatalf("open: %d", code)
	}
	defer mach.Close()
	cfg, err := mach.DeviceTunnelConfig(context.Background(), &profile.Profile{Tunnel: tun})
	if err != nil {
		t.Fatal(err)
	}
	if cfg.PrivateKey != tunnel.Key(priv) || cfg.Peer.PresharedKey != tunnel.Key(psk) {
		t.Fatalf("the tunnel's preshared key is %x, want the file's", cfg.Peer.PresharedKey)
	}

	// The export that asks for the private key gives a file that connects:
	// with the preshared key; the one without, without it.
	exp := m.run("key", "export-conf", "--include-private-key")
	back, err := wgconf.Parse("export.conf", []byte(exp.stdout))
	if err != nil || back.Peers[0].PresharedKey == nil || *back.Peers[0].PresharedKey != psk {
		t.Fatalf("export with the private key: %v\n%+v", err, exp)
	}
	if exp := m.run("key", "export-conf"); strings.Contains(exp.stdout, psk.String()) {
		t.Fatalf("the export without the private key shows the preshared key:\n%s", exp.stdout)
	}

	// IT's next file for the same key has none: the tunnel has none.
	again, _ := writeConf(t, tun, func(f *wgconf.File) { k := priv; f.Interface.PrivateKey = &k })
	if r := m.run("key", "import", again); r.code != ExitOK || storedPSK(kr) != "" {
		t.Fatalf("import without a preshared key: %+v, keyring %q", r, storedPSK(kr))
	}
	if cfg, err := mach.DeviceTunnelConfig(context.Background(), &profile.Profile{Tunnel: tun}); err != nil || cfg.Peer.PresharedKey != (tunnel.Key{}) {
		t.Fatalf("after a file without one: %x %v", cfg.Peer.PresharedKey, err)
	}

	// A delete removes it with the private key.
	if r := m.run("key", "import", conf); r.code != ExitOK || storedPSK(kr) == "" {
		t.Fatalf("import: %+v", r)
	}
	if r := m.run("key", "delete"); r.code != ExitOK || storedPSK(kr) != "" || storedKey(kr) != "" {
		t.Fatalf("delete: %+v, keyring %v", r, kr.Items())
	}
	// So does a new key.
	if r := m.run("key", "import", conf); r.code != ExitOK {
		t.Fatalf("import: %+v", r)
	}
	if r := m.run("key", "generate", "--force"); r.code != ExitOK || storedPSK(kr) != "" {
		t.Fatalf("generate --force: %+v, keyring holds a preshared key", r)
	}
}

// A preshared key that cannot be stored leaves the keyring as it was: the
// import fails whole.
func TestKeyImportPresharedKeyFailureRestores(t *testing.T) {
	t.Parallel()
	m, tun := syncedMachine(t)
	kr := fakeKeyring(m)
	first, priv := writeConf(t, tun, nil)
	if r := m.run("key", "import", first); r.code != ExitOK {
		t.Fatalf("%+v", r)
	}
	psk, _ := wgtypes.GenerateKey()
	second, _ := writeConf(t, tun, func(f *wgconf.File) { f.Peers[0].PresharedKey = &psk })
	kr.FailSet(secrets.PresharedUser, errors.New("org.freedesktop.Secret.Error.IsLocked"))
	r := m.run("key", "import", "--force", second)
	if r.code == ExitOK {
		t.Fatalf("import succeeded without its preshared key: %+v", r)
	}
	if storedKey(kr) != priv.String() || storedPSK(kr) != "" {
		t.Fatalf("the keyring changed after a failed import: %v", kr.Items())
	}
	if s, _ := m.keyShow(); s.Identity == nil || s.Identity.PublicKey != priv.PublicKey().String() {
		t.Fatalf("the store changed after a failed import: %+v", s)
	}
}

// A key in the keyring with no record in the store (the data directory was
// reset) is adopted: key show shows it, IT's .conf for it imports without
// --force, and the tunnel uses it.
func TestKeyOrphanAdopted(t *testing.T) {
	t.Parallel()
	m, tun := syncedMachine(t)
	kr := fakeKeyring(m)
	conf, priv := writeConf(t, tun, nil)
	if err := (secrets.Vault{Keyring: kr}).SetPrivateKey(tunnel.Key(priv)); err != nil {
		t.Fatal(err)
	}
	s, r := m.keyShow()
	if s.Identity == nil || s.Identity.PublicKey != priv.PublicKey().String() || s.Identity.Source != "keyring" || s.Keyring != "present" {
		t.Fatalf("key show of a key with no record: %+v %+v", s, r)
	}
	if r := m.run("key", "show", "--lang", "en"); !strings.Contains(r.stdout, "Public key: "+priv.PublicKey().String()) ||
		!strings.Contains(r.stdout, "Source: found in the system keyring") {
		t.Fatalf("key show (text): %+v", r)
	}
	if r := m.run("key", "import", conf); r.code != ExitOK {
		t.Fatalf("import of IT's file for the adopted key: %+v", r)
	}
	if s, _ := m.keyShow(); s.Identity == nil || len(s.Identity.Addresses) != 1 || s.Keyring != "present" {
		t.Fatalf("after import: %+v", s)
	}
	// Another key still needs --force.
	other, _ := writeConf(t, tun, nil)
	if r := m.run("key", "import", other); r.code != ExitUsage || !strings.Contains(r.stderr, priv.PublicKey().String()) {
		t.Fatalf("import of another key over the adopted one: %+v", r)
	}
}

// Mode urgence finds the keyring's key with no record: it adopts it.
func TestDeviceTunnelConfigAdopts(t *testing.T) {
	t.Parallel()
	m, tun := syncedMachine(t)
	kr := fakeKeyring(m)
	priv, _ := wgtypes.GeneratePrivateKey()
	if err := (secrets.Vault{Keyring: kr}).SetPrivateKey(tunnel.Key(priv)); err != nil {
		t.Fatal(err)
	}
	rr := &run{lang: "en", Env: Env{Env: backend.Env{Getenv: func(k string) string { return m.vars[k] }, GOOS: "linux", Home: t.TempDir(), Now: time.Now, Seams: m.seams}}}
	mach, code := rr.openMachine(false)
	if mach == nil {
		t.Fatalf("open: %d", code)
	}
	defer mach.Close()
	p := &profile.Profile{Tunnel: tun}
	p.Tunnel.Address = []string{"10.20.9.8/32"}
	cfg, err := mach.DeviceTunnelConfig(context.Background(), p)
	if err != nil || cfg.PrivateKey != tunnel.Key(priv) {
		t.Fatalf("the keyring's key is not used: %v", err)
	}
	// Without an address anywhere: a sentence, in the run's language.
	p.Tunnel.Address = nil
	_, err = mach.DeviceTunnelConfig(context.Background(), p)
	if !errors.Is(err, tunnel.ErrNoAddress) || !strings.HasPrefix(rr.describeIdentity(err), "No tunnel address for this device") {
		t.Fatalf("no address: %v", err)
	}
}

// The desk's identity methods return coded errors, never a CLI flag.
func TestDeskIdentityErrorsAreCoded(t *testing.T) {
	t.Parallel()
	m, tun := syncedMachine(t)
	fakeKeyring(m)
	d := openDesk(t, m, backend.Options{Lang: "fr"})
	conf, _ := writeConf(t, tun, func(f *wgconf.File) { f.Peers[0].Endpoint = "192.0.2.99:51820" })
	err := d.ImportConf(conf, false)
	var e *frontend.IdentityError
	if !errors.As(err, &e) || e.Code != frontend.IdentityErrMismatch || e.File != "poste-42.conf" || len(e.Detail) != 1 ||
		!strings.Contains(appWords("fr", e.Detail[0]), "192.0.2.99:51820") {
		t.Fatalf("mismatch: %#v", err)
	}
	if err := d.GenerateKey(false); err != nil {
		t.Fatal(err)
	}
	good, _ := writeConf(t, tun, nil)
	err = d.ImportConf(good, false)
	if !errors.As(err, &e) || e.Code != frontend.IdentityErrExists || strings.Contains(err.Error(), "--force") {
		t.Fatalf("exists: %#v", err)
	}
}
