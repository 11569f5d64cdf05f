-- blemon schema for SQLite, version 6: rooms that are right (docs/rooms.md).
--   monitors.rssi_offset_db         added to the monitor's raw RSSI before the winner is chosen
--                                   (one decimal; 0 keeps the original highest-RSSI rule)
--   monitors.position_x, position_y where the monitor stands, metres (optional; calibration)
--   device_sightings.calibrated_rssi       the winner's rssi + offset (rssi keeps the raw value)
--   device_sightings.calibrated_margin_db  its lead over the best other monitor, calibrated
--   device_sightings.room_monitor_id       the stable room (hysteresis): the monitor whose room
--                                          the device is in; monitor_id stays the raw winner
--   device_sightings.confidence            'high', 'low' or 'ambiguous'
--   device_rooms                    per device, the stable room and its challenger so far
ALTER TABLE monitors ADD COLUMN rssi_offset_db REAL NOT NULL DEFAULT 0;
ALTER TABLE monitors ADD COLUMN position_x REAL;
ALTER TABLE monitors ADD COLUMN position_y REAL;
ALTER TABLE device_sightings ADD COLUMN calibrated_rssi REAL;
ALTER TABLE device_sightings ADD COLUMN calibrated_margin_db REAL;
ALTER TABLE device_sightings ADD COLUMN room_monitor_id INTEGER REFERENCES monitors (monitor_id);
ALTER TABLE device_sightings ADD COLUMN confidence TEXT
  CHECK (confidence IN ('high', 'low', 'ambiguous'));

CREATE TABLE device_rooms (
  device_id             INTEGER PRIMARY KEY REFERENCES ble_devices (device_id),
  monitor_id            INTEGER NOT NULL,  -- the stable room's monitor
  interval_start        TEXT    NOT NULL,  -- the latest interval decided
  challenger_monitor_id INTEGER,           -- another winner, not yet moved to
  challenger_intervals  INTEGER NOT NULL DEFAULT 0
);

INSERT INTO schema_version (version, description) VALUES (6, 'rooms');
