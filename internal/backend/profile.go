package backend

import (
	"context"
	"errors"
	"net/http"
	"sync"
	"time"

	"aead.dev/minisign"

	"relais/internal/config"
	"relais/internal/profile"
	"relais/internal/profile/profilesync"
	"relais/internal/store"
)

var (
	// ErrNoProfile: no profile is cached yet (never synced).
	ErrNoProfile = errors.New("backend: no profile cached")
	// ErrUnreadable: the cached profile cannot be read by this binary (an
	// *UnreadableError, which errors.Is matches against it).
	ErrUnreadable = errors.New("backend: cached profile unreadable")
)

// UnreadableError wraps the parse error of a cached profile this binary
// cannot read: the store only holds accepted profiles, so the binary that
// accepted it is older or newer than this one. errors.Unwrap gives the
// parse error; Cached is the profile as stored.
type UnreadableError struct {
	Cached *store.CachedProfile
	Err    error
}

func (e *UnreadableError) Error() string        { return ErrUnreadable.Error() + ": " + e.Err.Error() }
func (e *UnreadableError) Unwrap() error        { return e.Err }
func (e *UnreadableError) Is(target error) bool { return target == ErrUnreadable }

// Signature states of a cached profile (Info.Signature).
const (
	SignatureValid      = "valid"
	SignatureInvalid    = "invalid"
	SignatureNotChecked = "not_checked" // a machine with no trusted key
)

// ProfilePolicy is the one place that decides this machine's profile:
// its source (Sources), syncing (Sync), adopting a newer bootstrap file
// (AdoptBootstrap) and the cached profile in use (Current). Its methods
// are safe for concurrent use; set the fields before the first call.
type ProfilePolicy struct {
	Store *store.DB
	// Managed is the managed configuration; nil on a machine without one
	// (the demo office), which has no source of its own.
	Managed *config.Managed
	// Trusted are the keys a profile must be signed by.
	Trusted []minisign.PublicKey
	// HTTPClient fetches the profile URL; nil: the profile package's.
	HTTPClient *http.Client
	// Now is the clock; nil: time.Now.
	Now func() time.Time
	// Logf records what the sync did (the store's event log, say); nil:
	// nothing.
	Logf func(format string, a ...any)

	mu     sync.Mutex
	parsed *Current // the last parse, reused while the cached bytes are the same
}

// Current is the cached profile in use.
type Current struct {
	Cached  *store.CachedProfile
	Profile *profile.Profile
	// Signature is SignatureValid, SignatureInvalid or SignatureNotChecked;
	// SignatureErr says why it is invalid.
	Signature    string
	SignatureErr error
}

// Signed reports whether the profile's signature was checked and holds.
func (c *Current) Signed() bool { return c.Signature == SignatureValid }

// Sources are where this machine's profile comes from: the managed
// profile_url and profile_file; none without a managed configuration.
func (p *ProfilePolicy) Sources() profilesync.Sources {
	if p.Managed == nil {
		return profilesync.Sources{}
	}
	return profilesync.Sources{URL: p.Managed.ProfileURL, File: p.Managed.ProfileFile}
}

// HasSource reports whether this machine has a profile source at all.
func (p *ProfilePolicy) HasSource() bool {
	s := p.Sources()
	return s.URL != "" || s.File != ""
}

// HasURL reports whether this machine's profile has a URL to fetch (and so
// something to sync in the background).
func (p *ProfilePolicy) HasURL() bool { return p.Sources().URL != "" }

func (p *ProfilePolicy) syncer() *profilesync.Syncer {
	return &profilesync.Syncer{Client: p.HTTPClient, Cache: StoreCache{p.Store}, Trusted: p.Trusted, Now: p.Now,
		Logf: func(format string, a ...any) {
			if p.Logf != nil {
				p.Logf(format, a...)
			}
		}}
}

// Sync runs the policy: the URL first; then the bootstrap file, when there
// is no URL or the URL failed, adopted when nothing is cached or its serial
// is newer (profilesync.Syncer.Sync). A refused or failed sync keeps the last
// good profile. It returns profile.ErrNoSource when the machine has no
// source. The result may be non-nil with an error (what the attempt cost,
// its source).
func (p *ProfilePolicy) Sync(ctx context.Context) (*profilesync.SyncResult, error) {
	return p.syncer().Sync(ctx, p.Sources())
}

// Bootstrap is what AdoptBootstrap did.
type Bootstrap struct {
	File    string
	Adopted bool
	Serial  int64 // the adopted profile's serial
}

// AdoptBootstrap installs the managed bootstrap file, without the network,
// when nothing is cached or the file is newer than the cached profile (a
// package upgrade shipped it): what a command or the app does before
// loading the profile. A machine without a bootstrap file gets a zero
// Bootstrap and nil. A refused file returns its error (File set); the
// last good profile stays.
func (p *ProfilePolicy) AdoptBootstrap(ctx context.Context) (Bootstrap, error) {
	file := p.Sources().File
	if file == "" {
		return Bootstrap{}, nil
	}
	b := Bootstrap{File: file}
	res, err := p.syncer().Sync(ctx, profilesync.Sources{File: file})
	if err != nil {
		if p.Logf != nil {
			p.Logf("bootstrap %s: %v", file, err)
		}
		return b, err
	}
	if res.Outcome == profilesync.Accepted {
		b.Adopted, b.Serial = true, res.Profile.Serial
	}
	return b, nil
}

// Signature judges a cached profile's signature as this machine can:
// against the trusted keys, SignatureNotChecked on a machine that has
// neither a managed configuration nor a key; err says why it is invalid.
func (p *ProfilePolicy) Signature(c *store.CachedProfile) (state string, err error) {
	if p.Managed == nil && len(p.Trusted) == 0 {
		return SignatureNotChecked, nil
	}
	if err := profile.VerifySignature(c.Bytes, c.Signature, p.Trusted); err != nil {
		return SignatureInvalid, err
	}
	return SignatureValid, nil
}

// Current reads the cached profile, parsed once per change (the same
// bytes are not parsed again), with its signature judged. It returns
// ErrNoProfile when none is cached, an error wrapping ErrUnreadable (and
// the parse error) when this binary cannot read it, and the store's error
// otherwise. The returned value is shared: do not modify it.
func (p *ProfilePolicy) Current(ctx context.Context) (*Current, error) {
	c, err := p.Store.CurrentProfile(ctx)
	if errors.Is(err, store.ErrNotFound) {
		return nil, ErrNoProfile
	}
	if err != nil {
		return nil, err
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	if prev := p.parsed; prev != nil && prev.Cached.SHA256 == c.SHA256 && string(prev.Cached.Signature) == string(c.Signature) {
		// Same bytes: the times and validators may have moved.
		cur := *prev
		cur.Cached = c
		p.parsed = &cur
		return &cur, nil
	}
	pr, err := profile.Parse("profile.toml", c.Bytes)
	if err != nil {
		return nil, &UnreadableError{Cached: c, Err: err}
	}
	cur := &Current{Cached: c, Profile: pr}
	cur.Signature, cur.SignatureErr = p.Signature(c)
	p.parsed = cur
	return cur, nil
}

// StoreCache adapts the store to the profile sync's Cache interface: the
// profilesync package declares what it needs and never imports the store.
type StoreCache struct{ DB *store.DB }

func (c StoreCache) Last(ctx context.Context) (*profilesync.Cached, error) {
	p, err := c.DB.CurrentProfile(ctx)
	if errors.Is(err, store.ErrNotFound) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	return &profilesync.Cached{Serial: p.Serial, SHA256: p.SHA256, Bytes: p.Bytes, Signature: p.Signature,
		Source: p.Source, ETag: p.ETag, LastModified: p.LastModified}, nil
}

func (c StoreCache) HasAsset(ctx context.Context, sha256 string) (bool, error) {
	return c.DB.HasAsset(ctx, sha256)
}

func (c StoreCache) Save(ctx context.Context, p profilesync.Cached, assets []profilesync.FetchedAsset) error {
	now := c.DB.Now()
	sa := make([]store.Asset, 0, len(assets))
	for _, a := range assets {
		sa = append(sa, store.Asset{SHA256: a.SHA256, ID: a.ID, Bytes: a.Bytes, SourceURL: a.SourceURL, FetchedAt: now})
	}
	return c.DB.SaveProfile(ctx, store.CachedProfile{Serial: p.Serial, SHA256: p.SHA256, Bytes: p.Bytes, Signature: p.Signature,
		Source: p.Source, ETag: p.ETag, LastModified: p.LastModified, FetchedAt: now, CheckedAt: now}, sa)
}

func (c StoreCache) Touch(ctx context.Context, sha256, etag, lastModified string) error {
	return c.DB.TouchProfile(ctx, sha256, etag, lastModified, c.DB.Now())
}
