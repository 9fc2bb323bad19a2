package app

import (
	"fmt"
	"strings"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/widget"

	"relais/internal/drills"
	"relais/internal/profile"
	"relais/internal/status"
)

// One step of the walkthrough as the Exercices tab shows it: its title,
// kind, times, outcome, body, verification and what to do.

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
		if ev.State != status.StateOK {
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
func (s *drillsScreen) checkReason(id string, st status.State) string {
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
