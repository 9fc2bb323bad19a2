package app

import (
	"os"
	"path/filepath"
	"strings"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/dialog"
	"fyne.io/fyne/v2/storage"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"

	"relais/internal/drills"
	"relais/internal/frontend"
)

// The report of a run in the Exercices tab: its result, times, steps and
// feedback, where its delivery stands, and its export.

func (s *drillsScreen) buildReport() fyne.CanvasObject {
	s.repTitle = &widget.Label{Wrapping: fyne.TextWrapWord, TextStyle: fyne.TextStyle{Bold: true}, SizeName: theme.SizeNameSubHeadingText}
	s.repResult = &widget.Label{Wrapping: fyne.TextWrapWord, TextStyle: fyne.TextStyle{Bold: true}}
	s.repTimes = wrap()
	s.repTTO = wrap()
	s.repSteps = container.NewVBox()
	s.repFeedback = wrap()
	s.repDelivery = wrap()
	s.save = &widget.Button{Text: tr("app.drills.report.save"), Icon: theme.DocumentSaveIcon(), OnTapped: s.onSave}
	s.saveMsg = wrap()
	s.campaign = newServerPage(s.u, tr("app.drills.report.campaign"))
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
		s.campaign.box,
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
	campaign := ""
	if s.deliveryOK {
		s.repDelivery.SetText(deliveryWords(l, now, s.delivery))
		if s.delivery.State == frontend.DeliveryDelivered {
			// Once the server has the report, its campaign page shows it.
			campaign = s.u.b.CampaignURL(rep.DrillID)
		}
	} else {
		s.repDelivery.SetText(tr("app.drills.delivery.loading"))
	}
	s.campaign.set(campaign, tr("app.drills.report.campaign_hint"), frontend.RoleContinuity)
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
		showText(s.saveMsg, tr("app.drills.report.save_failed", words(err)))
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
				showText(s.saveMsg, tr("app.drills.report.save_failed", words(err)))
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
