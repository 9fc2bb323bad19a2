-- The campaign's facts (the Campagne page's aggregates, in SQL): one narrow
-- row per report, and child rows for its steps not done and its checks not
-- ok, filled at intake in the report's transaction. Reports stored before
-- this migration get theirs when the server opens the database (a backfill
-- from the stored bodies, in Go: db.backfillCampaign). Durations are whole
-- milliseconds, clamped (db.clampMS), so that buckets are integer division
-- in both dialects.

CREATE TABLE campaign_reports (
    report_id BIGINT PRIMARY KEY,
    drill_id TEXT NOT NULL,
    received_at BIGINT NOT NULL,
    started_at BIGINT,
    participant TEXT NOT NULL,
    source TEXT NOT NULL,
    completed INTEGER NOT NULL,
    tto_ms BIGINT,
    within_rto INTEGER,
    rto_ms BIGINT NOT NULL,
    drill_title TEXT NOT NULL,
    feedback TEXT NOT NULL
);

CREATE INDEX campaign_reports_drill ON campaign_reports (drill_id, received_at);
CREATE INDEX campaign_reports_tto ON campaign_reports (drill_id, tto_ms);
CREATE INDEX campaign_reports_rto ON campaign_reports (drill_id, rto_ms);
CREATE INDEX campaign_reports_feedback ON campaign_reports (drill_id, report_id) WHERE feedback <> '';

CREATE TABLE campaign_steps (
    report_id BIGINT NOT NULL,
    position INTEGER NOT NULL,
    drill_id TEXT NOT NULL,
    step_id TEXT NOT NULL,
    title TEXT NOT NULL,
    required INTEGER NOT NULL,
    state TEXT NOT NULL,
    skip_reason TEXT NOT NULL,
    failure TEXT NOT NULL,
    PRIMARY KEY (report_id, position)
);

CREATE INDEX campaign_steps_drill ON campaign_steps (drill_id, step_id, state);

CREATE TABLE campaign_checks (
    report_id BIGINT NOT NULL,
    position INTEGER NOT NULL,
    drill_id TEXT NOT NULL,
    step_id TEXT NOT NULL,
    check_id TEXT NOT NULL,
    app_id TEXT NOT NULL,
    state TEXT NOT NULL,
    reason TEXT NOT NULL,
    PRIMARY KEY (report_id, position)
);

CREATE INDEX campaign_checks_drill ON campaign_checks (drill_id, app_id);
