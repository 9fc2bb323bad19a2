package campaign

import (
	"strconv"

	"relais/internal/server/db"
)

// page is a drill's page, words already in its language.
type page struct {
	view
	Title, DrillID string
	C              *db.Campaign
	RTO            string // "30 min", or "" when the reports carry none
	Median, P90    string
	Chart          chart
	Steps          []stepRow
	Apps           []appRow
	Feedback       []db.FeedbackItem
	Older          string // the next feedback page's link, "" at the end
	Newest         string // the first page's link, when this is not it
}

type stepRow struct {
	Title, ID                  string
	Failed, Skipped, Open      int64
	ChecksFailed, ActionFailed int64
	Reasons                    []db.Count
	OtherReasons               int64 // reasons given but not listed
}

type appRow struct {
	Name    string // the app's id, or a word for checks of no app
	Reports int64
	Checks  []checkRow
}

type checkRow struct {
	Check, State, Reason string
	Count                int64
}

func drillView(v view, c *db.Campaign, fb []db.FeedbackItem, more, paged bool) page {
	p := page{view: v, Title: c.Title.In(v.Lang), DrillID: c.DrillID, C: c, Feedback: fb}
	if p.Title == "" {
		p.Title = c.DrillID
	}
	if c.RTOMS > 0 {
		p.RTO = v.Dur(c.RTOMS)
	}
	if c.Distribution.Count > 0 {
		p.Median, p.P90 = v.Dur(c.Distribution.MedianMS), v.Dur(c.Distribution.P90MS)
	}
	p.Chart = newChart(v, c)
	for _, s := range c.Steps {
		row := stepRow{Title: s.Title.In(v.Lang), ID: s.ID, Failed: s.Failed, Skipped: s.Skipped, Open: s.Open,
			ChecksFailed: s.ChecksFailed, ActionFailed: s.ActionFailed, Reasons: s.Reasons}
		if row.Title == "" {
			row.Title = s.ID
		}
		listed := int64(0)
		for _, r := range s.Reasons {
			listed += r.Count
		}
		row.OtherReasons = s.WithReason - listed
		p.Steps = append(p.Steps, row)
	}
	for _, a := range c.Apps {
		row := appRow{Name: a.AppID, Reports: a.Reports}
		if row.Name == "" {
			row.Name = v.T("campaign.apps.none")
		}
		for _, ch := range a.Checks {
			// The state in words; the reason's code only as a detail.
			state := ch.State
			if w := v.T("diag.state." + ch.State); w != "diag.state."+ch.State {
				state = w
			}
			row.Checks = append(row.Checks, checkRow{Check: ch.CheckID, State: state, Reason: ch.Reason, Count: ch.Count})
		}
		p.Apps = append(p.Apps, row)
	}
	if more && len(fb) > 0 {
		p.Older = v.DrillLink(c.DrillID, "avant", strconv.FormatInt(fb[len(fb)-1].ID, 10)) + "#avis"
	}
	if paged {
		p.Newest = v.DrillLink(c.DrillID) + "#avis"
	}
	return p
}
