-- blemon schema for SQLite, version 1: the embedded default store.
--
-- Same tables, views and column names as the MariaDB schema (schema/mariadb), so the original
-- tool's SQL snippets read the same data. Differences SQLite imposes:
--   * timestamps are UTC text 'YYYY-MM-DD HH:MM:SS' (what datetime('now') returns), which sorts
--     and compares correctly as text and prints like MariaDB's TIMESTAMP;
--   * booleans are 0/1 integers; ids are INTEGER PRIMARY KEY (the rowid);
--   * there are no stored procedures: blemon does process_interval_best_rssi's work in
--     ProcessInterval, and `blemon-admin cleanup` does cleanup_old_staging's.
-- Applied by blemon inside one transaction, which also records the version.

CREATE TABLE schema_version (
  version     INTEGER PRIMARY KEY,
  description TEXT    NOT NULL,
  applied_at  TEXT    NOT NULL DEFAULT (datetime('now'))
);

CREATE TABLE monitors (
  monitor_id           INTEGER PRIMARY KEY AUTOINCREMENT,
  monitor_name         TEXT    NOT NULL UNIQUE,
  location             TEXT,
  description          TEXT,
  is_active            INTEGER NOT NULL DEFAULT 1,
  last_seen            TEXT,
  created_at           TEXT    NOT NULL DEFAULT (datetime('now')),
  -- Mirrors of the processor lease, kept true by blemon so the documented troubleshooting SQL
  -- works; the lease itself is processor_lease.
  is_processor         INTEGER NOT NULL DEFAULT 0,
  processor_claimed_at TEXT
);

CREATE TABLE ble_devices (
  device_id     INTEGER PRIMARY KEY AUTOINCREMENT,
  mac_address   TEXT    NOT NULL UNIQUE,  -- canonical 'AA:BB:CC:DD:EE:FF'
  device_name   TEXT,                     -- latest non-empty name heard
  address_class TEXT,                     -- public, random_static, resolvable_private, ...
  first_seen    TEXT    NOT NULL,
  last_seen     TEXT    NOT NULL,
  -- When device_name was heard, so a late row from an old interval never overwrites a newer name.
  name_seen_at  TEXT
);

-- Per device per interval, the reading of the monitor that heard it best.
CREATE TABLE device_sightings (
  sighting_id        INTEGER PRIMARY KEY AUTOINCREMENT,
  device_id          INTEGER NOT NULL REFERENCES ble_devices (device_id),
  monitor_id         INTEGER NOT NULL REFERENCES monitors (monitor_id),
  rssi               INTEGER NOT NULL,
  interval_start     TEXT    NOT NULL,
  interval_end       TEXT,              -- interval_start + the fleet's interval length
  sighting_timestamp TEXT    NOT NULL,  -- the winning scan's time
  extra_data         TEXT,              -- JSON, as in the seed schema; unused by blemon
  margin_db          INTEGER,           -- winner minus best other monitor; NULL when alone
  monitors_heard     INTEGER NOT NULL DEFAULT 1,
  UNIQUE (device_id, interval_start)
);
CREATE INDEX idx_interval ON device_sightings (interval_start);
CREATE INDEX idx_monitor_interval ON device_sightings (monitor_id, interval_start);
CREATE INDEX idx_sighting_timestamp ON device_sightings (sighting_timestamp);

-- Every reading of every monitor, before best-RSSI selection.
CREATE TABLE sighting_staging (
  staging_id     INTEGER PRIMARY KEY AUTOINCREMENT,
  mac_address    TEXT    NOT NULL,
  device_name    TEXT,
  monitor_id     INTEGER NOT NULL REFERENCES monitors (monitor_id),
  rssi           INTEGER NOT NULL,
  interval_start TEXT    NOT NULL,
  scan_timestamp TEXT    NOT NULL,
  processed      INTEGER NOT NULL DEFAULT 0,
  batch_seq      INTEGER,
  address_class  TEXT,
  advert_count   INTEGER,
  tx_power       INTEGER
);
CREATE INDEX idx_pending ON sighting_staging (processed, interval_start);
CREATE INDEX idx_interval_processed ON sighting_staging (interval_start, processed);
CREATE INDEX idx_mac_interval ON sighting_staging (mac_address, interval_start);

-- One row per stored batch: (monitor_id, batch_seq) makes a resend from a monitor's spool a no-op.
CREATE TABLE staging_batches (
  monitor_id     INTEGER NOT NULL REFERENCES monitors (monitor_id),
  batch_seq      INTEGER NOT NULL,
  interval_start TEXT    NOT NULL,
  scan_time      TEXT    NOT NULL,
  row_count      INTEGER NOT NULL DEFAULT 0,
  staged_at      TEXT    NOT NULL DEFAULT (datetime('now')),
  PRIMARY KEY (monitor_id, batch_seq)
) WITHOUT ROWID;
CREATE INDEX idx_staged_at ON staging_batches (staged_at);

-- The processor lease: one row, taken and renewed by one conditional UPDATE on the store's
-- clock. epoch is the fencing token, incremented for every new holder and never reused;
-- granted_at is when the current holder got it, renewed_at its latest claim or renewal.
CREATE TABLE processor_lease (
  lease_id          INTEGER PRIMARY KEY CHECK (lease_id = 1),
  holder_monitor_id INTEGER REFERENCES monitors (monitor_id) ON DELETE SET NULL,
  epoch             INTEGER NOT NULL DEFAULT 0,
  granted_at        TEXT,
  renewed_at        TEXT,
  expires_at        TEXT,
  claims            INTEGER NOT NULL DEFAULT 0
);
INSERT INTO processor_lease (lease_id, epoch) VALUES (1, 0);

-- Fleet-wide settings every monitor must agree with (interval_seconds).
CREATE TABLE fleet_settings (
  setting_name  TEXT PRIMARY KEY,
  setting_value TEXT NOT NULL,
  updated_at    TEXT NOT NULL DEFAULT (datetime('now'))
);

-- The documented way to clear a stale processor claim is
--   UPDATE monitors SET is_processor = FALSE, processor_claimed_at = NULL WHERE ...;
-- make it release the lease too, so the next claimer is not kept waiting for the expiry.
CREATE TRIGGER monitors_processor_cleared
AFTER UPDATE OF is_processor ON monitors
WHEN OLD.is_processor <> 0 AND NEW.is_processor = 0
BEGIN
  UPDATE processor_lease
     SET holder_monitor_id = NULL, expires_at = NULL, renewed_at = datetime('now')
   WHERE holder_monitor_id = NEW.monitor_id;
END;

-- The views have the seed's columns in the seed's order.
CREATE VIEW hourly_device_counts AS
SELECT m.monitor_name                                   AS monitor_name,
       m.location                                       AS location,
       strftime('%Y-%m-%d %H:00:00', ds.interval_start) AS hour_start,
       COUNT(DISTINCT ds.device_id)                     AS unique_devices,
       COUNT(*)                                         AS total_sightings,
       AVG(ds.rssi)                                     AS avg_rssi,
       MIN(ds.rssi)                                     AS min_rssi,
       MAX(ds.rssi)                                     AS max_rssi
  FROM device_sightings ds
  JOIN monitors m ON m.monitor_id = ds.monitor_id
 GROUP BY m.monitor_id, m.monitor_name, m.location, hour_start;

CREATE VIEW recent_device_activity AS
SELECT d.mac_address          AS mac_address,
       d.device_name          AS device_name,
       m.monitor_name         AS monitor_name,
       ds.rssi                AS rssi,
       ds.interval_start      AS interval_start,
       ds.sighting_timestamp  AS sighting_timestamp
  FROM device_sightings ds
  JOIN ble_devices d ON d.device_id = ds.device_id
  JOIN monitors m ON m.monitor_id = ds.monitor_id
 WHERE ds.sighting_timestamp >= datetime('now', '-24 hours')
 ORDER BY ds.sighting_timestamp DESC;

INSERT INTO schema_version (version, description) VALUES (1, 'initial blemon schema');
