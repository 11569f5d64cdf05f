-- blemon schema for SQLite, version 4: what an advertisement says about its sender, per staged
-- reading (docs/database.md, "The advert payload"). The same columns and text forms as MariaDB's
-- version 4; all nullable, NULL for a reading without payload.
--   company_ids           every company id of the reading's ManufacturerData, "004c,0006"
--   manufacturer_data     per company the first <= 8 bytes of its data, "004c:1005;0006:0102"
--   service_uuids         16-bit UUIDs of ServiceUUIDs and the ServiceData keys, "180f,fe9f"
--   appearance            GAP Appearance (Assigned Numbers 2.6.2), 0..65535
--   beacon_monitor_id     a blemon monitor's own beacon: which monitor sent it
--   beacon_tx_power       and at what TX power (dBm)
ALTER TABLE sighting_staging ADD COLUMN company_ids TEXT;
ALTER TABLE sighting_staging ADD COLUMN manufacturer_data TEXT;
ALTER TABLE sighting_staging ADD COLUMN service_uuids TEXT;
ALTER TABLE sighting_staging ADD COLUMN appearance INTEGER;
ALTER TABLE sighting_staging ADD COLUMN beacon_monitor_id INTEGER;
ALTER TABLE sighting_staging ADD COLUMN beacon_tx_power INTEGER;

-- What kind of device it is and who made it, set by ProcessInterval from the interval's payloads;
-- NULL until a reading tells (docs/database.md, "Device classes").
ALTER TABLE ble_devices ADD COLUMN device_class TEXT;
ALTER TABLE ble_devices ADD COLUMN vendor TEXT;

INSERT INTO schema_version (version, description) VALUES (4, 'advert payload');
