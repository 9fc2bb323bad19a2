package app

import (
	"net/url"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"
)

// serverPage offers to open a page of the organisation's server in the
// browser (a drill's campaign, a bundle's case), once what it shows is on
// its way there, with the demo account to sign in with in the demo.
type serverPage struct {
	u       *ui
	button  *widget.Button
	hint    *widget.Label // what the page is
	account *widget.Label // the demo account to sign in with; hidden outside the demo
	msg     *widget.Label // why it did not open
	box     *fyne.Container
	target  string
}

func newServerPage(u *ui, label string) *serverPage {
	p := &serverPage{u: u, hint: wrap(), account: wrap(), msg: &widget.Label{Wrapping: fyne.TextWrapWord, Importance: widget.DangerImportance}}
	p.button = &widget.Button{Text: label, Icon: theme.ComputerIcon(), OnTapped: p.open}
	p.msg.Hide()
	p.box = container.NewVBox(container.NewHBox(p.button), p.hint, p.account, p.msg)
	p.box.Hide()
	return p
}

// set shows the offer for target ("" hides it); hint says what the page
// is; role (frontend.Role*) is the demo account to name.
func (p *serverPage) set(target, hint, role string) {
	if target != p.target {
		p.target = target
		showText(p.msg, "")
	}
	if target == "" {
		p.box.Hide()
		return
	}
	account := ""
	for _, a := range p.u.b.DemoAccounts() {
		if a.Role == role {
			account = tr("app.server.demo_account", a.Name, a.Password)
		}
	}
	p.hint.SetText(hint)
	showText(p.account, account)
	p.box.Show()
}

func (p *serverPage) open() {
	target, err := url.Parse(p.target)
	if err == nil {
		err = p.u.openURL(target)
	}
	if err != nil {
		showText(p.msg, tr("app.server.open_failed", words(err)))
		return
	}
	showText(p.msg, "")
}
