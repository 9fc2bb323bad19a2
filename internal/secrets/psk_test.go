package secrets

import (
	"errors"
	"strings"
	"testing"

	"relais/internal/tunnel"
)

// The preshared key is a second keyring item beside the private key: each
// is set, read and deleted on its own; a missing one is ErrNoKey, a failing
// keyring ErrNoKeyring, and no error shows what the keyring held.
func TestPresharedKey(t *testing.T) {
	kr := &fakeKeyring{}
	v := Vault{Keyring: kr}
	if _, err := v.PresharedKey(); !errors.Is(err, ErrNoKey) {
		t.Fatalf("none stored: %v", err)
	}
	psk := key(7)
	priv := key(9)
	if err := v.SetPresharedKey(psk); err != nil {
		t.Fatal(err)
	}
	if err := v.SetPrivateKey(priv); err != nil {
		t.Fatal(err)
	}
	if got, err := v.PresharedKey(); err != nil || got != psk {
		t.Fatalf("read back: %v", err)
	}
	if kr.items[Service+"/"+PresharedUser] != psk.String() || kr.items[Service+"/"+User] != priv.String() {
		t.Fatalf("items: %v", kr.items)
	}
	if err := v.SetPresharedKey(key(0)); err == nil {
		t.Error("an all-zero preshared key was stored")
	}
	if err := v.DeletePrivateKey(); err != nil {
		t.Fatal(err)
	}
	if got, err := v.PresharedKey(); err != nil || got != psk {
		t.Fatalf("deleting the private key took the preshared key: %v", err)
	}
	if err := v.DeletePresharedKey(); err != nil {
		t.Fatal(err)
	}
	if err := v.DeletePresharedKey(); !errors.Is(err, ErrNoKey) {
		t.Fatalf("second delete: %v", err)
	}

	kr.items[Service+"/"+PresharedUser] = "not a key, maybe another secret"
	_, err := v.PresharedKey()
	if !errors.Is(err, ErrNoKey) || strings.Contains(err.Error(), "another secret") {
		t.Fatalf("garbage: %v", err)
	}
	kr.err = errors.New("org.freedesktop.DBus.Error.ServiceUnknown")
	if _, err := v.PresharedKey(); !errors.Is(err, ErrNoKeyring) {
		t.Fatalf("no keyring: %v", err)
	}
	if err := v.SetPresharedKey(psk); !errors.Is(err, ErrNoKeyring) || strings.Contains(err.Error(), psk.String()) {
		t.Fatalf("no keyring on write: %v", err)
	}
}

// key is an obviously fake key: 32 bytes of b.
func key(b byte) tunnel.Key {
	var k tunnel.Key
	for i := range k {
		k[i] = b
	}
	return k
}
