package noticesync_test

import (
	"context"
	"crypto/rand"
	"errors"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"aead.dev/minisign"

	"relais/internal/notices"
	"relais/internal/notices/noticesync"
	"relais/internal/profile"
	"relais/internal/profile/profilesync"
	"relais/internal/profile/profiletest"
)

const (
	docPath = "/v1/notices.json"
	sigPath = docPath + ".minisig"
)

type memCache struct {
	mu      sync.Mutex
	last    *noticesync.Cached
	saves   int
	touches int
}

func (c *memCache) Last(context.Context) (*noticesync.Cached, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.last == nil {
		return nil, nil
	}
	cp := *c.last
	return &cp, nil
}

func (c *memCache) Save(_ context.Context, n noticesync.Cached) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.last, c.saves = &n, c.saves+1
	return nil
}

func (c *memCache) Touch(_ context.Context, sum, etag, lm string) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.last != nil && c.last.SHA256 == sum {
		c.last.ETag, c.last.LastModified = etag, lm
		c.touches++
	}
	return nil
}

func key(t testing.TB) (minisign.PublicKey, minisign.PrivateKey) {
	pk, sk, err := minisign.GenerateKey(rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	return pk, sk
}

func doc(serial int, extra string) []byte {
	return []byte(`{"schema":1,"serial":` + itoa(serial) + `,"issued_at":"2026-12-05T09:00:00Z"` + extra + `,
 "notices":[{"id":"paie-14h","level":"warning","text":{"fr":"La paie est en maintenance jusqu'à 14 h.","en":"Payroll is under maintenance until 2 pm."}}],
 "maintenance":[{"app":"paie","from":"2026-12-05T09:00:00Z","until":"2026-12-05T13:00:00Z"}]}`)
}

func itoa(i int) string {
	s := ""
	for ; i > 0; i /= 10 {
		s = string(rune('0'+i%10)) + s
	}
	return s
}

func publish(o *profiletest.Office, body []byte, sk minisign.PrivateKey) {
	o.Set(docPath, body)
	o.Set(sigPath, notices.Sign(body, sk))
}

func TestSync(t *testing.T) {
	ctx := context.Background()
	o := profiletest.New(t)
	pk, sk := key(t)
	profilePK, profileSK := key(t)
	cache := &memCache{}
	s := &noticesync.Syncer{Cache: cache, Key: pk, ProfileKeys: []minisign.PublicKey{profilePK}}
	url := o.Base() + docPath

	publish(o, doc(5, ""), sk)
	res, err := s.Sync(ctx, url)
	if err != nil || res.Outcome != noticesync.Accepted || res.Document.Serial != 5 || cache.saves != 1 {
		t.Fatalf("%+v %v", res, err)
	}
	// Unchanged: one conditional request, 304, nothing downloaded.
	res, err = s.Sync(ctx, url)
	if err != nil || res.Outcome != noticesync.NotModified || res.Requests != 1 || res.BytesRead != 0 || o.IfNoneMatch(docPath) == "" {
		t.Fatalf("conditional GET: %+v %v (If-None-Match %q)", res, err, o.IfNoneMatch(docPath))
	}
	if d, err := noticesync.Load(ctx, cache, pk, nil); err != nil || d == nil || d.Serial != 5 {
		t.Fatalf("offline: %v %v", d, err)
	}
	if d, _ := noticesync.Load(ctx, cache, profilePK, nil); d != nil {
		t.Fatal("the cached document is shown under another key")
	}

	// Attacks: each refused with its code; the last good document stays.
	_, otherSK := key(t)
	big := append(doc(9, ""), []byte(strings.Repeat(" ", notices.MaxSize))...)
	attacks := []struct {
		name  string
		setup func()
		code  string
	}{
		{"another key", func() { publish(o, doc(6, ""), otherSK) }, notices.CodeUntrustedKey},
		{"a profile key", func() { publish(o, doc(6, ""), profileSK) }, notices.CodeUntrustedKey},
		{"unknown field", func() { publish(o, doc(6, `,"tunnel":{"endpoint":"evil.example:51820"}`), sk) }, notices.CodeUnknownField},
		{"checks", func() { publish(o, doc(6, `,"checks":[{"id":"x"}]`), sk) }, notices.CodeUnknownField},
		{"rolled back", func() { publish(o, doc(4, ""), sk) }, notices.CodeRollback},
		{"oversized", func() { publish(o, big, sk) }, notices.CodeTooLarge},
		{"oversized, unannounced", func() {
			o.Override(docPath, func(w http.ResponseWriter, r *http.Request) {
				w.(http.Flusher).Flush() // chunked: no Content-Length
				for range notices.MaxSize/1024 + 2 {
					_, _ = w.Write([]byte(strings.Repeat(" ", 1024)))
				}
			})
		}, notices.CodeTooLarge},
		{"bidi override", func() {
			publish(o, []byte(strings.Replace(string(doc(6, "")), "Payroll", "Pay\u202eroll", 1)), sk)
		}, notices.CodeTextControl},
		{"control character", func() {
			publish(o, []byte(strings.Replace(string(doc(6, "")), "Payroll", `Pay\u0007roll`, 1)), sk)
		}, notices.CodeTextControl},
		{"unsigned", func() { publish(o, doc(6, ""), sk); o.Remove(sigPath) }, notices.CodeUnsigned},
	}
	for _, a := range attacks {
		t.Run(a.name, func(t *testing.T) {
			o.Override(docPath, nil)
			a.setup()
			res, err := s.Sync(ctx, url)
			if notices.Code(err) != a.code {
				t.Fatalf("got %+v %v, want code %s", res, err, a.code)
			}
			if cache.last.Serial != 5 || cache.saves != 1 {
				t.Fatalf("the last good document was replaced: %+v", cache.last)
			}
		})
	}
	o.Override(docPath, nil)
	publish(o, doc(6, ""), sk)
	if res, err := s.Sync(ctx, url); err != nil || res.Document.Serial != 6 {
		t.Fatalf("a newer document: %+v %v", res, err)
	}
}

func TestSyncFailures(t *testing.T) {
	ctx := context.Background()
	o := profiletest.New(t)
	pk, _ := key(t)
	cache := &memCache{}
	s := &noticesync.Syncer{Cache: cache, Key: pk, Timeout: 200 * time.Millisecond}
	if _, err := s.Sync(ctx, "http://notices.example.org/n.json"); !errors.Is(err, profile.ErrInsecureURL) {
		t.Fatalf("plain http to a remote host: %v", err)
	}
	var he *noticesync.HTTPError
	if _, err := s.Sync(ctx, o.Base()+docPath); !errors.As(err, &he) || he.Status != 404 || notices.Code(err) != "" {
		t.Fatalf("404: %v", err)
	}
	o.Override(docPath, func(w http.ResponseWriter, r *http.Request) { <-r.Context().Done() })
	start := time.Now()
	if _, err := s.Sync(ctx, o.Base()+docPath); err == nil || time.Since(start) > 5*time.Second {
		t.Fatalf("a server that never answers: %v after %v", err, time.Since(start))
	}
}

// The notice key is never a key for profiles: a profile signed with it is
// refused by the profile's sync, whose trusted keys are the profile's own.
func TestProfileSignedWithNoticeKeyRefused(t *testing.T) {
	o := profiletest.New(t)
	profilePK, _ := key(t)
	_, noticeSK := key(t)
	o.Publish(t, noticeSK, 9)
	s := &profilesync.Syncer{Cache: &profileCache{}, Trusted: []minisign.PublicKey{profilePK}}
	if _, err := s.SyncURL(context.Background(), o.URL()); !errors.Is(err, profile.ErrUntrustedKey) {
		t.Fatalf("a profile signed with the notice key: %v, want ErrUntrustedKey", err)
	}
}

type profileCache struct{ last *profilesync.Cached }

func (c *profileCache) Last(context.Context) (*profilesync.Cached, error)   { return c.last, nil }
func (c *profileCache) HasAsset(context.Context, string) (bool, error)      { return false, nil }
func (c *profileCache) Touch(context.Context, string, string, string) error { return nil }
func (c *profileCache) Save(_ context.Context, p profilesync.Cached, _ []profilesync.FetchedAsset) error {
	c.last = &p
	return nil
}
