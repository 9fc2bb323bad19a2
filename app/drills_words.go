package app

import (
	"fmt"
	"strings"
	"time"

	"relais/internal/drills"
	"relais/internal/frontend"
	"relais/internal/i18n"
	"relais/internal/profile"
	"relais/internal/status"
)

// The words of the Exercices tab: windows, kinds of exercise and step,
// outcomes, deliveries, times to operational and durations; the step of a
// drill by its id and the name a saved report gets.

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
		if c.State != status.StateOK && c.State != status.StateDegraded {
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

// deliveryWords says where a report's delivery stands, in l (for the
// numbers); a delivered report with the receiver's receipt says its number.
func deliveryWords(l string, now time.Time, d frontend.Delivery) string {
	var s string
	switch d.State {
	case frontend.DeliveryPending:
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
		if d.Problem != nil {
			s += " " + tr("app.drills.delivery.last_problem", problemSentence(d.Problem))
		}
	case frontend.DeliveryDelivered:
		at := d.Delivered
		if at.IsZero() {
			at = d.Received // the receiver's clock, when the laptop's is unknown
		}
		switch {
		case d.ReceiptID > 0 && at.IsZero():
			s = tr("app.drills.delivery.delivered_receipt", i18n.Integer(l, int(d.ReceiptID)))
		case d.ReceiptID > 0:
			s = tr("app.drills.delivery.delivered_at_receipt", longDate(now, at), i18n.Integer(l, int(d.ReceiptID)))
		case at.IsZero():
			s = tr("app.drills.delivery.delivered")
		default:
			s = tr("app.drills.delivery.delivered_at", longDate(now, at))
		}
	case frontend.DeliveryRejected:
		if d.Problem != nil {
			s = tr("app.drills.delivery.rejected_why", problemSentence(d.Problem))
		} else {
			s = tr("app.drills.delivery.rejected")
		}
	default:
		s = tr("app.drills.delivery.none")
	}
	return s
}

// problemSentence is a delivery's problem as a sentence: the backend says
// it as a fragment ("le serveur a répondu 503", cli.drill.delivery_status)
// that the terminal puts inside its own sentence, and the app's sentences
// put it where a sentence goes ("Dernier essai : %s"), so it gets its full
// stop.
func problemSentence(err error) string {
	s := words(err)
	if s == "" || strings.HasSuffix(s, ".") || strings.HasSuffix(s, "!") || strings.HasSuffix(s, "?") || strings.HasSuffix(s, "…") {
		return s
	}
	return s + "."
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
