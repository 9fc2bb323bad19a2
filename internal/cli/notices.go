package cli

import (
	"fmt"
	"time"

	"relais/internal/frontend"
	"relais/internal/i18n"
	"relais/internal/status"
)

// noticeJSON is one active crisis notice in a --json document.
type noticeJSON struct {
	ID    string     `json:"id"`
	Level string     `json:"level"` // info | warning | crisis
	Text  textJSON   `json:"text"`
	From  *time.Time `json:"from"`  // null: from its publication
	Until *time.Time `json:"until"` // null: until withdrawn
}

// maintenanceJSON is a maintenance window that holds now.
type maintenanceJSON struct {
	App   string    `json:"app"`
	Name  textJSON  `json:"name"`
	From  time.Time `json:"from"`
	Until time.Time `json:"until"`
	Text  *textJSON `json:"text"` // null: none given
}

// noticesSyncJSON says which notices document is shown and why the last
// sync kept it.
type noticesSyncJSON struct {
	Serial    int64      `json:"serial"` // 0: none received yet
	FetchedAt *time.Time `json:"fetched_at"`
	Problem   *textJSON  `json:"problem"` // null: all is well
}

// noticesDoc is what --json documents carry of st: the active notices
// (never null), the windows that hold now, and the sync's state (null when
// the profile names no notices).
func noticesDoc(st frontend.NoticesState) ([]noticeJSON, []maintenanceJSON, *noticesSyncJSON) {
	ns, ms := []noticeJSON{}, []maintenanceJSON{}
	for _, n := range st.Active {
		ns = append(ns, noticeJSON{ID: n.ID, Level: n.Level, Text: textJSON{n.Text.FR, n.Text.EN}, From: timeOrNull(n.From), Until: timeOrNull(n.Until)})
	}
	for _, w := range st.Maintenance {
		m := maintenanceJSON{App: w.App, Name: textJSON{w.AppName.FR, w.AppName.EN}, From: w.From, Until: w.Until}
		if !w.Text.IsZero() {
			m.Text = &textJSON{w.Text.FR, w.Text.EN}
		}
		ms = append(ms, m)
	}
	if !st.Configured {
		return ns, ms, nil
	}
	sync := &noticesSyncJSON{Serial: st.Serial, FetchedAt: timeOrNull(st.FetchedAt)}
	if st.Problem != nil {
		sync.Problem = &textJSON{wordsIn(i18n.FR, st.Problem), wordsIn(i18n.EN, st.Problem)}
	}
	return ns, ms, sync
}

// noticeMark shows a notice's level by a sign as well as a word (never
// colour alone, nor the sign alone).
func noticeMark(level string) string {
	switch level {
	case frontend.NoticeCrisis:
		return "‼"
	case frontend.NoticeWarning:
		return "⚠"
	}
	return "ℹ"
}

// printNotices prints the active notices, each with its level in a sign
// and a word, and why the last notices stay, if a sync refused newer ones.
func (r *run) printNotices(st frontend.NoticesState) {
	if !st.Configured {
		return
	}
	if len(st.Active) > 0 {
		r.out("notices.cli.header")
		for _, n := range st.Active {
			fmt.Fprintf(r.Stdout, "  %s %s — %s\n", noticeMark(n.Level), r.t("notices.level."+n.Level), n.Text.In(r.lang))
		}
	}
	if st.Problem != nil {
		r.out("notices.cli.problem", r.words(st.Problem))
	}
}

// maintenanceLine says an app's announced window, and its text.
func (r *run) maintenanceLine(m *status.Maintenance) {
	if m == nil {
		return
	}
	r.out("notices.cli.until", m.Until.Local().Format("2006-01-02 15:04"))
	if !m.Text.IsZero() {
		r.out("cli.check.reason", m.Text.In(r.lang))
	}
}
