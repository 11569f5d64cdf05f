-- blemon schema for SQLite, version 5: identities of known devices. An owner enrols a phone's
-- Identity Resolving Key (blemon-admin identity add); the processor resolves every resolvable
-- private address of an interval against all keys and attributes the readings to the identity's
-- one device row, so a known phone keeps one ble_devices row and one room track across address
-- rotations (docs/identity.md).
--   identity_id       the identity
--   name              the owner's name for it, unique
--   irk               the 16 key bytes, most significant first (the Core specification's order)
--   byte_order_known  0 until an address resolved (or the owner gave the order): the processor
--                     then tries both orders and, on the first match, pins the one that works
--   device_id         the ble_devices row its sightings go to; NULL until its first address
--                     resolved (that address becomes the row's mac_address)
--   created_at        when it was enrolled
CREATE TABLE identities (
  identity_id      INTEGER PRIMARY KEY AUTOINCREMENT,
  name             TEXT    NOT NULL UNIQUE,
  irk              BLOB    NOT NULL CHECK (length(irk) = 16),
  byte_order_known INTEGER NOT NULL DEFAULT 0,
  device_id        INTEGER REFERENCES ble_devices (device_id) ON DELETE SET NULL,
  created_at       TEXT    NOT NULL DEFAULT (datetime('now'))
);

-- The raw address stays in mac_address; resolved_mac, when set, is the identity's device row's
-- MAC, and processing groups the interval's rows by coalesce(resolved_mac, mac_address). Written
-- by the processing transaction itself, for every row of the interval with that address.
ALTER TABLE sighting_staging ADD COLUMN resolved_mac TEXT;
-- Serves the processor's read of an interval's unattributed private addresses from the index
-- alone, and an identity device's rows of an interval.
CREATE INDEX idx_interval_resolved
  ON sighting_staging (interval_start, resolved_mac, address_class, mac_address);

INSERT INTO schema_version (version, description) VALUES (5, 'identities');
