package backend

import (
	"crypto/rand"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"aead.dev/minisign"

	"relais/internal/frontend"
	"relais/internal/profile"
	"relais/internal/profile/profiletest"
)

// A profile file is judged as lint and verify judge it: read within the
// size limit, parsed, its signature checked against key files; what could
// not be read is a coded error.
func TestLintAndVerifyProfileFile(t *testing.T) {
	t.Parallel()
	pk, sk, err := minisign.GenerateKey(rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	other, _, err := minisign.GenerateKey(rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	write := func(name string, b []byte) string {
		t.Helper()
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, b, 0o644); err != nil {
			t.Fatal(err)
		}
		return p
	}
	body := profiletest.Example(t, "https://relais.example.org", 9)
	signed := write("signed.toml", body)
	write("signed.toml.minisig", minisign.Sign(sk, body))
	unsigned := write("unsigned.toml", body)
	broken := write("broken.toml", []byte("serial = \"nine\"\n"))
	write("broken.toml.minisig", minisign.Sign(sk, []byte("serial = \"nine\"\n")))
	huge := write("huge.toml", make([]byte, profile.MaxProfileSize+1))
	trusted := write("trusted.pub", []byte(pk.String()))
	untrusted := write("other.pub", []byte(other.String()))
	badKey := write("bad.pub", []byte("not a key"))
	missing := filepath.Join(dir, "missing.toml")

	for _, tc := range []struct {
		name      string
		file, sig string
		trust     []string
		errKey    string // the coded error; "": the file was judged
		parses    bool
		signed    bool
		sigIs     error
	}{
		{name: "signed", file: signed, trust: []string{trusted}, parses: true, signed: true},
		{name: "signature named", file: unsigned, sig: signed + ".minisig", trust: []string{trusted}, parses: true, signed: true},
		{name: "unsigned", file: unsigned, trust: []string{trusted}, parses: true, sigIs: profile.ErrUnsigned},
		{name: "untrusted key", file: signed, trust: []string{untrusted}, parses: true, sigIs: profile.ErrUntrustedKey},
		{name: "one key of two", file: signed, trust: []string{untrusted, trusted}, parses: true, signed: true},
		{name: "does not parse", file: broken, trust: []string{trusted}, signed: true},
		{name: "too large", file: huge, trust: []string{trusted}, errKey: "cli.profile.too_large"},
		{name: "missing", file: missing, trust: []string{trusted}, errKey: "cli.error.read_file"},
		{name: "missing key file", file: signed, trust: []string{missing}, errKey: "cli.error.read_file"},
		{name: "bad key", file: signed, trust: []string{badKey}, errKey: "cli.profile.bad_trust_key"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			c, err := VerifyProfileFile(tc.file, tc.sig, tc.trust)
			var fe *frontend.Error
			if tc.errKey != "" {
				if !errors.As(err, &fe) || fe.Key != tc.errKey {
					t.Fatalf("error: %v, want %s", err, tc.errKey)
				}
				if tc.errKey == "cli.profile.too_large" && !errors.Is(err, profile.ErrTooLarge) {
					t.Fatalf("too large: %v does not wrap profile.ErrTooLarge", err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if (c.Err == nil) != tc.parses || (c.Profile != nil && c.Err == nil && c.Serial() != 9) {
				t.Fatalf("parse: %v, serial %d", c.Err, c.Serial())
			}
			if (c.SigErr == nil) != tc.signed || (tc.sigIs != nil && !errors.Is(c.SigErr, tc.sigIs)) {
				t.Fatalf("signature: %v", c.SigErr)
			}
			if c.OK() != (tc.parses && tc.signed) {
				t.Fatalf("OK: %v", c.OK())
			}
			wantSig := tc.sig
			if wantSig == "" {
				wantSig = tc.file + ".minisig"
			}
			if c.SigFile != wantSig {
				t.Fatalf("signature file: %s, want %s", c.SigFile, wantSig)
			}
			if tc.name == "unsigned" && !strings.Contains(c.SigErr.Error(), wantSig) {
				t.Fatalf("unsigned: %v does not name %s", c.SigErr, wantSig)
			}
			// Lint reads and parses the same, with no signature.
			l, err := LintProfileFile(tc.file)
			if err != nil || (l.Err == nil) != tc.parses || l.SigErr != nil || l.SigFile != "" {
				t.Fatalf("lint: %v %+v", err, l)
			}
		})
	}
}

// ReadProfileFile reads up to the size limit and no more.
func TestReadProfileFile(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	for _, n := range []int{0, 10, profile.MaxProfileSize, profile.MaxProfileSize + 1} {
		p := filepath.Join(dir, "p.toml")
		if err := os.WriteFile(p, make([]byte, n), 0o644); err != nil {
			t.Fatal(err)
		}
		b, err := ReadProfileFile(p)
		if tooLarge := n > profile.MaxProfileSize; tooLarge != errors.Is(err, profile.ErrTooLarge) || (!tooLarge && (err != nil || len(b) != n)) {
			t.Fatalf("%d bytes: %d read, %v", n, len(b), err)
		}
	}
}
