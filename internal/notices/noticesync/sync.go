// Package noticesync fetches the organisation's notices document: a
// conditional GET of the profile's [notices] url, then its .minisig,
// verified with the notice key (internal/notices.Accept: the key alone,
// strict parse, rollback) before anything is stored. A refused or failed
// sync keeps the last good document, which the laptop shows offline.
//
// It follows internal/profile/profilesync: the same HTTP client seam
// (Syncer.Client), URL policy and redirect policy, a deadline on every
// request, and bodies never read past their limit.
package noticesync

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"time"

	"aead.dev/minisign"

	"relais/internal/notices"
	"relais/internal/profile/profilesync"
	"relais/internal/redact"
)

// DefaultFetchTimeout is the deadline of one request.
const DefaultFetchTimeout = 15 * time.Second

// Cached is the last good document as the cache keeps it.
type Cached struct {
	Serial       int64
	SHA256       string
	Bytes        []byte
	Signature    []byte
	Source       string
	KeyID        string // the notice key that verified it (KeyID)
	ETag         string
	LastModified string
}

// Cache is what a sync needs from the store.
type Cache interface {
	// Last returns the current document, or nil when none.
	Last(ctx context.Context) (*Cached, error)
	Save(ctx context.Context, c Cached) error
	// Touch records that the source confirmed the current document.
	Touch(ctx context.Context, sha256, etag, lastModified string) error
}

// Outcome of a sync that did not fail.
type Outcome string

// Outcomes.
const (
	Accepted    Outcome = "accepted"
	NotModified Outcome = "not_modified"
)

// Result describes a sync.
type Result struct {
	Outcome   Outcome
	Document  *notices.Document // the document now current
	Requests  int
	BytesRead int64
}

// Syncer fetches, verifies and caches the notices document.
type Syncer struct {
	Client      *http.Client // nil: a client with the profile's redirect policy
	Cache       Cache
	Key         minisign.PublicKey   // the notice key, from the profile's [notices]
	ProfileKeys []minisign.PublicKey // the keys trusted for profiles: never for notices
	Timeout     time.Duration        // per request; 0 means DefaultFetchTimeout
	Logf        func(format string, args ...any)
}

// KeyID formats a key's id as minisign prints it.
func KeyID(k minisign.PublicKey) string { return fmt.Sprintf("%X", k.ID()) }

// HTTPError is an unexpected HTTP status.
type HTTPError struct {
	URL    string
	Status int
}

func (e *HTTPError) Error() string {
	return fmt.Sprintf("notices: %s: HTTP %d %s", e.URL, e.Status, http.StatusText(e.Status))
}

func (s *Syncer) logf(format string, args ...any) {
	if s.Logf != nil {
		s.Logf(format, args...)
	}
}

func (s *Syncer) client() *http.Client {
	if s.Client != nil {
		return s.Client
	}
	return &http.Client{CheckRedirect: profilesync.CheckRedirect}
}

// Sync fetches rawURL (conditionally, against the cached validators when
// the cached document came from there and was verified by the same key) and
// rawURL+".minisig", accepts the document with notices.Accept and makes it
// current. A refusal is a *notices.Error (its Code says why); a network or
// HTTP failure is any other error. Either way the cache is untouched.
func (s *Syncer) Sync(ctx context.Context, rawURL string) (*Result, error) {
	res := &Result{}
	u, err := url.Parse(rawURL)
	if err != nil {
		return res, fmt.Errorf("notices: url: %w", err)
	}
	if err := profilesync.CheckFetchURL(u); err != nil {
		return res, err
	}
	last, err := s.Cache.Last(ctx)
	if err != nil {
		return res, fmt.Errorf("notices: cache: %w", err)
	}
	keyID := KeyID(s.Key)
	same := last != nil && last.KeyID == keyID
	var hdr http.Header
	if same && last.Source == rawURL {
		hdr = http.Header{}
		if last.ETag != "" {
			hdr.Set("If-None-Match", last.ETag)
		}
		if last.LastModified != "" {
			hdr.Set("If-Modified-Since", last.LastModified)
		}
	}
	body, resp, err := s.get(ctx, rawURL, hdr, notices.MaxSize, res)
	if err != nil {
		return res, err
	}
	etag, lastMod := resp.Header.Get("ETag"), resp.Header.Get("Last-Modified")
	if resp.StatusCode == http.StatusNotModified {
		// The cached bytes were verified when stored; they are checked
		// again, as the key may have changed since.
		d, err := notices.Accept(last.Bytes, last.Signature, s.Key, s.ProfileKeys, notices.Previous{})
		if err != nil {
			return res, err
		}
		if etag == "" {
			etag = last.ETag
		}
		if lastMod == "" {
			lastMod = last.LastModified
		}
		if err := s.Cache.Touch(ctx, last.SHA256, etag, lastMod); err != nil {
			return res, fmt.Errorf("notices: cache: %w", err)
		}
		res.Outcome, res.Document = NotModified, d
		return res, nil
	}
	sig, _, err := s.get(ctx, rawURL+".minisig", nil, profilesync.MaxSignatureSize, res)
	if err != nil {
		var he *HTTPError
		if errors.As(err, &he) && he.Status == http.StatusNotFound {
			return res, &notices.Error{Code: notices.CodeUnsigned, Detail: redact.URL(rawURL) + ".minisig not found"}
		}
		return res, err
	}
	var prev notices.Previous
	if same {
		prev = notices.Previous{Serial: last.Serial, SHA256: last.SHA256}
	}
	d, err := notices.Accept(body, sig, s.Key, s.ProfileKeys, prev)
	if err != nil {
		s.logf("notices: %s refused: %v", redact.URL(rawURL), err)
		return res, err
	}
	if same && last.SHA256 == d.SHA256 {
		if err := s.Cache.Touch(ctx, d.SHA256, etag, lastMod); err != nil {
			return res, fmt.Errorf("notices: cache: %w", err)
		}
		res.Outcome, res.Document = NotModified, d
		return res, nil
	}
	c := Cached{Serial: d.Serial, SHA256: d.SHA256, Bytes: body, Signature: sig, Source: rawURL, KeyID: keyID, ETag: etag, LastModified: lastMod}
	if err := s.Cache.Save(ctx, c); err != nil {
		return res, fmt.Errorf("notices: cache: %w", err)
	}
	res.Outcome, res.Document = Accepted, d
	s.logf("notices: accepted serial %d from %s", d.Serial, redact.URL(rawURL))
	return res, nil
}

// Load returns the cached document if it still verifies with key (and is
// not signed by a profile key): what the laptop shows offline. nil when
// there is none or it no longer verifies.
func Load(ctx context.Context, cache Cache, key minisign.PublicKey, profileKeys []minisign.PublicKey) (*notices.Document, error) {
	last, err := cache.Last(ctx)
	if err != nil || last == nil {
		return nil, err
	}
	d, err := notices.Accept(last.Bytes, last.Signature, key, profileKeys, notices.Previous{})
	if err != nil {
		return nil, nil
	}
	return d, nil
}

// get performs one GET with its own deadline and reads at most limit bytes;
// a larger body is CodeTooLarge, never read whole. 304 (to a conditional
// request) is returned with a nil body; any other non-200 is *HTTPError.
func (s *Syncer) get(ctx context.Context, rawURL string, hdr http.Header, limit int64, res *Result) ([]byte, *http.Response, error) {
	timeout := s.Timeout
	if timeout <= 0 {
		timeout = DefaultFetchTimeout
	}
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, rawURL, nil)
	if err != nil {
		return nil, nil, fmt.Errorf("notices: %w", redactURLError(err))
	}
	for k, v := range hdr {
		req.Header[k] = v
	}
	res.Requests++
	resp, err := s.client().Do(req)
	if err != nil {
		return nil, nil, fmt.Errorf("notices: fetch: %w", redactURLError(err))
	}
	defer resp.Body.Close()
	shown := redact.URL(req.URL.String())
	switch {
	case resp.StatusCode == http.StatusOK:
	case resp.StatusCode == http.StatusNotModified && len(hdr) > 0:
		return nil, resp, nil
	default:
		return nil, resp, &HTTPError{URL: shown, Status: resp.StatusCode}
	}
	if resp.ContentLength > limit {
		return nil, resp, &notices.Error{Code: notices.CodeTooLarge, Detail: fmt.Sprintf("%s announces %d bytes (limit %d)", shown, resp.ContentLength, limit)}
	}
	b, err := io.ReadAll(io.LimitReader(resp.Body, limit+1))
	res.BytesRead += int64(len(b))
	if err != nil {
		return nil, resp, fmt.Errorf("notices: fetch %s: %w", shown, err)
	}
	if int64(len(b)) > limit {
		return nil, resp, &notices.Error{Code: notices.CodeTooLarge, Detail: fmt.Sprintf("%s is larger than %d bytes", shown, limit)}
	}
	return b, resp, nil
}

func redactURLError(err error) error {
	var ue *url.Error
	if errors.As(err, &ue) {
		ue.URL = redact.URL(ue.URL)
	}
	return err
}
