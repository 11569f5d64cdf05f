-- Version 2: what each monitor reports about its own scans, so a radio that does not listen (no
-- D-Bus, no adapter, discovery refused) is told from an empty room, and a monitor that hears
-- nothing while the others hear devices is flagged silent (blemon-dashboard, blemon-admin check).
-- Additive and safe to rerun, like version 1: the original tool's statements never name these
-- columns.
--   scans_failed        scans that did not really listen, counted since the monitor was created
--   last_scan_error     the latest such scan's error (at most 250 bytes)
--   last_scan_error_at  its scan time
--   last_scan_ok_at     the latest scan that listened
--   empty_scans_in_row  scans in a row, up to the latest, that listened and heard nothing
ALTER TABLE monitors
    ADD COLUMN IF NOT EXISTS scans_failed BIGINT NOT NULL DEFAULT 0,
    ADD COLUMN IF NOT EXISTS last_scan_error VARCHAR(255) NULL DEFAULT NULL,
    ADD COLUMN IF NOT EXISTS last_scan_error_at TIMESTAMP NULL DEFAULT NULL,
    ADD COLUMN IF NOT EXISTS last_scan_ok_at TIMESTAMP NULL DEFAULT NULL,
    ADD COLUMN IF NOT EXISTS empty_scans_in_row INT NOT NULL DEFAULT 0;

-- Recorded by the file itself, as 001_blemon.sql does, so a run by hand with the mariadb client
-- gives the same database as `blemon-admin migrate`.
INSERT IGNORE INTO schema_version (version, name) VALUES (2, '002_scan_health');
