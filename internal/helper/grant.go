package helper

import (
	"bytes"
	"encoding/json"
	"net/netip"

	"aead.dev/minisign"
	"golang.zx2c4.com/wireguard/wgctrl/wgtypes"

	"relais/internal/enrolment"
	"relais/internal/profile"
	"relais/internal/tunnel"
)

// grantedAddresses is the enrolment policy: when the verified profile p
// names an [enrolment] public_key, the device's addresses are exactly those
// of the grant that key signed for the public key of req's private key.
// The caller's addresses, when it gives any, must be the same set; empty,
// they are the grant's. ok is false when the profile names no enrolment
// key (the pool policy stands).
func grantedAddresses(req UpRequest, p *profile.Profile, trusted []minisign.PublicKey) (addrs []netip.Prefix, ok bool, err error) {
	if p.Enrolment == nil || p.Enrolment.PublicKey == "" {
		return nil, false, nil
	}
	key, err := profile.ParseTrustedKey(p.Enrolment.PublicKey)
	if err != nil {
		return nil, true, errorf(CodeGrantKey, "the profile's enrolment public_key cannot be read: %v", err)
	}
	for _, t := range trusted {
		if t.Equal(key) {
			return nil, true, errorf(CodeGrantKey, "the profile's enrolment key %X is one of the machine's trusted profile keys", key.ID())
		}
	}
	if req.Grant == "" && req.GrantSignature == "" {
		return nil, true, errorf(CodeNoGrant, "the profile requires an enrolment grant and the request has none")
	}
	doc, sig := []byte(req.Grant), []byte(req.GrantSignature)
	device := devicePublicKey(req.PrivateKey)
	granted, err := enrolment.VerifyGrant(doc, sig, key, device)
	if err != nil {
		if other, ok := grantFor(doc, sig, key); ok && other != device {
			return nil, true, errorf(CodeGrantOtherDevice, "the grant is for key %s, not this device's %s", other, device)
		}
		return nil, true, errorf(CodeBadGrant, "%v", err)
	}
	if len(granted) == 0 {
		// Never the profile's own tunnel.address instead.
		return nil, true, errorf(CodeBadGrant, "the grant gives no address")
	}
	if len(req.Addresses) > 0 && !enrolment.SameAddresses(hostPrefixes(req.Addresses), granted) {
		return nil, true, errorf(CodeGrantAddresses, "addresses %v asked, the grant gives %v", req.Addresses, granted)
	}
	return granted, true, nil
}

// grantFor is the public key a genuinely signed grant names.
func grantFor(doc, sig []byte, key minisign.PublicKey) (string, bool) {
	if len(doc) > enrolment.MaxGrantBytes || len(sig) > enrolment.MaxGrantBytes || !minisign.Verify(key, doc, sig) {
		return "", false
	}
	var g enrolment.Grant
	d := json.NewDecoder(bytes.NewReader(doc))
	if err := d.Decode(&g); err != nil || g.Kind != enrolment.GrantKind {
		return "", false
	}
	return g.PublicKey, true
}

// devicePublicKey is the WireGuard public key of priv, base64.
func devicePublicKey(priv tunnel.Key) string {
	return wgtypes.Key(priv).PublicKey().String()
}

// hostPrefixes are the addresses as /32 or /128 (a grant holds host
// prefixes; a caller's 10.20.128.7/32 is the same address).
func hostPrefixes(list []netip.Prefix) []netip.Prefix {
	out := make([]netip.Prefix, len(list))
	for i, p := range list {
		a := p.Addr().Unmap()
		out[i] = netip.PrefixFrom(a, a.BitLen())
	}
	return out
}
