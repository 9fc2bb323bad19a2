-- 0001: the last good continuity profile, its assets, sync outcomes and the event log.
--
-- Times are Unix milliseconds (UTC) in INTEGER columns: compact, ordered and
-- unambiguous. Hashes are lowercase hex SHA-256. Text columns that may be
-- absent are NOT NULL DEFAULT '' so Go reads them into plain strings.

-- Assets pinned by a profile, kept by content hash: fetched once, shared by
-- every later profile that pins the same bytes.
CREATE TABLE assets (
	sha256     TEXT    PRIMARY KEY CHECK (length(sha256) = 64 AND sha256 NOT GLOB '*[^0-9a-f]*'),
	asset_id   TEXT    NOT NULL DEFAULT '', -- the profile's id for it, informational
	bytes      BLOB    NOT NULL,
	source_url TEXT    NOT NULL DEFAULT '',
	fetched_at INTEGER NOT NULL
);

-- Every accepted profile, in order of acceptance (id), pruned to a short
-- history by the code. Not unique on sha256: the same bytes may be accepted
-- again later, and each acceptance is its own row.
CREATE TABLE profiles (
	id            INTEGER PRIMARY KEY,
	serial        INTEGER NOT NULL,
	sha256        TEXT    NOT NULL CHECK (length(sha256) = 64 AND sha256 NOT GLOB '*[^0-9a-f]*'),
	bytes         BLOB    NOT NULL CHECK (length(bytes) > 0),
	signature     BLOB    NOT NULL CHECK (length(signature) > 0),
	source        TEXT    NOT NULL DEFAULT '',
	etag          TEXT    NOT NULL DEFAULT '',
	last_modified TEXT    NOT NULL DEFAULT '',
	fetched_at    INTEGER NOT NULL, -- when these bytes were accepted
	checked_at    INTEGER NOT NULL  -- last time the source confirmed them
);

-- The one current (last good) profile. A row of its own rather than "the
-- newest id" so that the choice is explicit, and a foreign key so that
-- pruning the history can never delete it.
CREATE TABLE current_profile (
	id         INTEGER PRIMARY KEY CHECK (id = 1),
	profile_id INTEGER NOT NULL REFERENCES profiles (id)
);

-- The outcome of each sync attempt, newest last.
CREATE TABLE sync_attempts (
	id      INTEGER PRIMARY KEY,
	at      INTEGER NOT NULL,
	source  TEXT    NOT NULL DEFAULT '',
	outcome TEXT    NOT NULL CHECK (outcome IN ('accepted', 'not_modified', 'refused', 'failed')),
	serial  INTEGER NOT NULL DEFAULT 0,
	reason  TEXT    NOT NULL DEFAULT '',
	code    TEXT    NOT NULL DEFAULT ''
);

-- Diagnostics log, newest last. Never holds secrets.
CREATE TABLE events (
	id      INTEGER PRIMARY KEY,
	at      INTEGER NOT NULL,
	kind    TEXT    NOT NULL CHECK (kind <> ''),
	message TEXT    NOT NULL DEFAULT ''
);
