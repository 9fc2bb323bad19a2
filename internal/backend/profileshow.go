package backend

import (
	"context"

	"relais/internal/store"
)

// ProfileShown is the cached profile as `relais profile show` shows it:
// the profile in use, whether it has expired, and the last sync.
type ProfileShown struct {
	*Current
	Expired bool
	// LastSync is the last sync attempt; nil when there was none (or the
	// store could not say).
	LastSync *store.SyncAttempt
}

// Healthy reports whether the profile in use can be relied on: its
// signature does not fail and it has not expired.
func (s ProfileShown) Healthy() bool { return s.Signature != SignatureInvalid && !s.Expired }

// LastSyncRefused reports whether the last sync did not bring or confirm
// a profile (refused, or failed), so that its reason is worth saying.
func (s ProfileShown) LastSyncRefused() bool {
	return s.LastSync != nil && s.LastSync.Outcome != store.OutcomeAccepted && s.LastSync.Outcome != store.OutcomeNotModified
}

// ShowProfile reads the cached profile in use (the profile policy's
// Current, with its errors) and what is known of it: expiry at the
// machine's clock, the last sync.
func (m *Machine) ShowProfile(ctx context.Context) (ProfileShown, error) {
	c, err := m.Policy().Current(ctx)
	if err != nil {
		return ProfileShown{}, err
	}
	s := ProfileShown{Current: c, Expired: c.Profile.Expired(m.Env.Now())}
	if ls, err := m.DB.LastSync(ctx); err == nil {
		s.LastSync = ls
	}
	return s, nil
}
