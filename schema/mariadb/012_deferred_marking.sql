-- Version 12: processing cost (issue #14). 001's procedure marked every staging row of the
-- interval processed inside the processing transaction: about 4 of the 5.65 s an interval of
-- 200,000 rows took, growing with readings, not devices. From this version the processing
-- transaction records what it merged (staging_merges, staging_merge_parts) and commits; the rows
-- are marked processed afterwards, in parts of their own short transactions
-- (blemon_mark_merged), idempotently, by whichever processor runs next (a new holder after a
-- failover finishes what the old one left). Results are readable as soon as the aggregate
-- commits; `processed` still becomes TRUE for every merged row and only for merged rows, so the
-- original tool's troubleshooting SQL keeps working (a merged interval's rows read FALSE for the
-- seconds the marking takes). Additive and safe to rerun. docs/database.md, "Processing".

-- One row per interval whose merged rows are not all marked yet (the marker's queue, oldest
-- interval first); the marker deletes it when it has marked the last part.
--   merged_from / merged_through  the lowest and highest staging_id of the unprocessed rows the
--                                 last run read: the rows the marker is to mark
--   marked_through                the marker's cursor: ids up to here are marked
CREATE TABLE IF NOT EXISTS staging_merges (
    interval_start TIMESTAMP NOT NULL DEFAULT '1970-01-01 00:00:01' PRIMARY KEY,
    merged_from BIGINT NOT NULL,
    merged_through BIGINT NOT NULL,
    marked_through BIGINT NOT NULL,
    merged_at TIMESTAMP NOT NULL DEFAULT CURRENT_TIMESTAMP
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_general_ci;

-- The parts of a queued interval, 20,000 ids each: part_through is the part's highest
-- staging_id (it starts after the previous part's), merged_rows how many unprocessed rows the run
-- read in it. Parts without rows have no row here.
CREATE TABLE IF NOT EXISTS staging_merge_parts (
    interval_start TIMESTAMP NOT NULL DEFAULT '1970-01-01 00:00:01',
    part_through BIGINT NOT NULL,
    merged_rows INT NOT NULL,
    PRIMARY KEY (interval_start, part_through)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_general_ci;

-- Intervals processed before this version have no row here: the old procedure marked their rows
-- in its transaction.

DELIMITER //
-- blemon_process_interval as in 006_rooms.sql (which carries 005's changes), with ONE change of
-- version 12: the marking UPDATE at the start is replaced by the watermark of staging_merges and
-- staging_merge_parts. Every line that differs from 006 is marked "-- 012"; the recomputation is
-- 006's, unchanged.
CREATE OR REPLACE PROCEDURE blemon_process_interval(
    IN p_interval_start TIMESTAMP, OUT p_staging_rows INT, OUT p_sightings_changed INT,
    OUT p_devices_added INT)
MODIFIES SQL DATA
BEGIN
    DECLARE v_length INT DEFAULT 300;
    DECLARE v_changed INT DEFAULT 0;
    DECLARE v_lo, v_hi BIGINT;
    DECLARE v_all INT DEFAULT 0;
    DECLARE v_mark_from, v_mark_through BIGINT;  -- 012
    DECLARE v_prev_marked, v_prev_through BIGINT DEFAULT NULL;  -- 012
    SET v_length = COALESCE((SELECT CAST(setting_value AS UNSIGNED) FROM fleet_settings
                             WHERE setting_name = 'interval_seconds'), 300);

    DROP TEMPORARY TABLE IF EXISTS blemon_best;

    -- 012: the marking is deferred (blemon_mark_merged, after the commit). The last run's
    -- watermark first, locked against the marker: its queue is the ids (marked_through,
    -- merged_through]. No row: nothing of the interval waits to be marked. (Aggregates: one row
    -- always, so no NOT FOUND.)
    SELECT MAX(marked_through), MAX(merged_through) INTO v_prev_marked, v_prev_through  -- 012
    FROM staging_merges WHERE interval_start = p_interval_start FOR UPDATE;  -- 012

    -- The interval's rows by primary key. A fresh interval's rows are the newest and nearly
    -- contiguous, and reading them as a primary-key range is several times faster than through
    -- the secondary index once the table holds millions of rows of history. The mark below is
    -- bounded by the same range, so every row it marks is one the recomputation reads.
    -- 012: the same read gives the unprocessed rows' id range, and as p_staging_rows the
    -- unprocessed rows not already merged and waiting in the marker's queue (001 counted the rows
    -- it marked here: the same rows when nothing waits).
    SELECT MIN(staging_id), MAX(staging_id), COUNT(*),
           MIN(IF(processed = FALSE, staging_id, NULL)),  -- 012
           MAX(IF(processed = FALSE, staging_id, NULL)),  -- 012
           COALESCE(SUM(processed = FALSE AND NOT COALESCE(  -- 012
               staging_id > v_prev_marked AND staging_id <= v_prev_through, FALSE)), 0)  -- 012
        INTO v_lo, v_hi, v_all, v_mark_from, v_mark_through, p_staging_rows  -- 012
    FROM sighting_staging WHERE interval_start = p_interval_start;

    -- 012: instead of 001's marking UPDATE (about 4 of 5.65 s for 200,000 rows), the watermark:
    -- every unprocessed row read now is marked after the commit, part by part, each part's row
    -- count taken here, BEFORE the recomputation below reads the interval (READ COMMITTED: it
    -- sees at least these rows, so every row counted is merged). A row committed later into a
    -- part not yet marked makes that part's count differ; the marker then marks nothing of it and
    -- drops the watermark, and the interval is processed again (blemon_mark_merged).
    IF p_staging_rows > 0 THEN  -- 012
        INSERT INTO staging_merges (interval_start, merged_from, merged_through, marked_through)
        VALUES (p_interval_start, v_mark_from, v_mark_through, v_mark_from - 1)
        ON DUPLICATE KEY UPDATE merged_from = v_mark_from, merged_through = v_mark_through,
                                marked_through = v_mark_from - 1, merged_at = NOW();  -- 012
        DELETE FROM staging_merge_parts WHERE interval_start = p_interval_start;  -- 012
        INSERT INTO staging_merge_parts (interval_start, part_through, merged_rows)  -- 012
            SELECT p_interval_start,
                   LEAST(v_mark_from - 1 + ((staging_id - v_mark_from) DIV 20000 + 1) * 20000,
                         v_mark_through),
                   COUNT(*)
            FROM sighting_staging FORCE INDEX (idx_pending)
            WHERE processed = FALSE AND interval_start = p_interval_start
              AND staging_id BETWEEN v_mark_from AND v_mark_through
            GROUP BY (staging_id - v_mark_from) DIV 20000;  -- 012
    END IF;  -- 012

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

-- The deferred marking: one part of the oldest queued interval. Call in its own transaction after
-- the processing commits, again while p_more. Idempotent: the cursor (marked_through) moves in the
-- same transaction as the part it covers, and a crash loses at most an uncommitted part.
-- The part's rows are marked with one UPDATE whose row count must equal the count the processing
-- run took: more means a row committed into the part after the run read the interval, which was
-- not merged. Then the part's marking is undone (savepoint), the interval's watermark dropped,
-- and the interval is pending again: the next run merges it and queues it anew. So a row is never
-- marked processed without having been merged. A row committed into a part already marked stays
-- unprocessed below marked_through, which makes the interval pending as well (the processor's
-- pending query).
--   p_marked  rows marked by this call
--   p_more    whether the queue holds more
CREATE OR REPLACE PROCEDURE blemon_mark_merged(OUT p_marked INT, OUT p_more BOOLEAN)
MODIFIES SQL DATA
BEGIN
    DECLARE v_interval TIMESTAMP DEFAULT NULL;
    DECLARE v_cursor, v_through, v_upto BIGINT;
    DECLARE v_expected INT DEFAULT 0;
    DECLARE v_own_transaction BOOLEAN DEFAULT FALSE;
    DECLARE EXIT HANDLER FOR SQLEXCEPTION
    BEGIN
        IF v_own_transaction THEN
            ROLLBACK;
        END IF;
        RESIGNAL;
    END;
    -- Called by hand (autocommit), it is still one transaction: the savepoint needs one.
    IF @@in_transaction = 0 THEN
        SET v_own_transaction = TRUE;
        START TRANSACTION;
    END IF;
    SET p_marked = 0;
    SELECT MIN(interval_start) INTO v_interval FROM staging_merges;
    IF v_interval IS NOT NULL THEN
        SELECT marked_through, merged_through INTO v_cursor, v_through
        FROM staging_merges WHERE interval_start = v_interval FOR UPDATE;
        -- The next part with rows; none left (or a row that vanished meanwhile) means done.
        SELECT MIN(part_through) INTO v_upto FROM staging_merge_parts
        WHERE interval_start = v_interval AND part_through > v_cursor;
        SET v_expected = COALESCE((SELECT merged_rows FROM staging_merge_parts
                                   WHERE interval_start = v_interval
                                     AND part_through = v_upto), 0);
        IF v_upto IS NULL OR v_cursor IS NULL THEN
            DELETE FROM staging_merges WHERE interval_start = v_interval;
            DELETE FROM staging_merge_parts WHERE interval_start = v_interval;
        ELSE
            -- The part's own 20,000 ids as a primary-key range (ids between the cursor and the
            -- part belong to parts without rows: any row there was not merged and stays
            -- unprocessed below the cursor, which makes the interval pending).
            SAVEPOINT blemon_mark_part;
            UPDATE sighting_staging FORCE INDEX (PRIMARY) SET processed = TRUE
            WHERE staging_id > GREATEST(v_cursor, v_upto - 20000) AND staging_id <= v_upto
              AND interval_start = v_interval AND processed = FALSE;
            SET p_marked = ROW_COUNT();
            IF p_marked <> v_expected THEN
                ROLLBACK TO SAVEPOINT blemon_mark_part;
                SET p_marked = 0;
                DELETE FROM staging_merges WHERE interval_start = v_interval;
                DELETE FROM staging_merge_parts WHERE interval_start = v_interval;
            ELSEIF v_upto >= v_through THEN
                DELETE FROM staging_merges WHERE interval_start = v_interval;
                DELETE FROM staging_merge_parts WHERE interval_start = v_interval;
            ELSE
                UPDATE staging_merges SET marked_through = v_upto
                WHERE interval_start = v_interval;
                DELETE FROM staging_merge_parts
                WHERE interval_start = v_interval AND part_through <= v_upto;
            END IF;
            RELEASE SAVEPOINT blemon_mark_part;
        END IF;
    END IF;
    SET p_more = EXISTS (SELECT 1 FROM staging_merges);
    IF v_own_transaction THEN
        COMMIT;
    END IF;
END //

-- The seed's entry point (001), now also marking at once in the caller's transaction, as before
-- version 12: the original tool's processor finds pending intervals by `processed = FALSE` alone.
CREATE OR REPLACE PROCEDURE process_interval_best_rssi(IN p_interval_start TIMESTAMP)
MODIFIES SQL DATA
BEGIN
    DECLARE v_rows, v_changed, v_added, v_marked INT DEFAULT 0;
    DECLARE v_more BOOLEAN DEFAULT TRUE;
    DECLARE v_own_transaction BOOLEAN DEFAULT FALSE;
    DECLARE EXIT HANDLER FOR SQLEXCEPTION
    BEGIN
        IF v_own_transaction THEN
            ROLLBACK;
        END IF;
        RESIGNAL;
    END;
    IF @@in_transaction = 0 THEN
        SET v_own_transaction = TRUE;
        START TRANSACTION;
    END IF;
    CALL blemon_process_interval(p_interval_start, v_rows, v_changed, v_added);
    WHILE v_more DO
        CALL blemon_mark_merged(v_marked, v_more);
    END WHILE;
    IF v_own_transaction THEN
        COMMIT;
    END IF;
END //
DELIMITER ;

-- Recorded by the file itself, as 001_blemon.sql does, so a run by hand with the mariadb client
-- gives the same database as `blemon-admin migrate`.
INSERT IGNORE INTO schema_version (version, name) VALUES (12, '012_deferred_marking');
