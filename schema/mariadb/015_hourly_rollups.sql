-- Version 15: hourly rollups (docs/database.md, "Hourly rollups"). One row per monitor per UTC
-- hour holding what the hourly report shows of that hour, so a report reads hours x monitors rows
-- instead of every sighting of its span. The processor keeps it in its processing transaction;
-- hourly_device_counts keeps reading device_sightings and keeps its meaning.
--   hour_start          the UTC hour, Unix seconds (a multiple of 3600)
--   monitor_id          the monitor that won the sightings
--   unique_devices      distinct addresses (device_id) it won in the hour
--   estimated_devices   distinct estimated devices behind them (address_links; an address without
--                       a link is its own device)
--   public_addresses .. other_class  distinct addresses per ble_devices.address_class
--   total_sightings     device_sightings rows; rssi_sum, min_rssi, max_rssi over them
CREATE TABLE IF NOT EXISTS hourly_rollups (
    hour_start BIGINT NOT NULL,
    monitor_id INT NOT NULL,
    unique_devices INT NOT NULL,
    estimated_devices INT NOT NULL,
    public_addresses INT NOT NULL,
    random_static INT NOT NULL,
    resolvable_private INT NOT NULL,
    non_resolvable INT NOT NULL,
    other_class INT NOT NULL,
    total_sightings INT NOT NULL,
    rssi_sum BIGINT NOT NULL,
    min_rssi INT NOT NULL,
    max_rssi INT NOT NULL,
    PRIMARY KEY (hour_start, monitor_id)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_general_ci;

-- The UTC hours (Unix seconds) whose rollup rows may differ from device_sightings: marked by the
-- triggers below in the transaction that changed what the hour's rollup is made of, cleared by the
-- transaction that recomputes it. A report whose span holds one reads device_sightings instead, so
-- a report is never wrong, only slower, while an hour waits here.
CREATE TABLE IF NOT EXISTS hourly_rollup_stale (
    hour_start BIGINT NOT NULL PRIMARY KEY
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_general_ci;

-- Every write that changes an hour's figures marks it, whoever writes: the processor, blemon-admin
-- archive, the original tool's procedure, SQL by hand. A sighting counts for the hour its interval
-- starts in; a device's address class and its address link count for every hour it was seen in.
-- (A row update that changes none of the counted columns, such as the stable room, marks nothing.)
-- A trigger's statement costs about 0.1 ms per row, too much for the processor's thousands of
-- sightings per interval: around blemon_process_interval the processor sets the session variable
-- @blemon_rollup_hour to the interval's hour, which it marks and recomputes itself in the same
-- transaction, and the sighting triggers skip rows of that hour in that session only.
DELIMITER //
CREATE OR REPLACE TRIGGER rollup_sighting_insert AFTER INSERT ON device_sightings FOR EACH ROW
IF NOT (@blemon_rollup_hour <=> UNIX_TIMESTAMP(NEW.interval_start) DIV 3600 * 3600) THEN
    INSERT IGNORE INTO hourly_rollup_stale (hour_start)
    VALUES (UNIX_TIMESTAMP(NEW.interval_start) DIV 3600 * 3600);
END IF //
CREATE OR REPLACE TRIGGER rollup_sighting_delete AFTER DELETE ON device_sightings FOR EACH ROW
IF NOT (@blemon_rollup_hour <=> UNIX_TIMESTAMP(OLD.interval_start) DIV 3600 * 3600) THEN
    INSERT IGNORE INTO hourly_rollup_stale (hour_start)
    VALUES (UNIX_TIMESTAMP(OLD.interval_start) DIV 3600 * 3600);
END IF //
CREATE OR REPLACE TRIGGER rollup_sighting_update AFTER UPDATE ON device_sightings FOR EACH ROW
IF NOT (OLD.device_id <=> NEW.device_id AND OLD.monitor_id <=> NEW.monitor_id
        AND OLD.rssi <=> NEW.rssi AND OLD.interval_start <=> NEW.interval_start)
   AND NOT (@blemon_rollup_hour <=> UNIX_TIMESTAMP(OLD.interval_start) DIV 3600 * 3600
            AND @blemon_rollup_hour <=> UNIX_TIMESTAMP(NEW.interval_start) DIV 3600 * 3600) THEN
    INSERT IGNORE INTO hourly_rollup_stale (hour_start)
    VALUES (UNIX_TIMESTAMP(OLD.interval_start) DIV 3600 * 3600),
           (UNIX_TIMESTAMP(NEW.interval_start) DIV 3600 * 3600);
END IF //
CREATE OR REPLACE TRIGGER rollup_device_class AFTER UPDATE ON ble_devices FOR EACH ROW
IF NOT (OLD.address_class <=> NEW.address_class) THEN
    INSERT IGNORE INTO hourly_rollup_stale (hour_start)
    SELECT DISTINCT UNIX_TIMESTAMP(ds.interval_start) DIV 3600 * 3600
    FROM device_sightings ds WHERE ds.device_id = NEW.device_id;
END IF //
CREATE OR REPLACE TRIGGER rollup_link_insert AFTER INSERT ON address_links FOR EACH ROW
    INSERT IGNORE INTO hourly_rollup_stale (hour_start)
    SELECT DISTINCT UNIX_TIMESTAMP(ds.interval_start) DIV 3600 * 3600
    FROM device_sightings ds WHERE ds.device_id = NEW.device_id //
CREATE OR REPLACE TRIGGER rollup_link_delete AFTER DELETE ON address_links FOR EACH ROW
    INSERT IGNORE INTO hourly_rollup_stale (hour_start)
    SELECT DISTINCT UNIX_TIMESTAMP(ds.interval_start) DIV 3600 * 3600
    FROM device_sightings ds WHERE ds.device_id = OLD.device_id //
CREATE OR REPLACE TRIGGER rollup_link_update AFTER UPDATE ON address_links FOR EACH ROW
IF NOT (OLD.device_id <=> NEW.device_id
        AND OLD.estimated_device_id <=> NEW.estimated_device_id) THEN
    INSERT IGNORE INTO hourly_rollup_stale (hour_start)
    SELECT DISTINCT UNIX_TIMESTAMP(ds.interval_start) DIV 3600 * 3600
    FROM device_sightings ds WHERE ds.device_id IN (OLD.device_id, NEW.device_id);
END IF //
DELIMITER ;

-- The history so far: every hour with sightings is stale until recomputed. `blemon-admin migrate`
-- recomputes them right after this file (docs/database.md says how long that takes); the processor
-- would otherwise work them off, newest first, a bounded number per interval.
INSERT IGNORE INTO hourly_rollup_stale (hour_start)
    SELECT DISTINCT UNIX_TIMESTAMP(interval_start) DIV 3600 * 3600 FROM device_sightings;

-- Recorded by the file itself, as 001_blemon.sql does, so a run by hand with the mariadb client
-- gives the same database as `blemon-admin migrate`.
INSERT IGNORE INTO schema_version (version, name) VALUES (15, '015_hourly_rollups');
