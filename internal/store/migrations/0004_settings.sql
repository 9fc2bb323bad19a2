-- The user's own settings (language, autostart, tunnel mode): one row per
-- setting, the value as text. Settings the organisation locks live in the
-- managed configuration, not here. Never a secret.
CREATE TABLE settings (
	key        TEXT    PRIMARY KEY CHECK (key <> ''),
	value      TEXT    NOT NULL,
	updated_at INTEGER NOT NULL
);
