-- An identity given by the organisation's server: where it was enrolled
-- and the signed grant that binds its public key to its addresses (not a
-- secret: the helper checks it before it puts the addresses on the machine).
ALTER TABLE device_identity ADD COLUMN enrol_url TEXT NOT NULL DEFAULT '';
ALTER TABLE device_identity ADD COLUMN grant_doc TEXT NOT NULL DEFAULT '';
ALTER TABLE device_identity ADD COLUMN grant_signature TEXT NOT NULL DEFAULT '';
