package store

import (
	"bytes"
	"context"
	"testing"
)

// benchProfile is a profile of a realistic size (tens of KiB of TOML).
func benchProfile(serial int64) CachedProfile {
	p := testProfile(serial)
	p.Bytes = append(p.Bytes, bytes.Repeat([]byte("# essential apps, links, pages, drills\n"), 1000)...)
	p.SHA256 = hashOf(p.Bytes)
	return p
}

func BenchmarkSaveProfile(b *testing.B) {
	ctx := context.Background()
	db := openTest(b)
	profiles := []CachedProfile{benchProfile(1), benchProfile(2)}
	// Already stored after the first save, as on every sync that accepts a
	// profile pinning the same images.
	assets := []Asset{testAsset("logo", "PNG logo"), testAsset("map", "PDF map")}
	b.ReportAllocs()
	i := 0
	for b.Loop() {
		if err := db.SaveProfile(ctx, profiles[i%2], assets); err != nil {
			b.Fatal(err)
		}
		i++
	}
}

func BenchmarkCurrentProfile(b *testing.B) {
	ctx := context.Background()
	db := openTest(b)
	if err := db.SaveProfile(ctx, benchProfile(1), nil); err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	for b.Loop() {
		if _, err := db.CurrentProfile(ctx); err != nil {
			b.Fatal(err)
		}
	}
}
