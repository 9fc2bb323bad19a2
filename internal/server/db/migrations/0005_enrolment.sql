-- Enrolment on the emergency WireGuard gateway: setup tokens (IT's, from
-- the CLI or the setup_tokens_file), one-time codes (read over the phone),
-- the peers handed out and every enrolment or refusal. Secrets are stored
-- as enrolment.Hash (hex SHA-256) only. Times are UTC milliseconds.

-- from_file 1: listed in [wireguard] setup_tokens_file (upserted at start,
-- uses kept). revoked_at set: refused from then on.
CREATE TABLE setup_tokens (
    name TEXT PRIMARY KEY,
    sha256 TEXT NOT NULL UNIQUE,
    max_uses BIGINT NOT NULL,
    uses BIGINT NOT NULL DEFAULT 0,
    expires_at BIGINT NOT NULL,
    created_at BIGINT NOT NULL,
    created_by TEXT NOT NULL,
    from_file INTEGER NOT NULL DEFAULT 0,
    revoked_at BIGINT,
    revoked_by TEXT
);

-- used_at set: spent (by the device used_by).
CREATE TABLE enrol_codes (
    id {{ID}},
    person TEXT NOT NULL,
    sha256 TEXT NOT NULL UNIQUE,
    expires_at BIGINT NOT NULL,
    created_at BIGINT NOT NULL,
    created_by TEXT NOT NULL,
    used_at BIGINT,
    used_by TEXT
);

-- state: pending (address reserved, peer not yet on the interface),
-- active, revoked. addresses: the host prefixes, comma-separated.
CREATE TABLE peers (
    id {{ID}},
    public_key TEXT NOT NULL,
    device_name TEXT NOT NULL,
    addresses TEXT NOT NULL,
    via TEXT NOT NULL,
    state TEXT NOT NULL,
    enrolled_at BIGINT NOT NULL,
    revoked_at BIGINT,
    revoked_by TEXT
);

-- One live peer per key: two instances enrolling the same key together
-- cannot both insert it.
CREATE UNIQUE INDEX peers_live_key ON peers (public_key) WHERE state <> 'revoked';

CREATE INDEX peers_key ON peers (public_key);

CREATE INDEX peers_device ON peers (device_name, state);

-- Every address given to a peer; live 1 until the peer is revoked. An
-- address is held by one live peer at most, whichever instance gave it.
-- pool and host (the address's offset in its pool) let the lowest free
-- address be found by the database.
CREATE TABLE peer_addresses (
    address TEXT NOT NULL,
    pool TEXT NOT NULL,
    host BIGINT NOT NULL,
    peer_id BIGINT NOT NULL REFERENCES peers (id),
    live INTEGER NOT NULL DEFAULT 1
);

CREATE UNIQUE INDEX peer_addresses_live ON peer_addresses (address) WHERE live = 1;

CREATE INDEX peer_addresses_pool ON peer_addresses (pool, host) WHERE live = 1;

CREATE INDEX peer_addresses_peer ON peer_addresses (peer_id);

-- kind: enrolled, reenrolled, refused, revoked; code: the refusal's.
CREATE TABLE enrol_events (
    id {{ID}},
    at BIGINT NOT NULL,
    kind TEXT NOT NULL,
    code TEXT NOT NULL,
    device_name TEXT NOT NULL,
    public_key TEXT NOT NULL,
    via TEXT NOT NULL,
    source TEXT NOT NULL
);
