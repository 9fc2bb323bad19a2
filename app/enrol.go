package app

import (
	"strings"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"

	"relais/internal/frontend"
	"relais/internal/status"
)

// enrolPanel is Accueil's "Enrôler ce poste", for a device with no
// identity that knows the organisation's enrolment server: automatic when
// the managed configuration gives a setup token (a progress line, then
// the result), otherwise a field for the helpdesk's code and a button.
// Everything goes through the backend (Enrol).
type enrolPanel struct {
	h *home

	box      *fyne.Container
	codeRow  *fyne.Container // the code field, centred
	btnRow   *fyne.Container // the button, centred
	progRow  *fyne.Container // the activity and the progress line
	code     *widget.Entry
	help     *widget.Label
	button   *widget.Button
	activity *widget.Activity
	progress *widget.Label
	result   *widget.Label // the outcome: enrolled, or why not

	running bool
	tried   bool // the automatic enrolment was tried once
	failed  bool // the last attempt was refused: the code field shows
}

func newEnrolPanel(h *home) *enrolPanel {
	p := &enrolPanel{
		h:        h,
		code:     widget.NewEntry(),
		help:     &widget.Label{Wrapping: fyne.TextWrapWord, Alignment: fyne.TextAlignCenter},
		button:   &widget.Button{Icon: theme.ConfirmIcon(), Importance: widget.HighImportance},
		activity: widget.NewActivity(),
		progress: &widget.Label{Alignment: fyne.TextAlignCenter, Wrapping: fyne.TextWrapWord},
		result:   &widget.Label{Alignment: fyne.TextAlignCenter, Wrapping: fyne.TextWrapWord},
	}
	p.button.OnTapped = p.onEnrol
	p.code.OnSubmitted = func(string) { p.onEnrol() }
	field := container.NewGridWrap(fyne.NewSize(260, p.code.MinSize().Height), p.code)
	p.codeRow = container.NewCenter(field)
	p.btnRow = container.NewCenter(p.button)
	p.progRow = container.NewCenter(container.NewHBox(p.activity, p.progress))
	p.progRow.Hide()
	p.box = container.NewVBox(p.codeRow, p.help, p.btnRow, p.progRow, p.result)
	p.box.Hide()
	p.result.Hide()
	return p
}

// offered reports whether Accueil offers enrolment: no identity yet, or
// one IT revoked (the helpdesk gives a code to enrol again), and an
// enrolment server known (not in the demo, which needs none).
func (p *enrolPanel) offered() bool {
	h := p.h
	id := h.identity
	return id != nil && (id.Setup == frontend.SetupNone || p.revoked()) && id.EnrolHost != "" && h.u.prof.Profile != nil && !h.u.b.Demo()
}

// revoked reports whether Mode urgence found this device's key revoked.
func (p *enrolPanel) revoked() bool {
	return urgenceOn(p.h.u) && currentSnapshot(p.h.u).TunnelFailure() == status.TunnelRevoked
}

// refresh shows the panel as the identity stands; with a managed setup
// token, the first showing enrols at once.
func (p *enrolPanel) refresh() {
	id := p.h.identity
	if !p.offered() {
		// Only the result of an enrolment stays said, once the device
		// is set up.
		spin(p.activity, false)
		p.progRow.Hide()
		p.codeRow.Hide()
		p.help.Hide()
		p.btnRow.Hide()
		if p.result.Text != "" && !p.running {
			p.box.Show()
		} else {
			p.box.Hide()
		}
		return
	}
	p.box.Show()
	askCode := !id.EnrolAuto || p.failed || p.revoked()
	p.code.PlaceHolder = tr("app.enrol.code_hint")
	p.help.SetText(tr("app.enrol.code_help"))
	p.button.SetText(tr("app.enrol.button"))
	if askCode {
		p.codeRow.Show()
		p.help.Show()
	} else {
		p.codeRow.Hide()
		p.help.Hide()
	}
	if p.running {
		p.btnRow.Hide()
	} else {
		p.btnRow.Show()
		if !askCode && p.failed {
			p.button.SetText(tr("app.enrol.retry"))
		}
	}
	showText(p.result, p.result.Text)
	if id.EnrolAuto && !p.tried && !p.running && id.Setup == frontend.SetupNone {
		p.tried = true
		p.start("")
	}
}

// onEnrol enrols with the code typed (or the managed token when no code
// is asked for).
func (p *enrolPanel) onEnrol() {
	if p.running || !p.offered() {
		return
	}
	code := ""
	if p.codeRow.Visible() {
		code = strings.TrimSpace(p.code.Text)
		if code != "" && !frontend.LooksLikeCode(code) || code == "" && (!p.h.identity.EnrolAuto || p.revoked()) {
			p.showResult(tr("app.enrol.bad_code"), true)
			return
		}
	}
	p.start(code)
}

func (p *enrolPanel) start(code string) {
	host := p.h.identity.EnrolHost
	p.running = true
	p.btnRow.Hide()
	p.code.Disable()
	p.progress.SetText(tr("app.enrol.progress", host))
	p.progRow.Show()
	spin(p.activity, true)
	p.result.SetText("")
	p.result.Hide()
	p.h.relayout()
	b := p.h.u.b
	p.h.u.background(func() {
		res, err := b.Enrol(code)
		fyne.Do(func() {
			p.running = false
			p.code.Enable()
			spin(p.activity, false)
			p.progRow.Hide()
			if err != nil {
				p.failed = true
				p.showResult(tr("app.enrol.failed", words(err)), true)
				p.refresh()
				p.h.relayout()
				return
			}
			p.failed = false
			p.code.SetText("")
			done := "app.enrol.done"
			if urgenceOn(p.h.u) {
				done = "app.enrol.done_restart" // the tunnel up holds the old key
			}
			p.showResult(tr(done, strings.Join(res.Addresses, ", ")), false)
			p.h.identityChanged()
			if p.h.onEnrolled != nil {
				p.h.onEnrolled()
			}
		})
	})
}

func (p *enrolPanel) showResult(text string, failed bool) {
	p.result.Importance = widget.SuccessImportance
	if failed {
		p.result.Importance = widget.DangerImportance
	}
	p.result.SetText(text)
	p.result.Show()
	p.h.relayout()
}
