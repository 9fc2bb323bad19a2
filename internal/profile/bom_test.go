package profile

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"testing"
	"time"

	"aead.dev/minisign"
)

// A profile saved by a Windows editor starts with a UTF-8 byte-order mark:
// it parses like the same file without one, its signature is checked over
// the exact bytes (BOM included) and its hash is of those bytes.
func TestParseBOM(t *testing.T) {
	data := append([]byte{0xEF, 0xBB, 0xBF}, readExample(t)...)
	p, err := Parse("example.toml", data)
	if err != nil {
		t.Fatalf("a profile with a BOM: %v", err)
	}
	want, err := Parse("example.toml", readExample(t))
	if err != nil {
		t.Fatal(err)
	}
	if p.Serial != want.Serial || len(p.Apps) != len(want.Apps) {
		t.Fatalf("with a BOM: serial %d, %d apps; without: %d, %d", p.Serial, len(p.Apps), want.Serial, len(want.Apps))
	}
	if sum := sha256.Sum256(data); p.SHA256 != hex.EncodeToString(sum[:]) {
		t.Errorf("SHA256 %s is not the hash of the file's bytes", p.SHA256)
	}

	pub, priv := newKey(t)
	now := time.Date(2026, 9, 1, 12, 0, 0, 0, time.UTC)
	if _, err := Accept("example.toml", data, minisign.Sign(priv, data), []minisign.PublicKey{pub}, Previous{}, now); err != nil {
		t.Fatalf("signed over the bytes with the BOM: %v", err)
	}
	// Signed without the BOM, served with one: not the signed bytes.
	sig := minisign.Sign(priv, bytes.TrimPrefix(data, []byte{0xEF, 0xBB, 0xBF}))
	if _, err := Accept("example.toml", data, sig, []minisign.PublicKey{pub}, Previous{}, now); !errors.Is(err, ErrBadSignature) {
		t.Fatalf("a signature over other bytes: %v, want ErrBadSignature", err)
	}
}
