package cli

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"relais/internal/autostart"
	"relais/internal/backend"
	"relais/internal/drills"
	"relais/internal/engine"
	"relais/internal/frontend"
	"relais/internal/i18n"
	"relais/internal/instance"
	"relais/internal/launch"
	"relais/internal/outbox"
	"relais/internal/store"
	"relais/internal/tunnel"
)

// The desktop app's backend: frontend.Backend with the wiring of `relais up`
// (an organisation's machine) or of `relais demo` (the embedded demo
// office), so that the GUI, the CLI and `relais status` from another
// process all see the same Mode urgence.

// The user's settings, as the main store keeps them.
const (
	settingLanguage   = "language"
	settingAutostart  = "autostart"
	settingTunnelMode = "tunnel_mode"
)

// finalEventWait bounds how long Stop waits for the engine's last event to
// reach the subscribers.
const finalEventWait = 2 * time.Second

// DeskOptions configure the desktop backend.
type DeskOptions struct {
	// Lang is the language of the errors, "fr" or "en" ("": the user's
	// locale, else French); SetLanguage changes it.
	Lang string
	// Demo forces the embedded demo office; otherwise the demo office is
	// used when the machine has no managed configuration (the embedded
	// default: `make run` on a fresh machine).
	Demo bool
}

// Desk is the backend the desktop app drives (frontend.Backend). On an
// organisation's machine (a managed configuration) it runs Mode urgence as
// `relais up` does, recording it in the user's store; otherwise, or with
// DeskOptions.Demo, it runs the embedded demo office in the process and
// records in the demo store, never in the user's. Settings and the device
// identity are the user's in both cases. Its methods are safe for
// concurrent use.
type Desk struct {
	env    Env
	ctx    context.Context // bounds everything the desk runs; cancelled by Close
	cancel context.CancelFunc
	m      *machine    // the user's: managed configuration, main store (settings, identity)
	dm     *demoOffice // the demo office; nil on an organisation's machine
	em     *machine    // where Mode urgence runs and records: m, or the demo store

	op   sync.Mutex // serialises Start, Stop and Close
	save sync.Mutex // serialises SaveSettings

	mu       sync.Mutex
	lang     string
	closed   bool
	sess     *deskSession // the current or last Mode urgence
	last     engine.Snapshot
	subs     map[int]func(engine.Event)
	nextSub  int
	prof     frontend.ProfileState // without Problem and Expired, which are worked out when asked
	problem  func(r *run) string
	assets   map[string][]byte
	settings frontend.Settings // as saved, before the locks

	walker  *drills.Walker
	out     *outbox.Outbox
	wake    chan struct{} // wakes the outbox
	outDone chan struct{} // closed when the outbox loop has ended
}

var _ frontend.Backend = (*Desk)(nil)

// deskSession is one Mode urgence: one engine, from Start to Stop.
type deskSession struct {
	e         *engine.Engine
	db        *store.DB
	unsub     func()
	stopRec   func()
	lock      *instance.Lock // the tunnel lock, let go once the records are cleared
	active    bool           // guarded by Desk.mu
	final     chan struct{}  // closed once the engine's last event was handed on
	finalOnce sync.Once
	endOnce   sync.Once
}

// OpenDesk opens the desktop backend: the managed configuration, the
// user's store, and in demo mode the demo office with its profile synced
// into the demo store. ctx bounds the desk's life: once it is done, Mode
// urgence stops. A locked autostart is applied at once.
func OpenDesk(ctx context.Context, env Env, opt DeskOptions) (*Desk, error) {
	if env.Now == nil {
		env.Now = time.Now
	}
	if env.Getenv == nil {
		env.Getenv = func(string) string { return "" }
	}
	d := &Desk{env: env, subs: map[int]func(engine.Event){}, last: engine.Snapshot{Phase: engine.PhaseIdle}}
	d.lang = i18n.Choose(validLang(opt.Lang), i18n.Detect(env.Getenv), "")
	d.ctx, d.cancel = context.WithCancel(ctx)

	var errb bytes.Buffer
	r := d.newRun(io.Discard, &errb)
	m, _ := r.openMachine(false)
	if m == nil {
		d.cancel()
		return nil, stderrError(r, &errb)
	}
	d.m, d.em = m, m
	s, err := loadSettings(ctx, m.db)
	if err != nil {
		m.Close()
		d.cancel()
		return nil, errors.New(r.t("cli.store.read", err.Error()))
	}
	d.settings = s
	if l := d.Locks(); l.Autostart {
		// The organisation's choice holds at every start, whatever the
		// session's own settings did meanwhile.
		if err := d.applyAutostart(d.Settings().Autostart); err != nil {
			_ = m.db.LogEvent(ctx, "autostart", err.Error())
		}
	}
	if opt.Demo || m.managed == nil {
		dm, _ := r.startDemo(ctx)
		if dm == nil {
			m.Close()
			d.cancel()
			return nil, stderrError(r, &errb)
		}
		d.dm, d.em = dm, dm.machine()
	} else {
		r.adoptBootstrap(ctx, m) // a newer copy installed by a package
	}
	d.refreshProfile(ctx)
	d.startDrills()
	return d, nil
}

// validLang is l if Relais speaks it, else "".
func validLang(l string) string {
	if l == i18n.FR || l == i18n.EN {
		return l
	}
	return ""
}

// newRun is an invocation in the desk's environment and current language,
// writing to stdout and stderr.
func (d *Desk) newRun(stdout, stderr io.Writer) *run {
	d.mu.Lock()
	lang := d.lang
	d.mu.Unlock()
	env := d.env
	env.Stdout, env.Stderr = stdout, stderr
	return &run{Env: env, lang: lang, app: true}
}

// stderrError is the error a command printed, as one sentence: the last
// line it wrote on stderr (progress lines come before it).
func stderrError(r *run, errb *bytes.Buffer) error {
	lines := strings.Split(strings.TrimSpace(errb.String()), "\n")
	if msg := strings.TrimSpace(lines[len(lines)-1]); msg != "" {
		return errors.New(msg)
	}
	return errors.New(r.t("cli.desk.failed"))
}

// call runs a command in-process, as the CLI would, its output captured.
func (d *Desk) call(cmd func(context.Context, *run, []string) int, args ...string) (code int, stdout []byte, err error) {
	var out, errb bytes.Buffer
	r := d.newRun(&out, &errb)
	code = cmd(d.ctx, r, args)
	if code != ExitOK {
		err = stderrError(r, &errb)
	}
	return code, out.Bytes(), err
}

// Demo reports whether the desk runs the embedded demo office.
func (d *Desk) Demo() bool { return d.dm != nil }

// SetLanguage sets the language of the errors ("fr" or "en"; anything
// else is ignored).
func (d *Desk) SetLanguage(lang string) {
	if l := validLang(lang); l != "" {
		d.mu.Lock()
		d.lang = l
		d.mu.Unlock()
	}
}

// Start enters Mode urgence: in the demo, a userspace tunnel to the demo
// office whatever the mode (the office is a userspace peer on loopback);
// otherwise in mode ("" = the saved setting, the organisation's lock
// winning), after a first sync of the profile when none is cached. It
// returns once the engine has loaded the profile; Start while active does
// nothing.
func (d *Desk) Start(mode string) error {
	d.op.Lock()
	defer d.op.Unlock()
	var errb bytes.Buffer
	r := d.newRun(io.Discard, &errb)
	d.mu.Lock()
	closed, active := d.closed, d.sess != nil && d.sess.active
	d.mu.Unlock()
	switch {
	case closed:
		return errors.New(r.t("cli.desk.closed"))
	case active:
		return nil
	}

	var tmode tunnel.Mode
	// The tunnel's local proxies on random loopback ports, as `relais up`;
	// the GUI's process keeps its own memory limit.
	opt := engineOptions{proxies: true, ownMemoryLimit: true}
	if d.dm != nil {
		switch tunnel.Mode(mode) {
		case "", tunnel.ModeAuto, tunnel.ModeUserspace, tunnel.ModeSystem:
		default:
			return errors.New(r.t("cli.tunnel.bad_mode", mode))
		}
		tmode, opt.tunnelConfig = tunnel.ModeUserspace, d.dm.tunnelConfig
	} else {
		var code int
		if tmode, code = r.chooseMode(d.ctx, d.m, mode); code != ExitOK {
			return stderrError(r, &errb)
		}
		if err := d.firstSync(); err != nil {
			return err
		}
	}

	// One key, one tunnel: Mode urgence already on in another process of
	// this user (relais up in a terminal) is named and left alone.
	lock, err := r.claimTunnel(d.ctx, d.em, "instance.desk.running")
	if err != nil {
		var ce *cliError
		if errors.As(err, &ce) {
			return errors.New(r.t(ce.key, ce.args...))
		}
		return errors.New(r.describe(err)) // the app says "could not start"
	}

	// The engine's words (a tunnel that cannot start) are in the language
	// of this start; it prints nothing.
	e, _ := d.newRun(io.Discard, io.Discard).newEngine(d.ctx, d.em, tmode, opt)
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
	sess := &deskSession{e: e, db: d.em.db, lock: lock, active: true, final: make(chan struct{})}
	d.mu.Lock()
	d.sess = sess
	d.mu.Unlock()
	sess.unsub = e.Subscribe(d.forward(sess))
	if err := e.Start(d.ctx); err != nil {
		d.end(sess)
		var ce *cliError
		switch {
		case errors.As(err, &ce) && ce.key == "cli.tunnel.no_profile":
			return errors.New(r.t("cli.desk.no_profile"))
		case errors.As(err, &ce):
			return errors.New(r.t(ce.key, ce.args...))
		}
		return errors.New(r.describe(err)) // the app says "could not start"
	}
	d.mu.Lock()
	d.last = e.Snapshot() // the new engine's, not the last one's final state
	d.mu.Unlock()
	sess.stopRec = startRecording(d.ctx, sess.db, func() tunnel.Status {
		st := e.Snapshot().Tunnel
		d.mu.Lock()
		if d.sess == sess && sess.active {
			d.last.Tunnel = st
		}
		d.mu.Unlock()
		return st
	}, d.env.Now)
	go func() {
		<-e.Done() // Stop, Close, or the desk's context ended
		d.end(sess)
	}()
	return nil
}

// firstSync fetches the profile, as `relais profile sync`, when none is
// cached yet: a first start with the network; otherwise it adopts a newer
// bootstrap file (a package upgrade while the app runs).
func (d *Desk) firstSync() error {
	r := d.newRun(io.Discard, io.Discard)
	if _, err := d.m.policy(r).Current(d.ctx); !errors.Is(err, backend.ErrNoProfile) {
		if r.adoptBootstrap(d.ctx, d.m) {
			d.refreshProfile(d.ctx)
		}
		return nil
	}
	_, _, err := d.call(cmdProfileSync)
	d.refreshProfile(d.ctx)
	return err
}

// forward hands the events of one engine to the desk's subscribers,
// keeping the desk's snapshot and profile up to date first. Events come
// coalesced (a busy subscriber gets the latest only), so what changed is
// judged on the snapshot, not on the kind of event.
func (d *Desk) forward(sess *deskSession) func(engine.Event) {
	return func(ev engine.Event) {
		d.mu.Lock()
		newer := ev.Snapshot.Profile.Serial > d.prof.Serial
		d.mu.Unlock()
		if newer { // the engine accepted a newer profile
			d.refreshProfile(d.ctx)
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
func (d *Desk) end(sess *deskSession) {
	sess.endOnce.Do(func() {
		if sess.stopRec != nil {
			sess.stopRec()
		}
		select {
		case <-sess.final:
		case <-time.After(finalEventWait):
		}
		sess.unsub()
		for _, err := range clearRecords(sess.db) {
			_ = sess.db.LogEvent(context.Background(), "engine", err.Error())
		}
		sess.lock.Release()
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
func (d *Desk) Stop() {
	d.op.Lock()
	defer d.op.Unlock()
	d.stop()
}

func (d *Desk) stop() {
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
func (d *Desk) Active() bool {
	d.mu.Lock()
	defer d.mu.Unlock()
	return d.sess != nil && d.sess.active
}

// Recheck asks the engine for a run of the checks now.
func (d *Desk) Recheck() {
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
func (d *Desk) Snapshot() engine.Snapshot {
	d.mu.Lock()
	defer d.mu.Unlock()
	s := d.last
	s.Timeline = slices.Clone(s.Timeline)
	return s
}

// Subscribe calls fn with every event of every engine the desk starts.
func (d *Desk) Subscribe(fn func(engine.Event)) (cancel func()) {
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
func (d *Desk) refreshProfile(ctx context.Context) {
	var (
		st      frontend.ProfileState
		problem func(r *run) string
		assets  = map[string][]byte{}
	)
	cur, err := d.em.policy(d.newRun(io.Discard, io.Discard)).Current(ctx)
	switch {
	case errors.Is(err, backend.ErrNoProfile):
		problem = func(r *run) string { return r.t("cli.desk.no_profile") }
	case errors.Is(err, backend.ErrUnreadable):
		perr := errors.Unwrap(err)
		problem = func(r *run) string { return r.t("cli.profile.show.unreadable", r.describe(perr)) }
	case err != nil:
		problem = func(r *run) string { return r.t("cli.store.read", err.Error()) }
	default:
		c, p := cur.Cached, cur.Profile
		st.Signature = cur.Signature
		if sigErr := cur.SignatureErr; sigErr != nil {
			problem = func(r *run) string { return r.t("cli.desk.signature_invalid", r.describe(sigErr)) }
		}
		// CheckedAt: the last time the source sent or confirmed these bytes.
		st.Profile, st.Serial, st.FetchedAt = p, c.Serial, c.CheckedAt
		// A newer copy refused since (by `relais profile sync` or the
		// bootstrap file of a package upgrade): say why this one stays,
		// from what the store kept, in the app's language.
		if ls, err := d.em.db.LastSync(ctx); err == nil && ls.Outcome == store.OutcomeRefused && !ls.At.Before(c.CheckedAt) && problem == nil {
			serial := c.Serial
			problem = func(r *run) string {
				return r.t("cli.desk.sync_failed", serial, reasonIn(r.lang, ls.Code, reasonDetail(r.lang, ls.Reason)))
			}
		}
		for _, a := range p.Assets {
			if sa, err := d.em.db.Asset(ctx, a.SHA256); err == nil {
				assets[a.ID] = sa.Bytes
			}
		}
	}
	d.mu.Lock()
	d.prof, d.problem, d.assets = st, problem, assets
	d.mu.Unlock()
}

// syncFailed records why the engine's background sync kept the profile.
func (d *Desk) syncFailed(err error) {
	d.mu.Lock()
	defer d.mu.Unlock()
	serial := d.prof.Serial
	d.problem = func(r *run) string { return r.t("cli.desk.sync_failed", serial, r.describe(err)) }
}

// Profile is the cached profile in use, from memory.
func (d *Desk) Profile() frontend.ProfileState {
	d.mu.Lock()
	st, problem := d.prof, d.problem
	d.mu.Unlock()
	if st.Profile != nil {
		st.Expired = st.Profile.Expired(d.env.Now())
	}
	if problem != nil {
		st.Problem = problem(d.newRun(io.Discard, io.Discard))
	}
	return st
}

// Asset returns an asset of the profile in use by its id, from memory.
func (d *Desk) Asset(id string) ([]byte, bool) {
	d.mu.Lock()
	defer d.mu.Unlock()
	b, ok := d.assets[id]
	return b, ok
}

// OpenLink opens an emergency link as `relais open` does; a tunnel link
// goes through the local proxy of Mode urgence's tunnel, and needs it up.
func (d *Desk) OpenLink(id string) error {
	r := d.newRun(io.Discard, io.Discard)
	d.mu.Lock()
	p, sess := d.prof.Profile, d.sess
	d.mu.Unlock()
	if p == nil {
		return errors.New(r.t("cli.desk.no_profile"))
	}
	link, ce := r.findLink(p, id)
	if ce != nil {
		return errors.New(r.t(ce.key, ce.args...))
	}
	var proxy *launch.Proxy
	if link.Via == "tunnel" {
		name := link.Name.In(r.lang)
		if sess == nil || !d.Active() {
			return errors.New(r.t("cli.desk.open_needs_urgence", name))
		}
		st := sess.e.Snapshot().Tunnel
		if !st.Up {
			return errors.New(r.t("cli.desk.open_tunnel_down", name))
		}
		if proxy, ce = tunnelProxy(st); ce != nil {
			return errors.New(r.t(ce.key, ce.args...))
		}
	}
	if _, ce := r.launchLink(d.ctx, d.em.db, p, link, proxy); ce != nil {
		return errors.New(r.t(ce.key, ce.args...))
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
	if v, ok, err := get(settingLanguage); err != nil {
		return s, err
	} else if ok && validLanguage(v) {
		s.Language = v
	}
	if v, ok, err := get(settingAutostart); err != nil {
		return s, err
	} else if b, perr := strconv.ParseBool(v); ok && perr == nil {
		s.Autostart = b
	}
	if v, ok, err := get(settingTunnelMode); err != nil {
		return s, err
	} else if ok && validTunnelMode(v) {
		s.TunnelMode = v
	}
	return s, nil
}

func validLanguage(v string) bool {
	return v == frontend.LanguageAuto || v == frontend.LanguageFR || v == frontend.LanguageEN
}

func validTunnelMode(v string) bool {
	return v == frontend.ModeAuto || v == frontend.ModeUserspace || v == frontend.ModeSystem
}

// Locks says which settings the managed configuration fixes.
func (d *Desk) Locks() frontend.Locks {
	if d.m.managed == nil {
		return frontend.Locks{}
	}
	l := d.m.managed.Locked
	return frontend.Locks{TunnelMode: l.TunnelMode != nil, Autostart: l.Autostart != nil}
}

// Settings are the user's settings with the managed locks applied, from
// memory.
func (d *Desk) Settings() frontend.Settings {
	d.mu.Lock()
	s := d.settings
	d.mu.Unlock()
	if d.m.managed != nil {
		if v := d.m.managed.Locked.TunnelMode; v != nil {
			s.TunnelMode = *v
		}
		if v := d.m.managed.Locked.Autostart; v != nil {
			s.Autostart = *v
		}
	}
	return s
}

// SaveSettings records s in the user's store, then turns autostart on or
// off. A change to a setting the organisation locks is refused; the
// user's own value of a locked setting is kept for the day the lock goes.
func (d *Desk) SaveSettings(s frontend.Settings) error {
	d.save.Lock()
	defer d.save.Unlock()
	r := d.newRun(io.Discard, io.Discard)
	locks, cur := d.Locks(), d.Settings()
	if (locks.TunnelMode && s.TunnelMode != cur.TunnelMode) || (locks.Autostart && s.Autostart != cur.Autostart) {
		return errors.New(r.t("cli.desk.setting_locked"))
	}
	if !validLanguage(s.Language) {
		return errors.New(r.t("cli.desk.bad_language", s.Language))
	}
	if !validTunnelMode(s.TunnelMode) {
		return errors.New(r.t("cli.tunnel.bad_mode", s.TunnelMode))
	}
	d.mu.Lock()
	closed, saved := d.closed, d.settings
	d.mu.Unlock()
	if closed {
		return errors.New(r.t("cli.desk.closed"))
	}
	values := map[string]string{settingLanguage: s.Language}
	saved.Language = s.Language
	if !locks.TunnelMode {
		values[settingTunnelMode] = s.TunnelMode
		saved.TunnelMode = s.TunnelMode
	}
	if !locks.Autostart {
		values[settingAutostart] = strconv.FormatBool(s.Autostart)
		saved.Autostart = s.Autostart
	}
	if err := d.m.db.SetSettings(d.ctx, values); err != nil {
		return errors.New(r.t("cli.desk.save_failed", err.Error()))
	}
	d.mu.Lock()
	d.settings = saved
	d.mu.Unlock()
	if locks.Autostart {
		return nil // applied at open
	}
	if err := d.applyAutostart(s.Autostart); err != nil {
		return errors.New(r.t("cli.desk.autostart_failed", err.Error()))
	}
	return nil
}

// autostartEntry is Relais started at login for this user. Its
// directories follow the environment (HOME, XDG_CONFIG_HOME), which tests
// point at a temporary directory.
func (d *Desk) autostartEntry() (autostart.Entry, error) {
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

func (d *Desk) applyAutostart(on bool) error {
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
		_ = d.m.db.LogEvent(d.ctx, "autostart", "autostart "+strconv.FormatBool(on))
	}
	return err
}

// Identity is the device's WireGuard identity, as `relais key show`
// reads it (the keyring may be slow to answer; a key the keyring holds with
// no record is adopted), and whether Mode urgence can use it.
func (d *Desk) Identity() frontend.Identity {
	code, out, err := d.call(cmdKeyShow, "--json")
	var doc keyShowJSON
	if jerr := json.Unmarshal(out, &doc); jerr != nil {
		if err == nil {
			err = jerr
		}
		return frontend.Identity{Problem: err.Error(), Setup: frontend.SetupNoKeyring}
	}
	var id frontend.Identity
	if doc.Identity != nil {
		id.PublicKey, id.Addresses, id.Source = doc.Identity.PublicKey, doc.Identity.Addresses, doc.Identity.Source
	}
	r := d.newRun(io.Discard, io.Discard)
	switch {
	case code == ExitUsage && err != nil: // no keyring: what to do about it
		id.Problem, id.Setup = err.Error(), frontend.SetupNoKeyring
	case doc.Keyring == "mismatch":
		id.Problem, id.Setup = r.t("cli.desk.key_mismatch"), frontend.SetupKeyMismatch
	case doc.Keyring == "absent" && doc.Identity != nil:
		id.Problem, id.Setup = r.t("cli.desk.key_missing"), frontend.SetupKeyMissing
	case doc.Identity == nil:
		id.Setup = frontend.SetupNone
	case len(id.Addresses) == 0 && !d.profileHasAddress():
		id.Setup = frontend.SetupNoAddress
	default:
		id.Setup = frontend.SetupReady
	}
	if d.dm != nil {
		// The demo office has its own client key: Mode urgence needs
		// nothing of the device's (Problem still says what is wrong).
		id.Setup = frontend.SetupReady
	}
	return id
}

// profileHasAddress reports whether the profile in use gives the device's
// tunnel address (tunnel.address), so that the identity needs none.
func (d *Desk) profileHasAddress() bool {
	d.mu.Lock()
	p := d.prof.Profile
	d.mu.Unlock()
	return p != nil && len(p.Tunnel.Address) > 0
}

// GenerateKey makes a new device key, as `relais key generate`; a device
// that has one keeps it unless replace (frontend.IdentityErrExists).
func (d *Desk) GenerateKey(replace bool) error {
	r := d.newRun(io.Discard, io.Discard)
	_, err := r.generateIdentity(d.ctx, d.m, []string{}, replace)
	return err
}

// ImportConf imports a wg-quick .conf from IT, as `relais key import`
// (replace: as --force).
func (d *Desk) ImportConf(path string, replace bool) error {
	r := d.newRun(io.Discard, io.Discard)
	_, _, err := r.importIdentity(d.ctx, d.m, path, replace)
	return err
}

// DeleteKey deletes the device's identity, as `relais key delete`.
func (d *Desk) DeleteKey() error {
	r := d.newRun(io.Discard, io.Discard)
	_, err := r.deleteIdentity(d.ctx, d.m)
	return err
}

// Close stops Mode urgence, clears its records, stops the demo office and
// closes the stores. The desk cannot start again.
func (d *Desk) Close() {
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
	if d.dm != nil {
		d.dm.Close()
	}
	d.m.Close()
}
