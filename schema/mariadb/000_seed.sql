-- Version 0: the schema of the original Python tool (its schema.sql), kept as it was, faults and
-- all, so that an existing database and a fresh one start from the same place and every later
-- migration is tested against what users really have. Never edit this file: add a migration.
--
-- Runs with the mariadb client (`mariadb ble_monitor < 000_seed.sql`) and through blemon's
-- embedded migration runner, which understands DELIMITER lines like the client does.

CREATE TABLE IF NOT EXISTS monitors (
    monitor_id INT AUTO_INCREMENT PRIMARY KEY,
    monitor_name VARCHAR(100) NOT NULL UNIQUE,
    location VARCHAR(200),
    description TEXT,
    created_at TIMESTAMP DEFAULT CURRENT_TIMESTAMP,
    last_seen TIMESTAMP DEFAULT CURRENT_TIMESTAMP ON UPDATE CURRENT_TIMESTAMP,
    is_active BOOLEAN DEFAULT TRUE,
    is_processor BOOLEAN DEFAULT FALSE,
    processor_claimed_at TIMESTAMP NULL,
    INDEX idx_monitor_name (monitor_name)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4;

CREATE TABLE IF NOT EXISTS ble_devices (
    device_id INT AUTO_INCREMENT PRIMARY KEY,
    mac_address VARCHAR(17) NOT NULL UNIQUE,
    device_name VARCHAR(200),
    first_seen TIMESTAMP DEFAULT CURRENT_TIMESTAMP,
    last_seen TIMESTAMP DEFAULT CURRENT_TIMESTAMP ON UPDATE CURRENT_TIMESTAMP,
    INDEX idx_mac (mac_address)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4;

CREATE TABLE IF NOT EXISTS device_sightings (
    sighting_id BIGINT AUTO_INCREMENT PRIMARY KEY,
    device_id INT NOT NULL,
    monitor_id INT NOT NULL,
    rssi INT NOT NULL,
    interval_start TIMESTAMP NOT NULL DEFAULT CURRENT_TIMESTAMP,
    interval_end TIMESTAMP NULL DEFAULT NULL,
    sighting_timestamp TIMESTAMP NULL DEFAULT CURRENT_TIMESTAMP,
    extra_data JSON,
    FOREIGN KEY (device_id) REFERENCES ble_devices(device_id),
    FOREIGN KEY (monitor_id) REFERENCES monitors(monitor_id),
    UNIQUE KEY unique_device_interval (device_id, interval_start),
    INDEX idx_interval (interval_start),
    INDEX idx_monitor_interval (monitor_id, interval_start)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4;

CREATE TABLE IF NOT EXISTS sighting_staging (
    staging_id BIGINT AUTO_INCREMENT PRIMARY KEY,
    mac_address VARCHAR(17) NOT NULL,
    device_name VARCHAR(200),
    monitor_id INT NOT NULL,
    rssi INT NOT NULL,
    interval_start TIMESTAMP NOT NULL DEFAULT CURRENT_TIMESTAMP,
    scan_timestamp TIMESTAMP NULL DEFAULT CURRENT_TIMESTAMP,
    processed BOOLEAN DEFAULT FALSE,
    INDEX idx_interval_processed (interval_start, processed),
    INDEX idx_mac_interval (mac_address, interval_start)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4;

CREATE OR REPLACE VIEW hourly_device_counts AS
SELECT
    m.monitor_name,
    m.location,
    DATE_FORMAT(ds.interval_start, '%Y-%m-%d %H:00:00') AS hour_start,
    COUNT(DISTINCT ds.device_id) AS unique_devices,
    COUNT(*) AS total_sightings,
    AVG(ds.rssi) AS avg_rssi,
    MIN(ds.rssi) AS min_rssi,
    MAX(ds.rssi) AS max_rssi
FROM device_sightings ds
JOIN monitors m ON ds.monitor_id = m.monitor_id
GROUP BY m.monitor_id, m.monitor_name, m.location, hour_start;

CREATE OR REPLACE VIEW recent_device_activity AS
SELECT
    d.mac_address,
    d.device_name,
    m.monitor_name,
    ds.rssi,
    ds.interval_start,
    ds.sighting_timestamp
FROM device_sightings ds
JOIN ble_devices d ON ds.device_id = d.device_id
JOIN monitors m ON ds.monitor_id = m.monitor_id
WHERE ds.sighting_timestamp >= DATE_SUB(NOW(), INTERVAL 24 HOUR)
ORDER BY ds.sighting_timestamp DESC;

-- The original best-RSSI procedure. Its faults (fixed in 001): a reprocessed interval overwrites a
-- better reading with a worse one, staging rows of MACs missing from ble_devices are marked
-- processed and lost, and the interval length is fixed at 5 minutes.
DELIMITER //
CREATE OR REPLACE PROCEDURE process_interval_best_rssi(IN p_interval_start TIMESTAMP)
BEGIN
    INSERT INTO device_sightings (device_id, monitor_id, rssi, interval_start, interval_end,
                                  sighting_timestamp)
    SELECT d.device_id, s.monitor_id, s.rssi, s.interval_start,
           DATE_ADD(s.interval_start, INTERVAL 5 MINUTE), s.scan_timestamp
    FROM sighting_staging s
    JOIN ble_devices d ON d.mac_address = s.mac_address
    JOIN (
        SELECT mac_address, MAX(rssi) AS max_rssi
        FROM sighting_staging
        WHERE interval_start = p_interval_start AND processed = FALSE
        GROUP BY mac_address
    ) best ON best.mac_address = s.mac_address AND best.max_rssi = s.rssi
    WHERE s.interval_start = p_interval_start AND s.processed = FALSE
    ON DUPLICATE KEY UPDATE
        monitor_id = VALUES(monitor_id),
        rssi = VALUES(rssi),
        sighting_timestamp = VALUES(sighting_timestamp);

    UPDATE sighting_staging SET processed = TRUE
    WHERE interval_start = p_interval_start AND processed = FALSE;
END //

CREATE OR REPLACE PROCEDURE cleanup_old_staging(IN days_to_keep INT)
BEGIN
    DELETE FROM sighting_staging
    WHERE scan_timestamp < DATE_SUB(NOW(), INTERVAL days_to_keep DAY);
END //
DELIMITER ;
