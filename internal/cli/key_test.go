package cli

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"net/netip"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"golang.zx2c4.com/wireguard/wgctrl/wgtypes"

	"relais/internal/backend"
	"relais/internal/profile"
	"relais/internal/profile/profiletest"
	"relais/internal/secrets"
	"relais/internal/secrets/secretstest"
	"relais/internal/tunnel"
	"relais/internal/wgconf"
)

// fakeKeyring makes the commands of m use an in-memory keyring.
func fakeKeyring(m *machineT) *secretstest.Keyring {
	kr := secretstest.New()
	m.useKeyring(kr)
	return kr
}

// useKeyring makes the commands of m use kr.
func (m *machineT) useKeyring(kr *secretstest.Keyring) {
	m.seams.Keyring = func() secrets.Keyring { return kr }
}

// storedKey is the private key the fake keyring holds, or "".
func storedKey(kr *secretstest.Keyring) string {
	return kr.Items()[secrets.Service+"/"+secrets.User]
}

type keyShown struct {
	Identity *struct {
		PublicKey string   `json:"public_key"`
		Addresses []string `json:"addresses"`
		Source    string   `json:"source"`
	} `json:"identity"`
	Keyring          string `json:"keyring"`
	KeyringPublicKey string `json:"keyring_public_key"`
}

func (m *machineT) keyShow() (keyShown, result) {
	m.t.Helper()
	r := m.run("key", "show", "--json")
	var s keyShown
	if err := json.Unmarshal([]byte(r.stdout), &s); err != nil {
		m.t.Fatalf("key show --json: %v\n%+v", err, r)
	}
	return s, r
}

// syncedMachine is a laptop with a cached signed profile; it returns the
// profile's tunnel section.
func syncedMachine(t *testing.T) (*machineT, profile.Tunnel) {
	pk, sk := newKey(t)
	o := profiletest.New(t)
	body := o.Publish(t, sk, 7)
	m := newMachine(t)
	m.manage(o.URL(), "", pk)
	if r := m.run("profile", "sync"); r.code != ExitOK {
		t.Fatalf("profile sync: %+v", r)
	}
	p, err := profile.Parse("profile.toml", body)
	if err != nil {
		t.Fatal(err)
	}
	return m, p.Tunnel
}

// writeConf writes a .conf as IT would issue it for the profile's tunnel,
// with a key made now; change edits it first.
func writeConf(t *testing.T, tun profile.Tunnel, change func(*wgconf.File)) (string, wgtypes.Key) {
	t.Helper()
	priv, err := wgtypes.GeneratePrivateKey()
	if err != nil {
		t.Fatal(err)
	}
	server, err := wgtypes.ParseKey(tun.ServerPublicKey)
	if err != nil {
		t.Fatal(err)
	}
	var allowed []netip.Prefix
	for _, a := range tun.AllowedIPs {
		allowed = append(allowed, netip.MustParsePrefix(a))
	}
	f := &wgconf.File{
		Interface: wgconf.Interface{PrivateKey: &priv, Addresses: []netip.Prefix{netip.MustParsePrefix("10.20.9.7/32")},
			DNS: []netip.Addr{netip.MustParseAddr("10.20.0.53")}, PostUp: []string{"logger up"}},
		Peers: []wgconf.Peer{{PublicKey: server, Endpoint: strings.ToUpper(tun.Endpoint), AllowedIPs: allowed, PersistentKeepalive: 25}},
	}
	if change != nil {
		change(f)
	}
	b, err := f.Marshal()
	if err != nil {
		t.Fatal(err)
	}
	name := filepath.Join(t.TempDir(), "poste-42.conf")
	if err := os.WriteFile(name, b, 0o600); err != nil {
		t.Fatal(err)
	}
	return name, priv
}

func TestKeyGenerateShowDelete(t *testing.T) {
	t.Parallel()
	m := newMachine(t)
	kr := fakeKeyring(m)
	if s, r := m.keyShow(); r.code != ExitUnhealthy || s.Identity != nil || s.Keyring != "absent" {
		t.Fatalf("before generate: %+v %+v", s, r)
	}

	r := m.run("key", "generate", "--address", "10.20.9.7/32", "--address", "fd20::7/128")
	pub := strings.TrimSpace(r.stdout)
	if r.code != ExitOK || len(pub) != 44 || !strings.Contains(r.stderr, "enrôlement") {
		t.Fatalf("generate: %+v", r)
	}
	priv, err := tunnel.ParseKey(storedKey(kr))
	if err != nil || backend.PublicKey(priv) != pub {
		t.Fatalf("the keyring holds no key for the printed public key: %v", err)
	}
	s, r := m.keyShow()
	if r.code != ExitOK || s.Identity == nil || s.Identity.PublicKey != pub || s.Identity.Source != "generated" ||
		strings.Join(s.Identity.Addresses, " ") != "10.20.9.7/32 fd20::7/128" || s.Keyring != "present" {
		t.Fatalf("show: %+v %+v", s, r)
	}
	if strings.Contains(r.stdout+r.stderr, priv.String()) {
		t.Fatal("key show printed the private key")
	}
	r = m.run("key", "show", "--lang", "en")
	if r.code != ExitOK || !strings.Contains(r.stdout, "Public key: "+pub) || !strings.Contains(r.stdout, "Private key: in the system keyring") {
		t.Fatalf("show (text): %+v", r)
	}

	// An identity is never replaced by accident.
	r = m.run("key", "generate")
	if r.code != ExitUsage || !strings.Contains(r.stderr, pub) || !strings.Contains(r.stderr, "--force") || storedKey(kr) != priv.String() {
		t.Fatalf("generate over an identity: %+v", r)
	}
	r = m.run("key", "generate", "--force", "--json")
	var gen identityJSON
	if err := json.Unmarshal([]byte(r.stdout), &gen); err != nil || r.code != ExitOK || gen.PublicKey == pub || len(gen.Addresses) != 0 {
		t.Fatalf("generate --force: %+v %v", r, err)
	}
	if s, _ := m.keyShow(); s.Identity.PublicKey != gen.PublicKey || s.Keyring != "present" {
		t.Fatalf("after --force: %+v", s)
	}

	// The keyring lost the key (another tool, another session): show says so.
	kr.Delete(secrets.Service, secrets.User)
	if s, r := m.keyShow(); r.code != ExitUnhealthy || s.Keyring != "absent" {
		t.Fatalf("key gone from the keyring: %+v %+v", s, r)
	}
	// The keyring holds another key than the recorded one.
	(secrets.Vault{Keyring: kr}).SetPrivateKey(priv)
	if s, r := m.keyShow(); r.code != ExitUnhealthy || s.Keyring != "mismatch" || s.KeyringPublicKey != pub {
		t.Fatalf("another key in the keyring: %+v %+v", s, r)
	}

	if r := m.run("key", "delete"); r.code != ExitOK || !strings.Contains(r.stderr, "supprimée") {
		t.Fatalf("delete: %+v", r)
	}
	if storedKey(kr) != "" {
		t.Fatal("delete left the key in the keyring")
	}
	if s, r := m.keyShow(); r.code != ExitUnhealthy || s.Identity != nil || s.Keyring != "absent" {
		t.Fatalf("after delete: %+v %+v", s, r)
	}
	if r := m.run("key", "delete"); r.code != ExitOK || !strings.Contains(r.stderr, "rien à supprimer") {
		t.Fatalf("second delete: %+v", r)
	}
}

func TestKeyUsageErrors(t *testing.T) {
	t.Parallel()
	m := newMachine(t)
	fakeKeyring(m)
	for _, args := range [][]string{
		{"key"}, {"key", "nonsense"}, {"key", "generate", "--address", "10.0.0.300/32"},
		{"key", "generate", "extra"}, {"key", "import"}, {"key", "import", "/nonexistent.conf"},
		{"key", "show", "x"}, {"key", "export-conf", "x"}, {"key", "delete", "x"}, {"key", "generate", "--bogus"},
	} {
		if r := m.run(args...); r.code != ExitUsage || r.stderr == "" {
			t.Errorf("%v: %+v", args, r)
		}
	}
}

func TestKeyImportChecksTheProfile(t *testing.T) {
	t.Parallel()
	m, tun := syncedMachine(t)
	kr := fakeKeyring(m)

	// A file for another server, endpoint or network is refused, naming
	// each difference, and nothing is stored.
	other, _ := wgtypes.GeneratePrivateKey()
	bad, _ := writeConf(t, tun, func(f *wgconf.File) {
		f.Peers[0].PublicKey = other.PublicKey()
		f.Peers[0].Endpoint = "vpn.elsewhere.example:51820"
		f.Peers[0].AllowedIPs = f.Peers[0].AllowedIPs[:1]
	})
	r := m.run("key", "import", bad)
	if r.code != ExitUnhealthy {
		t.Fatalf("mismatched file: %+v", r)
	}
	for _, want := range []string{"clé publique du serveur (PublicKey) : le fichier indique " + other.PublicKey().String(),
		"adresse du serveur (Endpoint) : le fichier indique vpn.elsewhere.example:51820, le profil indique " + tun.Endpoint,
		"(AllowedIPs)", "rien n'a été importé"} {
		if !strings.Contains(r.stderr, want) {
			t.Errorf("mismatch message lacks %q:\n%s", want, r.stderr)
		}
	}
	if storedKey(kr) != "" {
		t.Fatal("a refused import wrote the keyring")
	}
	if s, _ := m.keyShow(); s.Identity != nil {
		t.Fatalf("a refused import wrote the store: %+v", s)
	}
	r = m.run("key", "import", bad, "--lang", "en")
	if r.code != ExitUnhealthy || !strings.Contains(r.stderr, "server public key (PublicKey): the file says") {
		t.Fatalf("mismatch (en): %+v", r)
	}

	// The right file (endpoint in another case, same networks) is taken.
	good, priv := writeConf(t, tun, nil)
	r = m.run("key", "import", good)
	if r.code != ExitOK || strings.TrimSpace(r.stdout) != priv.PublicKey().String() || !strings.Contains(r.stderr, "correspond au profil (série 7)") {
		t.Fatalf("good file: %+v", r)
	}
	if storedKey(kr) != priv.String() {
		t.Fatal("the imported private key is not in the keyring")
	}
	s, _ := m.keyShow()
	if s.Identity == nil || s.Identity.Source != "poste-42.conf" || strings.Join(s.Identity.Addresses, ",") != "10.20.9.7/32" || s.Keyring != "present" {
		t.Fatalf("after import: %+v", s)
	}
	// Importing the same key again needs no --force; another key does.
	if r := m.run("key", "import", good); r.code != ExitOK {
		t.Fatalf("same file again: %+v", r)
	}
	another, priv2 := writeConf(t, tun, nil)
	if r := m.run("key", "import", another); r.code != ExitUsage || storedKey(kr) != priv.String() {
		t.Fatalf("another key without --force: %+v", r)
	}
	if r := m.run("key", "import", "--force", another); r.code != ExitOK || storedKey(kr) != priv2.String() {
		t.Fatalf("another key with --force: %+v", r)
	}
}

func TestKeyImportBadFiles(t *testing.T) {
	t.Parallel()
	m := newMachine(t)
	kr := fakeKeyring(m)
	dir := t.TempDir()
	write := func(name, body string) string {
		p := filepath.Join(dir, name)
		os.WriteFile(p, []byte(body), 0o600)
		return p
	}
	bad := write("bad.conf", "[Interface]\nPrivateKey = AQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQE=\nMTU = lots\n")
	r := m.run("key", "import", bad)
	if r.code != ExitUsage || !strings.Contains(r.stderr, bad+":3: MTU: ce n'est pas un nombre entre 576 et 65535") ||
		strings.Contains(r.stderr, "not a number") {
		t.Fatalf("bad value, in French: %+v", r)
	}
	noKey := write("nokey.conf", "[Interface]\nAddress = 10.0.0.2/32\n")
	if r := m.run("key", "import", noKey); r.code != ExitUsage || !strings.Contains(r.stderr, "PrivateKey") {
		t.Fatalf("no private key: %+v", r)
	}
	if storedKey(kr) != "" {
		t.Fatal("a bad file wrote the keyring")
	}
	// Without a cached profile the file is taken, and the person is told it
	// was not checked.
	ok := write("ok.conf", "[Interface]\nPrivateKey = AQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQE=\nAddress = 10.0.0.2\n")
	if r := m.run("key", "import", ok); r.code != ExitOK || !strings.Contains(r.stderr, "Aucun profil en cache") {
		t.Fatalf("no profile: %+v", r)
	}
	if s, _ := m.keyShow(); s.Identity == nil || s.Identity.Addresses[0] != "10.0.0.2/32" {
		t.Fatalf("%+v", s)
	}
}

func TestKeyExportConf(t *testing.T) {
	t.Parallel()
	m, tun := syncedMachine(t)
	fakeKeyring(m)
	if r := m.run("key", "export-conf"); r.code != ExitUsage || !strings.Contains(r.stderr, "relais key generate") {
		t.Fatalf("no identity: %+v", r)
	}
	conf, priv := writeConf(t, tun, nil)
	if r := m.run("key", "import", conf); r.code != ExitOK {
		t.Fatalf("import: %+v", r)
	}

	// Without the flag: no private key, a comment saying where it is.
	r := m.run("key", "export-conf")
	if r.code != ExitOK || strings.Contains(r.stdout, priv.String()) || !strings.Contains(r.stdout, "# PrivateKey = …") ||
		!strings.Contains(r.stdout, "trousseau du système") {
		t.Fatalf("export without the key: %+v", r)
	}
	f, err := wgconf.Parse("export.conf", []byte(r.stdout))
	if err != nil {
		t.Fatalf("the export does not parse: %v\n%s", err, r.stdout)
	}
	if f.Interface.PrivateKey != nil || f.Interface.Addresses[0].String() != "10.20.9.7/32" || len(f.Peers) != 1 ||
		f.Peers[0].PublicKey.String() != tun.ServerPublicKey || f.Peers[0].Endpoint != tun.Endpoint ||
		len(f.Peers[0].AllowedIPs) != len(tun.AllowedIPs) || f.Interface.MTU != 1280 ||
		len(f.Interface.DNS) != len(tun.DNS) || strings.Join(f.Interface.DNSSearch, ",") != strings.Join(tun.DNSDomains, ",") {
		t.Fatalf("export: %+v\n%s", f, r.stdout)
	}

	// With the flag, to a file: the key, mode 0600, even over a file that
	// was readable by all.
	out := filepath.Join(t.TempDir(), "relais.conf")
	os.WriteFile(out, []byte("old"), 0o644)
	r = m.run("key", "export-conf", "--include-private-key", "-o", out)
	if r.code != ExitOK || r.stdout != "" || !strings.Contains(r.stderr, "0600") {
		t.Fatalf("export with the key: %+v", r)
	}
	st, err := os.Stat(out)
	if err != nil || st.Mode().Perm() != 0o600 {
		t.Fatalf("mode %v, %v", st.Mode(), err)
	}
	f, err = wgconf.ReadFile(out)
	if err != nil || f.Interface.PrivateKey == nil || *f.Interface.PrivateKey != priv {
		t.Fatalf("exported file: %+v %v", f, err)
	}
	if left, _ := filepath.Glob(filepath.Join(filepath.Dir(out), ".relais-*")); len(left) != 0 {
		t.Fatalf("temporary files left: %v", left)
	}

	// The same in English, and with no cached profile.
	if r := m.run("key", "export-conf", "--lang", "en"); !strings.Contains(r.stdout, "private key is in the system keyring") {
		t.Fatalf("en: %+v", r)
	}
	if r := newMachine(t).run("key", "export-conf"); r.code != ExitUsage || !strings.Contains(r.stderr, "relais demo --headless") /* no managed configuration */ {
		t.Fatalf("no profile: %+v", r)
	}
}

// No keyring: a clear message in the person's language, exit 2, and not
// one byte written (the data directory is not even created).
func TestKeyWithoutKeyring(t *testing.T) {
	t.Parallel()
	m := newMachine(t)
	kr := fakeKeyring(m)
	kr.Fail(errors.New("org.freedesktop.DBus.Error.ServiceUnknown: The name org.freedesktop.secrets was not provided by any .service files"))
	r := m.run("key", "generate")
	if r.code != ExitUsage || !strings.Contains(r.stderr, "GNOME Keyring ou KWallet") || !strings.Contains(r.stderr, "ServiceUnknown") || r.stdout != "" {
		t.Fatalf("generate: %+v", r)
	}
	if _, err := os.Stat(m.vars["RELAIS_HOME"]); !os.IsNotExist(err) {
		t.Fatalf("RELAIS_HOME was created: %v", err)
	}
	if r := m.run("key", "generate", "--lang", "en"); r.code != ExitUsage || !strings.Contains(r.stderr, "a Secret Service (GNOME Keyring or KWallet) must be running and unlocked") {
		t.Fatalf("generate (en): %+v", r)
	}
	for goos, want := range map[string]string{"darwin": "login keychain", "windows": "Credential Manager"} {
		rr := &run{lang: "en", Env: Env{Env: backend.Env{GOOS: goos}}}
		if msg := rr.describeIdentity(secrets.ErrNoKeyring); !strings.Contains(msg, want) {
			t.Errorf("%s: %s", goos, msg)
		}
	}
	dir := t.TempDir()
	conf := filepath.Join(dir, "it.conf")
	os.WriteFile(conf, []byte("[Interface]\nPrivateKey = AQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQE=\n"), 0o600)
	if r := m.run("key", "import", conf); r.code != ExitUsage || !strings.Contains(r.stderr, "trousseau") {
		t.Fatalf("import: %+v", r)
	}
	if _, err := os.Stat(m.vars["RELAIS_HOME"]); !os.IsNotExist(err) {
		t.Fatalf("RELAIS_HOME was created: %v", err)
	}

	// With an identity recorded, show still shows its public half, then
	// says the keyring is missing; delete keeps the identity.
	kr.Fail(nil)
	if r := m.run("key", "generate"); r.code != ExitOK {
		t.Fatalf("%+v", r)
	}
	kr.Fail(errors.New("locked"))
	s, r := m.keyShow()
	if r.code != ExitUsage || s.Identity == nil || s.Keyring != "unavailable" || !strings.Contains(r.stderr, "GNOME Keyring") {
		t.Fatalf("show: %+v %+v", s, r)
	}
	if r := m.run("key", "delete"); r.code != ExitUsage {
		t.Fatalf("delete: %+v", r)
	}
	kr.Fail(nil)
	if s, _ := m.keyShow(); s.Identity == nil || s.Keyring != "present" {
		t.Fatalf("delete without a keyring removed something: %+v", s)
	}
}

// A store that refuses the identity leaves the keyring as it was.
func TestKeyGenerateStoreFailureRestoresKeyring(t *testing.T) {
	t.Parallel()
	m := newMachine(t)
	kr := fakeKeyring(m)
	if r := m.run("key", "generate"); r.code != ExitOK {
		t.Fatalf("%+v", r)
	}
	before := storedKey(kr)
	// A trigger makes the store refuse any new identity.
	db, err := sql.Open("sqlite3", filepath.Join(m.vars["RELAIS_HOME"], "relais.db"))
	if err != nil {
		t.Fatal(err)
	}
	_, err = db.Exec(`CREATE TRIGGER refuse BEFORE INSERT ON device_identity BEGIN SELECT RAISE(ABORT, 'disk full'); END`)
	db.Close()
	if err != nil {
		t.Fatal(err)
	}
	if r := m.run("key", "generate", "--force"); r.code != ExitUsage || !strings.Contains(r.stderr, "disk full") {
		t.Fatalf("generate with a store that refuses: %+v", r)
	}
	if storedKey(kr) != before {
		t.Fatal("the keyring kept a key the store does not know")
	}
}

func TestDeviceTunnelConfig(t *testing.T) {
	t.Parallel()
	m, tun := syncedMachine(t)
	kr := fakeKeyring(m)
	rr := &run{lang: "fr", Env: Env{Env: backend.Env{Getenv: func(k string) string { return m.vars[k] }, GOOS: "linux", Home: t.TempDir(), Now: time.Now, Seams: m.seams}}}
	mach, code := rr.openMachine(false)
	if mach == nil {
		t.Fatalf("open: %d", code)
	}
	defer mach.Close()
	p := &profile.Profile{Tunnel: tun}
	ctx := context.Background()

	if _, err := mach.DeviceTunnelConfig(ctx, p); !errors.Is(err, backend.ErrNoIdentity) || !strings.Contains(rr.describeIdentity(err), "relais key generate") {
		t.Fatalf("no identity: %v", err)
	}
	conf, priv := writeConf(t, tun, nil)
	if r := m.run("key", "import", conf); r.code != ExitOK {
		t.Fatalf("%+v", r)
	}
	cfg, err := mach.DeviceTunnelConfig(ctx, p)
	if err != nil {
		t.Fatal(err)
	}
	if cfg.PrivateKey != tunnel.Key(priv) || len(cfg.Addresses) != 1 || cfg.Addresses[0].String() != "10.20.9.7/32" ||
		cfg.Peer.PublicKey.String() != tun.ServerPublicKey || cfg.Peer.Endpoint != tun.Endpoint {
		t.Fatalf("%+v", cfg.Peer)
	}

	// Each failure wraps its sentinel and reads as a sentence.
	kr.Fail(errors.New("no D-Bus"))
	_, err = mach.DeviceTunnelConfig(ctx, p)
	if !errors.Is(err, secrets.ErrNoKeyring) || !strings.Contains(rr.describeIdentity(err), "service de secrets") {
		t.Fatalf("no keyring: %v", err)
	}
	kr.Fail(nil)
	other, _ := wgtypes.GeneratePrivateKey()
	(secrets.Vault{Keyring: kr}).SetPrivateKey(tunnel.Key(other))
	if _, err := mach.DeviceTunnelConfig(ctx, p); !errors.Is(err, backend.ErrKeyMismatch) {
		t.Fatalf("another key: %v", err)
	}
	kr.Delete(secrets.Service, secrets.User)
	_, err = mach.DeviceTunnelConfig(ctx, p)
	if !errors.Is(err, secrets.ErrNoKey) || !strings.Contains(rr.describeIdentity(err), "ne contient pas la clé privée") {
		t.Fatalf("no key: %v", err)
	}
	// An identity without addresses uses the profile's; with neither, the
	// tunnel has no address and the sentence says what to do.
	gen := m.run("key", "generate", "--force")
	if gen.code != ExitOK {
		t.Fatalf("%+v", gen)
	}
	_, err = mach.DeviceTunnelConfig(ctx, p)
	if !errors.Is(err, tunnel.ErrNoAddress) || !strings.Contains(rr.describeIdentity(err), "--address") {
		t.Fatalf("no address: %v", err)
	}
	p.Tunnel.Address = []string{"10.20.9.8/32"}
	if cfg, err := mach.DeviceTunnelConfig(ctx, p); err != nil || cfg.Addresses[0].String() != "10.20.9.8/32" {
		t.Fatalf("profile address: %+v %v", cfg.Addresses, err)
	}
}

// With the fake keyring as with the real one, the private key reaches no
// file under RELAIS_HOME.
func TestPrivateKeyStaysInTheKeyring(t *testing.T) {
	t.Parallel()
	m, tun := syncedMachine(t)
	kr := fakeKeyring(m)
	conf, priv := writeConf(t, tun, nil)
	var outputs []string
	for _, args := range [][]string{{"key", "import", conf}, {"key", "show"}, {"key", "show", "--json"}, {"key", "export-conf"},
		{"key", "generate", "--force", "--address", "10.20.9.9/32"}, {"key", "show"}, {"key", "export-conf"}} {
		r := m.run(args...)
		if r.code != ExitOK {
			t.Fatalf("%v: %+v", args, r)
		}
		outputs = append(outputs, r.stdout, r.stderr)
	}
	for _, key := range []string{priv.String(), storedKey(kr)} {
		for _, o := range outputs {
			if strings.Contains(o, key) {
				t.Fatalf("a private key was printed:\n%s", o)
			}
		}
		assertNotUnder(t, m.vars["RELAIS_HOME"], key)
	}
}

// assertNotUnder fails if secret appears in any file under dir.
func assertNotUnder(t *testing.T, dir, secret string) {
	t.Helper()
	n := 0
	err := filepath.WalkDir(dir, func(path string, d os.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		b, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		n++
		if strings.Contains(string(b), secret) {
			t.Errorf("the private key is in %s", path)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if n == 0 {
		t.Fatalf("no file under %s: the check proves nothing", dir)
	}
}

// A file without AllowedIPs says "none", not an empty gap.
func TestKeyImportMismatchNamesAnEmptyList(t *testing.T) {
	t.Parallel()
	m, tun := syncedMachine(t)
	fakeKeyring(m)
	bad, _ := writeConf(t, tun, func(f *wgconf.File) { f.Peers[0].AllowedIPs = nil })
	r := m.run("key", "import", bad, "--lang", "en")
	if r.code != ExitUnhealthy || !strings.Contains(r.stderr, "(AllowedIPs): the file says (none), the profile says "+strings.Join(tun.AllowedIPs, ", ")) {
		t.Fatalf("%+v", r)
	}
}
