-- The device's WireGuard identity: only its public half and the tunnel
-- addresses IT assigned. The private key lives in the OS keyring, never here.
CREATE TABLE device_identity (
	id          INTEGER PRIMARY KEY CHECK (id = 1),
	public_key  TEXT    NOT NULL CHECK (length(public_key) = 44),
	addresses   TEXT    NOT NULL DEFAULT '',   -- comma-separated CIDRs
	source      TEXT    NOT NULL DEFAULT '',   -- "generated" or the imported file's name
	created_at  INTEGER NOT NULL
);

-- The tunnel as the running process (relais up, the app, the helper) last
-- recorded it, so that `relais status` from another terminal can show it.
CREATE TABLE tunnel_state (
	id          INTEGER PRIMARY KEY CHECK (id = 1),
	pid         INTEGER NOT NULL,
	status_json TEXT    NOT NULL,
	updated_at  INTEGER NOT NULL
);
