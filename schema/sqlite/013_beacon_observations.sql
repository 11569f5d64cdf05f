-- blemon schema for SQLite, version 13: monitors hearing each other's beacons (docs/rooms.md,
-- "Calibration from monitors hearing each other"). A staged reading that is another blemon
-- monitor's beacon goes here instead of into sighting_staging, so a monitor never becomes a
-- device (no ble_devices row, no sightings, not in any count) and the original tool's view of
-- staging is what it always was. Written by the batch's own staging transaction: a resent batch
-- is recognised by staging_batches before anything is written, and the key below keeps one row
-- per (receiver, batch, sender) even so (the strongest, when one scan heard a monitor twice).
--   receiver_monitor_id  the monitor that heard the beacon (the batch's monitor)
--   batch_seq            the receiver's batch (scan) it came in
--   sender_monitor_id    the monitor the beacon names
--   interval_start       the scan's interval
--   rssi                 dBm, raw, as the receiver reported it
--   sender_tx_power      dBm, the TX power the beacon says
--   observed_at          the scan's time
CREATE TABLE beacon_observations (
  receiver_monitor_id INTEGER NOT NULL,
  batch_seq           INTEGER NOT NULL,
  sender_monitor_id   INTEGER NOT NULL,
  interval_start      TEXT    NOT NULL,
  rssi                INTEGER NOT NULL,
  sender_tx_power     INTEGER NOT NULL,
  observed_at         TEXT    NOT NULL,
  PRIMARY KEY (receiver_monitor_id, batch_seq, sender_monitor_id)
);
CREATE INDEX idx_beacon_interval ON beacon_observations (interval_start);

INSERT INTO schema_version (version, description) VALUES (13, 'beacon observations');
