package secrets

import (
	"errors"
	"strings"
	"sync"
	"testing"
	"time"

	"relais/internal/tunnel"
)

// fakeKeyring is an in-memory Keyring; err, when set, is what every call
// returns instead (a keyring that is locked or absent).
type fakeKeyring struct {
	mu    sync.Mutex // guards items and err
	items map[string]string
	err   error
}

func (f *fakeKeyring) Get(service, user string) (string, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.err != nil {
		return "", f.err
	}
	v, ok := f.items[service+"/"+user]
	if !ok {
		return "", ErrNotFound
	}
	return v, nil
}

func (f *fakeKeyring) Set(service, user, password string) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.err != nil {
		return f.err
	}
	if f.items == nil {
		f.items = map[string]string{}
	}
	f.items[service+"/"+user] = password
	return nil
}

func (f *fakeKeyring) Delete(service, user string) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.err != nil {
		return f.err
	}
	if _, ok := f.items[service+"/"+user]; !ok {
		return ErrNotFound
	}
	delete(f.items, service+"/"+user)
	return nil
}

func testKey(b byte) tunnel.Key {
	var k tunnel.Key
	for i := range k {
		k[i] = b
	}
	return k
}

func TestVaultRoundTrip(t *testing.T) {
	kr := &fakeKeyring{}
	v := Vault{Keyring: kr}
	if _, err := v.PrivateKey(); !errors.Is(err, ErrNoKey) || errors.Is(err, ErrNoKeyring) {
		t.Fatalf("empty keyring: %v", err)
	}
	k := testKey(0x01)
	if err := v.SetPrivateKey(k); err != nil {
		t.Fatal(err)
	}
	if got := kr.items[Service+"/"+User]; got != k.String() {
		t.Fatalf("stored %q under %s/%s, want the base64 key", got, Service, User)
	}
	got, err := v.PrivateKey()
	if err != nil || got != k {
		t.Fatalf("read back %v, %v", got, err)
	}
	if err := v.SetPrivateKey(testKey(0x02)); err != nil {
		t.Fatal(err)
	}
	if got, _ := v.PrivateKey(); got != testKey(0x02) {
		t.Fatal("Set did not replace the key")
	}
	if err := v.DeletePrivateKey(); err != nil {
		t.Fatal(err)
	}
	if _, err := v.PrivateKey(); !errors.Is(err, ErrNoKey) {
		t.Fatalf("after delete: %v", err)
	}
	if err := v.DeletePrivateKey(); !errors.Is(err, ErrNoKey) {
		t.Fatalf("second delete: %v", err)
	}
}

func TestVaultRefusesZeroKey(t *testing.T) {
	kr := &fakeKeyring{}
	if err := (Vault{kr}).SetPrivateKey(tunnel.Key{}); err == nil || len(kr.items) != 0 {
		t.Fatalf("zero key stored: %v %v", err, kr.items)
	}
}

// A backend failure is ErrNoKeyring whatever the operation, with the
// backend's reason kept for the helpdesk.
func TestVaultBackendFailure(t *testing.T) {
	backend := errors.New("org.freedesktop.DBus.Error.ServiceUnknown: The name org.freedesktop.secrets was not provided")
	v := Vault{&fakeKeyring{err: backend}}
	_, err := v.PrivateKey()
	for _, err := range []error{err, v.SetPrivateKey(testKey(1)), v.DeletePrivateKey()} {
		if !errors.Is(err, ErrNoKeyring) || errors.Is(err, ErrNoKey) || !errors.Is(err, backend) {
			t.Errorf("got %v, want ErrNoKeyring wrapping the backend error", err)
		}
	}
}

// Something that is not a key in our item is ErrNoKey, and the error does
// not repeat what the keyring held.
func TestVaultGarbageItem(t *testing.T) {
	secret := "hunter2-not-a-key"
	kr := &fakeKeyring{items: map[string]string{Service + "/" + User: secret}}
	_, err := Vault{kr}.PrivateKey()
	if !errors.Is(err, ErrNoKey) || strings.Contains(err.Error(), secret) {
		t.Fatalf("%v", err)
	}
}

type blockingKeyring struct{ release chan struct{} }

func (b blockingKeyring) Get(string, string) (string, error) { <-b.release; return "", nil }
func (b blockingKeyring) Set(string, string, string) error   { <-b.release; return nil }
func (b blockingKeyring) Delete(string, string) error        { <-b.release; return nil }

// A prompt nobody answers does not hang the caller.
func TestTimeout(t *testing.T) {
	b := blockingKeyring{make(chan struct{})}
	defer close(b.release)
	v := Vault{Timeout(b, 20*time.Millisecond)}
	start := time.Now()
	if _, err := v.PrivateKey(); !errors.Is(err, ErrNoKeyring) {
		t.Fatalf("%v", err)
	}
	if err := v.SetPrivateKey(testKey(1)); !errors.Is(err, ErrNoKeyring) {
		t.Fatalf("%v", err)
	}
	if time.Since(start) > 5*time.Second {
		t.Fatal("the timeout did not apply")
	}
	// A quick keyring passes through untouched.
	kr := &fakeKeyring{}
	v = Vault{Timeout(kr, time.Minute)}
	if err := v.SetPrivateKey(testKey(3)); err != nil {
		t.Fatal(err)
	}
	if k, err := v.PrivateKey(); err != nil || k != testKey(3) {
		t.Fatal(k, err)
	}
	if _, err := v.PrivateKey(); err != nil {
		t.Fatal(err)
	}
}
