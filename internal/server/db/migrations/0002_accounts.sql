-- Accounts of the web pages (roles continuity, helpdesk, ambassador),
-- their sessions, and the helpdesk's work on bundles: who took one and
-- when, its notes, whether its verdict flags an essential app. Passwords
-- are argon2id PHC strings; session ids are stored as their SHA-256 only.

CREATE TABLE accounts (
    id {{ID}},
    name TEXT NOT NULL UNIQUE,
    role TEXT NOT NULL,
    password_hash TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL
);

CREATE TABLE sessions (
    id_sha256 TEXT PRIMARY KEY,
    account_id BIGINT NOT NULL REFERENCES accounts (id),
    csrf_token TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    last_seen_at BIGINT NOT NULL,
    expires_at BIGINT NOT NULL
);

CREATE INDEX sessions_account ON sessions (account_id);

CREATE TABLE bundle_notes (
    id {{ID}},
    case_code TEXT NOT NULL,
    author TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    body TEXT NOT NULL
);

CREATE INDEX bundle_notes_case ON bundle_notes (case_code, created_at);

ALTER TABLE bundles ADD COLUMN taken_at BIGINT;

ALTER TABLE bundles ADD COLUMN resolved_by TEXT;

-- NULL: not known (not opened on the server); 0 or 1 once opened.
ALTER TABLE bundles ADD COLUMN essential_failing INTEGER;
