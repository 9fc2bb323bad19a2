package backend

import (
	"context"
	"sync"
	"time"

	"relais/internal/engine"
	"relais/internal/instance"
	"relais/internal/profile"
	"relais/internal/tunnel"
)

// Session is one Mode urgence on a machine, from the tunnel lock to the
// records cleared: the one lifecycle the app's Start/Stop and `relais up`
// share. NewSession claims the tunnel and builds the engine (the caller
// subscribes to it then); Start starts it and the live record; Stop ends
// it all. `relais check` runs an engine for one round without a session.
type Session struct {
	Engine *engine.Engine
	m      *Machine
	lock   *instance.Lock

	first     chan firstStart
	firstOnce sync.Once

	mu       sync.Mutex
	closeErr error // closing a tunnel the session brought up
	stopRec  func()
	warn     func(error)
	stopOnce sync.Once
	// notices: Start also fetches the notices, then every
	// Seams.NoticesInterval until the engine stops (relais up; the app's
	// backend has its own loop).
	notices bool
	// sysproxy: the person's proxy setting pointed at the PAC (sysproxy.go).
	sysproxy sessionSystemProxy
}

type firstStart struct {
	t   tunnel.Tunnel
	err error
}

// NewSession takes the device's tunnel for this process and builds the
// session's engine. When another process holds the tunnel, the error is a
// *frontend.Error under heldKey naming it (instance.up.running,
// instance.desk.running).
func (m *Machine) NewSession(ctx context.Context, mode tunnel.Mode, opt SessionOptions, heldKey string) (*Session, error) {
	lock, err := m.ClaimTunnel(ctx, heldKey)
	if err != nil {
		return nil, err
	}
	s := &Session{m: m, lock: lock, first: make(chan firstStart, 1)}
	s.startSystemProxy(ctx, opt) // recover first, under the lock
	s.Engine = m.NewEngine(mode, opt)
	start := s.Engine.StartTunnel
	s.Engine.StartTunnel = func(ctx context.Context, p *profile.Profile) (tunnel.Tunnel, bool, error) {
		t, owned, err := start(ctx, p)
		if err == nil && owned {
			t = &closeWatch{Tunnel: t, onClose: func(err error) {
				s.mu.Lock()
				s.closeErr = err
				s.mu.Unlock()
			}}
			s.tunnelUpSystemProxy(ctx, t)
		}
		s.firstOnce.Do(func() { s.first <- firstStart{t, err} })
		return t, owned, err
	}
	return s, nil
}

// Start starts the engine (it returns once the profile is loaded) and the
// live record; warn, if set, hears a record the store refused. On error
// the session is over (Stop was called).
func (s *Session) Start(ctx context.Context, warn func(error)) error {
	if err := s.Engine.Start(ctx); err != nil {
		s.Stop()
		return err
	}
	stop := StartRecordingWarn(ctx, s.m.DB, s.Engine.Snapshot, s.m.Env.Now, warn)
	s.mu.Lock()
	s.stopRec, s.warn = stop, warn
	s.mu.Unlock()
	if s.notices {
		go s.syncNotices(ctx)
	}
	return nil
}

// WaitTunnel waits for the first start of the tunnel: its status, or why
// it could not start (a later loss is retried by the engine). It returns
// ctx's error if ctx ends first, and an error when the engine stopped.
func (s *Session) WaitTunnel(ctx context.Context) (tunnel.Status, error) {
	select {
	case f := <-s.first:
		s.first <- f // for the next caller
		if f.err != nil {
			return tunnel.Status{}, f.err
		}
		return f.t.Status(), nil
	case <-s.Engine.Done():
		if ctx.Err() != nil {
			return tunnel.Status{}, ctx.Err()
		}
		return tunnel.Status{}, context.Canceled
	case <-ctx.Done():
		return tunnel.Status{}, ctx.Err()
	}
}

// Done is closed once the engine has stopped.
func (s *Session) Done() <-chan struct{} { return s.Engine.Done() }

// Stop ends Mode urgence: the checks stop, the tunnel goes down, the live
// record is cleared (a refusal goes to Start's warn, and the log) and the
// tunnel lock let go. It returns the error of closing the tunnel, which
// the engine only logs. Stop may be called more than once.
func (s *Session) Stop() error {
	s.stopOnce.Do(func() {
		s.Engine.Stop()
		s.stopSystemProxy()
		s.mu.Lock()
		stopRec, warn := s.stopRec, s.warn
		s.mu.Unlock()
		if stopRec != nil {
			stopRec()
		}
		for _, err := range ClearRecords(s.m.DB) {
			_ = s.m.DB.LogEvent(context.Background(), "engine", err.Error())
			if warn != nil {
				warn(err)
			}
		}
		s.lock.Release()
	})
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.closeErr
}

// closeWatch reports the error of closing a tunnel, which the engine only
// logs.
type closeWatch struct {
	tunnel.Tunnel
	onClose func(error)
}

func (c *closeWatch) Close() error {
	err := c.Tunnel.Close()
	c.onClose(err)
	return err
}

// finalEventWait bounds how long a front end waits, after Stop, for the
// engine's last event to reach its subscribers.
const finalEventWait = 2 * time.Second
