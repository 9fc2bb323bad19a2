package cli

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"strings"
	"sync"
	"time"

	"relais/internal/backend"
	"relais/internal/checks"
	"relais/internal/engine"
	"relais/internal/frontend"
	"relais/internal/i18n"
	"relais/internal/status"
	"relais/internal/tunnel"
)

func cmdUp(ctx context.Context, r *run, args []string) int {
	fs := flag.NewFlagSet("relais up", flag.ContinueOnError)
	modeFlag := enumFlag(fs, "mode", "", "cli.tunnel.flag.mode", string(tunnel.ModeAuto), string(tunnel.ModeUserspace), string(tunnel.ModeSystem))
	socks := fs.String("socks", "", "cli.tunnel.flag.socks")
	httpProxy := fs.String("http-proxy", "", "cli.tunnel.flag.http_proxy")
	recheck := fs.Duration("recheck", engine.DefaultRecheckInterval, "cli.tunnel.flag.recheck")
	asJSON := fs.Bool("json", false, "cli.flag.json")
	if !r.parseNoArgs(fs, args, "cli.tunnel.up.usage") {
		return ExitUsage
	}
	if *recheck <= 0 {
		return r.fail(ExitUsage, "cli.tunnel.bad_recheck", recheck.String())
	}
	m, code := r.openMachine(false)
	if m == nil {
		return code
	}
	defer m.Close()
	// One key, one tunnel: a second relais up (or the app's Mode urgence
	// already on) is named and left alone. Mode urgence, as `relais check`
	// runs it, but until stopped: the tunnel with its local proxies, the
	// checks every --recheck and after a network change, each report and
	// the live record in the store.
	sess, mode, err := m.UpSession(ctx, *modeFlag, backend.SessionOptions{Recheck: *recheck, Proxies: true, SOCKS: *socks, HTTP: *httpProxy})
	if err != nil {
		return r.startFail(err)
	}
	pr := &upPrinter{r: r}
	unsubscribe := sess.Engine.Subscribe(pr.event)
	defer func() {
		unsubscribe()
		pr.close()
	}()

	// Progress as it goes: the tunnel's lines follow once it is up. The
	// first start of the tunnel decides whether up starts at all (exit 2);
	// a tunnel lost later is retried by the engine.
	r.say("cli.up.starting", r.modeWords(mode))
	if err := sess.Start(ctx, r.recordFailed); err != nil {
		return r.startFail(err)
	}
	st, err := sess.WaitUp(ctx) // the session is over if the tunnel did not come up
	if err != nil {
		pr.close()
		switch {
		case ctx.Err() != nil:
			return ExitOK // stopped before the tunnel was up
		case errors.Is(err, tunnel.ErrNotLoopback):
			return r.fail(ExitUsage, "cli.tunnel.not_loopback")
		}
		return r.fail(ExitUsage, "cli.tunnel.start_failed", r.modeWords(mode), r.describe(err))
	}
	if *asJSON {
		r.printJSON(tunnelDoc(st))
	} else {
		r.out("cli.tunnel.up.mode", r.modeWords(st.Mode), st.EndpointShown())
		if st.SOCKS5 != "" {
			r.out("cli.tunnel.up.socks", st.SOCKS5)
		}
		if st.HTTPProxy != "" {
			r.out("cli.tunnel.up.http", st.HTTPProxy)
		}
	}
	r.say("cli.tunnel.up.foreground")
	pr.start()
	select {
	case <-ctx.Done():
	case <-sess.Done():
	}

	r.say("cli.tunnel.up.stopping")
	pr.close()        // nothing more is printed of the state
	err = sess.Down() // the checks stop, the tunnel goes down, the record goes
	if err != nil {
		return r.fail(ExitUnhealthy, "cli.tunnel.close_failed", r.describe(err))
	}
	r.say("cli.tunnel.up.down")
	return ExitOK
}

// upPrinter tells the person running `relais up`, on stderr, when Mode
// urgence changes (status.UpWatch): operational, degraded or not
// operational with the essential apps at fault and why, the time to
// operational once, a tunnel that cannot come back.
type upPrinter struct {
	r *run

	mu     sync.Mutex
	ready  bool // the tunnel lines are printed: state lines may follow
	closed bool // up is finishing: nothing more is printed
	latest *engine.Snapshot
	watch  status.UpWatch
}

func (p *upPrinter) event(ev engine.Event) {
	p.mu.Lock()
	defer p.mu.Unlock()
	s := ev.Snapshot
	p.latest = &s
	if p.ready && !p.closed {
		p.print(s)
	}
}

// start lets state lines through, beginning with the current state.
func (p *upPrinter) start() {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.ready = true
	if p.latest != nil && !p.closed {
		p.print(*p.latest)
	}
}

// close stops the printing; after it returns, nothing more is written.
func (p *upPrinter) close() {
	p.mu.Lock()
	p.closed = true
	p.mu.Unlock()
}

func (p *upPrinter) print(s engine.Snapshot) {
	r := p.r
	at := r.Now().Local().Format(time.TimeOnly)
	n := p.watch.See(s)
	if n.TunnelFailure != "" {
		r.say("cli.up.tunnel_failed", at, strings.TrimSuffix(r.t("verdict.tunnel."+n.TunnelFailure), "."))
		if n.TunnelError != "" {
			r.say("cli.details", n.TunnelError)
		}
	}
	// The verdict's sentence, as Accueil, the tray and `relais status`
	// word it, then what does not answer, one line each.
	if n.Verdict != nil {
		r.say("cli.up.verdict", at, r.verdictSentence(*n.Verdict))
		for _, f := range n.Faults {
			r.say("cli.up.fault_line", r.faultWords(f))
		}
	}
	if n.TimeToOperational != nil {
		r.say("cli.engine.time_to_operational", i18n.Duration(r.lang, *n.TimeToOperational))
	}
}

// faultWords is an essential app at fault in the user's language: the
// reason of its check (the reason names the app), else its state.
func (r *run) faultWords(f status.Fault) string {
	if f.Reason != nil {
		return f.Reason.Text.In(r.lang)
	}
	name := f.App.Name.In(r.lang)
	if name == "" {
		name = f.App.ID
	}
	return r.t("cli.up.fault", name, r.stateWord(f.App.State))
}

// statusJSON is `relais status --json`.
type statusJSON struct {
	// Demo: what the desktop app records while it runs the embedded demo
	// office (a machine without managed configuration).
	Demo bool `json:"demo,omitempty"`
	// DiskFull: the disk of the store is full, so what follows is the last
	// state recorded and may be out of date (a tunnel may be up unrecorded).
	DiskFull bool               `json:"disk_full,omitempty"`
	Tunnel   *tunnelStateJSON   `json:"tunnel"` // null: no tunnel recorded
	Profile  *profileStatusJSON `json:"profile"`
	Engine   *engineStatusJSON  `json:"engine"`  // null: Mode urgence never recorded
	Checks   []statusCheckJSON  `json:"checks"`  // the last run's results, from the history
	Verdict  verdictJSON        `json:"verdict"` // Mode urgence's verdict (MachineStatus.Verdict)
	// Apps are the apps of the last report Mode urgence recorded, each
	// with its state ("maintenance" during its announced window).
	Apps []statusAppJSON `json:"apps"`
	// Notices are the organisation's active notices, Maintenance the
	// announced windows that hold now, NoticesSync which document they
	// come from (null: the profile names no notices).
	Notices     []noticeJSON      `json:"notices"`
	Maintenance []maintenanceJSON `json:"maintenance"`
	NoticesSync *noticesSyncJSON  `json:"notices_sync"`
	SystemProxy systemProxyJSON   `json:"system_proxy"`
	notices     frontend.NoticesState
}

// systemProxyJSON is the person's proxy setting during Mode urgence:
// State "off" (the setting is off), "pointed" (pointed at the PAC now),
// "restored" (on, and the person's own values are in place), "failed"
// (on, and the running Mode urgence could not point it: Problem says why,
// "no_desktop" or "set_failed").
type systemProxyJSON struct {
	State   string `json:"state"`
	Problem string `json:"problem,omitempty"`
	On      bool   `json:"on"`
	Locked  bool   `json:"locked"`
}

// statusAppJSON is an app as the last recorded report left it.
type statusAppJSON struct {
	ID          string              `json:"id"`
	Name        textJSON            `json:"name"`
	Criticality string              `json:"criticality"`
	State       string              `json:"state"`
	Maintenance *status.Maintenance `json:"maintenance,omitempty"`
}

// engineStatusJSON is the Mode urgence engine as its process last
// recorded it.
type engineStatusJSON struct {
	Phase               engine.Phase           `json:"phase"`
	PID                 int                    `json:"pid"`
	UpdatedAt           time.Time              `json:"updated_at"`
	Stopped             bool                   `json:"stopped"`
	Stale               bool                   `json:"stale"` // the process is gone without recording its end
	Runs                int                    `json:"runs"`
	TimeToOperationalMS *float64               `json:"time_to_operational_ms"`
	Timeline            []engine.TimelineEntry `json:"timeline"`
	// TunnelErrorCode is why the tunnel failed (engine.TunnelFailureCodes:
	// revoked for a key the enrolment server revoked); "" when it did not.
	TunnelErrorCode string `json:"tunnel_error_code,omitempty"`
	// verdict is the recorded verdict, worded by the text output.
	verdict engine.Verdict
}

type statusCheckJSON struct {
	ID         string    `json:"id"`
	AppID      string    `json:"app_id"`
	Type       string    `json:"type"`
	State      string    `json:"state"`
	DurationMS float64   `json:"duration_ms"`
	ReasonCode string    `json:"reason_code,omitempty"`
	At         time.Time `json:"at"`
}

// tunnelJSON is a tunnel's status as a --json document says it: no
// zero date for a tunnel without a handshake yet (null).
type tunnelJSON struct {
	tunnel.Status
	LastHandshake *time.Time `json:"last_handshake"` // null: no handshake yet
}

func tunnelDoc(st tunnel.Status) tunnelJSON {
	doc := tunnelJSON{Status: st}
	if !st.LastHandshake.IsZero() {
		t := st.LastHandshake
		doc.LastHandshake = &t
	}
	return doc
}

type tunnelStateJSON struct {
	tunnelJSON
	PID               int       `json:"pid"`
	UpdatedAt         time.Time `json:"updated_at"`
	Stale             bool      `json:"stale"`
	StaleReason       string    `json:"stale_reason,omitempty"` // process_gone | old_record
	LastHandshakeAgeS *float64  `json:"last_handshake_age_s"`   // null: no handshake yet
}

type profileStatusJSON struct {
	Serial    int64  `json:"serial"`
	Signed    bool   `json:"signed"`
	Signature string `json:"signature"` // valid | invalid | not_checked
	Expired   bool   `json:"expired"`
}

func cmdStatus(ctx context.Context, r *run, args []string) int {
	fs := flag.NewFlagSet("relais status", flag.ContinueOnError)
	asJSON := fs.Bool("json", false, "cli.flag.json")
	if !r.parseNoArgs(fs, args, "cli.tunnel.status.usage") {
		return ExitUsage
	}
	m, code := r.openMachine(false)
	if m == nil {
		return code
	}
	defer m.Close()
	st, err := m.Status(ctx)
	if err != nil {
		return r.failErr(ExitUsage, err)
	}
	r.canEnrol = m.EnrolPlan(ctx).URL != ""
	doc := statusJSON{Demo: st.Demo, DiskFull: st.DiskFull, Checks: []statusCheckJSON{}, Apps: []statusAppJSON{}, notices: st.Notices}
	doc.Notices, doc.Maintenance, doc.NoticesSync = noticesDoc(st.Notices)
	sp := st.SystemProxy
	doc.SystemProxy = systemProxyJSON{State: sp.State, Problem: sp.Problem, On: sp.On, Locked: sp.Locked}
	if l := st.Live; l != nil {
		t := &tunnelStateJSON{tunnelJSON: tunnelDoc(l.Tunnel()), PID: l.PID, UpdatedAt: l.UpdatedAt, Stale: l.Stale != backend.LiveFresh, StaleReason: string(l.Stale)}
		if age := t.HandshakeAge(r.Now()); age >= 0 {
			s := age.Seconds()
			t.LastHandshakeAgeS = &s
		}
		if l.TunnelRecorded() {
			doc.Tunnel = t
		}
		if snap := l.Snapshot; l.EngineRecorded() {
			e := &engineStatusJSON{Phase: snap.Phase, PID: l.PID, UpdatedAt: l.UpdatedAt, Stopped: snap.Stopped, Stale: l.EngineStale(),
				Runs: snap.Runs, Timeline: snap.Timeline, TunnelErrorCode: snap.TunnelFailure(), verdict: engine.VerdictOf(snap)}
			if snap.TimeToOperational != nil {
				ms := float64(*snap.TimeToOperational) / float64(time.Millisecond)
				e.TimeToOperationalMS = &ms
			}
			doc.Engine = e
			if snap.Report != nil {
				for _, a := range snap.Report.Apps {
					doc.Apps = append(doc.Apps, statusAppJSON{ID: a.ID, Name: textJSON{a.Name.FR, a.Name.EN}, Criticality: a.Criticality,
						State: string(a.State), Maintenance: a.Maintenance})
				}
			}
		}
	}
	for _, c := range st.Checks {
		doc.Checks = append(doc.Checks, statusCheckJSON{ID: c.CheckID, AppID: c.AppID, Type: c.Type, State: c.State,
			DurationMS: float64(c.Duration) / float64(time.Millisecond), ReasonCode: c.ReasonCode, At: c.At})
	}
	var sigErr error
	if p := st.Profile; p != nil {
		doc.Profile = &profileStatusJSON{Serial: p.Serial, Signed: p.Signed(), Signature: p.Signature, Expired: p.Expired}
		sigErr = p.SignatureErr
	}
	doc.Verdict = newVerdictJSON(st.Verdict())
	up := doc.Tunnel != nil && doc.Tunnel.Up && !doc.Tunnel.Stale
	if *asJSON {
		r.printJSON(doc)
	} else {
		r.printStatus(doc, sigErr)
	}
	if up {
		return ExitOK
	}
	return ExitUnhealthy
}

func (r *run) printStatus(doc statusJSON, sigErr error) {
	if doc.Demo {
		r.out("cli.desk.status_demo")
	}
	r.printNotices(doc.notices)
	if doc.DiskFull {
		r.out("store.disk_full.status")
	}
	switch t := doc.Tunnel; {
	case t == nil && doc.DiskFull:
		r.out("store.disk_full.tunnel_unknown") // not "none up": it may be up, unrecorded
	case t == nil:
		r.out("cli.tunnel.status.none")
	case t.StaleReason == "process_gone":
		r.out("cli.tunnel.status.stale_gone", t.PID, t.UpdatedAt.Local().Format(time.DateTime))
	case t.Stale:
		r.out("cli.tunnel.status.stale_old", t.UpdatedAt.Local().Format(time.DateTime))
	case !t.Up:
		r.out("cli.tunnel.status.down", r.modeWords(t.Mode))
	default:
		r.out("cli.tunnel.status.up", r.modeWords(t.Mode), t.EndpointShown())
		if t.LastHandshakeAgeS != nil {
			r.out("cli.tunnel.status.handshake", i18n.Duration(r.lang, time.Duration(*t.LastHandshakeAgeS*float64(time.Second))))
		} else {
			r.out("cli.tunnel.status.no_handshake")
		}
		r.out("cli.tunnel.status.bytes", t.RxBytes, t.TxBytes)
		if t.SOCKS5 != "" {
			r.out("cli.tunnel.up.socks", t.SOCKS5)
		}
		if t.HTTPProxy != "" {
			r.out("cli.tunnel.up.http", t.HTTPProxy)
		}
	}
	if sp := doc.SystemProxy; sp.State != backend.SystemProxyOff || sp.Locked {
		r.out("cli.status.system_proxy." + sp.State)
		if sp.Problem != "" {
			r.out("cli.status.system_proxy.problem." + sp.Problem)
		}
		if sp.Locked {
			r.out("cli.status.system_proxy.managed")
		}
	}
	switch p := doc.Profile; {
	case p == nil:
		r.out(r.statusKey("cli.tunnel.status.no_profile"))
	case p.Signature == "valid":
		r.out("cli.tunnel.status.profile_valid", p.Serial)
	case p.Signature == "invalid":
		r.out("cli.tunnel.status.profile_invalid", p.Serial, r.describe(sigErr))
	default:
		r.out("cli.tunnel.status.profile_unchecked", p.Serial)
	}
	if doc.Profile != nil && doc.Profile.Expired {
		r.out("cli.tunnel.status.profile_expired")
	}
	if e := doc.Engine; e != nil {
		// The verdict, in the words of the app's Accueil, tray and summary;
		// none for a process gone without recording its end.
		at := e.UpdatedAt.Local().Format(time.DateTime)
		switch {
		case e.Stale:
			r.out("cli.engine.status_stale", e.PID, at)
		case e.Stopped:
			fmt.Fprintln(r.Stdout, r.verdictSentence(e.verdict))
			r.out("cli.engine.status_stopped", at)
		default:
			fmt.Fprintln(r.Stdout, r.verdictSentence(e.verdict))
			r.out("cli.engine.status", e.PID, at)
		}
		if e.TunnelErrorCode != "" && !e.Stale {
			r.out("verdict.cause", r.tunnelCause(e.TunnelErrorCode))
		}
		if e.TimeToOperationalMS != nil {
			r.out("cli.engine.time_to_operational", i18n.Duration(r.lang, time.Duration(*e.TimeToOperationalMS*float64(time.Millisecond))))
		}
	}
	if len(doc.Checks) == 0 {
		r.out(r.statusKey("cli.check.history_none"))
		return
	}
	r.out("cli.check.history", doc.Checks[0].At.Local().Format(time.DateTime))
	for _, c := range doc.Checks {
		r.out("cli.check.history_row", stateMark(checks.State(c.State)), c.ID, r.stateWord(checks.State(c.State)), c.DurationMS, c.ReasonCode)
	}
}
