-- Intake: drill reports and diagnostics bundles, each kept once by its
-- Idempotency-Key. Portable SQL for SQLite and PostgreSQL: {{ID}} and
-- {{BLOB}} are the dialect's auto-increment key and binary type. Times are
-- UTC milliseconds since 1970.

CREATE TABLE reports (
    id {{ID}},
    idempotency_key TEXT NOT NULL UNIQUE,
    body_sha256 TEXT NOT NULL,
    received_at BIGINT NOT NULL,
    source TEXT NOT NULL,
    content_type TEXT NOT NULL,
    size BIGINT NOT NULL,
    body {{BLOB}} NOT NULL,
    -- From the report, for the campaign's aggregates in SQL.
    drill_id TEXT NOT NULL,
    run_id TEXT NOT NULL,
    started_at BIGINT,
    finished_at BIGINT,
    time_to_operational_ms DOUBLE PRECISION,
    completed INTEGER NOT NULL,
    within_rto INTEGER
);

CREATE INDEX reports_drill ON reports (drill_id, received_at);

CREATE TABLE bundles (
    id {{ID}},
    case_code TEXT NOT NULL UNIQUE,
    sha256 TEXT NOT NULL,
    received_at BIGINT NOT NULL,
    source TEXT NOT NULL,
    content_type TEXT NOT NULL,
    size BIGINT NOT NULL,
    body {{BLOB}} NOT NULL,
    taken_by TEXT,
    resolved_at BIGINT
);

CREATE INDEX bundles_received ON bundles (received_at);
