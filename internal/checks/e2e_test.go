package checks

import (
	"context"
	"net/netip"
	"strings"
	"testing"
	"time"

	"aead.dev/minisign"

	"relais/internal/office"
	"relais/internal/profile"
	"relais/internal/tunnel"
)

// TestEndToEndDemoOffice runs the demo profile's checks through the userspace tunnel to
// the demo office: healthy ok, slow degraded, broken failed with the status it saw, and an
// app requiring the broken one blocked.
func TestEndToEndDemoOffice(t *testing.T) {
	if testing.Short() {
		t.Skip("brings up the demo office")
	}
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	o, err := office.Start(ctx, office.Options{SlowDelay: 900 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	defer o.Close()
	p, err := profile.Accept("profile.toml", o.Profile, o.Signature, []minisign.PublicKey{o.TrustedKey}, profile.Previous{}, time.Now())
	if err != nil {
		t.Fatal(err)
	}
	cfg, err := tunnel.FromProfile(p.Tunnel, o.ClientKey, nil)
	if err != nil {
		t.Fatal(err)
	}
	u, err := tunnel.StartUserspace(ctx, cfg, tunnel.UserspaceOptions{SOCKS5Addr: tunnel.Off, HTTPAddr: tunnel.Off})
	if err != nil {
		t.Fatal(err)
	}
	defer u.Close()
	p.Apps = append(p.Apps, profile.App{ID: "archives", Name: profile.Text{FR: "Archives", EN: "Archives"}, Criticality: "important",
		Requires: []string{"messagerie"}, Checks: []profile.Check{{ID: "archives-web", Type: "http", Target: "http://portail.intra/", Via: "tunnel"}}})

	var dns []netip.Addr
	for _, s := range p.Tunnel.DNS {
		dns = append(dns, netip.MustParseAddr(s))
	}
	r := &Runner{Tunnel: u, TunnelDNS: dns, DNSDomains: p.Tunnel.DNSDomains, TunnelStatus: u.Status, Contacts: p.Contacts}
	rep := r.Run(ctx, p)

	if b := rep.Builtins["tunnel"]; b.State != StateOK {
		t.Fatalf("tunnel built-in: %+v %+v", b, b.Reason)
	}
	want := map[string]State{"paie": StateOK, "dossiers": StateDegraded, "messagerie": StateFailed, "archives": StateBlocked}
	for id, st := range want {
		if a := rep.App(id); a == nil || a.State != st {
			t.Errorf("%s: %+v, want %s", id, a, st)
		}
	}
	web := rep.Check("messagerie-web")
	if web.Reason == nil || web.Reason.Code != CodeHTTPStatus || web.Conditions[0].Expr != "[STATUS] (503) == 200" ||
		!strings.Contains(web.Reason.Sentence().FR, "+1-555-0100") {
		t.Errorf("messagerie-web: %+v %+v", web, web.Reason)
	}
	if d := rep.Check("paie-dns"); d.State != StateOK || d.Conditions[1].Expr != "[IP] (10.99.0.10) == 10.99.0.10" {
		t.Errorf("paie-dns: %+v", d)
	}
	if w := rep.Check("paie-web"); w.Phases.DNS <= 0 || w.Phases.Connect <= 0 || w.Phases.FirstByte <= 0 {
		t.Errorf("paie-web phases: %+v", w.Phases)
	}
	if d := rep.Check("dossiers-web"); d.Reason == nil || d.Reason.Code != CodeDegraded {
		t.Errorf("dossiers-web: %+v", d)
	}
	if a := rep.App("archives"); strings.Join(a.BlockedBy, ",") != "messagerie" {
		t.Errorf("archives blocked by %v", a.BlockedBy)
	}
	if rep.EssentialsOK() {
		t.Error("EssentialsOK with messagerie failed")
	}
	// Only the healthy essentials: operational.
	p.Apps = p.Apps[:2]
	if rep := r.Run(ctx, p); !rep.EssentialsOK() {
		t.Errorf("healthy and slow essentials not operational: %+v", rep.Apps)
	}
}
