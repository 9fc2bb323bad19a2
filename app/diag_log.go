package app

import (
	"fmt"
	"sort"
	"strings"
	"time"

	"fyne.io/fyne/v2"

	"relais/internal/diag/bundle"
)

// The app's recent log, as the Diagnostic tab shows it.

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
				s.logErr = words(err)
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
func logWords(now time.Time, lines []bundle.LogLine) string {
	lines = append([]bundle.LogLine(nil), lines...)
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
