-- Version 11: estimated devices behind rotating addresses (docs/database.md, "Address links").
-- One row per link the processor made: the address `device_id` is what the address
-- `previous_device_id` became (same payload signature, same RSSI pattern over the monitors, one
-- stopped as the other started). Written by the processing transaction of the interval that
-- decided it, after its fencing check, so a failover never half-applies one. Links are
-- estimates: they are never merged into identities. Additive and safe to rerun.
--   device_id               the later address (ble_devices); at most one predecessor
--   previous_device_id      the earlier address; at most one successor
--   estimated_device_id     the first address of the chain: the estimated device of device_id
--   previous_last_interval  the last interval the earlier address was heard in
--   first_interval          the first interval the later address was heard in
--   distance_db             the RMS difference of their RSSI patterns, dB
--   linked_at               the database's clock at the commit
-- An address without a row here is its own estimated device.
CREATE TABLE IF NOT EXISTS address_links (
    device_id INT NOT NULL PRIMARY KEY,
    previous_device_id INT NOT NULL,
    estimated_device_id INT NOT NULL,
    previous_last_interval TIMESTAMP NOT NULL DEFAULT '1970-01-01 00:00:01',
    first_interval TIMESTAMP NOT NULL DEFAULT '1970-01-01 00:00:01',
    distance_db DOUBLE NOT NULL DEFAULT 0,
    linked_at TIMESTAMP NOT NULL DEFAULT CURRENT_TIMESTAMP,
    UNIQUE KEY uq_links_previous (previous_device_id),
    INDEX idx_links_estimated (estimated_device_id),
    INDEX idx_links_first_interval (first_interval)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_general_ci;

-- Recorded by the file itself, as 001_blemon.sql does, so a run by hand with the mariadb client
-- gives the same database as `blemon-admin migrate`.
INSERT IGNORE INTO schema_version (version, name) VALUES (11, '011_address_links');
