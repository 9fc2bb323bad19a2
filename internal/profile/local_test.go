package profile

import (
	"context"
	"errors"
	"strings"
	"testing"

	"aead.dev/minisign"

	"relais/internal/profile/profiletest"
)

// A check may not aim at this machine or its link (a local service, the
// cloud metadata service at 169.254.169.254) unless it says allow_local.
func TestCheckTargetLocal(t *testing.T) {
	const old = "  type = \"http\"\n  target = \"https://paie.intra.example.org/\"\n"
	for _, tc := range []struct {
		typ, target string
		local       bool
	}{
		{"http", "http://169.254.169.254/latest/meta-data", true},
		{"http", "http://127.0.0.1:8080/", true},
		{"http", "http://127.9.9.9/", true},
		{"http", "https://localhost/", true},
		{"http", "https://LocalHost./", true},
		{"http", "http://admin.localhost:8080/", true},
		{"http", "http://[::1]:8080/", true},
		{"http", "http://[::ffff:127.0.0.1]/", true},
		{"http", "http://[fe80::1]/", true},
		{"http", "http://0.0.0.0:80/", true},
		{"tcp", "169.254.169.254:80", true},
		{"tcp", "[fe80::1%eth0]:22", true},
		{"tls", "[::]:443", true},
		{"tls", "localhost:443", true},
		{"http", "https://paie.intra.example.org/", false},
		{"http", "http://10.20.0.5/", false},
		{"tcp", "192.0.2.1:443", false},
		{"tls", "[2001:db8::1]:443", false},
		{"dns", "localhost", false}, // a dns check resolves, it connects to nothing
		{"http", "http://localhost.example.org/", false},
	} {
		check := "  type = \"" + tc.typ + "\"\n  target = \"" + tc.target + "\"\n"
		src := strings.Replace(base, old, check, 1)
		_, err := Parse("p.toml", []byte(src))
		if !tc.local {
			if err != nil {
				t.Errorf("%s %s: %v", tc.typ, tc.target, err)
			}
			continue
		}
		var l ErrorList
		if !errors.As(err, &l) || len(l) != 1 || l[0].Code != "target_local" || l[0].Path != "apps[0].checks[0].target" {
			t.Errorf("%s %s: got %v, want target_local on apps[0].checks[0].target", tc.typ, tc.target, err)
			continue
		}
		if !strings.Contains(l[0].Msg, "allow_local = true") {
			t.Errorf("%s %s: %q does not say how to allow it", tc.typ, tc.target, l[0].Msg)
		}
		// Said on purpose: accepted.
		if _, err := Parse("p.toml", []byte(src+"  allow_local = true\n")); err != nil {
			t.Errorf("%s %s with allow_local: %v", tc.typ, tc.target, err)
		}
	}
}

// A hostile profile, signed by a trusted key (a phished continuity
// account), whose direct check would make every laptop fetch the cloud
// metadata service of the network it is on: sync refuses it and keeps the
// last good profile.
func TestSyncRefusesMetadataCheck(t *testing.T) {
	ctx := context.Background()
	pk, sk := newKey(t)
	o := profiletest.New(t)
	o.Publish(t, sk, 7)
	cache := &memCache{}
	s := &Syncer{Cache: cache, Trusted: []minisign.PublicKey{pk}}
	if _, err := s.SyncURL(ctx, o.URL()); err != nil {
		t.Fatal(err)
	}
	good := cache.cur.SHA256

	body := profiletest.Example(t, o.Base(), 8)
	hostile := strings.Replace(string(body), `target = "https://www.example.org/"`,
		`target = "http://169.254.169.254/latest/meta-data"`, 1)
	if hostile == string(body) {
		t.Fatal("the example's public website check moved: update the test")
	}
	o.Set(profiletest.ProfilePath, []byte(hostile))
	o.Set(profiletest.SignaturePath, minisign.Sign(sk, []byte(hostile)))
	_, err := s.SyncURL(ctx, o.URL())
	var l ErrorList
	if !errors.Is(err, ErrInvalid) || !errors.As(err, &l) || len(l) != 1 || l[0].Code != "target_local" {
		t.Fatalf("got %v, want the profile refused for target_local", err)
	}
	if cache.cur.SHA256 != good || cache.saves != 1 {
		t.Error("the hostile profile replaced the last good one")
	}
}
