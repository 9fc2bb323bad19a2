package db_test

import (
	"database/sql"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"

	_ "github.com/jackc/pgx/v5/stdlib"

	"relais/internal/drills"
	"relais/internal/server/db"
)

// sample is internal/drills' sample report (a real drills.Report).
func sample(t *testing.T) drills.Report {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("..", "..", "drills", "testdata", "sample_report.json"))
	if err != nil {
		t.Fatal(err)
	}
	r, err := drills.ParseReport(b)
	if err != nil {
		t.Fatal(err)
	}
	return *r
}

func ptr[T any](v T) *T { return &v }

// variants are four runs of the sample's drill: the sample itself (the
// "applications" step skipped, SMTP failed), one completed over the RTO,
// one never operational (the portal failed, the run ended before
// "applications"), one within the RTO without a name.
func variants(t *testing.T) []drills.Report {
	s := sample(t)
	clone := func(runID string) drills.Report {
		r := s
		r.RunID = runID
		r.Steps = append([]drills.ReportStep(nil), s.Steps...)
		return r
	}
	r2 := clone("run-2")
	r2.Participant, r2.Feedback, r2.Completed = "Bob", "", true
	r2.TimeToOperationalMS, r2.WithinRTO = ptr(1_900_000.0), ptr(false)
	r2.Steps[3].State, r2.Steps[3].SkipReason, r2.Steps[3].Failure = drills.StepDone, "", ""
	r2.Steps[3].Evidence.Checks = nil
	r3 := clone("run-3")
	r3.Participant, r3.Feedback = "Chloé", "Trop long"
	r3.TimeToOperationalMS, r3.WithinRTO = nil, nil
	r3.Steps[2].State, r3.Steps[2].Failure = drills.StepFailed, "action_failed"
	r3.Steps[3].State, r3.Steps[3].SkipReason, r3.Steps[3].Failure = drills.StepOpen, "", ""
	r3.Steps[3].Evidence.Checks = nil
	r4 := clone("run-4")
	r4.Participant, r4.Feedback = "", ""
	r4.TimeToOperationalMS, r4.WithinRTO = ptr(600_000.0), ptr(true)
	return []drills.Report{s, r2, r3, r4}
}

func put(t *testing.T, d *db.DB, r drills.Report, source string) {
	t.Helper()
	body, err := r.JSON()
	if err != nil {
		t.Fatal(err)
	}
	if _, _, err := d.PutReport(ctx(t), r.RunID, source, "application/json", body, db.FactsOf(&r)); err != nil {
		t.Fatal(err)
	}
}

func putVariants(t *testing.T, d *db.DB) {
	for i, r := range variants(t) {
		put(t, d, r, []string{"10.20.0.1", "10.20.0.1", "10.20.0.2", "10.20.0.3"}[i])
	}
}

func TestCampaignAggregates(t *testing.T) {
	t.Parallel()
	eachBackend(t, func(t *testing.T, opts db.Options) {
		d := open(t, opts)
		putVariants(t, d)
		put(t, d, variants(t)[0], "10.20.0.9") // a repeat: counted once

		c, err := d.Campaign(ctx(t), "automne-2026")
		if err != nil {
			t.Fatal(err)
		}
		steps, apps, dist := c.Steps, c.Apps, c.Distribution
		c.Steps, c.Apps, c.Distribution = nil, nil, db.Distribution{}
		c.First, c.Last = time.Time{}, time.Time{}
		want := db.Campaign{DrillID: "automne-2026", Title: sample(t).DrillTitle, RTOMS: 1_800_000, RTOs: 1,
			Reports: 4, Participants: 3, Sources: 3, Completed: 1, Operational: 3, WithinRTO: 2, Feedback: 2}
		if !reflect.DeepEqual(*c, want) {
			t.Errorf("campaign\n got %+v\nwant %+v", *c, want)
		}
		wantDist := db.Distribution{WidthMS: 300_000, MinMS: 94_000, MaxMS: 1_900_000, MedianMS: 600_000,
			P90MS: 1_900_000, Count: 3}
		for i, n := range []int64{1, 0, 1, 0, 0, 0, 1} {
			wantDist.Buckets = append(wantDist.Buckets, db.Bucket{FromMS: int64(i) * 300_000,
				ToMS: int64(i+1) * 300_000, Count: n})
		}
		if !reflect.DeepEqual(dist, wantDist) {
			t.Errorf("distribution\n got %+v\nwant %+v", dist, wantDist)
		}
		s := sample(t)
		wantSteps := []db.StepStat{
			{ID: "applications", Title: s.Steps[3].Title, Skipped: 2, Open: 1, ChecksFailed: 2, WithReason: 2,
				DistinctReasons: 1, Reasons: []db.Count{{Text: "SMTP en panne & <rien> à faire", Count: 2}}},
			{ID: "portail", Title: s.Steps[2].Title, Failed: 1, ActionFailed: 1},
		}
		if !reflect.DeepEqual(steps, wantSteps) {
			t.Errorf("steps\n got %+v\nwant %+v", steps, wantSteps)
		}
		wantApps := []db.AppStat{{AppID: "messagerie", Reports: 2, Checks: []db.CheckCount{
			{CheckID: "messagerie-smtp", State: "failed", Reason: "code_failed", Count: 2}}}}
		if !reflect.DeepEqual(apps, wantApps) {
			t.Errorf("apps\n got %+v\nwant %+v", apps, wantApps)
		}

		page, more, err := d.Feedback(ctx(t), "automne-2026", 0, 1)
		if err != nil || !more || len(page) != 1 || page[0].Text != "Trop long" || page[0].Participant != "Chloé" {
			t.Fatalf("feedback page 1: %+v %v %v", page, more, err)
		}
		page, more, err = d.Feedback(ctx(t), "automne-2026", page[0].ID, 1)
		if err != nil || more || len(page) != 1 || page[0].Text != s.Feedback {
			t.Fatalf("feedback page 2: %+v %v %v", page, more, err)
		}

		var runs []string
		skipped, err := d.EachReports(ctx(t), "automne-2026", 3, func(rs []drills.Report) error {
			for _, r := range rs {
				runs = append(runs, r.RunID)
			}
			return nil
		})
		if err != nil || skipped != 0 || strings.Join(runs, ",") != "run-1,run-2,run-3,run-4" {
			t.Errorf("EachReports: %v %d %v", runs, skipped, err)
		}

		list, err := d.Drills(ctx(t))
		if err != nil || len(list) != 1 || list[0].DrillID != "automne-2026" || list[0].Reports != 4 ||
			list[0].Completed != 1 || list[0].Title != s.DrillTitle {
			t.Errorf("Drills: %+v %v", list, err)
		}
		if _, err := d.Campaign(ctx(t), "nope"); err != db.ErrNotFound {
			t.Errorf("unknown drill: %v", err)
		}
	})
}

// rawSQL opens the database of opts without this package, as an older
// Relais would have left it.
func rawSQL(t *testing.T, opts db.Options) *sql.DB {
	t.Helper()
	var raw *sql.DB
	var err error
	if opts.DatabaseURL != "" {
		raw, err = sql.Open("pgx", opts.DatabaseURL)
	} else {
		raw, err = sql.Open("sqlite3", filepath.Join(opts.DataDir, db.FileName))
	}
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { raw.Close() })
	return raw
}

// Reports stored without their campaign facts (by a Relais before
// migration 0003) get them when the database is opened again.
func TestCampaignBackfill(t *testing.T) {
	t.Parallel()
	eachBackend(t, func(t *testing.T, opts db.Options) {
		d := open(t, opts)
		putVariants(t, d)
		before, err := d.Campaign(ctx(t), "automne-2026")
		if err != nil {
			t.Fatal(err)
		}
		d.Close()
		raw := rawSQL(t, opts)
		for _, table := range []string{"campaign_checks", "campaign_steps", "campaign_reports"} {
			if _, err := raw.ExecContext(ctx(t), "DELETE FROM "+table); err != nil {
				t.Fatal(err)
			}
		}
		raw.Close()
		after, err := open(t, opts).Campaign(ctx(t), "automne-2026")
		if err != nil {
			t.Fatal(err)
		}
		before.First, before.Last, after.First, after.Last = time.Time{}, time.Time{}, time.Time{}, time.Time{}
		if !reflect.DeepEqual(before, after) {
			t.Errorf("after the backfill\n got %+v\nwant %+v", after, before)
		}
	})
}

// A hostile report: durations of 1e300 and below zero, NUL bytes, a
// megabyte-long title and reason, thousands of steps. Stored, and the
// aggregates still come.
func TestCampaignHostileReport(t *testing.T) {
	t.Parallel()
	eachBackend(t, func(t *testing.T, opts db.Options) {
		d := open(t, opts)
		s := sample(t)
		h := s
		h.RunID, h.RTOMS = "hostile", 1e300
		h.TimeToOperationalMS = ptr(1e300)
		h.Participant = "x\x00<script>alert(1)</script>"
		h.Feedback = strings.Repeat("é", 300_000) + "\x00"
		h.DrillTitle.FR = strings.Repeat("<b>", 100_000)
		for i := range 3000 {
			h.Steps = append(h.Steps, drills.ReportStep{ID: "s" + strings.Repeat("x", i%500), State: drills.StepSkipped,
				SkipReason: strings.Repeat("r", 5000)})
		}
		put(t, d, h, "10.0.0.1")
		n := s
		n.RunID, n.TimeToOperationalMS = "negative", ptr(-5e299)
		put(t, d, n, "10.0.0.2")
		c, err := d.Campaign(ctx(t), "automne-2026")
		if err != nil {
			t.Fatal(err)
		}
		if c.Reports != 2 || c.Distribution.Count != 2 || len(c.Distribution.Buckets) == 0 || len(c.Steps) == 0 {
			t.Errorf("campaign %+v", c)
		}
		var total int64
		for _, b := range c.Distribution.Buckets {
			total += b.Count
		}
		if total != 2 {
			t.Errorf("buckets hold %d reports: %+v", total, c.Distribution.Buckets)
		}
		if _, _, err := d.Feedback(ctx(t), "automne-2026", 0, 10); err != nil {
			t.Error(err)
		}
	})
}

// Analyze runs on both databases and changes no figure.
func TestAnalyzeChangesNoFigure(t *testing.T) {
	t.Parallel()
	eachBackend(t, func(t *testing.T, opts db.Options) {
		d := open(t, opts)
		putVariants(t, d)
		before, err := d.Campaign(ctx(t), "automne-2026")
		if err != nil {
			t.Fatal(err)
		}
		if err := d.Analyze(ctx(t)); err != nil {
			t.Fatal(err)
		}
		after, err := d.Campaign(ctx(t), "automne-2026")
		if err != nil || !reflect.DeepEqual(before, after) {
			t.Fatalf("after Analyze: %+v (%v), before %+v", after, err, before)
		}
	})
}
