-- The fixed data set of the golden-output tests, in SQL both stores accept (run after
-- `blemon-admin migrate`). Times are UTC. It covers: three monitors (one idle and inactive, one
-- with a multi-byte location), devices with a wide-character name, an emoji, quotes and commas,
-- no name, and (added per backend, see fixture-*.sql) a terminal escape; a sighting on the day
-- before the reported day that must stay out; staging rows, processed and not; device classes
-- and vendors (schema 4), set for some devices and NULL for others.
INSERT INTO monitors (monitor_id, monitor_name, location, description, is_active, last_seen)
VALUES (1, 'living-room', 'Living Room', 'processor', 1, '2026-02-22 11:55:00'),
       (2, 'kitchen', 'Küche', '', 1, '2026-02-22 11:50:00'),
       (3, 'bedroom', 'Bedroom', 'switched off', 0, '2026-02-20 08:00:00');

INSERT INTO ble_devices (device_id, mac_address, device_name, first_seen, last_seen,
                         device_class, vendor)
VALUES (1, 'AA:BB:CC:00:00:01', 'Pixel 7', '2026-02-21 08:00:00', '2026-02-22 11:45:05',
        'phone', 'Google'),
       (2, 'AA:BB:CC:00:00:02', '東京タワー', '2026-02-22 09:00:06', '2026-02-22 10:30:01',
        NULL, NULL),
       (3, 'AA:BB:CC:00:00:03', NULL, '2026-02-21 08:00:02', '2026-02-22 09:00:04',
        'beacon', 'Apple, Inc.'),
       (4, 'AA:BB:CC:00:00:04', 'Bob''s "Phone", v2', '2026-02-22 09:05:07', '2026-02-22 09:05:07',
        NULL, 'Nestlé Nespresso S.A.'),
       (5, 'AA:BB:CC:00:00:05', '🎧 Buds', '2026-02-22 10:00:02', '2026-02-22 10:00:02',
        'earbuds', 'Samsung Electronics Co. Ltd.');

INSERT INTO device_sightings (device_id, monitor_id, rssi, interval_start, sighting_timestamp)
VALUES (3, 1, -66, '2026-02-21 08:00:00', '2026-02-21 08:00:02'),
       (1, 1, -60, '2026-02-22 09:00:00', '2026-02-22 09:00:05'),
       (2, 1, -72, '2026-02-22 09:00:00', '2026-02-22 09:00:06'),
       (3, 2, -55, '2026-02-22 09:00:00', '2026-02-22 09:00:04'),
       (1, 1, -58, '2026-02-22 09:05:00', '2026-02-22 09:05:05'),
       (4, 2, -80, '2026-02-22 09:05:00', '2026-02-22 09:05:07'),
       (1, 2, -65, '2026-02-22 10:00:00', '2026-02-22 10:00:03'),
       (5, 1, -47, '2026-02-22 10:00:00', '2026-02-22 10:00:02'),
       (2, 2, -70, '2026-02-22 10:30:00', '2026-02-22 10:30:01'),
       (1, 1, -61, '2026-02-22 11:45:00', '2026-02-22 11:45:05');

INSERT INTO sighting_staging (mac_address, device_name, monitor_id, rssi, interval_start,
                              scan_timestamp, processed)
VALUES ('AA:BB:CC:00:00:01', 'Pixel 7', 1, -61, '2026-02-22 11:45:00', '2026-02-22 11:45:05', 1),
       ('AA:BB:CC:00:00:01', 'Pixel 7', 2, -75, '2026-02-22 11:45:00', '2026-02-22 11:45:06', 1),
       ('AA:BB:CC:00:00:07', NULL, 2, -81, '2026-02-22 11:50:00', '2026-02-22 11:50:03', 0);
