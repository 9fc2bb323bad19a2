package enrolment

import (
	"crypto/rand"
	"net/netip"
	"strings"
	"testing"
	"time"

	"aead.dev/minisign"
)

const key1 = "q8Ai6yWcSgSn2g8lI6q7bVb0yb1bQ4RxkS1J7cN9p3k="

func TestParseRequest(t *testing.T) {
	good := `{"token":"rlst_abc","public_key":"` + key1 + `","device_name":"PC-MAIRIE-12"}`
	if r, err := ParseRequest([]byte(good)); err != nil || r.DeviceName != "PC-MAIRIE-12" {
		t.Fatalf("good request: %+v %v", r, err)
	}
	for name, c := range map[string]struct{ body, code string }{
		"unknown field": {`{"token":"x","public_key":"` + key1 + `","device_name":"a","admin":true}`, CodeBadRequest},
		"trailing":      {good + `{}`, CodeBadRequest},
		"not json":      {`token=x`, CodeBadRequest},
		"short key":     {`{"token":"x","public_key":"AAAA","device_name":"a"}`, CodeBadKey},
		"zero key":      {`{"token":"x","public_key":"AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=","device_name":"a"}`, CodeBadKey},
		"no token":      {`{"token":"","public_key":"` + key1 + `","device_name":"a"}`, CodeTokenUnknown},
		"no name":       {`{"token":"x","public_key":"` + key1 + `","device_name":"  "}`, CodeBadName},
		"control":       {`{"token":"x","public_key":"` + key1 + `","device_name":"a\u001b[31m"}`, CodeBadName},
		"long name":     {`{"token":"x","public_key":"` + key1 + `","device_name":"` + strings.Repeat("é", 65) + `"}`, CodeBadName},
		"huge":          {`{"token":"` + strings.Repeat("x", MaxRequestBytes) + `"}`, CodeBadRequest},
	} {
		_, err := ParseRequest([]byte(c.body))
		if Code(err) != c.code {
			t.Errorf("%s: got %v, want code %s", name, err, c.code)
		}
	}
}

func TestHTTPStatusOfEveryServerCode(t *testing.T) {
	want := map[string]int{CodeTokenExpired: 403, CodeTokenUsedUp: 403, CodeTokenUnknown: 403, CodeRevoked: 403,
		CodeKeyInUse: 409, CodePoolExhausted: 503, CodeBadKey: 400}
	for c, s := range want {
		if HTTPStatus(c) != s {
			t.Errorf("%s: %d, want %d", c, HTTPStatus(c), s)
		}
	}
	for _, c := range ServerCodes() {
		if got := ParseErrorBody([]byte(`{"error":"` + c + `"}`)); got != c {
			t.Errorf("ParseErrorBody(%s) = %q", c, got)
		}
	}
	if ParseErrorBody([]byte(`{"error":"<script>"}`)) != "" {
		t.Error("an unknown code was taken")
	}
}

func TestParseResponse(t *testing.T) {
	ok := `{"addresses":["10.20.128.7/32","fd00::7/128"],"server_public_key":"` + key1 + `","newer":1}`
	if _, addrs, err := ParseResponse([]byte(ok)); err != nil || len(addrs) != 2 {
		t.Fatalf("%v %v", addrs, err)
	}
	for _, bad := range []string{
		`{"addresses":["10.20.0.0/16"],"server_public_key":"` + key1 + `"}`,
		`{"addresses":[],"server_public_key":"` + key1 + `"}`,
		`{"addresses":["127.0.0.1/32"],"server_public_key":"` + key1 + `"}`,
		`{"addresses":["10.0.0.1/32","10.0.0.1/32"],"server_public_key":"` + key1 + `"}`,
		`{"addresses":["10.0.0.1/32"],"server_public_key":"nope"}`,
		`{"addresses":["10.0.0.1/32"],"server_public_key":"` + key1 + `","grant":"{}"}`,
	} {
		if _, _, err := ParseResponse([]byte(bad)); Code(err) != CodeBadAnswer {
			t.Errorf("%s: %v", bad, err)
		}
	}
}

func TestCodesAndTokens(t *testing.T) {
	seen := map[string]bool{}
	for i := 0; i < 200; i++ {
		c := NewCode()
		if !IsCode(c) || len(c) != CodeLen+1 || c[CodeLen/2] != '-' {
			t.Fatalf("code %q", c)
		}
		if seen[c] {
			t.Fatalf("code %q twice", c)
		}
		seen[c] = true
		// Read over the phone: lower case and spaces are the same code.
		spoken := strings.ToLower(strings.ReplaceAll(c, "-", " "))
		if Hash(spoken) != Hash(c) {
			t.Fatalf("%q and %q hash differently", spoken, c)
		}
	}
	tok := NewSetupToken()
	if IsCode(tok) || !strings.HasPrefix(tok, TokenPrefix) || len(tok) != len(TokenPrefix)+32 {
		t.Fatalf("token %q", tok)
	}
	if Hash(tok) == Hash(strings.ToUpper(tok)) {
		t.Fatal("a setup token is case-sensitive")
	}
	if IsCode("OOOOO-00000") {
		t.Fatal("look-alikes are not in the alphabet")
	}
}

func TestGrant(t *testing.T) {
	pub, priv, err := minisign.GenerateKey(rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	other, otherPriv, _ := minisign.GenerateKey(rand.Reader)
	addrs := []netip.Prefix{netip.MustParsePrefix("10.20.128.7/32")}
	doc, sig, err := SignGrant(key1, addrs, time.Now(), priv)
	if err != nil {
		t.Fatal(err)
	}
	got, err := VerifyGrant(doc, sig, pub, key1)
	if err != nil || !SameAddresses(got, addrs) {
		t.Fatalf("%v %v", got, err)
	}
	if _, err := VerifyGrant(doc, sig, other, key1); Code(err) != CodeBadAnswer {
		t.Errorf("another key's check: %v", err)
	}
	if _, err := VerifyGrant(doc, sig, pub, "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAB="); Code(err) != CodeBadAnswer {
		t.Errorf("another device's grant: %v", err)
	}
	// A document of another kind, signed with the right key, is no grant.
	notGrant := []byte(`{"kind":"relais-notices","public_key":"` + key1 + `","addresses":["10.20.128.7/32"],"issued":"2026-01-01T00:00:00Z"}`)
	if _, err := VerifyGrant(notGrant, minisign.Sign(priv, notGrant), pub, key1); Code(err) != CodeBadAnswer {
		t.Errorf("other kind: %v", err)
	}
	wide := []byte(`{"kind":"` + GrantKind + `","public_key":"` + key1 + `","addresses":["10.20.0.0/16"],"issued":"2026-01-01T00:00:00Z"}`)
	if _, err := VerifyGrant(wide, minisign.Sign(priv, wide), pub, key1); Code(err) != CodeBadAnswer {
		t.Errorf("a network in a grant: %v", err)
	}
	_ = otherPriv
}

func FuzzParseRequest(f *testing.F) {
	f.Add([]byte(`{"token":"rlst_abc","public_key":"` + key1 + `","device_name":"PC"}`))
	f.Add([]byte(`{"token":"x"}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		r, err := ParseRequest(data)
		if err != nil {
			if Code(err) == "" {
				t.Fatalf("uncoded error %v", err)
			}
			return
		}
		if CheckPublicKey(r.PublicKey) != nil || CheckDeviceName(r.DeviceName) != nil || r.Token == "" {
			t.Fatalf("accepted %+v", r)
		}
	})
}

func FuzzParseResponse(f *testing.F) {
	f.Add([]byte(`{"addresses":["10.20.128.7/32"],"server_public_key":"` + key1 + `"}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		_, addrs, err := ParseResponse(data)
		if err != nil {
			return
		}
		for _, a := range addrs {
			if a.Bits() != a.Addr().BitLen() {
				t.Fatalf("accepted a network %s", a)
			}
		}
	})
}

func FuzzVerifyGrant(f *testing.F) {
	pub, priv, _ := minisign.GenerateKey(rand.Reader)
	doc, sig, _ := SignGrant(key1, []netip.Prefix{netip.MustParsePrefix("10.0.0.1/32")}, time.Unix(0, 0), priv)
	f.Add(doc, sig)
	f.Fuzz(func(t *testing.T, doc, sig []byte) {
		addrs, err := VerifyGrant(doc, sig, pub, key1)
		if err == nil && len(addrs) == 0 {
			t.Fatal("a grant with no address")
		}
	})
}

func TestDeviceName(t *testing.T) {
	if got := DeviceName("pc\x00-12\n"); got != "pc-12" || CheckDeviceName(got) != nil {
		t.Fatalf("%q", got)
	}
	if DeviceName("\x01") != "poste" {
		t.Fatal("empty name")
	}
}
