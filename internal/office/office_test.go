package office

import (
	"context"
	"strings"
	"testing"
	"time"

	"net/netip"

	"aead.dev/minisign"
	"golang.org/x/net/dns/dnsmessage"

	"relais/internal/profile"
	"relais/internal/tunnel"
)

func TestOffice(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	o, err := Start(ctx, Options{Serial: 42})
	if err != nil {
		t.Fatal(err)
	}
	defer o.Close()
	if !strings.HasPrefix(o.Endpoint, "127.0.0.1:") || !strings.HasPrefix(o.ProfileURL, "http://127.0.0.1:") {
		t.Fatalf("not loopback only: %s %s", o.Endpoint, o.ProfileURL)
	}
	p, err := profile.Accept("profile.toml", o.Profile, o.Signature, []minisign.PublicKey{o.TrustedKey}, profile.Previous{}, time.Now())
	if err != nil {
		t.Fatal(err)
	}
	if p.Serial != 42 || len(p.Apps) != len(Apps)+1 || len(p.Pages) != 2 || len(p.Drills) != 1 || p.Tunnel.Endpoint != o.Endpoint {
		t.Fatalf("demo profile: %+v", p)
	}
	if d := p.App(Dependent); d == nil || len(d.Requires) != 2 || d.Requires[1] != "messagerie" || d.Criticality == "essential" {
		t.Fatalf("the dependent app: %+v", d)
	}
	for _, a := range Apps {
		if c := p.App(a.ID).Criticality; c != "essential" {
			t.Fatalf("%s: %s", a.ID, c)
		}
	}
	kinds := map[string]bool{}
	for _, s := range p.Drills[0].Steps {
		kinds[s.Kind] = true
	}
	if len(kinds) != 4 {
		t.Fatalf("drill step kinds %v, want all four", kinds)
	}
	if _, err := (&loopbackBind{}).ParseEndpoint("192.0.2.1:51820"); err == nil {
		t.Fatal("the office accepted a non-loopback peer endpoint")
	}
}

func TestHealthyEssentialsOnly(t *testing.T) {
	b := demoProfile(1, "http://127.0.0.1:1/p", "127.0.0.1:2", tunnel.Key{}, true)
	p, err := profile.Parse("demo.toml", b)
	if err != nil {
		t.Fatal(err)
	}
	for _, a := range Apps {
		want := "important"
		if a.Behaviour == Healthy {
			want = "essential"
		}
		if c := p.App(a.ID).Criticality; c != want {
			t.Errorf("%s: %s, want %s", a.ID, c, want)
		}
	}
}

func TestDNSAnswers(t *testing.T) {
	o := &Office{dnsQueries: map[string]int{}, zone: map[string]netip.Addr{"paie.intra": Apps[0].Addr}}
	ask := func(name string, typ dnsmessage.Type) dnsmessage.Message {
		q := dnsmessage.Message{Header: dnsmessage.Header{ID: 7, RecursionDesired: true},
			Questions: []dnsmessage.Question{{Name: dnsmessage.MustNewName(name), Type: typ, Class: dnsmessage.ClassINET}}}
		b, _ := q.Pack()
		var m dnsmessage.Message
		if err := m.Unpack(o.answerDNS(b)); err != nil {
			t.Fatal(err)
		}
		return m
	}
	if m := ask("paie.intra.", dnsmessage.TypeA); m.RCode != dnsmessage.RCodeSuccess || len(m.Answers) != 1 || !m.Authoritative || m.ID != 7 {
		t.Fatalf("A paie.intra: %+v", m)
	}
	if m := ask("PAIE.intra.", dnsmessage.TypeAAAA); m.RCode != dnsmessage.RCodeSuccess || len(m.Answers) != 0 {
		t.Fatalf("AAAA paie.intra: %+v", m)
	}
	if m := ask("inconnu.intra.", dnsmessage.TypeA); m.RCode != dnsmessage.RCodeNameError {
		t.Fatalf("inconnu.intra: %+v", m)
	}
	if o.DNSQueries("paie.intra") != 2 {
		t.Fatalf("queries counted: %v", o.dnsQueries)
	}
}
