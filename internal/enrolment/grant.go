package enrolment

import (
	"encoding/json"
	"fmt"
	"net/netip"
	"slices"
	"time"

	"aead.dev/minisign"
)

// GrantKind names the document, so that a grant is never taken for
// anything else signed with another purpose's key, nor the reverse.
const GrantKind = "relais-enrolment-grant"

// MaxGrantBytes bounds a grant (~300 bytes).
const MaxGrantBytes = 2 << 10

// Grant is what the server signs when it enrols a key: this public key may
// use these addresses in the tunnel. The laptop keeps it beside its
// identity (it is not a secret) and hands it to the helper, which brings up
// exactly these addresses for exactly this key, and nothing a caller
// chooses. The key that signs grants is named by the profile's
// [enrolment] public_key; it is never a profile key.
type Grant struct {
	Kind      string    `json:"kind"`       // GrantKind
	PublicKey string    `json:"public_key"` // the device's WireGuard public key
	Addresses []string  `json:"addresses"`  // host prefixes
	Issued    time.Time `json:"issued"`
}

// SignGrant makes the grant document and its signature.
func SignGrant(publicKey string, addrs []netip.Prefix, issued time.Time, key minisign.PrivateKey) (doc, sig []byte, err error) {
	g := Grant{Kind: GrantKind, PublicKey: publicKey, Issued: issued.UTC().Truncate(time.Second)}
	for _, a := range addrs {
		g.Addresses = append(g.Addresses, a.String())
	}
	doc, err = json.Marshal(g)
	if err != nil {
		return nil, nil, err
	}
	return doc, minisign.Sign(key, doc), nil
}

// VerifyGrant checks that sig is key's signature of doc, that doc is a
// grant for publicKey, and returns its addresses. Every refusal is
// CodeBadAnswer with the reason in Detail.
func VerifyGrant(doc, sig []byte, key minisign.PublicKey, publicKey string) ([]netip.Prefix, error) {
	if len(doc) == 0 || len(sig) == 0 {
		return nil, fail(CodeBadAnswer, "no grant")
	}
	if len(doc) > MaxGrantBytes || len(sig) > MaxGrantBytes {
		return nil, fail(CodeBadAnswer, "grant larger than %d bytes", MaxGrantBytes)
	}
	if !minisign.Verify(key, doc, sig) {
		return nil, fail(CodeBadAnswer, "the grant's signature is not the enrolment key's")
	}
	var g Grant
	if err := decodeStrict(doc, &g); err != nil {
		return nil, fail(CodeBadAnswer, "grant: %v", err)
	}
	if g.Kind != GrantKind {
		return nil, fail(CodeBadAnswer, "not an enrolment grant (kind %q)", clip(g.Kind))
	}
	if g.PublicKey != publicKey {
		return nil, fail(CodeBadAnswer, "the grant is for another key")
	}
	addrs, err := HostAddresses(g.Addresses)
	if err != nil {
		return nil, fail(CodeBadAnswer, "grant: %v", err)
	}
	return addrs, nil
}

// SameAddresses reports whether a and b hold the same addresses, in any
// order.
func SameAddresses(a, b []netip.Prefix) bool {
	if len(a) != len(b) {
		return false
	}
	x, y := slices.Clone(a), slices.Clone(b)
	cmp := func(p, q netip.Prefix) int {
		if c := p.Addr().Compare(q.Addr()); c != 0 {
			return c
		}
		return p.Bits() - q.Bits()
	}
	slices.SortFunc(x, cmp)
	slices.SortFunc(y, cmp)
	return slices.Equal(x, y)
}

// String is a short description for logs.
func (g Grant) String() string {
	return fmt.Sprintf("grant(%s, %v)", g.PublicKey, g.Addresses)
}
