package backend

import (
	"context"
	"errors"
	"testing"
	"time"

	"relais/internal/store"
)

// ShowProfile is the profile in use with its expiry at the machine's
// clock and the last sync: a refused sync keeps the profile and says so.
func TestShowProfile(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	b := newBootstrapMachine(t, false)
	now := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	m := &Machine{Env: Env{Now: func() time.Time { return now }}.filled(), Managed: b.pol.Managed, Keys: b.pol.Trusted, DB: b.pol.Store}
	if _, err := m.ShowProfile(ctx); !errors.Is(err, ErrNoProfile) {
		t.Fatalf("nothing cached: %v", err)
	}
	b.install(t, 7, true)
	if s, err := m.SyncProfile(ctx); err != nil || s.Err != nil {
		t.Fatalf("sync: %v %+v", err, s)
	}
	s, err := m.ShowProfile(ctx)
	if err != nil || s.Cached.Serial != 7 || !s.Signed() || s.Expired || !s.Healthy() {
		t.Fatalf("accepted: %v %+v", err, s)
	}
	if s.LastSync == nil || s.LastSync.Outcome != store.OutcomeAccepted || s.LastSync.Serial != 7 || s.LastSyncRefused() {
		t.Fatalf("last sync: %+v", s.LastSync)
	}
	b.install(t, 8, false) // unsigned: refused
	if s, err := m.SyncProfile(ctx); err != nil || s.Err == nil || s.Outcome != store.OutcomeRefused || s.InUse.Serial != 7 {
		t.Fatalf("unsigned sync: %v %+v", err, s)
	}
	if s, err = m.ShowProfile(ctx); err != nil || s.Cached.Serial != 7 || !s.LastSyncRefused() || s.LastSync.Code != "unsigned" {
		t.Fatalf("after a refusal: %v %+v %+v", err, s, s.LastSync)
	}
	now = s.Profile.Expires.Add(time.Second)
	if s, err = m.ShowProfile(ctx); err != nil || !s.Expired || s.Healthy() {
		t.Fatalf("expired: %v %+v", err, s)
	}
}
