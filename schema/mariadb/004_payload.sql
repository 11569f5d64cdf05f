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

-- What kind of device it is and who made it (docs/database.md, "Device classes"), set by the
-- processor from the payload of each interval it processes (blemon's C++, after
-- blemon_process_interval, in the same transaction; the procedure itself is unchanged). NULL
-- until a reading tells: the original tool's rows never do.
--   device_class  phone, watch, earbuds, tracker, beacon, computer, media, appliance or unknown
--   vendor        the Bluetooth SIG company name of its manufacturer data, e.g. "Apple, Inc."
ALTER TABLE ble_devices
    ADD COLUMN IF NOT EXISTS device_class VARCHAR(24) NULL DEFAULT NULL,
    ADD COLUMN IF NOT EXISTS vendor VARCHAR(255) NULL DEFAULT NULL;

-- The processor's one write to ble_devices outside blemon_process_interval: it runs with its
-- definer's rights, so the processor account (blemon-admin grants) needs only EXECUTE on it, not
-- UPDATE on ble_devices. NULL keeps what is known; last_seen = last_seen stops the seed's
-- ON UPDATE clause from moving it. The MAC is compared with an explicit collation: a parameter
-- takes the database's default collation, which need not be the table's (a database created
-- with utf8mb4_unicode_ci holds the seed's utf8mb4_general_ci tables), and mixing the two is
-- an error.
DELIMITER //
CREATE OR REPLACE PROCEDURE blemon_set_device_profile(
    IN p_mac_address VARCHAR(17) CHARACTER SET utf8mb4, IN p_device_class VARCHAR(24),
    IN p_vendor VARCHAR(255))
MODIFIES SQL DATA
BEGIN
    UPDATE ble_devices
    SET device_class = COALESCE(p_device_class, device_class),
        vendor = COALESCE(p_vendor, vendor),
        last_seen = last_seen
    WHERE mac_address = p_mac_address COLLATE utf8mb4_general_ci;
END //
DELIMITER ;

-- Recorded by the file itself, as 001_blemon.sql does, so a run by hand with the mariadb client
-- gives the same database as `blemon-admin migrate`.
INSERT IGNORE INTO schema_version (version, name) VALUES (4, '004_payload');
