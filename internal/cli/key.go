package cli

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"net"
	"net/netip"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"time"

	"golang.zx2c4.com/wireguard/wgctrl/wgtypes"

	"relais/internal/profile"
	"relais/internal/secrets"
	"relais/internal/store"
	"relais/internal/tunnel"
	"relais/internal/wgconf"
)

// relais key generate|import|show|export-conf|delete: the device's
// WireGuard identity. The private key goes to the OS keyring and nowhere
// else; the store keeps the public key and the tunnel addresses.

func cmdKey(ctx context.Context, r *run, args []string) int {
	if len(args) == 0 {
		return r.fail(ExitUsage, "cli.key.usage")
	}
	switch args[0] {
	case "generate":
		return cmdKeyGenerate(ctx, r, args[1:])
	case "import":
		return cmdKeyImport(ctx, r, args[1:])
	case "show":
		return cmdKeyShow(ctx, r, args[1:])
	case "export-conf":
		return cmdKeyExportConf(ctx, r, args[1:])
	case "delete":
		return cmdKeyDelete(ctx, r, args[1:])
	}
	fmt.Fprintln(r.Stderr, r.t("cli.error.unknown_command", "key "+args[0]))
	return r.fail(ExitUsage, "cli.key.usage")
}

// identityJSON is the public half of the identity, as --json prints it.
type identityJSON struct {
	PublicKey string    `json:"public_key"`
	Addresses []string  `json:"addresses"`
	Source    string    `json:"source"`
	CreatedAt time.Time `json:"created_at"`
}

func toIdentityJSON(id *store.Identity) *identityJSON {
	if id == nil {
		return nil
	}
	return &identityJSON{PublicKey: id.PublicKey, Addresses: append([]string{}, id.Addresses...), Source: id.Source, CreatedAt: id.CreatedAt}
}

// identityFail prints an identity error as a sentence and returns its exit
// code: a missing keyring or identity is the environment (2), a key that is
// missing or does not match is an unhealthy identity (1).
func (r *run) identityFail(err error) int {
	fmt.Fprintln(r.Stderr, r.describeIdentity(err))
	switch {
	case errors.Is(err, errKeyMismatch), errors.Is(err, secrets.ErrNoKey):
		return ExitUnhealthy
	}
	return ExitUsage
}

// probeKeyring reads the current private key, if any, before anything is
// written: without a keyring a command stops here and leaves no trace.
func (r *run) probeKeyring(v secrets.Vault) (old *tunnel.Key, code int, ok bool) {
	k, err := v.PrivateKey()
	switch {
	case err == nil:
		return &k, ExitOK, true
	case errors.Is(err, secrets.ErrNoKeyring):
		return nil, r.identityFail(err), false
	}
	return nil, ExitOK, true // ErrNoKey: nothing stored yet, or nothing usable
}

// saveIdentity puts the private key in the keyring and the public half in
// the store. If the store refuses, the keyring gets its previous content
// back, so the two never disagree.
func (r *run) saveIdentity(ctx context.Context, m *machine, v secrets.Vault, old *tunnel.Key, priv tunnel.Key, addrs []string, source string) error {
	if err := v.SetPrivateKey(priv); err != nil {
		return err
	}
	id := store.Identity{PublicKey: publicKey(priv), Addresses: addrs, Source: source, CreatedAt: r.Now()}
	if err := m.db.SetIdentity(ctx, id); err != nil {
		if old != nil {
			_ = v.SetPrivateKey(*old)
		} else {
			_ = v.DeletePrivateKey()
		}
		return err
	}
	_ = m.db.LogEvent(ctx, "identity", fmt.Sprintf("WireGuard identity saved (%s), public key %s", source, id.PublicKey))
	return nil
}

// refuseReplace says why an existing identity stays, when --force is absent.
func (r *run) refuseReplace(id *store.Identity, old *tunnel.Key) int {
	pub := ""
	if id != nil {
		pub = id.PublicKey
	} else if old != nil {
		pub = publicKey(*old)
	}
	return r.fail(ExitUsage, "cli.key.exists", pub)
}

func (r *run) printIdentitySaved(id identityJSON, asJSON bool, doneKey string) {
	if asJSON {
		r.printJSON(id)
		return
	}
	r.say(doneKey)
	// The public key alone on stdout, for scripts and for enrolment.
	fmt.Fprintln(r.Stdout, id.PublicKey)
}

func cmdKeyGenerate(ctx context.Context, r *run, args []string) int {
	fs := newFlagSet("relais key generate")
	var addrFlags multiFlag
	fs.Var(&addrFlags, "address", "cli.key.flag.address")
	force := fs.Bool("force", false, "cli.key.flag.force")
	asJSON := fs.Bool("json", false, "cli.flag.json")
	if !r.parseNoArgs(fs, args, "cli.key.generate.usage") {
		return ExitUsage
	}
	addrs := []string{}
	for _, a := range addrFlags {
		p, err := netip.ParsePrefix(a)
		if err != nil {
			return r.fail(ExitUsage, "cli.key.bad_address", a)
		}
		addrs = append(addrs, p.String())
	}
	v := deviceVault()
	old, code, ok := r.probeKeyring(v)
	if !ok {
		return code
	}
	m, code := r.openMachine(false)
	if m == nil {
		return code
	}
	defer m.Close()
	id, err := m.db.Identity(ctx)
	if err != nil && !errors.Is(err, store.ErrNotFound) {
		return r.fail(ExitUsage, "cli.store.read", err.Error())
	}
	if (id != nil || old != nil) && !*force {
		return r.refuseReplace(id, old)
	}
	priv, err := wgtypes.GeneratePrivateKey()
	if err != nil {
		return r.fail(ExitUsage, "cli.key.generate.failed", err.Error())
	}
	if err := r.saveIdentity(ctx, m, v, old, tunnel.Key(priv), addrs, "generated"); err != nil {
		if errors.Is(err, secrets.ErrNoKeyring) {
			return r.identityFail(err)
		}
		return r.fail(ExitUsage, "cli.store.write", err.Error())
	}
	r.printIdentitySaved(identityJSON{PublicKey: priv.PublicKey().String(), Addresses: addrs, Source: "generated", CreatedAt: r.Now()},
		*asJSON, "cli.key.generate.done")
	return ExitOK
}

func cmdKeyImport(ctx context.Context, r *run, args []string) int {
	fs := newFlagSet("relais key import")
	force := fs.Bool("force", false, "cli.key.flag.force")
	asJSON := fs.Bool("json", false, "cli.flag.json")
	pos, ok := r.parseFlags(fs, args)
	if !ok {
		return ExitUsage
	}
	if len(pos) != 1 {
		return r.fail(ExitUsage, "cli.key.import.usage")
	}
	file := pos[0]
	conf, err := wgconf.ReadFile(file)
	if err != nil {
		var list wgconf.ErrorList
		switch {
		case errors.As(err, &list):
			for _, e := range list {
				fmt.Fprintln(r.Stderr, e.Error())
			}
			return r.fail(ExitUsage, "cli.key.import.invalid", file, len(list))
		case errors.Is(err, wgconf.ErrTooLarge):
			return r.fail(ExitUsage, "cli.key.import.too_large", file, wgconf.MaxSize)
		}
		return r.fail(ExitUsage, "cli.error.read_file", file, err.Error())
	}
	if conf.Interface.PrivateKey == nil {
		return r.fail(ExitUsage, "cli.key.import.no_private_key", file)
	}
	if len(conf.Peers) > 1 {
		return r.fail(ExitUsage, "cli.key.import.peers", file, len(conf.Peers))
	}
	priv := tunnel.Key(*conf.Interface.PrivateKey)
	if priv == (tunnel.Key{}) {
		return r.fail(ExitUsage, "cli.key.import.zero_key", file)
	}
	v := deviceVault()
	old, code, ok := r.probeKeyring(v)
	if !ok {
		return code
	}
	m, code := r.openMachine(false)
	if m == nil {
		return code
	}
	defer m.Close()

	if code, ok := r.checkConfAgainstProfile(ctx, m, conf, file); !ok {
		return code
	}
	id, err := m.db.Identity(ctx)
	if err != nil && !errors.Is(err, store.ErrNotFound) {
		return r.fail(ExitUsage, "cli.store.read", err.Error())
	}
	pub := publicKey(priv)
	// Importing the same key again (a new address from IT) needs no --force.
	same := (id == nil || id.PublicKey == pub) && (old == nil || *old == priv)
	if !same && !*force {
		return r.refuseReplace(id, old)
	}
	addrs := []string{}
	for _, a := range conf.Interface.Addresses {
		addrs = append(addrs, a.String())
	}
	source := filepath.Base(file)
	if err := r.saveIdentity(ctx, m, v, old, priv, addrs, source); err != nil {
		if errors.Is(err, secrets.ErrNoKeyring) {
			return r.identityFail(err)
		}
		return r.fail(ExitUsage, "cli.store.write", err.Error())
	}
	r.printIdentitySaved(identityJSON{PublicKey: pub, Addresses: addrs, Source: source, CreatedAt: r.Now()}, *asJSON, "cli.key.import.done")
	r.say("cli.key.import.delete_file", file)
	return ExitOK
}

// checkConfAgainstProfile compares the .conf's peer with the cached
// profile's tunnel: a file meant for another server or network is refused
// (exit 1), naming each difference.
func (r *run) checkConfAgainstProfile(ctx context.Context, m *machine, conf *wgconf.File, file string) (int, bool) {
	cur, err := m.db.CurrentProfile(ctx)
	if errors.Is(err, store.ErrNotFound) {
		r.say("cli.key.import.unchecked")
		return ExitOK, true
	}
	if err != nil {
		return r.fail(ExitUsage, "cli.store.read", err.Error()), false
	}
	p, err := profile.Parse("profile.toml", cur.Bytes)
	if err != nil {
		return r.fail(ExitUnhealthy, "cli.profile.show.unreadable", r.describe(err)), false
	}
	if len(conf.Peers) == 0 {
		r.say("cli.key.import.no_peer", file)
		return ExitOK, true
	}
	peer, t := conf.Peers[0], p.Tunnel
	var diffs []string
	if got := peer.PublicKey.String(); got != t.ServerPublicKey {
		diffs = append(diffs, r.t("cli.key.import.differs", r.t("cli.key.field.public_key"), got, t.ServerPublicKey))
	}
	if peer.Endpoint != "" && !sameEndpoint(peer.Endpoint, t.Endpoint) {
		diffs = append(diffs, r.t("cli.key.import.differs", r.t("cli.key.field.endpoint"), peer.Endpoint, t.Endpoint))
	}
	var want []netip.Prefix
	for _, a := range t.AllowedIPs {
		if p, err := netip.ParsePrefix(a); err == nil {
			want = append(want, p)
		}
	}
	if got, want := prefixSet(peer.AllowedIPs), prefixSet(want); !slices.Equal(got, want) {
		diffs = append(diffs, r.t("cli.key.import.differs", r.t("cli.key.field.allowed_ips"), r.list(got), r.list(want)))
	}
	if len(diffs) == 0 {
		r.say("cli.key.import.checked", cur.Serial)
		return ExitOK, true
	}
	for _, d := range diffs {
		fmt.Fprintln(r.Stderr, d)
	}
	return r.fail(ExitUnhealthy, "cli.key.import.mismatch", file, cur.Serial), false
}

// list joins values for a sentence, saying "none" rather than nothing.
func (r *run) list(values []string) string {
	if len(values) == 0 {
		return r.t("cli.key.import.none")
	}
	return strings.Join(values, ", ")
}

// sameEndpoint compares host:port endpoints, the host without regard to
// case (a name is not resolved: a file naming the server by IP while the
// profile names it, or the reverse, is a difference to look at).
func sameEndpoint(a, b string) bool {
	ha, pa, errA := net.SplitHostPort(a)
	hb, pb, errB := net.SplitHostPort(b)
	if errA != nil || errB != nil {
		return a == b
	}
	na, _ := strconv.Atoi(pa)
	nb, _ := strconv.Atoi(pb)
	if aa, err := netip.ParseAddr(ha); err == nil {
		if ab, err := netip.ParseAddr(hb); err == nil {
			return aa == ab && na == nb
		}
	}
	return strings.EqualFold(strings.TrimSuffix(ha, "."), strings.TrimSuffix(hb, ".")) && na == nb
}

// prefixSet is the sorted, deduplicated set of masked prefixes, as routes.
func prefixSet(ps []netip.Prefix) []string {
	s := make([]string, 0, len(ps))
	for _, p := range ps {
		s = append(s, p.Masked().String())
	}
	slices.Sort(s)
	return slices.Compact(s)
}

type keyShowJSON struct {
	Identity *identityJSON `json:"identity"`
	// Keyring: present (the private key matches the public key), absent,
	// mismatch (another key), or unavailable (no usable keyring).
	Keyring string `json:"keyring"`
	// KeyringPublicKey is the public half of the key the keyring holds,
	// when it differs from the identity's or there is no identity.
	KeyringPublicKey string `json:"keyring_public_key,omitempty"`
	KeyringError     string `json:"keyring_error,omitempty"`
}

func cmdKeyShow(ctx context.Context, r *run, args []string) int {
	fs := newFlagSet("relais key show")
	asJSON := fs.Bool("json", false, "cli.flag.json")
	if !r.parseNoArgs(fs, args, "cli.key.show.usage") {
		return ExitUsage
	}
	m, code := r.openMachine(false)
	if m == nil {
		return code
	}
	defer m.Close()
	id, err := m.db.Identity(ctx)
	if err != nil && !errors.Is(err, store.ErrNotFound) {
		return r.fail(ExitUsage, "cli.store.read", err.Error())
	}
	doc := keyShowJSON{Identity: toIdentityJSON(id)}
	key, kerr := deviceVault().PrivateKey()
	switch {
	case kerr == nil:
		doc.Keyring = "present"
		if pub := publicKey(key); id == nil || pub != id.PublicKey {
			doc.KeyringPublicKey = pub
			if id != nil {
				doc.Keyring = "mismatch"
			}
		}
	case errors.Is(kerr, secrets.ErrNoKeyring):
		doc.Keyring, doc.KeyringError = "unavailable", kerr.Error()
	default:
		doc.Keyring = "absent"
	}
	exit := ExitOK
	switch {
	case doc.Keyring == "unavailable":
		exit = ExitUsage
	case id == nil, doc.Keyring != "present":
		exit = ExitUnhealthy
	}
	if *asJSON {
		r.printJSON(doc)
		if exit == ExitUsage {
			fmt.Fprintln(r.Stderr, r.describeIdentity(kerr))
		}
		return exit
	}
	if id == nil {
		r.say("cli.key.no_identity")
	} else {
		r.out("cli.key.show.public_key", id.PublicKey)
		if len(id.Addresses) == 0 {
			r.out("cli.key.show.no_addresses")
		} else {
			r.out("cli.key.show.addresses", strings.Join(id.Addresses, ", "))
		}
		if id.Source == "generated" {
			r.out("cli.key.show.source_generated")
		} else {
			r.out("cli.key.show.source_file", id.Source)
		}
		r.out("cli.key.show.created", id.CreatedAt.Local().Format(time.DateTime))
	}
	switch doc.Keyring {
	case "present":
		if id == nil {
			r.out("cli.key.show.keyring_orphan", doc.KeyringPublicKey)
		} else {
			r.out("cli.key.show.keyring_present")
		}
	case "mismatch":
		r.out("cli.key.show.keyring_mismatch", doc.KeyringPublicKey)
	case "absent":
		r.out("cli.key.show.keyring_absent")
	default:
		r.out("cli.key.show.keyring_unavailable")
		fmt.Fprintln(r.Stderr, r.describeIdentity(kerr))
	}
	return exit
}

func cmdKeyExportConf(ctx context.Context, r *run, args []string) int {
	fs := newFlagSet("relais key export-conf")
	output := fs.String("o", "", "cli.key.flag.output")
	fs.StringVar(output, "output", "", "cli.key.flag.output")
	withKey := fs.Bool("include-private-key", false, "cli.key.flag.include_private_key")
	if !r.parseNoArgs(fs, args, "cli.key.export.usage") {
		return ExitUsage
	}
	m, code := r.openMachine(false)
	if m == nil {
		return code
	}
	defer m.Close()
	cur, p, code := r.loadProfile(ctx, m, "cli.key.export.no_profile")
	if p == nil {
		return code
	}
	var (
		cfg tunnel.Config
		err error
	)
	if *withKey {
		cfg, err = r.deviceTunnelConfig(ctx, m, p)
	} else {
		cfg, err = publicTunnelConfig(ctx, m, p)
	}
	if err != nil {
		return r.identityFail(err)
	}
	f := wgconf.File{
		Interface: wgconf.Interface{Addresses: cfg.Addresses, DNS: cfg.DNS, DNSSearch: cfg.DNSDomains, MTU: cfg.MTU},
		Peers: []wgconf.Peer{{PublicKey: wgtypes.Key(cfg.Peer.PublicKey), Endpoint: cfg.Peer.Endpoint,
			AllowedIPs: cfg.Peer.AllowedIPs, PersistentKeepalive: int(cfg.Peer.PersistentKeepalive / time.Second)}},
	}
	if *withKey {
		k := wgtypes.Key(cfg.PrivateKey)
		f.Interface.PrivateKey = &k
	} else {
		f.Interface.PrivateKeyNote = r.t("cli.key.export.note")
	}
	body, err := f.Marshal()
	if err != nil {
		return r.fail(ExitUnhealthy, "cli.key.export.invalid", err.Error())
	}
	header := "# " + r.t("cli.key.export.header", cur.Serial, r.Now().Local().Format(time.DateTime)) + "\n"
	data := append([]byte(header), body...)
	if *output == "" || *output == "-" {
		_, _ = r.Stdout.Write(data)
		return ExitOK
	}
	if err := writePrivateFile(*output, data); err != nil {
		return r.fail(ExitUsage, "cli.key.export.write", *output, err.Error())
	}
	if *withKey {
		r.say("cli.key.export.written_with_key", *output)
	} else {
		r.say("cli.key.export.written", *output)
	}
	return ExitOK
}

// publicTunnelConfig is deviceTunnelConfig without the private key (left
// zero), for an export that must not need the keyring.
func publicTunnelConfig(ctx context.Context, m *machine, p *profile.Profile) (tunnel.Config, error) {
	id, err := m.db.Identity(ctx)
	if errors.Is(err, store.ErrNotFound) {
		return tunnel.Config{}, errNoIdentity
	}
	if err != nil {
		return tunnel.Config{}, err
	}
	addrs, err := identityAddresses(id)
	if err != nil {
		return tunnel.Config{}, err
	}
	return tunnel.FromProfile(p.Tunnel, tunnel.Key{}, addrs)
}

// writePrivateFile writes data to name with mode 0600 from its first byte
// (a temporary file renamed into place), whatever name's mode was.
func writePrivateFile(name string, data []byte) error {
	tmp, err := os.CreateTemp(filepath.Dir(name), ".relais-*.conf")
	if err != nil {
		return err
	}
	defer os.Remove(tmp.Name())
	if err := tmp.Chmod(0o600); err != nil {
		tmp.Close()
		return err
	}
	if _, err := tmp.Write(data); err != nil {
		tmp.Close()
		return err
	}
	if err := tmp.Close(); err != nil {
		return err
	}
	return os.Rename(tmp.Name(), name)
}

func cmdKeyDelete(ctx context.Context, r *run, args []string) int {
	fs := newFlagSet("relais key delete")
	if !r.parseNoArgs(fs, args, "cli.key.delete.usage") {
		return ExitUsage
	}
	// The keyring first: without it, the store keeps the public key so
	// that the identity can still be deleted later, in full.
	kerr := deviceVault().DeletePrivateKey()
	if kerr != nil && !errors.Is(kerr, secrets.ErrNoKey) {
		return r.identityFail(kerr)
	}
	m, code := r.openMachine(false)
	if m == nil {
		return code
	}
	defer m.Close()
	id, err := m.db.Identity(ctx)
	if err != nil && !errors.Is(err, store.ErrNotFound) {
		return r.fail(ExitUsage, "cli.store.read", err.Error())
	}
	if err := m.db.DeleteIdentity(ctx); err != nil {
		return r.fail(ExitUsage, "cli.store.write", err.Error())
	}
	if id == nil && kerr != nil {
		r.say("cli.key.delete.nothing")
		return ExitOK
	}
	if id != nil {
		_ = m.db.LogEvent(ctx, "identity", "WireGuard identity deleted, public key "+id.PublicKey)
	}
	r.say("cli.key.delete.done")
	return ExitOK
}

func newFlagSet(name string) *flag.FlagSet { return flag.NewFlagSet(name, flag.ContinueOnError) }
