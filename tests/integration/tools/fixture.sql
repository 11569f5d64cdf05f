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

-- Presence (schema version 7): two watched devices, their events on the reported day (and one the
-- day before that must stay out), the state after 11:45 and the rooms' occupancy.
INSERT INTO watch_list (watch_name, target_kind, target)
VALUES ('pixel', 'mac', 'AA:BB:CC:00:00:01'), ('buds', 'mac', 'AA:BB:CC:00:00:05');

INSERT INTO presence_events (event_id, watch_name, device, interval_start, kind, from_room,
                             to_room, decided_in, published_at)
VALUES ('AA:BB:CC:00:00:01/1771578000/arrive', 'pixel', 'AA:BB:CC:00:00:01',
        '2026-02-21 08:00:00', 'arrive', '', 'Living Room', '2026-02-21 08:00:00', NULL),
       ('AA:BB:CC:00:00:01/1771750800/arrive', 'pixel', 'AA:BB:CC:00:00:01',
        '2026-02-22 09:00:00', 'arrive', '', 'Living Room', '2026-02-22 09:00:00',
        '2026-02-22 09:01:00'),
       ('AA:BB:CC:00:00:01/1771754400/room_change', 'pixel', 'AA:BB:CC:00:00:01',
        '2026-02-22 10:00:00', 'room_change', 'Living Room', 'Küche', '2026-02-22 10:00:00', NULL),
       ('AA:BB:CC:00:00:05/1771754400/arrive', 'buds', 'AA:BB:CC:00:00:05',
        '2026-02-22 10:00:00', 'arrive', '', 'Living Room', '2026-02-22 10:00:00', NULL),
       ('AA:BB:CC:00:00:01/1771754700/leave', 'pixel', 'AA:BB:CC:00:00:01',
        '2026-02-22 10:05:00', 'leave', 'Küche', '', '2026-02-22 10:15:00', NULL),
       ('AA:BB:CC:00:00:05/1771754700/leave', 'buds', 'AA:BB:CC:00:00:05',
        '2026-02-22 10:05:00', 'leave', 'Living Room', '', '2026-02-22 10:15:00', NULL),
       ('AA:BB:CC:00:00:01/1771760700/arrive', 'pixel', 'AA:BB:CC:00:00:01',
        '2026-02-22 11:45:00', 'arrive', '', 'Living Room', '2026-02-22 11:45:00', NULL);

UPDATE presence_progress SET through_interval = '2026-02-22 11:45:00' WHERE progress_id = 1;
INSERT INTO presence_state (watch_name, device, home, room, last_seen)
VALUES ('pixel', 'AA:BB:CC:00:00:01', 1, 'Living Room', '2026-02-22 11:45:00'),
       ('buds', 'AA:BB:CC:00:00:05', 0, 'Living Room', '2026-02-22 10:00:00');

INSERT INTO presence_occupancy (interval_start, room, device_class, devices)
VALUES ('2026-02-21 08:00:00', 'Living Room', 'phone', 1),
       ('2026-02-22 09:00:00', 'Living Room', 'phone', 2),
       ('2026-02-22 09:00:00', 'Küche', 'phone', 1),
       ('2026-02-22 09:05:00', 'Living Room', 'phone', 1),
       ('2026-02-22 09:05:00', 'Küche', 'unknown', 1),
       ('2026-02-22 10:00:00', 'Living Room', 'earbuds', 1),
       ('2026-02-22 10:00:00', 'Küche', 'phone', 1),
       ('2026-02-22 11:45:00', 'Living Room', 'phone', 1);
-- Address classes as blemon records them (device 6, added per backend, keeps the original
-- tool's NULL), and two links between the resolvable private addresses 3, 4 and 5: one
-- estimated device behind three addresses.
UPDATE ble_devices SET address_class = CASE device_id WHEN 1 THEN 'public'
                                                      WHEN 2 THEN 'random-static'
                                                      WHEN 3 THEN 'resolvable-private'
                                                      WHEN 4 THEN 'resolvable-private'
                                                      WHEN 5 THEN 'resolvable-private' END
 WHERE device_id <= 5;
INSERT INTO address_links (device_id, previous_device_id, estimated_device_id,
                           previous_last_interval, first_interval, distance_db)
VALUES (4, 3, 3, '2026-02-22 09:00:00', '2026-02-22 09:05:00', 2.5),
       (5, 4, 3, '2026-02-22 09:05:00', '2026-02-22 09:10:00', 3.0);

-- Stable rooms and confidence (schema version 6): the Pixel (1) stays in the Living Room at 10:00
-- although the kitchen won it raw (low: the room held against another winner), and 東京タワー (2)
-- at 10:30 likewise (ambiguous); every confidence occurs. The day before's row and device 6's (the
-- original tool's) keep NULL: their stable room is their raw winner's, their confidence unknown.
UPDATE device_sightings SET room_monitor_id = 1, confidence = 'high'
 WHERE device_id = 1 AND interval_start IN ('2026-02-22 09:00:00', '2026-02-22 09:05:00',
                                            '2026-02-22 11:45:00');
UPDATE device_sightings SET room_monitor_id = 1, confidence = 'low'
 WHERE (device_id = 2 AND interval_start = '2026-02-22 09:00:00')
    OR (device_id = 1 AND interval_start = '2026-02-22 10:00:00');
UPDATE device_sightings SET room_monitor_id = 2, confidence = 'high'
 WHERE device_id = 3 AND interval_start = '2026-02-22 09:00:00';
UPDATE device_sightings SET room_monitor_id = 2, confidence = 'low'
 WHERE device_id = 4 AND interval_start = '2026-02-22 09:05:00';
UPDATE device_sightings SET room_monitor_id = 1, confidence = 'ambiguous'
 WHERE (device_id = 5 AND interval_start = '2026-02-22 10:00:00')
    OR (device_id = 2 AND interval_start = '2026-02-22 10:30:00');
INSERT INTO device_rooms (device_id, monitor_id, interval_start)
VALUES (1, 1, '2026-02-22 11:45:00'), (2, 1, '2026-02-22 10:30:00'), (3, 2, '2026-02-22 09:00:00'),
       (4, 2, '2026-02-22 09:05:00'), (5, 1, '2026-02-22 10:00:00');
