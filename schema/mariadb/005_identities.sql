-- Version 5: identities of known devices. An owner enrols a phone's Identity Resolving Key
-- (blemon-admin identity add); the processor resolves every resolvable private address of an
-- interval against all keys (in C++, inside the processing transaction, before it calls
-- blemon_process_interval) and attributes the readings to the identity's one device row, so a
-- known phone keeps one ble_devices row and one room track across address rotations
-- (docs/identity.md). Additive and safe to rerun.
--   identity_id       the identity
--   name              the owner's name for it, unique; compared exactly (utf8mb4_bin), as
--                     SQLite compares it, so 'Phone' and 'phone' are two identities
--   irk               the 16 key bytes, most significant first (the Core specification's order)
--   byte_order_known  FALSE until an address resolved (or the owner gave the order): the
--                     processor then tries both orders and, on the first match, pins the one
--                     that works
--   device_id         the ble_devices row its sightings go to; NULL until its first address
--                     resolved (that address becomes the row's mac_address)
--   created_at        when it was enrolled
CREATE TABLE IF NOT EXISTS identities (
    identity_id INT NOT NULL AUTO_INCREMENT PRIMARY KEY,
    name VARCHAR(100) COLLATE utf8mb4_bin NOT NULL,
    irk BINARY(16) NOT NULL,
    byte_order_known BOOLEAN NOT NULL DEFAULT FALSE,
    device_id INT NULL DEFAULT NULL,
    created_at TIMESTAMP NOT NULL DEFAULT CURRENT_TIMESTAMP,
    UNIQUE KEY uq_identity_name (name),
    CONSTRAINT fk_identity_device FOREIGN KEY (device_id) REFERENCES ble_devices (device_id)
        ON DELETE SET NULL
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_general_ci;

-- The raw address stays in mac_address; resolved_mac, when set, is the identity's device row's
-- MAC, and blemon_process_interval groups the interval's rows by COALESCE(resolved_mac,
-- mac_address). Set by the processor for every row of the interval with that address.
-- idx_interval_resolved serves both of the processor's new reads: an interval's resolvable
-- private addresses not yet attributed (interval_start, resolved_mac IS NULL, address_class,
-- read from the index alone: a tenth of the server time of reading the interval's rows), and an
-- identity device's rows of an interval (interval_start, resolved_mac), for the margin.
ALTER TABLE sighting_staging
    ADD COLUMN IF NOT EXISTS resolved_mac VARCHAR(17) NULL DEFAULT NULL,
    ADD INDEX IF NOT EXISTS idx_interval_resolved
        (interval_start, resolved_mac, address_class, mac_address);

DELIMITER //
-- 005 replaces 001's procedure with its changes marked "005:" (the rest is 001's text): the
-- interval's rows are grouped by COALESCE(resolved_mac, mac_address), each group knows whether
-- it holds resolved rows, and for those groups the margin looks at the resolved rows too. Rows
-- without resolved_mac (every row the original tool's processor sees: it resolves nothing) are
-- processed exactly as before, by the same statements.
--
-- Best-RSSI processing of one interval with the DESIGN.md rules. Runs inside the caller's
-- transaction (blemon's ProcessInterval checks the lease epoch in the same transaction).
--  * First the interval's unprocessed rows are marked processed (one UPDATE, which also counts
--    them), then the interval is recomputed from all its rows, processed or not. So every row
--    marked is merged; a row staged meanwhile is merged too if already visible, and stays
--    unprocessed for the next call either way (merging twice changes nothing).
--  * The recomputation gives the winner (highest
--    RSSI, then the earlier scan, then the lower monitor_id), its margin over the best other
--    monitor and the number of monitors that heard the device. That is exactly BestRssiMerge,
--    however the rows were batched, ordered, resent or delayed.
--  * Every MAC is added to ble_devices (never dropped); the latest non-empty name is kept.
--  * The result is merged better-only into device_sightings: a worse reading never replaces a
--    better one.
-- Plain GROUP BY passes, not window functions: MariaDB 10.11 needs seconds for a window aggregate
-- over 200,000 rows, a GROUP BY a fraction of one. The winner comes from MAX() of a packed key:
-- RSSI (8 bits, high), then 2^24-1 minus the scan's offset into the interval (earlier is larger),
-- then 2^31-1 minus the monitor_id (lower is larger).
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
                   CAST(k.best >> 55 AS SIGNED) - 128 AS rssi,
                   p_interval_start + INTERVAL (16777215 - ((k.best >> 31) & 16777215)) SECOND
                       AS scan_timestamp,
                   CAST(2147483647 - (k.best & 2147483647) AS SIGNED) AS monitor_id,
                   CAST(NULL AS INT) AS margin_db,
                   k.monitors_heard, k.first_seen, k.last_seen, k.address_class, k.resolved,
                   SUBSTRING(k.latest_name, 15) AS name,
                   STR_TO_DATE(LEFT(k.latest_name, 14), '%Y%m%d%H%i%s') AS name_seen_at
            FROM (
                -- 005: a resolved address counts as its identity's device.
                SELECT COALESCE(s.resolved_mac, s.mac_address) AS mac_address,
                       MAX((CAST(LEAST(GREATEST(s.rssi, -128), 127) + 128 AS UNSIGNED) << 55)
                           | ((16777215 - LEAST(GREATEST(COALESCE(
                                 TIMESTAMPDIFF(SECOND, p_interval_start, s.scan_timestamp), 0), 0),
                                 16777215)) << 31)
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
                WHERE s.staging_id BETWEEN v_lo AND v_hi AND s.interval_start = p_interval_start
                GROUP BY COALESCE(s.resolved_mac, s.mac_address)
            ) k;
    ELSE
        CREATE TEMPORARY TABLE blemon_best (PRIMARY KEY (mac_address)) AS
            SELECT k.mac_address,
                   CAST(k.best >> 55 AS SIGNED) - 128 AS rssi,
                   p_interval_start + INTERVAL (16777215 - ((k.best >> 31) & 16777215)) SECOND
                       AS scan_timestamp,
                   CAST(2147483647 - (k.best & 2147483647) AS SIGNED) AS monitor_id,
                   CAST(NULL AS INT) AS margin_db,
                   k.monitors_heard, k.first_seen, k.last_seen, k.address_class, k.resolved,
                   SUBSTRING(k.latest_name, 15) AS name,
                   STR_TO_DATE(LEFT(k.latest_name, 14), '%Y%m%d%H%i%s') AS name_seen_at
            FROM (
                -- 005: a resolved address counts as its identity's device.
                SELECT COALESCE(s.resolved_mac, s.mac_address) AS mac_address,
                       MAX((CAST(LEAST(GREATEST(s.rssi, -128), 127) + 128 AS UNSIGNED) << 55)
                           | ((16777215 - LEAST(GREATEST(COALESCE(
                                 TIMESTAMPDIFF(SECOND, p_interval_start, s.scan_timestamp), 0), 0),
                                 16777215)) << 31)
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
                WHERE s.interval_start = p_interval_start
                GROUP BY COALESCE(s.resolved_mac, s.mac_address)
            ) k;
    END IF;

    UPDATE blemon_best b
    SET b.margin_db = b.rssi - (SELECT MAX(s.rssi) FROM sighting_staging s
                                WHERE s.mac_address = b.mac_address
                                  AND s.interval_start = p_interval_start
                                  AND s.monitor_id <> b.monitor_id)
    WHERE NOT b.resolved;  -- 005: the groups without resolved rows, as before
    -- 005: an identity's device: the best other monitor over its rows, unresolved ones by
    -- mac_address and resolved ones by resolved_mac, each through its own index (one COALESCE
    -- comparison could use neither). -1000 stands for "none" (RSSI is at least -128). Only these
    -- few devices pay for the second lookup.
    UPDATE blemon_best b
    SET b.margin_db = b.rssi - NULLIF(GREATEST(
            COALESCE((SELECT MAX(s.rssi) FROM sighting_staging s
                      WHERE s.mac_address = b.mac_address AND s.resolved_mac IS NULL
                        AND s.interval_start = p_interval_start
                        AND s.monitor_id <> b.monitor_id), -1000),
            COALESCE((SELECT MAX(s.rssi) FROM sighting_staging s
                      WHERE s.resolved_mac = b.mac_address
                        AND s.interval_start = p_interval_start
                        AND s.monitor_id <> b.monitor_id), -1000)), -1000)
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
        ds.monitors_heard = t.monitors_heard
    WHERE ds.interval_start = p_interval_start
      AND NOT COALESCE(ds.rssi > t.rssi
                       OR (ds.rssi = t.rssi AND ds.sighting_timestamp < t.scan_timestamp)
                       OR (ds.rssi = t.rssi AND ds.sighting_timestamp = t.scan_timestamp
                           AND ds.monitor_id < t.monitor_id), FALSE);
    SET v_changed = ROW_COUNT();

    -- The kept row beats everything still in staging (its rows were cleaned up, or the original
    -- tool wrote it): keep it, only the monitor count can grow.
    UPDATE device_sightings ds
    JOIN ble_devices b ON b.device_id = ds.device_id
    JOIN blemon_best t ON t.mac_address = b.mac_address
    SET ds.monitors_heard = GREATEST(ds.monitors_heard, t.monitors_heard)
    WHERE ds.interval_start = p_interval_start
      AND COALESCE(ds.rssi > t.rssi
                   OR (ds.rssi = t.rssi AND ds.sighting_timestamp < t.scan_timestamp)
                   OR (ds.rssi = t.rssi AND ds.sighting_timestamp = t.scan_timestamp
                       AND ds.monitor_id < t.monitor_id), FALSE);
    SET v_changed = v_changed + ROW_COUNT();

    INSERT INTO device_sightings (device_id, monitor_id, rssi, interval_start, interval_end,
                                  sighting_timestamp, margin_db, monitors_heard)
        SELECT b.device_id, t.monitor_id, t.rssi, p_interval_start,
               p_interval_start + INTERVAL v_length SECOND, t.scan_timestamp, t.margin_db,
               t.monitors_heard
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
INSERT IGNORE INTO schema_version (version, name) VALUES (5, '005_identities');
