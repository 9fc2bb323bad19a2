// Package secretstest is an in-memory secrets.Keyring for tests, so that
// they never touch the keyring of the person running them. It must never
// be used outside tests.
package secretstest

import (
	"sync"

	"relais/internal/secrets"
)

// Keyring is an in-memory secrets.Keyring. When Err is set, every call
// fails with it, as a missing or locked OS keyring does.
type Keyring struct {
	mu      sync.Mutex // guards items, Err and setErrs
	items   map[string]string
	Err     error
	setErrs map[string]error // Set of these users fails
}

// New returns an empty keyring.
func New() *Keyring { return &Keyring{items: map[string]string{}} }

// Fail makes every later call return err (nil: work again).
func (k *Keyring) Fail(err error) {
	k.mu.Lock()
	defer k.mu.Unlock()
	k.Err = err
}

// FailSet makes every later Set of user fail with err (nil: work again),
// as a keyring that refuses one item.
func (k *Keyring) FailSet(user string, err error) {
	k.mu.Lock()
	defer k.mu.Unlock()
	if k.setErrs == nil {
		k.setErrs = map[string]error{}
	}
	k.setErrs[user] = err
}

// Items returns a copy of what the keyring holds, by "service/user".
func (k *Keyring) Items() map[string]string {
	k.mu.Lock()
	defer k.mu.Unlock()
	m := make(map[string]string, len(k.items))
	for n, v := range k.items {
		m[n] = v
	}
	return m
}

func (k *Keyring) Get(service, user string) (string, error) {
	k.mu.Lock()
	defer k.mu.Unlock()
	if k.Err != nil {
		return "", k.Err
	}
	v, ok := k.items[service+"/"+user]
	if !ok {
		return "", secrets.ErrNotFound
	}
	return v, nil
}

func (k *Keyring) Set(service, user, password string) error {
	k.mu.Lock()
	defer k.mu.Unlock()
	if k.Err != nil {
		return k.Err
	}
	if err := k.setErrs[user]; err != nil {
		return err
	}
	if k.items == nil {
		k.items = map[string]string{}
	}
	k.items[service+"/"+user] = password
	return nil
}

func (k *Keyring) Delete(service, user string) error {
	k.mu.Lock()
	defer k.mu.Unlock()
	if k.Err != nil {
		return k.Err
	}
	if _, ok := k.items[service+"/"+user]; !ok {
		return secrets.ErrNotFound
	}
	delete(k.items, service+"/"+user)
	return nil
}
