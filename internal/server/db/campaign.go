package db

// The campaign's facts (migration 0003): at intake, in the report's
// transaction, one narrow campaign_reports row per report, and
// campaign_steps / campaign_checks rows for its steps not done and its
// checks not ok. The Campagne page's aggregates read these tables only
// (campaign_query.go), never the bodies: SQLite keeps a row's columns in
// order, and reading past a 5 KB body costs its overflow pages.

import (
	"context"
	"crypto/sha256"
	"database/sql"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"math"
	"strings"
	"time"
	"unicode/utf8"

	"relais/internal/drills"
	"relais/internal/profile"
	"relais/internal/status"
)

// Bounds of the campaign's facts of one report: a hostile report may hold
// thousands of steps and megabytes of text; its body keeps them all.
const (
	maxStepFacts  = 100  // campaign_steps rows per report
	maxCheckFacts = 100  // campaign_checks rows per report
	maxIDBytes    = 200  // an id (step, check, app, failure code)
	maxTextBytes  = 2000 // a title, a skip reason, a participant's name
	maxFeedback   = 20000
	// maxMS bounds durations (about 31,700 years): a report's JSON may
	// say 1e300.
	maxMS = int64(1e15)
)

// CampaignFacts are a report's facts for the campaign's aggregates beyond
// the reports table's columns.
type CampaignFacts struct {
	Participant string
	Feedback    string
	RTOMS       float64
	DrillTitle  profile.Text
	Steps       []StepFact  // the steps not done, or with a skip reason (at most maxStepFacts)
	Checks      []CheckFact // the checks not ok of every step (at most maxCheckFacts)
}

// StepFact is one step of a report that was not done.
type StepFact struct {
	Position   int // the step's index in the report
	ID         string
	Title      profile.Text
	Required   bool
	State      drills.StepState
	SkipReason string
	Failure    string // checks_failed, action_failed
}

// CheckFact is one check of a report that was not ok: the app it tests
// failed (or was degraded, blocked) during the drill.
type CheckFact struct {
	StepID, CheckID, AppID string
	State                  status.State
	Reason                 string // the reason code
}

func campaignFactsOf(r *drills.Report) CampaignFacts {
	c := CampaignFacts{Participant: r.Participant, Feedback: r.Feedback, RTOMS: r.RTOMS, DrillTitle: r.DrillTitle}
	for i, s := range r.Steps {
		if (s.State != drills.StepDone || s.SkipReason != "") && len(c.Steps) < maxStepFacts {
			c.Steps = append(c.Steps, StepFact{Position: i, ID: s.ID, Title: s.Title, Required: s.Required,
				State: s.State, SkipReason: s.SkipReason, Failure: s.Failure})
		}
		for _, ch := range s.Evidence.Checks {
			if ch.State != status.StateOK && len(c.Checks) < maxCheckFacts {
				c.Checks = append(c.Checks, CheckFact{StepID: s.ID, CheckID: ch.ID, AppID: ch.AppID, State: ch.State,
					Reason: ch.Reason})
			}
		}
	}
	return c
}

// clip makes s storable and indexable: valid UTF-8 without NUL (which
// PostgreSQL's text refuses), at most n bytes (cut at a character).
func clip(s string, n int) string {
	s = strings.ToValidUTF8(s, "\uFFFD")
	s = strings.ReplaceAll(s, "\x00", "")
	if len(s) <= n {
		return s
	}
	for n > 0 && !utf8.RuneStart(s[n]) {
		n--
	}
	return s[:n]
}

// clampMS is a duration in whole milliseconds (floor), within ±maxMS.
func clampMS(f float64) int64 {
	switch {
	case math.IsNaN(f):
		return 0
	case f >= float64(maxMS):
		return maxMS
	case f <= -float64(maxMS):
		return -maxMS
	}
	return int64(math.Floor(f))
}

func textJSON(t profile.Text) string {
	b, _ := json.Marshal(profile.Text{FR: clip(t.FR, maxTextBytes), EN: clip(t.EN, maxTextBytes)})
	return string(b)
}

func textOf(s string) profile.Text {
	var t profile.Text
	_ = json.Unmarshal([]byte(s), &t)
	return t
}

// campaignRow is one stored report whose facts are to be stored.
type campaignRow struct {
	id       int64
	received int64
	source   string
	f        *ReportFacts
}

// execer is a *sql.Tx (or *sql.DB).
type execer interface {
	ExecContext(ctx context.Context, query string, args ...any) (sql.Result, error)
	QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error)
}

// maxParams bounds one statement's parameters (SQLite's limit is 32,766,
// PostgreSQL's 65,535).
const maxParams = 30000

// insertMany inserts rows (each len(cols) values) in as few statements as
// the parameter limit allows; suffix ends each statement.
func (db *DB) insertMany(ctx context.Context, tx execer, table string, cols []string, rows [][]any, suffix string) error {
	per := maxParams / len(cols)
	one := "(" + strings.TrimSuffix(strings.Repeat("?, ", len(cols)), ", ") + ")"
	for start := 0; start < len(rows); start += per {
		end := min(start+per, len(rows))
		var q strings.Builder
		q.WriteString("INSERT INTO " + table + " (" + strings.Join(cols, ", ") + ") VALUES ")
		args := make([]any, 0, (end-start)*len(cols))
		for i := start; i < end; i++ {
			if i > start {
				q.WriteString(", ")
			}
			q.WriteString(one)
			args = append(args, rows[i]...)
		}
		q.WriteString(" " + suffix)
		if _, err := tx.ExecContext(ctx, db.rebind(q.String()), args...); err != nil {
			return fmt.Errorf("serverdb: store %s: %w", table, err)
		}
	}
	return nil
}

var (
	campaignCols = []string{"report_id", "drill_id", "received_at", "started_at", "participant", "source", "completed",
		"tto_ms", "within_rto", "rto_ms", "drill_title", "feedback"}
	stepCols = []string{"report_id", "position", "drill_id", "step_id", "title", "required", "state", "skip_reason",
		"failure"}
	checkCols = []string{"report_id", "position", "drill_id", "step_id", "check_id", "app_id", "state", "reason"}
)

// putCampaign stores the campaign's facts of stored reports, in tx. A
// report whose facts are already stored (another instance backfilling at
// the same time) is left as it is.
func (db *DB) putCampaign(ctx context.Context, tx execer, rows []campaignRow) error {
	if len(rows) == 0 {
		return nil
	}
	main := make([][]any, 0, len(rows))
	for _, r := range rows {
		f := r.f
		var tto, within any
		if f.TimeToOperationalMS != nil {
			tto = clampMS(*f.TimeToOperationalMS)
		}
		if f.WithinRTO != nil {
			within = boolInt(*f.WithinRTO)
		}
		main = append(main, []any{r.id, f.DrillID, r.received, msOrNull(f.Started), clip(f.Participant, maxTextBytes),
			clip(r.source, maxIDBytes), boolInt(f.Completed), tto, within, clampMS(f.RTOMS), textJSON(f.DrillTitle),
			clip(f.Feedback, maxFeedback)})
	}
	// Which rows this transaction stored: their children follow.
	stored := make(map[int64]bool, len(rows))
	per := maxParams / len(campaignCols)
	for start := 0; start < len(main); start += per {
		end := min(start+per, len(main))
		var q strings.Builder
		q.WriteString("INSERT INTO campaign_reports (" + strings.Join(campaignCols, ", ") + ") VALUES ")
		var args []any
		for i := start; i < end; i++ {
			if i > start {
				q.WriteString(", ")
			}
			q.WriteString("(" + strings.TrimSuffix(strings.Repeat("?, ", len(campaignCols)), ", ") + ")")
			args = append(args, main[i]...)
		}
		q.WriteString(" ON CONFLICT (report_id) DO NOTHING RETURNING report_id")
		res, err := tx.QueryContext(ctx, db.rebind(q.String()), args...)
		if err != nil {
			return fmt.Errorf("serverdb: store campaign_reports: %w", err)
		}
		for res.Next() {
			var id int64
			if err := res.Scan(&id); err != nil {
				res.Close()
				return fmt.Errorf("serverdb: store campaign_reports: %w", err)
			}
			stored[id] = true
		}
		if err := res.Close(); err != nil {
			return fmt.Errorf("serverdb: store campaign_reports: %w", err)
		}
		if err := res.Err(); err != nil {
			return fmt.Errorf("serverdb: store campaign_reports: %w", err)
		}
	}
	var steps, checks [][]any
	for _, r := range rows {
		if !stored[r.id] {
			continue
		}
		for _, s := range r.f.Steps {
			steps = append(steps, []any{r.id, s.Position, r.f.DrillID, clip(s.ID, maxIDBytes), textJSON(s.Title),
				boolInt(s.Required), clip(string(s.State), maxIDBytes), clip(s.SkipReason, maxTextBytes),
				clip(s.Failure, maxIDBytes)})
		}
		for i, c := range r.f.Checks {
			checks = append(checks, []any{r.id, i, r.f.DrillID, clip(c.StepID, maxIDBytes), clip(c.CheckID, maxIDBytes),
				clip(c.AppID, maxIDBytes), clip(string(c.State), maxIDBytes), clip(c.Reason, maxIDBytes)})
		}
	}
	if err := db.insertMany(ctx, tx, "campaign_steps", stepCols, steps, "ON CONFLICT (report_id, position) DO NOTHING"); err != nil {
		return err
	}
	return db.insertMany(ctx, tx, "campaign_checks", checkCols, checks, "ON CONFLICT (report_id, position) DO NOTHING")
}

// backfillBatch is how many stored reports the backfill reads at once.
const backfillBatch = 500

// backfillCampaign stores the campaign's facts of the reports stored
// before migration 0003 (or by a Relais without it), from their bodies,
// in batches. A body that no longer parses gets the facts of its reports
// row. Instances opening together share the work: a report's facts are
// stored once.
func (db *DB) backfillCampaign(ctx context.Context) error {
	for {
		rows, err := db.sql.QueryContext(ctx, `SELECT r.id, r.received_at, r.source, r.body, r.drill_id, r.run_id,
			r.started_at, r.finished_at, r.time_to_operational_ms, r.completed, r.within_rto FROM reports r
			WHERE NOT EXISTS (SELECT 1 FROM campaign_reports c WHERE c.report_id = r.id) ORDER BY r.id LIMIT `+
			fmt.Sprint(backfillBatch))
		if err != nil {
			return fmt.Errorf("serverdb: campaign backfill: %w", err)
		}
		var batch []campaignRow
		for rows.Next() {
			var r campaignRow
			var body []byte
			var f ReportFacts
			var started, finished sql.NullInt64
			var tto sql.NullFloat64
			var completed int64
			var within sql.NullInt64
			if err := rows.Scan(&r.id, &r.received, &r.source, &body, &f.DrillID, &f.RunID, &started, &finished, &tto,
				&completed, &within); err != nil {
				rows.Close()
				return fmt.Errorf("serverdb: campaign backfill: %w", err)
			}
			if rep, err := drills.ParseReport(body); err == nil && rep.DrillID == f.DrillID {
				f = FactsOf(rep)
			} else {
				if started.Valid {
					f.Started = time.UnixMilli(started.Int64).UTC()
				}
				if finished.Valid {
					f.Finished = time.UnixMilli(finished.Int64).UTC()
				}
				if tto.Valid {
					f.TimeToOperationalMS = &tto.Float64
				}
				f.Completed = completed == 1
				if within.Valid {
					w := within.Int64 == 1
					f.WithinRTO = &w
				}
			}
			r.f = &f
			batch = append(batch, r)
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return fmt.Errorf("serverdb: campaign backfill: %w", err)
		}
		if len(batch) == 0 {
			return nil
		}
		if err := db.inTx(ctx, func(tx *sql.Tx) error { return db.putCampaign(ctx, tx, batch) }); err != nil {
			return fmt.Errorf("serverdb: campaign backfill: %w", err)
		}
	}
}

// Import is one report for PutReports.
type Import struct {
	Key, Source, ContentType string
	Body                     []byte
	Facts                    ReportFacts
}

// PutReports stores many reports in one transaction, each once by its key
// as PutReport does (a key already stored is left as it is, whatever its
// body): for imports of earlier campaigns, and for benchmarks that need
// 100,000 reports in seconds. It returns how many it stored.
func (db *DB) PutReports(ctx context.Context, items []Import) (int, error) {
	const per = 500
	stored := 0
	err := db.inTx(ctx, func(tx *sql.Tx) error {
		cols := []string{"idempotency_key", "body_sha256", "received_at", "source", "content_type", "size", "body",
			"drill_id", "run_id", "started_at", "finished_at", "time_to_operational_ms", "completed", "within_rto"}
		one := "(" + strings.TrimSuffix(strings.Repeat("?, ", len(cols)), ", ") + ")"
		now := db.now().UTC().UnixMilli()
		for start := 0; start < len(items); start += per {
			part := items[start:min(start+per, len(items))]
			var q strings.Builder
			q.WriteString("INSERT INTO reports (" + strings.Join(cols, ", ") + ") VALUES ")
			args := make([]any, 0, len(part)*len(cols))
			byKey := make(map[string]*Import, len(part))
			for i := range part {
				it := &part[i]
				if i > 0 {
					q.WriteString(", ")
				}
				q.WriteString(one)
				var tto, within any
				if it.Facts.TimeToOperationalMS != nil {
					tto = *it.Facts.TimeToOperationalMS
				}
				if it.Facts.WithinRTO != nil {
					within = boolInt(*it.Facts.WithinRTO)
				}
				body := it.Body
				if body == nil {
					body = []byte{}
				}
				args = append(args, it.Key, sha256Hex(body), now, it.Source, it.ContentType, int64(len(body)), body,
					it.Facts.DrillID, it.Facts.RunID, msOrNull(it.Facts.Started), msOrNull(it.Facts.Finished), tto,
					boolInt(it.Facts.Completed), within)
				byKey[it.Key] = it
			}
			q.WriteString(" ON CONFLICT (idempotency_key) DO NOTHING RETURNING id, idempotency_key")
			res, err := tx.QueryContext(ctx, db.rebind(q.String()), args...)
			if err != nil {
				return fmt.Errorf("serverdb: import reports: %w", err)
			}
			var rows []campaignRow
			for res.Next() {
				var id int64
				var key string
				if err := res.Scan(&id, &key); err != nil {
					res.Close()
					return fmt.Errorf("serverdb: import reports: %w", err)
				}
				if it := byKey[key]; it != nil {
					rows = append(rows, campaignRow{id: id, received: now, source: it.Source, f: &it.Facts})
				}
			}
			res.Close()
			if err := res.Err(); err != nil {
				return fmt.Errorf("serverdb: import reports: %w", err)
			}
			if err := db.putCampaign(ctx, tx, rows); err != nil {
				return err
			}
			stored += len(rows)
		}
		return nil
	})
	if err != nil {
		return 0, err
	}
	return stored, nil
}

func sha256Hex(b []byte) string {
	sum := sha256.Sum256(b)
	return hex.EncodeToString(sum[:])
}

// Analyze refreshes what the database's planner knows of the campaign's
// tables after a bulk import (PutReports): their statistics, and on
// PostgreSQL their visibility map (VACUUM ANALYZE), so that the Campagne
// page's queries read the indexes alone, as they do once autovacuum has
// passed on a server in service.
func (db *DB) Analyze(ctx context.Context) error {
	for _, table := range []string{"reports", "campaign_reports", "campaign_steps", "campaign_checks"} {
		q := "ANALYZE " + table
		if db.dialect == Postgres {
			q = "VACUUM ANALYZE " + table
		}
		if _, err := db.sql.ExecContext(ctx, q); err != nil {
			return fmt.Errorf("serverdb: analyze %s: %w", table, err)
		}
	}
	return nil
}
