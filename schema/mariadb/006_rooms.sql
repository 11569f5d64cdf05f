-- Version 6: rooms that are right (docs/rooms.md). Additive and safe to rerun.
--   monitors.rssi_offset_db         added to the monitor's raw RSSI before the winner is chosen
--                                   (one decimal; 0 keeps the original highest-RSSI rule)
--   monitors.position_x, position_y where the monitor stands, metres (optional; calibration)
--   device_sightings.calibrated_rssi       the winner's rssi + offset (rssi keeps the raw value)
--   device_sightings.calibrated_margin_db  its lead over the best other monitor, calibrated
--   device_sightings.room_monitor_id       the stable room (hysteresis): the monitor whose room
--                                          the device is in; monitor_id stays the raw winner
--   device_sightings.confidence            'high', 'low' or 'ambiguous'
--   device_rooms                    per device, the stable room and its challenger so far
ALTER TABLE monitors
    ADD COLUMN IF NOT EXISTS rssi_offset_db DECIMAL(4,1) NOT NULL DEFAULT 0.0,
    ADD COLUMN IF NOT EXISTS position_x DOUBLE NULL,
    ADD COLUMN IF NOT EXISTS position_y DOUBLE NULL;
ALTER TABLE device_sightings
    ADD COLUMN IF NOT EXISTS calibrated_rssi DECIMAL(5,1) NULL,
    ADD COLUMN IF NOT EXISTS calibrated_margin_db DECIMAL(5,1) NULL,
    ADD COLUMN IF NOT EXISTS room_monitor_id INT NULL,
    ADD COLUMN IF NOT EXISTS confidence ENUM('high', 'low', 'ambiguous') NULL;

CREATE TABLE IF NOT EXISTS device_rooms (
    device_id INT NOT NULL PRIMARY KEY,
    monitor_id INT NOT NULL,
    interval_start TIMESTAMP NOT NULL DEFAULT '1970-01-01 00:00:01',
    challenger_monitor_id INT NULL,
    challenger_intervals INT NOT NULL DEFAULT 0
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_general_ci;

DELIMITER //
-- blemon_process_interval as in 005_identities.sql (its changes marked "-- 005": resolved
-- addresses grouped under their identity's device), with ONE change of version 6, rooms: the
-- winner is chosen by calibrated RSSI, rssi * 10 + ROUND(monitors.rssi_offset_db * 10) in tenths of a dB,
-- instead of rssi. Every line that differs from 005 is marked "-- 006". With every offset 0 the
-- winner, rssi, margin_db and monitors_heard are exactly 001's. The packed key gives the
-- calibrated value 13 bits (offset by 4096) and the scan's offset into the interval 19 bits.
-- The stable room and confidence are decided by blemon after this procedure, in the same
-- transaction (blemon/rooms.h).
CREATE OR REPLACE PROCEDURE blemon_process_interval(
    IN p_interval_start TIMESTAMP, OUT p_staging_rows INT, OUT p_sightings_changed INT,
    OUT p_devices_added INT)
MODIFIES SQL DATA
BEGIN
    DECLARE v_length INT DEFAULT 300;
    DECLARE v_changed INT DEFAULT 0;
    DECLARE v_lo, v_hi BIGINT;
    DECLARE v_all INT DEFAULT 0;
    SET v_length = COALESCE((SELECT CAST(setting_value AS UNSIGNED) FROM fleet_settings
                             WHERE setting_name = 'interval_seconds'), 300);

    DROP TEMPORARY TABLE IF EXISTS blemon_best;

    -- The interval's rows by primary key. A fresh interval's rows are the newest and nearly
    -- contiguous, and reading them as a primary-key range is several times faster than through
    -- the secondary index once the table holds millions of rows of history. The mark below is
    -- bounded by the same range, so every row it marks is one the recomputation reads.
    SELECT MIN(staging_id), MAX(staging_id), COUNT(*) INTO v_lo, v_hi, v_all
    FROM sighting_staging WHERE interval_start = p_interval_start;

    UPDATE sighting_staging SET processed = TRUE
    WHERE staging_id BETWEEN v_lo AND v_hi
      AND interval_start = p_interval_start AND processed = FALSE;
    SET p_staging_rows = ROW_COUNT();

    IF p_staging_rows = 0 THEN
        SET p_sightings_changed = 0;
        SET p_devices_added = 0;
    ELSE
    IF v_hi - v_lo < 2 * v_all THEN
        CREATE TEMPORARY TABLE blemon_best (PRIMARY KEY (mac_address)) AS
            SELECT k.mac_address,
                   CAST((CAST(k.best >> 50 AS SIGNED) - 4096 - COALESCE(ROUND(m.rssi_offset_db * 10), 0))
                        DIV 10 AS SIGNED) AS rssi,  -- 006: raw = calibrated - offset
                   p_interval_start + INTERVAL (524287 - ((k.best >> 31) & 524287)) SECOND
                       AS scan_timestamp,  -- 006: 19 bits
                   CAST(2147483647 - (k.best & 2147483647) AS SIGNED) AS monitor_id,
                   CAST(NULL AS INT) AS margin_db,
                   CAST(k.best >> 50 AS SIGNED) - 4096 AS calibrated_tenths,  -- 006
                   CAST(NULL AS INT) AS calibrated_margin_tenths,  -- 006
                   k.monitors_heard, k.first_seen, k.last_seen, k.address_class, k.resolved,
                   SUBSTRING(k.latest_name, 15) AS name,
                   STR_TO_DATE(LEFT(k.latest_name, 14), '%Y%m%d%H%i%s') AS name_seen_at
            FROM (
                -- 005: a resolved address counts as its identity's device.
                SELECT COALESCE(s.resolved_mac, s.mac_address) AS mac_address,
                       MAX((CAST(LEAST(GREATEST(s.rssi, -128), 127) * 10
                                 + COALESCE(ROUND(o.rssi_offset_db * 10), 0) + 4096 AS UNSIGNED) << 50)  -- 006
                           | ((524287 - LEAST(GREATEST(COALESCE(
                                 TIMESTAMPDIFF(SECOND, p_interval_start, s.scan_timestamp), 0), 0),
                                 524287)) << 31)  -- 006
                           | (2147483647 - s.monitor_id)) AS best,
                       COUNT(DISTINCT s.monitor_id) AS monitors_heard,
                       MIN(s.scan_timestamp) AS first_seen,
                       MAX(s.scan_timestamp) AS last_seen,
                       MAX(s.address_class) AS address_class,
                       -- 005: whether the group holds resolved rows (for the margin below).
                       MAX(s.resolved_mac IS NOT NULL) AS resolved,
                       -- The latest non-empty name: scan time first, so MAX picks the newest.
                       MAX(IF(s.device_name <> '',
                              CONCAT(DATE_FORMAT(s.scan_timestamp, '%Y%m%d%H%i%s'), s.device_name),
                              NULL)) AS latest_name
                FROM sighting_staging s FORCE INDEX (PRIMARY)
                LEFT JOIN monitors o ON o.monitor_id = s.monitor_id  -- 006
                WHERE s.staging_id BETWEEN v_lo AND v_hi AND s.interval_start = p_interval_start
                GROUP BY COALESCE(s.resolved_mac, s.mac_address)  -- 005
            ) k
            LEFT JOIN monitors m ON m.monitor_id = 2147483647 - (k.best & 2147483647);  -- 006
    ELSE
        CREATE TEMPORARY TABLE blemon_best (PRIMARY KEY (mac_address)) AS
            SELECT k.mac_address,
                   CAST((CAST(k.best >> 50 AS SIGNED) - 4096 - COALESCE(ROUND(m.rssi_offset_db * 10), 0))
                        DIV 10 AS SIGNED) AS rssi,  -- 006: raw = calibrated - offset
                   p_interval_start + INTERVAL (524287 - ((k.best >> 31) & 524287)) SECOND
                       AS scan_timestamp,  -- 006: 19 bits
                   CAST(2147483647 - (k.best & 2147483647) AS SIGNED) AS monitor_id,
                   CAST(NULL AS INT) AS margin_db,
                   CAST(k.best >> 50 AS SIGNED) - 4096 AS calibrated_tenths,  -- 006
                   CAST(NULL AS INT) AS calibrated_margin_tenths,  -- 006
                   k.monitors_heard, k.first_seen, k.last_seen, k.address_class, k.resolved,
                   SUBSTRING(k.latest_name, 15) AS name,
                   STR_TO_DATE(LEFT(k.latest_name, 14), '%Y%m%d%H%i%s') AS name_seen_at
            FROM (
                -- 005: a resolved address counts as its identity's device.
                SELECT COALESCE(s.resolved_mac, s.mac_address) AS mac_address,
                       MAX((CAST(LEAST(GREATEST(s.rssi, -128), 127) * 10
                                 + COALESCE(ROUND(o.rssi_offset_db * 10), 0) + 4096 AS UNSIGNED) << 50)  -- 006
                           | ((524287 - LEAST(GREATEST(COALESCE(
                                 TIMESTAMPDIFF(SECOND, p_interval_start, s.scan_timestamp), 0), 0),
                                 524287)) << 31)  -- 006
                           | (2147483647 - s.monitor_id)) AS best,
                       COUNT(DISTINCT s.monitor_id) AS monitors_heard,
                       MIN(s.scan_timestamp) AS first_seen,
                       MAX(s.scan_timestamp) AS last_seen,
                       MAX(s.address_class) AS address_class,
                       -- 005: whether the group holds resolved rows (for the margin below).
                       MAX(s.resolved_mac IS NOT NULL) AS resolved,
                       -- The latest non-empty name: scan time first, so MAX picks the newest.
                       MAX(IF(s.device_name <> '',
                              CONCAT(DATE_FORMAT(s.scan_timestamp, '%Y%m%d%H%i%s'), s.device_name),
                              NULL)) AS latest_name
                FROM sighting_staging s
                LEFT JOIN monitors o ON o.monitor_id = s.monitor_id  -- 006
                WHERE s.interval_start = p_interval_start
                GROUP BY COALESCE(s.resolved_mac, s.mac_address)  -- 005
            ) k
            LEFT JOIN monitors m ON m.monitor_id = 2147483647 - (k.best & 2147483647);  -- 006
    END IF;

    UPDATE blemon_best b
    SET b.margin_db = b.rssi - (SELECT MAX(s.rssi) FROM sighting_staging s
                                WHERE s.mac_address = b.mac_address
                                  AND s.interval_start = p_interval_start
                                  AND s.monitor_id <> b.monitor_id),
        -- 006: the calibrated margin, in tenths
        b.calibrated_margin_tenths = b.calibrated_tenths - (
            SELECT MAX(s.rssi * 10 + COALESCE(ROUND(o.rssi_offset_db * 10), 0))
            FROM sighting_staging s LEFT JOIN monitors o ON o.monitor_id = s.monitor_id
            WHERE s.mac_address = b.mac_address AND s.interval_start = p_interval_start
              AND s.monitor_id <> b.monitor_id)
    WHERE NOT b.resolved;  -- 005: the groups without resolved rows, as before
    -- 005: an identity's device: the best other monitor over its rows, unresolved ones by
    -- mac_address and resolved ones by resolved_mac, each through its own index (one COALESCE
    -- comparison could use neither). -1000 and -10000 (tenths) stand for "none" (RSSI is at least
    -- -128). Only these few devices pay for the second lookup.
    UPDATE blemon_best b
    SET b.margin_db = b.rssi - NULLIF(GREATEST(
            COALESCE((SELECT MAX(s.rssi) FROM sighting_staging s
                      WHERE s.mac_address = b.mac_address AND s.resolved_mac IS NULL
                        AND s.interval_start = p_interval_start
                        AND s.monitor_id <> b.monitor_id), -1000),
            COALESCE((SELECT MAX(s.rssi) FROM sighting_staging s
                      WHERE s.resolved_mac = b.mac_address
                        AND s.interval_start = p_interval_start
                        AND s.monitor_id <> b.monitor_id), -1000)), -1000),
        -- 006: the calibrated margin over the same rows, in tenths
        b.calibrated_margin_tenths = b.calibrated_tenths - NULLIF(GREATEST(
            COALESCE((SELECT MAX(s.rssi * 10 + COALESCE(ROUND(o.rssi_offset_db * 10), 0))
                      FROM sighting_staging s LEFT JOIN monitors o ON o.monitor_id = s.monitor_id
                      WHERE s.mac_address = b.mac_address AND s.resolved_mac IS NULL
                        AND s.interval_start = p_interval_start
                        AND s.monitor_id <> b.monitor_id), -10000),
            COALESCE((SELECT MAX(s.rssi * 10 + COALESCE(ROUND(o.rssi_offset_db * 10), 0))
                      FROM sighting_staging s LEFT JOIN monitors o ON o.monitor_id = s.monitor_id
                      WHERE s.resolved_mac = b.mac_address
                        AND s.interval_start = p_interval_start
                        AND s.monitor_id <> b.monitor_id), -10000)), -10000)
    WHERE b.resolved;

    INSERT IGNORE INTO ble_devices (mac_address, device_name, name_seen_at, address_class,
                                    first_seen, last_seen)
        SELECT mac_address, name, name_seen_at, address_class, first_seen, last_seen
        FROM blemon_best;
    SET p_devices_added = ROW_COUNT();

    -- Each assignment gives the same result whichever order the server applies them in.
    UPDATE ble_devices b JOIN blemon_best t ON t.mac_address = b.mac_address
    SET b.name_seen_at = IF(t.name IS NULL, b.name_seen_at,
                            GREATEST(COALESCE(b.name_seen_at, t.name_seen_at), t.name_seen_at)),
        b.device_name = IF(t.name IS NOT NULL
                               AND (b.name_seen_at IS NULL OR t.name_seen_at >= b.name_seen_at),
                           t.name, b.device_name),
        b.address_class = COALESCE(t.address_class, b.address_class),
        b.first_seen = LEAST(COALESCE(b.first_seen, t.first_seen), t.first_seen),
        b.last_seen = GREATEST(COALESCE(b.last_seen, t.last_seen), t.last_seen);

    -- The recomputed winner is at least as good as the kept one: take it with its exact margin
    -- and monitor count. (WHERE is evaluated before SET, so the comparison sees the old row.)
    UPDATE device_sightings ds
    JOIN ble_devices b ON b.device_id = ds.device_id
    JOIN blemon_best t ON t.mac_address = b.mac_address
    SET ds.monitor_id = t.monitor_id,
        ds.rssi = t.rssi,
        ds.sighting_timestamp = t.scan_timestamp,
        ds.interval_end = p_interval_start + INTERVAL v_length SECOND,
        ds.margin_db = t.margin_db,
        ds.monitors_heard = t.monitors_heard,
        ds.calibrated_rssi = t.calibrated_tenths / 10,  -- 006
        ds.calibrated_margin_db = t.calibrated_margin_tenths / 10  -- 006
    WHERE ds.interval_start = p_interval_start
      -- 006: compared by calibrated RSSI (a row from before version 6 counts as offset 0)
      AND NOT COALESCE(COALESCE(ROUND(ds.calibrated_rssi * 10), ds.rssi * 10) > t.calibrated_tenths
                       OR (COALESCE(ROUND(ds.calibrated_rssi * 10), ds.rssi * 10) = t.calibrated_tenths
                           AND ds.sighting_timestamp < t.scan_timestamp)
                       OR (COALESCE(ROUND(ds.calibrated_rssi * 10), ds.rssi * 10) = t.calibrated_tenths
                           AND ds.sighting_timestamp = t.scan_timestamp
                           AND ds.monitor_id < t.monitor_id), FALSE);
    SET v_changed = ROW_COUNT();

    -- The kept row beats everything still in staging (its rows were cleaned up, or the original
    -- tool wrote it): keep it, only the monitor count can grow.
    UPDATE device_sightings ds
    JOIN ble_devices b ON b.device_id = ds.device_id
    JOIN blemon_best t ON t.mac_address = b.mac_address
    SET ds.monitors_heard = GREATEST(ds.monitors_heard, t.monitors_heard)
    WHERE ds.interval_start = p_interval_start
      AND COALESCE(COALESCE(ROUND(ds.calibrated_rssi * 10), ds.rssi * 10) > t.calibrated_tenths  -- 006
                   OR (COALESCE(ROUND(ds.calibrated_rssi * 10), ds.rssi * 10) = t.calibrated_tenths
                       AND ds.sighting_timestamp < t.scan_timestamp)
                   OR (COALESCE(ROUND(ds.calibrated_rssi * 10), ds.rssi * 10) = t.calibrated_tenths
                       AND ds.sighting_timestamp = t.scan_timestamp
                       AND ds.monitor_id < t.monitor_id), FALSE);
    SET v_changed = v_changed + ROW_COUNT();

    INSERT INTO device_sightings (device_id, monitor_id, rssi, interval_start, interval_end,
                                  sighting_timestamp, margin_db, monitors_heard,
                                  calibrated_rssi, calibrated_margin_db)  -- 006
        SELECT b.device_id, t.monitor_id, t.rssi, p_interval_start,
               p_interval_start + INTERVAL v_length SECOND, t.scan_timestamp, t.margin_db,
               t.monitors_heard, t.calibrated_tenths / 10, t.calibrated_margin_tenths / 10
        FROM blemon_best t
        JOIN ble_devices b ON b.mac_address = t.mac_address
        WHERE NOT EXISTS (SELECT 1 FROM device_sightings ds
                          WHERE ds.device_id = b.device_id
                            AND ds.interval_start = p_interval_start);
    SET v_changed = v_changed + ROW_COUNT();

    SET p_sightings_changed = v_changed;
    DROP TEMPORARY TABLE IF EXISTS blemon_best;
    END IF;
END //
DELIMITER ;

-- Recorded by the file itself, as 001_blemon.sql does, so a run by hand with the mariadb client
-- gives the same database as `blemon-admin migrate`.
INSERT IGNORE INTO schema_version (version, name) VALUES (6, '006_rooms');
