-- A name with a terminal escape, as the original tool could have stored it (blemon itself strips
-- control characters): reports must print it harmlessly.
INSERT INTO ble_devices (device_id, mac_address, device_name, first_seen, last_seen)
VALUES (6, 'AA:BB:CC:00:00:06', CONCAT('evil', CHAR(27 USING utf8mb4), '[31mRED'),
        '2026-02-22 10:30:09', '2026-02-22 10:30:09');
INSERT INTO device_sightings (device_id, monitor_id, rssi, interval_start, sighting_timestamp)
VALUES (6, 1, -90, '2026-02-22 10:30:00', '2026-02-22 10:30:09');
