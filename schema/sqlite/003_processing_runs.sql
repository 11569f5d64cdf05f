-- blemon schema for SQLite, version 3: one row per interval the processor committed, written by
-- the processing transaction itself after its fencing check, so a failover never records a run
-- twice and a fenced-off processor records nothing. blemon-web's /metrics reads its duration
-- histogram and the counts of intervals processed and processed late from here.
--   interval_start  the processed interval (UTC text, like every timestamp here)
--   monitor_id      the processor that committed it
--   processed_at    the store's clock at the commit's transaction
--   duration_ms     the processing's own time, measured by the processor (monotonic clock)
--   staging_rows    staged readings the run marked processed
CREATE TABLE processing_runs (
  run_id         INTEGER PRIMARY KEY AUTOINCREMENT,
  interval_start TEXT    NOT NULL,
  monitor_id     INTEGER NOT NULL,
  processed_at   TEXT    NOT NULL DEFAULT (datetime('now')),
  duration_ms    INTEGER NOT NULL DEFAULT 0,
  staging_rows   INTEGER NOT NULL DEFAULT 0
);
CREATE INDEX idx_runs_interval ON processing_runs (interval_start);

INSERT INTO schema_version (version, description) VALUES (3, 'processing runs');
