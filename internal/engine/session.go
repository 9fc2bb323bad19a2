// The session's loop: the tunnel brought up (again after a failure), the
// runs, the re-checks and what triggers them, a newer profile adopted, and
// the teardown.

package engine

import (
	"context"
	"fmt"
	"net"
	"reflect"
	"time"

	"relais/internal/tunnel"
)

// loop runs Mode urgence until ctx is done.
func (e *Engine) loop(ctx context.Context) {
	defer close(e.done)
	defer e.teardown(ctx)

	updates := make(chan *Loaded, 1)
	if e.SyncProfile != nil && !e.Once {
		go func() {
			l, err := e.SyncProfile(ctx)
			switch {
			case err != nil && ctx.Err() == nil:
				e.commit(ctx, EventSyncFailed, err.Error(), nil)
			case l != nil:
				updates <- l
			}
		}()
	}
	var netCh <-chan struct{}
	if !e.Once {
		watched := make(chan struct{})
		go func() {
			defer close(watched)
			e.watchHandshake(ctx)
		}()
		defer func() { <-watched }() // before teardown closes the tunnel it reads
		if e.NetworkChanges != nil {
			netCh = e.NetworkChanges(ctx)
		} else {
			netCh = pollInterfaces(ctx, e.NetworkPoll)
		}
	}
	tick := time.NewTicker(e.interval())
	defer tick.Stop()
	debounce := time.NewTimer(time.Hour)
	debounce.Stop()
	defer debounce.Stop()

	for {
		if e.tunnelDown() {
			e.bringUp(ctx)
		}
		if ctx.Err() != nil {
			return
		}
		e.runChecks(ctx)
		if e.Once || ctx.Err() != nil {
			return
		}
		tick.Reset(e.nextInterval())
	wait:
		for {
			select {
			case <-ctx.Done():
				return
			case <-tick.C:
				break wait
			case <-e.recheck:
				break wait
			case <-debounce.C:
				break wait
			case <-netCh:
				e.commit(ctx, EventNetworkChanged, "", nil)
				debounce.Reset(NetworkDebounce)
			case l := <-updates:
				e.useProfile(ctx, l)
				break wait
			}
		}
	}
}

// tunnelDown reports whether the engine has no working tunnel (none yet,
// or the last start failed).
func (e *Engine) tunnelDown() bool {
	e.mu.Lock()
	defer e.mu.Unlock()
	_, failed := e.tun.(failedTunnel)
	return e.tun == nil || failed
}

func (e *Engine) bringUp(ctx context.Context) {
	e.mu.Lock()
	p := e.loaded.Profile
	e.mu.Unlock()
	e.commit(ctx, EventTunnelStarting, "", func(s *Snapshot) {
		if s.Report == nil {
			s.Phase = PhaseConnecting
		}
	})
	sctx, cancel := context.WithTimeout(ctx, TunnelStartTimeout)
	t, owned, err := e.StartTunnel(sctx, p)
	cancel()
	if err != nil {
		if ctx.Err() != nil {
			return
		}
		e.mu.Lock()
		e.tun, e.owned = failedTunnel{err}, false
		e.mu.Unlock()
		code := TunnelFailureCode(err)
		e.commitCoded(ctx, EventTunnelFailed, code, err.Error(), func(s *Snapshot) {
			s.TunnelError, s.Phase, s.Tunnel = err.Error(), PhaseFailed, tunnel.Status{}
			s.TunnelErrorCode = code
		})
		return
	}
	ep := t.Status().EndpointShown()
	e.mu.Lock()
	e.tun, e.owned, e.endpoint = t, owned, ep
	e.mu.Unlock()
	kind := EventTunnelUp
	if !owned {
		kind = EventTunnelReused
	}
	var detail string
	if ep != "" {
		detail = "endpoint " + ep
	}
	e.commit(ctx, kind, detail, func(s *Snapshot) {
		s.TunnelOwned, s.TunnelError, s.TunnelErrorCode = owned, "", ""
	})
}

// useProfile switches to a newer profile; a changed [tunnel] section means
// a new tunnel.
func (e *Engine) useProfile(ctx context.Context, l *Loaded) {
	e.mu.Lock()
	old := e.loaded.Profile
	if l.Profile.Serial <= old.Serial {
		e.mu.Unlock()
		return
	}
	e.loaded = l
	var stale tunnel.Tunnel
	if !reflect.DeepEqual(old.Tunnel, l.Profile.Tunnel) && e.owned {
		stale, e.tun = e.tun, nil
	}
	e.mu.Unlock()
	if stale != nil {
		_ = stale.Close()
	}
	e.commit(ctx, EventProfileUpdated, fmt.Sprintf("serial %d", l.Profile.Serial), func(s *Snapshot) { s.Profile = l.Info })
	if e.tunnelDown() {
		e.bringUp(ctx)
	}
}

// teardown closes the tunnel the engine brought up and records the end.
func (e *Engine) teardown(ctx context.Context) {
	e.mu.Lock()
	t, owned := e.tun, e.owned
	e.tun = nil
	e.mu.Unlock()
	if t != nil && owned {
		if err := t.Close(); err != nil {
			e.logf("engine: tunnel close: %v", err)
		}
	}
	e.commit(ctx, EventStopped, "", func(s *Snapshot) {
		s.Stopped = true
		if s.Report == nil {
			s.Phase = PhaseIdle
		}
		if owned {
			s.Tunnel.Up = false
		}
	})
}

// failedTunnel stands for a tunnel that could not come up: the checks
// through it fail with its error, and the next run tries again.
type failedTunnel struct{ err error }

func (f failedTunnel) Dial(context.Context, string, string) (net.Conn, error) { return nil, f.err }
func (f failedTunnel) Status() tunnel.Status                                  { return tunnel.Status{} }
func (f failedTunnel) Close() error                                           { return nil }
