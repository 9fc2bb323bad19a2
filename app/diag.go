package app

import (
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/dialog"
	"fyne.io/fyne/v2/widget"

	"relais/internal/diag/bundle"
	"relais/internal/frontend"
)

// The Diagnostic tab: the screen and the view it shows. Each view has its
// file: diag_export.go, diag_log.go, diag_bundle.go; their words are in
// diag_words.go.

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
	openCase    *serverPage   // the case in the inbox of the organisation's server
	done        dialog.Dialog // the case code dialog after an export; nil before

	canEncrypt  bool
	canUpload   bool
	optionsRead bool // canEncrypt and canUpload were read once
	exporting   bool
	last        *frontend.DiagExport // the bundle just made; nil before
	exportErr   string
	uploading   bool
	uploaded    bool   // last was queued for upload
	uploadErr   string // UploadBundle's sentence
	delivery    frontend.Delivery
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
	bundle      *bundle.Bundle
	summary     string
	// summarize is the bundle's verdict in a language: bundle.Summary
	// (tests may stand in for it).
	summarize func(b *bundle.Bundle, lang string) string
}

// diagView is the view the Diagnostic tab shows.
type diagView int

const (
	diagMain diagView = iota
	diagBundle
)

// The levels, in the order of the radio group.
var diagLevels = []bundle.Level{bundle.LevelNone, bundle.LevelStandard, bundle.LevelStrict}

var levelKeys = map[bundle.Level][3]string{ // option, hint, name
	bundle.LevelNone:     {"app.diag.level.none", "app.diag.level.none_hint", "app.diag.level_name.none"},
	bundle.LevelStandard: {"app.diag.level.standard", "app.diag.level.standard_hint", "app.diag.level_name.standard"},
	bundle.LevelStrict:   {"app.diag.level.strict", "app.diag.level.strict_hint", "app.diag.level_name.strict"},
}

var _ screen = (*diagScreen)(nil)

func newDiag(u *ui) *diagScreen {
	return &diagScreen{u: u, reloadEvery: 10 * time.Second, summarize: bundle.Summary}
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
