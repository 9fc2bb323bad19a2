package backend

import (
	"errors"
	"os"
	"path/filepath"
	"slices"
	"testing"

	"relais/internal/frontend"
	"relais/internal/secrets"
	"relais/internal/secrets/secretstest"
)

// An import checks the file first, then the keyring, before anything is
// opened; a key generation the keyring alone.
func TestCheckImport(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	good := filepath.Join(dir, "good.conf")
	if err := os.WriteFile(good, []byte("[Interface]\nPrivateKey = yAnz5TF+lXXJte14tji3zlMNq+hd2rYUIgJBgB3fBmk=\nAddress = 10.20.0.7/32\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	bad := filepath.Join(dir, "bad.conf")
	if err := os.WriteFile(bad, []byte("[Interface]\nNonsense = 1\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name    string
		file    string
		broken  bool // the keyring does not answer
		code    string
		keyring string // CheckKeyring's code
	}{
		{name: "good", file: good},
		{name: "good, no keyring", file: good, broken: true, code: frontend.IdentityErrNoKeyring, keyring: frontend.IdentityErrNoKeyring},
		{name: "invalid", file: bad, code: frontend.IdentityErrInvalid},
		{name: "invalid, no keyring", file: bad, broken: true, code: frontend.IdentityErrInvalid, keyring: frontend.IdentityErrNoKeyring},
		{name: "missing", file: filepath.Join(dir, "missing.conf"), code: frontend.IdentityErrUnreadable},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			kr := secretstest.New()
			if tc.broken {
				kr.Fail(secrets.ErrNoKeyring)
			}
			env := Env{GOOS: "linux", Seams: Seams{Keyring: func() secrets.Keyring { return kr }}}
			check := func(what string, err error, code string) {
				t.Helper()
				var ie *frontend.IdentityError
				switch {
				case code == "" && err != nil:
					t.Fatalf("%s: %v", what, err)
				case code != "" && (!errors.As(err, &ie) || ie.Code != code):
					t.Fatalf("%s: %v, want %s", what, err, code)
				case code == frontend.IdentityErrNoKeyring && !errors.Is(err, secrets.ErrNoKeyring):
					t.Fatalf("%s: %v does not wrap the keyring's error", what, err)
				}
			}
			check("import", env.CheckImport(tc.file), tc.code)
			check("keyring", env.CheckKeyring(), tc.keyring)
		})
	}
}

// DiskFull finds room in a directory with room and leaves nothing behind.
func TestDiskFull(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	if DiskFull(dir) {
		t.Fatal("a temporary directory is full")
	}
	if entries, _ := os.ReadDir(dir); len(entries) != 0 {
		t.Fatalf("left behind: %v", entries)
	}
	if DiskFull(filepath.Join(dir, "missing")) {
		t.Fatal("a missing directory is not a full disk")
	}
}

// Tunnel addresses are prefixes, written canonically; the first that is
// not one is named.
func TestTunnelAddresses(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		in   []string
		want []string
		bad  string
	}{
		{in: nil, want: []string{}},
		{in: []string{"10.20.0.7/32", "fd00::7/128"}, want: []string{"10.20.0.7/32", "fd00::7/128"}},
		{in: []string{"10.20.0.7/32", "10.20.0.8", "nonsense"}, bad: "10.20.0.8"},
	} {
		got, err := TunnelAddresses(tc.in)
		var fe *frontend.Error
		switch {
		case tc.bad != "" && (!errors.As(err, &fe) || fe.Key != "cli.key.bad_address" || fe.Args[0] != tc.bad):
			t.Errorf("%v: %v, want cli.key.bad_address %s", tc.in, err, tc.bad)
		case tc.bad == "" && (err != nil || !slices.Equal(got, tc.want) || got == nil):
			t.Errorf("%v: %v %v, want %v", tc.in, got, err, tc.want)
		}
	}
}
