package backend

import (
	"context"
	"strconv"

	"relais/internal/frontend"
)

// The system proxy setting in the backend's settings (sysproxy.go).

// loadSystemProxySetting reads the user's system_proxy setting into s
// (get is loadSettings'); a value this version cannot read is ignored.
func loadSystemProxySetting(get func(string) (string, bool, error), s *frontend.Settings) error {
	v, ok, err := get(SettingSystemProxy)
	if err != nil {
		return err
	}
	if b, perr := strconv.ParseBool(v); ok && perr == nil {
		s.SystemProxy = b
	}
	return nil
}

// SystemProxyLocked is the user's value mine with the managed lock
// applied, and whether it is locked.
func (m *Machine) SystemProxyLocked(mine bool) (bool, bool) {
	if m.Managed != nil && m.Managed.Locked.SystemProxy != nil {
		return *m.Managed.Locked.SystemProxy, true
	}
	return mine, false
}

// saveSystemProxySetting adds the system_proxy setting of s to the values
// SaveSettings records, unless the organisation locks it.
func saveSystemProxySetting(values map[string]string, saved *frontend.Settings, s frontend.Settings, locks frontend.Locks) {
	if locks.SystemProxy {
		return
	}
	values[SettingSystemProxy] = strconv.FormatBool(s.SystemProxy)
	saved.SystemProxy = s.SystemProxy
}

// recoverSystemProxy puts back, at the backend's start, the proxy setting
// a Mode urgence that did not end left pointed at its PAC: the user's
// store's and the demo store's, each when no Mode urgence of it runs.
func (d *Local) recoverSystemProxy(ctx context.Context) {
	d.m.recoverUnderLock(ctx)
	if d.em != d.m {
		d.em.recoverUnderLock(ctx)
	}
}

// followSystemProxy applies the system proxy setting as saved now to the
// backend's Mode urgence sess (nil: the current one), if it runs: after
// SaveSettings, and once Start has made sess current (a change saved
// while it started). In demo mode the same, on the demo store.
func (d *Local) followSystemProxy(sess *session) {
	d.mu.Lock()
	if sess == nil {
		sess = d.sess
	}
	active := sess != nil && sess.active
	d.mu.Unlock()
	if active {
		sess.FollowSystemProxy(d.ctx, func() bool { return d.Settings().SystemProxy })
	}
}

// SystemProxyProblem is why the running Mode urgence could not point the
// person's proxy setting at its PAC (frontend.SystemProxyNoDesktop,
// frontend.SystemProxySetFailed); "" when it did, when the setting is
// off, or when Mode urgence is not on.
func (d *Local) SystemProxyProblem() string {
	d.mu.Lock()
	sess := d.sess
	active := sess != nil && sess.active
	d.mu.Unlock()
	if !active {
		return ""
	}
	return sess.SystemProxyProblem()
}
