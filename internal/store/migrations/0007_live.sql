-- The live record of Mode urgence: one row per running process (the app,
-- relais up), its engine snapshot -- the tunnel's status inside -- and when
-- it last wrote it. It replaces tunnel_state and engine_state, two records
-- of one thing that their readers judged each by its own rule; the one
-- rule is internal/backend's ReadLive.
CREATE TABLE live (
	pid           INTEGER PRIMARY KEY,
	snapshot_json TEXT    NOT NULL,
	updated_at    INTEGER NOT NULL -- Unix milliseconds
);

-- The last records are kept (a bundle shows the last engine state): the
-- engine's snapshot, with the tunnel's status of the same process in it.
-- Rows that are not JSON are left behind rather than fail the migration.
INSERT INTO live (pid, snapshot_json, updated_at)
	SELECT pid, snapshot_json, updated_at FROM engine_state WHERE json_valid(snapshot_json);
INSERT INTO live (pid, snapshot_json, updated_at)
	SELECT pid, json_object('pid', pid, 'tunnel', json(status_json)), updated_at FROM tunnel_state WHERE json_valid(status_json)
	ON CONFLICT (pid) DO UPDATE SET
		snapshot_json = json_set(live.snapshot_json, '$.tunnel', json(json_extract(excluded.snapshot_json, '$.tunnel'))),
		updated_at = max(live.updated_at, excluded.updated_at);

DROP TABLE tunnel_state;
DROP TABLE engine_state;
