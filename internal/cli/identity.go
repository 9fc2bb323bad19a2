package cli

import (
	"context"
	"errors"
	"fmt"
	"net/netip"

	"golang.zx2c4.com/wireguard/wgctrl/wgtypes"

	"relais/internal/profile"
	"relais/internal/secrets"
	"relais/internal/store"
	"relais/internal/tunnel"
)

// deviceKeyring is the keyring that holds the device's private key: the
// OS keyring, replaced by a fake in tests.
var deviceKeyring = secrets.OSKeyring

func deviceVault() secrets.Vault { return secrets.Vault{Keyring: deviceKeyring()} }

var (
	// errNoIdentity: the store has no device identity yet.
	errNoIdentity = errors.New("this device has no WireGuard identity yet")
	// errKeyMismatch: the keyring's private key is not the one whose
	// public key the store (and so IT's enrolment) knows.
	errKeyMismatch = errors.New("the private key in the keyring does not match the recorded public key")
)

// deviceTunnelConfig builds the tunnel configuration from the profile and
// the device identity: the private key from the OS keyring, the addresses
// from the store (else the profile's tunnel.address). Its errors wrap
// errNoIdentity, errKeyMismatch, secrets.ErrNoKeyring, secrets.ErrNoKey or
// tunnel.ErrNoAddress; describeIdentity turns them into a sentence.
func (r *run) deviceTunnelConfig(ctx context.Context, m *machine, p *profile.Profile) (tunnel.Config, error) {
	v := deviceVault()
	key, kerr := v.PrivateKey()
	var held *tunnel.Key
	if kerr == nil {
		held = &key
	}
	id, err := r.storedIdentity(ctx, m, held)
	if err != nil {
		return tunnel.Config{}, err
	}
	if id == nil {
		if errors.Is(kerr, secrets.ErrNoKeyring) {
			return tunnel.Config{}, r.identityError(fmt.Errorf("device identity: %w", kerr))
		}
		return tunnel.Config{}, r.identityError(errNoIdentity)
	}
	addrs, err := identityAddresses(id)
	if err != nil {
		return tunnel.Config{}, err
	}
	if kerr != nil {
		return tunnel.Config{}, r.identityError(fmt.Errorf("device identity: %w", kerr))
	}
	if publicKey(key) != id.PublicKey {
		return tunnel.Config{}, r.identityError(fmt.Errorf("%w (%s)", errKeyMismatch, id.PublicKey))
	}
	psk, err := v.PresharedKey()
	switch {
	case errors.Is(err, secrets.ErrNoKey):
		psk = tunnel.Key{} // none: the tunnel has no preshared key
	case err != nil:
		return tunnel.Config{}, r.identityError(fmt.Errorf("device identity: %w", err))
	}
	cfg, err := tunnel.FromProfile(p.Tunnel, key, addrs)
	if err != nil {
		if errors.Is(err, tunnel.ErrNoAddress) {
			return cfg, r.identityError(err)
		}
		return cfg, err
	}
	cfg.Peer.PresharedKey = psk
	return cfg, nil
}

// identityErr is an identity error worded for people (describeIdentity),
// still errors.Is its cause.
type identityErr struct {
	msg string
	err error
}

func (e *identityErr) Error() string { return e.msg }
func (e *identityErr) Unwrap() error { return e.err }

// identityError words err in the invocation's language, keeping it.
func (r *run) identityError(err error) error {
	return &identityErr{msg: r.describeIdentity(err), err: err}
}

// identityAddresses parses the tunnel addresses the store recorded.
func identityAddresses(id *store.Identity) ([]netip.Prefix, error) {
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

// publicKey is the base64 public key of a private key.
func publicKey(priv tunnel.Key) string { return wgtypes.Key(priv).PublicKey().String() }

// describeIdentity turns an error of the identity (deviceTunnelConfig, the
// key commands) into a sentence saying what to do, in the invocation's
// language; other errors go to describe.
func (r *run) describeIdentity(err error) string {
	var worded *identityErr
	if errors.As(err, &worded) {
		return worded.msg
	}
	var msg string
	switch {
	case errors.Is(err, secrets.ErrNoKeyring):
		msg = r.t(noKeyringKey(r.GOOS))
	case errors.Is(err, errNoIdentity):
		return r.t("cli.key.no_identity")
	case errors.Is(err, errKeyMismatch):
		msg = r.t("cli.key.key_mismatch")
	case errors.Is(err, secrets.ErrNoKey):
		msg = r.t("cli.key.no_private_key")
	case errors.Is(err, tunnel.ErrNoAddress):
		return r.t("cli.key.no_address")
	default:
		return r.describe(err)
	}
	return msg + " " + r.t("cli.reason.detail", err.Error())
}

// noKeyringKey is the advice for a missing or locked keyring on each system.
func noKeyringKey(goos string) string {
	switch goos {
	case "darwin":
		return "cli.key.no_keyring_darwin"
	case "windows":
		return "cli.key.no_keyring_windows"
	}
	return "cli.key.no_keyring_unix"
}
