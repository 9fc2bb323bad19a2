package profilesync

import (
	"context"
	"errors"
	"net/http"
	"os"
	"path/filepath"
	"testing"

	"aead.dev/minisign"

	"relais/internal/profile"
	"relais/internal/profile/profiletest"
)

// A server that answers 304 Not Modified to a laptop that never synced
// (no conditional request was sent) is an error of the source, not a
// crash: the sync fails as a fetch failure and the bootstrap file that
// the package installed is used instead.
func TestSync304WithNothingCached(t *testing.T) {
	ctx := context.Background()
	pk, sk := newKey(t)
	o := profiletest.New(t)
	o.Publish(t, sk, 7) // serves the asset the file pins
	notModified := func(w http.ResponseWriter, r *http.Request) { w.WriteHeader(http.StatusNotModified) }
	o.Override(profiletest.ProfilePath, notModified)

	s := &Syncer{Cache: &memCache{}, Trusted: []minisign.PublicKey{pk}}
	res, err := s.SyncURL(ctx, o.URL())
	var he *HTTPError
	if err == nil || !errorsAs(err, &he) || he.Status != http.StatusNotModified {
		t.Fatalf("304 with nothing cached: %+v, %v", res, err)
	}

	f := filepath.Join(t.TempDir(), "profile.toml")
	body := profiletest.Example(t, o.Base(), 7)
	if err := os.WriteFile(f, body, 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(f+".minisig", minisign.Sign(sk, body), 0o644); err != nil {
		t.Fatal(err)
	}
	res, err = s.Sync(ctx, Sources{URL: o.URL(), File: f})
	if err != nil || res.Outcome != Accepted || res.Profile.Serial != 7 {
		t.Fatalf("the bootstrap file was not used after the 304: %+v, %v", res, err)
	}

	// A 304 to the signature or an asset (never asked conditionally) is
	// refused the same way.
	o.Override(profiletest.ProfilePath, nil)
	o.Override(profiletest.SignaturePath, notModified)
	o.Publish(t, sk, 8)
	if _, err := s.SyncURL(ctx, o.URL()); !errorsAs(err, &he) || he.Status != http.StatusNotModified {
		t.Fatalf("304 to the signature: %v", err)
	}
}

func errorsAs(err error, target any) bool { return errors.As(err, target) }

// A profile server that redirects the laptop to a service of the laptop
// itself or of its link (a cloud metadata address, a local admin page) is
// refused, whatever the scheme; a source on this machine (tests, a local
// mirror) may redirect locally.
func TestSyncRefusesRedirectToLocal(t *testing.T) {
	for _, target := range []string{"https://169.254.169.254/latest/meta-data/", "https://127.0.0.1:8443/profile.toml",
		"https://localhost/profile.toml", "https://[::1]/profile.toml", "https://[fe80::1]/profile.toml", "https://0.0.0.0/profile.toml"} {
		req, _ := http.NewRequest(http.MethodGet, target, nil)
		first, _ := http.NewRequest(http.MethodGet, "https://continuite.example.org/relais/profile.toml", nil)
		if err := checkRedirect(req, []*http.Request{first}); !errors.Is(err, profile.ErrLocalRedirect) {
			t.Errorf("redirect to %s: %v", target, err)
		}
	}
	// From a local source, local redirects stay allowed (and the whole
	// sync follows them).
	o := profiletest.New(t)
	req, _ := http.NewRequest(http.MethodGet, o.URL(), nil)
	first, _ := http.NewRequest(http.MethodGet, o.Base()+"/old", nil)
	if err := checkRedirect(req, []*http.Request{first}); err != nil {
		t.Errorf("a local source redirecting locally: %v", err)
	}
	req, _ = http.NewRequest(http.MethodGet, "https://continuite.example.org/relais/profile.toml", nil)
	if err := checkRedirect(req, []*http.Request{first}); err != nil {
		t.Errorf("a redirect to the organisation: %v", err)
	}
}
