package app

import (
	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"

	"relais/internal/profile"
	"relais/internal/status"
)

// The emergency links, as Applications and Accueil show them: a button
// per link, disabled with a reason while it cannot work; a link that
// fails to open says why and what to do next (copy its address, call the
// service desk), with its address and a button to copy it.

// newLinkRow makes the row of link l; compact leaves out its description
// (Accueil). onOpen is called when its button is tapped.
func newLinkRow(u *ui, l profile.Link, compact bool, onOpen func(*linkRow)) *linkRow {
	r := &linkRow{
		link:  l,
		open:  &widget.Button{Text: l.Name.In(u.lang), Icon: theme.ComputerIcon(), Alignment: widget.ButtonAlignLeading},
		desc:  &widget.Label{Wrapping: fyne.TextWrapWord},
		why:   &widget.Label{Wrapping: fyne.TextWrapWord, Importance: widget.WarningImportance},
		err:   &widget.Label{Wrapping: fyne.TextWrapWord, Importance: widget.DangerImportance},
		next:  &widget.Label{Wrapping: fyne.TextWrapWord},
		addr:  &widget.Label{Text: l.URL, Wrapping: fyne.TextWrapBreak, Selectable: true, TextStyle: fyne.TextStyle{Monospace: true}},
		copy:  &widget.Button{Text: tr("app.apps.link.copy"), Icon: theme.ContentCopyIcon()},
		fails: container.NewVBox(),
	}
	r.open.OnTapped = func() { onOpen(r) }
	r.copy.OnTapped = func() {
		u.app.Clipboard().SetContent(r.link.URL)
		showText(r.next, tr("app.apps.link.copied", r.link.URL))
	}
	if !compact {
		showText(r.desc, l.Description.In(u.lang))
	} else {
		r.desc.Hide()
	}
	showText(r.err, "")
	r.fails.Objects = []fyne.CanvasObject{r.err, r.next, r.addr, container.NewHBox(r.copy)}
	r.fails.Hide()
	r.box = container.NewVBox(r.open, r.desc, r.why, r.fails)
	return r
}

// linkWhy says why a link cannot work now: its tunnel is not up, or an
// app it needs does not answer; "" when it can.
func linkWhy(u *ui, l profile.Link, rep *status.Report, on bool) string {
	if l.Via != "direct" && !on {
		return tr("app.apps.link.needs_urgence")
	}
	if rep == nil {
		return ""
	}
	var down []string
	for _, id := range l.Needs {
		if a := rep.App(id); a != nil && (a.State == status.StateFailed || a.State == status.StateBlocked || a.State == status.StateMaintenance) {
			down = append(down, appName(u, *a))
		}
	}
	switch {
	case len(down) == 1:
		return tr("app.apps.link.down_one", down[0])
	case len(down) > 1:
		return tr("app.apps.link.down_many", joinNames(down))
	}
	return ""
}

// show enables the row's link, or disables it and says why.
func (r *linkRow) show(u *ui, rep *status.Report, on bool) {
	r.open.SetText(r.link.Name.In(u.lang))
	why := linkWhy(u, r.link, rep, on)
	showText(r.why, why)
	if why != "" || r.opening {
		r.open.Disable()
	} else {
		r.open.Enable()
	}
}

// openLinkRow opens the row's link through the backend (a browser through
// the tunnel's proxy, or the app the link's scheme names); a failure stays
// under the link with the next step. refresh lays the screen out again.
func openLinkRow(u *ui, r *linkRow, refresh func()) {
	if r.opening {
		return
	}
	r.opening = true
	r.failed("")
	refresh()
	b, id := u.b, r.link.ID
	u.background(func() {
		err := b.OpenLink(id)
		fyne.Do(func() {
			r.opening = false
			if err != nil {
				r.failed(tr("app.apps.link.failed", words(err)))
			}
			refresh()
		})
	})
}

// failed shows why the link did not open, and the next step; "" hides
// them.
func (r *linkRow) failed(why string) {
	showText(r.err, why)
	if why == "" {
		r.fails.Hide()
		return
	}
	showText(r.next, tr("app.apps.link.failed_next"))
	r.fails.Show()
}

// linkList is the compact list of the emergency links on Accueil: a
// heading, then a button per link (two columns), each with its reason
// and, after a failure, its next step.
type linkList struct {
	u         *ui
	heading   *widget.Label
	grid      *fyne.Container
	box       *fyne.Container // heading and grid; hidden without links
	rows      []*linkRow
	builtFor  *profile.Profile
	builtLang string
	// relayout lays the screen out again when a line shows or hides.
	relayout func()
}

func newLinkList(u *ui, relayout func()) *linkList {
	l := &linkList{u: u, relayout: relayout,
		heading: &widget.Label{TextStyle: fyne.TextStyle{Bold: true}, SizeName: theme.SizeNameSubHeadingText},
		grid:    container.NewGridWithColumns(2),
	}
	l.box = container.NewVBox(widget.NewSeparator(), l.heading, l.grid)
	return l
}

// refresh builds the rows again when the profile or the language changed,
// and enables each link or says why not.
func (l *linkList) refresh() {
	u := l.u
	p := u.prof.Profile
	if p != l.builtFor || u.lang != l.builtLang {
		l.builtFor, l.builtLang = p, u.lang
		l.rows, l.grid.Objects = nil, nil
		if p != nil {
			for _, lk := range p.Links {
				r := newLinkRow(u, lk, true, func(r *linkRow) { openLinkRow(u, r, l.refreshAll) })
				l.rows = append(l.rows, r)
				l.grid.Add(r.box)
			}
		}
		l.grid.Refresh()
	}
	l.heading.SetText(tr("app.home.links.heading"))
	setVisible(l.box, len(l.rows) > 0)
	on := urgenceOn(u)
	rep := currentSnapshot(u).Report
	if !on {
		rep = nil
	}
	for _, r := range l.rows {
		r.show(u, rep, on)
	}
}

// refreshAll refreshes the list and lays the screen out again.
func (l *linkList) refreshAll() {
	l.refresh()
	if l.relayout != nil {
		l.relayout()
	}
}
