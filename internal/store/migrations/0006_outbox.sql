-- The outbox: what must reach a server exactly once as far as the server can
-- tell (drill reports, later diagnostics bundles). An item is here before the
-- caller is told it was queued, and stays after delivery as the record that
-- it got through. key is the Idempotency-Key sent with every attempt.
-- next_attempt is pushed out before each request is sent, so that a process
-- killed mid-request neither retries in a hot loop nor lets another process
-- send the same item at the same time. The url never carries credentials and
-- last_error never quotes the url or the body.
CREATE TABLE outbox (
	key          TEXT    PRIMARY KEY CHECK (key <> ''),
	kind         TEXT    NOT NULL CHECK (kind <> ''),
	url          TEXT    NOT NULL CHECK (url <> ''),
	content_type TEXT    NOT NULL DEFAULT '',
	body         BLOB    NOT NULL,
	state        TEXT    NOT NULL DEFAULT 'pending' CHECK (state IN ('pending', 'delivered', 'rejected')),
	created      INTEGER NOT NULL,           -- Unix milliseconds
	attempts     INTEGER NOT NULL DEFAULT 0, -- requests started, counted before each is sent
	next_attempt INTEGER NOT NULL,           -- Unix milliseconds; meaningful while pending
	delivered    INTEGER NOT NULL DEFAULT 0, -- Unix milliseconds; 0 until delivered
	last_status  INTEGER NOT NULL DEFAULT 0, -- HTTP status of the last answer, 0 when none
	last_error   TEXT    NOT NULL DEFAULT ''
);
-- The delivery loop asks "what is due next" on every pass.
CREATE INDEX outbox_due ON outbox (state, next_attempt);
