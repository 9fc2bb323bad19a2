// Package profilesync fetches the signed profile: the URL first (a
// conditional GET, then its .minisig and every asset not already cached),
// then the bootstrap file a package installs; verifies all of it with
// internal/profile (signature, rollback, expiry, asset pins) and makes it
// current in the cache in one step. A refused or failed sync never
// touches the last good profile.
//
// It is the I/O half of the profile: internal/profile holds the values,
// the rules and the sentinel errors, and never fetches. This package must
// never follow a redirect to this machine or its link from a source
// elsewhere, never read a body past its limit, and never put a URL's
// secrets (userinfo, query) in an error or the log.
package profilesync

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/netip"
	"net/url"
	"os"
	"path"
	"time"

	"aead.dev/minisign"

	"relais/internal/profile"
	"relais/internal/redact"
)

// MaxSignatureSize bounds a .minisig file: a real one is about 300 bytes.
const MaxSignatureSize = 16 << 10

// DefaultFetchTimeout is the deadline of one HTTP request of a sync.
const DefaultFetchTimeout = 30 * time.Second

// HTTPError is an unexpected HTTP status from the profile server.
type HTTPError struct {
	URL    string
	Status int
}

func (e *HTTPError) Error() string {
	return fmt.Sprintf("profile: %s: HTTP %d %s", e.URL, e.Status, http.StatusText(e.Status))
}

// Cached is the last good profile as the cache keeps it.
type Cached struct {
	Serial       int64
	SHA256       string
	Bytes        []byte
	Signature    []byte
	Source       string
	ETag         string
	LastModified string
}

// FetchedAsset is an asset whose bytes matched the profile's pin.
type FetchedAsset struct {
	ID        string
	SHA256    string
	Bytes     []byte
	SourceURL string
}

// Cache is what sync needs from the store. Save must be atomic: the profile
// and its new assets become current together, or nothing changes.
type Cache interface {
	// Last returns the current (last good) profile, or nil when none.
	Last(ctx context.Context) (*Cached, error)
	HasAsset(ctx context.Context, sha256 string) (bool, error)
	Save(ctx context.Context, p Cached, assets []FetchedAsset) error
	// Touch records that the source confirmed the current profile (304 or
	// identical bytes), with its new validators.
	Touch(ctx context.Context, sha256, etag, lastModified string) error
}

// Outcome of a sync that did not fail.
type Outcome string

// Outcomes.
const (
	Accepted    Outcome = "accepted"     // new bytes verified and now current
	NotModified Outcome = "not_modified" // 304, or the same bytes again
)

// SyncResult describes a sync that did not fail.
type SyncResult struct {
	Outcome Outcome
	Profile *profile.Profile // the profile now in use
	Source  string           // the URL or file the outcome is about
	// URLError is why the profile URL failed when the bootstrap file then
	// served (Sync only).
	URLError      error
	Requests      int   // HTTP requests made
	BytesRead     int64 // body bytes read from the network or file
	AssetsFetched int   // distinct assets downloaded (not already cached), each once
}

// Syncer fetches, verifies and caches the continuity profile. A refused or
// failed sync never touches the last good profile.
type Syncer struct {
	Client  *http.Client // nil: a client with DefaultFetchTimeout
	Cache   Cache
	Trusted []minisign.PublicKey
	Now     func() time.Time
	Logf    func(format string, args ...any)
	// Timeout is the deadline of each request; 0 means DefaultFetchTimeout.
	Timeout time.Duration
}

func (s *Syncer) now() time.Time {
	if s.Now != nil {
		return s.Now()
	}
	return time.Now()
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
	return &http.Client{CheckRedirect: checkRedirect}
}

// CheckRedirect is the redirect policy of every fetch of the profile's
// sources (the profile, its assets, the notices): at most 5, each to a URL
// CheckFetchURL accepts, never from a remote source to this machine.
func CheckRedirect(req *http.Request, via []*http.Request) error { return checkRedirect(req, via) }

func checkRedirect(req *http.Request, via []*http.Request) error {
	if len(via) >= 5 {
		return errors.New("profile: too many redirects")
	}
	if err := CheckFetchURL(req.URL); err != nil {
		return err
	}
	// A source on this machine (a test, a local mirror) may redirect
	// locally; any other may not send the laptop to a local service.
	if len(via) > 0 && !isLocalHost(req.Context(), via[0].URL.Hostname()) && isLocalHost(req.Context(), req.URL.Hostname()) {
		return fmt.Errorf("%w: %s", profile.ErrLocalRedirect, redact.URL(req.URL.String()))
	}
	return nil
}

// isLocalHost reports whether host is, or resolves to, an address of this
// machine or its link: loopback, link-local, unspecified. A name that does
// not resolve is not local (the request fails on its own).
func isLocalHost(ctx context.Context, host string) bool {
	if profile.IsLocalName(host) {
		return true
	}
	if _, err := netip.ParseAddr(host); err == nil {
		return false
	}
	ctx, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	addrs, err := net.DefaultResolver.LookupNetIP(ctx, "ip", host)
	if err != nil {
		return false
	}
	for _, a := range addrs {
		if profile.IsLocalAddr(a) {
			return true
		}
	}
	return false
}

// CheckFetchURL accepts https, and http only to a loopback host: the
// signature protects the profile's integrity, but its internal names are
// nobody's business on the way.
func CheckFetchURL(u *url.URL) error {
	switch u.Scheme {
	case "https":
		return nil
	case "http":
		if profile.IsLoopbackHost(u.Hostname()) {
			return nil
		}
	}
	return fmt.Errorf("%w: %s", profile.ErrInsecureURL, redact.URL(u.String()))
}

func (s *Syncer) previous(ctx context.Context) (*Cached, profile.Previous, error) {
	last, err := s.Cache.Last(ctx)
	if err != nil {
		return nil, profile.Previous{}, fmt.Errorf("profile: cache: %w", err)
	}
	if last == nil {
		return nil, profile.Previous{}, nil
	}
	return last, profile.Previous{Serial: last.Serial, SHA256: last.SHA256}, nil
}

// SyncURL fetches the profile at rawURL (conditional GET against the cached
// validators), its signature at rawURL+".minisig", and every asset not
// already cached; verifies all of it; and makes it current in one step.
func (s *Syncer) SyncURL(ctx context.Context, rawURL string) (*SyncResult, error) {
	u, err := url.Parse(rawURL)
	if err != nil {
		return nil, fmt.Errorf("profile: profile_url: %w", err)
	}
	if err := CheckFetchURL(u); err != nil {
		return nil, err
	}
	last, prev, err := s.previous(ctx)
	if err != nil {
		return nil, err
	}
	res := &SyncResult{}
	var hdr http.Header
	if last != nil && last.Source == rawURL {
		hdr = http.Header{}
		if last.ETag != "" {
			hdr.Set("If-None-Match", last.ETag)
		}
		if last.LastModified != "" {
			hdr.Set("If-Modified-Since", last.LastModified)
		}
	}
	body, resp, err := s.get(ctx, rawURL, hdr, profile.MaxProfileSize, res)
	if err != nil {
		return res, err
	}
	etag, lastMod := resp.Header.Get("ETag"), resp.Header.Get("Last-Modified")
	if resp.StatusCode == http.StatusNotModified {
		p, err := profile.Parse(path.Base(u.Path), last.Bytes)
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
			return res, fmt.Errorf("profile: cache: %w", err)
		}
		res.Outcome, res.Profile = NotModified, p
		s.logf("profile: %s not modified (serial %d)", redact.URL(u.String()), last.Serial)
		return res, nil
	}
	sig, _, err := s.get(ctx, rawURL+".minisig", nil, MaxSignatureSize, res)
	if err != nil {
		var he *HTTPError
		if errors.As(err, &he) && he.Status == http.StatusNotFound {
			return res, fmt.Errorf("%w: %s.minisig not found", profile.ErrUnsigned, redact.URL(u.String()))
		}
		return res, err
	}
	return s.accept(ctx, res, rawURL, path.Base(u.Path), body, sig, etag, lastMod, last, prev)
}

// Sources are where a machine's profile comes from: the managed
// configuration's profile_url and profile_file (the bootstrap copy a
// package installs, and a package upgrade replaces).
type Sources struct {
	URL  string
	File string
}

// Sync is the one profile policy of every path (sync command, Mode
// urgence, check, the app): the URL first; then the bootstrap file, when
// there is no URL or the URL failed, adopted when nothing is cached or its
// serial is newer than the cached one (SyncBootstrap). The rules of
// profile.Accept hold throughout: a refused or failed sync keeps the last good
// profile. When the URL failed and the file was not adopted, the URL's
// error is returned.
func (s *Syncer) Sync(ctx context.Context, src Sources) (*SyncResult, error) {
	if src.URL == "" && src.File == "" {
		return nil, profile.ErrNoSource
	}
	var (
		res    *SyncResult
		urlErr error
	)
	if src.URL != "" {
		res, urlErr = s.SyncURL(ctx, src.URL)
		if res != nil {
			res.Source = src.URL
		}
		if urlErr == nil || src.File == "" || ctx.Err() != nil {
			return res, urlErr
		}
	}
	fres, err := s.SyncBootstrap(ctx, src.File)
	if fres != nil {
		fres.Source = src.File
		if res != nil { // what the URL cost counts too
			fres.Requests += res.Requests
			fres.BytesRead += res.BytesRead
		}
	}
	if urlErr == nil {
		return fres, err
	}
	if err == nil && fres.Outcome == Accepted {
		fres.URLError = urlErr
		return fres, nil
	}
	if err != nil {
		last, _, perr := s.previous(ctx)
		if perr == nil && last == nil {
			// Nothing cached: the file was the only hope, and its error
			// says why there is still no profile.
			fres.URLError = urlErr
			return fres, err
		}
		s.logf("profile: bootstrap %s refused: %v", src.File, err)
	}
	if res == nil {
		res = &SyncResult{}
	}
	res.Source = src.URL
	return res, urlErr
}

// SyncBootstrap installs the bootstrap file when nothing is cached or when
// its serial is newer than the cached one (a package upgrade shipped it);
// a file that is not newer leaves the cached profile as it is
// (NotModified, the cached profile in Profile). A newer file is verified
// as SyncFile does.
func (s *Syncer) SyncBootstrap(ctx context.Context, file string) (*SyncResult, error) {
	last, _, err := s.previous(ctx)
	if err != nil {
		return nil, err
	}
	res := &SyncResult{Source: file}
	if last != nil {
		body, err := readFileLimited(file, profile.MaxProfileSize)
		if err != nil {
			return res, err
		}
		res.BytesRead = int64(len(body))
		if fp, perr := profile.Parse(path.Base(file), body); perr == nil && fp.Serial <= last.Serial {
			cur, err := profile.Parse("profile.toml", last.Bytes)
			if err != nil {
				return res, err
			}
			res.Outcome, res.Profile = NotModified, cur
			return res, nil
		}
	}
	fres, err := s.SyncFile(ctx, file)
	if fres != nil {
		fres.Source = file
		fres.BytesRead += res.BytesRead
	}
	return fres, err
}

// SyncFile installs a profile from a file (the managed bootstrap copy) with
// its signature beside it, under the same rules as SyncURL.
func (s *Syncer) SyncFile(ctx context.Context, file string) (*SyncResult, error) {
	last, prev, err := s.previous(ctx)
	if err != nil {
		return nil, err
	}
	res := &SyncResult{}
	body, err := readFileLimited(file, profile.MaxProfileSize)
	if err != nil {
		return res, err
	}
	sig, err := readFileLimited(file+".minisig", MaxSignatureSize)
	if errors.Is(err, os.ErrNotExist) {
		return res, fmt.Errorf("%w: %s.minisig not found", profile.ErrUnsigned, file)
	}
	if err != nil {
		return res, err
	}
	res.BytesRead = int64(len(body) + len(sig))
	return s.accept(ctx, res, file, path.Base(file), body, sig, "", "", last, prev)
}

func (s *Syncer) accept(ctx context.Context, res *SyncResult, source, name string, body, sig []byte, etag, lastMod string, last *Cached, prev profile.Previous) (*SyncResult, error) {
	p, err := profile.Accept(name, body, sig, s.Trusted, prev, s.now())
	if err != nil {
		return res, err
	}
	if last != nil && last.SHA256 == p.SHA256 {
		if err := s.Cache.Touch(ctx, p.SHA256, etag, lastMod); err != nil {
			return res, fmt.Errorf("profile: cache: %w", err)
		}
		res.Outcome, res.Profile = NotModified, p
		return res, nil
	}
	assets, err := s.fetchAssets(ctx, p, res)
	if err != nil {
		return res, err
	}
	c := Cached{Serial: p.Serial, SHA256: p.SHA256, Bytes: body, Signature: sig, Source: source, ETag: etag, LastModified: lastMod}
	if err := s.Cache.Save(ctx, c, assets); err != nil {
		return res, fmt.Errorf("profile: cache: %w", err)
	}
	res.Outcome, res.Profile = Accepted, p
	s.logf("profile: accepted serial %d from %s (%d assets fetched)", p.Serial, redact.URL(source), len(assets))
	return res, nil
}

// fetchAssets downloads the assets the cache does not have: each once,
// however many entries pin the same SHA-256 (the pin is what an asset is;
// the first entry's URL serves it), within profile.MaxAssetSize each and
// profile.MaxAssetsTotalSize together, so that what a sync holds until Save is
// bounded whatever the profile says. Each one's bytes must match its pin.
func (s *Syncer) fetchAssets(ctx context.Context, p *profile.Profile, res *SyncResult) ([]FetchedAsset, error) {
	if len(p.Assets) > profile.MaxAssets { // profile.Accept's validation refuses it first
		return nil, fmt.Errorf("%w: %d assets, the limit is %d", profile.ErrAssetsTooLarge, len(p.Assets), profile.MaxAssets)
	}
	var (
		assets []FetchedAsset
		seen   = make(map[string]bool, len(p.Assets))
		total  int64
	)
	for _, a := range p.Assets {
		if seen[a.SHA256] {
			continue
		}
		seen[a.SHA256] = true
		have, err := s.Cache.HasAsset(ctx, a.SHA256)
		if err != nil {
			return nil, fmt.Errorf("profile: cache: %w", err)
		}
		if have {
			continue
		}
		au, err := url.Parse(a.URL)
		if err != nil {
			return nil, fmt.Errorf("profile: asset %s: %w", a.ID, err)
		}
		if err := CheckFetchURL(au); err != nil {
			return nil, fmt.Errorf("profile: asset %s: %w", a.ID, err)
		}
		limit := min(profile.MaxAssetSize, profile.MaxAssetsTotalSize-total)
		b, _, err := s.get(ctx, a.URL, nil, limit, res)
		if err != nil {
			if errors.Is(err, profile.ErrTooLarge) && limit < profile.MaxAssetSize {
				return nil, fmt.Errorf("%w: asset %s would take them past %d bytes (%d already): %w", profile.ErrAssetsTooLarge, a.ID, profile.MaxAssetsTotalSize, total, err)
			}
			return nil, fmt.Errorf("profile: asset %s: %w", a.ID, err)
		}
		sum := sha256.Sum256(b)
		if got := hex.EncodeToString(sum[:]); got != a.SHA256 {
			return nil, fmt.Errorf("%w: %s: got %s, profile pins %s", profile.ErrAssetMismatch, a.ID, got, a.SHA256)
		}
		total += int64(len(b))
		assets = append(assets, FetchedAsset{ID: a.ID, SHA256: a.SHA256, Bytes: b, SourceURL: a.URL})
		res.AssetsFetched++
	}
	return assets, nil
}

// get performs one GET with its own deadline and reads at most limit bytes;
// a larger body is profile.ErrTooLarge and is never read whole. 304 is returned as
// is (with a nil body); any other non-200 is an *HTTPError.
func (s *Syncer) get(ctx context.Context, rawURL string, hdr http.Header, limit int64, res *SyncResult) ([]byte, *http.Response, error) {
	timeout := s.Timeout
	if timeout <= 0 {
		timeout = DefaultFetchTimeout
	}
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, rawURL, nil)
	if err != nil {
		return nil, nil, fmt.Errorf("profile: %w", redactURLError(err))
	}
	for k, v := range hdr {
		req.Header[k] = v
	}
	res.Requests++
	resp, err := s.client().Do(req)
	if err != nil {
		return nil, nil, fmt.Errorf("profile: fetch: %w", redactURLError(err))
	}
	defer resp.Body.Close()
	switch resp.StatusCode {
	case http.StatusOK:
	case http.StatusNotModified:
		if req.Header.Get("If-None-Match") != "" || req.Header.Get("If-Modified-Since") != "" {
			return nil, resp, nil
		}
		// Not asked conditionally, nothing to be "not modified" against:
		// the source's error (a fetch failure: the bootstrap file is tried).
		return nil, resp, &HTTPError{URL: redact.URL(req.URL.String()), Status: resp.StatusCode}
	default:
		return nil, resp, &HTTPError{URL: redact.URL(req.URL.String()), Status: resp.StatusCode}
	}
	if resp.ContentLength > limit {
		return nil, resp, fmt.Errorf("%w: %s announces %d bytes (limit %d)", profile.ErrTooLarge, redact.URL(req.URL.String()), resp.ContentLength, limit)
	}
	b, err := readBody(resp.Body, resp.ContentLength, limit)
	res.BytesRead += int64(len(b))
	if err != nil {
		return nil, resp, fmt.Errorf("profile: fetch %s: %w", redact.URL(req.URL.String()), err)
	}
	if int64(len(b)) > limit {
		return nil, resp, fmt.Errorf("%w: %s is larger than %d bytes", profile.ErrTooLarge, redact.URL(req.URL.String()), limit)
	}
	return b, resp, nil
}

// readBody reads at most limit+1 bytes of r. A body that announced its
// length (within limit) is read into one buffer of that size, so that a
// large asset costs its size once rather than the doublings of a growing
// buffer.
func readBody(r io.Reader, announced, limit int64) ([]byte, error) {
	if announced < 0 || announced > limit {
		return io.ReadAll(io.LimitReader(r, limit+1))
	}
	b := make([]byte, announced)
	n, err := io.ReadFull(r, b)
	return b[:n], err
}

func readFileLimited(name string, limit int64) ([]byte, error) {
	f, err := os.Open(name)
	if err != nil {
		return nil, fmt.Errorf("profile: %w", err)
	}
	defer f.Close()
	b, err := io.ReadAll(io.LimitReader(f, limit+1))
	if err != nil {
		return nil, fmt.Errorf("profile: %w", err)
	}
	if int64(len(b)) > limit {
		return nil, fmt.Errorf("%w: %s is larger than %d bytes", profile.ErrTooLarge, name, limit)
	}
	return b, nil
}

// redactURLError redacts the URL net/url and net/http quote (query
// included) in the *url.Error they return.
func redactURLError(err error) error {
	var ue *url.Error
	if errors.As(err, &ue) {
		ue.URL = redact.URL(ue.URL)
	}
	return err
}
