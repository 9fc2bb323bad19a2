package app

import (
	"fmt"
	"image/color"
	"net/url"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/canvas"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/dialog"
	"fyne.io/fyne/v2/storage"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"

	"relais/internal/desk"
	"relais/internal/diag"
)

// logLines is how many lines of the app's log the screen shows.
const logLines = 200

// diagScreen is the Diagnostic tab. Its main view has the export of a
// bundle for the helpdesk (anonymisation level, encryption, the case code
// to read over the phone, upload), the opening of a bundle a colleague
// sent (for the helpdesk and the ambassadors), and the app's recent log;
// an opened bundle is shown in a view of its own. Every backend call but
// HelpdeskOptions runs in the background, its button disabled and an
// activity shown meanwhile.
type diagScreen struct {
	u    *ui
	root *fyne.Container // holds the view shown
	view diagView

	mainView   fyne.CanvasObject
	exportBox  *fyne.Container // the left column: export, then open
	exportScrl *container.Scroll

	// The export.
	level       *widget.RadioGroup
	levelHint   *widget.Label
	encrypt     *widget.Check
	encryptHint *widget.Label
	export      *widget.Button
	exportBusy  *widget.Activity
	exportMsg   *widget.Label // why the export failed
	result      *fyne.Container
	caseCode    *widget.Label
	resultPath  *widget.Label
	resultFacts *widget.Label
	resultFails *widget.Label
	copyCode    *widget.Button
	openFolder  *widget.Button
	upload      *widget.Button
	uploadBusy  *widget.Activity
	resultMsg   *widget.Label // code copied, or why the folder did not open
	uploadState *widget.Label
	done        dialog.Dialog // the case code dialog after an export; nil before

	canEncrypt  bool
	canUpload   bool
	optionsRead bool // canEncrypt and canUpload were read once
	exporting   bool
	last        *desk.DiagExport // the bundle just made; nil before
	exportErr   string
	uploading   bool
	uploaded    bool   // last was queued for upload
	uploadErr   string // UploadBundle's sentence
	delivery    desk.Delivery
	deliveryOK  bool // delivery was read for last
	delivBusy   bool
	delivAt     time.Time

	// The recent log.
	logText    *widget.Label
	events     *widget.Label     // the session's events in words, above the raw log
	logDetails *widget.Accordion // the raw log, folded under "Détails"
	logScroll  *container.Scroll
	logNote    *widget.Label
	logBusy    *widget.Activity
	reload     *widget.Button
	logLoading bool
	logLoaded  bool
	logErr     string
	logAt      time.Time // wall clock of the last read, for reloadEvery
	// reloadEvery bounds how often a refresh reads the log and the
	// upload's delivery again: refreshes come with every engine event.
	reloadEvery time.Duration

	// Opening a bundle.
	openBundle    *widget.Button
	chooseIdent   *widget.Button
	clearIdent    *widget.Button
	identityLabel *widget.Label
	openBusy      *widget.Activity
	openMsg       *widget.Label // why a bundle did not open
	identityPath  string        // the age identity file chosen; "" none
	demoKeyLabel  *widget.Label // names the demo service desk's key
	demoKeyTaken  bool          // the demo's key was chosen for the person once
	bundlePath    string        // the bundle last asked for
	opening       bool
	openFailed    bool // bundlePath did not open

	// The bundle view.
	bundleView  fyne.CanvasObject
	back        *widget.Button
	bCode       *widget.Label
	bFacts      *widget.Label
	bFiles      *widget.Label
	bFails      *widget.Label
	bSummary    *widget.Label
	bSummScroll *container.Scroll
	bOpenSumm   *widget.Button
	bSummMsg    *widget.Label // why summary.html did not open
	summaryDir  string        // the private folder of the last summary.html opened
	bundle      *diag.Bundle
	summary     string
	// summarize is the bundle's verdict in a language: Bundle.Summary
	// (tests may stand in for it).
	summarize func(b *diag.Bundle, lang string) string
}

// diagView is the view the Diagnostic tab shows.
type diagView int

const (
	diagMain diagView = iota
	diagBundle
)

// The levels, in the order of the radio group.
var diagLevels = []diag.Level{diag.LevelNone, diag.LevelStandard, diag.LevelStrict}

var levelKeys = map[diag.Level][3]string{ // option, hint, name
	diag.LevelNone:     {"app.diag.level.none", "app.diag.level.none_hint", "app.diag.level_name.none"},
	diag.LevelStandard: {"app.diag.level.standard", "app.diag.level.standard_hint", "app.diag.level_name.standard"},
	diag.LevelStrict:   {"app.diag.level.strict", "app.diag.level.strict_hint", "app.diag.level_name.strict"},
}

var _ screen = (*diagScreen)(nil)

func newDiag(u *ui) *diagScreen {
	return &diagScreen{u: u, reloadEvery: 10 * time.Second, summarize: (*diag.Bundle).Summary}
}

func (s *diagScreen) content() fyne.CanvasObject {
	s.mainView = s.buildMain()
	s.bundleView = s.buildBundle()
	s.root = container.NewStack(s.mainView)
	s.refresh()
	return s.root
}

// refresh reads what the profile offers, and the log and the upload's
// delivery when they are due and the screen is shown.
func (s *diagScreen) refresh() {
	s.readOptions()
	s.refreshMain()
	if s.root.Visible() {
		s.loadDue()
	}
}

// onShown is called when the tab is selected: what is due is read at once.
func (s *diagScreen) onShown() {
	s.refresh()
	s.loadDue()
}

func (s *diagScreen) loadDue() {
	if s.due(s.logLoading, s.logAt) {
		s.loadLog()
	}
	if s.uploaded && s.due(s.delivBusy, s.delivAt) {
		s.loadDelivery()
	}
}

// due reports whether data read at `at` should be read again.
func (s *diagScreen) due(loading bool, at time.Time) bool {
	return reloadDue(loading, at, s.reloadEvery)
}

func (s *diagScreen) show(v diagView) {
	s.view = v
	o := s.mainView
	if v == diagBundle {
		o = s.bundleView
	}
	s.root.Objects = []fyne.CanvasObject{o}
	s.root.Refresh()
}

// ---- The main view ----

func (s *diagScreen) buildMain() fyne.CanvasObject {
	wrap := func() *widget.Label { return &widget.Label{Wrapping: fyne.TextWrapWord} }
	danger := func() *widget.Label {
		return &widget.Label{Wrapping: fyne.TextWrapWord, Importance: widget.DangerImportance}
	}
	options := make([]string, len(diagLevels))
	for i, l := range diagLevels {
		options[i] = tr(levelKeys[l][0])
	}
	s.level = &widget.RadioGroup{Options: options, Required: true, OnChanged: s.onLevel}
	s.levelHint = &widget.Label{Wrapping: fyne.TextWrapWord, TextStyle: fyne.TextStyle{Italic: true}}
	s.encrypt = &widget.Check{Text: tr("app.diag.encrypt"), OnChanged: func(bool) { s.showEncryptHint() }}
	s.encryptHint = wrap()
	s.export = &widget.Button{Text: tr("app.diag.export"), Icon: theme.DocumentSaveIcon(), Importance: widget.HighImportance, OnTapped: s.onExport}
	s.exportBusy = widget.NewActivity()
	s.exportBusy.Hide()
	s.exportMsg = danger()

	s.caseCode = &widget.Label{TextStyle: fyne.TextStyle{Monospace: true}, SizeName: theme.SizeNameHeadingText, Selectable: true}
	s.resultPath = wrap()
	s.resultFacts = wrap()
	s.resultFails = &widget.Label{Wrapping: fyne.TextWrapWord, Importance: widget.WarningImportance}
	s.copyCode = &widget.Button{Text: tr("app.diag.copy_code"), Icon: theme.ContentCopyIcon(), OnTapped: s.onCopyCode}
	s.openFolder = &widget.Button{Text: tr("app.diag.open_folder"), Icon: theme.FolderOpenIcon(), OnTapped: s.onOpenFolder}
	s.upload = &widget.Button{Text: tr("app.diag.upload"), Icon: theme.UploadIcon(), OnTapped: s.onUpload}
	s.uploadBusy = widget.NewActivity()
	s.uploadBusy.Hide()
	s.resultMsg = wrap()
	s.uploadState = wrap()
	s.result = container.NewVBox(
		widget.NewSeparator(),
		&widget.Label{Text: tr("app.diag.result.heading"), TextStyle: fyne.TextStyle{Bold: true}},
		s.caseCode,
		&widget.Label{Text: tr("app.diag.result.give_code"), Wrapping: fyne.TextWrapWord, TextStyle: fyne.TextStyle{Bold: true}},
		s.resultPath,
		s.resultFacts,
		s.resultFails,
		// Two rows: one would make the column wider than half the window.
		container.NewHBox(s.copyCode, s.openFolder),
		container.NewHBox(s.upload, s.uploadBusy),
		s.resultMsg,
		s.uploadState,
	)
	s.result.Hide()

	s.openBundle = &widget.Button{Text: tr("app.diag.open.button"), Icon: theme.FolderOpenIcon(), OnTapped: s.onOpenBundle}
	s.chooseIdent = &widget.Button{Text: tr("app.diag.open.identity"), Icon: theme.AccountIcon(), OnTapped: s.onChooseIdentity}
	s.clearIdent = &widget.Button{Text: tr("app.diag.open.identity_clear"), Icon: theme.ContentClearIcon(), OnTapped: s.onClearIdentity}
	s.identityLabel = wrap()
	s.demoKeyLabel = &widget.Label{Wrapping: fyne.TextWrapWord, TextStyle: fyne.TextStyle{Italic: true}}
	s.demoKeyLabel.Hide()
	s.openBusy = widget.NewActivity()
	s.openBusy.Hide()
	s.openMsg = danger()

	s.exportBox = container.NewVBox(
		sectionHeading(tr("app.diag.export.heading")),
		&widget.Label{Text: tr("app.diag.export.intro"), Wrapping: fyne.TextWrapWord},
		&widget.Label{Text: tr("app.diag.level.heading"), TextStyle: fyne.TextStyle{Bold: true}},
		s.level,
		s.levelHint,
		s.encrypt,
		s.encryptHint,
		container.NewHBox(s.export, s.exportBusy),
		s.exportMsg,
		s.result,
		widget.NewSeparator(),
		sectionHeading(tr("app.diag.open.heading")),
		&widget.Label{Text: tr("app.diag.open.intro"), Wrapping: fyne.TextWrapWord},
		s.demoKeyLabel,
		container.NewHBox(s.chooseIdent, s.clearIdent),
		s.identityLabel,
		container.NewHBox(s.openBundle, s.openBusy),
		s.openMsg,
	)
	s.exportScrl = container.NewVScroll(s.exportBox)

	s.logText = &widget.Label{TextStyle: fyne.TextStyle{Monospace: true}, Selectable: true}
	s.logScroll = container.NewScroll(s.logText)
	s.logNote = wrap()
	s.logBusy = widget.NewActivity()
	s.logBusy.Hide()
	s.reload = &widget.Button{Text: tr("app.diag.log.reload"), Icon: theme.ViewRefreshIcon(), OnTapped: s.onReload}
	s.events = wrap()
	s.showEvents()
	logTop := container.NewVBox(
		sectionHeading(tr("app.diag.log.heading")),
		s.events,
		container.NewHBox(s.reload, s.logBusy),
		s.logNote,
	)
	// The raw log is the program's own, in its own words: a detail for the
	// helpdesk, folded away under "Détails", never what a person reads
	// first.
	room := canvas.NewRectangle(color.Transparent)
	room.SetMinSize(fyne.NewSize(0, 260))
	raw := container.NewBorder(&widget.Label{Text: tr("app.diag.log.intro", logLines), Wrapping: fyne.TextWrapWord}, nil, nil, nil,
		container.NewStack(room, s.logScroll))
	s.logDetails = widget.NewAccordion(widget.NewAccordionItem(tr("app.diag.log.details"), raw))
	logPane := container.NewVScroll(container.NewVBox(logTop, s.logDetails))

	split := container.NewHSplit(s.exportScrl, logPane)
	split.Offset = 0.5
	s.level.SetSelected(tr(levelKeys[diag.LevelStandard][0]))
	return split
}

// readOptions reads what the profile offers. Encryption is on by default
// when it can be; the person's choice stays until the profile changes
// what it offers.
func (s *diagScreen) readOptions() {
	enc, up := s.u.b.HelpdeskOptions()
	if !s.optionsRead || enc != s.canEncrypt {
		s.encrypt.SetChecked(enc)
	}
	s.canEncrypt, s.canUpload, s.optionsRead = enc, up, true
	if enc {
		s.encrypt.Enable()
	} else {
		s.encrypt.Disable()
	}
	s.showEncryptHint()
	// In the demo, its service desk's key is named, and chosen once.
	key := s.u.b.DemoHelpdeskKey()
	if key != "" && !s.demoKeyTaken {
		s.demoKeyTaken = true
		if s.identityPath == "" {
			s.identityPath = key
		}
	}
	demo := ""
	if key != "" {
		demo = tr("app.diag.open.demo_key", key)
	}
	showText(s.demoKeyLabel, demo)
}

// showEncryptHint says who will be able to open the file: the service
// desk only when encrypted, anyone who receives it otherwise.
func (s *diagScreen) showEncryptHint() {
	switch {
	case !s.canEncrypt:
		s.encryptHint.SetText(tr("app.diag.encrypt_unavailable"))
	case s.encrypt.Checked:
		s.encryptHint.SetText(tr("app.diag.encrypt_hint"))
	default:
		s.encryptHint.SetText(tr("app.diag.encrypt_hint_off"))
	}
	relayout(s.exportBox, s.exportScrl) // the sentence may take another line
}

func (s *diagScreen) refreshMain() {
	setEnabled(s.export, !s.exporting)
	spin(s.exportBusy, s.exporting)
	showText(s.exportMsg, s.exportErr)
	s.refreshResult()
	s.refreshLog()
	s.refreshOpen()
	relayout(s.exportBox, s.exportScrl)
}

// selectedLevel is the level the radio group shows.
func (s *diagScreen) selectedLevel() diag.Level {
	for i, o := range s.level.Options {
		if o == s.level.Selected {
			return diagLevels[i]
		}
	}
	return diag.LevelStandard
}

func (s *diagScreen) onLevel(string) {
	s.levelHint.SetText(tr(levelKeys[s.selectedLevel()][1]))
}

// onExport makes a bundle in the default folder, at the level chosen,
// encrypted when asked and possible.
func (s *diagScreen) onExport() {
	if s.exporting {
		return
	}
	s.exporting, s.exportErr = true, ""
	s.refreshMain()
	b, level, encrypt := s.u.b, string(s.selectedLevel()), s.canEncrypt && s.encrypt.Checked
	s.u.background(func() {
		ex, err := b.ExportDiagnostics("", level, encrypt)
		fyne.Do(func() {
			s.exporting = false
			if err != nil {
				s.exportErr = tr("app.diag.export_failed", err.Error())
			} else {
				s.last = &ex
				s.uploaded, s.uploadErr, s.deliveryOK, s.delivAt = false, "", false, time.Time{}
				showText(s.resultMsg, "")
			}
			s.refreshMain()
			if err == nil {
				s.showCaseCode(ex)
			}
		})
	})
}

// refreshResult shows the bundle just made: its case code first.
func (s *diagScreen) refreshResult() {
	ex := s.last
	if ex == nil {
		s.result.Hide()
		return
	}
	s.result.Show()
	s.caseCode.SetText(ex.CaseCode)
	s.resultPath.SetText(tr("app.diag.result.path", ex.Path))
	facts := "app.diag.result.plain"
	if ex.Encrypted {
		facts = "app.diag.result.encrypted"
	}
	s.resultFacts.SetText(tr(facts, sizeWords(s.u.lang, ex.Size)))
	fails := ""
	if len(ex.Failures) > 0 {
		fails = tr("app.diag.result.failures", strings.Join(ex.Failures, ", "))
	}
	showText(s.resultFails, fails)
	setVisible(s.upload, s.canUpload && !s.uploaded)
	setEnabled(s.upload, !s.uploading)
	spin(s.uploadBusy, s.uploading)
	state := ""
	switch {
	case s.uploadErr != "":
		state = tr("app.diag.upload_failed", s.uploadErr)
		s.uploadState.Importance = widget.DangerImportance
	case s.uploaded && !s.deliveryOK:
		state = tr("app.diag.delivery.loading")
		s.uploadState.Importance = widget.MediumImportance
	case s.uploaded:
		state = diagDeliveryWords(s.u.now(), s.delivery)
		s.uploadState.Importance = deliveryImportance(s.delivery.State)
	}
	showText(s.uploadState, state)
	s.uploadState.Refresh()
}

// showCaseCode shows the case code of the bundle just made in a dialog,
// big, with what to do with it: where the eye is, whatever the length of
// the screen below (the result stays there too).
func (s *diagScreen) showCaseCode(ex desk.DiagExport) {
	if s.done != nil {
		s.done.Hide()
	}
	code := &widget.Label{Text: ex.CaseCode, TextStyle: fyne.TextStyle{Monospace: true}, SizeName: theme.SizeNameHeadingText,
		Selectable: true, Alignment: fyne.TextAlignCenter}
	facts := "app.diag.result.plain"
	if ex.Encrypted {
		facts = "app.diag.result.encrypted"
	}
	copied := &widget.Label{Text: tr("app.diag.code_copied"), Importance: widget.SuccessImportance, Alignment: fyne.TextAlignCenter}
	copied.Hide()
	copyBtn := &widget.Button{Text: tr("app.diag.copy_code"), Icon: theme.ContentCopyIcon(), Importance: widget.HighImportance}
	copyBtn.OnTapped = func() {
		s.u.app.Clipboard().SetContent(ex.CaseCode)
		copied.Show()
	}
	body := container.NewVBox(
		&widget.Label{Text: tr("app.diag.result.give_code"), TextStyle: fyne.TextStyle{Bold: true}, Alignment: fyne.TextAlignCenter},
		code,
		&widget.Label{Text: tr(facts, sizeWords(s.u.lang, ex.Size)), Alignment: fyne.TextAlignCenter},
		container.NewCenter(copyBtn),
		copied,
	)
	d := dialog.NewCustom(tr("app.diag.done.title"), tr("app.diag.done.close"), body, s.u.win)
	s.done = d
	d.Show()
}

func (s *diagScreen) onCopyCode() {
	if s.last == nil {
		return
	}
	s.u.app.Clipboard().SetContent(s.last.CaseCode)
	s.resultMsg.Importance = widget.SuccessImportance
	showText(s.resultMsg, tr("app.diag.code_copied"))
	relayout(s.exportBox, s.exportScrl)
}

// onOpenFolder shows the folder that holds the bundle in the desktop's
// file manager.
func (s *diagScreen) onOpenFolder() {
	if s.last == nil {
		return
	}
	target, err := url.Parse(storage.NewFileURI(filepath.Dir(s.last.Path)).String())
	if err == nil {
		err = s.u.openURL(target)
	}
	if err != nil {
		s.resultMsg.Importance = widget.DangerImportance
		showText(s.resultMsg, tr("app.diag.open_folder_failed", err.Error()))
	} else {
		showText(s.resultMsg, "")
	}
	relayout(s.exportBox, s.exportScrl)
}

// onUpload queues the bundle for the profile's upload address; the
// outbox delivers it, and its state is read on refresh.
func (s *diagScreen) onUpload() {
	if s.last == nil || s.uploading || s.uploaded {
		return
	}
	s.uploading, s.uploadErr = true, ""
	s.refreshMain()
	b, ex := s.u.b, s.last
	s.u.background(func() {
		err := b.UploadBundle(ex.Path)
		fyne.Do(func() {
			s.uploading = false
			if s.last != ex {
				s.refreshMain()
				return
			}
			if err != nil {
				s.uploadErr = err.Error()
				s.refreshMain()
				return
			}
			s.uploaded = true
			s.refreshMain()
			s.loadDelivery()
		})
	})
}

// loadDelivery reads where the upload of the last bundle stands (its key
// is the case code).
func (s *diagScreen) loadDelivery() {
	if s.delivBusy || s.last == nil || !s.uploaded {
		return
	}
	s.delivBusy = true
	b, ex := s.u.b, s.last
	s.u.background(func() {
		d := b.Delivery(ex.CaseCode)
		fyne.Do(func() {
			s.delivBusy, s.delivAt = false, time.Now()
			if s.last != ex {
				return
			}
			s.delivery, s.deliveryOK = d, true
			s.refreshMain()
		})
	})
}

// ---- The recent log ----

func (s *diagScreen) onReload() {
	s.loadLog()
}

// loadLog reads the app's last lines in the background.
func (s *diagScreen) loadLog() {
	if s.logLoading {
		return
	}
	s.logLoading = true
	s.refreshLog()
	b := s.u.b
	s.u.background(func() {
		lines, err := b.RecentLog(logLines)
		fyne.Do(func() {
			s.logLoading, s.logAt = false, time.Now()
			if err != nil {
				s.logErr = err.Error()
			} else {
				s.logErr, s.logLoaded = "", true
				text := logWords(s.u.now(), lines)
				if text != s.logText.Text {
					s.logText.SetText(text)
					s.logScroll.Refresh()
					s.logScroll.ScrollToBottom()
				}
			}
			s.refreshLog()
		})
	})
}

// showEvents words the session's timeline (what Mode urgence did, when),
// newest last: the events the bundle's summary also shows.
func (s *diagScreen) showEvents() {
	tl := s.u.snap.Timeline
	if len(tl) == 0 {
		s.events.SetText(tr("app.diag.events.none"))
		return
	}
	if len(tl) > 12 {
		tl = tl[len(tl)-12:]
	}
	lines := []string{tr("app.diag.events.intro")}
	for _, e := range tl {
		lines = append(lines, clock(s.u.now(), e.At)+"  "+tr("diag.event."+string(e.Kind)))
	}
	s.events.SetText(strings.Join(lines, "\n"))
}

func (s *diagScreen) refreshLog() {
	s.showEvents()
	spin(s.logBusy, s.logLoading)
	setEnabled(s.reload, !s.logLoading)
	switch {
	case s.logErr != "":
		showText(s.logNote, tr("app.diag.log.failed", s.logErr))
	case !s.logLoaded:
		showText(s.logNote, tr("app.diag.log.loading"))
	case s.logText.Text == "":
		showText(s.logNote, tr("app.diag.log.empty"))
	default:
		showText(s.logNote, "")
	}
}

// logWords is the log as lines of text, oldest first: time, source,
// message.
func logWords(now time.Time, lines []diag.LogLine) string {
	lines = append([]diag.LogLine(nil), lines...)
	sort.SliceStable(lines, func(i, j int) bool { return lines[i].At.Before(lines[j].At) })
	var b strings.Builder
	for i, l := range lines {
		if i > 0 {
			b.WriteByte('\n')
		}
		msg := strings.ReplaceAll(strings.TrimRight(l.Message, "\n"), "\n", " ⏎ ")
		fmt.Fprintf(&b, "%s  %-8s %s", clock(now, l.At), l.Source, msg)
	}
	return b.String()
}

// ---- Opening a bundle ----

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
		showText(s.openMsg, tr("app.diag.open.choose_failed", err.Error()))
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
		showText(s.openMsg, tr("app.diag.open.choose_failed", err.Error()))
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
		bundle, err := b.OpenBundle(path, ident)
		summary := ""
		if err == nil {
			summary = summarize(bundle, l)
		}
		fyne.Do(func() {
			s.opening = false
			if err != nil {
				s.openFailed = true
				showText(s.openMsg, tr("app.diag.open.failed", filepath.Base(path), err.Error()))
				s.refreshMain()
				return
			}
			s.refreshMain()
			s.showBundle(bundle, summary)
		})
	})
}

// ---- The bundle view ----

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

func (s *diagScreen) showBundle(b *diag.Bundle, summary string) {
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
	shown, more := diag.Listed(len(m.Failures))
	for _, f := range m.Failures[:shown] {
		fails = append(fails, tr("app.diag.bundle.failure", f.Name, f.Error))
	}
	if more > 0 {
		fails = append(fails, diag.More(s.u.lang, more))
	}
	if len(fails) == 0 {
		fails = []string{tr("app.diag.bundle.no_failures")}
	}
	s.bFails.SetText(strings.Join(fails, "\n"))
	var files []string
	shown, more = diag.Listed(len(m.Files))
	for _, f := range m.Files[:shown] {
		files = append(files, tr("app.diag.bundle.file", f.Name, sizeWords(s.u.lang, f.Size)))
	}
	if more > 0 {
		files = append(files, diag.More(s.u.lang, more))
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
		msg = tr("app.diag.bundle.open_summary_failed", err.Error())
	}
	showText(s.bSummMsg, msg)
}

func (s *diagScreen) onBack() {
	s.bundle, s.summary = nil, ""
	s.show(diagMain)
	s.refresh()
}

// ---- Words ----

// sizeWords says a file's size: "512 octets", "48,2 Ko", "1,3 Mo".
func sizeWords(l string, n int64) string {
	num := func(f float64) string {
		s := fmt.Sprintf("%.1f", f)
		if l == "fr" {
			s = strings.Replace(s, ".", ",", 1)
		}
		return s
	}
	switch {
	case n < 1024:
		return tr("app.diag.size.bytes", n)
	case n < 1024*1024:
		return tr("app.diag.size.kb", num(float64(n)/1024))
	}
	return tr("app.diag.size.mb", num(float64(n)/(1024*1024)))
}

// diagDeliveryWords says where the upload of a bundle stands.
func diagDeliveryWords(now time.Time, d desk.Delivery) string {
	switch d.State {
	case desk.DeliveryPending:
		s := tr("app.diag.delivery.pending")
		if d.Attempts > 0 {
			s = tr("app.diag.delivery.pending_attempts", d.Attempts)
		}
		if d.Problem != "" {
			s += " " + tr("app.diag.delivery.last_problem", d.Problem)
		}
		return s
	case desk.DeliveryDelivered:
		if d.Delivered.IsZero() {
			return tr("app.diag.delivery.delivered")
		}
		return tr("app.diag.delivery.delivered_at", longDate(now, d.Delivered))
	case desk.DeliveryRejected:
		if d.Problem != "" {
			return tr("app.diag.delivery.rejected_why", d.Problem)
		}
		return tr("app.diag.delivery.rejected")
	}
	return tr("app.diag.delivery.none")
}

func deliveryImportance(state string) widget.Importance {
	switch state {
	case desk.DeliveryDelivered:
		return widget.SuccessImportance
	case desk.DeliveryRejected:
		return widget.DangerImportance
	}
	return widget.MediumImportance
}
