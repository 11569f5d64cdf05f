-- Version 7: presence (docs/presence.md). Additive and safe to rerun.
--
-- watch_list: the devices whose presence is followed (`blemon-admin watch add`).
--   watch_name   the user's label, unique
--   target_kind  'mac' (target is a canonical AA:BB:CC:DD:EE:FF) or 'identity' (an identity's name)
CREATE TABLE IF NOT EXISTS watch_list (
    watch_id INT NOT NULL AUTO_INCREMENT PRIMARY KEY,
    watch_name VARCHAR(64) NOT NULL,
    target_kind VARCHAR(16) NOT NULL,
    target VARCHAR(64) NOT NULL,
    created_at TIMESTAMP NOT NULL DEFAULT CURRENT_TIMESTAMP,
    UNIQUE KEY uq_watch_name (watch_name),
    UNIQUE KEY uq_watch_target (target_kind, target)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin;

-- presence_state: each watched device after the last interval presence ran for; rewritten by the
-- processor's presence transaction (fenced by the lease, like processing). room is a monitor's
-- location (its name when it has none); last_seen the interval it was last seen in.
CREATE TABLE IF NOT EXISTS presence_state (
    watch_name VARCHAR(64) NOT NULL PRIMARY KEY,
    device VARCHAR(64) NOT NULL,
    home TINYINT(1) NOT NULL DEFAULT 0,
    room VARCHAR(200) NOT NULL DEFAULT '',
    last_seen TIMESTAMP NULL DEFAULT NULL
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin;

-- presence_progress: one row, the last interval presence ran for (NULL: never).
CREATE TABLE IF NOT EXISTS presence_progress (
    progress_id TINYINT NOT NULL PRIMARY KEY,
    through_interval TIMESTAMP NULL DEFAULT NULL
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin;
INSERT IGNORE INTO presence_progress (progress_id, through_interval) VALUES (1, NULL);

-- presence_events: arrive, leave and room_change events, the outbox the publisher empties.
--   event_id      DEVICE/UNIX_SECONDS/KIND: unique, so a processor that reruns an interval after a
--                 failover stores each event once
--   interval_start the interval the event is about (a leave: the first interval unseen)
--   decided_in    the processed interval whose run produced it
--   published_at  NULL until the publisher has sent it (store's clock)
CREATE TABLE IF NOT EXISTS presence_events (
    event_seq BIGINT NOT NULL AUTO_INCREMENT PRIMARY KEY,
    event_id VARCHAR(100) NOT NULL,
    watch_name VARCHAR(64) NOT NULL,
    device VARCHAR(64) NOT NULL,
    interval_start TIMESTAMP NOT NULL DEFAULT '1970-01-01 00:00:01',
    kind VARCHAR(16) NOT NULL,
    from_room VARCHAR(200) NOT NULL DEFAULT '',
    to_room VARCHAR(200) NOT NULL DEFAULT '',
    decided_in TIMESTAMP NOT NULL DEFAULT '1970-01-01 00:00:01',
    created_at TIMESTAMP NOT NULL DEFAULT CURRENT_TIMESTAMP,
    published_at TIMESTAMP NULL DEFAULT NULL,
    UNIQUE KEY uq_event_id (event_id),
    INDEX idx_events_interval (interval_start),
    INDEX idx_events_unpublished (published_at, event_seq)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin;

-- presence_occupancy: per processed interval, room and device class, the devices whose room it
-- was (all devices, watched or not).
CREATE TABLE IF NOT EXISTS presence_occupancy (
    interval_start TIMESTAMP NOT NULL DEFAULT '1970-01-01 00:00:01',
    room VARCHAR(200) NOT NULL,
    device_class VARCHAR(32) NOT NULL,
    devices INT NOT NULL DEFAULT 0,
    PRIMARY KEY (interval_start, room, device_class)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin;

INSERT IGNORE INTO schema_version (version, name) VALUES (7, '007_presence');
