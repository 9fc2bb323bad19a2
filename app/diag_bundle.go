package app

import (
	"net/url"
	"os"
	"path/filepath"
	"strings"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/dialog"
	"fyne.io/fyne/v2/storage"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"

	"relais/internal/diag/bundle"
)

// A bundle a colleague sent, in the Diagnostic tab: opening it (with the
// identity that decrypts it) and its view of its own.

func (s *diagScreen) refreshOpen() {
	spin(s.openBusy, s.opening)
	setEnabled(s.openBundle, !s.opening)
	setEnabled(s.chooseIdent, !s.opening)
	setVisible(s.clearIdent, s.identityPath != "")
	setEnabled(s.clearIdent, !s.opening)
	ident := ""
	if s.identityPath != "" {
		ident = tr("app.diag.open.identity_chosen", filepath.Base(s.identityPath))
	}
	showText(s.identityLabel, ident)
}

func (s *diagScreen) onOpenBundle() {
	d := dialog.NewFileOpen(s.onBundleChosen, s.u.win)
	d.SetFilter(storage.NewExtensionFileFilter([]string{".zip", ".age"}))
	d.Show()
}

func (s *diagScreen) onBundleChosen(r fyne.URIReadCloser, err error) {
	if err != nil {
		showText(s.openMsg, tr("app.diag.open.choose_failed", words(err)))
		relayout(s.exportBox, s.exportScrl)
		return
	}
	if r == nil {
		return // cancelled
	}
	path := r.URI().Path()
	// The backend reads the file itself.
	r.Close()
	s.openPath(path)
}

func (s *diagScreen) onChooseIdentity() {
	dialog.NewFileOpen(s.onIdentityChosen, s.u.win).Show()
}

// onIdentityChosen keeps the identity file for encrypted bundles; a
// bundle that just failed to open is tried again with it.
func (s *diagScreen) onIdentityChosen(r fyne.URIReadCloser, err error) {
	if err != nil {
		showText(s.openMsg, tr("app.diag.open.choose_failed", words(err)))
		relayout(s.exportBox, s.exportScrl)
		return
	}
	if r == nil {
		return
	}
	path := r.URI().Path()
	r.Close()
	s.identityPath = path
	s.refreshMain()
	if s.bundlePath != "" && s.openFailed {
		s.openPath(s.bundlePath)
	}
}

func (s *diagScreen) onClearIdentity() {
	s.identityPath = ""
	s.refreshMain()
}

// openPath opens the bundle at path in the background, and shows it.
func (s *diagScreen) openPath(path string) {
	if s.opening {
		return
	}
	s.opening, s.bundlePath, s.openFailed = true, path, false
	showText(s.openMsg, "")
	s.refreshMain()
	b, ident, l, summarize := s.u.b, s.identityPath, s.u.lang, s.summarize
	s.u.background(func() {
		opened, err := b.OpenBundle(path, ident)
		summary := ""
		if err == nil {
			summary = summarize(opened, l)
		}
		fyne.Do(func() {
			s.opening = false
			if err != nil {
				s.openFailed = true
				showText(s.openMsg, tr("app.diag.open.failed", filepath.Base(path), words(err)))
				s.refreshMain()
				return
			}
			s.refreshMain()
			s.showBundle(opened, summary)
		})
	})
}

func (s *diagScreen) buildBundle() fyne.CanvasObject {
	s.back = &widget.Button{Text: tr("app.diag.bundle.back"), Icon: theme.NavigateBackIcon(), OnTapped: s.onBack}
	s.bCode = &widget.Label{TextStyle: fyne.TextStyle{Monospace: true}, SizeName: theme.SizeNameHeadingText, Selectable: true}
	s.bFacts = &widget.Label{Wrapping: fyne.TextWrapWord}
	s.bFiles = &widget.Label{Wrapping: fyne.TextWrapWord, TextStyle: fyne.TextStyle{Monospace: true}}
	s.bFails = &widget.Label{Wrapping: fyne.TextWrapWord}
	// The verdict wraps: its lines are sentences, as long as they need.
	s.bSummary = &widget.Label{TextStyle: fyne.TextStyle{Monospace: true}, Selectable: true, Wrapping: fyne.TextWrapWord}
	s.bSummScroll = container.NewVScroll(s.bSummary)
	s.bOpenSumm = &widget.Button{Text: tr("app.diag.bundle.open_summary"), Icon: theme.ComputerIcon(), OnTapped: s.onOpenSummary}
	s.bSummMsg = &widget.Label{Wrapping: fyne.TextWrapWord, Importance: widget.DangerImportance}
	s.bSummMsg.Hide()
	facts := container.NewVScroll(container.NewVBox(
		s.bFacts,
		widget.NewSeparator(),
		&widget.Label{Text: tr("app.diag.bundle.failures"), TextStyle: fyne.TextStyle{Bold: true}},
		s.bFails,
		widget.NewSeparator(),
		&widget.Label{Text: tr("app.diag.bundle.files"), TextStyle: fyne.TextStyle{Bold: true}},
		s.bFiles,
	))
	summary := container.NewBorder(
		container.NewVBox(
			container.NewBorder(nil, nil, &widget.Label{Text: tr("app.diag.bundle.summary"), TextStyle: fyne.TextStyle{Bold: true}}, s.bOpenSumm),
			s.bSummMsg),
		nil, nil, nil, s.bSummScroll)
	split := container.NewHSplit(facts, summary)
	split.Offset = 0.4
	top := container.NewVBox(
		container.NewHBox(s.back),
		&widget.Label{Text: tr("app.diag.bundle.heading"), TextStyle: fyne.TextStyle{Bold: true}},
		s.bCode,
	)
	return container.NewBorder(top, nil, nil, nil, split)
}

func (s *diagScreen) showBundle(b *bundle.Bundle, summary string) {
	s.bundle, s.summary = b, summary
	m, now := b.Manifest, s.u.now()
	s.bCode.SetText(m.CaseCode)
	enc := tr("app.diag.bundle.not_encrypted")
	if m.Encrypted {
		enc = tr("app.diag.bundle.encrypted")
	}
	level := string(m.Level)
	if k, ok := levelKeys[m.Level]; ok {
		level = tr(k[2])
	}
	app := tr("app.diag.bundle.app", m.App.Version)
	if m.App.Commit != "" {
		app = tr("app.diag.bundle.app_commit", m.App.Version, m.App.Commit)
	}
	if m.App.OS != "" {
		app += " — " + m.App.OS + "/" + m.App.Arch
	}
	s.bFacts.SetText(strings.Join([]string{
		tr("app.diag.bundle.created", longDate(now, m.Created)),
		app,
		tr("app.diag.bundle.level", level),
		enc,
		tr("app.diag.bundle.redactions", m.Redactions),
	}, "\n"))
	// A crafted bundle may list 100,000 of each: the first are listed,
	// the rest counted (a label of them all took minutes to lay out).
	var fails []string
	shown, more := bundle.Listed(len(m.Failures))
	for _, f := range m.Failures[:shown] {
		fails = append(fails, tr("app.diag.bundle.failure", f.Name, f.Error))
	}
	if more > 0 {
		fails = append(fails, bundle.More(s.u.lang, more))
	}
	if len(fails) == 0 {
		fails = []string{tr("app.diag.bundle.no_failures")}
	}
	s.bFails.SetText(strings.Join(fails, "\n"))
	var files []string
	shown, more = bundle.Listed(len(m.Files))
	for _, f := range m.Files[:shown] {
		files = append(files, tr("app.diag.bundle.file", f.Name, sizeWords(s.u.lang, f.Size)))
	}
	if more > 0 {
		files = append(files, bundle.More(s.u.lang, more))
	}
	s.bFiles.SetText(strings.Join(files, "\n"))
	s.bSummary.SetText(summary)
	s.bSummScroll.ScrollToTop()
	_, hasPage := b.Files[diagSummaryPage]
	setVisible(s.bOpenSumm, hasPage)
	showText(s.bSummMsg, "")
	s.show(diagBundle)
}

// diagSummaryPage is the bundle's page for the service desk.
const diagSummaryPage = "summary.html"

// onOpenSummary opens the bundle's summary.html with the default handler,
// from a copy in a private temporary folder (the one of the summary
// opened before is removed).
func (s *diagScreen) onOpenSummary() {
	if s.bundle == nil {
		return
	}
	page, ok := s.bundle.Files[diagSummaryPage]
	if !ok {
		return
	}
	dir, err := os.MkdirTemp("", "relais-summary-*") // 0700
	if err == nil {
		path := filepath.Join(dir, diagSummaryPage)
		err = os.WriteFile(path, page, 0o600)
		var target *url.URL
		if err == nil {
			target, err = url.Parse(storage.NewFileURI(path).String())
		}
		if err == nil {
			err = s.u.openURL(target)
		}
		if err != nil {
			os.RemoveAll(dir)
		} else {
			if s.summaryDir != "" {
				os.RemoveAll(s.summaryDir)
			}
			s.summaryDir = dir
		}
	}
	msg := ""
	if err != nil {
		msg = tr("app.diag.bundle.open_summary_failed", words(err))
	}
	showText(s.bSummMsg, msg)
}

func (s *diagScreen) onBack() {
	s.bundle, s.summary = nil, ""
	s.show(diagMain)
	s.refresh()
}
