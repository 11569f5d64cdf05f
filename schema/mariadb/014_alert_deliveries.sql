-- Version 14: the alert delivery log in the central store (docs/alerts.md), so whoever holds the
-- processor lease knows what was delivered, and `blemon-admin alerts` shows it on any machine.
-- Additive and safe to rerun.
--
-- alert_deliveries: one row per alert and channel, keyed by (event_id, channel). Written as
-- 'owed' before the event is marked published; a processor that takes over sends what is still
-- owed and never what is 'delivered' or 'given up'.
--   delivery_seq  the order alerts were owed in (oldest first)
--   event_json    the alert's JSON (the webhook's body); summary its subject; body the mail's text
--   status        'owed', 'delivered' or 'given up'
--   attempts      tries so far, by every processor
CREATE TABLE IF NOT EXISTS alert_deliveries (
    delivery_seq BIGINT NOT NULL AUTO_INCREMENT PRIMARY KEY,
    event_id VARCHAR(100) NOT NULL,
    channel VARCHAR(16) NOT NULL,
    event_json MEDIUMTEXT NOT NULL,
    summary VARCHAR(1000) NOT NULL DEFAULT '',
    body MEDIUMTEXT NOT NULL,
    status VARCHAR(16) NOT NULL DEFAULT 'owed',
    attempts INT NOT NULL DEFAULT 0,
    owed_at TIMESTAMP NOT NULL DEFAULT CURRENT_TIMESTAMP,
    finished_at TIMESTAMP NULL DEFAULT NULL,
    UNIQUE KEY uq_delivery (event_id, channel),
    INDEX idx_deliveries_owed (channel, status, delivery_seq)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin;

-- alert_delivery_tries: every try of every alert (what `blemon-admin alerts` lists), kept 90 days.
--   tried_at  when the try ended (the processor's clock)
--   outcome   'delivered', 'retrying' or 'given up'; detail the error ('' when delivered)
--   sent_by   the monitor (processor) that tried
CREATE TABLE IF NOT EXISTS alert_delivery_tries (
    try_id BIGINT NOT NULL AUTO_INCREMENT PRIMARY KEY,
    tried_at TIMESTAMP NOT NULL DEFAULT '1970-01-01 00:00:01',
    event_id VARCHAR(100) NOT NULL,
    channel VARCHAR(16) NOT NULL,
    target VARCHAR(1000) NOT NULL DEFAULT '',
    attempt INT NOT NULL,
    outcome VARCHAR(16) NOT NULL,
    detail TEXT NOT NULL,
    sent_by VARCHAR(64) NOT NULL DEFAULT '',
    INDEX idx_tries_at (tried_at)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin;

INSERT IGNORE INTO schema_version (version, name) VALUES (14, '014_alert_deliveries');
