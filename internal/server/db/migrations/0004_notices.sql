-- Crisis notices (Avis): what the continuity team publishes, and every
-- signed document made from it. Times are UTC milliseconds since 1970.

-- One notice (kind 'notice': a level and a text in both languages) or one
-- maintenance window on an app (kind 'window': the app's id, an optional
-- text). from_at/until_at NULL: open. ended_at set: withdrawn by a person.
CREATE TABLE notice_items (
    id {{ID}},
    kind TEXT NOT NULL,
    app TEXT NOT NULL,
    level TEXT NOT NULL,
    text_fr TEXT NOT NULL,
    text_en TEXT NOT NULL,
    from_at BIGINT,
    until_at BIGINT,
    created_at BIGINT NOT NULL,
    created_by TEXT NOT NULL,
    ended_at BIGINT,
    ended_by TEXT
);

CREATE INDEX notice_items_open ON notice_items (ended_at, until_at);

-- Every document published, as signed and served: serial is unique, so
-- two instances sharing one PostgreSQL never publish the same serial.
CREATE TABLE notice_documents (
    id {{ID}},
    serial BIGINT NOT NULL UNIQUE,
    issued_at BIGINT NOT NULL,
    sha256 TEXT NOT NULL,
    body {{BLOB}} NOT NULL,
    signature {{BLOB}} NOT NULL,
    created_by TEXT NOT NULL
);
