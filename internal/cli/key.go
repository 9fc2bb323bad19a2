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

	"relais/internal/frontend"
	"relais/internal/profile"
	"relais/internal/secrets"
	"relais/internal/store"
	"relais/internal/tunnel"
	"relais/internal/wgconf"
)

// relais key generate|import|show|export-conf|delete: the device's
// WireGuard identity. The private key goes to the OS keyring and nowhere
// else; the store keeps the public key and the tunnel addresses.

// identityJSON is the public half of the identity, as --json prints it.
type identityJSON struct {
	PublicKey string     `json:"public_key"`
	Addresses []string   `json:"addresses"`
	Source    string     `json:"source"`
	CreatedAt *time.Time `json:"created_at"` // null: not recorded
}

func toIdentityJSON(id *store.Identity) *identityJSON {
	if id == nil {
		return nil
	}
	return &identityJSON{PublicKey: id.PublicKey, Addresses: append([]string{}, id.Addresses...), Source: id.Source, CreatedAt: timeOrNull(id.CreatedAt)}
}

// sourceAdopted is the source of an identity whose key the keyring held
// with no record in the store (the data directory was reset): adopted.
const sourceAdopted = "keyring"

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

// idError is an identity operation's coded error (frontend.IdentityError),
// wrapping its cause.
func idError(code string, cause error, detail ...string) *frontend.IdentityError {
	return &frontend.IdentityError{Code: code, Err: cause, Detail: detail}
}

// keyringError is the coded error of a keyring that failed: its sentence,
// in the invocation's language, as the detail.
func (r *run) keyringError(err error) *frontend.IdentityError {
	return idError(frontend.IdentityErrNoKeyring, err, r.describeIdentity(err))
}

// vaultState is what the keyring holds before an identity changes: read
// first, so that without a keyring nothing is written, and so that a failed
// change can put it back.
type vaultState struct {
	priv, psk *tunnel.Key
}

func readVault(v secrets.Vault) (vaultState, error) {
	var st vaultState
	k, err := v.PrivateKey()
	switch {
	case err == nil:
		st.priv = &k
	case !errors.Is(err, secrets.ErrNoKey):
		return st, err
	}
	p, err := v.PresharedKey()
	switch {
	case err == nil:
		st.psk = &p
	case !errors.Is(err, secrets.ErrNoKey):
		return st, err
	}
	return st, nil
}

// restore puts the keyring back as st was (best effort: it follows a
// failure already reported).
func (st vaultState) restore(v secrets.Vault) {
	if st.priv != nil {
		_ = v.SetPrivateKey(*st.priv)
	} else {
		_ = v.DeletePrivateKey()
	}
	if st.psk != nil {
		_ = v.SetPresharedKey(*st.psk)
	} else {
		_ = v.DeletePresharedKey()
	}
}

// saveIdentity puts the private key (and the preshared key, or none) in
// the keyring and the public half in the store. If anything fails, the
// keyring gets its previous content back, so the two never disagree.
func (r *run) saveIdentity(ctx context.Context, m *machine, v secrets.Vault, old vaultState, priv tunnel.Key, psk *tunnel.Key, addrs []string, source string) (store.Identity, error) {
	id := store.Identity{PublicKey: publicKey(priv), Addresses: addrs, Source: source, CreatedAt: r.Now()}
	if err := v.SetPrivateKey(priv); err != nil {
		old.restore(v)
		return id, r.keyringError(err)
	}
	var err error
	if psk != nil {
		err = v.SetPresharedKey(*psk)
	} else if err = v.DeletePresharedKey(); errors.Is(err, secrets.ErrNoKey) {
		err = nil
	}
	if err != nil {
		old.restore(v)
		return id, r.keyringError(err)
	}
	if err := m.db.SetIdentity(ctx, id); err != nil {
		old.restore(v)
		return id, idError(frontend.IdentityErrStore, err, r.t("cli.store.write", err.Error()))
	}
	what := "WireGuard identity saved (%s), public key %s"
	if psk != nil {
		what += ", with a preshared key"
	}
	_ = m.db.LogEvent(ctx, "identity", fmt.Sprintf(what, source, id.PublicKey))
	return id, nil
}

// storedIdentity is the store's identity; a key the keyring holds with no
// record (the data directory was reset) is adopted: recorded with no
// address, so that Relais shows it and uses it rather than neither.
// key is the keyring's private key, nil when there is none.
func (r *run) storedIdentity(ctx context.Context, m *machine, key *tunnel.Key) (*store.Identity, error) {
	id, _, err := r.adoptIdentity(ctx, m, key)
	return id, err
}

// adoptIdentity is storedIdentity, saying whether it adopted the key now.
func (r *run) adoptIdentity(ctx context.Context, m *machine, key *tunnel.Key) (*store.Identity, bool, error) {
	id, err := m.db.Identity(ctx)
	switch {
	case err == nil:
		return id, false, nil
	case !errors.Is(err, store.ErrNotFound):
		return nil, false, err
	case key == nil:
		return nil, false, nil
	}
	adopted := store.Identity{PublicKey: publicKey(*key), Addresses: []string{}, Source: sourceAdopted, CreatedAt: r.Now()}
	if err := m.db.SetIdentity(ctx, adopted); err != nil {
		return nil, false, err
	}
	_ = m.db.LogEvent(ctx, "identity", "WireGuard identity adopted from the keyring (no record in the store), public key "+adopted.PublicKey)
	return &adopted, true, nil
}

// existsError is the coded error of an identity kept because replace was
// not asked.
func existsError(id *store.Identity, old vaultState) *frontend.IdentityError {
	e := idError(frontend.IdentityErrExists, nil)
	if id != nil {
		e.PublicKey = id.PublicKey
	} else if old.priv != nil {
		e.PublicKey = publicKey(*old.priv)
	}
	return e
}

// generateIdentity makes a new key with addrs; an existing identity is
// replaced only when replace is set. Its errors are *frontend.IdentityError.
func (r *run) generateIdentity(ctx context.Context, m *machine, addrs []string, replace bool) (store.Identity, error) {
	v := deviceVault()
	old, err := readVault(v)
	if err != nil {
		return store.Identity{}, r.keyringError(err)
	}
	id, err := r.storedIdentity(ctx, m, old.priv)
	if err != nil {
		return store.Identity{}, idError(frontend.IdentityErrStore, err, r.t("cli.store.read", err.Error()))
	}
	if (id != nil || old.priv != nil) && !replace {
		return store.Identity{}, existsError(id, old)
	}
	priv, err := wgtypes.GeneratePrivateKey()
	if err != nil {
		return store.Identity{}, idError(frontend.IdentityErrFailed, err, r.t("cli.key.generate.failed", err.Error()))
	}
	// A new key is a new enrolment: a preshared key of the old one goes.
	return r.saveIdentity(ctx, m, v, old, tunnel.Key(priv), nil, addrs, "generated")
}

// importOutcome is what an import found out beside the identity.
type importOutcome struct {
	serial    int64 // the profile the file was checked against; 0: none cached
	noPeer    bool  // the file has no [Peer]: only the key and addresses were taken
	peers     int   // the file's [Peer] count, for IdentityErrPeers
	unchecked bool
}

// importIdentity imports a wg-quick .conf from IT: the private key and any
// preshared key into the keyring, the addresses into the store. Another
// identity is replaced only when replace is set; the same key again (new
// addresses from IT) needs no replace. Its errors are *frontend.IdentityError.
func (r *run) importIdentity(ctx context.Context, m *machine, file string, replace bool) (store.Identity, importOutcome, error) {
	var out importOutcome
	name := filepath.Base(file)
	fail := func(code string, cause error, detail ...string) (store.Identity, importOutcome, error) {
		e := idError(code, cause, detail...)
		e.File = name
		return store.Identity{}, out, e
	}
	conf, err := wgconf.ReadFile(file)
	if err != nil {
		return store.Identity{}, out, r.importFileError(err, file)
	}
	if conf.Interface.PrivateKey == nil {
		return fail(frontend.IdentityErrNoPrivateKey, nil)
	}
	if out.peers = len(conf.Peers); out.peers > 1 {
		return fail(frontend.IdentityErrPeers, nil, strconv.Itoa(out.peers))
	}
	priv := tunnel.Key(*conf.Interface.PrivateKey)
	if priv == (tunnel.Key{}) {
		return fail(frontend.IdentityErrZeroKey, nil)
	}
	var psk *tunnel.Key
	if len(conf.Peers) == 1 && conf.Peers[0].PresharedKey != nil && *conf.Peers[0].PresharedKey != (wgtypes.Key{}) {
		k := tunnel.Key(*conf.Peers[0].PresharedKey)
		psk = &k
	}
	v := deviceVault()
	old, err := readVault(v)
	if err != nil {
		e := r.keyringError(err)
		e.File = name
		return store.Identity{}, out, e
	}
	if diffs, err := r.confAgainstProfile(ctx, m, conf, &out); err != nil {
		e := err.(*frontend.IdentityError)
		e.File = name
		return store.Identity{}, out, e
	} else if len(diffs) > 0 {
		return fail(frontend.IdentityErrMismatch, nil, diffs...)
	}
	id, err := r.storedIdentity(ctx, m, old.priv)
	if err != nil {
		return fail(frontend.IdentityErrStore, err, r.t("cli.store.read", err.Error()))
	}
	pub := publicKey(priv)
	same := (id == nil || id.PublicKey == pub) && (old.priv == nil || *old.priv == priv)
	if !same && !replace {
		e := existsError(id, old)
		e.File = name
		return store.Identity{}, out, e
	}
	addrs := []string{}
	for _, a := range conf.Interface.Addresses {
		addrs = append(addrs, a.String())
	}
	saved, err := r.saveIdentity(ctx, m, v, old, priv, psk, addrs, name)
	if err != nil {
		err.(*frontend.IdentityError).File = name
		return store.Identity{}, out, err
	}
	return saved, out, nil
}

// confAgainstProfile compares the .conf's peer with the cached profile's
// tunnel: it returns each difference, as a sentence (a file meant for
// another server or network is refused). out says what it could check.
func (r *run) confAgainstProfile(ctx context.Context, m *machine, conf *wgconf.File, out *importOutcome) ([]string, error) {
	cur, err := m.db.CurrentProfile(ctx)
	if errors.Is(err, store.ErrNotFound) {
		out.unchecked = true
		return nil, nil
	}
	if err != nil {
		return nil, idError(frontend.IdentityErrStore, err, r.t("cli.store.read", err.Error()))
	}
	p, err := profile.Parse("profile.toml", cur.Bytes)
	if err != nil {
		return nil, idError(frontend.IdentityErrFailed, err, r.t("cli.profile.show.unreadable", r.describe(err)))
	}
	out.serial = cur.Serial
	if len(conf.Peers) == 0 {
		out.noPeer = true
		return nil, nil
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
	return diffs, nil
}

// deleteIdentity deletes the identity: the keys from the keyring first
// (without a keyring, the store keeps the public key, so that the identity
// can still be deleted later, in full), then the record. It reports
// whether there was anything to delete. Its errors are *frontend.IdentityError.
func (r *run) deleteIdentity(ctx context.Context, m *machine) (bool, error) {
	v := deviceVault()
	kerr := v.DeletePrivateKey()
	if kerr != nil && !errors.Is(kerr, secrets.ErrNoKey) {
		return false, r.keyringError(kerr)
	}
	if err := v.DeletePresharedKey(); err != nil && !errors.Is(err, secrets.ErrNoKey) {
		return false, r.keyringError(err)
	}
	id, err := m.db.Identity(ctx)
	if err != nil && !errors.Is(err, store.ErrNotFound) {
		return false, idError(frontend.IdentityErrStore, err, r.t("cli.store.read", err.Error()))
	}
	if err := m.db.DeleteIdentity(ctx); err != nil {
		return false, idError(frontend.IdentityErrStore, err, r.t("cli.store.write", err.Error()))
	}
	if id == nil && kerr != nil {
		return false, nil
	}
	pub := "(none recorded)"
	if id != nil {
		pub = id.PublicKey
	}
	_ = m.db.LogEvent(ctx, "identity", "WireGuard identity deleted, public key "+pub)
	return true, nil
}

// identityCmdFail prints an identity operation's error as the CLI says it
// and returns its exit code.
func (r *run) identityCmdFail(err error, file string) int {
	var e *frontend.IdentityError
	if !errors.As(err, &e) {
		return r.fail(ExitUsage, "cli.store.write", err.Error())
	}
	switch e.Code {
	case frontend.IdentityErrExists:
		return r.fail(ExitUsage, "cli.key.exists", e.PublicKey)
	case frontend.IdentityErrNoKeyring:
		return r.identityFail(e.Err)
	case frontend.IdentityErrInvalid:
		for _, d := range e.Detail {
			fmt.Fprintln(r.Stderr, d)
		}
		fmt.Fprintln(r.Stderr, r.n("cli.key.import.invalid", len(e.Detail), file, len(e.Detail)))
		return ExitUsage
	case frontend.IdentityErrTooLarge:
		return r.fail(ExitUsage, "cli.key.import.too_large", file, wgconf.MaxSize)
	case frontend.IdentityErrUnreadable:
		return r.fail(ExitUsage, "cli.error.read_file", file, e.Err.Error())
	case frontend.IdentityErrNoPrivateKey:
		return r.fail(ExitUsage, "cli.key.import.no_private_key", file)
	case frontend.IdentityErrPeers:
		n, _ := strconv.Atoi(e.Detail[0])
		return r.fail(ExitUsage, "cli.key.import.peers", file, n)
	case frontend.IdentityErrZeroKey:
		return r.fail(ExitUsage, "cli.key.import.zero_key", file)
	}
	for _, d := range e.Detail {
		fmt.Fprintln(r.Stderr, d)
	}
	if e.Code == frontend.IdentityErrFailed {
		return ExitUnhealthy
	}
	return ExitUsage
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
	// Without a keyring, stop before the store is even opened: no trace.
	if _, err := readVault(deviceVault()); err != nil {
		return r.identityFail(err)
	}
	m, code := r.openMachine(false)
	if m == nil {
		return code
	}
	defer m.Close()
	id, err := r.generateIdentity(ctx, m, addrs, *force)
	if err != nil {
		return r.identityCmdFail(err, "")
	}
	r.printIdentitySaved(*toIdentityJSON(&id), *asJSON, "cli.key.generate.done")
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
	// The file first, then the keyring: a bad file is said as such
	// whatever the keyring; without a keyring, the store is not opened.
	if _, err := wgconf.ReadFile(file); err != nil {
		return r.identityCmdFail(r.importFileError(err, file), file)
	}
	if _, err := readVault(deviceVault()); err != nil {
		return r.identityFail(err)
	}
	m, code := r.openMachine(false)
	if m == nil {
		return code
	}
	defer m.Close()
	id, out, err := r.importIdentity(ctx, m, file, *force)
	switch {
	case out.unchecked:
		r.say("cli.key.import.unchecked")
	case out.noPeer:
		r.say("cli.key.import.no_peer", file)
	}
	var e *frontend.IdentityError
	if errors.As(err, &e) && e.Code == frontend.IdentityErrMismatch {
		for _, d := range e.Detail {
			fmt.Fprintln(r.Stderr, d)
		}
		return r.fail(ExitUnhealthy, "cli.key.import.mismatch", file, out.serial)
	}
	if err != nil {
		return r.identityCmdFail(err, file)
	}
	if !out.unchecked && !out.noPeer {
		r.say("cli.key.import.checked", out.serial)
	}
	r.printIdentitySaved(*toIdentityJSON(&id), *asJSON, "cli.key.import.done")
	r.say("cli.key.import.delete_file", file)
	return ExitOK
}

// importFileError is the coded error of a .conf that does not parse, its
// problems worded in the invocation's language ("FILE:LINE: Key: …", the
// location as written, the problem in words; never the value).
func (r *run) importFileError(err error, file string) error {
	var list wgconf.ErrorList
	e := idError(frontend.IdentityErrUnreadable, err, err.Error())
	switch {
	case errors.As(err, &list):
		e = idError(frontend.IdentityErrInvalid, err)
		for _, l := range list {
			e.Detail = append(e.Detail, r.confProblem(l))
		}
	case errors.Is(err, wgconf.ErrTooLarge):
		e = idError(frontend.IdentityErrTooLarge, err)
	}
	e.File = filepath.Base(file)
	return e
}

// confProblem words one problem of a .conf.
func (r *run) confProblem(e *wgconf.Error) string {
	msg := r.t("cli.key.conf."+e.Code, e.Args...)
	if e.Key == "" {
		return fmt.Sprintf("%s:%d: %s", e.File, e.Line, msg)
	}
	return fmt.Sprintf("%s:%d: %s: %s", e.File, e.Line, e.Key, msg)
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
	// KeyringError is why the keyring is unavailable: the code
	// no_keyring, what to do in each language, the system's error as
	// detail.
	KeyringError *codedTextJSON `json:"keyring_error,omitempty"`
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
	key, kerr := deviceVault().PrivateKey()
	var held *tunnel.Key
	if kerr == nil {
		held = &key
	}
	id, adopted, err := r.adoptIdentity(ctx, m, held)
	if err != nil {
		return r.fail(ExitUsage, "cli.store.read", err.Error())
	}
	if adopted {
		r.say("cli.key.show.adopted")
	}
	doc := keyShowJSON{Identity: toIdentityJSON(id)}
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
		doc.Keyring, doc.KeyringError = "unavailable", codedText("no_keyring", noKeyringKey(r.GOOS))
		doc.KeyringError.Detail = kerr.Error()
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
		switch id.Source {
		case "generated":
			r.out("cli.key.show.source_generated")
		case sourceAdopted:
			r.out("cli.key.show.source_adopted")
		default:
			r.out("cli.key.show.source_file", id.Source)
		}
		if !id.CreatedAt.IsZero() {
			r.out("cli.key.show.created", id.CreatedAt.Local().Format(time.DateTime))
		}
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
		if cfg.Peer.PresharedKey != (tunnel.Key{}) {
			psk := wgtypes.Key(cfg.Peer.PresharedKey)
			f.Peers[0].PresharedKey = &psk
		}
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
	m, code := r.openMachine(false)
	if m == nil {
		return code
	}
	defer m.Close()
	deleted, err := r.deleteIdentity(ctx, m)
	switch {
	case err != nil:
		return r.identityCmdFail(err, "")
	case !deleted:
		r.say("cli.key.delete.nothing")
	default:
		r.say("cli.key.delete.done")
	}
	return ExitOK
}

func newFlagSet(name string) *flag.FlagSet { return flag.NewFlagSet(name, flag.ContinueOnError) }
