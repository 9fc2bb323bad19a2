package app

import (
	"strings"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"

	"relais/internal/profile"
	"relais/internal/status"
)

// appsScreen is the Applications screen: every app of the profile with its
// state (an icon, a word and a colour), why it does not answer and what to
// do, when it was last checked; one button to check again; then the
// emergency links, each disabled with a reason while it cannot work.
type appsScreen struct {
	u *ui

	recheck *widget.Button
	note    *widget.Label // why the checks cannot run now, or that a run was asked for
	empty   *widget.Label // no profile
	apps    *fyne.Container
	heading *widget.Label // "Liens d'urgence"
	links   *fyne.Container
	box     *fyne.Container   // all of the above, laid out again when a line shows or hides
	scroll  *container.Scroll // holds box

	// The rows, built once per profile and language, updated on refresh.
	builtFor  *profile.Profile
	builtLang string
	appRows   []*appRow
	linkRows  []*linkRow

	asked   bool           // Recheck was tapped and no new report has come yet
	askedOn *status.Report // the report shown when Recheck was tapped
}

// appRow shows one app.
type appRow struct {
	id     string
	icon   *widget.Icon
	title  *widget.RichText // the name, then the state in a word and its colour
	reason *widget.Label
	next   *widget.Label
	when   *widget.Label
	// details is the rule not met, with the value seen ("[STATUS] (503)
	// == 200"), under a "Détails" line after the reason and the next step.
	details *widget.Label
}

// linkRow shows one emergency link (links.go).
type linkRow struct {
	link    profile.Link
	open    *widget.Button
	desc    *widget.Label
	why     *widget.Label // why the link is disabled
	err     *widget.Label // why the last open failed
	next    *widget.Label // then what to do: copy the address, call the service desk
	addr    *widget.Label // the link's address, to copy or read out
	copy    *widget.Button
	fails   *fyne.Container // err, next, addr and copy: shown after a failure
	box     *fyne.Container // the whole row
	opening bool
}

func newApps(u *ui) *appsScreen {
	return &appsScreen{
		u:       u,
		recheck: &widget.Button{Icon: theme.ViewRefreshIcon(), Importance: widget.HighImportance},
		note:    &widget.Label{Wrapping: fyne.TextWrapWord},
		empty:   &widget.Label{Wrapping: fyne.TextWrapWord},
		apps:    container.NewVBox(),
		heading: &widget.Label{TextStyle: fyne.TextStyle{Bold: true}, SizeName: theme.SizeNameSubHeadingText},
		links:   container.NewVBox(),
	}
}

func (s *appsScreen) content() fyne.CanvasObject {
	s.recheck.OnTapped = s.onRecheck
	s.box = container.NewVBox(
		s.empty,
		s.apps,
		widget.NewSeparator(),
		s.heading,
		s.links,
	)
	s.scroll = container.NewVScroll(s.box)
	s.refresh()
	// The button stays in view, outside the scroll.
	top := container.NewPadded(container.NewBorder(nil, nil, nil, s.recheck, s.note))
	return container.NewBorder(top, nil, nil, nil, s.scroll)
}

func (s *appsScreen) refresh() {
	u := s.u
	p := u.prof.Profile
	if p != s.builtFor || u.lang != s.builtLang {
		s.build(p)
	}
	on := urgenceOn(u)
	snap := currentSnapshot(u)
	rep := snap.Report
	if !on {
		rep = nil
	}

	s.recheck.SetText(tr("app.apps.recheck"))
	if on {
		s.recheck.Enable()
	} else {
		s.recheck.Disable()
	}
	if s.asked && rep != s.askedOn {
		s.asked = false
	}
	switch {
	case !on:
		showText(s.note, tr("app.apps.inactive"))
	case s.asked:
		showText(s.note, tr("app.apps.rechecking"))
	case rep != nil && !rep.Finished.IsZero():
		showText(s.note, tr("app.apps.last_run", clock(u.now(), rep.Finished), ago(u.now(), rep.Finished)))
	default:
		showText(s.note, tr("app.apps.first_run"))
	}
	if p == nil {
		showText(s.empty, tr("app.apps.no_profile"))
	} else {
		showText(s.empty, "")
	}

	for _, r := range s.appRows {
		var res *status.AppResult
		if rep != nil {
			res = rep.App(r.id)
		}
		s.showApp(r, res, on)
	}

	s.heading.SetText(tr("app.apps.links"))
	if len(s.linkRows) == 0 {
		s.heading.Hide()
	} else {
		s.heading.Show()
	}
	for _, r := range s.linkRows {
		s.showLink(r, rep, on)
	}
	relayout(s.box, s.scroll)
}

// build makes the rows of p's apps (most critical first, under a heading
// per criticality) and links.
func (s *appsScreen) build(p *profile.Profile) {
	s.builtFor, s.builtLang = p, s.u.lang
	s.appRows, s.linkRows = nil, nil
	s.apps.Objects, s.links.Objects = nil, nil
	if p == nil {
		s.apps.Refresh()
		s.links.Refresh()
		return
	}
	group := ""
	for _, a := range appsByCriticality(p) {
		if a.Criticality != group {
			group = a.Criticality
			s.apps.Add(&widget.Label{Text: criticalityHeading(group), TextStyle: fyne.TextStyle{Bold: true}, SizeName: theme.SizeNameSubHeadingText})
		}
		r := &appRow{
			id:     a.ID,
			icon:   widget.NewIcon(theme.MoreHorizontalIcon()),
			title:  &widget.RichText{Wrapping: fyne.TextWrapWord, Scroll: fyne.ScrollNone},
			reason: &widget.Label{Wrapping: fyne.TextWrapWord},
			next:   &widget.Label{Wrapping: fyne.TextWrapWord},
			when:   &widget.Label{Wrapping: fyne.TextWrapWord, TextStyle: fyne.TextStyle{Italic: true}},
			details: &widget.Label{Wrapping: fyne.TextWrapWord, SizeName: theme.SizeNameCaptionText,
				Importance: widget.LowImportance},
		}
		s.appRows = append(s.appRows, r)
		s.apps.Add(container.NewBorder(nil, nil, container.NewVBox(r.icon), nil,
			container.NewVBox(r.title, r.reason, r.next, r.details, r.when)))
	}
	for _, l := range p.Links {
		r := newLinkRow(s.u, l, false, s.onOpenLink)
		s.linkRows = append(s.linkRows, r)
		s.links.Add(r.box)
	}
	s.apps.Refresh()
	s.links.Refresh()
}

// showApp shows an app's result (nil: not checked in this session).
func (s *appsScreen) showApp(r *appRow, res *status.AppResult, on bool) {
	u := s.u
	st := status.StatePending
	if res != nil {
		st = res.State
	}
	name := r.id
	if a := u.prof.Profile.App(r.id); a != nil {
		name = a.Name.In(u.lang)
	}
	icon, color := stateLook(st)
	r.icon.SetResource(icon)
	r.title.Segments = []widget.RichTextSegment{
		&widget.TextSegment{Text: name, Style: widget.RichTextStyle{Inline: true, TextStyle: fyne.TextStyle{Bold: true}}},
		&widget.TextSegment{Text: " — ", Style: widget.RichTextStyleInline},
		&widget.TextSegment{Text: stateWord(st), Style: widget.RichTextStyle{Inline: true, ColorName: color, TextStyle: fyne.TextStyle{Bold: true}}},
	}
	r.title.Refresh()

	reason, next, details := "", "", ""
	switch {
	case res == nil && !on:
		reason = tr("app.apps.reason.inactive")
	case res == nil || st == status.StatePending:
		reason = tr("app.apps.reason.pending")
	case st == status.StateMaintenance:
		// Planned: when it ends and what the organisation says, not the
		// failed checks' reasons.
		if m := res.Maintenance; m != nil {
			reason = tr("app.apps.maintenance_until", longDate(u.now(), m.Until))
			next = m.Text.In(u.lang)
		}
	case st == status.StateBlocked:
		reason = s.blockedBy(res)
		if c := firstNotOK(res); c != nil && c.Reason != nil {
			next = c.Reason.Next.In(u.lang)
		}
	case st != status.StateOK:
		if c := firstNotOK(res); c != nil && c.Reason != nil {
			reason, next = c.Reason.Text.In(u.lang), c.Reason.Next.In(u.lang)
			if unmet := unmetConditions(c); unmet != "" {
				details = tr("app.apps.details", unmet)
			}
		}
	}
	showText(r.reason, reason)
	showText(r.next, next)
	showText(r.details, details)

	when := ""
	if res != nil {
		var last time.Time
		for _, c := range res.Checks {
			if c.At.After(last) {
				last = c.At
			}
		}
		if !last.IsZero() {
			when = tr("app.apps.checked", clock(u.now(), last), ago(u.now(), last))
		}
	}
	showText(r.when, when)
}

// unmetConditions is the conditions of c that did not hold, with the values
// seen, for the details line; "" when none.
func unmetConditions(c *status.CheckResult) string {
	var out []string
	for _, cond := range c.Conditions {
		if !cond.OK {
			out = append(out, cond.Expr)
		}
	}
	return strings.Join(out, "; ")
}

// blockedBy says which apps (or built-in checks) a blocked app waits for.
func (s *appsScreen) blockedBy(res *status.AppResult) string {
	u := s.u
	var names []string
	for _, id := range res.BlockedBy {
		switch id {
		case profile.BuiltinTunnel:
			names = append(names, tr("app.apps.builtin.tunnel"))
		case profile.BuiltinInternet:
			names = append(names, tr("app.apps.builtin.internet"))
		case profile.BuiltinCaptive:
			names = append(names, tr("app.apps.builtin.captive"))
		default:
			if a := u.prof.Profile.App(id); a != nil {
				names = append(names, a.Name.In(u.lang))
			} else {
				names = append(names, id)
			}
		}
	}
	switch {
	case len(names) == 0:
		return tr("app.apps.blocked_unknown")
	case len(names) == 1:
		return tr("app.apps.blocked_one", names[0])
	}
	return tr("app.apps.blocked_many", joinNames(names))
}

// firstNotOK is the first check of an app that is not ok, or nil.
func firstNotOK(res *status.AppResult) *status.CheckResult {
	for i := range res.Checks {
		if res.Checks[i].State != status.StateOK {
			return &res.Checks[i]
		}
	}
	return nil
}

// showLink enables a link, or disables it and says why: its tunnel is not
// up, or an app it needs does not answer.
func (s *appsScreen) showLink(r *linkRow, rep *status.Report, on bool) {
	r.show(s.u, rep, on)
}

// onRecheck asks the engine for a run of the checks now.
func (s *appsScreen) onRecheck() {
	s.u.b.Recheck()
	s.asked, s.askedOn = true, s.u.snap.Report
	s.refresh()
}

// onOpenLink opens a link through the backend; a failure stays under the
// link as a sentence, with the next step.
func (s *appsScreen) onOpenLink(r *linkRow) {
	openLinkRow(s.u, r, s.refresh)
}

// stateLook is the icon and the colour of a state; the word goes with
// them (stateWord), so that colour is never the only sign.
func stateLook(st status.State) (fyne.Resource, fyne.ThemeColorName) {
	switch st {
	case status.StateOK:
		return theme.NewSuccessThemedResource(theme.ConfirmIcon()), theme.ColorNameSuccess
	case status.StateDegraded:
		return theme.NewWarningThemedResource(theme.WarningIcon()), theme.ColorNameWarning
	case status.StateFailed:
		return theme.NewErrorThemedResource(theme.ErrorIcon()), theme.ColorNameError
	case status.StateBlocked:
		return blockedIcon(), theme.ColorNameError
	case status.StateMaintenance:
		return theme.NewWarningThemedResource(theme.HistoryIcon()), theme.ColorNameWarning
	}
	return theme.MoreHorizontalIcon(), theme.ColorNameForeground
}

// criticalityHeading names a group of apps.
func criticalityHeading(c string) string {
	switch c {
	case "essential":
		return tr("app.apps.group.essential")
	case "important":
		return tr("app.apps.group.important")
	}
	return tr("app.apps.group.optional")
}
