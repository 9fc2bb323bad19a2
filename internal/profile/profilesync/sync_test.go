package profilesync

import (
	"bytes"
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"aead.dev/minisign"

	"relais/internal/profile"
	"relais/internal/profile/profiletest"
)

// memCache is an in-memory Cache for unit tests; the store-backed cache is
// exercised end to end by the CLI tests.
type memCache struct {
	mu     sync.Mutex
	cur    *Cached
	assets map[string][]byte
	saves  int
}

func (c *memCache) Last(context.Context) (*Cached, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.cur == nil {
		return nil, nil
	}
	cp := *c.cur
	return &cp, nil
}

func (c *memCache) HasAsset(_ context.Context, h string) (bool, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	_, ok := c.assets[h]
	return ok, nil
}

func (c *memCache) Save(_ context.Context, p Cached, as []FetchedAsset) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.assets == nil {
		c.assets = map[string][]byte{}
	}
	for _, a := range as {
		c.assets[a.SHA256] = a.Bytes
	}
	c.cur = &p
	c.saves++
	return nil
}

func (c *memCache) Touch(_ context.Context, h, etag, lm string) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.cur != nil && c.cur.SHA256 == h {
		c.cur.ETag, c.cur.LastModified = etag, lm
	}
	return nil
}

func TestSyncURL(t *testing.T) {
	ctx := context.Background()
	pk, sk := newKey(t)
	o := profiletest.New(t)
	o.Publish(t, sk, 7)
	cache := &memCache{}
	s := &Syncer{Cache: cache, Trusted: []minisign.PublicKey{pk}}
	url := o.URL()

	res, err := s.SyncURL(ctx, url)
	if err != nil {
		t.Fatal(err)
	}
	if res.Outcome != Accepted || res.Profile.Serial != 7 || res.AssetsFetched != 1 || len(cache.assets) != 1 {
		t.Fatalf("first sync: %+v, assets %d", res, len(cache.assets))
	}
	if cache.cur.ETag == "" {
		t.Fatal("ETag not kept")
	}

	// Second sync: conditional GET, 304, nothing else fetched.
	res, err = s.SyncURL(ctx, url)
	if err != nil {
		t.Fatal(err)
	}
	if res.Outcome != NotModified || res.Requests != 1 || res.BytesRead != 0 {
		t.Fatalf("second sync: %+v", res)
	}
	if got := o.IfNoneMatch(profiletest.ProfilePath); got != cache.cur.ETag {
		t.Fatalf("If-None-Match %q, want %q", got, cache.cur.ETag)
	}
	if n := o.Hits(profiletest.AssetPath); n != 1 {
		t.Fatalf("asset fetched %d times, want 1", n)
	}

	// A new serial with the same asset: the asset is not fetched again.
	o.Publish(t, sk, 8)
	res, err = s.SyncURL(ctx, url)
	if err != nil || res.Outcome != Accepted || res.Profile.Serial != 8 || res.AssetsFetched != 0 {
		t.Fatalf("serial 8: %+v, %v", res, err)
	}
	if n := o.Hits(profiletest.AssetPath); n != 1 {
		t.Fatalf("asset fetched %d times, want 1", n)
	}
}

func TestSyncRefusals(t *testing.T) {
	ctx := context.Background()
	pk, sk := newKey(t)
	_, otherSK := newKey(t)
	tests := []struct {
		name  string
		setup func(o *profiletest.Office)
		want  error
	}{
		{"lower serial", func(o *profiletest.Office) { o.Publish(t, sk, 6) }, profile.ErrRollback},
		{"untrusted key", func(o *profiletest.Office) {
			body := o.Publish(t, sk, 9)
			o.Set(profiletest.SignaturePath, minisign.Sign(otherSK, body))
		}, profile.ErrUntrustedKey},
		{"altered byte", func(o *profiletest.Office) {
			body := o.Publish(t, sk, 9)
			o.Set(profiletest.ProfilePath, bytes.Replace(body, []byte("Paie"), []byte("Pale"), 1))
		}, profile.ErrBadSignature},
		{"no signature", func(o *profiletest.Office) {
			o.Publish(t, sk, 9)
			o.Remove(profiletest.SignaturePath)
		}, profile.ErrUnsigned},
		{"asset mismatch", func(o *profiletest.Office) {
			o.Publish(t, sk, 9)
			o.Set(profiletest.AssetPath, []byte("not the pinned image"))
		}, profile.ErrAssetMismatch},
		{"2 GiB body, no length", func(o *profiletest.Office) {
			o.Publish(t, sk, 9)
			o.Override(profiletest.ProfilePath, func(w http.ResponseWriter, r *http.Request) {
				io.Copy(w, io.LimitReader(zeros{}, 2<<30))
			})
		}, profile.ErrTooLarge},
		{"2 GiB announced", func(o *profiletest.Office) {
			o.Publish(t, sk, 9)
			o.Override(profiletest.ProfilePath, func(w http.ResponseWriter, r *http.Request) {
				w.Header().Set("Content-Length", fmt.Sprint(2<<30))
				io.Copy(w, io.LimitReader(zeros{}, 1<<20))
			})
		}, profile.ErrTooLarge},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			o := profiletest.New(t)
			o.Publish(t, sk, 7)
			cache := &memCache{}
			s := &Syncer{Cache: cache, Trusted: []minisign.PublicKey{pk}}
			url := o.URL()
			if _, err := s.SyncURL(ctx, url); err != nil {
				t.Fatal(err)
			}
			good := *cache.cur
			// A fresh asset is needed for the mismatch case to fetch.
			cache.assets = nil
			tt.setup(o)
			res, err := s.SyncURL(ctx, url)
			if !errors.Is(err, tt.want) {
				t.Fatalf("got %v (%+v), want %v", err, res, tt.want)
			}
			if cache.cur.SHA256 != good.SHA256 || cache.saves != 1 {
				t.Fatalf("the last good profile was replaced")
			}
			if res != nil && res.BytesRead > profile.MaxProfileSize+profile.MaxAssetSize+MaxSignatureSize+2 {
				t.Fatalf("read %d bytes: the limit was not enforced while reading", res.BytesRead)
			}
		})
	}
}

type zeros struct{}

func (zeros) Read(p []byte) (int, error) {
	clear(p)
	return len(p), nil
}

func TestSyncDeadline(t *testing.T) {
	pk, sk := newKey(t)
	o := profiletest.New(t)
	o.Publish(t, sk, 7)
	release := make(chan struct{})
	defer close(release)
	o.Override(profiletest.ProfilePath, func(w http.ResponseWriter, r *http.Request) {
		select {
		case <-release:
		case <-r.Context().Done():
		}
	})
	s := &Syncer{Cache: &memCache{}, Trusted: []minisign.PublicKey{pk}, Timeout: 200 * time.Millisecond}
	_, err := s.SyncURL(context.Background(), o.URL())
	if !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("got %v, want a deadline error", err)
	}
}

func TestSyncInsecureURL(t *testing.T) {
	pk, _ := newKey(t)
	s := &Syncer{Cache: &memCache{}, Trusted: []minisign.PublicKey{pk}}
	_, err := s.SyncURL(context.Background(), "http://continuite.example.org/relais/profile.toml")
	if !errors.Is(err, profile.ErrInsecureURL) {
		t.Fatalf("got %v, want profile.ErrInsecureURL", err)
	}
}

func TestSyncFile(t *testing.T) {
	pk, sk := newKey(t)
	dir := t.TempDir()
	// The bootstrap file's assets are still fetched from their URLs: serve
	// them from a local server.
	o := profiletest.New(t)
	o.Publish(t, sk, 7)
	body := profiletest.Example(t, o.Base(), 7)
	f := filepath.Join(dir, "profile.toml")
	os.WriteFile(f, body, 0o644)
	cache := &memCache{}
	s := &Syncer{Cache: cache, Trusted: []minisign.PublicKey{pk}}
	if _, err := s.SyncFile(context.Background(), f); !errors.Is(err, profile.ErrUnsigned) {
		t.Fatalf("unsigned file: got %v", err)
	}
	os.WriteFile(f+".minisig", minisign.Sign(sk, body), 0o644)
	res, err := s.SyncFile(context.Background(), f)
	if err != nil || res.Outcome != Accepted || cache.cur.Source != f {
		t.Fatalf("signed file: %+v, %v", res, err)
	}
	res, err = s.SyncFile(context.Background(), f)
	if err != nil || res.Outcome != NotModified {
		t.Fatalf("same file again: %+v, %v", res, err)
	}
}

// BenchmarkSyncNoChange measures the steady state: a sync when nothing
// changed is one conditional request and no body.
func BenchmarkSyncNoChange(b *testing.B) {
	pk, sk := newKey(b)
	o := profiletest.New(b)
	o.Publish(b, sk, 7)
	s := &Syncer{Cache: &memCache{}, Trusted: []minisign.PublicKey{pk}}
	url := o.URL()
	if _, err := s.SyncURL(context.Background(), url); err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	var reqs, read int64
	for b.Loop() {
		res, err := s.SyncURL(context.Background(), url)
		if err != nil || res.Outcome != NotModified {
			b.Fatalf("%+v %v", res, err)
		}
		reqs += int64(res.Requests)
		read += res.BytesRead
	}
	b.ReportMetric(float64(reqs)/float64(b.N), "requests/op")
	b.ReportMetric(float64(read)/float64(b.N), "bodybytes/op")
}

// Sync is the one policy of every path: the URL first, then the bootstrap
// file, which is adopted when nothing is cached or when a package upgrade
// shipped a newer serial at the same path; an older file is no rollback
// error, it is simply not newer.
func TestSyncPolicy(t *testing.T) {
	ctx := context.Background()
	pk, sk := newKey(t)
	o := profiletest.New(t)
	o.Publish(t, sk, 7) // serves the asset the file profiles pin
	f := filepath.Join(t.TempDir(), "profile.toml")
	install := func(serial int) {
		body := profiletest.Example(t, o.Base(), serial)
		os.WriteFile(f, body, 0o644)
		os.WriteFile(f+".minisig", minisign.Sign(sk, body), 0o644)
	}
	cache := &memCache{}
	s := &Syncer{Cache: cache, Trusted: []minisign.PublicKey{pk}}
	check := func(what string, src Sources, wantOutcome Outcome, wantSerial int64) *SyncResult {
		t.Helper()
		res, err := s.Sync(ctx, src)
		if err != nil || res == nil || res.Outcome != wantOutcome || res.Profile == nil || res.Profile.Serial != wantSerial || cache.cur.Serial != wantSerial {
			t.Fatalf("%s: %+v, %v (cached %+v)", what, res, err, cache.cur)
		}
		return res
	}
	if _, err := s.Sync(ctx, Sources{}); !errors.Is(err, profile.ErrNoSource) {
		t.Fatalf("no source: %v", err)
	}
	install(7)
	check("first file", Sources{File: f}, Accepted, 7)
	check("same file", Sources{File: f}, NotModified, 7)
	install(8) // a package upgrade
	if res := check("newer file", Sources{File: f}, Accepted, 8); res.Source != f {
		t.Fatalf("source: %q", res.Source)
	}
	install(6) // an older package: not newer, not an error
	check("older file", Sources{File: f}, NotModified, 8)

	// The URL comes first.
	o.Publish(t, sk, 9)
	install(10)
	if res := check("URL first", Sources{URL: o.URL(), File: f}, Accepted, 9); res.Source != o.URL() {
		t.Fatalf("source: %q", res.Source)
	}
	// The URL fails: the newer file is adopted, the URL's failure kept.
	o.Remove(profiletest.ProfilePath)
	res := check("URL down, newer file", Sources{URL: o.URL(), File: f}, Accepted, 10)
	var he *HTTPError
	if !errors.As(res.URLError, &he) || res.Source != f {
		t.Fatalf("URL error %v, source %q", res.URLError, res.Source)
	}
	// The URL fails and the file is not newer: the URL's failure.
	if _, err := s.Sync(ctx, Sources{URL: o.URL(), File: f}); !errors.As(err, &he) || cache.cur.Serial != 10 {
		t.Fatalf("URL down, same file: %v", err)
	}
	// A newer file with a bad signature is refused; the last good stays.
	body := profiletest.Example(t, o.Base(), 11)
	os.WriteFile(f, body, 0o644)
	_, other := newKey(t)
	os.WriteFile(f+".minisig", minisign.Sign(other, body), 0o644)
	if _, err := s.Sync(ctx, Sources{File: f}); err == nil || cache.cur.Serial != 10 {
		t.Fatalf("newer file, bad signature: %v, serial %d", err, cache.cur.Serial)
	}
}

// newKey is a fresh minisign key pair.
func newKey(tb testing.TB) (minisign.PublicKey, minisign.PrivateKey) {
	tb.Helper()
	pub, priv, err := minisign.GenerateKey(rand.Reader)
	if err != nil {
		tb.Fatal(err)
	}
	return pub, priv
}
