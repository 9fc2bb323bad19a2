package store

import (
	"bytes"
	"context"
	"errors"
	"strings"
	"testing"
	"time"
)

func sameProfile(t *testing.T, got *CachedProfile, want CachedProfile) {
	t.Helper()
	if got.Serial != want.Serial || got.SHA256 != want.SHA256 ||
		!bytes.Equal(got.Bytes, want.Bytes) || !bytes.Equal(got.Signature, want.Signature) ||
		got.Source != want.Source || got.ETag != want.ETag || got.LastModified != want.LastModified ||
		!got.FetchedAt.Equal(want.FetchedAt) || !got.CheckedAt.Equal(want.CheckedAt) {
		t.Fatalf("profile\n got %+v\nwant %+v", *got, want)
	}
}

func TestCurrentProfileNotFound(t *testing.T) {
	db := openTest(t)
	if _, err := db.CurrentProfile(context.Background()); !errors.Is(err, ErrNotFound) {
		t.Fatalf("CurrentProfile on an empty store: %v, want ErrNotFound", err)
	}
}

func TestSaveProfileRoundTrip(t *testing.T) {
	ctx := context.Background()
	db := openTest(t)
	p := testProfile(3)
	if err := db.SaveProfile(ctx, p, nil); err != nil {
		t.Fatal(err)
	}
	got, err := db.CurrentProfile(ctx)
	if err != nil {
		t.Fatal(err)
	}
	sameProfile(t, got, p)
	if got.FetchedAt.Location() != time.UTC {
		t.Errorf("FetchedAt in %v, want UTC", got.FetchedAt.Location())
	}

	// The last saved is current, and zero times come from the store's clock.
	next := testProfile(4)
	next.FetchedAt, next.CheckedAt = time.Time{}, time.Time{}
	if err := db.SaveProfile(ctx, next, nil); err != nil {
		t.Fatal(err)
	}
	got, err = db.CurrentProfile(ctx)
	if err != nil {
		t.Fatal(err)
	}
	next.FetchedAt, next.CheckedAt = testNow, testNow
	sameProfile(t, got, next)
}

func TestSaveProfileLowercasesHashes(t *testing.T) {
	ctx := context.Background()
	db := openTest(t)
	p := testProfile(1)
	a := testAsset("logo", "PNG")
	p.SHA256, a.SHA256 = strings.ToUpper(p.SHA256), strings.ToUpper(a.SHA256)
	if err := db.SaveProfile(ctx, p, []Asset{a}); err != nil {
		t.Fatal(err)
	}
	got, err := db.CurrentProfile(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if got.SHA256 != strings.ToLower(p.SHA256) {
		t.Errorf("SHA256 %q, want lowercase", got.SHA256)
	}
	for _, h := range []string{a.SHA256, strings.ToLower(a.SHA256)} {
		if ok, err := db.HasAsset(ctx, h); err != nil || !ok {
			t.Errorf("HasAsset(%s) = %v, %v; want true", h, ok, err)
		}
	}
}

func TestSaveProfileRejectsHashMismatch(t *testing.T) {
	ctx := context.Background()
	db := openTest(t)
	p := testProfile(1)
	p.Bytes = append(p.Bytes, '#')
	if err := db.SaveProfile(ctx, p, nil); err == nil || !strings.HasPrefix(err.Error(), "store: save profile: ") {
		t.Fatalf("SaveProfile with wrong hash: %v, want an error", err)
	}
	a := testAsset("logo", "PNG")
	a.Bytes = []byte("GIF")
	if err := db.SaveProfile(ctx, testProfile(1), []Asset{a}); err == nil {
		t.Fatal("SaveProfile stored an asset under a hash that is not its bytes'")
	}
	if _, err := db.CurrentProfile(ctx); !errors.Is(err, ErrNotFound) {
		t.Fatalf("CurrentProfile after failed saves: %v, want ErrNotFound", err)
	}
}

func TestAssetsDedupByHash(t *testing.T) {
	ctx := context.Background()
	db := openTest(t)
	logo, map1, map2 := testAsset("logo", "PNG logo"), testAsset("map", "PDF map"), testAsset("map-v2", "PDF map v2")
	if err := db.SaveProfile(ctx, testProfile(1), []Asset{logo, map1}); err != nil {
		t.Fatal(err)
	}
	// The same logo again, under another id and URL: kept as first stored.
	again := logo
	again.ID, again.SourceURL = "logo-renamed", "https://elsewhere.example.org/logo.png"
	if err := db.SaveProfile(ctx, testProfile(2), []Asset{again, map2}); err != nil {
		t.Fatalf("SaveProfile with an asset already present: %v", err)
	}
	if n, err := db.AssetCount(ctx); err != nil || n != 3 {
		t.Fatalf("AssetCount = %d, %v; want 3", n, err)
	}
	got, err := db.Asset(ctx, logo.SHA256)
	if err != nil {
		t.Fatal(err)
	}
	if got.SHA256 != logo.SHA256 || got.ID != logo.ID || !bytes.Equal(got.Bytes, logo.Bytes) ||
		got.SourceURL != logo.SourceURL || !got.FetchedAt.Equal(logo.FetchedAt) {
		t.Errorf("Asset = %+v, want the first stored %+v", *got, logo)
	}
	for _, a := range []Asset{logo, map1, map2} {
		if ok, err := db.HasAsset(ctx, a.SHA256); err != nil || !ok {
			t.Errorf("HasAsset(%s) = %v, %v; want true", a.ID, ok, err)
		}
	}
	missing := hashOf([]byte("never stored"))
	if ok, err := db.HasAsset(ctx, missing); err != nil || ok {
		t.Errorf("HasAsset(missing) = %v, %v; want false", ok, err)
	}
	if _, err := db.Asset(ctx, missing); !errors.Is(err, ErrNotFound) {
		t.Errorf("Asset(missing): %v, want ErrNotFound", err)
	}
}

func TestFailedSaveKeepsPreviousProfile(t *testing.T) {
	ctx := context.Background()
	good := testProfile(1)
	logo := testAsset("logo", "PNG logo")
	for _, tc := range []struct {
		name    string
		profile CachedProfile
		assets  []Asset
	}{
		{
			// Fails on the third asset, after two were inserted.
			name:    "asset with empty hash",
			profile: testProfile(2),
			assets:  []Asset{testAsset("a", "A"), testAsset("b", "B"), {ID: "c", Bytes: []byte("C")}},
		},
		{
			// Fails in SQL (CHECK) on the profile row, after its assets.
			name: "profile without signature",
			profile: func() CachedProfile {
				p := testProfile(2)
				p.Signature = nil
				return p
			}(),
			assets: []Asset{testAsset("a", "A"), testAsset("b", "B")},
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			db := openTest(t)
			if err := db.SaveProfile(ctx, good, []Asset{logo}); err != nil {
				t.Fatal(err)
			}
			if err := db.SaveProfile(ctx, tc.profile, tc.assets); err == nil {
				t.Fatal("SaveProfile succeeded")
			}
			got, err := db.CurrentProfile(ctx)
			if err != nil {
				t.Fatal(err)
			}
			sameProfile(t, got, good)
			if n, err := db.AssetCount(ctx); err != nil || n != 1 {
				t.Errorf("AssetCount = %d, %v after a failed save; want 1 (nothing partial)", n, err)
			}
			if n := rawCount(t, db, "profiles"); n != 1 {
				t.Errorf("%d profile rows after a failed save, want 1", n)
			}
		})
	}
}

func TestTouchProfile(t *testing.T) {
	ctx := context.Background()
	db := openTest(t)
	old, cur := testProfile(1), testProfile(2)
	for _, p := range []CachedProfile{old, cur} {
		if err := db.SaveProfile(ctx, p, nil); err != nil {
			t.Fatal(err)
		}
	}

	checked := testNow.Add(10 * time.Minute)
	if err := db.TouchProfile(ctx, cur.SHA256, `"v2-b"`, "Sun, 15 Mar 2026 10:00:00 GMT", checked); err != nil {
		t.Fatal(err)
	}
	want := cur
	want.ETag, want.LastModified, want.CheckedAt = `"v2-b"`, "Sun, 15 Mar 2026 10:00:00 GMT", checked
	got, err := db.CurrentProfile(ctx)
	if err != nil {
		t.Fatal(err)
	}
	sameProfile(t, got, want)

	// Empty validators keep the stored ones; a zero time is the store's clock.
	if err := db.TouchProfile(ctx, strings.ToUpper(cur.SHA256), "", "", time.Time{}); err != nil {
		t.Fatal(err)
	}
	want.CheckedAt = testNow
	if got, err = db.CurrentProfile(ctx); err != nil {
		t.Fatal(err)
	}
	sameProfile(t, got, want)

	// Not the current profile: refused, nothing changes.
	if err := db.TouchProfile(ctx, old.SHA256, `"x"`, "", checked); !errors.Is(err, ErrNotFound) {
		t.Fatalf("TouchProfile of a non-current profile: %v, want ErrNotFound", err)
	}
	var oldETag string
	if err := db.sql.QueryRow(`SELECT etag FROM profiles WHERE serial = 1`).Scan(&oldETag); err != nil {
		t.Fatal(err)
	}
	if oldETag != old.ETag {
		t.Errorf("old profile's etag became %q", oldETag)
	}
	if got, err = db.CurrentProfile(ctx); err != nil {
		t.Fatal(err)
	}
	sameProfile(t, got, want)
}

func TestTouchProfileWithoutProfile(t *testing.T) {
	db := openTest(t)
	if err := db.TouchProfile(context.Background(), hashOf(nil), "", "", time.Time{}); !errors.Is(err, ErrNotFound) {
		t.Fatalf("TouchProfile on an empty store: %v, want ErrNotFound", err)
	}
}

func TestSaveProfilePrunesHistory(t *testing.T) {
	ctx := context.Background()
	db := openTest(t)
	const saved = keepProfiles + 5
	for serial := int64(1); serial <= saved; serial++ {
		if err := db.SaveProfile(ctx, testProfile(serial), nil); err != nil {
			t.Fatal(err)
		}
	}
	rows, err := db.sql.Query(`SELECT serial FROM profiles ORDER BY id`)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	var serials []int64
	for rows.Next() {
		var s int64
		if err := rows.Scan(&s); err != nil {
			t.Fatal(err)
		}
		serials = append(serials, s)
	}
	// The current one and the keepProfiles before it.
	if len(serials) != keepProfiles+1 || serials[0] != saved-keepProfiles || serials[len(serials)-1] != saved {
		t.Fatalf("kept serials %v, want %d…%d", serials, saved-keepProfiles, saved)
	}
	got, err := db.CurrentProfile(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if got.Serial != saved {
		t.Errorf("current serial %d, want %d", got.Serial, saved)
	}
}

func TestSourceURLPasswordNotStored(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	db := openTest(t)
	p := testProfile(1)
	p.Source = "https://relais:hunter2@continuite.example.org/profile.toml"
	a := testAsset("logo", "PNG")
	a.SourceURL = "https://relais:hunter2@continuite.example.org/logo.png"
	if err := db.SaveProfile(ctx, p, []Asset{a}); err != nil {
		t.Fatal(err)
	}
	if err := db.RecordSync(ctx, SyncAttempt{Source: p.Source, Outcome: OutcomeAccepted, Serial: 1}); err != nil {
		t.Fatal(err)
	}
	var n int
	if err := db.sql.QueryRow(`SELECT
		(SELECT count(*) FROM profiles WHERE source LIKE '%hunter2%') +
		(SELECT count(*) FROM assets WHERE source_url LIKE '%hunter2%') +
		(SELECT count(*) FROM sync_attempts WHERE source LIKE '%hunter2%')`).Scan(&n); err != nil {
		t.Fatal(err)
	}
	if n != 0 {
		t.Errorf("%d rows hold the URL's password", n)
	}
	got, err := db.CurrentProfile(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(got.Source, "https://relais:") || !strings.HasSuffix(got.Source, "@continuite.example.org/profile.toml") {
		t.Errorf("Source %q, want the URL with its password replaced", got.Source)
	}
}

// A token in a source URL's query is a credential too: the store keeps the
// parameter and drops its value.
func TestSourceURLTokenNotStored(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	db := openTest(t)
	p := testProfile(1)
	p.Source = "https://continuite.example.org/profile.toml?token=S3CRET-TOKEN-123&v=2"
	a := testAsset("logo", "PNG")
	a.SourceURL = "https://continuite.example.org/logo.png?access_token=S3CRET-TOKEN-123"
	if err := db.SaveProfile(ctx, p, []Asset{a}); err != nil {
		t.Fatal(err)
	}
	if err := db.RecordSync(ctx, SyncAttempt{Source: p.Source, Outcome: OutcomeAccepted, Serial: 1}); err != nil {
		t.Fatal(err)
	}
	var n int
	if err := db.sql.QueryRow(`SELECT
		(SELECT count(*) FROM profiles WHERE source LIKE '%S3CRET%') +
		(SELECT count(*) FROM assets WHERE source_url LIKE '%S3CRET%') +
		(SELECT count(*) FROM sync_attempts WHERE source LIKE '%S3CRET%')`).Scan(&n); err != nil {
		t.Fatal(err)
	}
	if n != 0 {
		t.Errorf("%d rows hold the URL's token", n)
	}
	got, err := db.CurrentProfile(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if got.Source != "https://continuite.example.org/profile.toml?token=xxxxx&v=2" {
		t.Errorf("Source %q, want the URL with its token replaced", got.Source)
	}
}
