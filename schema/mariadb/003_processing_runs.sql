-- Version 3: one row per interval the processor committed, written by the processing transaction
-- itself after its fencing check, so a failover never records a run twice and a fenced-off
-- processor records nothing. blemon-web's /metrics reads its duration histogram and the counts of
-- intervals processed and processed late from here. Additive and safe to rerun.
--   interval_start  the processed interval (UTC, like every interval_start)
--   monitor_id      the processor that committed it
--   processed_at    the database's clock at the commit's transaction
--   duration_ms     the processing's own time, measured by the processor (monotonic clock)
--   staging_rows    staged readings the run marked processed
CREATE TABLE IF NOT EXISTS processing_runs (
    run_id BIGINT NOT NULL AUTO_INCREMENT PRIMARY KEY,
    interval_start TIMESTAMP NOT NULL DEFAULT '1970-01-01 00:00:01',
    monitor_id INT NOT NULL,
    processed_at TIMESTAMP NOT NULL DEFAULT CURRENT_TIMESTAMP,
    duration_ms BIGINT NOT NULL DEFAULT 0,
    staging_rows INT NOT NULL DEFAULT 0,
    INDEX idx_runs_interval (interval_start)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_general_ci;

-- Recorded by the file itself, as 001_blemon.sql does, so a run by hand with the mariadb client
-- gives the same database as `blemon-admin migrate`.
INSERT IGNORE INTO schema_version (version, name) VALUES (3, '003_processing_runs');
