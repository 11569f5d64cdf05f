-- Version 13: monitors hearing each other's beacons (docs/rooms.md, "Calibration from monitors
-- hearing each other"). Additive and safe to rerun. A staged reading that is another blemon
-- monitor's beacon goes here instead of into sighting_staging, so a monitor never becomes a
-- device (no ble_devices row, no sightings, not in any count), blemon_process_interval stays as
-- it is, and the original tool's view of staging is what it always was. Written by the batch's
-- own staging transaction: a resent batch is recognised by staging_batches before anything is
-- written, and the key keeps one row per (receiver, batch, sender) even so (the strongest, when
-- one scan heard a monitor twice).
--   receiver_monitor_id  the monitor that heard the beacon (the batch's monitor)
--   batch_seq            the receiver's batch (scan) it came in
--   sender_monitor_id    the monitor the beacon names
--   interval_start       the scan's interval
--   rssi                 dBm, raw, as the receiver reported it
--   sender_tx_power      dBm, the TX power the beacon says
--   observed_at          the scan's time
CREATE TABLE IF NOT EXISTS beacon_observations (
    receiver_monitor_id INT NOT NULL,
    batch_seq BIGINT NOT NULL,
    sender_monitor_id INT NOT NULL,
    interval_start TIMESTAMP NOT NULL DEFAULT '1970-01-01 00:00:01',
    rssi SMALLINT NOT NULL,
    sender_tx_power SMALLINT NOT NULL,
    observed_at TIMESTAMP NOT NULL DEFAULT '1970-01-01 00:00:01',
    PRIMARY KEY (receiver_monitor_id, batch_seq, sender_monitor_id),
    KEY idx_beacon_interval (interval_start)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_general_ci;

-- Recorded by the file itself, as 001_blemon.sql does, so a run by hand with the mariadb client
-- gives the same database as `blemon-admin migrate`.
INSERT IGNORE INTO schema_version (version, name) VALUES (13, '013_beacon_observations');
