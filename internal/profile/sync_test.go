package profile

import (
	"bytes"
	"context"
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
		{"lower serial", func(o *profiletest.Office) { o.Publish(t, sk, 6) }, ErrRollback},
		{"untrusted key", func(o *profiletest.Office) {
			body := o.Publish(t, sk, 9)
			o.Set(profiletest.SignaturePath, minisign.Sign(otherSK, body))
		}, ErrUntrustedKey},
		{"altered byte", func(o *profiletest.Office) {
			body := o.Publish(t, sk, 9)
			o.Set(profiletest.ProfilePath, bytes.Replace(body, []byte("Paie"), []byte("Pale"), 1))
		}, ErrBadSignature},
		{"no signature", func(o *profiletest.Office) {
			o.Publish(t, sk, 9)
			o.Remove(profiletest.SignaturePath)
		}, ErrUnsigned},
		{"asset mismatch", func(o *profiletest.Office) {
			o.Publish(t, sk, 9)
			o.Set(profiletest.AssetPath, []byte("not the pinned image"))
		}, ErrAssetMismatch},
		{"2 GiB body, no length", func(o *profiletest.Office) {
			o.Publish(t, sk, 9)
			o.Override(profiletest.ProfilePath, func(w http.ResponseWriter, r *http.Request) {
				io.Copy(w, io.LimitReader(zeros{}, 2<<30))
			})
		}, ErrTooLarge},
		{"2 GiB announced", func(o *profiletest.Office) {
			o.Publish(t, sk, 9)
			o.Override(profiletest.ProfilePath, func(w http.ResponseWriter, r *http.Request) {
				w.Header().Set("Content-Length", fmt.Sprint(2<<30))
				io.Copy(w, io.LimitReader(zeros{}, 1<<20))
			})
		}, ErrTooLarge},
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
			if res != nil && res.BytesRead > MaxProfileSize+MaxAssetSize+MaxSignatureSize+2 {
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
	if !errors.Is(err, ErrInsecureURL) {
		t.Fatalf("got %v, want ErrInsecureURL", err)
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
	if _, err := s.SyncFile(context.Background(), f); !errors.Is(err, ErrUnsigned) {
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
