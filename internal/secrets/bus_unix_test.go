//go:build !darwin && !windows

package secrets

import (
	"errors"
	"testing"
)

func TestSessionBusProblem(t *testing.T) {
	tests := []struct {
		env    map[string]string
		busDir string // where a bus socket "exists"
		ok     bool
	}{
		{map[string]string{"DBUS_SESSION_BUS_ADDRESS": "unix:path=/run/user/1000/bus"}, "", true},
		{map[string]string{"XDG_RUNTIME_DIR": "/run/user/1000"}, "/run/user/1000/bus", true},
		{map[string]string{"XDG_RUNTIME_DIR": "/run/user/1000"}, "", false},
		{map[string]string{}, "", false},
	}
	for _, tt := range tests {
		err := sessionBusProblem(func(k string) string { return tt.env[k] }, func(p string) bool { return p == tt.busDir })
		if (err == nil) != tt.ok {
			t.Errorf("%v: got %v, want ok=%v", tt.env, err, tt.ok)
		}
	}
}

// With no session bus at all, the OS keyring fails at once with
// ErrNoKeyring instead of autolaunching a bus that would outlive Relais.
func TestOSKeyringWithoutSessionBus(t *testing.T) {
	t.Setenv("DBUS_SESSION_BUS_ADDRESS", "")
	t.Setenv("XDG_RUNTIME_DIR", t.TempDir())
	_, err := Vault{Keyring: OSKeyring()}.PrivateKey()
	if err == nil || !errors.Is(err, ErrNoKeyring) {
		t.Fatalf("got %v, want ErrNoKeyring", err)
	}
}
