package backend

import (
	"context"

	"relais/internal/instance"
	"relais/internal/tunnel"
)

// SystemProxyOn says whether `relais demo` points the person's proxy
// setting at the demo tunnel's PAC: the user's setting in the user's
// store, the managed configuration's lock winning, as for Mode urgence.
func (d *Demo) SystemProxyOn(ctx context.Context) bool {
	m, err := OpenMachine(d.env, false)
	if err != nil {
		return false
	}
	defer m.Close()
	on, _ := m.SystemProxyOn(ctx)
	return on
}

// HoldSystemProxy is `relais demo`'s part: under the demo store's tunnel
// lock, it puts back what a demo that did not end left pointed at its
// PAC, then, when on, points the setting at the PAC of the demo tunnel st
// describes. The returned func puts the setting back and lets the lock
// go; call it before closing the tunnel. Failures are warnings in the
// demo's timeline.
func (d *Demo) HoldSystemProxy(ctx context.Context, on bool, st tunnel.Status) (release func()) {
	m := d.Machine()
	l, err := instance.TryLock(m.TunnelLockPath())
	if err != nil {
		if on {
			m.logSystemProxy(msgSystemProxyFailed + "another Mode urgence of the demo holds it")
		}
		return func() {}
	}
	m.RecoverSystemProxy(ctx)
	if !on {
		l.Release()
		return func() {}
	}
	mgr := m.systemProxy()
	m.pointSystemProxy(ctx, mgr, st)
	return func() {
		m.putBackSystemProxy(ctx, mgr, msgSystemProxyBack)
		l.Release()
	}
}
