package app

import (
	"strings"
	"time"

	"fyne.io/fyne/v2"

	"relais/internal/profile"
	"relais/internal/status"
)

// note is one desktop notification.
type note struct{ title, body string }

// watcher turns state changes into notifications: an essential app that
// fails or recovers, a drill window that opens. It runs on the UI
// goroutine.
type watcher struct {
	// states are the essential apps' states at the last report seen;
	// nil: no report yet in this Mode urgence.
	states map[string]status.State
	last   time.Time // the last report's end
	// drillSeen and drillMark remember which drill windows were announced,
	// across restarts (the app's preferences).
	drillSeen func(key string) bool
	drillMark func(key string)
}

func newWatcher(prefs fyne.Preferences) *watcher {
	return &watcher{
		drillSeen: func(k string) bool { return prefs.Bool("drill.announced." + k) },
		drillMark: func(k string) { prefs.SetBool("drill.announced."+k, true) },
	}
}

// snapshot returns the notifications s calls for, in language l.
func (w *watcher) snapshot(l string, s status.Snapshot) []note {
	if s.Stopped || s.Phase == status.PhaseIdle {
		w.states = nil // a new Mode urgence starts afresh
		return nil
	}
	rep := s.Report
	if rep == nil || !rep.Finished.After(w.last) {
		return nil
	}
	w.last = rep.Finished
	first := w.states == nil
	prev := w.states
	w.states = map[string]status.State{}
	var notes []note
	for _, a := range rep.Apps {
		if a.Criticality != "essential" {
			continue
		}
		w.states[a.ID] = a.State
		down := a.State == status.StateFailed || a.State == status.StateBlocked
		was, known := prev[a.ID]
		wasDown := was == status.StateFailed || was == status.StateBlocked
		name := a.Name.In(l)
		switch {
		case down && (first || known && !wasDown):
			notes = append(notes, note{tr("app.notify.app_failed", name), noteBody(l, rep, a)})
		case !down && a.State != status.StatePending && a.State != status.StateMaintenance && known && wasDown:
			notes = append(notes, note{tr("app.notify.app_recovered", name), tr("app.notify.app_recovered_body", name)})
		}
	}
	return notes
}

// noteBody is the plain-words reason an app is down, with its next step;
// for a blocked app, what it waits for.
func noteBody(l string, rep *status.Report, a status.AppResult) string {
	if r := appReason(&a); r != nil {
		return r.Sentence().In(l)
	}
	if a.State == status.StateBlocked && len(a.BlockedBy) > 0 {
		names := make([]string, 0, len(a.BlockedBy))
		for _, id := range a.BlockedBy {
			if b := rep.App(id); b != nil {
				id = b.Name.In(l)
			}
			names = append(names, id)
		}
		return tr("app.notify.blocked_by", strings.Join(names, ", "))
	}
	return ""
}

// drills returns a notification for each drill window that is open at now
// and was not announced yet.
func (w *watcher) drills(l string, p *profile.Profile, now time.Time) []note {
	if p == nil {
		return nil
	}
	var notes []note
	for _, d := range p.Drills {
		if now.Before(d.Opens) || !now.Before(d.Closes) {
			continue
		}
		key := d.ID + "@" + d.Opens.UTC().Format(time.RFC3339)
		if w.drillSeen(key) {
			continue
		}
		w.drillMark(key)
		notes = append(notes, note{tr("app.notify.drill_open", d.Title.In(l)),
			tr("app.notify.drill_open_body", d.Closes.Local().Format("2006-01-02 15:04"))})
	}
	return notes
}
