-- Version 4: what an advertisement says about its sender, per staged reading (docs/database.md,
-- "The advert payload"). Additive and safe to rerun: every column is nullable, and NULL is what
-- the original tool's monitors write and what a reading without payload stores, so its
-- statements, procedures and views keep their meaning.
--   company_ids           every company id of the reading's ManufacturerData, "004c,0006"
--   manufacturer_data     per company the first <= 8 bytes of its data, "004c:1005;0006:0102"
--   service_uuids         16-bit UUIDs of ServiceUUIDs and the ServiceData keys, "180f,fe9f"
--   appearance            GAP Appearance (Assigned Numbers 2.6.2), 0..65535
--   beacon_monitor_id     a blemon monitor's own beacon: which monitor sent it
--   beacon_tx_power       and at what TX power (dBm)
-- Hex is lower case; lists are sorted. Query with LIKE, e.g. Apple's AirPods:
--   WHERE manufacturer_data LIKE '%004c:07%'
ALTER TABLE sighting_staging
    ADD COLUMN IF NOT EXISTS company_ids VARCHAR(255) NULL DEFAULT NULL,
    ADD COLUMN IF NOT EXISTS manufacturer_data VARCHAR(255) NULL DEFAULT NULL,
    ADD COLUMN IF NOT EXISTS service_uuids VARCHAR(64) NULL DEFAULT NULL,
    ADD COLUMN IF NOT EXISTS appearance INT NULL DEFAULT NULL,
    ADD COLUMN IF NOT EXISTS beacon_monitor_id INT NULL DEFAULT NULL,
    ADD COLUMN IF NOT EXISTS beacon_tx_power INT NULL DEFAULT NULL;

-- Recorded by the file itself, as 001_blemon.sql does, so a run by hand with the mariadb client
-- gives the same database as `blemon-admin migrate`.
INSERT IGNORE INTO schema_version (version, name) VALUES (4, '004_payload');
