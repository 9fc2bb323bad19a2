package backend

// The device's WireGuard identity: the private key (and any preshared
// key) in the OS keyring and nowhere else; the store keeps the public key
// and the tunnel addresses. Errors are *frontend.IdentityError, their
// details coded (*frontend.Error) for a front end to word.

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/netip"
	"path/filepath"
	"slices"
	"strconv"
	"strings"

	"golang.zx2c4.com/wireguard/wgctrl/wgtypes"

	"relais/internal/frontend"
	"relais/internal/profile"
	"relais/internal/secrets"
	"relais/internal/store"
	"relais/internal/tunnel"
	"relais/internal/wgconf"
)

var (
	// ErrNoIdentity: the store has no device identity yet.
	ErrNoIdentity = errors.New("this device has no WireGuard identity yet")
	// ErrKeyMismatch: the keyring's private key is not the one whose
	// public key the store (and so IT's enrolment) knows.
	ErrKeyMismatch = errors.New("the private key in the keyring does not match the recorded public key")
)

// IdentityProblem is err, an error of the device identity, as the coded
// error a front end words (what to do, then the detail): a missing or
// locked keyring (advice for goos), no identity, a key that does not
// match, a key the keyring lost, no tunnel address. Any other error is
// returned as is.
func IdentityProblem(goos string, err error) error {
	var fe *frontend.Error
	switch {
	case err == nil || errors.As(err, &fe):
		return err
	case errors.Is(err, secrets.ErrNoKeyring):
		return &frontend.Error{Key: NoKeyringKey(goos), Detail: err.Error(), Err: err}
	case errors.Is(err, ErrNoIdentity):
		return frontend.Wrap(err, "cli.key.no_identity")
	case errors.Is(err, ErrKeyMismatch):
		return &frontend.Error{Key: "cli.key.key_mismatch", Detail: err.Error(), Err: err}
	case errors.Is(err, secrets.ErrNoKey):
		return &frontend.Error{Key: "cli.key.no_private_key", Detail: err.Error(), Err: err}
	case errors.Is(err, tunnel.ErrNoAddress):
		return frontend.Wrap(err, "cli.key.no_address")
	}
	return err
}

// identityError is err coded (IdentityProblem) with this machine's system;
// no identity on a machine that knows an enrolment server says to enrol.
func (m *Machine) identityError(err error) error {
	var fe *frontend.Error
	if errors.Is(err, ErrNoIdentity) && !errors.As(err, &fe) && m.DB != nil && m.EnrolPlan(context.Background()).URL != "" {
		return frontend.Wrap(err, "cli.key.no_identity_enrol")
	}
	return IdentityProblem(m.Env.GOOS, err)
}

// SourceAdopted is the source of an identity whose key the keyring held
// with no record in the store (the data directory was reset): adopted.
const SourceAdopted = "keyring"

// idError is an identity operation's coded error (frontend.IdentityError),
// wrapping its cause.
func idError(code string, cause error, detail ...error) *frontend.IdentityError {
	return &frontend.IdentityError{Code: code, Err: cause, Detail: detail}
}

// keyringError is the coded error of a keyring that failed: what to do
// about it, coded, as the detail.
func (m *Machine) keyringError(err error) *frontend.IdentityError {
	return idError(frontend.IdentityErrNoKeyring, err, m.identityError(err))
}

// VaultState is what the keyring holds before an identity changes: read
// first, so that without a keyring nothing is written, and so that a failed
// change can put it back.
type VaultState struct {
	priv, psk *tunnel.Key
}

func ReadVault(v secrets.Vault) (VaultState, error) {
	var st VaultState
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
func (st VaultState) restore(v secrets.Vault) {
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
func (m *Machine) saveIdentity(ctx context.Context, v secrets.Vault, old VaultState, priv tunnel.Key, psk *tunnel.Key, addrs []string, source string) (store.Identity, error) {
	return m.saveIdentityAs(ctx, v, old, priv, psk, store.Identity{Addresses: addrs, Source: source, CreatedAt: m.Env.Now()})
}

// saveIdentityAs is saveIdentity of a record made by the caller (an
// enrolment's, with its URL and grant); its public key is priv's.
func (m *Machine) saveIdentityAs(ctx context.Context, v secrets.Vault, old VaultState, priv tunnel.Key, psk *tunnel.Key, id store.Identity) (store.Identity, error) {
	id.PublicKey = PublicKey(priv)
	source := id.Source
	if err := v.SetPrivateKey(priv); err != nil {
		old.restore(v)
		return id, m.keyringError(err)
	}
	var err error
	if psk != nil {
		err = v.SetPresharedKey(*psk)
	} else if err = v.DeletePresharedKey(); errors.Is(err, secrets.ErrNoKey) {
		err = nil
	}
	if err != nil {
		old.restore(v)
		return id, m.keyringError(err)
	}
	if err := m.DB.SetIdentity(ctx, id); err != nil {
		old.restore(v)
		return id, idError(frontend.IdentityErrStore, err, frontend.Errorf("cli.store.write", err.Error()))
	}
	what := "WireGuard identity saved (%s), public key %s"
	if psk != nil {
		what += ", with a preshared key"
	}
	_ = m.DB.LogEvent(ctx, "identity", fmt.Sprintf(what, source, id.PublicKey))
	return id, nil
}

// StoredIdentity is the store's identity; a key the keyring holds with no
// record (the data directory was reset) is adopted: recorded with no
// address, so that Relais shows it and uses it rather than neither.
// key is the keyring's private key, nil when there is none.
func (m *Machine) StoredIdentity(ctx context.Context, key *tunnel.Key) (*store.Identity, error) {
	id, _, err := m.AdoptIdentity(ctx, key)
	return id, err
}

// AdoptIdentity is StoredIdentity, saying whether it adopted the key now.
func (m *Machine) AdoptIdentity(ctx context.Context, key *tunnel.Key) (*store.Identity, bool, error) {
	id, err := m.DB.Identity(ctx)
	switch {
	case err == nil:
		return id, false, nil
	case !errors.Is(err, store.ErrNotFound):
		return nil, false, err
	case key == nil:
		return nil, false, nil
	}
	adopted := store.Identity{PublicKey: PublicKey(*key), Addresses: []string{}, Source: SourceAdopted, CreatedAt: m.Env.Now()}
	if err := m.DB.SetIdentity(ctx, adopted); err != nil {
		return nil, false, err
	}
	_ = m.DB.LogEvent(ctx, "identity", "WireGuard identity adopted from the keyring (no record in the store), public key "+adopted.PublicKey)
	return &adopted, true, nil
}

// existsError is the coded error of an identity kept because replace was
// not asked.
func existsError(id *store.Identity, old VaultState) *frontend.IdentityError {
	e := idError(frontend.IdentityErrExists, nil)
	if id != nil {
		e.PublicKey = id.PublicKey
	} else if old.priv != nil {
		e.PublicKey = PublicKey(*old.priv)
	}
	return e
}

// GenerateIdentity makes a new key with addrs; an existing identity is
// replaced only when replace is set. Its errors are *frontend.IdentityError.
func (m *Machine) GenerateIdentity(ctx context.Context, addrs []string, replace bool) (store.Identity, error) {
	v := m.Env.Vault()
	old, err := ReadVault(v)
	if err != nil {
		return store.Identity{}, m.keyringError(err)
	}
	id, err := m.StoredIdentity(ctx, old.priv)
	if err != nil {
		return store.Identity{}, idError(frontend.IdentityErrStore, err, frontend.Errorf("cli.store.read", err.Error()))
	}
	if (id != nil || old.priv != nil) && !replace {
		return store.Identity{}, existsError(id, old)
	}
	priv, err := wgtypes.GeneratePrivateKey()
	if err != nil {
		return store.Identity{}, idError(frontend.IdentityErrFailed, err, frontend.Errorf("cli.key.generate.failed", err.Error()))
	}
	// A new key is a new enrolment: a preshared key of the old one goes.
	return m.saveIdentity(ctx, v, old, tunnel.Key(priv), nil, addrs, "generated")
}

// ImportOutcome is what an import found out beside the identity.
type ImportOutcome struct {
	Serial    int64 // the profile the file was checked against; 0: none cached
	NoPeer    bool  // the file has no [Peer]: only the key and addresses were taken
	Peers     int   // the file's [Peer] count, for IdentityErrPeers
	Unchecked bool
}

// ImportIdentity imports a wg-quick .conf from IT: the private key and any
// preshared key into the keyring, the addresses into the store. Another
// identity is replaced only when replace is set; the same key again (new
// addresses from IT) needs no replace. Its errors are *frontend.IdentityError.
func (m *Machine) ImportIdentity(ctx context.Context, file string, replace bool) (store.Identity, ImportOutcome, error) {
	var out ImportOutcome
	name := filepath.Base(file)
	fail := func(code string, cause error, detail ...error) (store.Identity, ImportOutcome, error) {
		e := idError(code, cause, detail...)
		e.File = name
		return store.Identity{}, out, e
	}
	conf, err := wgconf.ReadFile(file)
	if err != nil {
		return store.Identity{}, out, ImportFileError(err, file)
	}
	if conf.Interface.PrivateKey == nil {
		return fail(frontend.IdentityErrNoPrivateKey, nil)
	}
	if out.Peers = len(conf.Peers); out.Peers > 1 {
		return fail(frontend.IdentityErrPeers, nil)
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
	v := m.Env.Vault()
	old, err := ReadVault(v)
	if err != nil {
		e := m.keyringError(err)
		e.File = name
		return store.Identity{}, out, e
	}
	if diffs, err := m.confAgainstProfile(ctx, conf, &out); err != nil {
		e := err.(*frontend.IdentityError)
		e.File = name
		return store.Identity{}, out, e
	} else if len(diffs) > 0 {
		return fail(frontend.IdentityErrMismatch, nil, diffs...)
	}
	id, err := m.StoredIdentity(ctx, old.priv)
	if err != nil {
		return fail(frontend.IdentityErrStore, err, frontend.Errorf("cli.store.read", err.Error()))
	}
	pub := PublicKey(priv)
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
	saved, err := m.saveIdentity(ctx, v, old, priv, psk, addrs, name)
	if err != nil {
		err.(*frontend.IdentityError).File = name
		return store.Identity{}, out, err
	}
	return saved, out, nil
}

// confAgainstProfile compares the .conf's peer with the cached profile's
// tunnel: it returns each difference, as a sentence (a file meant for
// another server or network is refused). out says what it could check.
func (m *Machine) confAgainstProfile(ctx context.Context, conf *wgconf.File, out *ImportOutcome) ([]error, error) {
	cur, err := m.DB.CurrentProfile(ctx)
	if errors.Is(err, store.ErrNotFound) {
		out.Unchecked = true
		return nil, nil
	}
	if err != nil {
		return nil, idError(frontend.IdentityErrStore, err, frontend.Errorf("cli.store.read", err.Error()))
	}
	p, err := profile.Parse("profile.toml", cur.Bytes)
	if err != nil {
		return nil, idError(frontend.IdentityErrFailed, err, frontend.Errorf("cli.profile.show.unreadable", err))
	}
	out.Serial = cur.Serial
	if len(conf.Peers) == 0 {
		out.NoPeer = true
		return nil, nil
	}
	peer, t := conf.Peers[0], p.Tunnel
	var diffs []error
	if got := peer.PublicKey.String(); got != t.ServerPublicKey {
		diffs = append(diffs, frontend.Errorf("cli.key.import.differs", frontend.Errorf("cli.key.field.public_key"), got, t.ServerPublicKey))
	}
	// Any of the profile's gateways, its standby ones included.
	if list := t.EndpointList(); peer.Endpoint != "" && !slices.ContainsFunc(list, func(e string) bool { return sameEndpoint(peer.Endpoint, e) }) {
		diffs = append(diffs, frontend.Errorf("cli.key.import.differs", frontend.Errorf("cli.key.field.endpoint"), peer.Endpoint, strings.Join(list, ", ")))
	}
	var want []netip.Prefix
	for _, a := range t.AllowedIPs {
		if p, err := netip.ParsePrefix(a); err == nil {
			want = append(want, p)
		}
	}
	if got, want := prefixSet(peer.AllowedIPs), prefixSet(want); !slices.Equal(got, want) {
		diffs = append(diffs, frontend.Errorf("cli.key.import.differs", frontend.Errorf("cli.key.field.allowed_ips"), listArg(got), listArg(want)))
	}
	return diffs, nil
}

// DeleteIdentity deletes the identity: the keys from the keyring first
// (without a keyring, the store keeps the public key, so that the identity
// can still be deleted later, in full), then the record. It reports
// whether there was anything to delete. Its errors are *frontend.IdentityError.
func (m *Machine) DeleteIdentity(ctx context.Context) (bool, error) {
	v := m.Env.Vault()
	kerr := v.DeletePrivateKey()
	if kerr != nil && !errors.Is(kerr, secrets.ErrNoKey) {
		return false, m.keyringError(kerr)
	}
	if err := v.DeletePresharedKey(); err != nil && !errors.Is(err, secrets.ErrNoKey) {
		return false, m.keyringError(err)
	}
	id, err := m.DB.Identity(ctx)
	if err != nil && !errors.Is(err, store.ErrNotFound) {
		return false, idError(frontend.IdentityErrStore, err, frontend.Errorf("cli.store.read", err.Error()))
	}
	if err := m.DB.DeleteIdentity(ctx); err != nil {
		return false, idError(frontend.IdentityErrStore, err, frontend.Errorf("cli.store.write", err.Error()))
	}
	if id == nil && kerr != nil {
		return false, nil
	}
	pub := "(none recorded)"
	if id != nil {
		pub = id.PublicKey
	}
	_ = m.DB.LogEvent(ctx, "identity", "WireGuard identity deleted, public key "+pub)
	return true, nil
}

// importFileError is the coded error of a .conf that does not parse, its
// problems worded in the invocation's language ("FILE:LINE: Key: …", the
// location as written, the problem in words; never the value).
func ImportFileError(err error, file string) error {
	var list wgconf.ErrorList
	e := idError(frontend.IdentityErrUnreadable, err, errors.New(err.Error()))
	switch {
	case errors.As(err, &list):
		e = idError(frontend.IdentityErrInvalid, err)
		for _, l := range list {
			e.Detail = append(e.Detail, confProblem(l))
		}
	case errors.Is(err, wgconf.ErrTooLarge):
		e = idError(frontend.IdentityErrTooLarge, err)
	}
	e.File = filepath.Base(file)
	return e
}

// confProblem is one problem of a .conf, coded: its location, then what
// is wrong (never the value).
func confProblem(e *wgconf.Error) error {
	at := fmt.Sprintf("%s:%d: ", e.File, e.Line)
	if e.Key != "" {
		at += e.Key + ": "
	}
	return &frontend.Error{Key: "cli.key.conf." + e.Code, Args: e.Args, At: at, Err: e}
}

// listArg joins values for a sentence, saying "none" rather than nothing.
func listArg(values []string) any {
	if len(values) == 0 {
		return frontend.Errorf("cli.key.import.none")
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

// publicTunnelConfig is DeviceTunnelConfig without the private key (left
// zero), for an export that must not need the keyring.
func (m *Machine) PublicTunnelConfig(ctx context.Context, p *profile.Profile) (tunnel.Config, error) {
	id, err := m.DB.Identity(ctx)
	if errors.Is(err, store.ErrNotFound) {
		return tunnel.Config{}, ErrNoIdentity
	}
	if err != nil {
		return tunnel.Config{}, err
	}
	addrs, err := IdentityAddresses(id)
	if err != nil {
		return tunnel.Config{}, err
	}
	return tunnel.FromProfile(p.Tunnel, tunnel.Key{}, addrs)
}

// DeviceTunnelConfig builds the tunnel configuration from the profile and
// the device identity: the private key from the OS keyring, the addresses
// from the store (else the profile's tunnel.address). Its errors wrap
// ErrNoIdentity, ErrKeyMismatch, secrets.ErrNoKeyring, secrets.ErrNoKey or
// tunnel.ErrNoAddress; describeIdentity turns them into a sentence.
func (m *Machine) DeviceTunnelConfig(ctx context.Context, p *profile.Profile) (tunnel.Config, error) {
	v := m.Env.Vault()
	key, kerr := v.PrivateKey()
	var held *tunnel.Key
	if kerr == nil {
		held = &key
	}
	id, err := m.StoredIdentity(ctx, held)
	if err != nil {
		return tunnel.Config{}, err
	}
	if id == nil {
		if errors.Is(kerr, secrets.ErrNoKeyring) {
			return tunnel.Config{}, m.identityError(fmt.Errorf("device identity: %w", kerr))
		}
		return tunnel.Config{}, m.identityError(ErrNoIdentity)
	}
	addrs, err := IdentityAddresses(id)
	if err != nil {
		return tunnel.Config{}, err
	}
	if kerr != nil {
		return tunnel.Config{}, m.identityError(fmt.Errorf("device identity: %w", kerr))
	}
	if PublicKey(key) != id.PublicKey {
		return tunnel.Config{}, m.identityError(fmt.Errorf("%w (%s)", ErrKeyMismatch, id.PublicKey))
	}
	psk, err := v.PresharedKey()
	switch {
	case errors.Is(err, secrets.ErrNoKey):
		psk = tunnel.Key{} // none: the tunnel has no preshared key
	case err != nil:
		return tunnel.Config{}, m.identityError(fmt.Errorf("device identity: %w", err))
	}
	cfg, err := tunnel.FromProfile(p.Tunnel, key, addrs)
	if err != nil {
		if errors.Is(err, tunnel.ErrNoAddress) {
			return cfg, m.identityError(err)
		}
		return cfg, err
	}
	cfg.Peer.PresharedKey = psk
	return cfg, nil
}

// IdentityAddresses parses the tunnel addresses the store recorded.
func IdentityAddresses(id *store.Identity) ([]netip.Prefix, error) {
	var addrs []netip.Prefix
	for _, a := range id.Addresses {
		p, err := netip.ParsePrefix(a)
		if err != nil {
			return nil, fmt.Errorf("device identity: address %q: %w", a, err)
		}
		addrs = append(addrs, p)
	}
	return addrs, nil
}

// PublicKey is the base64 public key of a private key.
func PublicKey(priv tunnel.Key) string { return wgtypes.Key(priv).PublicKey().String() }

// NoKeyringKey is the advice for a missing or locked keyring on each system.
func NoKeyringKey(goos string) string {
	switch goos {
	case "darwin":
		return "cli.key.no_keyring_darwin"
	case "windows":
		return "cli.key.no_keyring_windows"
	}
	return "cli.key.no_keyring_unix"
}

// What the keyring holds, beside the identity the store records.
const (
	KeyringPresent     = "present"     // the private key matches the public key
	KeyringAbsent      = "absent"      // no private key
	KeyringMismatch    = "mismatch"    // another key than the recorded one
	KeyringUnavailable = "unavailable" // no usable keyring
)

// KeyState is the device identity as `relais key show` and the app's
// Settings show it.
type KeyState struct {
	Identity *store.Identity // nil: none recorded
	Adopted  bool            // the keyring's key had no record: adopted now
	Keyring  string          // a Keyring* value
	// KeyringPublicKey is the public half of the key the keyring holds,
	// when it differs from the identity's or there is no identity.
	KeyringPublicKey string
	KeyringErr       error // why the keyring is unavailable
}

// ShowKey reads the device identity: the store's record, the keyring's
// key (adopted when the store has no record of it). Its error is the
// store's.
func (m *Machine) ShowKey(ctx context.Context) (KeyState, error) {
	key, kerr := m.Env.Vault().PrivateKey()
	var held *tunnel.Key
	if kerr == nil {
		held = &key
	}
	id, adopted, err := m.AdoptIdentity(ctx, held)
	if err != nil {
		return KeyState{}, frontend.Wrap(err, "cli.store.read", err.Error())
	}
	ks := KeyState{Identity: id, Adopted: adopted}
	switch {
	case kerr == nil:
		ks.Keyring = KeyringPresent
		if pub := PublicKey(key); id == nil || pub != id.PublicKey {
			ks.KeyringPublicKey = pub
			if id != nil {
				ks.Keyring = KeyringMismatch
			}
		}
	case errors.Is(kerr, secrets.ErrNoKeyring):
		ks.Keyring, ks.KeyringErr = KeyringUnavailable, kerr
	default:
		ks.Keyring = KeyringAbsent
	}
	return ks, nil
}
