package app

import (
	"net/url"
	"strings"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"

	"relais/internal/drills"
	"relais/internal/frontend"
	"relais/internal/profile"
)

// The walkthrough of the Exercices tab: a run step by step, or a drill
// read-only in guide mode; its navigation and the step operations (the
// step shown is drawn in drills_step.go).

func (s *drillsScreen) buildWalk() fyne.CanvasObject {
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

func (s *drillsScreen) onOpenURL(target *url.URL) {
	if err := s.u.openURL(target); err != nil {
		s.walkErr = tr("app.drills.walk.open_failed", target.String(), words(err))
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
	s.call(func(b frontend.Backend) (*drills.Run, error) { return b.CompleteStep(runID, stepID, in) })
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
	s.call(func(b frontend.Backend) (*drills.Run, error) { return b.SkipStep(runID, stepID, reason) })
}

// call runs a step operation in the background, the buttons disabled
// meanwhile, then shows the run it returns (a failed verification
// returns the run with the step failed, and an error) and the error.
func (s *drillsScreen) call(op func(frontend.Backend) (*drills.Run, error)) {
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
				s.walkErr = words(err)
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
					s.walkErr = words(err)
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
				showText(s.saveMsg, words(err))
				relayout(s.reportBox, s.reportScrl)
			}
		})
	})
}
