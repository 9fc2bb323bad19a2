package app

import (
	"bytes"
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/dialog"
	"fyne.io/fyne/v2/storage"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"

	"relais/internal/checks"
	"relais/internal/desk"
	"relais/internal/drills"
	"relais/internal/profile"
)

// drillsScreen is the Exercices tab. It shows one of three views: the
// list (the profile's drills with their windows, this device's runs and
// where their reports stand, and the ambassadors' table of colleagues'
// reports), the walkthrough (a run step by step, or a drill read-only in
// guide mode), and a run's report. Every backend call runs in the
// background; the buttons are disabled and an activity shows meanwhile.
type drillsScreen struct {
	u    *ui
	root *fyne.Container // holds the view shown
	view drillView

	// The list.
	listView   fyne.CanvasObject
	listBox    *fyne.Container
	listScroll *container.Scroll
	drillRows  *fyne.Container
	runRows    *fyne.Container
	listMsg    *widget.Label // why a drill could not start
	runsNote   *widget.Label // loading, none, or why the runs cannot be read
	listBusy   *widget.Activity
	listedKey  string // what the rows show; they are rebuilt when it changes

	runs        []*drills.Run // newest first, as Runs returned them
	deliveries  map[string]desk.Delivery
	runsErr     string
	runsLoaded  bool
	runsLoading bool
	runsDigest  string    // what the runs and deliveries say, for listedKey
	runsAt      time.Time // wall clock of the last load, for reloadEvery
	// every calls f on the UI goroutine every second until stop is closed
	// (nil: everySecond); tests call f themselves. While a run is walked
	// or a report waits to be delivered, the screen ticks: elapsed times
	// move, the delivery is read again.
	every    func(stop <-chan struct{}, f func())
	tickStop chan struct{}
	// reloadEvery bounds how often a refresh reads the runs and the
	// delivery again: refreshes come with every engine event.
	reloadEvery time.Duration
	starting    bool   // StartDrill is under way
	startErr    string // StartDrill's error, as the backend worded it

	// The ambassadors' table.
	addReport    *widget.Button
	addFolder    *widget.Button // every report of a folder at once
	saveTable    *widget.Button
	clearReports *widget.Button
	reportFiles  *widget.Label
	summaryMsg   *widget.Label
	summaryBusy  *widget.Activity
	summaryGrid  *fyne.Container
	reportPaths  []string
	table        *drills.Table
	summarizing  bool

	// The walkthrough: a run, or a drill in guide mode.
	walkView    fyne.CanvasObject
	walkBox     *fyne.Container
	walkScroll  *container.Scroll
	walkBottom  *fyne.Container // the message and the buttons, below the scroll
	walkFrame   *fyne.Container
	back        *widget.Button
	guideBanner *widget.Label
	walkTitle   *widget.Label
	walkMeta    *widget.Label
	progress    *widget.Label
	bar         *widget.ProgressBar
	runTime     *widget.Label
	tto         *widget.Label
	stepTitle   *widget.Label
	stepKind    *widget.Label
	stepTime    *widget.Label
	outcome     *widget.Label
	body        *widget.RichText
	verify      *fyne.Container
	choices     *widget.RadioGroup
	answer      *widget.Entry
	note        *widget.Entry
	skipBox     *fyne.Container
	skipReason  *widget.Entry
	skipOK      *widget.Button
	skipCancel  *widget.Button
	walkMsg     *widget.Label // the backend's sentence, or what the screen asks first
	walkBusy    *widget.Activity
	act         *widget.Button // the current step's main action
	skip        *widget.Button
	finishBox   *fyne.Container
	feedback    *widget.Entry
	finish      *widget.Button
	prev        *widget.Button
	next        *widget.Button

	run       *drills.Run    // the run walked; nil in guide mode
	guide     *profile.Drill // guide mode: a copy of the profile's drill
	at        int            // the step shown; len(steps) is the end of a run
	busy      bool           // a backend call of the walkthrough is under way
	walkErr   string
	skipping  bool   // the reason to skip is asked
	bodyKey   string // the step whose body the RichText shows
	inputsKey string // the step the answer, note and reason were typed for

	// The report of a run.
	reportView  fyne.CanvasObject
	reportBox   *fyne.Container
	reportScrl  *container.Scroll
	repTitle    *widget.Label
	repResult   *widget.Label
	repTimes    *widget.Label
	repTTO      *widget.Label
	repSteps    *fyne.Container
	repFeedback *widget.Label
	repDelivery *widget.Label
	save        *widget.Button
	saveMsg     *widget.Label
	repBack     *widget.Button

	report       *drills.Report
	shownReport  *drills.Report // the report the step lines were built for
	delivery     desk.Delivery
	deliveryOK   bool // delivery was read for report
	delivLoading bool
	delivAt      time.Time
	exporting    bool
}

// drillView is the view the Exercices tab shows.
type drillView int

const (
	viewList drillView = iota
	viewWalk
	viewReport
)

var _ screen = (*drillsScreen)(nil)

func newDrills(u *ui) *drillsScreen {
	return &drillsScreen{u: u, reloadEvery: 10 * time.Second, deliveries: map[string]desk.Delivery{}}
}

func (s *drillsScreen) content() fyne.CanvasObject {
	s.listView = s.buildList()
	s.walkView = s.buildWalk()
	s.reportView = s.buildReport()
	s.root = container.NewStack(s.listView)
	s.refresh()
	return s.root
}

func (s *drillsScreen) refresh() {
	switch s.view {
	case viewList:
		s.refreshList()
		if s.due(s.runsLoading, s.runsAt) {
			s.loadRuns()
		}
	case viewWalk:
		s.refreshWalk()
	case viewReport:
		s.refreshReport()
		if s.due(s.delivLoading, s.delivAt) {
			s.loadDelivery()
		}
	}
}

// due reports whether data read at `at` should be read again.
func (s *drillsScreen) due(loading bool, at time.Time) bool {
	return reloadDue(loading, at, s.reloadEvery)
}

// show puts a view on screen.
func (s *drillsScreen) show(v drillView) {
	s.view = v
	if v == viewList {
		s.stopTicking()
	} else {
		s.startTicking()
	}
	o := s.listView
	switch v {
	case viewWalk:
		o = s.walkView
	case viewReport:
		o = s.reportView
	}
	s.root.Objects = []fyne.CanvasObject{o}
	s.root.Refresh()
}

// startTicking makes the screen tick every second (see every).
func (s *drillsScreen) startTicking() {
	if s.tickStop != nil {
		return
	}
	s.tickStop = make(chan struct{})
	every := s.every
	if every == nil {
		every = everySecond
	}
	every(s.tickStop, s.onTick)
}

func (s *drillsScreen) stopTicking() {
	if s.tickStop != nil {
		close(s.tickStop)
		s.tickStop = nil
	}
}

// onTick moves the elapsed times of the run walked, and reads again the
// delivery of a report not delivered yet.
func (s *drillsScreen) onTick() {
	switch s.view {
	case viewWalk:
		if s.run != nil && s.run.State == drills.RunActive {
			s.refreshWalk()
		}
	case viewReport:
		if !s.deliveryOK || s.delivery.State == desk.DeliveryPending {
			s.refresh()
		}
	}
}

// everySecond calls f on the UI goroutine every second until stop is
// closed.
func everySecond(stop <-chan struct{}, f func()) {
	t := time.NewTicker(time.Second)
	go func() {
		defer t.Stop()
		for {
			select {
			case <-stop:
				return
			case <-t.C:
				fyne.Do(f)
			}
		}
	}()
}

// spin starts or stops an activity; a stopped one is hidden (an animation
// left running redraws the window for nothing).
func spin(a *widget.Activity, on bool) {
	if on {
		a.Show()
		a.Start()
		return
	}
	a.Stop()
	a.Hide()
}

func setEnabled(b *widget.Button, on bool) {
	if on {
		b.Enable()
	} else {
		b.Disable()
	}
}

func setVisible(o fyne.CanvasObject, on bool) {
	if on {
		o.Show()
	} else {
		o.Hide()
	}
}

// ---- The list ----

func (s *drillsScreen) buildList() fyne.CanvasObject {
	wrap := func() *widget.Label { return &widget.Label{Wrapping: fyne.TextWrapWord} }
	s.drillRows = container.NewVBox()
	s.runRows = container.NewVBox()
	s.listMsg = &widget.Label{Wrapping: fyne.TextWrapWord, Importance: widget.DangerImportance}
	s.runsNote = wrap()
	s.listBusy = widget.NewActivity()
	s.addReport = &widget.Button{Text: tr("app.drills.summary.open"), Icon: theme.FolderOpenIcon(), OnTapped: s.onAddReport}
	s.addFolder = &widget.Button{Text: tr("app.drills.summary.open_folder"), Icon: theme.FolderOpenIcon(), OnTapped: s.onAddFolder}
	s.saveTable = &widget.Button{Text: tr("app.drills.summary.save"), Icon: theme.DocumentSaveIcon(), OnTapped: s.onSaveTable}
	s.clearReports = &widget.Button{Text: tr("app.drills.summary.clear"), Icon: theme.ContentClearIcon(), OnTapped: s.onClearReports}
	s.reportFiles = wrap()
	s.summaryMsg = &widget.Label{Wrapping: fyne.TextWrapWord, Importance: widget.DangerImportance}
	s.summaryBusy = widget.NewActivity()
	s.summaryGrid = container.NewGridWithColumns(6)
	s.listBox = container.NewVBox(
		sectionHeading(tr("app.drills.heading")),
		&widget.Label{Text: tr("app.drills.intro"), Wrapping: fyne.TextWrapWord},
		s.drillRows,
		s.listBusy,
		s.listMsg,
		widget.NewSeparator(),
		sectionHeading(tr("app.drills.runs.heading")),
		s.runsNote,
		s.runRows,
		widget.NewSeparator(),
		sectionHeading(tr("app.drills.summary.heading")),
		&widget.Label{Text: tr("app.drills.summary.intro"), Wrapping: fyne.TextWrapWord},
		container.NewHBox(s.addReport, s.addFolder, s.saveTable, s.clearReports, s.summaryBusy),
		s.reportFiles,
		s.summaryMsg,
		s.summaryGrid,
	)
	s.listScroll = container.NewVScroll(s.listBox)
	return s.listScroll
}

func (s *drillsScreen) refreshList() {
	u := s.u
	p := u.prof.Profile
	now := u.now()
	windows := ""
	if p != nil {
		for _, d := range p.Drills {
			windows += string(drills.WindowAt(d, now)) + ","
		}
	}
	// The rows are rebuilt only when what they say changes: a refresh comes
	// with every engine event, and a button rebuilt under the pointer loses
	// its click.
	key := fmt.Sprintf("%p|%s|%s|%s|%v|%s", p, u.lang, windows, s.runsDigest, s.starting, now.Format("2006-01-02 15:04"))
	if key != s.listedKey {
		s.listedKey = key
		s.buildDrillRows(p, now)
		s.buildRunRows(now)
	}
	spin(s.listBusy, s.starting)
	showText(s.listMsg, s.startErr)
	switch {
	case s.runsErr != "":
		showText(s.runsNote, tr("app.drills.runs.failed", s.runsErr))
	case !s.runsLoaded:
		showText(s.runsNote, tr("app.drills.runs.loading"))
	case len(s.runs) == 0:
		showText(s.runsNote, tr("app.drills.runs.none"))
	default:
		showText(s.runsNote, "")
	}
	s.refreshSummary()
	relayout(s.listBox, s.listScroll)
}

// buildDrillRows makes one block per drill of the profile: its title, its
// window, what kind of exercise it is, and its buttons.
func (s *drillsScreen) buildDrillRows(p *profile.Profile, now time.Time) {
	l := s.u.lang
	s.drillRows.RemoveAll()
	switch {
	case p == nil:
		s.drillRows.Add(&widget.Label{Text: tr("app.drills.no_profile"), Wrapping: fyne.TextWrapWord})
		return
	case len(p.Drills) == 0:
		s.drillRows.Add(&widget.Label{Text: tr("app.drills.none"), Wrapping: fyne.TextWrapWord})
		return
	}
	for i := range p.Drills {
		d := &p.Drills[i]
		if i > 0 {
			s.drillRows.Add(widget.NewSeparator())
		}
		id := d.ID
		buttons := container.NewHBox()
		switch {
		case s.activeRun(id) != nil:
			b := &widget.Button{Text: tr("app.drills.resume"), Icon: theme.MediaPlayIcon(), Importance: widget.HighImportance, OnTapped: func() { s.onStart(id) }}
			setEnabled(b, !s.starting)
			buttons.Add(b)
		case drills.WindowAt(*d, now) == drills.WindowOpen:
			b := &widget.Button{Text: tr("app.drills.start"), Icon: theme.MediaPlayIcon(), Importance: widget.HighImportance, OnTapped: func() { s.onStart(id) }}
			setEnabled(b, !s.starting)
			buttons.Add(b)
		}
		buttons.Add(&widget.Button{Text: tr("app.drills.guide_button"), Icon: theme.VisibilityIcon(), OnTapped: func() { s.onGuide(id) }})
		s.drillRows.Add(container.NewVBox(
			&widget.Label{Text: d.Title.In(l), TextStyle: fyne.TextStyle{Bold: true}, Wrapping: fyne.TextWrapWord},
			&widget.Label{Text: windowWords(*d, now), Wrapping: fyne.TextWrapWord},
			&widget.Label{Text: drillMeta(l, *d), Wrapping: fyne.TextWrapWord},
			buttons,
		))
	}
}

// buildRunRows makes one block per run of this device: the drill, when it
// started, where it stands, and where its report's delivery stands.
func (s *drillsScreen) buildRunRows(now time.Time) {
	l := s.u.lang
	s.runRows.RemoveAll()
	for i, r := range s.runs {
		if i > 0 {
			s.runRows.Add(widget.NewSeparator())
		}
		state := ""
		if r.State == drills.RunCompleted {
			state = tr("app.drills.run.completed", longDate(now, r.Finished))
		} else {
			state = tr("app.drills.run.active", min(r.Current()+1, len(r.Steps)), len(r.Steps))
		}
		box := container.NewVBox(
			&widget.Label{Text: r.Drill.Title.In(l), TextStyle: fyne.TextStyle{Bold: true}, Wrapping: fyne.TextWrapWord},
			&widget.Label{Text: tr("app.drills.run.started", longDate(now, r.Started)) + " — " + state, Wrapping: fyne.TextWrapWord},
		)
		run := r
		if r.State == drills.RunCompleted {
			if d, ok := s.deliveries[r.ID]; ok {
				box.Add(&widget.Label{Text: deliveryWords(now, d), Wrapping: fyne.TextWrapWord})
			}
			box.Add(container.NewHBox(&widget.Button{Text: tr("app.drills.run.open_report"), Icon: theme.DocumentIcon(), OnTapped: func() { s.onOpenReport(run) }}))
		} else {
			b := &widget.Button{Text: tr("app.drills.resume"), Icon: theme.MediaPlayIcon(), OnTapped: func() { s.onStart(run.DrillID) }}
			setEnabled(b, !s.starting)
			box.Add(container.NewHBox(b))
		}
		s.runRows.Add(box)
	}
}

// activeRun is this device's run of drill id under way, or nil.
func (s *drillsScreen) activeRun(id string) *drills.Run {
	for _, r := range s.runs {
		if r.DrillID == id && r.State == drills.RunActive {
			return r
		}
	}
	return nil
}

// loadRuns reads the runs and the delivery of their reports in the
// background, then shows them.
func (s *drillsScreen) loadRuns() {
	if s.runsLoading {
		return
	}
	s.runsLoading = true
	b := s.u.b
	s.u.background(func() {
		runs, err := b.Runs()
		dels := map[string]desk.Delivery{}
		if err == nil {
			for _, r := range runs {
				if r.State == drills.RunCompleted {
					dels[r.ID] = b.Delivery(r.ID)
				}
			}
		}
		fyne.Do(func() {
			s.runsLoading, s.runsAt = false, time.Now()
			if err != nil {
				s.runsErr = err.Error()
			} else {
				s.runsErr, s.runs, s.deliveries, s.runsLoaded = "", runs, dels, true
				s.runsDigest = digestRuns(runs, dels)
			}
			if s.view == viewList {
				s.refreshList()
			}
		})
	})
}

// digestRuns sums up what the run rows show.
func digestRuns(runs []*drills.Run, dels map[string]desk.Delivery) string {
	var b strings.Builder
	for _, r := range runs {
		d := dels[r.ID]
		fmt.Fprintf(&b, "%s %s %d %s %d %d %d %s;", r.ID, r.State, r.Current(), r.Finished, len(r.Steps),
			d.Attempts, d.NextAttempt.Unix(), d.State+d.Problem+d.Delivered.String())
	}
	return b.String()
}

// onStart starts drill id, or resumes its run under way.
func (s *drillsScreen) onStart(id string) {
	if s.starting {
		return
	}
	s.starting, s.startErr = true, ""
	s.refreshList()
	b := s.u.b
	s.u.background(func() {
		run, err := b.StartDrill(id)
		fyne.Do(func() {
			s.starting = false
			if err != nil {
				s.startErr = err.Error()
				s.refreshList()
				return
			}
			s.refreshList()
			s.openRun(run)
		})
	})
}

// onGuide shows drill id in guide mode: read-only, nothing recorded, no
// call to the backend.
func (s *drillsScreen) onGuide(id string) {
	p := s.u.prof.Profile
	if p == nil {
		return
	}
	d := p.Drill(id)
	if d == nil {
		return
	}
	c := *d
	s.run, s.guide, s.at, s.walkErr, s.skipping = nil, &c, 0, "", false
	s.bodyKey = ""
	s.show(viewWalk)
	s.refreshWalk()
}

// onBack returns to the list, which reads the runs again.
func (s *drillsScreen) onBack() {
	if s.busy || s.exporting {
		return
	}
	s.run, s.guide, s.report = nil, nil, nil
	s.walkErr, s.skipping = "", false
	s.show(viewList)
	s.refreshList()
	s.loadRuns()
}

// ---- The ambassadors' table ----

// reportExts are the report files the table reads: the report's JSON and
// the page "Enregistrer le rapport" writes.
var reportExts = []string{".json", ".html", ".htm"}

func (s *drillsScreen) onAddReport() {
	d := dialog.NewFileOpen(s.onReportChosen, s.u.win)
	d.SetFilter(storage.NewExtensionFileFilter(reportExts))
	d.Show()
}

// onAddFolder adds every report file of a folder: a coordinator's
// "received reports" folder at once.
func (s *drillsScreen) onAddFolder() {
	dialog.NewFolderOpen(func(u fyne.ListableURI, err error) {
		if err != nil {
			showText(s.summaryMsg, tr("app.drills.summary.open_failed", err.Error()))
			return
		}
		if u != nil {
			s.addFolderPath(u.Path())
		}
	}, s.u.win).Show()
}

// addFolderPath adds the report files (.json, .html) directly in dir.
func (s *drillsScreen) addFolderPath(dir string) {
	entries, err := os.ReadDir(dir)
	if err != nil {
		showText(s.summaryMsg, tr("app.drills.summary.open_failed", err.Error()))
		return
	}
	var paths []string
	for _, e := range entries {
		if e.Type().IsRegular() && slices.Contains(reportExts, strings.ToLower(filepath.Ext(e.Name()))) {
			paths = append(paths, filepath.Join(dir, e.Name()))
		}
	}
	if len(paths) == 0 {
		showText(s.summaryMsg, tr("app.drills.summary.folder_empty", dir))
		return
	}
	s.addReports(paths)
}

// onSaveTable saves the table for a spreadsheet (.csv) or a browser
// (.html).
func (s *drillsScreen) onSaveTable() {
	if s.table == nil || s.summarizing {
		return
	}
	d := dialog.NewFileSave(func(w fyne.URIWriteCloser, err error) {
		if err != nil {
			showText(s.summaryMsg, tr("app.drills.summary.save_failed", err.Error()))
			return
		}
		if w == nil {
			return
		}
		path := w.URI().Path()
		w.Close()
		s.saveTableTo(path)
	}, s.u.win)
	d.SetFilter(storage.NewExtensionFileFilter([]string{".csv", ".html"}))
	d.SetFileName(tr("app.drills.summary.file_name") + ".csv")
	d.Show()
}

// saveTableTo writes the table to path: HTML for .html or .htm, else CSV
// (a name without either gets .csv).
func (s *drillsScreen) saveTableTo(path string) {
	t, lang := s.table, s.u.lang
	if t == nil {
		return
	}
	s.u.background(func() {
		target := path
		ext := strings.ToLower(filepath.Ext(path))
		if ext != ".csv" && ext != ".html" && ext != ".htm" {
			target = path + ".csv"
			if fi, err := os.Stat(path); err == nil && fi.Mode().IsRegular() && fi.Size() == 0 {
				os.Remove(path) // what the dialog left
			}
		}
		var buf bytes.Buffer
		var err error
		if ext == ".html" || ext == ".htm" {
			err = t.WriteHTML(&buf, lang)
		} else {
			err = t.WriteCSV(&buf, lang)
		}
		if err == nil {
			err = os.WriteFile(target, buf.Bytes(), 0o644)
		}
		fyne.Do(func() {
			if err != nil {
				showText(s.summaryMsg, tr("app.drills.summary.save_failed", err.Error()))
				s.summaryMsg.Importance = widget.DangerImportance
			} else {
				showText(s.summaryMsg, tr("app.drills.summary.saved", target))
				s.summaryMsg.Importance = widget.SuccessImportance
			}
			s.summaryMsg.Refresh()
		})
	})
}

func (s *drillsScreen) onReportChosen(r fyne.URIReadCloser, err error) {
	if err != nil {
		showText(s.summaryMsg, tr("app.drills.summary.open_failed", err.Error()))
		return
	}
	if r == nil {
		return // cancelled
	}
	path := r.URI().Path()
	// The backend reads the file itself.
	r.Close()
	s.addReports([]string{path})
}

// addReports adds report files to the table (a file already in it counts
// once) and makes the table again; when a file cannot be read, the table
// stays as it was and the sentence says why.
func (s *drillsScreen) addReports(paths []string) {
	if s.summarizing {
		return
	}
	all := append([]string(nil), s.reportPaths...)
	for _, p := range paths {
		seen := false
		for _, q := range all {
			seen = seen || q == p
		}
		if !seen {
			all = append(all, p)
		}
	}
	s.summarizing = true
	s.refreshSummary()
	b := s.u.b
	s.u.background(func() {
		t, err := b.Summarize(all)
		fyne.Do(func() {
			s.summarizing = false
			if err != nil {
				showText(s.summaryMsg, tr("app.drills.summary.failed", err.Error()))
				s.summaryMsg.Importance = widget.DangerImportance
				s.summaryMsg.Refresh()
			} else {
				showText(s.summaryMsg, "")
				s.reportPaths, s.table = all, t
			}
			s.refreshSummary()
			relayout(s.listBox, s.listScroll)
		})
	})
}

func (s *drillsScreen) onClearReports() {
	if s.summarizing {
		return
	}
	s.reportPaths, s.table = nil, nil
	showText(s.summaryMsg, "")
	s.refreshSummary()
	relayout(s.listBox, s.listScroll)
}

// refreshSummary shows the files chosen and their table.
func (s *drillsScreen) refreshSummary() {
	spin(s.summaryBusy, s.summarizing)
	setEnabled(s.addReport, !s.summarizing)
	setEnabled(s.clearReports, !s.summarizing && len(s.reportPaths) > 0)
	setEnabled(s.saveTable, !s.summarizing && s.table != nil)
	names := make([]string, len(s.reportPaths))
	for i, p := range s.reportPaths {
		names[i] = filepath.Base(p)
	}
	switch len(names) {
	case 0:
		showText(s.reportFiles, "")
	case 1:
		showText(s.reportFiles, tr("app.drills.summary.file_one", names[0]))
	default:
		showText(s.reportFiles, tr("app.drills.summary.file_many", len(names), strings.Join(names, ", ")))
	}
	s.summaryGrid.RemoveAll()
	if s.table == nil {
		s.summaryGrid.Hide()
		return
	}
	s.summaryGrid.Show()
	bold := func(t string) fyne.CanvasObject {
		return &widget.Label{Text: t, TextStyle: fyne.TextStyle{Bold: true}, Wrapping: fyne.TextWrapWord}
	}
	cell := func(t string) fyne.CanvasObject { return &widget.Label{Text: t, Wrapping: fyne.TextWrapWord} }
	for _, k := range []string{"who", "drill", "when", "completed", "tto", "failed"} {
		s.summaryGrid.Add(bold(tr("app.drills.summary.col." + k)))
	}
	now, l := s.u.now(), s.u.lang
	for _, r := range s.table.Rows {
		s.summaryGrid.Add(cell(r.Participant))
		s.summaryGrid.Add(cell(r.DrillTitle.In(l)))
		s.summaryGrid.Add(cell(longDate(now, r.Started)))
		s.summaryGrid.Add(cell(yesNo(r.Completed)))
		s.summaryGrid.Add(cell(ttoWords("app.drills.summary.", l, r.TimeToOperationalMS, r.RTOMS, r.WithinRTO)))
		s.summaryGrid.Add(cell(s.failedSteps(r)))
	}
}

// failedSteps names a row's failed steps by their titles when the profile
// knows the drill, else by their ids.
func (s *drillsScreen) failedSteps(r drills.Row) string {
	if len(r.FailedSteps) == 0 {
		return tr("app.drills.summary.none_failed")
	}
	var d *profile.Drill
	if p := s.u.prof.Profile; p != nil {
		d = p.Drill(r.DrillID)
	}
	names := make([]string, len(r.FailedSteps))
	for i, id := range r.FailedSteps {
		names[i] = id
		if d != nil {
			if st := drillStep(*d, id); st != nil {
				names[i] = st.Title.In(s.u.lang)
			}
		}
	}
	return strings.Join(names, ", ")
}

// ---- The walkthrough ----

func (s *drillsScreen) buildWalk() fyne.CanvasObject {
	wrap := func() *widget.Label { return &widget.Label{Wrapping: fyne.TextWrapWord} }
	s.back = &widget.Button{Text: tr("app.drills.back"), Icon: theme.NavigateBackIcon(), OnTapped: s.onBack}
	s.guideBanner = &widget.Label{Text: tr("app.drills.guide.banner"), Wrapping: fyne.TextWrapWord, Importance: widget.WarningImportance, TextStyle: fyne.TextStyle{Bold: true}}
	s.walkTitle = &widget.Label{Wrapping: fyne.TextWrapWord, TextStyle: fyne.TextStyle{Bold: true}, SizeName: theme.SizeNameSubHeadingText}
	s.walkMeta = wrap()
	s.progress = &widget.Label{TextStyle: fyne.TextStyle{Bold: true}}
	s.bar = &widget.ProgressBar{Max: 1, TextFormatter: func() string { return "" }}
	s.runTime = wrap()
	s.tto = wrap()
	s.stepTitle = &widget.Label{Wrapping: fyne.TextWrapWord, TextStyle: fyne.TextStyle{Bold: true}, SizeName: theme.SizeNameSubHeadingText}
	s.stepKind = &widget.Label{Wrapping: fyne.TextWrapWord, TextStyle: fyne.TextStyle{Italic: true}}
	s.stepTime = wrap()
	s.outcome = wrap()
	s.body = widget.NewRichText()
	s.body.Wrapping = fyne.TextWrapWord
	s.verify = container.NewVBox()
	s.choices = widget.NewRadioGroup(nil, nil)
	s.answer = widget.NewMultiLineEntry()
	s.answer.Wrapping = fyne.TextWrapWord
	s.answer.SetMinRowsVisible(3)
	s.answer.PlaceHolder = tr("app.drills.walk.answer_placeholder")
	s.note = widget.NewEntry()
	s.note.PlaceHolder = tr("app.drills.walk.note_placeholder")
	s.skipReason = widget.NewEntry()
	s.skipOK = &widget.Button{Text: tr("app.drills.walk.skip_confirm"), Icon: theme.MediaSkipNextIcon(), OnTapped: s.onSkipConfirm}
	s.skipCancel = &widget.Button{Text: tr("app.drills.walk.skip_cancel"), OnTapped: s.onSkipCancel}
	s.skipBox = container.NewVBox(s.skipReason, container.NewHBox(s.skipOK, s.skipCancel))
	s.walkMsg = &widget.Label{Wrapping: fyne.TextWrapWord, Importance: widget.DangerImportance}
	s.walkBusy = widget.NewActivity()
	s.act = &widget.Button{Importance: widget.HighImportance, Icon: theme.ConfirmIcon(), OnTapped: s.onAct}
	s.skip = &widget.Button{Text: tr("app.drills.walk.skip"), Icon: theme.MediaSkipNextIcon(), OnTapped: s.onSkip}
	s.feedback = widget.NewMultiLineEntry()
	s.feedback.Wrapping = fyne.TextWrapWord
	s.feedback.SetMinRowsVisible(4)
	s.feedback.PlaceHolder = tr("app.drills.walk.feedback_placeholder")
	s.finish = &widget.Button{Text: tr("app.drills.walk.finish"), Icon: theme.ConfirmIcon(), Importance: widget.HighImportance, OnTapped: s.onFinish}
	s.finishBox = container.NewVBox(
		&widget.Label{Text: tr("app.drills.walk.all_done_intro"), Wrapping: fyne.TextWrapWord},
		s.feedback,
	)
	s.prev = &widget.Button{Text: tr("app.drills.walk.previous"), Icon: theme.NavigateBackIcon(), OnTapped: s.onPrev}
	s.next = &widget.Button{Text: tr("app.drills.walk.next"), Icon: theme.NavigateNextIcon(), IconPlacement: widget.ButtonIconTrailingText, OnTapped: s.onNext}

	s.walkBox = container.NewVBox(
		s.walkTitle,
		s.walkMeta,
		s.progress,
		s.bar,
		s.runTime,
		s.tto,
		widget.NewSeparator(),
		s.stepTitle,
		s.stepKind,
		s.stepTime,
		s.outcome,
		s.body,
		s.verify,
		s.choices,
		s.answer,
		s.note,
		s.finishBox,
	)
	s.walkScroll = container.NewVScroll(s.walkBox)
	top := container.NewVBox(container.NewHBox(s.back), s.guideBanner)
	// What to do stays in view below the step, however long its body.
	s.walkBottom = container.NewVBox(
		widget.NewSeparator(),
		s.walkMsg,
		s.skipBox,
		container.NewBorder(nil, nil, container.NewHBox(s.prev, s.next), container.NewHBox(s.walkBusy, s.skip, s.act, s.finish)),
	)
	s.walkFrame = container.NewBorder(top, s.walkBottom, nil, nil, s.walkScroll)
	return s.walkFrame
}

// drill is the drill walked: the run's own copy, or the guide's.
func (s *drillsScreen) drill() *profile.Drill {
	if s.run != nil {
		return &s.run.Drill
	}
	return s.guide
}

// current is the index of the step to do now (len(steps) when all are
// done or skipped); in guide mode, the step shown.
func (s *drillsScreen) current() int {
	if s.run != nil {
		return s.run.Current()
	}
	return s.at
}

// record is the run's record of step i, or nil in guide mode.
func (s *drillsScreen) record(i int) *drills.Step {
	if s.run == nil || i < 0 || i >= len(s.run.Steps) {
		return nil
	}
	return &s.run.Steps[i]
}

// openRun shows a run at its current step (its report when it is over).
func (s *drillsScreen) openRun(run *drills.Run) {
	if run.State == drills.RunCompleted {
		s.onOpenReport(run)
		return
	}
	s.run, s.guide, s.walkErr, s.skipping = run, nil, "", false
	s.at = run.Current()
	s.bodyKey = ""
	s.show(viewWalk)
	s.refreshWalk()
}

func (s *drillsScreen) refreshWalk() {
	d := s.drill()
	if d == nil {
		return
	}
	u := s.u
	l, now := u.lang, u.now()
	n := len(d.Steps)
	guide := s.run == nil
	cur := s.current()
	if s.at > n || (guide && s.at >= n) {
		s.at = max(0, min(cur, n-1))
	}

	setVisible(s.guideBanner, guide)
	s.walkTitle.SetText(d.Title.In(l))
	s.walkMeta.SetText(drillMeta(l, *d))

	done := 0
	if guide {
		done = s.at + 1
	} else {
		for _, st := range s.run.Steps {
			if st.State == drills.StepDone || st.State == drills.StepSkipped {
				done++
			}
		}
	}
	if s.at < n {
		s.progress.SetText(tr("app.drills.walk.progress", s.at+1, n))
	} else {
		s.progress.SetText(tr("app.drills.walk.progress_done", n))
	}
	s.bar.Max = float64(max(n, 1))
	s.bar.SetValue(float64(done))

	rto := d.RTO.Duration()
	if guide {
		showText(s.runTime, tr("app.drills.walk.rto", objective(l, rto)))
		showText(s.tto, "")
	} else {
		end := now
		if !s.run.Finished.IsZero() {
			end = s.run.Finished
		}
		showText(s.runTime, tr("app.drills.walk.elapsed", stopwatch(positive(end.Sub(s.run.Started))), objective(l, rto)))
		tto := ""
		if t := s.run.TimeToOperational; t != nil {
			if *t <= rto {
				tto = tr("app.drills.walk.tto_within", duration(l, *t))
			} else {
				tto = tr("app.drills.walk.tto_over", duration(l, *t))
			}
		}
		showText(s.tto, tto)
	}

	atEnd := s.at >= n
	for _, o := range []fyne.CanvasObject{s.stepTitle, s.stepKind, s.body} {
		setVisible(o, !atEnd)
	}
	setVisible(s.finishBox, atEnd && !guide)
	setVisible(s.finish, atEnd && !guide)
	if atEnd {
		for _, o := range []fyne.CanvasObject{s.stepTime, s.outcome, s.verify, s.choices, s.answer, s.note, s.skipBox, s.act, s.skip} {
			o.Hide()
		}
	} else {
		s.showStep(d, now)
	}
	setEnabled(s.finish, !s.busy)
	if s.busy {
		s.feedback.Disable()
	} else {
		s.feedback.Enable()
	}

	// The sentence is about the current step: not shown beside another.
	if guide || s.at == cur {
		showText(s.walkMsg, s.walkErr)
	} else {
		showText(s.walkMsg, "")
	}
	spin(s.walkBusy, s.busy)
	setEnabled(s.back, !s.busy)
	setEnabled(s.prev, !s.busy && s.at > 0)
	setEnabled(s.next, !s.busy && ((guide && s.at < n-1) || (!guide && s.at < cur)))
	relayout(s.walkBox, s.walkScroll)
	s.walkBottom.Refresh()
	s.walkFrame.Refresh()
}

// showStep shows step s.at of d: its title, kind, times, outcome, body,
// verification, and on the current step of a run what to do.
func (s *drillsScreen) showStep(d *profile.Drill, now time.Time) {
	l := s.u.lang
	def := d.Steps[s.at]
	rec := s.record(s.at)
	guide := s.run == nil
	isCurrent := !guide && s.at == s.current()
	required := def.IsRequired()
	if rec != nil {
		required = rec.Required
	}

	s.stepTitle.SetText(def.Title.In(l))
	req := tr("app.drills.walk.required")
	if !required {
		req = tr("app.drills.walk.optional")
	}
	s.stepKind.SetText(tr("app.drills.walk.kind", kindWord(def.Kind), req, kindHint(def.Kind)))

	expected := def.Expected.Duration()
	stepTime := ""
	switch {
	case isCurrent && rec != nil && !rec.Started.IsZero() && expected > 0:
		stepTime = tr("app.drills.walk.step_time_expected", stopwatch(positive(now.Sub(rec.Started))), objective(l, expected))
	case isCurrent && rec != nil && !rec.Started.IsZero():
		stepTime = tr("app.drills.walk.step_time", stopwatch(positive(now.Sub(rec.Started))))
	case expected > 0 && (guide || rec == nil || rec.State == drills.StepOpen):
		stepTime = tr("app.drills.walk.expected", objective(l, expected))
	}
	showText(s.stepTime, stepTime)

	outcome := ""
	if rec != nil && (!isCurrent || rec.State == drills.StepFailed) {
		outcome = outcomeWords(l, *rec, expected)
		if rec.State == drills.StepFailed && s.walkErr != "" {
			outcome = "" // the backend's sentence says it better
		}
		if a := rec.Evidence.Answer; a != "" && !isCurrent {
			outcome += "\n" + tr("app.drills.walk.your_answer", a)
		}
		if nt := rec.Evidence.Note; nt != "" && !isCurrent {
			outcome += "\n" + tr("app.drills.walk.your_note", nt)
		}
	}
	showText(s.outcome, strings.TrimSpace(outcome))
	if rec != nil && rec.State == drills.StepFailed {
		s.outcome.Importance = widget.DangerImportance
	} else {
		s.outcome.Importance = widget.MediumImportance
	}
	s.outcome.Refresh()

	key := fmt.Sprintf("%p|%s|%d", d, l, s.at)
	if key != s.bodyKey {
		s.bodyKey = key
		s.body.Segments = markdownSegments(s.u, def.Body.In(l), s.onOpenURL)
		s.body.Refresh()
	}

	s.showVerification(def, rec)

	// What to do: on the current step of a run only.
	inputs := ""
	if isCurrent {
		inputs = s.run.ID + "|" + def.ID
	}
	if inputs != s.inputsKey {
		s.inputsKey = inputs
		s.choices.Selected = ""
		s.answer.SetText("")
		s.note.SetText("")
		s.skipReason.SetText("")
		s.skipping = false
	}
	question := def.Kind == "question"
	if (isCurrent || guide) && question && len(def.Choices) > 0 {
		opts := make([]string, len(def.Choices))
		for i, c := range def.Choices {
			opts[i] = c.In(l)
		}
		s.choices.Options = opts
		s.choices.Show()
		s.choices.Refresh()
	} else {
		s.choices.Hide()
	}
	setVisible(s.answer, isCurrent && question && len(def.Choices) == 0)
	setVisible(s.note, isCurrent)
	setVisible(s.skipBox, isCurrent && s.skipping)
	if required {
		s.skipReason.SetPlaceHolder(tr("app.drills.walk.skip_reason_required"))
	} else {
		s.skipReason.SetPlaceHolder(tr("app.drills.walk.skip_reason_optional"))
	}
	setVisible(s.act, isCurrent && !s.skipping)
	setVisible(s.skip, isCurrent && !s.skipping)
	if isCurrent {
		s.act.SetText(actWord(def.Kind, rec != nil && rec.State == drills.StepFailed))
	}
	for _, w := range []fyne.Disableable{s.act, s.skip, s.skipOK, s.skipCancel, s.choices, s.answer, s.note, s.skipReason} {
		if s.busy {
			w.Disable()
		} else {
			w.Enable()
		}
	}
	if guide {
		s.choices.Disable() // shown, to read: nothing is recorded
	}
}

// showVerification says how a step is verified and, once tried, how each
// check answered. Instructions and questions are not verified.
func (s *drillsScreen) showVerification(def profile.Step, rec *drills.Step) {
	s.verify.RemoveAll()
	if def.Action == "" && len(def.Checks) == 0 {
		s.verify.Hide()
		return
	}
	s.verify.Show()
	s.verify.Add(&widget.Label{Text: tr("app.drills.verify.heading"), TextStyle: fyne.TextStyle{Bold: true}})
	if def.Action != "" {
		s.verify.Add(&widget.Label{Text: s.actionWords(def.Action), Wrapping: fyne.TextWrapWord})
	}
	if len(def.Checks) == 0 {
		s.verify.Add(&widget.Label{Text: tr("app.drills.verify.by_action"), Wrapping: fyne.TextWrapWord})
		return
	}
	for _, id := range def.Checks {
		var ev *drills.CheckEvidence
		if rec != nil {
			for i := range rec.Evidence.Checks {
				if rec.Evidence.Checks[i].ID == id {
					ev = &rec.Evidence.Checks[i]
				}
			}
		}
		name := s.checkName(id)
		if s.run == nil { // guide mode: nothing is tried
			s.verify.Add(&widget.Label{Text: tr("app.drills.verify.verified_by", name), Wrapping: fyne.TextWrapWord})
			continue
		}
		if ev == nil {
			s.verify.Add(stepRow(progressStep{stepWaiting, tr("app.drills.verify.not_yet", name)}))
			continue
		}
		text := tr("app.drills.verify.check", name, stateWord(ev.State))
		if ev.State != checks.StateOK {
			if why := s.checkReason(id, ev.State); why != "" {
				text += "\n" + why
			}
		}
		s.verify.Add(stepRow(progressStep{stepOf(ev.State), text}))
	}
}

// checkName is a check's id with the name of the app it belongs to.
func (s *drillsScreen) checkName(id string) string {
	if p := s.u.prof.Profile; p != nil {
		for _, a := range p.Apps {
			for _, c := range a.Checks {
				if c.ID == id {
					return tr("app.drills.verify.check_name", a.Name.In(s.u.lang), id)
				}
			}
		}
	}
	return id
}

// checkReason is why a check is not ok, in words, from the engine's latest
// report when it says the same state.
func (s *drillsScreen) checkReason(id string, st checks.State) string {
	rep := currentSnapshot(s.u).Report
	if rep == nil {
		return ""
	}
	for _, a := range rep.Apps {
		for _, c := range a.Checks {
			if c.ID == id && c.State == st && c.Reason != nil {
				return c.Reason.Text.In(s.u.lang)
			}
		}
	}
	return ""
}

// actionWords says what Relais does for an action step.
func (s *drillsScreen) actionWords(action string) string {
	switch {
	case action == profile.ActionTunnelUp:
		return tr("app.drills.verify.action_tunnel_up")
	case action == profile.ActionRunChecks:
		return tr("app.drills.verify.action_run_checks")
	case strings.HasPrefix(action, profile.ActionOpenLink+":"):
		id := strings.TrimPrefix(action, profile.ActionOpenLink+":")
		name := id
		if p := s.u.prof.Profile; p != nil {
			if lk := p.Link(id); lk != nil {
				name = lk.Name.In(s.u.lang)
			}
		}
		return tr("app.drills.verify.action_open_link", name)
	}
	return tr("app.drills.verify.action_other", action)
}

func (s *drillsScreen) onOpenURL(target *url.URL) {
	if err := s.u.openURL(target); err != nil {
		s.walkErr = tr("app.drills.walk.open_failed", target.String(), err.Error())
		s.refreshWalk()
	}
}

func (s *drillsScreen) onPrev() {
	if s.busy || s.at == 0 {
		return
	}
	s.at--
	s.skipping = false
	s.refreshWalk()
}

func (s *drillsScreen) onNext() {
	d := s.drill()
	if s.busy || d == nil {
		return
	}
	if s.run == nil && s.at < len(d.Steps)-1 || s.run != nil && s.at < s.current() {
		s.at++
		s.refreshWalk()
	}
}

// onAct does the current step: "J'ai lu", the action and its
// verification, the check, or the answer.
func (s *drillsScreen) onAct() {
	if s.busy || s.run == nil {
		return
	}
	i := s.run.Current()
	d := &s.run.Drill
	if i >= len(d.Steps) || i >= len(s.run.Steps) {
		return
	}
	def, rec := d.Steps[i], s.run.Steps[i]
	in := drills.Input{Note: strings.TrimSpace(s.note.Text)}
	if def.Kind == "question" {
		if len(def.Choices) > 0 {
			c := -1
			for j, o := range s.choices.Options {
				if o == s.choices.Selected {
					c = j
				}
			}
			if c >= 0 {
				in.Choice = &c
			} else if rec.Required {
				s.walkErr = tr("app.drills.walk.choose_first")
				s.refreshWalk()
				return
			}
		} else {
			in.Answer = strings.TrimSpace(s.answer.Text)
			if in.Answer == "" && rec.Required {
				s.walkErr = tr("app.drills.walk.answer_first")
				s.refreshWalk()
				return
			}
		}
	}
	runID, stepID := s.run.ID, rec.ID
	s.call(func(b desk.Backend) (*drills.Run, error) { return b.CompleteStep(runID, stepID, in) })
}

// onSkip asks why the step is skipped (required steps need a reason).
func (s *drillsScreen) onSkip() {
	if s.busy || s.run == nil {
		return
	}
	s.skipping, s.walkErr = true, ""
	s.refreshWalk()
	if c := s.u.win.Canvas(); c != nil {
		c.Focus(s.skipReason)
	}
}

func (s *drillsScreen) onSkipCancel() {
	s.skipping, s.walkErr = false, ""
	s.refreshWalk()
}

func (s *drillsScreen) onSkipConfirm() {
	if s.busy || s.run == nil {
		return
	}
	i := s.run.Current()
	if i >= len(s.run.Steps) {
		return
	}
	rec := s.run.Steps[i]
	reason := strings.TrimSpace(s.skipReason.Text)
	if reason == "" && rec.Required {
		s.walkErr = tr("app.drills.walk.reason_first")
		s.refreshWalk()
		return
	}
	runID, stepID := s.run.ID, rec.ID
	s.call(func(b desk.Backend) (*drills.Run, error) { return b.SkipStep(runID, stepID, reason) })
}

// call runs a step operation in the background, the buttons disabled
// meanwhile, then shows the run it returns (a failed verification
// returns the run with the step failed, and an error) and the error.
func (s *drillsScreen) call(op func(desk.Backend) (*drills.Run, error)) {
	s.busy, s.walkErr = true, ""
	s.refreshWalk()
	b := s.u.b
	s.u.background(func() {
		run, err := op(b)
		fyne.Do(func() {
			s.busy = false
			if run != nil && s.run != nil && run.ID == s.run.ID {
				s.run = run
				s.at = run.Current()
			}
			if err != nil {
				s.walkErr = err.Error()
			} else {
				s.skipping = false
			}
			s.refreshWalk()
		})
	})
}

// onFinish ends the run with the feedback and shows its report.
func (s *drillsScreen) onFinish() {
	if s.busy || s.run == nil || s.run.Current() < len(s.run.Steps) {
		return
	}
	s.busy, s.walkErr = true, ""
	s.refreshWalk()
	b, runID, feedback := s.u.b, s.run.ID, strings.TrimSpace(s.feedback.Text)
	s.u.background(func() {
		rep, err := b.FinishDrill(runID, feedback)
		fyne.Do(func() {
			s.busy = false
			if rep == nil {
				if err != nil {
					s.walkErr = err.Error()
				}
				s.refreshWalk()
				return
			}
			// The run is over even when its report could not be queued:
			// the report shows, with why, and can still be saved.
			s.feedback.SetText("")
			s.showReport(rep)
			if err != nil {
				s.saveMsg.Importance = widget.DangerImportance
				showText(s.saveMsg, err.Error())
				relayout(s.reportBox, s.reportScrl)
			}
		})
	})
}

// ---- The report ----

func (s *drillsScreen) buildReport() fyne.CanvasObject {
	wrap := func() *widget.Label { return &widget.Label{Wrapping: fyne.TextWrapWord} }
	s.repTitle = &widget.Label{Wrapping: fyne.TextWrapWord, TextStyle: fyne.TextStyle{Bold: true}, SizeName: theme.SizeNameSubHeadingText}
	s.repResult = &widget.Label{Wrapping: fyne.TextWrapWord, TextStyle: fyne.TextStyle{Bold: true}}
	s.repTimes = wrap()
	s.repTTO = wrap()
	s.repSteps = container.NewVBox()
	s.repFeedback = wrap()
	s.repDelivery = wrap()
	s.save = &widget.Button{Text: tr("app.drills.report.save"), Icon: theme.DocumentSaveIcon(), OnTapped: s.onSave}
	s.saveMsg = wrap()
	s.repBack = &widget.Button{Text: tr("app.drills.back"), Icon: theme.NavigateBackIcon(), OnTapped: s.onBack}
	s.reportBox = container.NewVBox(
		s.repTitle,
		s.repResult,
		s.repTimes,
		s.repTTO,
		widget.NewSeparator(),
		&widget.Label{Text: tr("app.drills.report.steps"), TextStyle: fyne.TextStyle{Bold: true}},
		s.repSteps,
		s.repFeedback,
		widget.NewSeparator(),
		&widget.Label{Text: tr("app.drills.report.delivery"), TextStyle: fyne.TextStyle{Bold: true}},
		s.repDelivery,
		container.NewHBox(s.save),
		s.saveMsg,
	)
	s.reportScrl = container.NewVScroll(s.reportBox)
	return container.NewBorder(container.NewHBox(s.repBack), nil, nil, nil, s.reportScrl)
}

// onOpenReport shows the report of a finished run, made from the run as
// recorded (the participant's name, which only the backend knows, is not
// shown).
func (s *drillsScreen) onOpenReport(run *drills.Run) {
	rep := drills.BuildReport(run, "")
	s.showReport(&rep)
}

func (s *drillsScreen) showReport(rep *drills.Report) {
	s.report, s.run, s.guide = rep, nil, nil
	s.deliveryOK, s.delivAt = false, time.Time{}
	showText(s.saveMsg, "")
	s.show(viewReport)
	s.refreshReport()
	s.loadDelivery()
}

func (s *drillsScreen) refreshReport() {
	rep := s.report
	if rep == nil {
		return
	}
	l, now := s.u.lang, s.u.now()
	s.repTitle.SetText(tr("app.drills.report.title", rep.DrillTitle.In(l)))
	if rep.Completed {
		s.repResult.SetText(tr("app.drills.report.completed"))
		s.repResult.Importance = widget.SuccessImportance
	} else {
		s.repResult.SetText(tr("app.drills.report.incomplete"))
		s.repResult.Importance = widget.WarningImportance
	}
	s.repResult.Refresh()
	s.repTimes.SetText(tr("app.drills.report.times", longDate(now, rep.Started), longDate(now, rep.Finished),
		duration(l, positive(rep.Finished.Sub(rep.Started)))))
	s.repTTO.SetText(ttoWords("app.drills.report.", l, rep.TimeToOperationalMS, rep.RTOMS, rep.WithinRTO))
	if s.shownReport != rep {
		s.shownReport = rep
		s.repSteps.RemoveAll()
		for i, st := range rep.Steps {
			var exp time.Duration
			if st.ExpectedMS != nil {
				exp = fromMS(*st.ExpectedMS)
			}
			rec := drills.Step{State: st.State, SkipReason: st.SkipReason, Failure: st.Failure, Started: st.Started, Finished: st.Finished}
			if st.Finished.IsZero() && st.DurationMS > 0 {
				rec.Finished = rec.Started.Add(fromMS(st.DurationMS))
			}
			line := tr("app.drills.report.step", i+1, st.Title.In(l), outcomeWords(l, rec, exp))
			if st.Evidence.Answer != "" {
				line += "\n" + tr("app.drills.walk.your_answer", st.Evidence.Answer)
			}
			if st.Evidence.Note != "" {
				line += "\n" + tr("app.drills.walk.your_note", st.Evidence.Note)
			}
			for _, a := range st.Evidence.Attempts {
				line += "\n" + s.attemptWords(now, a)
			}
			if st.State == drills.StepSkipped && st.Failure != "" {
				// Skipped after a failed attempt: that attempt too.
				line += "\n" + s.attemptWords(now, drills.Attempt{At: st.Finished, Failure: st.Failure, Checks: st.Evidence.Checks})
			}
			s.repSteps.Add(&widget.Label{Text: line, Wrapping: fyne.TextWrapWord})
		}
	}
	fb := ""
	if rep.Feedback != "" {
		fb = tr("app.drills.report.feedback", rep.Feedback)
	}
	showText(s.repFeedback, fb)
	if s.deliveryOK {
		s.repDelivery.SetText(deliveryWords(now, s.delivery))
	} else {
		s.repDelivery.SetText(tr("app.drills.delivery.loading"))
	}
	setEnabled(s.save, !s.exporting)
	setEnabled(s.repBack, !s.exporting)
	relayout(s.reportBox, s.reportScrl)
}

// loadDelivery reads where the report's delivery stands.
func (s *drillsScreen) loadDelivery() {
	if s.delivLoading || s.report == nil {
		return
	}
	s.delivLoading = true
	b, rep := s.u.b, s.report
	s.u.background(func() {
		d := b.Delivery(rep.RunID)
		fyne.Do(func() {
			s.delivLoading, s.delivAt = false, time.Now()
			if s.report != rep {
				return
			}
			s.delivery, s.deliveryOK = d, true
			if s.view == viewReport {
				s.refreshReport()
			}
		})
	})
}

func (s *drillsScreen) onSave() {
	if s.report == nil || s.exporting {
		return
	}
	d := dialog.NewFileSave(s.onSaveChosen, s.u.win)
	d.SetFilter(storage.NewExtensionFileFilter([]string{".html", ".json"}))
	d.SetFileName(reportFileName(s.report))
	d.Show()
}

func (s *drillsScreen) onSaveChosen(w fyne.URIWriteCloser, err error) {
	if err != nil {
		showText(s.saveMsg, tr("app.drills.report.save_failed", err.Error()))
		return
	}
	if w == nil {
		return // cancelled
	}
	path := w.URI().Path()
	// The backend writes the file itself.
	w.Close()
	s.exportTo(path)
}

// exportTo writes the report to path (.json, .html or .htm; any other
// name gets .html added, and the empty file the dialog made under it is
// removed).
func (s *drillsScreen) exportTo(path string) {
	if s.report == nil || s.exporting {
		return
	}
	s.exporting = true
	showText(s.saveMsg, "")
	s.refreshReport()
	b, runID := s.u.b, s.report.RunID
	s.u.background(func() {
		target := path
		if ext := strings.ToLower(filepath.Ext(path)); ext != ".json" && ext != ".html" && ext != ".htm" {
			target = path + ".html"
			if fi, err := os.Stat(path); err == nil && fi.Mode().IsRegular() && fi.Size() == 0 {
				os.Remove(path)
			}
		}
		err := b.ExportReport(runID, target)
		fyne.Do(func() {
			s.exporting = false
			if err != nil {
				showText(s.saveMsg, tr("app.drills.report.save_failed", err.Error()))
				s.saveMsg.Importance = widget.DangerImportance
			} else {
				showText(s.saveMsg, tr("app.drills.report.saved", target))
				s.saveMsg.Importance = widget.SuccessImportance
			}
			s.saveMsg.Refresh()
			s.refreshReport()
		})
	})
}

// ---- Words ----

// windowWords says where a drill's window stands.
func windowWords(d profile.Drill, now time.Time) string {
	switch drills.WindowAt(d, now) {
	case drills.WindowUpcoming:
		return tr("app.drills.window.upcoming", longDate(now, d.Opens), longDate(now, d.Closes))
	case drills.WindowOpen:
		return tr("app.drills.window.open", longDate(now, d.Closes))
	}
	return tr("app.drills.window.closed", longDate(now, d.Closes))
}

// drillMeta says what kind of exercise a drill is, its length and its
// objective.
func drillMeta(l string, d profile.Drill) string {
	key := "app.drills.meta_one"
	if plural(l, len(d.Steps)) {
		key = "app.drills.meta_many"
	}
	return tr(key, exerciseWord(d.Exercise), len(d.Steps), objective(l, d.RTO.Duration()))
}

var exerciseKeys = map[string]string{
	"walkthrough": "app.drills.exercise.walkthrough",
	"tabletop":    "app.drills.exercise.tabletop",
	"simulation":  "app.drills.exercise.simulation",
	"full":        "app.drills.exercise.full",
}

func exerciseWord(e string) string {
	if k, ok := exerciseKeys[e]; ok {
		return tr(k)
	}
	return e
}

var kindKeys = map[string][2]string{
	"instruction": {"app.drills.kind.instruction", "app.drills.kind.instruction_hint"},
	"action":      {"app.drills.kind.action", "app.drills.kind.action_hint"},
	"check":       {"app.drills.kind.check", "app.drills.kind.check_hint"},
	"question":    {"app.drills.kind.question", "app.drills.kind.question_hint"},
}

func kindWord(k string) string {
	if ks, ok := kindKeys[k]; ok {
		return tr(ks[0])
	}
	return k
}

func kindHint(k string) string {
	if ks, ok := kindKeys[k]; ok {
		return tr(ks[1])
	}
	return ""
}

// actWord is the main button of the current step.
func actWord(kind string, failed bool) string {
	switch {
	case failed:
		return tr("app.drills.walk.retry")
	case kind == "instruction":
		return tr("app.drills.walk.read")
	case kind == "action":
		return tr("app.drills.walk.do_action")
	case kind == "check":
		return tr("app.drills.walk.check")
	case kind == "question":
		return tr("app.drills.walk.answer")
	}
	return tr("app.drills.walk.done")
}

// outcomeWords says how a step ended.
func outcomeWords(l string, st drills.Step, expected time.Duration) string {
	switch st.State {
	case drills.StepDone:
		took := ""
		if !st.Started.IsZero() && !st.Finished.IsZero() {
			took = duration(l, positive(st.Finished.Sub(st.Started)))
		}
		switch {
		case took != "" && expected > 0:
			return tr("app.drills.outcome.done_expected", took, objective(l, expected))
		case took != "":
			return tr("app.drills.outcome.done_in", took)
		}
		return tr("app.drills.outcome.done")
	case drills.StepSkipped:
		if st.SkipReason != "" {
			return tr("app.drills.outcome.skipped_reason", st.SkipReason)
		}
		return tr("app.drills.outcome.skipped")
	case drills.StepFailed:
		return tr("app.drills.outcome.failed", failureWords(st.Failure))
	}
	return tr("app.drills.outcome.open")
}

// attemptWords says when an earlier attempt failed and why: the checks
// that did not answer, the note written then.
func (s *drillsScreen) attemptWords(now time.Time, a drills.Attempt) string {
	text := tr("app.drills.report.attempt", longDate(now, a.At), failureWords(a.Failure))
	for _, c := range a.Checks {
		if c.State != checks.StateOK && c.State != checks.StateDegraded {
			text += "\n    " + tr("app.drills.verify.check", s.checkName(c.ID), stateWord(c.State))
		}
	}
	if a.Note != "" {
		text += "\n    " + tr("app.drills.walk.your_note", a.Note)
	}
	return text
}

func failureWords(code string) string {
	switch code {
	case drills.ErrCodeChecksFailed:
		return tr("app.drills.failure.checks_failed")
	case drills.ErrCodeActionFailed:
		return tr("app.drills.failure.action_failed")
	}
	return tr("app.drills.failure.other")
}

// deliveryWords says where a report's delivery stands.
func deliveryWords(now time.Time, d desk.Delivery) string {
	var s string
	switch d.State {
	case desk.DeliveryPending:
		switch {
		case d.Attempts == 0:
			s = tr("app.drills.delivery.queued")
		case d.NextAttempt.IsZero() && d.Attempts == 1:
			s = tr("app.drills.delivery.pending_one", d.Attempts)
		case d.NextAttempt.IsZero():
			s = tr("app.drills.delivery.pending_many", d.Attempts)
		case d.Attempts == 1:
			s = tr("app.drills.delivery.pending_one_next", d.Attempts, clock(now, d.NextAttempt))
		default:
			s = tr("app.drills.delivery.pending_many_next", d.Attempts, clock(now, d.NextAttempt))
		}
		if d.Problem != "" {
			s += " " + tr("app.drills.delivery.last_problem", d.Problem)
		}
	case desk.DeliveryDelivered:
		if d.Delivered.IsZero() {
			s = tr("app.drills.delivery.delivered")
		} else {
			s = tr("app.drills.delivery.delivered_at", longDate(now, d.Delivered))
		}
	case desk.DeliveryRejected:
		if d.Problem != "" {
			s = tr("app.drills.delivery.rejected_why", d.Problem)
		} else {
			s = tr("app.drills.delivery.rejected")
		}
	default:
		s = tr("app.drills.delivery.none")
	}
	return s
}

// ttoWords says the time to operational against the objective: in a
// sentence for the report (prefix "app.drills.report."), in a few words
// for a cell of the table ("app.drills.summary.").
func ttoWords(prefix, l string, ttoMS *float64, rtoMS float64, within *bool) string {
	rto := objective(l, fromMS(rtoMS))
	if ttoMS == nil {
		return tr(prefix+"tto_never", rto)
	}
	tto := duration(l, fromMS(*ttoMS))
	ok := fromMS(*ttoMS) <= fromMS(rtoMS)
	if within != nil {
		ok = *within
	}
	if ok {
		return tr(prefix+"tto_within", tto, rto)
	}
	return tr(prefix+"tto_over", tto, rto)
}

func yesNo(b bool) string {
	if b {
		return tr("app.drills.yes")
	}
	return tr("app.drills.no")
}

// objective says a duration an organisation wrote ("30m", "1h30m") as
// people read it: "30 min", "1 h 30 min"; other durations as duration.
func objective(l string, d time.Duration) string {
	switch {
	case d <= 0:
		return duration(l, 0)
	case d%time.Minute != 0:
		return duration(l, d)
	case d < time.Hour:
		return fmt.Sprintf("%d min", int(d.Minutes()))
	case d%time.Hour == 0:
		return fmt.Sprintf("%d h", int(d.Hours()))
	}
	return fmt.Sprintf("%d h %02d min", int(d.Hours()), int(d.Minutes())%60)
}

func positive(d time.Duration) time.Duration { return max(d, 0) }

// stopwatch says a time still running to the second, so that it visibly
// moves while a person walks a drill: "42 s", "19 min 07 s", "1 h 02 min
// 07 s" (the same in both languages). A time that is over reads as
// duration.
func stopwatch(d time.Duration) string {
	d = d.Truncate(time.Second)
	h, m, sec := int(d/time.Hour), int(d%time.Hour/time.Minute), int(d%time.Minute/time.Second)
	switch {
	case h > 0:
		return fmt.Sprintf("%d h %02d min %02d s", h, m, sec)
	case m > 0:
		return fmt.Sprintf("%d min %02d s", m, sec)
	}
	return fmt.Sprintf("%d s", sec)
}

func fromMS(ms float64) time.Duration { return time.Duration(ms * float64(time.Millisecond)) }

// drillStep is the step of d with that id, or nil.
func drillStep(d profile.Drill, id string) *profile.Step {
	for i := range d.Steps {
		if d.Steps[i].ID == id {
			return &d.Steps[i]
		}
	}
	return nil
}

// reportFileName is the name the save dialog proposes.
func reportFileName(r *drills.Report) string {
	day := r.Finished
	if day.IsZero() {
		day = r.Started
	}
	return fmt.Sprintf("rapport-%s-%s.html", r.DrillID, day.Local().Format("2006-01-02"))
}
