// Package secrets keeps the device's WireGuard private key in the OS
// keyring (the Secret Service on Linux, the login keychain on macOS, the
// Credential Manager on Windows) through github.com/zalando/go-keyring.
//
// The keyring is the only place the private key is ever kept. This package
// must never log a key, never write one to a file, the store or any other
// place, and never fall back to plaintext when the keyring is missing or
// locked: it reports ErrNoKeyring and lets the caller tell the person what
// to do.
package secrets

import (
	"errors"
	"fmt"
	"time"

	"github.com/zalando/go-keyring"

	"relais/internal/tunnel"
)

// Where the private key lives in the keyring.
const (
	Service = "org.relais.Relais"
	User    = "wireguard-private-key"
	// PresharedUser holds the peer's preshared key, when IT's .conf has one.
	PresharedUser = "wireguard-preshared-key"
)

var (
	// ErrNoKeyring means no usable OS keyring answered: no Secret Service
	// on the session bus, a locked keychain, a refused prompt, or any other
	// failure of the backend. The key was neither read nor written.
	ErrNoKeyring = errors.New("secrets: the OS keyring is not available")
	// ErrNoKey means the keyring answered but holds no usable WireGuard
	// private key for Relais.
	ErrNoKey = errors.New("secrets: no WireGuard private key in the OS keyring")
	// ErrNotFound is what a Keyring returns for a missing item (the same
	// value as go-keyring's, so the OS backends need no translation).
	ErrNotFound = keyring.ErrNotFound
)

// Keyring is a store of secrets by service and user, the subset of
// go-keyring that Relais uses. Get and Delete report a missing item with an
// error that errors.Is ErrNotFound; any other error means the keyring itself
// failed. Implementations must not keep or log the passwords they see.
type Keyring interface {
	Get(service, user string) (string, error)
	Set(service, user, password string) error
	Delete(service, user string) error
}

// OSKeyring is the operating system's keyring. A call that does not finish
// within a minute (a prompt nobody answers, a hung D-Bus peer) fails with
// ErrNoKeyring rather than blocking the caller for ever.
func OSKeyring() Keyring { return Timeout(osKeyring{}, time.Minute) }

type osKeyring struct{}

func (osKeyring) Get(service, user string) (string, error) {
	if err := osSessionBusProblem(); err != nil {
		return "", err
	}
	return keyring.Get(service, user)
}

func (osKeyring) Set(service, user, password string) error {
	if err := osSessionBusProblem(); err != nil {
		return err
	}
	return keyring.Set(service, user, password)
}

func (osKeyring) Delete(service, user string) error {
	if err := osSessionBusProblem(); err != nil {
		return err
	}
	return keyring.Delete(service, user)
}

// Timeout bounds every call to k by d. A call still running after d is
// abandoned (its goroutine finishes on its own) and reported as ErrNoKeyring.
func Timeout(k Keyring, d time.Duration) Keyring { return timeoutKeyring{k, d} }

type timeoutKeyring struct {
	k Keyring
	d time.Duration
}

type reply struct {
	s   string
	err error
}

func (t timeoutKeyring) call(f func() (string, error)) (string, error) {
	ch := make(chan reply, 1)
	go func() {
		s, err := f()
		ch <- reply{s, err}
	}()
	timer := time.NewTimer(t.d)
	defer timer.Stop()
	select {
	case r := <-ch:
		return r.s, r.err
	case <-timer.C:
		return "", fmt.Errorf("%w: no answer within %s (a locked keyring waiting for a password?)", ErrNoKeyring, t.d)
	}
}

func (t timeoutKeyring) Get(service, user string) (string, error) {
	return t.call(func() (string, error) { return t.k.Get(service, user) })
}

func (t timeoutKeyring) Set(service, user, password string) error {
	_, err := t.call(func() (string, error) { return "", t.k.Set(service, user, password) })
	return err
}

func (t timeoutKeyring) Delete(service, user string) error {
	_, err := t.call(func() (string, error) { return "", t.k.Delete(service, user) })
	return err
}

// Vault reads and writes the device's WireGuard private key in a Keyring.
type Vault struct {
	Keyring Keyring
}

// PrivateKey returns the private key. Its errors wrap ErrNoKey (nothing
// usable stored) or ErrNoKeyring (the keyring failed); they never contain
// what the keyring held.
func (v Vault) PrivateKey() (tunnel.Key, error) {
	s, err := v.Keyring.Get(Service, User)
	if err != nil {
		return tunnel.Key{}, classify("read", err)
	}
	k, err := tunnel.ParseKey(s)
	if err != nil {
		// Not the key itself in the message: it may be a secret of another kind.
		return tunnel.Key{}, fmt.Errorf("%w: the keyring item %s/%s is not a WireGuard key", ErrNoKey, Service, User)
	}
	return k, nil
}

// SetPrivateKey stores the private key, replacing any previous one.
func (v Vault) SetPrivateKey(k tunnel.Key) error {
	if k == (tunnel.Key{}) {
		return errors.New("secrets: refusing to store an all-zero key")
	}
	if err := v.Keyring.Set(Service, User, k.String()); err != nil {
		return classify("write", err)
	}
	return nil
}

// DeletePrivateKey removes the private key; its error wraps ErrNoKey when
// there was none.
func (v Vault) DeletePrivateKey() error {
	if err := v.Keyring.Delete(Service, User); err != nil {
		return classify("delete", err)
	}
	return nil
}

// PresharedKey returns the peer's preshared key, kept beside the private
// key when IT's .conf had one. Its errors wrap ErrNoKey (none stored: the
// tunnel has no preshared key) or ErrNoKeyring; they never contain what the
// keyring held.
func (v Vault) PresharedKey() (tunnel.Key, error) {
	s, err := v.Keyring.Get(Service, PresharedUser)
	if err != nil {
		return tunnel.Key{}, classifyUser("read", PresharedUser, err)
	}
	k, err := tunnel.ParseKey(s)
	if err != nil || k == (tunnel.Key{}) {
		return tunnel.Key{}, fmt.Errorf("%w: the keyring item %s/%s is not a WireGuard key", ErrNoKey, Service, PresharedUser)
	}
	return k, nil
}

// SetPresharedKey stores the peer's preshared key, replacing any previous
// one.
func (v Vault) SetPresharedKey(k tunnel.Key) error {
	if k == (tunnel.Key{}) {
		return errors.New("secrets: refusing to store an all-zero key")
	}
	if err := v.Keyring.Set(Service, PresharedUser, k.String()); err != nil {
		return classifyUser("write", PresharedUser, err)
	}
	return nil
}

// DeletePresharedKey removes the preshared key; its error wraps ErrNoKey
// when there was none.
func (v Vault) DeletePresharedKey() error {
	if err := v.Keyring.Delete(Service, PresharedUser); err != nil {
		return classifyUser("delete", PresharedUser, err)
	}
	return nil
}

// classify wraps a backend error in the sentinel the caller acts on.
func classify(op string, err error) error { return classifyUser(op, User, err) }

func classifyUser(op, user string, err error) error {
	switch {
	case errors.Is(err, ErrNoKeyring), errors.Is(err, ErrNoKey):
		return err
	case errors.Is(err, ErrNotFound):
		return fmt.Errorf("%w (%s/%s)", ErrNoKey, Service, user)
	}
	return fmt.Errorf("%w: %s: %w", ErrNoKeyring, op, err)
}
