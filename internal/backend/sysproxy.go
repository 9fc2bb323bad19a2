package backend

// The per-user system proxy: while Mode urgence runs a userspace tunnel,
// and the person (or the organisation's lock) says so, the person's own
// proxy setting — GNOME, KDE, Windows; no admin right needed — points at
// the tunnel's PAC file, so that the programs that follow it (browsers,
// mail, the virtual-desktop client) reach the emergency environment. The
// person's values are saved in the store before anything changes and put
// back when the session stops, or at the next start after a crash.

import (
	"context"
	"errors"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"relais/internal/frontend"
	"relais/internal/instance"
	"relais/internal/store"
	"relais/internal/sysproxy"
	"relais/internal/tunnel"
)

// SettingSystemProxy is the user's setting ("true"/"false"; default off).
const SettingSystemProxy = "system_proxy"

// SettingSystemProxyProblem is the settings key that remembers why the
// running Mode urgence could not point the person's proxy setting: a
// problem code (SystemProxyNoDesktop, SystemProxySetFailed), never the
// raw error, which goes to the timeline. "" or absent: none.
const SettingSystemProxyProblem = "system_proxy.problem"

// The problems of pointing the setting (SystemProxyStatus.Problem).
const (
	SystemProxyNoDesktop = frontend.SystemProxyNoDesktop
	SystemProxySetFailed = frontend.SystemProxySetFailed
)

// systemProxyTimeout bounds pointing or restoring every desktop.
const systemProxyTimeout = 20 * time.Second

// The timeline's words for it (store events of kind "system_proxy").
const (
	eventSystemProxy      = "system_proxy"
	msgSystemProxyPointed = "system proxy pointed at the PAC "
	msgSystemProxyFailed  = "warning: system proxy not pointed at the PAC: "
	msgSystemProxyBack    = "system proxy restored"
	msgSystemProxyRecover = "system proxy restored (left pointed at the PAC by a Mode urgence that did not end)"
	msgSystemProxyNotBack = "warning: system proxy not restored: "
)

// SystemProxyOn says whether Mode urgence points the person's proxy
// setting at the PAC: the managed lock when there is one (locked true),
// else the user's setting in m's store, off by default.
func (m *Machine) SystemProxyOn(ctx context.Context) (on, locked bool) {
	if m.Managed != nil && m.Managed.Locked.SystemProxy != nil {
		return *m.Managed.Locked.SystemProxy, true
	}
	v, err := m.DB.Setting(ctx, SettingSystemProxy)
	if err != nil {
		return false, false
	}
	b, _ := strconv.ParseBool(v)
	return b, false
}

// systemProxy is the manager of the person's proxy setting, saving in m's
// store.
func (m *Machine) systemProxy() *sysproxy.Manager {
	var ds []sysproxy.Desktop
	if m.Env.Seams.SystemProxy != nil {
		ds = m.Env.Seams.SystemProxy()
	} else {
		ds = sysproxy.Detect(m.Env.Getenv)
	}
	return &sysproxy.Manager{Store: m.DB, Desktops: ds}
}

// PACURL is the PAC file of a userspace tunnel's HTTP proxy.
func PACURL(httpProxy string) string { return "http://" + httpProxy + tunnel.PACPath }

// RecoverSystemProxy puts back the proxy setting a Mode urgence of m's
// store saved and never restored (it crashed, or was killed). The caller
// holds the tunnel lock: no Mode urgence of this store is running. It
// reports whether there was anything to put back.
func (m *Machine) RecoverSystemProxy(ctx context.Context) bool {
	m.setSystemProxyProblem("") // a Mode urgence that did not end left it
	saved, err := m.DB.SavedSystemProxy(ctx)
	if err != nil {
		m.logSystemProxy(msgSystemProxyNotBack + err.Error())
		return false
	}
	if len(saved) == 0 {
		return false
	}
	m.putBackSystemProxy(ctx, m.systemProxy(), msgSystemProxyRecover)
	return true
}

// putBackSystemProxy restores what mgr's store saved, if anything, and
// says so in the timeline.
func (m *Machine) putBackSystemProxy(ctx context.Context, mgr *sysproxy.Manager, msg string) {
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), systemProxyTimeout)
	defer cancel()
	m.setSystemProxyProblem("")
	ok, err := mgr.Restore(ctx)
	switch {
	case err != nil:
		m.logSystemProxy(msgSystemProxyNotBack + err.Error())
	case ok:
		m.logSystemProxy(msg)
	}
}

// pointSystemProxy points mgr's desktops at the PAC of the tunnel st
// describes. A failure is a warning in the timeline (the raw error) and a
// problem code in the store, never a failed Mode urgence; it returns the
// code, "" when pointed (or nothing to point: the system tunnel).
func (m *Machine) pointSystemProxy(ctx context.Context, mgr *sysproxy.Manager, st tunnel.Status) string {
	problem := m.pointSystemProxyOnce(ctx, mgr, st)
	m.setSystemProxyProblem(problem)
	return problem
}

func (m *Machine) pointSystemProxyOnce(ctx context.Context, mgr *sysproxy.Manager, st tunnel.Status) string {
	if st.Mode != tunnel.ModeUserspace || st.HTTPProxy == "" {
		return "" // the system tunnel's routes carry every program already
	}
	if len(mgr.Desktops) == 0 {
		m.logSystemProxy(msgSystemProxyFailed + "no desktop proxy setting found in this session")
		return SystemProxyNoDesktop
	}
	ctx, cancel := context.WithTimeout(ctx, systemProxyTimeout)
	defer cancel()
	url := PACURL(st.HTTPProxy)
	if err := mgr.Apply(ctx, url); err != nil {
		m.logSystemProxy(msgSystemProxyFailed + err.Error())
		return SystemProxySetFailed
	}
	m.logSystemProxy(msgSystemProxyPointed + url)
	return ""
}

// setSystemProxyProblem records the problem code ("": none) in m's store.
func (m *Machine) setSystemProxyProblem(code string) {
	_ = m.DB.SetSetting(context.Background(), SettingSystemProxyProblem, code)
}

func (m *Machine) logSystemProxy(msg string) {
	_ = m.DB.LogEvent(context.Background(), eventSystemProxy, msg)
}

// recoverUnderLock recovers m's saved proxy setting when no Mode urgence
// of its store runs (the tunnel lock is free): at the backend's start.
func (m *Machine) recoverUnderLock(ctx context.Context) {
	l, err := instance.TryLock(m.TunnelLockPath())
	if err != nil {
		return // running in another process, which restores it itself
	}
	defer l.Release()
	m.RecoverSystemProxy(ctx)
}

// sessionSystemProxy is a Session's hold on the proxy setting. mu
// serialises the tunnel's (re)starts, a change of the setting
// (FollowSystemProxy) and the session's end, so that the last of them
// decides what the desktops show.
type sessionSystemProxy struct {
	mu      sync.Mutex
	on      bool              // the setting the session follows now
	mgr     *sysproxy.Manager // its desktops found once; nil until needed
	cur     tunnel.Tunnel     // the tunnel the session brought up last
	stopped bool              // the session has ended: nothing changes any more
	// problem is why the setting could not be pointed now (a problem
	// code; "" when pointed, off or not yet tried), read without mu: a
	// front end asks while pointing may take its time.
	problem atomic.Value // string
}

// SystemProxyProblem is why the running session could not point the
// person's proxy setting at its PAC: SystemProxyNoDesktop,
// SystemProxySetFailed, or "" (pointed, off, or ended).
func (s *Session) SystemProxyProblem() string {
	p, _ := s.sysproxy.problem.Load().(string)
	return p
}

// manager is the session's manager of the setting, made on first use.
// The caller holds sp.mu.
func (sp *sessionSystemProxy) manager(m *Machine) *sysproxy.Manager {
	if sp.mgr == nil {
		sp.mgr = m.systemProxy()
	}
	return sp.mgr
}

// startSystemProxy is NewSession's part, under the tunnel lock just
// taken: recover what a session that did not end left, and get ready to
// point the setting when opt says so.
func (s *Session) startSystemProxy(ctx context.Context, opt SessionOptions) {
	s.m.RecoverSystemProxy(ctx)
	if opt.SystemProxy {
		s.sysproxy.on = true
		s.sysproxy.manager(s.m)
	}
}

// tunnelUpSystemProxy points the setting at the PAC of a tunnel the
// session brought up (again: a new port after a restart), when on.
func (s *Session) tunnelUpSystemProxy(ctx context.Context, t tunnel.Tunnel) {
	sp := &s.sysproxy
	sp.mu.Lock()
	defer sp.mu.Unlock()
	sp.cur = t
	if sp.on && !sp.stopped {
		sp.problem.Store(s.m.pointSystemProxy(ctx, sp.manager(s.m), t.Status()))
	}
}

// FollowSystemProxy applies the setting as want says it is now to the
// running session, at once: on points the desktops at the PAC of the
// tunnel the session brought up (its next start, when none is up yet);
// off puts the person's values back, and later starts of the tunnel
// leave them alone. want is read under the session's hold, so that of
// concurrent calls the last reads the latest setting. Once the session
// has ended it does nothing.
func (s *Session) FollowSystemProxy(ctx context.Context, want func() bool) {
	sp := &s.sysproxy
	sp.mu.Lock()
	defer sp.mu.Unlock()
	on := want()
	if sp.stopped || on == sp.on {
		return
	}
	sp.on = on
	switch {
	case on && sp.cur != nil:
		sp.problem.Store(s.m.pointSystemProxy(ctx, sp.manager(s.m), sp.cur.Status()))
	case !on:
		sp.problem.Store("")
		s.m.putBackSystemProxy(ctx, sp.manager(s.m), msgSystemProxyBack)
	}
}

// stopSystemProxy puts the setting back as the session ends; nothing
// changes it afterwards.
func (s *Session) stopSystemProxy() {
	sp := &s.sysproxy
	sp.mu.Lock()
	defer sp.mu.Unlock()
	sp.stopped = true
	sp.problem.Store("")
	if !sp.on { // the setting is off: restore only what a session left
		if saved, err := s.m.DB.SavedSystemProxy(context.Background()); err != nil || len(saved) == 0 {
			s.m.setSystemProxyProblem("")
			return
		}
	}
	s.m.putBackSystemProxy(context.Background(), sp.manager(s.m), msgSystemProxyBack)
}

// SystemProxyStatus is what `relais status` says of the system proxy.
type SystemProxyStatus struct {
	On     bool // the setting (or the lock)
	Locked bool // the organisation's managed configuration fixes it
	// State: SystemProxyOff, SystemProxyPointed (the person's setting
	// points at the PAC now: saved values wait in the store) or
	// SystemProxyRestored (on, and the person's own values are in place),
	// or SystemProxyFailed (on, and the running Mode urgence could not
	// point the setting: the person's programs do not follow Relais).
	State string
	// Problem is why, when State is SystemProxyFailed:
	// SystemProxyNoDesktop or SystemProxySetFailed; "" otherwise.
	Problem string
}

// The states of SystemProxyStatus.
const (
	SystemProxyOff      = "off"
	SystemProxyPointed  = "pointed"
	SystemProxyRestored = "restored"
	SystemProxyFailed   = "failed"
)

// systemProxyStatus is the state of the proxy setting for the store m
// reads now, the setting read before (on, locked).
func (m *Machine) systemProxyStatus(ctx context.Context, on, locked bool) SystemProxyStatus {
	st := SystemProxyStatus{On: on, Locked: locked, State: SystemProxyOff}
	if p := m.systemProxyProblem(ctx); on && p != "" {
		st.State, st.Problem = SystemProxyFailed, p
		return st
	}
	saved, err := m.DB.SavedSystemProxy(ctx)
	switch {
	case err == nil && len(saved) > 0, err != nil && !errors.Is(err, store.ErrNotFound):
		st.State = SystemProxyPointed
	case on:
		st.State = SystemProxyRestored
	}
	return st
}

// systemProxyProblem is the problem code the store keeps while a Mode
// urgence of it runs (a fresh live record); "" otherwise: one that did
// not end left it, and it says nothing of now.
func (m *Machine) systemProxyProblem(ctx context.Context) string {
	p, err := m.DB.Setting(ctx, SettingSystemProxyProblem)
	if err != nil || (p != SystemProxyNoDesktop && p != SystemProxySetFailed) {
		return ""
	}
	if _, live := ReadLive(ctx, m.DB, m.Env.Now); !live {
		return ""
	}
	return p
}
