package profilesync

import (
	"context"
	"errors"
	"strings"
	"testing"

	"aead.dev/minisign"

	"relais/internal/profile"
	"relais/internal/profile/profiletest"
)

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
	var l profile.ErrorList
	if !errors.Is(err, profile.ErrInvalid) || !errors.As(err, &l) || len(l) != 1 || l[0].Code != "target_local" {
		t.Fatalf("got %v, want the profile refused for target_local", err)
	}
	if cache.cur.SHA256 != good || cache.saves != 1 {
		t.Error("the hostile profile replaced the last good one")
	}
}
