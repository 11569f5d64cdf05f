-- blemon schema for SQLite, version 7: presence (docs/presence.md). The same tables as MariaDB's
-- 007_presence.sql; timestamps are UTC text.
--
-- watch_list: the devices whose presence is followed (`blemon-admin watch add`).
--   target_kind  'mac' (target is a canonical AA:BB:CC:DD:EE:FF) or 'identity' (an identity's name)
CREATE TABLE watch_list (
  watch_id    INTEGER PRIMARY KEY AUTOINCREMENT,
  watch_name  TEXT NOT NULL UNIQUE,
  target_kind TEXT NOT NULL,
  target      TEXT NOT NULL,
  created_at  TEXT NOT NULL DEFAULT (datetime('now')),
  UNIQUE (target_kind, target)
);

-- presence_state: each watched device after the last interval presence ran for.
CREATE TABLE presence_state (
  watch_name TEXT PRIMARY KEY,
  device     TEXT NOT NULL,
  home       INTEGER NOT NULL DEFAULT 0,
  room       TEXT NOT NULL DEFAULT '',
  last_seen  TEXT
);

-- presence_progress: one row, the last interval presence ran for (NULL: never).
CREATE TABLE presence_progress (
  progress_id      INTEGER PRIMARY KEY,
  through_interval TEXT
);
INSERT INTO presence_progress (progress_id, through_interval) VALUES (1, NULL);

-- presence_events: the outbox of arrive, leave and room_change events (event_id unique:
-- DEVICE/UNIX_SECONDS/KIND); published_at stays NULL until the publisher has sent the event.
CREATE TABLE presence_events (
  event_seq      INTEGER PRIMARY KEY AUTOINCREMENT,
  event_id       TEXT NOT NULL UNIQUE,
  watch_name     TEXT NOT NULL,
  device         TEXT NOT NULL,
  interval_start TEXT NOT NULL,
  kind           TEXT NOT NULL,
  from_room      TEXT NOT NULL DEFAULT '',
  to_room        TEXT NOT NULL DEFAULT '',
  decided_in     TEXT NOT NULL,
  created_at     TEXT NOT NULL DEFAULT (datetime('now')),
  published_at   TEXT
);
CREATE INDEX idx_events_interval ON presence_events (interval_start);
CREATE INDEX idx_events_unpublished ON presence_events (published_at, event_seq);

-- presence_occupancy: per processed interval, room and device class, the devices whose room it was.
CREATE TABLE presence_occupancy (
  interval_start TEXT NOT NULL,
  room           TEXT NOT NULL,
  device_class   TEXT NOT NULL,
  devices        INTEGER NOT NULL DEFAULT 0,
  PRIMARY KEY (interval_start, room, device_class)
);

INSERT INTO schema_version (version, description) VALUES (7, 'presence');
