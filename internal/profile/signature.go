package profile

import (
	"bytes"
	"errors"
	"fmt"
	"strings"
	"time"

	"aead.dev/minisign"
)

// ParseTrustedKey reads a minisign public key as the managed configuration gives it: the bare
// base64 key ("RWQ…") or the whole content of a minisign .pub file, comment line included.
func ParseTrustedKey(s string) (minisign.PublicKey, error) {
	var key minisign.PublicKey
	s = strings.TrimSpace(s)
	if s == "" {
		return key, fmt.Errorf("%w: empty", ErrInvalidTrustedKey)
	}
	if err := key.UnmarshalText([]byte(s)); err != nil {
		return minisign.PublicKey{}, fmt.Errorf("%w: %s", ErrInvalidTrustedKey, strings.TrimPrefix(err.Error(), "minisign: "))
	}
	return key, nil
}

// keyID formats a minisign key id the way minisign prints it in .pub and .minisig comments,
// so an administrator can match it by eye.
func keyID(id uint64) string { return fmt.Sprintf("%X", id) }

// VerifySignature checks that sig is a minisign signature of data by one of the trusted
// keys. It returns nil or an error wrapping ErrNoTrustedKeys, ErrUnsigned,
// ErrSignatureMalformed, ErrUntrustedKey or ErrBadSignature.
//
// No trusted keys is reported first: it is a fault of the machine's configuration that no
// profile, signed or not, could ever get past.
func VerifySignature(data, sig []byte, trusted []minisign.PublicKey) error {
	if len(trusted) == 0 {
		return fmt.Errorf("%w: the managed configuration lists none", ErrNoTrustedKeys)
	}
	if len(bytes.TrimSpace(sig)) == 0 {
		return fmt.Errorf("%w: no signature", ErrUnsigned)
	}
	var s minisign.Signature
	if err := s.UnmarshalText(sig); err != nil {
		return fmt.Errorf("%w: %s", ErrSignatureMalformed, strings.TrimPrefix(err.Error(), "minisign: "))
	}
	found := false
	for _, k := range trusted {
		if k.ID() != s.KeyID {
			continue
		}
		found = true
		// Key ids are unauthenticated hints: two trusted keys could share one, so every
		// candidate is tried.
		if minisign.Verify(k, data, sig) {
			return nil
		}
	}
	if !found {
		return fmt.Errorf("%w: key id %s", ErrUntrustedKey, keyID(s.KeyID))
	}
	return fmt.Errorf("%w: key id %s", ErrBadSignature, keyID(s.KeyID))
}

// Previous describes the last accepted profile; the zero value means there is none.
type Previous struct {
	Serial int64
	SHA256 string // hex SHA-256 of its bytes, as in Profile.SHA256
}

// Accept is the whole policy for a profile offered by the network or a bootstrap file: the
// signature first (nothing unauthenticated is even parsed), then Parse, then rollback and
// expiry. On any error the caller keeps its last good profile.
//
// An equal serial is accepted only for identical bytes, so that re-fetching the current
// profile works while a different file reusing a serial is refused. A profile that has
// already expired when offered is refused (ErrExpired); one that expires while in use stays
// in use, marked by Profile.Expired.
func Accept(name string, data, sig []byte, trusted []minisign.PublicKey, prev Previous, now time.Time) (*Profile, error) {
	if err := VerifySignature(data, sig, trusted); err != nil {
		return nil, err
	}
	p, err := Parse(name, data)
	if err != nil {
		var list ErrorList
		if errors.As(err, &list) {
			return nil, fmt.Errorf("%w: %w", ErrInvalid, err)
		}
		return nil, err
	}
	if prev != (Previous{}) {
		switch {
		case p.Serial < prev.Serial:
			return nil, fmt.Errorf("%w: serial %d is lower than the last accepted serial %d", ErrRollback, p.Serial, prev.Serial)
		case p.Serial == prev.Serial && !strings.EqualFold(p.SHA256, prev.SHA256):
			return nil, fmt.Errorf("%w: same serial, different content (serial %d)", ErrRollback, p.Serial)
		}
	}
	if p.Expired(now) {
		return nil, fmt.Errorf("%w: %s expired on %s", ErrExpired, name, p.Expires.UTC().Format(time.RFC3339))
	}
	return p, nil
}
