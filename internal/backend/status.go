package backend

import (
	"context"
	"errors"
	"path/filepath"

	"relais/internal/engine"
	"relais/internal/frontend"
	"relais/internal/store"
)

// MachineStatus is what `relais status` shows of this machine, as its
// store records it.
type MachineStatus struct {
	// Demo: the store read is the demo's (UseDemoStore): the desktop app
	// runs the embedded demo office on this machine.
	Demo bool
	// Live is the one live record, read under the one staleness rule
	// (LastLive): a stale one too, Live.Stale saying why. nil: none is
	// recorded.
	Live *Live
	// Checks are the last run's results, from the history; none when
	// there are none, or they cannot be read.
	Checks []store.CheckRecord
	// Profile is the cached profile; nil when none is cached, or it
	// cannot be read.
	Profile *ProfileState
	// DiskFull: the store's disk is full, so what was recorded last may
	// be out of date.
	DiskFull bool
	// Notices are the organisation's notices as the store keeps them (the
	// last good document, judged now), with why the last sync kept them.
	Notices frontend.NoticesState
	// SystemProxy: the person's proxy setting, pointed at the PAC or not.
	SystemProxy SystemProxyStatus
}

// ProfileState is the cached profile as `relais status` tells it.
type ProfileState struct {
	Serial int64
	// Signature is SignatureValid, SignatureInvalid or
	// SignatureNotChecked; SignatureErr says why it is invalid.
	Signature    string
	SignatureErr error
	// Expired: the profile has expired (never said of a profile this
	// binary cannot read).
	Expired bool
}

// Signed reports whether the profile's signature was checked and holds.
func (p *ProfileState) Signed() bool { return p.Signature == SignatureValid }

// Status reads what `relais status` shows. On a machine without managed
// configuration whose own store records no tunnel, it reads the demo
// store (UseDemoStore), which m uses from then on. A live record that
// cannot be read is cli.store.read.
func (m *Machine) Status(ctx context.Context) (MachineStatus, error) {
	var s MachineStatus
	spOn, spLocked := m.SystemProxyOn(ctx) // the user's setting: before the demo store
	s.Demo = m.UseDemoStore(ctx)
	s.SystemProxy = m.systemProxyStatus(ctx, spOn, spLocked)
	s.DiskFull = DiskFull(filepath.Dir(m.DB.Path()))
	switch live, err := LastLive(ctx, m.DB, m.Env.Now); {
	case errors.Is(err, store.ErrNotFound):
	case err != nil:
		return s, frontend.Wrap(err, "cli.store.read", err)
	default:
		s.Live = &live
	}
	s.Checks, _ = m.DB.LastChecks(ctx)
	var unreadable *UnreadableError
	switch cur, err := m.Policy().Current(ctx); {
	case err == nil:
		s.Profile = &ProfileState{Serial: cur.Cached.Serial, Signature: cur.Signature, SignatureErr: cur.SignatureErr,
			Expired: cur.Profile.Expired(m.Env.Now())}
		s.Notices = m.NoticesState(ctx, cur.Profile, m.Env.Now())
	case errors.As(err, &unreadable):
		// Cached but unreadable by this binary: its serial and signature
		// still say which one it is.
		p := &ProfileState{Serial: unreadable.Cached.Serial}
		p.Signature, p.SignatureErr = m.Signature(unreadable.Cached)
		s.Profile = p
	}
	return s, nil
}

// TunnelRecorded says whether the record holds a tunnel: one up, or one
// with a mode (down, or coming up).
func (l Live) TunnelRecorded() bool {
	st := l.Tunnel()
	return st.Mode != "" || st.Up
}

// EngineRecorded says whether the record holds Mode urgence's engine: a
// phase.
func (l Live) EngineRecorded() bool { return l.Snapshot.Phase != "" }

// EngineStale says whether the engine's process went away without
// recording its end: a record stale while its engine had not stopped.
func (l Live) EngineStale() bool { return !l.Snapshot.Stopped && l.Stale != LiveFresh }

// Verdict is Mode urgence's verdict as `relais status` reports it: the one
// its engine recorded; off when none was ever recorded; unknown (the zero
// Verdict) when the engine's process went away without recording its
// end, or when the disk is full (DiskFull) and what was recorded last may
// be out of date.
func (s MachineStatus) Verdict() engine.Verdict {
	switch {
	case s.Live == nil || !s.Live.EngineRecorded():
		if s.DiskFull {
			return engine.Verdict{}
		}
		return engine.Judge(engine.Snapshot{})
	case s.Live.EngineStale():
		return engine.Verdict{}
	}
	return engine.VerdictOf(s.Live.Snapshot)
}
