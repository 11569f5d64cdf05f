-- blemon schema for SQLite, version 15: hourly rollups (docs/database.md, "Hourly rollups"). One
-- row per monitor per UTC hour holding what the hourly report shows of that hour, so a report
-- reads hours x monitors rows instead of every sighting of its span. The processor keeps it in its
-- processing transaction; hourly_device_counts keeps reading device_sightings.
--   hour_start          the UTC hour, Unix seconds (a multiple of 3600)
--   monitor_id          the monitor that won the sightings
--   unique_devices      distinct addresses (device_id) it won in the hour
--   estimated_devices   distinct estimated devices behind them (address_links)
--   public_addresses .. other_class  distinct addresses per ble_devices.address_class
--   total_sightings     device_sightings rows; rssi_sum, min_rssi, max_rssi over them
CREATE TABLE hourly_rollups (
  hour_start         INTEGER NOT NULL,
  monitor_id         INTEGER NOT NULL,
  unique_devices     INTEGER NOT NULL,
  estimated_devices  INTEGER NOT NULL,
  public_addresses   INTEGER NOT NULL,
  random_static      INTEGER NOT NULL,
  resolvable_private INTEGER NOT NULL,
  non_resolvable     INTEGER NOT NULL,
  other_class        INTEGER NOT NULL,
  total_sightings    INTEGER NOT NULL,
  rssi_sum           INTEGER NOT NULL,
  min_rssi           INTEGER NOT NULL,
  max_rssi           INTEGER NOT NULL,
  PRIMARY KEY (hour_start, monitor_id)
) WITHOUT ROWID;

-- The UTC hours whose rollup rows may differ from device_sightings: marked by the triggers below
-- in the transaction that changed what the hour is made of, cleared by the one that recomputes it.
-- A report whose span holds one reads device_sightings instead.
CREATE TABLE hourly_rollup_stale (hour_start INTEGER PRIMARY KEY);

-- Every write that changes an hour's figures marks it, whoever writes. A sighting counts for the
-- hour its interval starts in; a device's address class and its address link for every hour it
-- was seen in. An update that changes none of the counted columns (the stable room) marks nothing.
CREATE TRIGGER rollup_sighting_insert AFTER INSERT ON device_sightings BEGIN
  INSERT OR IGNORE INTO hourly_rollup_stale (hour_start)
  VALUES (CAST(strftime('%s', NEW.interval_start) AS INTEGER) / 3600 * 3600);
END;
CREATE TRIGGER rollup_sighting_delete AFTER DELETE ON device_sightings BEGIN
  INSERT OR IGNORE INTO hourly_rollup_stale (hour_start)
  VALUES (CAST(strftime('%s', OLD.interval_start) AS INTEGER) / 3600 * 3600);
END;
CREATE TRIGGER rollup_sighting_update AFTER UPDATE ON device_sightings
WHEN NOT (OLD.device_id IS NEW.device_id AND OLD.monitor_id IS NEW.monitor_id
          AND OLD.rssi IS NEW.rssi AND OLD.interval_start IS NEW.interval_start) BEGIN
  INSERT OR IGNORE INTO hourly_rollup_stale (hour_start)
  VALUES (CAST(strftime('%s', OLD.interval_start) AS INTEGER) / 3600 * 3600),
         (CAST(strftime('%s', NEW.interval_start) AS INTEGER) / 3600 * 3600);
END;
CREATE TRIGGER rollup_device_class AFTER UPDATE OF address_class ON ble_devices
WHEN OLD.address_class IS NOT NEW.address_class BEGIN
  INSERT OR IGNORE INTO hourly_rollup_stale (hour_start)
  SELECT DISTINCT CAST(strftime('%s', interval_start) AS INTEGER) / 3600 * 3600
    FROM device_sightings WHERE device_id = NEW.device_id;
END;
CREATE TRIGGER rollup_link_insert AFTER INSERT ON address_links BEGIN
  INSERT OR IGNORE INTO hourly_rollup_stale (hour_start)
  SELECT DISTINCT CAST(strftime('%s', interval_start) AS INTEGER) / 3600 * 3600
    FROM device_sightings WHERE device_id = NEW.device_id;
END;
CREATE TRIGGER rollup_link_delete AFTER DELETE ON address_links BEGIN
  INSERT OR IGNORE INTO hourly_rollup_stale (hour_start)
  SELECT DISTINCT CAST(strftime('%s', interval_start) AS INTEGER) / 3600 * 3600
    FROM device_sightings WHERE device_id = OLD.device_id;
END;
CREATE TRIGGER rollup_link_update AFTER UPDATE ON address_links
WHEN NOT (OLD.device_id IS NEW.device_id AND OLD.estimated_device_id IS NEW.estimated_device_id)
BEGIN
  INSERT OR IGNORE INTO hourly_rollup_stale (hour_start)
  SELECT DISTINCT CAST(strftime('%s', interval_start) AS INTEGER) / 3600 * 3600
    FROM device_sightings WHERE device_id IN (OLD.device_id, NEW.device_id);
END;

-- The history so far is stale until recomputed: `blemon-admin migrate` does it right after this
-- file; the processor would otherwise work it off, newest first, a bounded number per interval.
INSERT OR IGNORE INTO hourly_rollup_stale (hour_start)
  SELECT DISTINCT CAST(strftime('%s', interval_start) AS INTEGER) / 3600 * 3600
    FROM device_sightings;

INSERT INTO schema_version (version, description) VALUES (15, 'hourly rollups');
