package profile

import (
	"bytes"
	"crypto/rand"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"aead.dev/minisign"

	"relais/internal/testenv"
)

func newKey(tb testing.TB) (minisign.PublicKey, minisign.PrivateKey) {
	tb.Helper()
	pub, priv, err := minisign.GenerateKey(rand.Reader)
	if err != nil {
		tb.Fatal(err)
	}
	return pub, priv
}

func TestVerifySignature(t *testing.T) {
	data := readExample(t)
	pub, priv := newKey(t)
	otherPub, otherPriv := newKey(t)
	sig := minisign.Sign(priv, data)

	altered := bytes.Clone(data)
	altered[len(altered)/2] ^= 1

	// minisign 0.11 signs a BLAKE2b prehash by default; the library's Reader does the same.
	r := minisign.NewReader(bytes.NewReader(data))
	if _, err := r.Read(make([]byte, len(data)+1)); err != nil {
		t.Fatal(err)
	}
	prehashed := r.Sign(priv)

	cases := []struct {
		name    string
		data    []byte
		sig     []byte
		trusted []minisign.PublicKey
		want    error
	}{
		{"valid", data, sig, []minisign.PublicKey{pub}, nil},
		{"valid prehashed", data, prehashed, []minisign.PublicKey{pub}, nil},
		{"second trusted key", data, sig, []minisign.PublicKey{otherPub, pub}, nil},
		{"no signature", data, nil, []minisign.PublicKey{pub}, ErrUnsigned},
		{"blank signature", data, []byte(" \n"), []minisign.PublicKey{pub}, ErrUnsigned},
		{"not a signature", data, []byte("<html>404 Not Found</html>\n"), []minisign.PublicKey{pub}, ErrSignatureMalformed},
		{"truncated signature", data, sig[:len(sig)/2], []minisign.PublicKey{pub}, ErrSignatureMalformed},
		{"untrusted key", data, minisign.Sign(otherPriv, data), []minisign.PublicKey{pub}, ErrUntrustedKey},
		{"one byte changed", altered, sig, []minisign.PublicKey{pub}, ErrBadSignature},
		{"one byte changed, prehashed", altered, prehashed, []minisign.PublicKey{pub}, ErrBadSignature},
		{"no trusted keys", data, sig, nil, ErrNoTrustedKeys},
		{"no trusted keys, unsigned", data, nil, []minisign.PublicKey{}, ErrNoTrustedKeys},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			err := VerifySignature(tc.data, tc.sig, tc.trusted)
			if tc.want == nil {
				if err != nil {
					t.Fatalf("got %v", err)
				}
				return
			}
			if !errors.Is(err, tc.want) {
				t.Fatalf("got %v, want %v", err, tc.want)
			}
			if !strings.HasPrefix(err.Error(), "profile: ") {
				t.Errorf("message %q lacks the package prefix", err)
			}
		})
	}

	// The administrator must be able to tell which key signed.
	err := VerifySignature(data, minisign.Sign(otherPriv, data), []minisign.PublicKey{pub})
	if id := fmt.Sprintf("%X", otherPub.ID()); !strings.Contains(err.Error(), "key id "+id) {
		t.Errorf("message %q does not name key id %s", err, id)
	}
}

// A signature by another key that claims a trusted key's id is a bad signature, not a
// valid one: key ids are hints, the key itself decides.
func TestVerifySignatureForgedKeyID(t *testing.T) {
	data := readExample(t)
	pub, _ := newKey(t)
	_, otherPriv := newKey(t)
	var s minisign.Signature
	if err := s.UnmarshalText(minisign.Sign(otherPriv, data)); err != nil {
		t.Fatal(err)
	}
	s.KeyID = pub.ID()
	forged, err := s.MarshalText()
	if err != nil {
		t.Fatal(err)
	}
	if err := VerifySignature(data, forged, []minisign.PublicKey{pub}); !errors.Is(err, ErrBadSignature) {
		t.Errorf("got %v, want ErrBadSignature", err)
	}
}

func TestParseTrustedKey(t *testing.T) {
	pub, _ := newKey(t)
	pubFile, err := pub.MarshalText()
	if err != nil {
		t.Fatal(err)
	}
	inputs := map[string]string{
		"bare":            pub.String(),
		"bare, spaces":    "  " + pub.String() + "\n",
		".pub file":       string(pubFile) + "\n",
		".pub file, CRLF": strings.ReplaceAll(string(pubFile), "\n", "\r\n") + "\r\n",
	}
	for name, in := range inputs {
		k, err := ParseTrustedKey(in)
		if err != nil {
			t.Errorf("%s: %v", name, err)
			continue
		}
		if !k.Equal(pub) {
			t.Errorf("%s: got key %s, want %s", name, k, pub)
		}
	}
	for _, in := range []string{"", "RWQ", "untrusted comment: minisign public key\nnot base64!", pub.String()[:20]} {
		if _, err := ParseTrustedKey(in); !errors.Is(err, ErrInvalidTrustedKey) {
			t.Errorf("ParseTrustedKey(%q) = %v, want ErrInvalidTrustedKey", in, err)
		}
	}
}

// Interoperability with the minisign tool that administrators sign with, when installed.
func TestMinisignTool(t *testing.T) {
	tool := testenv.NeedTools(t, "minisign")[0]
	dir := t.TempDir()
	pubPath, secPath := filepath.Join(dir, "k.pub"), filepath.Join(dir, "k.key")
	profilePath := filepath.Join(dir, "profile.toml")
	data := readExample(t)
	if err := os.WriteFile(profilePath, data, 0o600); err != nil {
		t.Fatal(err)
	}
	for _, args := range [][]string{
		{"-G", "-W", "-p", pubPath, "-s", secPath},
		{"-S", "-s", secPath, "-m", profilePath},
	} {
		if out, err := exec.Command(tool, args...).CombinedOutput(); err != nil {
			t.Fatalf("minisign %v: %v\n%s", args, err, out)
		}
	}
	pubText, err := os.ReadFile(pubPath)
	if err != nil {
		t.Fatal(err)
	}
	sig, err := os.ReadFile(profilePath + ".minisig")
	if err != nil {
		t.Fatal(err)
	}
	key, err := ParseTrustedKey(string(pubText))
	if err != nil {
		t.Fatal(err)
	}
	p, err := Accept("profile.toml", data, sig, []minisign.PublicKey{key}, Previous{}, time.Date(2026, 9, 1, 0, 0, 0, 0, time.UTC))
	if err != nil || p.Serial != 7 {
		t.Fatalf("Accept = %v, %v", p, err)
	}
	data[0] ^= 1
	if err := VerifySignature(data, sig, []minisign.PublicKey{key}); !errors.Is(err, ErrBadSignature) {
		t.Errorf("altered file: %v", err)
	}
}

func TestAccept(t *testing.T) {
	data := readExample(t) // serial 7, expires 2027-06-30
	pub, priv := newKey(t)
	trusted := []minisign.PublicKey{pub}
	sig := minisign.Sign(priv, data)
	now := time.Date(2026, 9, 1, 12, 0, 0, 0, time.UTC)

	p, err := Accept("example.toml", data, sig, trusted, Previous{}, now)
	if err != nil {
		t.Fatalf("first profile refused: %v", err)
	}
	same := Previous{Serial: p.Serial, SHA256: p.SHA256}

	// Same serial, one more comment: signed, valid, but not the same file.
	edited := append(bytes.Clone(data), "# corrigé\n"...)
	editedSig := minisign.Sign(priv, edited)

	newer := bytes.Replace(data, []byte("serial = 7"), []byte("serial = 8"), 1)
	invalid := bytes.Replace(data, []byte("serial = 7"), []byte("serial = 0"), 1)
	huge := append(bytes.Clone(data), bytes.Repeat([]byte("#\n"), MaxProfileSize)...)

	cases := []struct {
		name    string
		data    []byte
		sig     []byte
		prev    Previous
		now     time.Time
		want    error
		wantMsg string
	}{
		{"first", data, sig, Previous{}, now, nil, ""},
		{"same file again", data, sig, same, now, nil, ""},
		{"same file, hash in upper case", data, sig, Previous{Serial: 7, SHA256: strings.ToUpper(p.SHA256)}, now, nil, ""},
		{"newer", newer, minisign.Sign(priv, newer), same, now, nil, ""},
		{"older", data, sig, Previous{Serial: 8, SHA256: strings.Repeat("0", 64)}, now, ErrRollback, "profile: rollback refused: serial 7 is lower than the last accepted serial 8"},
		{"same serial, other bytes", edited, editedSig, same, now, ErrRollback, "profile: rollback refused: same serial, different content (serial 7)"},
		{"expired when offered", data, sig, Previous{}, time.Date(2027, 7, 1, 0, 0, 0, 0, time.UTC), ErrExpired, "profile: expired: example.toml expired on 2027-06-30T00:00:00Z"},
		{"unsigned", data, nil, Previous{}, now, ErrUnsigned, ""},
		{"tampered", edited, sig, Previous{}, now, ErrBadSignature, ""},
		// The signature is checked before anything is parsed.
		{"unsigned and invalid", invalid, nil, Previous{}, now, ErrUnsigned, ""},
		{"signed but invalid", invalid, minisign.Sign(priv, invalid), Previous{}, now, ErrInvalid, ""},
		{"signed but too large", huge, minisign.Sign(priv, huge), Previous{}, now, ErrTooLarge, ""},
		{"no trusted keys", data, sig, Previous{}, now, ErrNoTrustedKeys, ""},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			keys := trusted
			if tc.want == ErrNoTrustedKeys {
				keys = nil
			}
			got, err := Accept("example.toml", tc.data, tc.sig, keys, tc.prev, tc.now)
			if tc.want == nil {
				if err != nil || got == nil {
					t.Fatalf("refused: %v", err)
				}
				return
			}
			if got != nil || !errors.Is(err, tc.want) {
				t.Fatalf("got %v, %v; want %v", got, err, tc.want)
			}
			if tc.wantMsg != "" && err.Error() != tc.wantMsg {
				t.Errorf("message\n got %q\nwant %q", err, tc.wantMsg)
			}
			if !strings.HasPrefix(err.Error(), "profile: ") {
				t.Errorf("message %q lacks the package prefix", err)
			}
		})
	}

	// An invalid profile still gives the lint errors with their lines.
	_, err = Accept("example.toml", invalid, minisign.Sign(priv, invalid), trusted, Previous{}, now)
	var l ErrorList
	if !errors.As(err, &l) || len(l) != 1 || l[0].Error() != "example.toml:5: serial: must be greater than 0" {
		t.Errorf("got %v", err)
	}

	// A profile accepted before it expired stays usable, only marked.
	if !p.Expired(time.Date(2027, 7, 1, 0, 0, 0, 0, time.UTC)) || p.Expired(now) {
		t.Error("Expired disagrees with the profile's expires")
	}
}
