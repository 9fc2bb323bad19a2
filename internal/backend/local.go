package backend

import (
	"context"
	"errors"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"sync"
	"time"

	"relais/internal/autostart"
	"relais/internal/drills/drillrun"
	"relais/internal/engine"
	"relais/internal/frontend"
	"relais/internal/i18n"
	"relais/internal/launch"
	"relais/internal/outbox"
	"relais/internal/store"
	"relais/internal/tunnel"
)

// Local is the one backend (frontend.Backend): the desktop app drives it,
// and the commands that share its state (relais drill, relais diag) are
// its clients too. On an organisation's machine (a managed configuration)
// it runs Mode urgence as `relais up` does, recording it in the user's
// store; otherwise, or with Options.Demo, it runs the embedded demo office
// in the process and records in the demo store, never in the user's. The
// demo office starts when Mode urgence needs it (or at open when the demo
// store has no profile yet, so that the app has one to show). Settings
// and the device identity are the user's in both cases. Its methods are
// safe for concurrent use; its errors are *frontend.Error (or
// *frontend.IdentityError), for the front end to word.

// Options configure Open.
type Options struct {
	Env
	// Lang is the language of what the backend writes for people (the
	// drill reports, the bundles' summaries): "fr" or "en" ("": the
	// user's locale, else French); SetLanguage changes it.
	Lang string
	// Demo forces the embedded demo office; otherwise the demo office is
	// used when the machine has no managed configuration (the embedded
	// default: `make run` on a fresh machine).
	Demo bool
	// DemoOnStart: never start the demo office at open, even with no demo
	// profile cached yet (relais drill, relais diag): only Mode urgence
	// starts it.
	DemoOnStart bool
}

// Local is the backend. See the comment above.
type Local struct {
	env    Env
	opt    Options
	ctx    context.Context // bounds everything the backend runs; cancelled by Close
	cancel context.CancelFunc
	m      *Machine // the user's: managed configuration, main store (settings, identity)
	em     *Machine // where Mode urgence runs and records: m, or the demo store
	demo   bool     // the embedded demo office, not an organisation's machine

	op   sync.Mutex // serialises Start, Stop and Close
	save sync.Mutex // serialises SaveSettings

	mu       sync.Mutex
	lang     string
	closed   bool
	dm       *Demo    // the demo office, once started; nil otherwise
	sess     *session // the current or last Mode urgence
	last     engine.Snapshot
	subs     map[int]func(engine.Event)
	nextSub  int
	prof     frontend.ProfileState // without Problem and Expired, which are worked out when asked
	problem  error
	assets   map[string][]byte
	settings frontend.Settings // as saved, before the locks

	notices noticesLoop // crisis notices (local_notices.go)

	walker  *drillrun.Walker
	out     *outbox.Outbox
	wake    chan struct{} // wakes the outbox
	outDone chan struct{} // closed when the outbox loop has ended
}

var _ frontend.Backend = (*Local)(nil)

// session is one Mode urgence of the backend: a Session, and what the
// backend keeps of it.
type session struct {
	*Session
	e         *engine.Engine
	unsub     func()
	active    bool          // guarded by Local.mu
	final     chan struct{} // closed once the engine's last event was handed on
	finalOnce sync.Once
	endOnce   sync.Once
}

// Open opens the backend: the managed configuration, the user's store,
// and in demo mode the demo store (with the demo office started at once
// when that store has no profile yet, unless opt.DemoOnStart). ctx bounds
// the backend's life: once it is done, Mode urgence stops. A locked
// autostart is applied at once.
func Open(ctx context.Context, opt Options) (*Local, error) {
	env := opt.Env.filled()
	d := &Local{env: env, opt: opt, subs: map[int]func(engine.Event){}, last: engine.Snapshot{Phase: engine.PhaseIdle}}
	d.lang = i18n.Choose(validLang(opt.Lang), i18n.Detect(env.Getenv), "")
	d.ctx, d.cancel = context.WithCancel(ctx)

	m, err := OpenMachine(env, false)
	if err != nil {
		d.cancel()
		return nil, err
	}
	d.m, d.em = m, m
	s, err := loadSettings(ctx, m.DB)
	if err != nil {
		m.Close()
		d.cancel()
		return nil, frontend.Wrap(err, "cli.store.read", err.Error())
	}
	d.settings = s
	if l := d.Locks(); l.Autostart {
		// The organisation's choice holds at every start, whatever the
		// session's own settings did meanwhile.
		if err := d.applyAutostart(d.Settings().Autostart); err != nil {
			_ = m.DB.LogEvent(ctx, "autostart", err.Error())
		}
	}
	if opt.Demo || m.Managed == nil {
		d.demo = true
		em, err := OpenDemoMachine(env)
		if err != nil {
			m.Close()
			d.cancel()
			return nil, err
		}
		d.em = em
		if _, err := em.Policy().Current(ctx); errors.Is(err, ErrNoProfile) && !opt.DemoOnStart {
			if err := d.startDemo(ctx); err != nil {
				d.em.Close()
				m.Close()
				d.cancel()
				return nil, err
			}
		}
	} else {
		m.AdoptBootstrap(ctx) // a newer copy installed by a package
	}
	d.recoverSystemProxy(ctx) // a Mode urgence that crashed left it pointed at its PAC
	d.refreshProfile(ctx)
	d.startDrills()
	d.startNotices()
	return d, nil
}

// startDemo starts the demo office and makes its store the one Mode
// urgence records in, its profile just synced.
func (d *Local) startDemo(ctx context.Context) error {
	dm, err := StartDemo(ctx, d.env, d.em.DB)
	if err != nil {
		return err
	}
	d.mu.Lock()
	d.dm = dm
	d.mu.Unlock()
	d.em.setTrusted(dm.Machine().Keys)
	return nil
}

// validLang is l if Relais speaks it, else "".
func validLang(l string) string {
	if l == i18n.FR || l == i18n.EN {
		return l
	}
	return ""
}

// Demo reports whether the backend runs the embedded demo office.
func (d *Local) Demo() bool { return d.demo }

// SetLanguage sets the language of what the backend writes for people
// ("fr" or "en"; anything else is ignored).
func (d *Local) SetLanguage(lang string) {
	if l := validLang(lang); l != "" {
		d.mu.Lock()
		d.lang = l
		d.mu.Unlock()
	}
}

// Start enters Mode urgence: in the demo, a userspace tunnel to the demo
// office whatever the mode (the office, started now if it is not yet, is
// a userspace peer on loopback); otherwise in mode ("" = the saved
// setting, the organisation's lock winning), after a first sync of the
// profile when none is cached. It returns once the engine has loaded the
// profile; Start while active does nothing.
func (d *Local) Start(mode string) error {
	d.op.Lock()
	defer d.op.Unlock()
	d.mu.Lock()
	closed, active := d.closed, d.sess != nil && d.sess.active
	d.mu.Unlock()
	switch {
	case closed:
		return frontend.Errorf("cli.desk.closed")
	case active:
		return nil
	}

	var tmode tunnel.Mode
	// The tunnel's local proxies on random loopback ports, as `relais up`;
	// the GUI's process keeps its own memory limit.
	opt := SessionOptions{Proxies: true, OwnMemoryLimit: true, SystemProxy: d.Settings().SystemProxy}
	if d.demo {
		switch tunnel.Mode(mode) {
		case "", tunnel.ModeAuto, tunnel.ModeUserspace, tunnel.ModeSystem:
		default:
			return frontend.Errorf("cli.tunnel.bad_mode", mode)
		}
		d.mu.Lock()
		dm := d.dm
		d.mu.Unlock()
		if dm == nil {
			if err := d.startDemo(d.ctx); err != nil {
				return err
			}
			d.refreshProfile(d.ctx)
			dm = d.dm
		}
		tmode, opt.TunnelConfig = tunnel.ModeUserspace, dm.TunnelConfig
	} else {
		var err error
		if tmode, err = d.m.ChooseMode(d.ctx, mode); err != nil {
			return err
		}
		if err := d.firstSync(); err != nil {
			return err
		}
	}

	// One key, one tunnel: Mode urgence already on in another process of
	// this user (relais up in a terminal) is named and left alone.
	ms, err := d.em.NewSession(d.ctx, tmode, opt, "instance.desk.running")
	if err != nil {
		return err
	}
	e := ms.Engine
	if sync := e.SyncProfile; sync != nil {
		e.SyncProfile = func(ctx context.Context) (*engine.Loaded, error) {
			l, err := sync(ctx)
			switch {
			case err != nil && ctx.Err() == nil:
				d.syncFailed(err)
			case err == nil && l == nil:
				d.refreshProfile(ctx) // confirmed unchanged: a newer FetchedAt
			}
			return l, err
		}
	}
	sess := &session{Session: ms, e: e, active: true, final: make(chan struct{})}
	d.mu.Lock()
	d.sess = sess
	d.mu.Unlock()
	d.followSystemProxy(sess) // a change saved while it started
	sess.unsub = e.Subscribe(d.forward(sess))
	if err := ms.Start(d.ctx, nil); err != nil {
		d.end(sess)
		var fe *frontend.Error
		if errors.As(err, &fe) && fe.Key == "cli.tunnel.no_profile" {
			return frontend.Wrap(err, "cli.desk.no_profile")
		}
		return err
	}
	d.mu.Lock()
	d.last = e.Snapshot() // the new engine's, not the last one's final state
	d.mu.Unlock()
	go func() {
		<-e.Done() // Stop, Close, or the backend's context ended
		d.end(sess)
	}()
	d.kickNotices() // Mode urgence starts: the latest notices
	return nil
}

// firstSync fetches the profile, as `relais profile sync`, when none is
// cached yet: a first start with the network; otherwise it adopts a newer
// bootstrap file (a package upgrade while the app runs).
func (d *Local) firstSync() error {
	if _, err := d.m.Policy().Current(d.ctx); !errors.Is(err, ErrNoProfile) {
		if d.m.AdoptBootstrap(d.ctx) {
			d.refreshProfile(d.ctx)
		}
		return nil
	}
	s, err := d.m.SyncProfile(d.ctx)
	d.refreshProfile(d.ctx)
	if err != nil {
		return err
	}
	if s.Err != nil {
		return frontend.Wrap(s.Err, "cli.profile.sync.refused_none", s.Err)
	}
	return nil
}

// forward hands the events of one engine to the backend's subscribers,
// keeping the backend's snapshot and profile up to date first. Events come
// coalesced (a busy subscriber gets the latest only), so what changed is
// judged on the snapshot, not on the kind of event.
func (d *Local) forward(sess *session) func(engine.Event) {
	return func(ev engine.Event) {
		d.mu.Lock()
		newer := ev.Snapshot.Profile.Serial > d.prof.Serial
		d.mu.Unlock()
		if newer { // the engine accepted a newer profile
			d.refreshProfile(d.ctx)
			d.kickNotices() // its [notices] may have changed
		}
		d.mu.Lock()
		if d.sess == sess {
			d.last = ev.Snapshot
		}
		subs := make([]func(engine.Event), 0, len(d.subs))
		for _, id := range slices.Sorted(maps.Keys(d.subs)) {
			subs = append(subs, d.subs[id])
		}
		d.mu.Unlock()
		for _, fn := range subs {
			fn(ev)
		}
		if ev.Snapshot.Stopped { // the engine's last event
			sess.finalOnce.Do(func() { close(sess.final) })
		}
	}
}

// end finishes a Mode urgence once its engine has stopped, as `relais up`
// does: the last event handed on, the recording stopped, the records
// cleared, the final snapshot kept.
func (d *Local) end(sess *session) {
	sess.endOnce.Do(func() {
		_ = sess.Session.Stop() // a tunnel that failed to close is in the log
		select {
		case <-sess.final:
		case <-time.After(finalEventWait):
		}
		sess.unsub()
		final := sess.e.Snapshot()
		d.mu.Lock()
		sess.active = false
		if d.sess == sess {
			d.last = final
		}
		d.mu.Unlock()
	})
}

// Stop leaves Mode urgence and returns once the tunnel is down and the
// records are cleared.
func (d *Local) Stop() {
	d.op.Lock()
	defer d.op.Unlock()
	d.stop()
}

func (d *Local) stop() {
	d.mu.Lock()
	sess := d.sess
	d.mu.Unlock()
	if sess == nil {
		return
	}
	sess.e.Stop()
	d.end(sess)
}

// Active reports whether Mode urgence is on.
func (d *Local) Active() bool {
	d.mu.Lock()
	defer d.mu.Unlock()
	return d.sess != nil && d.sess.active
}

// Recheck asks the engine for a run of the checks now.
func (d *Local) Recheck() {
	d.mu.Lock()
	sess := d.sess
	d.mu.Unlock()
	if sess != nil && d.Active() {
		sess.e.Recheck()
	}
}

// Snapshot is the state of Mode urgence, from memory: the latest event's,
// with the tunnel's status refreshed every second; the last engine's final
// state after Stop; Phase idle before any Start.
func (d *Local) Snapshot() engine.Snapshot {
	d.mu.Lock()
	defer d.mu.Unlock()
	s := d.last
	s.Timeline = slices.Clone(s.Timeline)
	return s
}

// Subscribe calls fn with every event of every engine the backend starts.
func (d *Local) Subscribe(fn func(engine.Event)) (cancel func()) {
	d.mu.Lock()
	id := d.nextSub
	d.nextSub++
	d.subs[id] = fn
	d.mu.Unlock()
	return func() {
		d.mu.Lock()
		delete(d.subs, id)
		d.mu.Unlock()
	}
}

// refreshProfile reads the cached profile and its assets from the store of
// Mode urgence: at open, and when the engine accepted a newer profile.
func (d *Local) refreshProfile(ctx context.Context) {
	var (
		st      frontend.ProfileState
		problem error
		assets  = map[string][]byte{}
	)
	cur, err := d.em.Policy().Current(ctx)
	switch {
	case errors.Is(err, ErrNoProfile):
		problem = frontend.Wrap(err, "cli.desk.no_profile")
	case errors.Is(err, ErrUnreadable):
		problem = frontend.Wrap(err, "cli.profile.show.unreadable", Coded(errors.Unwrap(err)))
	case err != nil:
		problem = frontend.Wrap(err, "cli.store.read", err.Error())
	default:
		c, p := cur.Cached, cur.Profile
		st.Signature = cur.Signature
		if sigErr := cur.SignatureErr; sigErr != nil {
			problem = frontend.Wrap(sigErr, "cli.desk.signature_invalid", Coded(sigErr))
		}
		// CheckedAt: the last time the source sent or confirmed these bytes.
		st.Profile, st.Serial, st.FetchedAt = p, c.Serial, c.CheckedAt
		// A newer copy refused since (by `relais profile sync` or the
		// bootstrap file of a package upgrade): say why this one stays,
		// from what the store kept, in the app's language.
		if ls, err := d.em.DB.LastSync(ctx); err == nil && ls.Outcome == store.OutcomeRefused && !ls.At.Before(c.CheckedAt) && problem == nil {
			problem = frontend.Errorf("cli.desk.sync_failed", c.Serial, &frontend.Error{Key: "cli.reason." + ls.Code, Detail: ls.Reason})
		}
		for _, a := range p.Assets {
			if sa, err := d.em.DB.Asset(ctx, a.SHA256); err == nil {
				assets[a.ID] = sa.Bytes
			}
		}
	}
	d.mu.Lock()
	d.prof, d.problem, d.assets = st, problem, assets
	d.mu.Unlock()
}

// syncFailed records why the engine's background sync kept the profile.
func (d *Local) syncFailed(err error) {
	d.mu.Lock()
	defer d.mu.Unlock()
	d.problem = frontend.Wrap(err, "cli.desk.sync_failed", d.prof.Serial, Coded(err))
}

// Profile is the cached profile in use, from memory.
func (d *Local) Profile() frontend.ProfileState {
	d.mu.Lock()
	st := d.prof
	st.Problem = d.problem
	d.mu.Unlock()
	if st.Profile != nil {
		st.Expired = st.Profile.Expired(d.env.Now())
	}
	return st
}

// Asset returns an asset of the profile in use by its id, from memory.
func (d *Local) Asset(id string) ([]byte, bool) {
	d.mu.Lock()
	defer d.mu.Unlock()
	b, ok := d.assets[id]
	return b, ok
}

// OpenLink opens an emergency link as `relais open` does; a tunnel link
// goes through the local proxy of Mode urgence's tunnel, and needs it up.
func (d *Local) OpenLink(id string) error {
	d.mu.Lock()
	p, sess := d.prof.Profile, d.sess
	d.mu.Unlock()
	if p == nil {
		return frontend.Errorf("cli.desk.no_profile")
	}
	link, err := FindLink(p, id)
	if err != nil {
		return err
	}
	var proxy *launch.Proxy
	if link.Via == "tunnel" {
		name := link.Name.In(d.language())
		if sess == nil || !d.Active() {
			return frontend.Errorf("cli.desk.open_needs_urgence", name)
		}
		st := sess.e.Snapshot().Tunnel
		if !st.Up {
			return frontend.Errorf("cli.desk.open_tunnel_down", name)
		}
		if proxy, err = TunnelProxy(st); err != nil {
			return err
		}
	}
	if _, err := d.em.LaunchLink(d.ctx, d.em.DB, p, link, proxy); err != nil {
		return err
	}
	return nil
}

// loadSettings reads the user's settings over the defaults; a value this
// version does not know is ignored.
func loadSettings(ctx context.Context, db *store.DB) (frontend.Settings, error) {
	s := frontend.DefaultSettings()
	get := func(key string) (string, bool, error) {
		v, err := db.Setting(ctx, key)
		if errors.Is(err, store.ErrNotFound) {
			return "", false, nil
		}
		return v, err == nil, err
	}
	if v, ok, err := get(SettingLanguage); err != nil {
		return s, err
	} else if ok && validLanguage(v) {
		s.Language = v
	}
	if v, ok, err := get(SettingAutostart); err != nil {
		return s, err
	} else if b, perr := strconv.ParseBool(v); ok && perr == nil {
		s.Autostart = b
	}
	if v, ok, err := get(SettingTunnelMode); err != nil {
		return s, err
	} else if ok && validTunnelMode(v) {
		s.TunnelMode = v
	}
	return s, loadSystemProxySetting(get, &s)
}

func validLanguage(v string) bool {
	return v == frontend.LanguageAuto || v == frontend.LanguageFR || v == frontend.LanguageEN
}

func validTunnelMode(v string) bool {
	return v == frontend.ModeAuto || v == frontend.ModeUserspace || v == frontend.ModeSystem
}

// Locks says which settings the managed configuration fixes.
func (d *Local) Locks() frontend.Locks {
	if d.m.Managed == nil {
		return frontend.Locks{}
	}
	l := d.m.Managed.Locked
	return frontend.Locks{TunnelMode: l.TunnelMode != nil, Autostart: l.Autostart != nil, SystemProxy: l.SystemProxy != nil}
}

// Settings are the user's settings with the managed locks applied, from
// memory.
func (d *Local) Settings() frontend.Settings {
	d.mu.Lock()
	s := d.settings
	d.mu.Unlock()
	if d.m.Managed != nil {
		if v := d.m.Managed.Locked.TunnelMode; v != nil {
			s.TunnelMode = *v
		}
		if v := d.m.Managed.Locked.Autostart; v != nil {
			s.Autostart = *v
		}
		s.SystemProxy, _ = d.m.SystemProxyLocked(s.SystemProxy)
	}
	return s
}

// SaveSettings records s in the user's store, then turns autostart on or
// off. A change to a setting the organisation locks is refused; the
// user's own value of a locked setting is kept for the day the lock goes.
func (d *Local) SaveSettings(s frontend.Settings) error {
	d.save.Lock()
	defer d.save.Unlock()
	locks, cur := d.Locks(), d.Settings()
	if (locks.TunnelMode && s.TunnelMode != cur.TunnelMode) || (locks.Autostart && s.Autostart != cur.Autostart) || (locks.SystemProxy && s.SystemProxy != cur.SystemProxy) {
		return frontend.Errorf("cli.desk.setting_locked")
	}
	if !validLanguage(s.Language) {
		return frontend.Errorf("cli.desk.bad_language", s.Language)
	}
	if !validTunnelMode(s.TunnelMode) {
		return frontend.Errorf("cli.tunnel.bad_mode", s.TunnelMode)
	}
	d.mu.Lock()
	closed, saved := d.closed, d.settings
	d.mu.Unlock()
	if closed {
		return frontend.Errorf("cli.desk.closed")
	}
	values := map[string]string{SettingLanguage: s.Language}
	saved.Language = s.Language
	if !locks.TunnelMode {
		values[SettingTunnelMode] = s.TunnelMode
		saved.TunnelMode = s.TunnelMode
	}
	if !locks.Autostart {
		values[SettingAutostart] = strconv.FormatBool(s.Autostart)
		saved.Autostart = s.Autostart
	}
	saveSystemProxySetting(values, &saved, s, locks)
	if err := d.m.DB.SetSettings(d.ctx, values); err != nil {
		return Coded(err) // the front end says the setting was not saved, and why
	}
	d.mu.Lock()
	d.settings = saved
	d.mu.Unlock()
	d.followSystemProxy(nil) // the running Mode urgence follows at once
	if locks.Autostart {
		return nil // applied at open
	}
	if err := d.applyAutostart(s.Autostart); err != nil {
		return frontend.Wrap(err, frontend.ErrKeyAutostartFailed, Coded(err))
	}
	return nil
}

// autostartEntry is Relais started at login for this user. Its
// directories follow the environment (HOME, XDG_CONFIG_HOME), which tests
// point at a temporary directory.
func (d *Local) autostartEntry() (autostart.Entry, error) {
	exe, err := os.Executable()
	if err != nil {
		return autostart.Entry{}, err
	}
	e := autostart.Entry{AppID: "org.relais.Relais", Name: "Relais", Exec: exe, Home: d.env.Home}
	if v := d.env.Getenv("XDG_CONFIG_HOME"); filepath.IsAbs(v) {
		e.ConfigHome = v
	}
	return e, nil
}

func (d *Local) applyAutostart(on bool) error {
	e, err := d.autostartEntry()
	if err != nil {
		return err
	}
	if on {
		err = e.Enable()
	} else {
		err = e.Disable()
	}
	if err == nil {
		_ = d.m.DB.LogEvent(d.ctx, "autostart", "autostart "+strconv.FormatBool(on))
	}
	return err
}

// Identity is the device's WireGuard identity, as `relais key show`
// reads it (the keyring may be slow to answer; a key the keyring holds with
// no record is adopted), and whether Mode urgence can use it.
func (d *Local) Identity() frontend.Identity {
	ks, err := d.m.ShowKey(d.ctx)
	if err != nil {
		return frontend.Identity{Problem: err, Setup: frontend.SetupNoKeyring}
	}
	var id frontend.Identity
	plan := d.m.EnrolPlan(d.ctx)
	id.EnrolHost, id.EnrolAuto = plan.Host, plan.HasToken
	if ks.Identity != nil {
		id.PublicKey, id.Addresses, id.Source = ks.Identity.PublicKey, append([]string{}, ks.Identity.Addresses...), ks.Identity.Source
		id.CreatedAt = ks.Identity.CreatedAt
		if ks.Identity.EnrolURL != "" {
			id.EnrolHost = urlHost(ks.Identity.EnrolURL)
		}
	}
	switch {
	case ks.Keyring == KeyringUnavailable: // no keyring: what to do about it
		id.Problem, id.Setup = d.m.identityError(ks.KeyringErr), frontend.SetupNoKeyring
	case ks.Keyring == KeyringMismatch:
		id.Problem, id.Setup = frontend.Errorf("cli.desk.key_mismatch"), frontend.SetupKeyMismatch
	case ks.Keyring == KeyringAbsent && ks.Identity != nil:
		id.Problem, id.Setup = frontend.Errorf("cli.desk.key_missing"), frontend.SetupKeyMissing
	case ks.Identity == nil:
		id.Setup = frontend.SetupNone
	case len(id.Addresses) == 0 && !d.profileHasAddress():
		id.Setup = frontend.SetupNoAddress
	default:
		id.Setup = frontend.SetupReady
	}
	if d.demo {
		// The demo office has its own client key: Mode urgence needs
		// nothing of the device's (Problem still says what is wrong).
		id.Setup = frontend.SetupReady
	}
	return id
}

// profileHasAddress reports whether the profile in use gives the device's
// tunnel address (tunnel.address), so that the identity needs none.
func (d *Local) profileHasAddress() bool {
	d.mu.Lock()
	p := d.prof.Profile
	d.mu.Unlock()
	return p != nil && len(p.Tunnel.Address) > 0
}

// GenerateKey makes a new device key, as `relais key generate`; a device
// that has one keeps it unless replace (frontend.IdentityErrExists).
func (d *Local) GenerateKey(replace bool) error {
	_, err := d.m.GenerateIdentity(d.ctx, []string{}, replace)
	return err
}

// ImportConf imports a wg-quick .conf from IT, as `relais key import`
// (replace: as --force).
func (d *Local) ImportConf(path string, replace bool) error {
	_, _, err := d.m.ImportIdentity(d.ctx, path, replace)
	return err
}

// Enrol enrols this device, as `relais enrol [CODE]`.
func (d *Local) Enrol(code string) (frontend.EnrolResult, error) {
	res, err := d.m.Enrol(d.ctx, EnrolOptions{Code: code})
	if err != nil {
		return frontend.EnrolResult{}, EnrolError(err)
	}
	return frontend.EnrolResult{Host: res.Host, Addresses: append([]string{}, res.Identity.Addresses...)}, nil
}

// EnrolmentStatus asks the enrolment server about this device's key.
func (d *Local) EnrolmentStatus() (string, error) {
	st, err := d.m.EnrolmentStatus(d.ctx)
	return st, EnrolError(err)
}

// DeleteKey deletes the device's identity, as `relais key delete`.
func (d *Local) DeleteKey() error {
	_, err := d.m.DeleteIdentity(d.ctx)
	return err
}

// Close stops Mode urgence, clears its records, stops the demo office and
// closes the stores. The backend cannot start again.
func (d *Local) Close() {
	d.op.Lock()
	defer d.op.Unlock()
	d.mu.Lock()
	closed := d.closed
	d.closed = true
	d.mu.Unlock()
	if closed {
		return
	}
	d.stop()
	d.cancel()
	<-d.outDone
	<-d.notices.done
	d.mu.Lock()
	dm := d.dm
	d.mu.Unlock()
	if dm != nil {
		dm.Office.Close()
	}
	if d.em != d.m {
		d.em.Close()
	}
	d.m.Close()
}

// StoreRecovered is, when the local database was found damaged as the
// backend opened it (moved aside, a fresh one started), the note that says
// so; nil otherwise. The front end shows it once: the next start finds a
// sound database.
func (d *Local) StoreRecovered() error {
	if d.m == nil || d.m.Recovered == nil {
		return nil
	}
	return frontend.Errorf("store.recovered", d.m.Recovered.MovedTo)
}
