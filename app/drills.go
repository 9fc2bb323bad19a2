package app

import (
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/widget"

	"relais/internal/drills"
	"relais/internal/frontend"
	"relais/internal/profile"
)

// The Exercices tab: the screen, the view it shows, and its ticking.
// Each view has its file: drills_list.go, drills_table.go, drills_walk.go,
// drills_step.go, drills_report.go; their words are in drills_words.go.

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
	deliveries  map[string]frontend.Delivery
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
	campaign    *serverPage // the drill's campaign on the organisation's server
	repBack     *widget.Button

	report       *drills.Report
	shownReport  *drills.Report // the report the step lines were built for
	delivery     frontend.Delivery
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
	return &drillsScreen{u: u, reloadEvery: 10 * time.Second, deliveries: map[string]frontend.Delivery{}}
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
		if !s.deliveryOK || s.delivery.State == frontend.DeliveryPending {
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
