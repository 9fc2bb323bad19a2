package db

// The Campagne page's aggregates: SQL over the campaign's facts
// (campaign.go), a fixed number of queries whatever the number of reports,
// the same text for SQLite and PostgreSQL. Percentiles are nearest-rank
// (ORDER BY … LIMIT 1 OFFSET k over an index), buckets integer division
// of whole milliseconds: both dialects agree to the row.

import (
	"context"
	"database/sql"
	"fmt"
	"math"
	"time"

	"relais/internal/drills"
	"relais/internal/profile"
)

// Limits of what the page lists.
const (
	maxDrills       = 1000
	topSteps        = 15
	topApps         = 15
	topReasons      = 5
	chartBuckets    = 12 // about; the last one is "at or above"
	MaxFeedbackPage = 200
)

// DrillSummary is one drill in the list of campaigns.
type DrillSummary struct {
	DrillID   string
	Title     profile.Text // as the latest report says it
	Reports   int64
	Completed int64
	Last      time.Time // the latest report received
}

// Drills lists the drills that have reports, latest first.
func (db *DB) Drills(ctx context.Context) ([]DrillSummary, error) {
	rows, err := db.sql.QueryContext(ctx, fmt.Sprintf(`SELECT c.drill_id, COUNT(*), SUM(c.completed), MAX(c.received_at),
		(SELECT d.drill_title FROM campaign_reports d WHERE d.drill_id = c.drill_id ORDER BY d.received_at DESC, d.report_id DESC LIMIT 1)
		FROM campaign_reports c GROUP BY c.drill_id ORDER BY MAX(c.received_at) DESC, c.drill_id LIMIT %d`, maxDrills))
	if err != nil {
		return nil, fmt.Errorf("serverdb: drills: %w", err)
	}
	defer rows.Close()
	var out []DrillSummary
	for rows.Next() {
		var d DrillSummary
		var last int64
		var title string
		if err := rows.Scan(&d.DrillID, &d.Reports, &d.Completed, &last, &title); err != nil {
			return nil, fmt.Errorf("serverdb: drills: %w", err)
		}
		d.Last, d.Title = time.UnixMilli(last).UTC(), textOf(title)
		out = append(out, d)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("serverdb: drills: %w", err)
	}
	return out, nil
}

// Campaign is one drill's aggregates.
type Campaign struct {
	DrillID string
	Title   profile.Text // as the latest report says it
	RTOMS   int64        // the RTO most reports carry (the smallest of the most common)
	RTOs    int64        // how many different RTOs the reports carry (more than 1: the profile changed)

	Reports      int64
	Participants int64 // distinct names (a report without a name is not counted)
	Sources      int64 // distinct submitting addresses (one per laptop through the tunnel)
	Completed    int64
	Operational  int64 // reports with a time to operational
	WithinRTO    int64 // of Operational
	Feedback     int64 // reports with a feedback text
	First, Last  time.Time

	Distribution Distribution
	Steps        []StepStat
	Apps         []AppStat
}

// Distribution is the distribution of the time to operational.
type Distribution struct {
	WidthMS         int64
	Buckets         []Bucket // from 0, WidthMS each; the last one may be Open ("at or above")
	MinMS, MaxMS    int64
	MedianMS, P90MS int64 // nearest rank; valid when Count > 0
	Count           int64
}

// Bucket is one bar of the chart: FromMS ≤ time < ToMS (ToMS 0 when Open).
type Bucket struct {
	FromMS, ToMS int64
	Open         bool
	Count        int64
}

// StepStat is one step of the drill that reports did not do.
type StepStat struct {
	ID              string
	Title           profile.Text
	Failed, Skipped int64
	Open            int64 // not finished (the run ended before it)
	ChecksFailed    int64 // failed (or skipped after failing) its checks
	ActionFailed    int64
	WithReason      int64
	Reasons         []Count // the most given skip reasons
	DistinctReasons int64
}

// AppStat is one app whose checks failed during the drill.
type AppStat struct {
	AppID   string // "" : checks of no app
	Reports int64  // reports where it failed
	Checks  []CheckCount
}

// CheckCount is how often a check ended in a state for a reason.
type CheckCount struct {
	CheckID, State, Reason string
	Count                  int64
}

// Count is a text and how many times it was given.
type Count struct {
	Text  string
	Count int64
}

// Campaign computes a drill's aggregates; ErrNotFound when it has no
// report.
func (db *DB) Campaign(ctx context.Context, drillID string) (*Campaign, error) {
	c := &Campaign{DrillID: drillID}
	var first, last sql.NullInt64
	var minTTO, maxTTO sql.NullInt64
	err := db.sql.QueryRowContext(ctx, db.rebind(`SELECT COUNT(*), COUNT(DISTINCT NULLIF(participant, '')),
		COUNT(DISTINCT source), COALESCE(SUM(completed), 0), COUNT(tto_ms), COALESCE(SUM(within_rto), 0),
		COALESCE(SUM(CASE WHEN feedback <> '' THEN 1 ELSE 0 END), 0), MIN(started_at), MAX(received_at),
		COUNT(DISTINCT rto_ms), MIN(tto_ms), MAX(tto_ms)
		FROM campaign_reports WHERE drill_id = ?`), drillID).Scan(&c.Reports, &c.Participants, &c.Sources, &c.Completed,
		&c.Operational, &c.WithinRTO, &c.Feedback, &first, &last, &c.RTOs, &minTTO, &maxTTO)
	if err != nil {
		return nil, fmt.Errorf("serverdb: campaign: %w", err)
	}
	if c.Reports == 0 {
		return nil, ErrNotFound
	}
	if first.Valid {
		c.First = time.UnixMilli(first.Int64).UTC()
	}
	c.Last = time.UnixMilli(last.Int64).UTC()
	var title string
	if err := db.sql.QueryRowContext(ctx, db.rebind(`SELECT drill_title FROM campaign_reports WHERE drill_id = ?
		ORDER BY received_at DESC, report_id DESC LIMIT 1`), drillID).Scan(&title); err != nil {
		return nil, fmt.Errorf("serverdb: campaign: %w", err)
	}
	// The RTO most reports carry: one crafted report cannot move it.
	if err := db.sql.QueryRowContext(ctx, db.rebind(`SELECT rto_ms FROM campaign_reports WHERE drill_id = ?
		GROUP BY rto_ms ORDER BY COUNT(*) DESC, rto_ms LIMIT 1`), drillID).Scan(&c.RTOMS); err != nil {
		return nil, fmt.Errorf("serverdb: campaign: %w", err)
	}
	c.Title = textOf(title)
	if err := db.distribution(ctx, c, minTTO.Int64, maxTTO.Int64); err != nil {
		return nil, err
	}
	if c.Steps, err = db.stepStats(ctx, drillID); err != nil {
		return nil, err
	}
	if c.Apps, err = db.appStats(ctx, drillID); err != nil {
		return nil, err
	}
	return c, nil
}

// percentile is the nearest-rank p-th time to operational of n.
func (db *DB) percentile(ctx context.Context, drillID string, n int64, p float64) (int64, error) {
	k := max(int64(math.Ceil(p*float64(n))), 1) - 1
	var v int64
	err := db.sql.QueryRowContext(ctx, db.rebind(`SELECT tto_ms FROM campaign_reports
		WHERE drill_id = ? AND tto_ms IS NOT NULL ORDER BY tto_ms LIMIT 1 OFFSET ?`), drillID, k).Scan(&v)
	if err != nil {
		return 0, fmt.Errorf("serverdb: campaign percentile: %w", err)
	}
	return v, nil
}

func (db *DB) distribution(ctx context.Context, c *Campaign, minMS, maxMS int64) error {
	d := &c.Distribution
	d.Count, d.MinMS, d.MaxMS = c.Operational, minMS, maxMS
	if d.Count == 0 {
		return nil
	}
	var err error
	if d.MedianMS, err = db.percentile(ctx, c.DrillID, d.Count, 0.5); err != nil {
		return err
	}
	if d.P90MS, err = db.percentile(ctx, c.DrillID, d.Count, 0.9); err != nil {
		return err
	}
	d.WidthMS = BucketWidth(c.RTOMS, d.P90MS, d.MaxMS)
	n := ChartSpan(c.RTOMS, d.P90MS, d.MaxMS, d.WidthMS) // buckets below the open one
	top := n * d.WidthMS
	// Integers only, computed here: written into the query.
	rows, err := db.sql.QueryContext(ctx, db.rebind(fmt.Sprintf(`SELECT CASE WHEN tto_ms < 0 THEN 0
		WHEN tto_ms >= %d THEN %d ELSE tto_ms / %d END AS bucket, COUNT(*) FROM campaign_reports
		WHERE drill_id = ? AND tto_ms IS NOT NULL GROUP BY 1 ORDER BY 1`, top, n, d.WidthMS)), c.DrillID)
	if err != nil {
		return fmt.Errorf("serverdb: campaign distribution: %w", err)
	}
	defer rows.Close()
	counts := make([]int64, n+1)
	for rows.Next() {
		var b, k int64
		if err := rows.Scan(&b, &k); err != nil {
			return fmt.Errorf("serverdb: campaign distribution: %w", err)
		}
		if b >= 0 && b <= n {
			counts[b] += k
		}
	}
	if err := rows.Err(); err != nil {
		return fmt.Errorf("serverdb: campaign distribution: %w", err)
	}
	for i := int64(0); i < n; i++ {
		d.Buckets = append(d.Buckets, Bucket{FromMS: i * d.WidthMS, ToMS: (i + 1) * d.WidthMS, Count: counts[i]})
	}
	if counts[n] > 0 {
		d.Buckets = append(d.Buckets, Bucket{FromMS: top, Open: true, Count: counts[n]})
	}
	return nil
}

// widths are the chart's bucket widths, in milliseconds: round durations.
var widths = func() []int64 {
	s, m, h := int64(1000), int64(60_000), int64(3_600_000)
	w := []int64{s, 2 * s, 5 * s, 10 * s, 15 * s, 30 * s, m, 2 * m, 5 * m, 10 * m, 15 * m, 20 * m, 30 * m, h, 2 * h,
		3 * h, 6 * h, 12 * h, 24 * h}
	for w[len(w)-1] < maxMS/chartBuckets {
		w = append(w, w[len(w)-1]*2)
	}
	return w
}()

// chartTop is the time the chart's buckets go up to (then one "at or
// above" bucket): past the RTO and the 90th percentile, but not as far as
// a handful of runs left open for days would take it.
func chartTop(rtoMS, p90MS, maxTTO int64) int64 {
	top := max(rtoMS+rtoMS/2, p90MS+p90MS/10)
	if rtoMS > 0 {
		top = min(top, 4*rtoMS)
	}
	top = min(top, maxTTO+1)
	if rtoMS > 0 && top <= rtoMS {
		top = rtoMS + 1 // the RTO line inside the chart
	}
	return max(top, 1000)
}

// BucketWidth is the chart's bucket width: a round duration giving about
// chartBuckets buckets up to chartTop.
func BucketWidth(rtoMS, p90MS, maxTTO int64) int64 {
	top := chartTop(max(rtoMS, 0), max(p90MS, 0), max(maxTTO, 0))
	for _, w := range widths {
		if w*chartBuckets >= top {
			return w
		}
	}
	return widths[len(widths)-1]
}

// ChartSpan is the number of buckets of width w below the open one.
func ChartSpan(rtoMS, p90MS, maxTTO, w int64) int64 {
	top := chartTop(max(rtoMS, 0), max(p90MS, 0), max(maxTTO, 0))
	return max((top+w-1)/w, 1)
}

func (db *DB) stepStats(ctx context.Context, drillID string) ([]StepStat, error) {
	rows, err := db.sql.QueryContext(ctx, db.rebind(fmt.Sprintf(`SELECT step_id, MAX(title),
		SUM(CASE WHEN state = 'failed' THEN 1 ELSE 0 END), SUM(CASE WHEN state = 'skipped' THEN 1 ELSE 0 END),
		SUM(CASE WHEN state = 'open' THEN 1 ELSE 0 END), SUM(CASE WHEN failure = 'checks_failed' THEN 1 ELSE 0 END),
		SUM(CASE WHEN failure = 'action_failed' THEN 1 ELSE 0 END), SUM(CASE WHEN skip_reason <> '' THEN 1 ELSE 0 END),
		COUNT(DISTINCT NULLIF(skip_reason, ''))
		FROM campaign_steps WHERE drill_id = ? GROUP BY step_id
		ORDER BY SUM(CASE WHEN state IN ('failed', 'skipped') THEN 1 ELSE 0 END) DESC, COUNT(*) DESC, step_id LIMIT %d`,
		topSteps)), drillID)
	if err != nil {
		return nil, fmt.Errorf("serverdb: campaign steps: %w", err)
	}
	var out []StepStat
	for rows.Next() {
		var s StepStat
		var title string
		if err := rows.Scan(&s.ID, &title, &s.Failed, &s.Skipped, &s.Open, &s.ChecksFailed, &s.ActionFailed,
			&s.WithReason, &s.DistinctReasons); err != nil {
			rows.Close()
			return nil, fmt.Errorf("serverdb: campaign steps: %w", err)
		}
		s.Title = textOf(title)
		out = append(out, s)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("serverdb: campaign steps: %w", err)
	}
	for i := range out {
		if out[i].WithReason == 0 {
			continue
		}
		r, err := db.sql.QueryContext(ctx, db.rebind(fmt.Sprintf(`SELECT skip_reason, COUNT(*) FROM campaign_steps
			WHERE drill_id = ? AND step_id = ? AND skip_reason <> '' GROUP BY skip_reason
			ORDER BY COUNT(*) DESC, skip_reason LIMIT %d`, topReasons)), drillID, out[i].ID)
		if err != nil {
			return nil, fmt.Errorf("serverdb: campaign reasons: %w", err)
		}
		for r.Next() {
			var c Count
			if err := r.Scan(&c.Text, &c.Count); err != nil {
				r.Close()
				return nil, fmt.Errorf("serverdb: campaign reasons: %w", err)
			}
			out[i].Reasons = append(out[i].Reasons, c)
		}
		r.Close()
		if err := r.Err(); err != nil {
			return nil, fmt.Errorf("serverdb: campaign reasons: %w", err)
		}
	}
	return out, nil
}

func (db *DB) appStats(ctx context.Context, drillID string) ([]AppStat, error) {
	rows, err := db.sql.QueryContext(ctx, db.rebind(fmt.Sprintf(`SELECT app_id, COUNT(DISTINCT report_id)
		FROM campaign_checks WHERE drill_id = ? GROUP BY app_id ORDER BY COUNT(DISTINCT report_id) DESC, app_id LIMIT %d`,
		topApps)), drillID)
	if err != nil {
		return nil, fmt.Errorf("serverdb: campaign apps: %w", err)
	}
	var out []AppStat
	for rows.Next() {
		var a AppStat
		if err := rows.Scan(&a.AppID, &a.Reports); err != nil {
			rows.Close()
			return nil, fmt.Errorf("serverdb: campaign apps: %w", err)
		}
		out = append(out, a)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("serverdb: campaign apps: %w", err)
	}
	for i := range out {
		r, err := db.sql.QueryContext(ctx, db.rebind(fmt.Sprintf(`SELECT check_id, state, reason, COUNT(*)
			FROM campaign_checks WHERE drill_id = ? AND app_id = ? GROUP BY check_id, state, reason
			ORDER BY COUNT(*) DESC, check_id, state, reason LIMIT %d`, topReasons)), drillID, out[i].AppID)
		if err != nil {
			return nil, fmt.Errorf("serverdb: campaign app checks: %w", err)
		}
		for r.Next() {
			var c CheckCount
			if err := r.Scan(&c.CheckID, &c.State, &c.Reason, &c.Count); err != nil {
				r.Close()
				return nil, fmt.Errorf("serverdb: campaign app checks: %w", err)
			}
			out[i].Checks = append(out[i].Checks, c)
		}
		r.Close()
		if err := r.Err(); err != nil {
			return nil, fmt.Errorf("serverdb: campaign app checks: %w", err)
		}
	}
	return out, nil
}

// FeedbackItem is one report's feedback text.
type FeedbackItem struct {
	ID          int64 // the report's row: pages go on with Before = the last ID
	Participant string
	Text        string
	Received    time.Time
}

// Feedback returns a page of the drill's feedback texts, newest first:
// those of reports stored before the row before (0: from the newest), at
// most limit (at most MaxFeedbackPage). more says whether older ones
// remain.
func (db *DB) Feedback(ctx context.Context, drillID string, before int64, limit int) (items []FeedbackItem, more bool, err error) {
	limit = min(max(limit, 1), MaxFeedbackPage)
	if before <= 0 {
		before = math.MaxInt64
	}
	rows, err := db.sql.QueryContext(ctx, db.rebind(`SELECT report_id, participant, feedback, received_at
		FROM campaign_reports WHERE drill_id = ? AND feedback <> '' AND report_id < ?
		ORDER BY report_id DESC LIMIT ?`), drillID, before, limit+1)
	if err != nil {
		return nil, false, fmt.Errorf("serverdb: feedback: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var f FeedbackItem
		var at int64
		if err := rows.Scan(&f.ID, &f.Participant, &f.Text, &at); err != nil {
			return nil, false, fmt.Errorf("serverdb: feedback: %w", err)
		}
		f.Received = time.UnixMilli(at).UTC()
		items = append(items, f)
	}
	if err := rows.Err(); err != nil {
		return nil, false, fmt.Errorf("serverdb: feedback: %w", err)
	}
	if len(items) > limit {
		return items[:limit], true, nil
	}
	return items, false, nil
}

// EachReports calls f with the drill's stored reports, parsed, in batches
// of at most batch, in the order they were stored: the CSV export reads
// 100,000 reports without holding them all (nor the database: SQLite's
// one connection is free between batches). A stored body that no longer
// parses is left out and counted in skipped.
func (db *DB) EachReports(ctx context.Context, drillID string, batch int, f func([]drills.Report) error) (skipped int, err error) {
	batch = max(batch, 1)
	var after int64
	for {
		rows, err := db.sql.QueryContext(ctx, db.rebind(`SELECT id, body FROM reports WHERE drill_id = ? AND id > ?
			ORDER BY id LIMIT ?`), drillID, after, batch)
		if err != nil {
			return skipped, fmt.Errorf("serverdb: reports: %w", err)
		}
		var reps []drills.Report
		n := 0
		for rows.Next() {
			var body []byte
			if err := rows.Scan(&after, &body); err != nil {
				rows.Close()
				return skipped, fmt.Errorf("serverdb: reports: %w", err)
			}
			n++
			r, perr := drills.ParseReport(body)
			if perr != nil {
				skipped++
				continue
			}
			reps = append(reps, *r)
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return skipped, fmt.Errorf("serverdb: reports: %w", err)
		}
		if n == 0 {
			return skipped, nil
		}
		if len(reps) > 0 {
			if err := f(reps); err != nil {
				return skipped, err
			}
		}
		if n < batch {
			return skipped, nil
		}
	}
}
