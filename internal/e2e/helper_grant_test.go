//go:build linux

package e2e

import (
	"net/netip"
	"os/exec"
	"strings"
	"testing"
	"time"

	"golang.zx2c4.com/wireguard/wgctrl/wgtypes"

	"relais/internal/enrolment"
	"relais/internal/helper"
	"relais/internal/helper/helpertest"
	"relais/internal/tunnel"
)

// The enrolment pool of the grant tests, inside the profile's
// address_pool.
const (
	grantPool    = "10.99.0.0/24"
	grantedAddr  = "10.99.0.77"
	attackerAddr = "10.99.0.78"
)

// grantProfile is the lab's profile with an address_pool and an
// [enrolment] public_key: the addresses are the grants'.
func (l *lab) grantProfile(serial int, grantKey helpertest.Key) (data, sig []byte) {
	data, _ = l.profile(serial, func(tn *helpertest.Tunnel) { tn.AddressPool = []string{grantPool} })
	data = helpertest.WithEnrolment(data, "https://relais.example.org/v1/enrol", grantKey.Public.String())
	return data, l.trusted.Sign(data)
}

// signGrant is the server's grant for device's key and one address.
func signGrant(t *testing.T, key helpertest.Key, device wgtypes.Key, addr string) (doc, sig string) {
	t.Helper()
	d, s, err := enrolment.SignGrant(device.PublicKey().String(), []netip.Prefix{netip.MustParsePrefix(addr + "/32")}, time.Now(), key.Private)
	if err != nil {
		t.Fatal(err)
	}
	return string(d), string(s)
}

// A member of the helper's group holds a valid grant for address A. With
// the profile naming the enrolment key, they ask for B, inside the pool
// (which the pool policy alone would grant): refused with grant_addresses.
// They present another device's grant (with its address, or with none):
// refused with grant_other_device. With no grant: no_grant. Nothing
// changes on the machine (no interface, no address, no route). Then their
// own grant, without addresses, brings up exactly A; and B is what the
// pool policy alone would have given (the control).
func TestHelperGrantAttack(t *testing.T) {
	l := newLab(t, false)
	l.startHelper("users")
	grantKey := helpertest.NewKey(t)
	data, sig := l.grantProfile(1, grantKey)
	own, ownSig := signGrant(t, grantKey, l.clientKey, grantedAddr)
	other, _ := wgtypes.GeneratePrivateKey()
	theirs, theirsSig := signGrant(t, grantKey, other, attackerAddr)

	mk := func(doc, gsig string, addrs ...string) helper.UpRequest {
		r := helper.UpRequest{Profile: data, Signature: sig, PrivateKey: tunnel.Key(l.clientKey), Grant: doc, GrantSignature: gsig}
		for _, a := range addrs {
			r.Addresses = append(r.Addresses, netip.MustParsePrefix(a+"/32"))
		}
		return r
	}
	before := l.netState()
	for _, c := range []struct {
		name string
		req  helper.UpRequest
		want helper.Code
	}{
		{"own grant, another address of the pool", mk(own, ownSig, attackerAddr), helper.CodeGrantAddresses},
		{"own grant, its address and another", mk(own, ownSig, grantedAddr, attackerAddr), helper.CodeGrantAddresses},
		{"another device's grant, its address", mk(theirs, theirsSig, attackerAddr), helper.CodeGrantOtherDevice},
		{"another device's grant, no address", mk(theirs, theirsSig), helper.CodeGrantOtherDevice},
		{"no grant, an address of the pool", mk("", "", attackerAddr), helper.CodeNoGrant},
		{"own grant, another device's signature", mk(own, theirsSig), helper.CodeBadGrant},
	} {
		u := l.up(c.req, memberB, false)
		if u.Status != nil {
			t.Errorf("%s: brought up, addresses %v", c.name, u.Status.Addresses)
			u.release(t)
			continue
		}
		if u.Code != string(c.want) {
			t.Errorf("%s: code %q (%s), want %s", c.name, u.Code, u.Error, c.want)
			continue
		}
		t.Logf("%s: refused: %s", c.name, u.Error)
		if out, _ := l.inClient("ip", "-o", "link", "show", "type", "tun"); strings.TrimSpace(out) != "" {
			t.Errorf("%s: an interface after the refusal: %s", c.name, out)
		}
		if after := l.netState(); after != before {
			t.Errorf("%s: addresses or routes changed\nbefore:\n%s\nafter:\n%s", c.name, before, after)
		}
	}

	// The member's own grant: exactly its address.
	u := l.up(mk(own, ownSig), memberB, false)
	if u.Status == nil || !u.Status.Up {
		t.Fatalf("own grant: %s %s", u.Code, u.Error)
	}
	addrs, _ := l.inClient("ip", "-o", "-4", "addr", "show", "dev", l.iface)
	if !strings.Contains(addrs, "inet "+grantedAddr+"/32 ") || strings.Count(addrs, "inet ") != 1 {
		t.Errorf("own grant: the interface holds\n%s", addrs)
	}
	u.release(t)
	waitUntil(t, "the interface to go", 5*time.Second, func() bool {
		return exec.Command("ip", "-n", l.client, "link", "show", l.iface).Run() != nil
	})

	// The control: the same pool in a profile without an enrolment key
	// lets the member take B. The grant, nothing else, refused it above.
	plain, plainSig := l.profile(2, func(tn *helpertest.Tunnel) { tn.AddressPool = []string{grantPool} })
	u = l.up(l.upRequest(plain, plainSig, attackerAddr+"/32"), memberB, false)
	if u.Status == nil || !u.Status.Up {
		t.Fatalf("without [enrolment] public_key, %s: %s %s", attackerAddr, u.Code, u.Error)
	}
	u.release(t)
}
