package notices

import (
	"errors"
	"strings"

	"aead.dev/minisign"

	"relais/internal/profile"
)

// ParseKey reads the notice key as the profile's [notices] public_key gives
// it (the bare "RWQ…" key or a whole .pub file); a bad one is CodeNoKey.
func ParseKey(s string) (minisign.PublicKey, error) {
	k, err := profile.ParseTrustedKey(s)
	if err != nil {
		return k, fail(CodeNoKey, "%s", strings.TrimPrefix(err.Error(), "profile: "))
	}
	return k, nil
}

// Verify checks that sig is a minisign signature of doc by publicKey, the
// notice key and no other. It returns nil or an *Error: CodeUnsigned,
// CodeSignatureMalform, CodeUntrustedKey or CodeBadSignature.
func Verify(doc, sig []byte, publicKey minisign.PublicKey) error {
	if publicKey.ID() == 0 {
		return fail(CodeNoKey, "no notice key")
	}
	err := profile.VerifySignature(doc, sig, []minisign.PublicKey{publicKey})
	switch {
	case err == nil:
		return nil
	case errors.Is(err, profile.ErrUnsigned):
		return fail(CodeUnsigned, "no signature")
	case errors.Is(err, profile.ErrSignatureMalformed):
		return fail(CodeSignatureMalform, "%s", strings.TrimPrefix(err.Error(), "profile: "))
	case errors.Is(err, profile.ErrUntrustedKey):
		return fail(CodeUntrustedKey, "%s", strings.TrimPrefix(err.Error(), "profile: signed by an untrusted key: "))
	case errors.Is(err, profile.ErrBadSignature):
		return fail(CodeBadSignature, "%s", strings.TrimPrefix(err.Error(), "profile: signature does not match the file: "))
	}
	return fail(CodeBadSignature, "%v", err)
}

// Sign signs doc with the notice key's secret half, as `minisign -S` would:
// for tests, the demo office and the server.
func Sign(doc []byte, key minisign.PrivateKey) []byte {
	return minisign.Sign(key, doc)
}

// Previous is the last accepted document; the zero value means none.
type Previous struct {
	Serial int64
	SHA256 string
}

// Accept is the whole policy for a document offered by the network: the
// notice key must not be one of the profile's keys (a key has one purpose:
// CodeKeySharedWithProf), the signature first (nothing unauthenticated is
// parsed), then Parse, then rollback — a lower serial is refused, an equal
// one only with identical bytes. On any error the caller keeps the last good
// document.
func Accept(doc, sig []byte, key minisign.PublicKey, profileKeys []minisign.PublicKey, prev Previous) (*Document, error) {
	for _, pk := range profileKeys {
		if pk.ID() == key.ID() || pk.Equal(key) {
			return nil, fail(CodeKeySharedWithProf, "the notice key is also trusted for profiles")
		}
	}
	if len(doc) > MaxSize {
		return nil, fail(CodeTooLarge, "%d bytes, the limit is %d", len(doc), MaxSize)
	}
	if err := Verify(doc, sig, key); err != nil {
		return nil, err
	}
	d, err := Parse(doc)
	if err != nil {
		return nil, err
	}
	if prev != (Previous{}) {
		switch {
		case d.Serial < prev.Serial:
			return nil, fail(CodeRollback, "serial %d is lower than the last accepted %d", d.Serial, prev.Serial)
		case d.Serial == prev.Serial && !strings.EqualFold(d.SHA256, prev.SHA256):
			return nil, fail(CodeRollback, "same serial %d, different content", d.Serial)
		}
	}
	return d, nil
}
