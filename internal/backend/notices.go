package backend

// Crisis notices and maintenance windows (internal/notices): the machine
// fetches the signed document the profile's [notices] names, keeps the
// last good one in the store, and tells the engine which apps are under
// announced maintenance. The notice key is trusted for notices only; the
// profile's keys never sign notices.

import (
	"context"
	"errors"
	"fmt"
	"time"

	"aead.dev/minisign"

	"relais/internal/frontend"
	"relais/internal/notices"
	"relais/internal/notices/noticesync"
	"relais/internal/profile"
	"relais/internal/status"
	"relais/internal/store"
)

// DefaultNoticesInterval is how often notices are fetched while Mode
// urgence runs.
const DefaultNoticesInterval = 5 * time.Minute

// NoticesSyncTimeout bounds one sync of the notices (both requests).
const NoticesSyncTimeout = 20 * time.Second

// noticesCache is the store as noticesync needs it.
type noticesCache struct{ db *store.DB }

func (c noticesCache) Last(ctx context.Context) (*noticesync.Cached, error) {
	n, err := c.db.CurrentNotices(ctx)
	if errors.Is(err, store.ErrNotFound) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	return &noticesync.Cached{Serial: n.Serial, SHA256: n.SHA256, Bytes: n.Bytes, Signature: n.Signature,
		Source: n.Source, KeyID: n.KeyID, ETag: n.ETag, LastModified: n.LastModified}, nil
}

func (c noticesCache) Save(ctx context.Context, n noticesync.Cached) error {
	return c.db.SaveNotices(ctx, store.CachedNotices{Serial: n.Serial, SHA256: n.SHA256, Bytes: n.Bytes,
		Signature: n.Signature, Source: n.Source, KeyID: n.KeyID, ETag: n.ETag, LastModified: n.LastModified})
}

func (c noticesCache) Touch(ctx context.Context, sha256, etag, lastModified string) error {
	return c.db.TouchNotices(ctx, sha256, etag, lastModified)
}

// profileKeys are the keys this machine trusts for profiles.
func (m *Machine) profileKeys() []minisign.PublicKey {
	m.polMu.Lock()
	defer m.polMu.Unlock()
	return m.Keys
}

// noticesSource is where p says notices are, and the key that signs them;
// "" when p names none. A key that is not one is CodeNoKey (the profile's
// validation refuses it first).
func noticesSource(p *profile.Profile) (string, minisign.PublicKey, error) {
	if p == nil || p.Notices == nil || p.Notices.URL == "" {
		return "", minisign.PublicKey{}, nil
	}
	k, err := notices.ParseKey(p.Notices.PublicKey)
	return p.Notices.URL, k, err
}

// LoadNotices reads the last good notices from the store, if they still
// verify with p's notice key, and makes them the machine's: what the
// laptop shows offline. A profile without [notices] has none.
func (m *Machine) LoadNotices(ctx context.Context, p *profile.Profile) *notices.Document {
	m.noticesLoaded.Store(true)
	url, key, err := noticesSource(p)
	if url == "" || err != nil {
		m.notices.Store(nil)
		return nil
	}
	d, _ := noticesync.Load(ctx, noticesCache{m.DB}, key, m.profileKeys())
	m.notices.Store(d)
	return d
}

// ensureNotices loads the stored notices once (the engine's first profile).
func (m *Machine) ensureNotices(ctx context.Context, p *profile.Profile) {
	if !m.noticesLoaded.Load() {
		m.LoadNotices(ctx, p)
	}
}

// SyncNotices fetches the notices p names and records the outcome: an
// accepted document becomes the machine's; a refused one (a coded
// *notices.Error) or a failure keeps the last good one, and the store says
// why. It returns whether the document changed, and the error.
func (m *Machine) SyncNotices(ctx context.Context, p *profile.Profile) (changed bool, err error) {
	url, key, err := noticesSource(p)
	if url == "" {
		m.notices.Store(nil)
		m.noticesLoaded.Store(true)
		return false, nil
	}
	rec := store.NoticesSync{Source: url}
	defer func() {
		if err != nil {
			rec.Outcome, rec.Reason = store.OutcomeFailed, err.Error()
			if code := notices.Code(err); code != "" {
				rec.Outcome, rec.Code = store.OutcomeRefused, code
			}
		}
		_ = m.DB.RecordNoticesSync(context.WithoutCancel(ctx), rec)
	}()
	if err != nil {
		return false, err
	}
	ctx, cancel := context.WithTimeout(ctx, NoticesSyncTimeout)
	defer cancel()
	s := &noticesync.Syncer{Client: m.Env.HTTPClient, Cache: noticesCache{m.DB}, Key: key, ProfileKeys: m.profileKeys(),
		Logf: func(format string, a ...any) {
			_ = m.DB.LogEvent(context.Background(), "notices", fmt.Sprintf(format, a...))
		}}
	before := m.notices.Load()
	res, err := s.Sync(ctx, url)
	if err != nil {
		m.ensureNotices(ctx, p)
		return false, err
	}
	rec.Outcome, rec.Serial = store.OutcomeNotModified, res.Document.Serial
	if res.Outcome == noticesync.Accepted {
		rec.Outcome = store.OutcomeAccepted
	}
	m.notices.Store(res.Document)
	m.noticesLoaded.Store(true)
	return before == nil || before.SHA256 != res.Document.SHA256, nil
}

// Maintenance is the engine's view of the notices: the announced
// maintenance window of an app at now, if any.
func (m *Machine) Maintenance(appID string, now time.Time) (status.Maintenance, bool) {
	w, ok := m.notices.Load().MaintenanceOf(appID, now)
	if !ok {
		return status.Maintenance{}, false
	}
	return status.Maintenance{From: w.From, Until: w.Until, Text: w.Text}, true
}

// NoticesState is what front ends show of the notices at now: the active
// notices, the maintenance windows holding now, and why the last sync kept
// the last good document (a coded *frontend.Error), if it did. It reads the
// store (when they were fetched, the last sync).
func (m *Machine) NoticesState(ctx context.Context, p *profile.Profile, now time.Time) frontend.NoticesState {
	if url, _, _ := noticesSource(p); url == "" {
		return frontend.NoticesState{}
	}
	m.ensureNotices(ctx, p)
	return m.noticesAt(p, now, m.noticesMeta(ctx))
}

// noticesMeta is what the store says of the notices: when they were last
// fetched or confirmed, and why the last sync kept them.
func (m *Machine) noticesMeta(ctx context.Context) frontend.NoticesState {
	var st frontend.NoticesState
	d := m.notices.Load()
	if d != nil {
		if c, err := m.DB.CurrentNotices(ctx); err == nil {
			st.FetchedAt = c.CheckedAt
		}
	}
	if ls, err := m.DB.LastNoticesSync(ctx); err == nil && (ls.Outcome == store.OutcomeRefused || ls.Outcome == store.OutcomeFailed) &&
		(st.FetchedAt.IsZero() || !ls.At.Before(st.FetchedAt)) {
		st.Problem = NoticesProblem(ls.Code, ls.Reason, d != nil)
	}
	return st
}

// noticesAt is meta with the machine's notices as they hold at now: no
// I/O.
func (m *Machine) noticesAt(p *profile.Profile, now time.Time, meta frontend.NoticesState) frontend.NoticesState {
	st := frontend.NoticesState{FetchedAt: meta.FetchedAt, Problem: meta.Problem}
	if url, _, _ := noticesSource(p); url == "" {
		return frontend.NoticesState{}
	}
	st.Configured = true
	d := m.notices.Load()
	if d == nil {
		return st
	}
	st.Serial, st.IssuedAt = d.Serial, d.IssuedAt
	for _, n := range d.Active(now) {
		st.Active = append(st.Active, frontend.Notice{ID: n.ID, Level: string(n.Level), Text: n.Text, From: n.From, Until: n.Until})
	}
	for _, w := range d.ActiveMaintenance(now) {
		mw := frontend.Maintenance{App: w.App, AppName: profile.Text{FR: w.App, EN: w.App}, From: w.From, Until: w.Until, Text: w.Text}
		for _, a := range p.Apps {
			if a.ID == w.App {
				mw.AppName = a.Name
			}
		}
		st.Maintenance = append(st.Maintenance, mw)
	}
	return st
}

// NoticesProblem is the coded error a front end words for a refused
// (code set) or failed notices sync; kept says the last good notices stay
// shown.
func NoticesProblem(code, reason string, kept bool) *frontend.Error {
	why := &frontend.Error{Key: "notices.reason.unreachable", Detail: reason}
	if code != "" {
		why = &frontend.Error{Key: "notices.reason." + code, Detail: reason}
	}
	if kept {
		return frontend.Errorf("notices.kept", why)
	}
	return frontend.Errorf("notices.none", why)
}

// CurrentNotices is NoticesState for the cached profile at the present
// time: what `relais check` shows beside its table.
func (m *Machine) CurrentNotices(ctx context.Context) frontend.NoticesState {
	cur, err := m.Policy().Current(ctx)
	if err != nil {
		return frontend.NoticesState{}
	}
	return m.NoticesState(ctx, cur.Profile, m.Env.Now())
}

// syncNotices is a session's notices loop (relais up): a sync now, then
// every Seams.NoticesInterval until the engine stops; a new document makes
// the engine check again, so that a window now holding shows at once.
func (s *Session) syncNotices(ctx context.Context) {
	interval := s.m.Env.Seams.NoticesInterval
	if interval <= 0 {
		interval = DefaultNoticesInterval
	}
	t := time.NewTicker(interval)
	defer t.Stop()
	for {
		if cur, err := s.m.Policy().Current(ctx); err == nil && cur.Profile.Notices != nil {
			if changed, _ := s.m.SyncNotices(ctx, cur.Profile); changed {
				s.Engine.Recheck()
			}
		}
		select {
		case <-ctx.Done():
			return
		case <-s.Engine.Done():
			return
		case <-t.C:
		}
	}
}
