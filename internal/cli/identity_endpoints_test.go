package cli

import (
	"errors"
	"strings"
	"testing"

	"aead.dev/minisign"

	"relais/internal/backend"
	"relais/internal/frontend"
	"relais/internal/profile"
	"relais/internal/profile/profiletest"
	"relais/internal/wgconf"
)

// A .conf for one of the profile's gateways — a profile that lists them
// only in tunnel.endpoints, the standby one included — is no mismatch; a
// gateway the profile does not list is, and the difference names the
// profile's endpoints.
func TestKeyImportProfileEndpoints(t *testing.T) {
	t.Parallel()
	pk, sk := newKey(t)
	o := profiletest.New(t)
	body := []byte(strings.Replace(string(profiletest.Example(t, o.Base(), 7)),
		`endpoint = "vpn-secours.example.org:51820"`, `endpoints = ["vpn-secours.example.org:51820", "vpn-secours-2.example.org:51820"]`, 1))
	o.Publish(t, sk, 7)
	o.Set(profiletest.ProfilePath, body)
	o.Set(profiletest.SignaturePath, minisign.Sign(sk, body))
	m := newMachine(t)
	m.manage(o.URL(), "", pk)
	if r := m.run("profile", "sync"); r.code != ExitOK {
		t.Fatalf("profile sync: %+v", r)
	}
	p, err := profile.Parse("profile.toml", body)
	if err != nil {
		t.Fatal(err)
	}
	fakeKeyring(m)
	d := openDesk(t, m, backend.Options{Lang: "en"})

	other, _ := writeConf(t, p.Tunnel, func(f *wgconf.File) { f.Peers[0].Endpoint = "vpn-autre.example.org:51820" })
	err = d.ImportConf(other, false)
	var e *frontend.IdentityError
	if !errors.As(err, &e) || e.Code != frontend.IdentityErrMismatch || len(e.Detail) != 1 ||
		!strings.Contains(appWords("en", e.Detail[0]), "vpn-secours-2.example.org:51820") {
		t.Fatalf("a gateway the profile does not list: %#v", err)
	}
	standby, _ := writeConf(t, p.Tunnel, func(f *wgconf.File) { f.Peers[0].Endpoint = "vpn-secours-2.example.org:51820" })
	if err := d.ImportConf(standby, false); err != nil {
		t.Fatalf("the standby gateway: %v", err)
	}
}
