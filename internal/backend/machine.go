package backend

import (
	"context"
	"errors"
	"fmt"
	"path/filepath"
	"sync"
	"sync/atomic"

	"aead.dev/minisign"

	"relais/internal/config"
	"relais/internal/frontend"
	"relais/internal/notices"
	"relais/internal/profile"
	"relais/internal/profile/profilesync"
	"relais/internal/store"
)

// Machine is this computer as Relais sees it: the managed configuration,
// its trusted keys and the user's store. It is the composition root every
// front end opens (OpenMachine) and closes.
type Machine struct {
	Env     Env
	Managed *config.Managed // nil: no managed configuration
	Keys    []minisign.PublicKey
	DB      *store.DB
	// Recovered: the store was found damaged when this machine was
	// opened, moved aside and started afresh (said through Env.Notify).
	Recovered *store.Recovery

	polMu sync.Mutex
	pol   *ProfilePolicy

	// notices is the last good notices document verified with the notice
	// key of the profile in use (nil: none); noticesLoaded says whether
	// the store's copy was read (notices.go).
	notices       atomic.Pointer[notices.Document]
	noticesLoaded atomic.Bool

	// enrolStatus is the last answer of the enrolment server's status
	// endpoint (enrol.go).
	enrolStatus enrolStatusCache
}

// OpenMachine loads the managed configuration and opens the user's store.
// needManaged refuses a machine without a managed configuration. Its
// errors are *frontend.Error (cli.config.*, cli.store.*, cli.error.data_dir).
// A damaged store is moved aside and the profile reinstalled (Reinstall).
func OpenMachine(env Env, needManaged bool) (*Machine, error) {
	env = env.filled()
	m := &Machine{Env: env}
	path := config.ManagedPath(env.ConfigEnv())
	managed, err := config.LoadManaged(path)
	switch {
	case errors.Is(err, config.ErrNoManaged):
		if needManaged {
			return nil, frontend.Wrap(err, "cli.config.missing", path)
		}
	case err != nil:
		return nil, frontend.Wrap(err, "cli.config.invalid", err.Error())
	default:
		m.Managed = managed
		for i, s := range managed.TrustedKeys {
			k, err := profile.ParseTrustedKey(s)
			if err != nil {
				return nil, frontend.Wrap(err, "cli.config.bad_key", path, i, err.Error())
			}
			m.Keys = append(m.Keys, k)
		}
	}
	dir, err := config.DataDir(env.ConfigEnv())
	if err != nil {
		return nil, frontend.Wrap(err, "cli.error.data_dir", err.Error())
	}
	db, rec, err := store.OpenOrRecover(filepath.Join(dir, "relais.db"), env.Now())
	if err != nil {
		if errors.Is(err, store.ErrTooNew) {
			return nil, frontend.Wrap(err, "cli.store.too_new", err.Error())
		}
		return nil, frontend.Wrap(err, "cli.store.open", err)
	}
	m.DB = db
	if rec != nil {
		m.Recovered = rec
		m.reinstall()
	}
	return m, nil
}

// Policy is this machine's one profile policy: its source, syncing,
// adopting a newer bootstrap file, the cached profile parsed once per
// change.
func (m *Machine) Policy() *ProfilePolicy {
	m.polMu.Lock()
	defer m.polMu.Unlock()
	if m.pol == nil {
		db := m.DB
		m.pol = &ProfilePolicy{Store: db, Managed: m.Managed, Trusted: m.Keys, HTTPClient: m.Env.HTTPClient, Now: m.Env.Now,
			Logf: func(format string, a ...any) {
				_ = db.LogEvent(context.Background(), "profile", fmt.Sprintf(format, a...))
			}}
	}
	return m.pol
}

// setTrusted makes keys the ones a profile of this machine must be signed
// by (the demo office's, once it has started): the policy is made anew.
func (m *Machine) setTrusted(keys []minisign.PublicKey) {
	m.polMu.Lock()
	defer m.polMu.Unlock()
	m.Keys, m.pol = keys, nil
}

// Signature judges a cached profile's signature as this machine can.
func (m *Machine) Signature(c *store.CachedProfile) (state string, err error) {
	return m.Policy().Signature(c)
}

// Close closes the store.
func (m *Machine) Close() {
	if m.DB != nil {
		m.DB.Close()
	}
}

// reinstall tells the person, once (the damaged file is gone from its
// place), that the local database was damaged and moved aside, and
// reinstalls the organisation's profile in the fresh one: from its URL,
// or the bootstrap file. The device's key stays in the keyring.
func (m *Machine) reinstall() {
	rec := m.Recovered
	m.Env.notify("store.recovered", rec.MovedTo)
	_ = m.DB.LogEvent(context.Background(), "store", "the local database was damaged: moved aside to "+rec.MovedTo+", a fresh one started")
	pol := m.Policy()
	if !pol.HasSource() {
		return
	}
	ctx, cancel := context.WithTimeout(context.Background(), 2*profilesync.DefaultFetchTimeout)
	defer cancel()
	res, err := pol.Sync(ctx)
	attempt := store.SyncAttempt{Source: pol.Sources().URL} // At: the store's clock
	if res != nil && res.Source != "" {
		attempt.Source = res.Source
	}
	if err != nil {
		attempt.Outcome, attempt.Code, attempt.Reason = store.OutcomeRefused, ErrorCode(err), frontend.StoredDetail(err)
		if IsFetchFailure(err) {
			attempt.Outcome = store.OutcomeFailed
		}
		m.Env.notify("store.recovered_no_profile", err)
	} else {
		attempt.Outcome, attempt.Serial = string(res.Outcome), res.Profile.Serial
		m.Env.notify("store.recovered_profile", res.Profile.Serial)
	}
	_ = m.DB.RecordSync(ctx, attempt)
}

// AdoptBootstrap adopts a newer bootstrap file under the one profile
// policy: what `relais check`, `relais up` and the app do before loading
// the profile. An adopted file is recorded as a sync and notified; a
// refused one is recorded and notified, and the last good profile stays.
// It reports whether a profile was adopted.
func (m *Machine) AdoptBootstrap(ctx context.Context) bool {
	b, err := m.Policy().AdoptBootstrap(ctx)
	if b.File == "" {
		return false
	}
	attempt := store.SyncAttempt{Source: b.File} // At: the store's clock
	switch {
	case err != nil:
		attempt.Outcome, attempt.Code, attempt.Reason = store.OutcomeRefused, ErrorCode(err), frontend.StoredDetail(err)
		if IsFetchFailure(err) {
			attempt.Outcome = store.OutcomeFailed
		}
		// The last good profile, if any, stays: say why the copy is not used.
		m.Env.notify("store.profile.bootstrap_refused", b.File, err)
		if store.IsDiskFull(err) {
			return false // recording it would fail the same way
		}
	case b.Adopted:
		attempt.Outcome, attempt.Serial = store.OutcomeAccepted, b.Serial
		m.Env.notify("store.profile.bootstrap_adopted", b.Serial, b.File)
	default:
		return false // not newer: nothing to record
	}
	if rerr := m.DB.RecordSync(ctx, attempt); rerr != nil {
		m.Env.notify("cli.store.write", rerr)
	}
	return err == nil
}

// Sync is what SyncProfile did.
type Sync struct {
	Result *profilesync.SyncResult // nil when nothing could be fetched
	Source string                  // where the profile came from, or was sought
	// Outcome is accepted, not_modified, refused (its content) or failed
	// (its source could not be reached, or the disk is full).
	Outcome string
	Code    string // ErrorCode of Err
	Err     error
	// InUse is the cached profile after the sync; nil when none.
	InUse *store.CachedProfile
	// RecordErr is why the attempt could not be recorded (not said again
	// when it is the same full disk as Err).
	RecordErr error
}

// SyncProfile syncs the profile under the one profile policy (the URL,
// then the bootstrap file) and records the attempt for `relais profile
// show` and the app. A machine without a source gets
// cli.config.no_source.
func (m *Machine) SyncProfile(ctx context.Context) (Sync, error) {
	pol := m.Policy()
	if !pol.HasSource() {
		path := ""
		if m.Managed != nil {
			path = m.Managed.Path
		}
		return Sync{}, frontend.Errorf("cli.config.no_source", path)
	}
	src := pol.Sources()
	res, err := pol.Sync(ctx)
	s := Sync{Result: res, Source: src.URL, Err: err}
	if res != nil && res.Source != "" {
		s.Source = res.Source
	}
	attempt := store.SyncAttempt{At: m.Env.Now(), Source: s.Source}
	if err != nil {
		s.Outcome, s.Code = store.OutcomeRefused, ErrorCode(err)
		if IsFetchFailure(err) {
			s.Outcome = store.OutcomeFailed
		}
		attempt.Outcome, attempt.Code, attempt.Reason = s.Outcome, s.Code, frontend.StoredDetail(err)
	} else {
		s.Outcome = string(res.Outcome)
		attempt.Outcome, attempt.Serial = s.Outcome, res.Profile.Serial
	}
	if rerr := m.DB.RecordSync(ctx, attempt); rerr != nil && !(store.IsDiskFull(rerr) && store.IsDiskFull(err)) {
		s.RecordErr = rerr
	}
	s.InUse, _ = m.DB.CurrentProfile(ctx)
	return s, nil
}
