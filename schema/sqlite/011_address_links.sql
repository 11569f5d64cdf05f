-- blemon schema for SQLite, version 11: estimated devices behind rotating addresses
-- (docs/database.md, "Address links"). One row per link the processor made: the address
-- `device_id` is what the address `previous_device_id` became (same payload signature, same RSSI
-- pattern over the monitors, one stopped as the other started). Written by the processing
-- transaction of the interval that decided it, after its fencing check, so a failover never
-- half-applies one. Links are estimates: they are never merged into identities.
--   device_id               the later address (ble_devices); at most one predecessor
--   previous_device_id      the earlier address; at most one successor
--   estimated_device_id     the first address of the chain: the estimated device of device_id
--   previous_last_interval  the last interval the earlier address was heard in
--   first_interval          the first interval the later address was heard in
--   distance_db             the RMS difference of their RSSI patterns, dB
--   linked_at               the store's clock at the commit
-- An address without a row here is its own estimated device.
CREATE TABLE address_links (
  device_id              INTEGER PRIMARY KEY REFERENCES ble_devices (device_id),
  previous_device_id     INTEGER NOT NULL UNIQUE REFERENCES ble_devices (device_id),
  estimated_device_id    INTEGER NOT NULL REFERENCES ble_devices (device_id),
  previous_last_interval TEXT    NOT NULL,
  first_interval         TEXT    NOT NULL,
  distance_db            REAL    NOT NULL,
  linked_at              TEXT    NOT NULL DEFAULT (datetime('now'))
);
CREATE INDEX idx_links_estimated ON address_links (estimated_device_id);
CREATE INDEX idx_links_first_interval ON address_links (first_interval);

INSERT INTO schema_version (version, description) VALUES (11, 'address links');
