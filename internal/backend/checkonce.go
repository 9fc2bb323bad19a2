package backend

import (
	"context"
	"time"

	"relais/internal/engine"
	"relais/internal/frontend"
)

// CheckOnce is `relais check`: Mode urgence for one round of checks. It
// adopts a newer bootstrap file, picks the tunnel mode (ChooseMode, with
// modeFlag a front end's choice), and runs the checks through the tunnel
// another process of this user holds, else its own under the tunnel lock
// (one key, one tunnel: ReuseOrClaim). It returns the final snapshot,
// whose Report is set. Its errors are *frontend.Error, but for an engine
// that could not start for a reason of its own (a front end words it);
// a round interrupted before its report is cli.check.interrupted.
func (m *Machine) CheckOnce(ctx context.Context, modeFlag string) (engine.Snapshot, error) {
	m.AdoptBootstrap(ctx) // a newer copy installed by a package
	mode, err := m.ChooseMode(ctx, modeFlag)
	if err != nil {
		return engine.Snapshot{}, err
	}
	reuse, lock, err := m.ReuseOrClaim(ctx)
	if err != nil {
		return engine.Snapshot{}, err
	}
	defer lock.Release()
	m.RefreshNotices(ctx, CheckNoticesTimeout)
	return runOnce(ctx, m.NewEngine(mode, SessionOptions{Once: true, Reuse: reuse}))
}

// CheckNoticesTimeout bounds the notices sync of `relais check`: in a
// crisis the network may be what fails, and the check must not wait on it
// (the stored notices then serve).
const CheckNoticesTimeout = 5 * time.Second

// RefreshNotices syncs the notices the cached profile names, within
// timeout; a failure is recorded (NoticesState says it) and the stored
// notices serve.
func (m *Machine) RefreshNotices(ctx context.Context, timeout time.Duration) {
	cur, err := m.Policy().Current(ctx)
	if err != nil || cur.Profile.Notices == nil {
		return
	}
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	_, _ = m.SyncNotices(ctx, cur.Profile)
}

// runOnce runs e for one round of checks and returns its final snapshot.
func runOnce(ctx context.Context, e *engine.Engine) (engine.Snapshot, error) {
	if err := e.Start(ctx); err != nil {
		return engine.Snapshot{}, err
	}
	<-e.Done()
	s := e.Snapshot()
	if s.Report == nil {
		return engine.Snapshot{}, frontend.Errorf("cli.check.interrupted")
	}
	return s, nil
}
