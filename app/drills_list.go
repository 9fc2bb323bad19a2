package app

import (
	"fmt"
	"strings"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"

	"relais/internal/drills"
	"relais/internal/frontend"
	"relais/internal/profile"
)

// The list of the Exercices tab: its layout (the ambassadors' table
// below: drills_table.go), the profile's drills with their windows, this
// device's runs and where their reports stand.

func (s *drillsScreen) buildList() fyne.CanvasObject {
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
				box.Add(&widget.Label{Text: deliveryWords(l, now, d), Wrapping: fyne.TextWrapWord})
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
		dels := map[string]frontend.Delivery{}
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
				s.runsErr = words(err)
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
func digestRuns(runs []*drills.Run, dels map[string]frontend.Delivery) string {
	var b strings.Builder
	for _, r := range runs {
		d := dels[r.ID]
		fmt.Fprintf(&b, "%s %s %d %s %d %d %d %s;", r.ID, r.State, r.Current(), r.Finished, len(r.Steps),
			d.Attempts, d.NextAttempt.Unix(), d.State+words(d.Problem)+d.Delivered.String())
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
				s.startErr = words(err)
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
