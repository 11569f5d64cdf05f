-- blemon schema for SQLite, version 2: what each monitor reports about its own scans, so a radio
-- that does not listen (no D-Bus, no adapter, discovery refused) is told from an empty room, and a
-- monitor that hears nothing while the others hear devices is flagged silent. Additive: the
-- original tool's statements never name these columns.
--   scans_failed        scans that did not really listen, counted since the monitor was created
--   last_scan_error     the latest such scan's error (at most 250 bytes)
--   last_scan_error_at  its scan time (UTC text, like every timestamp here)
--   last_scan_ok_at     the latest scan that listened
--   empty_scans_in_row  scans in a row, up to the latest, that listened and heard nothing
ALTER TABLE monitors ADD COLUMN scans_failed INTEGER NOT NULL DEFAULT 0;
ALTER TABLE monitors ADD COLUMN last_scan_error TEXT;
ALTER TABLE monitors ADD COLUMN last_scan_error_at TEXT;
ALTER TABLE monitors ADD COLUMN last_scan_ok_at TEXT;
ALTER TABLE monitors ADD COLUMN empty_scans_in_row INTEGER NOT NULL DEFAULT 0;

INSERT INTO schema_version (version, description) VALUES (2, 'scan health of each monitor');
