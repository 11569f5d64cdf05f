-- blemon schema for SQLite, version 14: the alert delivery log in the central store
-- (docs/alerts.md). The same tables as MariaDB's 014_alert_deliveries.sql; times are UTC text.
--
-- alert_deliveries: one row per alert and channel, keyed by (event_id, channel); 'owed' before
-- the event is marked published, then 'delivered' or 'given up'. attempts counts every
-- processor's tries; event_json, summary and body are the alert as sent (webhook body, subject,
-- mail text).
CREATE TABLE alert_deliveries (
  delivery_seq INTEGER PRIMARY KEY AUTOINCREMENT,
  event_id     TEXT    NOT NULL,
  channel      TEXT    NOT NULL,
  event_json   TEXT    NOT NULL,
  summary      TEXT    NOT NULL DEFAULT '',
  body         TEXT    NOT NULL,
  status       TEXT    NOT NULL DEFAULT 'owed',
  attempts     INTEGER NOT NULL DEFAULT 0,
  owed_at      TEXT    NOT NULL DEFAULT (datetime('now')),
  finished_at  TEXT,
  UNIQUE (event_id, channel)
);
CREATE INDEX idx_deliveries_owed ON alert_deliveries (channel, status, delivery_seq);

-- alert_delivery_tries: every try (what `blemon-admin alerts` lists), kept 90 days.
CREATE TABLE alert_delivery_tries (
  try_id   INTEGER PRIMARY KEY AUTOINCREMENT,
  tried_at TEXT    NOT NULL,
  event_id TEXT    NOT NULL,
  channel  TEXT    NOT NULL,
  target   TEXT    NOT NULL DEFAULT '',
  attempt  INTEGER NOT NULL,
  outcome  TEXT    NOT NULL,
  detail   TEXT    NOT NULL,
  sent_by  TEXT    NOT NULL DEFAULT ''
);
CREATE INDEX idx_tries_at ON alert_delivery_tries (tried_at);

INSERT INTO schema_version (version, description) VALUES (14, 'alert deliveries');
