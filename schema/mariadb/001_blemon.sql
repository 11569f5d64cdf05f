-- Version 1: blemon's additions to the original schema. Additive only, so the original tool's
-- statements keep working during a mixed-fleet migration: every new column has a default, no
-- column is renamed or dropped, and the seed's procedures keep their names and parameters.
-- Every statement is safe to rerun (IF NOT EXISTS / OR REPLACE), because DDL is not transactional
-- in MariaDB and a migration interrupted halfway is simply run again.
-- Runs with the mariadb client and with blemon's embedded runner (DELIMITER lines as the client
-- understands them). The file records its version in schema_version at its end, as the runner
-- does after it.

-- utf8mb4 throughout: a seed database created with a 3-byte utf8 default is converted, so 4-byte
-- characters (emoji in device names) are stored instead of refused.
DELIMITER //
CREATE OR REPLACE PROCEDURE blemon_convert_to_utf8mb4()
MODIFIES SQL DATA
BEGIN
    DECLARE v_done BOOLEAN DEFAULT FALSE;
    DECLARE v_table VARCHAR(64);
    DECLARE c CURSOR FOR
        SELECT table_name FROM information_schema.tables
        WHERE table_schema = DATABASE() AND table_type = 'BASE TABLE'
          AND table_name IN ('monitors', 'ble_devices', 'device_sightings', 'sighting_staging')
          AND table_collation NOT LIKE 'utf8mb4%';
    DECLARE CONTINUE HANDLER FOR NOT FOUND SET v_done = TRUE;
    OPEN c;
    convert_loop: LOOP
        FETCH c INTO v_table;
        IF v_done THEN
            LEAVE convert_loop;
        END IF;
        EXECUTE IMMEDIATE CONCAT('ALTER TABLE `', v_table,
                                 '` CONVERT TO CHARACTER SET utf8mb4 COLLATE utf8mb4_general_ci');
    END LOOP;
    CLOSE c;
END //
DELIMITER ;
CALL blemon_convert_to_utf8mb4();
DROP PROCEDURE IF EXISTS blemon_convert_to_utf8mb4;

-- The address class tells how long a MAC identifies a device (public and random static: stable;
-- resolvable private: rotates). name_seen_at is the scan time of the kept name, so a late batch
-- from an old interval never replaces a newer name.
ALTER TABLE ble_devices
    ADD COLUMN IF NOT EXISTS address_class VARCHAR(24) NULL DEFAULT NULL,
    ADD COLUMN IF NOT EXISTS name_seen_at TIMESTAMP NULL DEFAULT NULL;

-- What the scanner knew beyond the seed's columns. NULL for rows the original tool writes.
-- idx_pending answers "which intervals have unprocessed rows" by reading only those rows' index
-- entries: with the seed's (interval_start, processed) index MariaDB reads every entry up to
-- the due time (0.4 s per 3 million rows of history; it does not skip-scan here).
ALTER TABLE sighting_staging
    ADD COLUMN IF NOT EXISTS batch_seq BIGINT NULL DEFAULT NULL,
    ADD COLUMN IF NOT EXISTS advert_count INT NULL DEFAULT NULL,
    ADD COLUMN IF NOT EXISTS address_class VARCHAR(24) NULL DEFAULT NULL,
    ADD COLUMN IF NOT EXISTS tx_power INT NULL DEFAULT NULL,
    ADD INDEX IF NOT EXISTS idx_pending (processed, interval_start);

-- The winner's lead over the best other monitor (NULL: nobody else heard it) and how many
-- monitors heard the device in the interval: how sure the "nearest room" answer is.
ALTER TABLE device_sightings
    ADD COLUMN IF NOT EXISTS margin_db INT NULL DEFAULT NULL,
    ADD COLUMN IF NOT EXISTS monitors_heard INT NOT NULL DEFAULT 1;

-- One row per stored batch: (monitor_id, batch_seq) makes a resend from a monitor's spool a no-op.
CREATE TABLE IF NOT EXISTS staging_batches (
    monitor_id INT NOT NULL,
    batch_seq BIGINT NOT NULL,
    interval_start TIMESTAMP NOT NULL DEFAULT '1970-01-01 00:00:01',
    scan_time TIMESTAMP NOT NULL DEFAULT '1970-01-01 00:00:01',
    row_count INT NOT NULL DEFAULT 0,
    staged_at TIMESTAMP NOT NULL DEFAULT CURRENT_TIMESTAMP,
    PRIMARY KEY (monitor_id, batch_seq),
    INDEX idx_staged_at (staged_at),
    CONSTRAINT fk_batches_monitor FOREIGN KEY (monitor_id) REFERENCES monitors (monitor_id)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_general_ci;

-- Settings the whole fleet must agree on, e.g. interval_seconds (first writer wins).
CREATE TABLE IF NOT EXISTS fleet_settings (
    setting_name VARCHAR(64) NOT NULL PRIMARY KEY,
    setting_value VARCHAR(255) NOT NULL,
    updated_at TIMESTAMP NOT NULL DEFAULT CURRENT_TIMESTAMP
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_general_ci;

-- The processor lease: one row, taken and renewed by one conditional UPDATE on the database's
-- clock. epoch is the fencing token every processing transaction re-checks. monitors.is_processor
-- and processor_claimed_at mirror it for the original README's troubleshooting SQL.
CREATE TABLE IF NOT EXISTS processor_lease (
    lease_id TINYINT UNSIGNED NOT NULL PRIMARY KEY,
    holder_monitor_id INT NULL DEFAULT NULL,
    epoch BIGINT NOT NULL DEFAULT 0,
    granted_at TIMESTAMP NULL DEFAULT NULL,
    renewed_at TIMESTAMP NULL DEFAULT NULL,
    expires_at TIMESTAMP NULL DEFAULT NULL,
    claims BIGINT NOT NULL DEFAULT 0,
    CONSTRAINT fk_lease_holder FOREIGN KEY (holder_monitor_id) REFERENCES monitors (monitor_id)
        ON DELETE SET NULL
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_general_ci;

-- A live claim of the original tool (10-minute staleness rule) becomes the first lease, so an
-- upgrade in the middle of the day does not hand processing to a second monitor.
INSERT IGNORE INTO processor_lease (lease_id, holder_monitor_id, epoch, granted_at, renewed_at,
                                    expires_at)
SELECT 1, monitor_id, 1, processor_claimed_at, processor_claimed_at,
       processor_claimed_at + INTERVAL 600 SECOND
FROM monitors
WHERE is_processor = TRUE AND processor_claimed_at > NOW() - INTERVAL 600 SECOND
ORDER BY processor_claimed_at DESC
LIMIT 1;
INSERT IGNORE INTO processor_lease (lease_id, epoch) VALUES (1, 0);

DELIMITER //
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
                   k.monitors_heard, k.first_seen, k.last_seen, k.address_class,
                   SUBSTRING(k.latest_name, 15) AS name,
                   STR_TO_DATE(LEFT(k.latest_name, 14), '%Y%m%d%H%i%s') AS name_seen_at
            FROM (
                SELECT s.mac_address,
                       MAX((CAST(LEAST(GREATEST(s.rssi, -128), 127) + 128 AS UNSIGNED) << 55)
                           | ((16777215 - LEAST(GREATEST(COALESCE(
                                 TIMESTAMPDIFF(SECOND, p_interval_start, s.scan_timestamp), 0), 0),
                                 16777215)) << 31)
                           | (2147483647 - s.monitor_id)) AS best,
                       COUNT(DISTINCT s.monitor_id) AS monitors_heard,
                       MIN(s.scan_timestamp) AS first_seen,
                       MAX(s.scan_timestamp) AS last_seen,
                       MAX(s.address_class) AS address_class,
                       -- The latest non-empty name: scan time first, so MAX picks the newest.
                       MAX(IF(s.device_name <> '',
                              CONCAT(DATE_FORMAT(s.scan_timestamp, '%Y%m%d%H%i%s'), s.device_name),
                              NULL)) AS latest_name
                FROM sighting_staging s FORCE INDEX (PRIMARY)
                WHERE s.staging_id BETWEEN v_lo AND v_hi AND s.interval_start = p_interval_start
                GROUP BY s.mac_address
            ) k;
    ELSE
        CREATE TEMPORARY TABLE blemon_best (PRIMARY KEY (mac_address)) AS
            SELECT k.mac_address,
                   CAST(k.best >> 55 AS SIGNED) - 128 AS rssi,
                   p_interval_start + INTERVAL (16777215 - ((k.best >> 31) & 16777215)) SECOND
                       AS scan_timestamp,
                   CAST(2147483647 - (k.best & 2147483647) AS SIGNED) AS monitor_id,
                   CAST(NULL AS INT) AS margin_db,
                   k.monitors_heard, k.first_seen, k.last_seen, k.address_class,
                   SUBSTRING(k.latest_name, 15) AS name,
                   STR_TO_DATE(LEFT(k.latest_name, 14), '%Y%m%d%H%i%s') AS name_seen_at
            FROM (
                SELECT s.mac_address,
                       MAX((CAST(LEAST(GREATEST(s.rssi, -128), 127) + 128 AS UNSIGNED) << 55)
                           | ((16777215 - LEAST(GREATEST(COALESCE(
                                 TIMESTAMPDIFF(SECOND, p_interval_start, s.scan_timestamp), 0), 0),
                                 16777215)) << 31)
                           | (2147483647 - s.monitor_id)) AS best,
                       COUNT(DISTINCT s.monitor_id) AS monitors_heard,
                       MIN(s.scan_timestamp) AS first_seen,
                       MAX(s.scan_timestamp) AS last_seen,
                       MAX(s.address_class) AS address_class,
                       -- The latest non-empty name: scan time first, so MAX picks the newest.
                       MAX(IF(s.device_name <> '',
                              CONCAT(DATE_FORMAT(s.scan_timestamp, '%Y%m%d%H%i%s'), s.device_name),
                              NULL)) AS latest_name
                FROM sighting_staging s
                WHERE s.interval_start = p_interval_start
                GROUP BY s.mac_address
            ) k;
    END IF;

    UPDATE blemon_best b
    SET b.margin_db = b.rssi - (SELECT MAX(s.rssi) FROM sighting_staging s
                                WHERE s.mac_address = b.mac_address
                                  AND s.interval_start = p_interval_start
                                  AND s.monitor_id <> b.monitor_id);

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

-- The seed's entry point, same name and parameter, now with the rules above. Called by the
-- original tool's processor outside a transaction, it makes one itself so a failure changes
-- nothing; inside a caller's transaction it joins it.
CREATE OR REPLACE PROCEDURE process_interval_best_rssi(IN p_interval_start TIMESTAMP)
MODIFIES SQL DATA
BEGIN
    DECLARE v_rows, v_changed, v_added INT DEFAULT 0;
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
    IF v_own_transaction THEN
        COMMIT;
    END IF;
END //

-- Removes processed staging rows older than the given number of days. Unprocessed rows are never
-- deleted (they are readings nobody has merged yet); the result row reports how many old ones
-- remain so an operator notices a processor that is not running. Batch records, which make
-- resends idempotent, are kept at least 7 days (longer than a monitor's spool keeps a batch).
CREATE OR REPLACE PROCEDURE cleanup_old_staging(IN days_to_keep INT)
MODIFIES SQL DATA
BEGIN
    DECLARE v_deleted BIGINT DEFAULT 0;
    DELETE FROM sighting_staging
    WHERE processed = TRUE AND scan_timestamp < NOW() - INTERVAL days_to_keep DAY;
    SET v_deleted = ROW_COUNT();
    DELETE FROM staging_batches
    WHERE staged_at < NOW() - INTERVAL GREATEST(days_to_keep, 7) DAY;
    SELECT v_deleted AS deleted_processed_rows,
           (SELECT COUNT(*) FROM sighting_staging
            WHERE processed = FALSE
              AND scan_timestamp < NOW() - INTERVAL days_to_keep DAY) AS unprocessed_old_rows_kept;
END //
DELIMITER ;

-- The version this file brings the database to, recorded by the file itself, so that feeding the
-- files to the mariadb client by hand (000_seed.sql, then this one) gives the same database as
-- `blemon-admin migrate`, which records the same rows. Last, so that a run interrupted halfway
-- records nothing: `blemon-admin check` then reports the half-applied migration.
CREATE TABLE IF NOT EXISTS schema_version (
    version INT NOT NULL PRIMARY KEY,
    name VARCHAR(100) NOT NULL,
    applied_at TIMESTAMP NOT NULL DEFAULT CURRENT_TIMESTAMP
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_general_ci;
INSERT IGNORE INTO schema_version (version, name) VALUES (0, '000_seed'), (1, '001_blemon');
