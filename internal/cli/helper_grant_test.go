package cli

import (
	"context"
	"errors"
	"net/netip"
	"path/filepath"
	"testing"
	"time"

	"golang.zx2c4.com/wireguard/wgctrl/wgtypes"

	"relais/internal/backend"
	"relais/internal/enrolment"
	"relais/internal/helper"
	"relais/internal/helper/helpertest"
	"relais/internal/store"
	"relais/internal/tunnel"
)

// System mode hands the helper the stored identity's enrolment grant: with
// a profile naming the enrolment key, the helper brings up the grant's
// address. A grant stored for another key is not sent (the helper then
// refuses: no grant).
func TestStartSystemTunnelSendsTheGrant(t *testing.T) {
	t.Parallel()
	key, grantKey := helpertest.NewKey(t), helpertest.NewKey(t)
	socket, fake := fakeHelper(t, key.Public)
	_, m := helperRun(socket)
	db, err := store.Open(filepath.Join(t.TempDir(), "relais.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	m.DB = db
	data := helpertest.WithEnrolment(helpertest.Profile(3, helpertest.Tunnel{Endpoint: "192.0.2.1:51820",
		ServerPublicKey: tunnel.Key{7}.String(), AllowedIPs: []string{"10.99.0.0/24"}, AddressPool: []string{"10.20.128.0/17"}}),
		"https://relais.example.org/v1/enrol", grantKey.Public.String())
	cur := &store.CachedProfile{Serial: 3, Bytes: data, Signature: key.Sign(data)}
	k, _ := wgtypes.GeneratePrivateKey()
	priv := tunnel.Key(k)
	addr := netip.MustParsePrefix("10.20.128.7/32")
	doc, sig, err := enrolment.SignGrant(backend.PublicKey(priv), []netip.Prefix{addr}, time.Now(), grantKey.Private)
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	id := store.Identity{PublicKey: backend.PublicKey(priv), Addresses: []string{addr.String()}, Source: store.SourceEnrolled,
		EnrolURL: "https://relais.example.org/v1/enrol", Grant: string(doc), GrantSignature: string(sig)}
	if err := db.SetIdentity(ctx, id); err != nil {
		t.Fatal(err)
	}
	cfg := tunnel.Config{PrivateKey: priv, Addresses: []netip.Prefix{addr}}
	tun, err := m.StartSystemTunnel(ctx, cur, cfg)
	if err != nil {
		t.Fatal(err)
	}
	if got := fake.current(); got == nil || len(got.Addresses) != 1 || got.Addresses[0] != addr {
		t.Fatalf("the helper made %+v", got)
	}
	if err := tun.Close(); err != nil {
		t.Fatal(err)
	}

	// The stored grant is another key's: not sent.
	other, _ := wgtypes.GeneratePrivateKey()
	cfg.PrivateKey = tunnel.Key(other)
	_, err = m.StartSystemTunnel(ctx, cur, cfg)
	var he *helper.Error
	if !errors.As(err, &he) || he.Code != helper.CodeNoGrant {
		t.Fatalf("another key: %v, want %s", err, helper.CodeNoGrant)
	}
}
