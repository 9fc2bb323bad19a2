-- Check history: one row per check result, for diagnostics, drills and
-- `relais status`. run_at groups the results of one run (the report's start).
CREATE TABLE check_results (
	id          INTEGER PRIMARY KEY,
	run_at      INTEGER NOT NULL,
	at          INTEGER NOT NULL,
	check_id    TEXT    NOT NULL,
	app_id      TEXT    NOT NULL DEFAULT '',
	type        TEXT    NOT NULL DEFAULT '',
	state       TEXT    NOT NULL,
	duration_us INTEGER NOT NULL DEFAULT 0,
	reason_code TEXT    NOT NULL DEFAULT '',
	detail_json TEXT    NOT NULL DEFAULT ''
);
CREATE INDEX check_results_check ON check_results (check_id, id);
CREATE INDEX check_results_run ON check_results (run_at);

-- The Mode urgence engine as the running process last recorded it (phase,
-- timeline, time to operational), so that `relais status` elsewhere shows it.
CREATE TABLE engine_state (
	id            INTEGER PRIMARY KEY CHECK (id = 1),
	pid           INTEGER NOT NULL,
	snapshot_json TEXT    NOT NULL,
	updated_at    INTEGER NOT NULL
);
