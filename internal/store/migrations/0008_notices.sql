-- 0008: crisis notices and maintenance windows (internal/notices). The last
-- good signed document, kept so that the laptop shows notices offline, and
-- the last attempt to fetch one, so that a refused document is explained
-- (a coded reason) while the last good one stays shown.

-- The one current (last good) notices document: verified with the notice key
-- before it was stored.
CREATE TABLE notices (
	id            INTEGER PRIMARY KEY CHECK (id = 1),
	serial        INTEGER NOT NULL CHECK (serial > 0),
	sha256        TEXT    NOT NULL CHECK (length(sha256) = 64 AND sha256 NOT GLOB '*[^0-9a-f]*'),
	bytes         BLOB    NOT NULL CHECK (length(bytes) > 0),
	signature     BLOB    NOT NULL CHECK (length(signature) > 0),
	source        TEXT    NOT NULL DEFAULT '',
	key_id        TEXT    NOT NULL DEFAULT '', -- the notice key that verified it
	etag          TEXT    NOT NULL DEFAULT '',
	last_modified TEXT    NOT NULL DEFAULT '',
	fetched_at    INTEGER NOT NULL, -- when these bytes were accepted
	checked_at    INTEGER NOT NULL  -- last time the source confirmed them
);

-- The last sync of notices, whatever its outcome.
CREATE TABLE notices_sync (
	id      INTEGER PRIMARY KEY CHECK (id = 1),
	at      INTEGER NOT NULL,
	source  TEXT    NOT NULL DEFAULT '',
	outcome TEXT    NOT NULL, -- accepted | not_modified | refused | failed
	serial  INTEGER NOT NULL DEFAULT 0,
	code    TEXT    NOT NULL DEFAULT '', -- notices.Code* when refused
	reason  TEXT    NOT NULL DEFAULT ''
);
