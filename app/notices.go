package app

import (
	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"

	"relais/internal/frontend"
	"relais/internal/status"
)

// noticeBanner is the top of Accueil: the organisation's active notices,
// each with its level shown by an icon and a word (never colour alone),
// the apps under announced maintenance, and why newer notices were
// refused, if they were. It is hidden when there is nothing to say.
type noticeBanner struct {
	u   *ui
	box *fyne.Container
}

func newNoticeBanner(u *ui) *noticeBanner {
	return &noticeBanner{u: u, box: container.NewVBox()}
}

// noticeIcon is a level's icon: crisis an error sign, warning a warning
// sign, info an information sign.
func noticeIcon(level string) fyne.Resource {
	switch level {
	case frontend.NoticeCrisis:
		return theme.NewErrorThemedResource(theme.ErrorIcon())
	case frontend.NoticeWarning:
		return theme.NewWarningThemedResource(theme.WarningIcon())
	}
	return theme.InfoIcon()
}

// noticeImportance colours a notice's words with its level, beside its
// icon and its word.
func noticeImportance(level string) widget.Importance {
	switch level {
	case frontend.NoticeCrisis:
		return widget.DangerImportance
	case frontend.NoticeWarning:
		return widget.WarningImportance
	}
	return widget.MediumImportance
}

// lines is what the banner says now, for the screen and its tests: one
// line per notice ("Crise — …"), per maintenance window, and the problem.
func (n *noticeBanner) lines(st frontend.NoticesState) []string {
	u := n.u
	var out []string
	for _, no := range st.Active {
		out = append(out, tr("app.notices.line", tr("notices.level."+no.Level), no.Text.In(u.lang)))
	}
	for _, m := range st.Maintenance {
		out = append(out, tr("app.notices.maintenance", m.AppName.In(u.lang), longDate(u.now(), m.Until)))
	}
	if st.Problem != nil {
		out = append(out, words(st.Problem))
	}
	return out
}

// refresh shows the backend's notices as they hold now.
func (n *noticeBanner) refresh() {
	st := n.u.b.Notices()
	n.box.Objects = n.box.Objects[:0]
	if !st.Configured || len(st.Active)+len(st.Maintenance) == 0 && st.Problem == nil {
		n.box.Hide()
		n.box.Refresh()
		return
	}
	texts := n.lines(st)
	row := func(icon fyne.Resource, text string, imp widget.Importance) {
		n.box.Add(container.NewBorder(nil, nil, widget.NewIcon(icon), nil,
			&widget.Label{Text: text, Wrapping: fyne.TextWrapWord, Importance: imp, TextStyle: fyne.TextStyle{Bold: imp != widget.MediumImportance}}))
	}
	n.box.Add(&widget.Label{Text: tr("app.notices.title"), TextStyle: fyne.TextStyle{Bold: true}})
	i := 0
	for _, no := range st.Active {
		row(noticeIcon(no.Level), texts[i], noticeImportance(no.Level))
		i++
	}
	for range st.Maintenance {
		icon, _ := stateLook(status.StateMaintenance)
		row(icon, texts[i], widget.MediumImportance)
		i++
	}
	if st.Problem != nil {
		row(theme.NewWarningThemedResource(theme.WarningIcon()), texts[i], widget.WarningImportance)
	}
	n.box.Add(widget.NewSeparator())
	n.box.Show()
	n.box.Refresh()
}
