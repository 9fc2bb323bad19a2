package app

import (
	"cmp"
	"image/color"
	"sort"
	"strings"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/canvas"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"

	"relais/internal/drills"
	"relais/internal/frontend"
	"relais/internal/profile"
	"relais/internal/status"
)

// home is the Accueil screen: the Mode urgence button, the overall state in
// one sentence, each step of the connection as it happens, the time to
// operational, the profile in use and the next drill window.
type home struct {
	u *ui

	urgence  *widget.Button
	state    *widget.Label // the overall state, one sentence
	problems *widget.Label // which essential apps do not answer, or answer slowly
	failure  *widget.Label // why Mode urgence could not start
	tto      *widget.Label
	steps    *fyne.Container
	profile  *widget.Label
	problem  *widget.Label // the profile's problem, when the backend reports one
	drill    *widget.Label
	drillGo  *widget.Button    // the banner of an open drill window: to the Exercices tab
	setupGo  *widget.Button    // to Réglages, when the device is not set up
	portalGo *widget.Button    // behind a captive portal: opens its login page in the desktop's browser
	sysProxy *widget.Label     // the programs' proxy setting could not be pointed at Relais (home_sysproxy.go)
	enrol    *enrolPanel       // "Enrôler ce poste", when the device can enrol (enrol.go)
	links    *linkList         // the emergency links, compact (links.go)
	notices  *noticeBanner     // the organisation's notices (notices.go)
	box      *fyne.Container   // all of the above, laid out again when a line shows or hides
	scroll   *container.Scroll // holds box

	starting bool   // Start is under way
	stopping bool   // Stop is under way
	startErr string // the last Start's error, as the backend worded it

	// onOpenDrills shows the Exercices tab; the shell sets it. The banner
	// of an open drill window shows only when it is set.
	onOpenDrills func()
	// onOpenSettings shows the Réglages tab; the shell sets it.
	onOpenSettings func()
	// onEnrolled tells the rest of the window that Accueil enrolled the
	// device (Réglages reads the identity again); the shell sets it.
	onEnrolled func()

	identity *frontend.Identity // nil until read

	// The runs of this device, for the drill banner: read in the
	// background at most every drillRunsEvery (0: every 5 s).
	drillRuns        []*drills.Run
	drillDels        map[string]frontend.Delivery // completed runs' report delivery
	drillRunsAt      time.Time
	drillRunsLoading bool
	drillRunsEvery   time.Duration
}

// Minimum size of the Mode urgence button: big enough to find at once on a
// 1024×600 screen, small enough to leave room for the steps below it.
var urgenceSize = fyne.NewSize(320, 72)

func newHome(u *ui) *home {
	return &home{
		u:        u,
		urgence:  &widget.Button{Importance: widget.HighImportance, Icon: theme.MediaPlayIcon()},
		state:    &widget.Label{Alignment: fyne.TextAlignCenter, Wrapping: fyne.TextWrapWord, TextStyle: fyne.TextStyle{Bold: true}, SizeName: theme.SizeNameSubHeadingText},
		problems: &widget.Label{Alignment: fyne.TextAlignCenter, Wrapping: fyne.TextWrapWord},
		failure:  &widget.Label{Alignment: fyne.TextAlignCenter, Wrapping: fyne.TextWrapWord, Importance: widget.DangerImportance},
		tto:      &widget.Label{Alignment: fyne.TextAlignCenter, Wrapping: fyne.TextWrapWord},
		steps:    container.NewVBox(),
		profile:  &widget.Label{Wrapping: fyne.TextWrapWord},
		problem:  &widget.Label{Wrapping: fyne.TextWrapWord, Importance: widget.WarningImportance},
		drill:    &widget.Label{Wrapping: fyne.TextWrapWord},
		drillGo:  &widget.Button{Icon: theme.DocumentIcon(), Importance: widget.WarningImportance},
		setupGo:  &widget.Button{Icon: theme.SettingsIcon()},
		portalGo: &widget.Button{Icon: theme.ComputerIcon(), Importance: widget.WarningImportance},
		sysProxy: &widget.Label{Alignment: fyne.TextAlignCenter, Wrapping: fyne.TextWrapWord, Importance: widget.WarningImportance},
	}
}

func (h *home) content() fyne.CanvasObject {
	// The transparent rectangle gives the button its minimum size; the
	// button still grows with the window.
	space := canvas.NewRectangle(color.Transparent)
	space.SetMinSize(urgenceSize)
	button := container.NewCenter(container.NewStack(space, h.urgence))
	h.drillGo.OnTapped = func() {
		if h.onOpenDrills != nil {
			h.onOpenDrills()
		}
	}
	h.setupGo.OnTapped = func() {
		if h.onOpenSettings != nil {
			h.onOpenSettings()
		}
	}
	h.notices = newNoticeBanner(h.u)
	h.enrol = newEnrolPanel(h)
	h.box = container.NewVBox(
		h.notices.box,
		h.drillGo,
		button,
		h.state,
		container.NewCenter(h.setupGo),
		h.enrol.box,
		h.problems,
		container.NewCenter(h.portalGo),
		h.sysProxy,
		h.failure,
		h.tto,
		h.steps,
		widget.NewSeparator(),
		h.profile,
		h.problem,
		h.drill,
	)
	h.links = newLinkList(h.u, func() { relayout(h.box, h.scroll) })
	h.box.Add(h.links.box)
	h.scroll = container.NewVScroll(h.box)
	h.refresh()
	h.identityChanged()
	return h.scroll
}

// identityChanged reads the device's identity again (the keyring may
// block): at start, and when Réglages changed it.
func (h *home) identityChanged() {
	b := h.u.b
	h.u.background(func() {
		id := b.Identity()
		fyne.Do(func() {
			h.identity = &id
			h.refresh()
		})
	})
}

// notSetUp reports whether Mode urgence cannot work yet for want of the
// identity IT issues (a key, a tunnel address).
func (h *home) notSetUp() bool {
	return h.identity != nil && (h.identity.Setup == frontend.SetupNone || h.identity.Setup == frontend.SetupNoAddress)
}

// identityProblem is the identity's problem when it keeps Mode urgence
// from starting (the keyring lost the key, holds another, or does not
// answer), as the backend worded it for people; "" otherwise.
func (h *home) identityProblem() string {
	if h.identity == nil {
		return ""
	}
	switch h.identity.Setup {
	case frontend.SetupKeyMissing, frontend.SetupKeyMismatch, frontend.SetupNoKeyring:
		return words(h.identity.Problem)
	}
	return ""
}

// setupSentence says what is missing and what to do, naming the profile's
// helpdesk when it has one.
func (h *home) setupSentence() string {
	if h.enrol != nil && h.enrol.offered() {
		return tr("app.enrol.intro", h.identity.EnrolHost)
	}
	what := "app.identity.home.no_key"
	if h.identity.Setup == frontend.SetupNoAddress {
		what = "app.identity.home.no_address"
	}
	if c := helpdeskContact(h.u.prof.Profile, h.u.lang); c != "" {
		return tr(what+"_call", c)
	}
	return tr(what)
}

// helpdeskContact is the profile's first helpdesk contact as "name, phone"
// (or its e-mail when it has no phone); "" when there is none.
func helpdeskContact(p *profile.Profile, lang string) string {
	if p == nil {
		return ""
	}
	for _, c := range p.Contacts {
		if c.Role != "helpdesk" {
			continue
		}
		var parts []string
		if n := strings.TrimSpace(c.Name.In(lang)); n != "" {
			parts = append(parts, n)
		}
		if c.Phone != "" {
			parts = append(parts, c.Phone)
		} else if c.Email != "" {
			parts = append(parts, c.Email)
		}
		return strings.Join(parts, ", ")
	}
	return ""
}

func (h *home) refresh() {
	u := h.u
	p := u.prof.Profile
	on := urgenceOn(u)

	b := h.urgence
	switch {
	case h.starting:
		b.Text, b.Icon, b.Importance = tr("app.home.button.starting"), theme.MediaPlayIcon(), widget.HighImportance
		b.Disable()
	case h.stopping:
		b.Text, b.Icon, b.Importance = tr("app.home.button.stopping"), theme.MediaStopIcon(), widget.MediumImportance
		b.Disable()
	case on:
		b.Text, b.Icon, b.Importance = tr("app.home.button.stop"), theme.MediaStopIcon(), widget.MediumImportance
		b.OnTapped = h.onStop
		b.Enable()
	default:
		b.Text, b.Icon, b.Importance = tr("app.home.button.start"), theme.MediaPlayIcon(), widget.HighImportance
		b.OnTapped = h.onUrgence
		if p == nil || h.notSetUp() {
			b.Disable()
		} else {
			b.Enable()
		}
	}
	h.urgence.Refresh()

	state, problems := h.sentences(on)
	h.state.SetText(state)
	showText(h.problems, problems)
	failure := h.startErr
	setup := h.notSetUp() && p != nil && !h.starting && !h.stopping
	if setup {
		failure = "" // the sentence above says what to do instead
	} else if pr := h.identityProblem(); failure != "" && pr != "" {
		failure = tr("app.home.start_failed", pr)
	}
	h.refreshPortal(on)
	h.refreshSystemProxy(on)
	showText(h.failure, failure)
	if setup && h.onOpenSettings != nil && (h.enrol == nil || !h.enrol.offered()) {
		h.setupGo.SetText(tr("app.identity.home.open_settings"))
		h.setupGo.Show()
	} else {
		h.setupGo.Hide()
	}

	tto := ""
	if s := currentSnapshot(u); on && s.TimeToOperational != nil {
		tto = tr("app.home.tto", duration(u.lang, *s.TimeToOperational))
	}
	showText(h.tto, tto)

	h.steps.Objects = h.steps.Objects[:0]
	if on || h.starting {
		for _, st := range progressSteps(u) {
			h.steps.Add(stepRow(st))
		}
	}
	h.steps.Refresh()

	showText(h.profile, h.profileLine())
	showText(h.problem, words(u.prof.Problem))
	showText(h.drill, h.drillLine())
	if h.notices != nil {
		h.notices.refresh()
	}
	h.refreshDrillBanner()
	if reloadDue(h.drillRunsLoading, h.drillRunsAt, cmp.Or(h.drillRunsEvery, 5*time.Second)) {
		h.loadDrillRuns()
	}
	if h.links != nil {
		h.links.refresh()
	}
	if h.enrol != nil {
		h.enrol.refresh()
	}
	relayout(h.box, h.scroll)
}

// relayout lays Accueil out again after a line showed or hid.
func (h *home) relayout() { relayout(h.box, h.scroll) }

// sentences is the overall state in one sentence — Mode urgence's
// verdict (status.Judge), worded as the tray, the status summary, the CLI
// and a bundle word it — and below it which essential apps do not answer
// or answer slowly, or why the tunnel failed ("" when nothing to add).
// Before the verdict applies (no profile, starting, stopping, the device
// not set up), the sentence says that instead.
func (h *home) sentences(on bool) (state, problems string) {
	u := h.u
	s := currentSnapshot(u)
	switch {
	case u.prof.Profile == nil:
		return tr("app.home.state.no_profile"), ""
	case h.starting:
		return tr("app.home.state.starting"), ""
	case h.stopping:
		return tr("app.home.state.stopping"), ""
	case h.notSetUp() && (!on || s.TunnelFailure() != ""):
		return h.setupSentence(), ""
	case !on:
		return verdictSentence(u.lang, trayVerdict(s, false)), tr("app.home.off_hint")
	}
	v := trayVerdict(s, true)
	state = verdictSentence(u.lang, v)
	if v.TunnelFailed {
		cause := tr(tunnelCauseKey(s))
		if p := h.identityProblem(); p != "" {
			cause = p
		}
		if c := helpdeskContact(u.prof.Profile, u.lang); s.TunnelFailure() == status.TunnelRevoked && c != "" {
			cause = tr("app.home.revoked_call", c)
		}
		return state, tr("verdict.cause", cause)
	}
	if s.Report == nil {
		return state, ""
	}
	var down, slow, planned []string
	for _, a := range s.Report.Apps {
		if a.Criticality != "essential" {
			continue
		}
		switch a.State {
		case status.StateOK:
		case status.StateDegraded:
			slow = append(slow, appName(u, a))
		case status.StateMaintenance:
			planned = append(planned, appName(u, a))
		default:
			down = append(down, appName(u, a))
		}
	}
	var lines []string
	if len(down) == 1 {
		lines = append(lines, tr("app.home.down_one", down[0]))
	} else if len(down) > 1 {
		lines = append(lines, tr("app.home.down_many", joinNames(down)))
	}
	if len(slow) == 1 {
		lines = append(lines, tr("app.home.slow_one", slow[0]))
	} else if len(slow) > 1 {
		lines = append(lines, tr("app.home.slow_many", joinNames(slow)))
	}
	if len(planned) > 0 {
		lines = append(lines, tr("app.home.maintenance", joinNames(planned)))
	}
	return state, strings.Join(lines, " ")
}

// profileLine says which profile is in use and how fresh it is: "Profil
// n° 7, signé, vérifié il y a 3 min".
func (h *home) profileLine() string {
	ps := h.u.prof
	if ps.Profile == nil {
		return ""
	}
	parts := []string{tr("app.home.profile.serial", ps.Serial)}
	switch ps.Signature {
	case "valid":
		parts = append(parts, tr("app.home.profile.signed"))
	case "invalid":
		parts = append(parts, tr("app.home.profile.bad_signature"))
	default:
		parts = append(parts, tr("app.home.profile.unchecked"))
	}
	if a := ago(h.u.now(), ps.FetchedAt); a != "" {
		parts = append(parts, tr("app.home.profile.fetched", a))
	}
	if ps.Expired {
		parts = append(parts, tr("app.home.profile.expired"))
	}
	return strings.Join(parts, ", ")
}

// drillLine names the drill whose window is open, or the next one.
func (h *home) drillLine() string {
	now := h.u.now()
	d, open := drillWindow(h.u.prof.Profile, now)
	switch {
	case d == nil:
		return ""
	case open:
		return tr("app.home.drill.open", d.Title.In(h.u.lang), longDate(now, d.Closes))
	}
	return tr("app.home.drill.next", d.Title.In(h.u.lang), longDate(now, d.Opens))
}

// onUrgence starts Mode urgence. The button says "Connexion…" and stays
// disabled until Start returns; an error stays on the screen as a sentence
// until the next try.
func (h *home) onUrgence() {
	if h.starting || h.u.prof.Profile == nil {
		return
	}
	h.starting, h.startErr = true, ""
	h.refresh()
	b := h.u.b
	h.u.background(func() {
		err := b.Start("")
		fyne.Do(func() {
			h.starting = false
			if err != nil {
				h.startErr = tr("app.home.start_failed", words(err))
			}
			h.refresh()
			// What Mode urgence found of the identity (a key the keyring
			// lost): read it again, to say what to do.
			h.identityChanged()
		})
	})
}

// onStop leaves Mode urgence.
func (h *home) onStop() {
	if h.stopping {
		return
	}
	h.stopping, h.startErr = true, ""
	h.refresh()
	b := h.u.b
	h.u.background(func() {
		b.Stop()
		fyne.Do(func() {
			h.stopping = false
			h.refresh()
		})
	})
}

// refreshDrillBanner shows the banner of an open drill window: take it
// now, resume it at its step, or when it was done and whether its report
// was sent.
func (h *home) refreshDrillBanner() {
	d, open := drillWindow(h.u.prof.Profile, h.u.now())
	if !open || h.onOpenDrills == nil {
		h.drillGo.Hide()
		return
	}
	title := d.Title.In(h.u.lang)
	text := tr("app.drills.banner", title)
	var done *drills.Run
	for _, r := range h.drillRuns { // newest first
		if r.DrillID != d.ID {
			continue
		}
		if r.State == drills.RunActive {
			text = tr("app.drills.banner.resume", title, min(r.Current()+1, len(r.Steps)), len(r.Steps))
			done = nil
			break
		}
		if done == nil && r.State == drills.RunCompleted {
			done = r
		}
	}
	if done != nil {
		when := longDate(h.u.now(), done.Finished)
		switch h.drillDels[done.ID].State {
		case frontend.DeliveryDelivered, frontend.DeliveryPending, frontend.DeliveryRejected:
			text = tr("app.drills.banner.done_delivery", title, when, tr("app.drills.banner.delivery."+h.drillDels[done.ID].State))
		default:
			text = tr("app.drills.banner.done", title, when)
		}
	}
	h.drillGo.SetText(text)
	h.drillGo.Show()
}

// loadDrillRuns reads the runs and their reports' delivery in the
// background, then shows the banner again.
func (h *home) loadDrillRuns() {
	if h.u.prof.Profile == nil || len(h.u.prof.Profile.Drills) == 0 {
		return
	}
	h.drillRunsLoading = true
	b := h.u.b
	h.u.background(func() {
		runs, err := b.Runs()
		dels := map[string]frontend.Delivery{}
		for _, r := range runs {
			if r.State == drills.RunCompleted {
				dels[r.ID] = b.Delivery(r.ID)
			}
		}
		fyne.Do(func() {
			h.drillRunsLoading, h.drillRunsAt = false, time.Now()
			if err == nil {
				h.drillRuns, h.drillDels = runs, dels
			}
			h.refreshDrillBanner()
			if h.box != nil {
				relayout(h.box, h.scroll)
			}
		})
	})
}

// drillWindow returns the drill whose window is open at now (open true; the
// one closing soonest when several are), else the next to open (open
// false), else nil. A window includes its opening instant, not its closing
// one.
func drillWindow(p *profile.Profile, now time.Time) (d *profile.Drill, open bool) {
	if p == nil {
		return nil, false
	}
	for i := range p.Drills {
		x := &p.Drills[i]
		if !now.Before(x.Opens) && now.Before(x.Closes) && (!open || x.Closes.Before(d.Closes)) {
			d, open = x, true
		}
	}
	if open {
		return d, true
	}
	for i := range p.Drills {
		x := &p.Drills[i]
		if now.Before(x.Opens) && (d == nil || x.Opens.Before(d.Opens)) {
			d = x
		}
	}
	return d, false
}

// urgenceOn reports whether Mode urgence is on: the backend knows, from
// memory, without blocking.
func urgenceOn(u *ui) bool { return u.b.Active() }

// currentSnapshot is u.snap, or an empty snapshot while it is still the
// previous session's (Mode urgence just started, the first event not yet
// shown).
func currentSnapshot(u *ui) status.Snapshot {
	if u.snap.Stopped {
		return status.Snapshot{Phase: status.PhaseConnecting}
	}
	return u.snap
}

// stepState is the state of one step of the connection.
type stepState int

const (
	stepWaiting     stepState = iota // not started yet
	stepRunning                      // under way
	stepOK                           // done
	stepSlow                         // done, but an app answers slowly
	stepFailed                       // failed
	stepBlocked                      // not checked: blocked by another step
	stepMaintenance                  // down during its announced maintenance window
)

// progressStep is one line of the connection's progress.
type progressStep struct {
	state stepState
	text  string
}

// progressSteps lists what Mode urgence does, each step with its state:
// the profile loaded, the tunnel up, then each app of the profile (most
// critical first).
func progressSteps(u *ui) []progressStep {
	s := currentSnapshot(u)
	var loaded bool
	tunnelKind := ""
	for _, e := range s.Timeline {
		switch e.Kind {
		case status.EventProfileLoaded:
			loaded = true
		case status.EventTunnelStarting, status.EventTunnelUp, status.EventTunnelReused, status.EventTunnelFailed:
			tunnelKind = e.Kind
		}
	}
	if s.Report != nil || s.Tunnel.Up {
		loaded = true
	}
	failed := s.TunnelFailure() != ""
	if tunnelKind == "" && s.Report != nil && !failed {
		tunnelKind = status.EventTunnelUp
	}
	if failed {
		tunnelKind = status.EventTunnelFailed
	}

	var steps []progressStep
	if loaded {
		serial := s.Profile.Serial
		if serial == 0 {
			serial = u.prof.Serial
		}
		steps = append(steps, progressStep{stepOK, tr("app.home.step.profile_loaded", serial)})
	} else {
		steps = append(steps, progressStep{stepRunning, tr("app.home.step.profile_loading")})
	}
	tunnelUp := false
	switch {
	case tunnelKind == status.EventTunnelUp:
		steps = append(steps, progressStep{stepOK, tr("app.home.step.tunnel_up")})
		tunnelUp = true
	case tunnelKind == status.EventTunnelReused:
		steps = append(steps, progressStep{stepOK, tr("app.home.step.tunnel_reused")})
		tunnelUp = true
	case tunnelKind == status.EventTunnelFailed:
		steps = append(steps, progressStep{stepFailed, tr("app.home.step.tunnel_failed")})
	case loaded:
		steps = append(steps, progressStep{stepRunning, tr("app.home.step.tunnel_starting")})
	default:
		steps = append(steps, progressStep{stepWaiting, tr("app.home.step.tunnel_waiting")})
	}

	p := u.prof.Profile
	if p == nil {
		return steps
	}
	for _, a := range appsByCriticality(p) {
		name := a.Name.In(u.lang)
		var r *status.AppResult
		if s.Report != nil {
			r = s.Report.App(a.ID)
		}
		switch {
		case r != nil && r.State != status.StatePending:
			steps = append(steps, progressStep{stepOf(r.State), tr("app.home.step.app", name, stateWord(r.State))})
		case tunnelUp:
			steps = append(steps, progressStep{stepRunning, tr("app.home.step.app_checking", name)})
		default:
			steps = append(steps, progressStep{stepWaiting, tr("app.home.step.app", name, stateWord(status.StatePending))})
		}
	}
	return steps
}

func stepOf(st status.State) stepState {
	switch st {
	case status.StateOK:
		return stepOK
	case status.StateDegraded:
		return stepSlow
	case status.StateFailed:
		return stepFailed
	case status.StateBlocked:
		return stepBlocked
	case status.StateMaintenance:
		return stepMaintenance
	}
	return stepWaiting
}

// stepRow shows a step: an icon for its state beside its sentence, which
// says the state in words too.
func stepRow(st progressStep) fyne.CanvasObject {
	var icon fyne.Resource
	switch st.state {
	case stepOK:
		icon = theme.NewSuccessThemedResource(theme.ConfirmIcon())
	case stepSlow:
		icon = theme.NewWarningThemedResource(theme.WarningIcon())
	case stepFailed:
		icon = theme.NewErrorThemedResource(theme.ErrorIcon())
	case stepBlocked:
		icon = blockedIcon() // as on Applications (stateLook)
	case stepMaintenance:
		icon, _ = stateLook(status.StateMaintenance)
	case stepRunning:
		icon = theme.ViewRefreshIcon()
	default:
		icon = theme.MoreHorizontalIcon()
	}
	return container.NewBorder(nil, nil, widget.NewIcon(icon), nil,
		&widget.Label{Text: st.text, Wrapping: fyne.TextWrapWord})
}

// appsByCriticality is the profile's apps, essential first, then important,
// then optional, each group in profile order.
func appsByCriticality(p *profile.Profile) []profile.App {
	rank := map[string]int{"essential": 0, "important": 1, "optional": 2}
	apps := append([]profile.App(nil), p.Apps...)
	sort.SliceStable(apps, func(i, j int) bool { return rank[apps[i].Criticality] < rank[apps[j].Criticality] })
	return apps
}

// appName is the name of a reported app in the language shown, from the
// profile when it knows the app.
func appName(u *ui, a status.AppResult) string {
	if p := u.prof.Profile; p != nil {
		if pa := p.App(a.ID); pa != nil {
			return pa.Name.In(u.lang)
		}
	}
	if n := a.Name.In(u.lang); n != "" {
		return n
	}
	return a.ID
}

// stateWord says an app's state in one word, beside its icon and colour.
func stateWord(st status.State) string {
	switch st {
	case status.StateOK:
		return tr("app.apps.state.ok")
	case status.StateDegraded:
		return tr("app.apps.state.degraded")
	case status.StateFailed:
		return tr("app.apps.state.failed")
	case status.StateBlocked:
		return tr("app.apps.state.blocked")
	case status.StateMaintenance:
		return tr("app.apps.state.maintenance")
	}
	return tr("app.apps.state.pending")
}

// plural reports whether n takes the plural in language l: French counts
// 0 and 1 as singular, English only 1.
func plural(l string, n int) bool {
	if l == "en" {
		return n != 1
	}
	return n > 1
}

// joinNames lists names as a person would: "A et B", "A, B et C".
func joinNames(names []string) string {
	if len(names) < 2 {
		return strings.Join(names, "")
	}
	return tr("app.home.and", strings.Join(names[:len(names)-1], ", "), names[len(names)-1])
}

var months = [...]string{
	"app.home.month.january", "app.home.month.february", "app.home.month.march", "app.home.month.april",
	"app.home.month.may", "app.home.month.june", "app.home.month.july", "app.home.month.august",
	"app.home.month.september", "app.home.month.october", "app.home.month.november", "app.home.month.december",
}

// longDate says a day and a time in words: "30 novembre à 18:59" (French
// writes the first of the month "1er"); the year is added when it is not
// now's.
func longDate(now, t time.Time) string {
	if t.IsZero() {
		return "—" // unknown: never year 1
	}
	t = t.Local()
	month, hm := tr(months[t.Month()-1]), t.Format("15:04")
	switch {
	case t.Year() != now.Local().Year() && t.Day() == 1:
		return tr("app.home.date.first_with_year", month, t.Year(), hm)
	case t.Year() != now.Local().Year():
		return tr("app.home.date.with_year", t.Day(), month, t.Year(), hm)
	case t.Day() == 1:
		return tr("app.home.date.first", month, hm)
	}
	return tr("app.home.date.this_year", t.Day(), month, hm)
}

// relayout lays box out again, and the scroll holding it, after lines
// were shown or hidden (Fyne does not lay a container out again when a
// child's visibility changes). Either may be nil before content.
func relayout(box *fyne.Container, scroll *container.Scroll) {
	if box != nil {
		box.Refresh()
	}
	if scroll != nil {
		scroll.Refresh()
	}
}

// showText shows l with text s, or hides it when s is empty (no blank gap).
func showText(l *widget.Label, s string) {
	l.SetText(s)
	if s == "" {
		l.Hide()
	} else {
		l.Show()
	}
}
