package profilesync

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"testing"

	"aead.dev/minisign"

	"relais/internal/profile"
	"relais/internal/profile/profiletest"
)

// bigAsset is profile.MaxAssetSize bytes that differ with seed, and their pin.
func bigAsset(seed byte) ([]byte, string) {
	block := make([]byte, 4096)
	for i := range block {
		block[i] = byte(i*7) ^ seed
	}
	b := bytes.Repeat(block, profile.MaxAssetSize/len(block))
	sum := sha256.Sum256(b)
	return b, hex.EncodeToString(sum[:])
}

// publishWithAssets publishes the example profile signed by sk with extra
// [[assets]] entries: each entry is a path on the office and its pin.
func publishWithAssets(t *testing.T, o *profiletest.Office, sk minisign.PrivateKey, serial int, entries [][2]string) {
	t.Helper()
	var b strings.Builder
	b.Write(profiletest.Example(t, o.Base(), serial))
	for i, e := range entries {
		fmt.Fprintf(&b, "\n[[assets]]\nid = \"piece-%d.bin\"\nurl = %q\nsha256 = %q\n", i, o.Base()+e[0], e[1])
	}
	body := []byte(b.String())
	if _, err := profile.Parse("profile.toml", body); err != nil {
		t.Fatalf("the hostile profile must be valid for the attack to reach sync: %v", err)
	}
	o.Set(profiletest.ProfilePath, body)
	o.Set(profiletest.SignaturePath, minisign.Sign(sk, body))
	o.Set(profiletest.AssetPath, profiletest.Testdata(t, "profiles", "assets", "etape1.png"))
}

// A signed profile naming the same 10 MiB asset sixty times (sixty ids, one
// URL, one pin) once made sync download and hold sixty copies (826 MB). The
// asset is fetched once and saved once.
func TestSyncFetchesEachAssetOnce(t *testing.T) {
	ctx := context.Background()
	pk, sk := newKey(t)
	o := profiletest.New(t)
	big, pin := bigAsset(1)
	o.Set("/relais/gros.bin", big)
	entries := make([][2]string, 60)
	for i := range entries {
		entries[i] = [2]string{"/relais/gros.bin", pin}
	}
	publishWithAssets(t, o, sk, 9, entries)
	cache := &memCache{}
	s := &Syncer{Cache: cache, Trusted: []minisign.PublicKey{pk}}

	res, err := s.SyncURL(ctx, o.URL())
	if err != nil {
		t.Fatal(err)
	}
	if n := o.Hits("/relais/gros.bin"); n != 1 {
		t.Errorf("the asset pinned by 60 entries was requested %d times, want once", n)
	}
	if res.Outcome != Accepted || res.AssetsFetched != 2 || len(cache.assets) != 2 {
		t.Errorf("outcome %s, %d assets fetched, %d cached; want accepted, 2 (the picture and the big one), 2", res.Outcome, res.AssetsFetched, len(cache.assets))
	}
	if max := int64(profile.MaxProfileSize + MaxSignatureSize + 2*profile.MaxAssetSize); res.BytesRead > max {
		t.Errorf("read %d bytes, want at most %d", res.BytesRead, max)
	}
	if got := sha256.Sum256(cache.assets[pin]); hex.EncodeToString(got[:]) != pin {
		t.Error("the saved asset does not match its pin")
	}
}

// Distinct assets may together weigh no more than MaxAssetsTotalSize: past
// it the profile is refused (profile.ErrAssetsTooLarge, a kind of profile.ErrTooLarge),
// nothing is saved, and what was read stays within the bound, even from a
// server whose last asset never ends.
func TestSyncBoundsAssetsTotal(t *testing.T) {
	const each = profile.MaxAssetsTotalSize / profile.MaxAssetSize // distinct full-size assets that fit
	endless := func(w http.ResponseWriter, r *http.Request) {
		chunk := make([]byte, 64<<10)
		for r.Context().Err() == nil {
			if _, err := w.Write(chunk); err != nil {
				return
			}
		}
	}
	for _, tc := range []struct {
		name string
		last http.HandlerFunc // nil: one more full-size asset with its length
	}{
		{"one asset too many", nil},
		{"endless last asset", endless},
	} {
		t.Run(tc.name, func(t *testing.T) {
			ctx := context.Background()
			pk, sk := newKey(t)
			o := profiletest.New(t)
			var entries [][2]string
			for i := 0; i <= each; i++ {
				b, pin := bigAsset(byte(i + 1))
				path := fmt.Sprintf("/relais/piece-%d.bin", i)
				o.Set(path, b)
				entries = append(entries, [2]string{path, pin})
			}
			if tc.last != nil {
				o.Override(entries[each][0], tc.last)
			}
			publishWithAssets(t, o, sk, 9, entries)
			cache := &memCache{}
			s := &Syncer{Cache: cache, Trusted: []minisign.PublicKey{pk}}

			res, err := s.SyncURL(ctx, o.URL())
			if !errors.Is(err, profile.ErrAssetsTooLarge) || !errors.Is(err, profile.ErrTooLarge) {
				t.Fatalf("got %v, want profile.ErrAssetsTooLarge (and profile.ErrTooLarge)", err)
			}
			if cache.saves != 0 || cache.cur != nil {
				t.Error("a refused profile was saved")
			}
			if max := int64(profile.MaxProfileSize + MaxSignatureSize + profile.MaxAssetsTotalSize + 1); res.BytesRead > max {
				t.Errorf("read %d bytes, want at most %d", res.BytesRead, max)
			}
		})
	}
}
