-- Drill runs and their steps (DESIGN.md, "Drills"). A run keeps the drill as
-- it started (drill_json, canonical JSON, and drill_hash, its SHA-256), so a
-- newer profile never changes a run under way. Each change is written the
-- moment it happens, so a run resumes after a crash at the same step with
-- all its evidence. Answers and notes are the participant's words: never a
-- secret, but personal; they go into the run's report.
--
-- Times are Unix milliseconds (UTC); 0 means "not yet".
CREATE TABLE drill_runs (
	id                     TEXT    PRIMARY KEY CHECK (id <> ''),
	drill_id               TEXT    NOT NULL CHECK (drill_id <> ''),
	drill_hash             TEXT    NOT NULL CHECK (length(drill_hash) = 64 AND drill_hash NOT GLOB '*[^0-9a-f]*'),
	drill_json             TEXT    NOT NULL CHECK (drill_json <> ''),
	profile_serial         INTEGER NOT NULL DEFAULT 0,
	app_version            TEXT    NOT NULL DEFAULT '',
	language               TEXT    NOT NULL DEFAULT 'fr',
	state                  TEXT    NOT NULL CHECK (state IN ('active', 'completed')),
	-- +1 with every change: a change computed from an older read (another
	-- process moved the run on meanwhile) is refused instead of undoing it.
	revision               INTEGER NOT NULL DEFAULT 0,
	started                INTEGER NOT NULL,
	finished               INTEGER NOT NULL DEFAULT 0,
	-- The first moment one of the run's verifications saw every essential
	-- app operational: the run's own measure of time to operational.
	operational_at         INTEGER NOT NULL DEFAULT 0,
	time_to_operational_ms INTEGER, -- NULL: never operational during the run (or not finished)
	feedback               TEXT    NOT NULL DEFAULT ''
);
-- At most one run of a drill under way: Start resumes it, and two processes
-- (GUI and CLI) starting the same drill at once cannot make two.
CREATE UNIQUE INDEX drill_runs_one_active ON drill_runs (drill_id) WHERE state = 'active';
CREATE INDEX drill_runs_started ON drill_runs (started);

-- The steps of each run, in the drill's order (idx from 0).
CREATE TABLE drill_steps (
	run_id        TEXT    NOT NULL REFERENCES drill_runs (id) ON DELETE CASCADE,
	idx           INTEGER NOT NULL CHECK (idx >= 0),
	step_id       TEXT    NOT NULL CHECK (step_id <> ''),
	state         TEXT    NOT NULL CHECK (state IN ('open', 'done', 'skipped', 'failed')),
	started       INTEGER NOT NULL DEFAULT 0, -- when the step became current
	finished      INTEGER NOT NULL DEFAULT 0, -- when it was last done, skipped or failed
	skip_reason   TEXT    NOT NULL DEFAULT '',
	failure       TEXT    NOT NULL DEFAULT '', -- the code of the last failed attempt
	evidence_json TEXT    NOT NULL DEFAULT '{}',
	PRIMARY KEY (run_id, idx),
	UNIQUE (run_id, step_id)
) WITHOUT ROWID;
