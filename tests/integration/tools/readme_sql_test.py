#!/usr/bin/python3
"""Every operator SQL statement of the original tool's README runs unchanged against a MariaDB
database that blemon wrote (three simulated monitors, one processing), and gives the answers the
README promises: the duplicates check finds none, the views have rows, the staging status shows
processed rows, and the "clear stale claim" UPDATE lets another monitor take over processing.

The statements are copied verbatim from the README (../shared/original-README.md at the time of
writing). Only the database name in SHOW PROCEDURE STATUS is this test's own, since the shared
test server hosts many tests' databases. The installation steps (CREATE DATABASE / CREATE USER /
GRANT ALL for 'ble_user') are left out: they create server-wide accounts.

With `partitioned`, `blemon-admin retention enable` first turns device_sightings and
sighting_staging into daily partitions (docs/database.md, "Retention"): the same statements must
run unchanged there, the original procedure must still merge, and the README's archive recipe
(CREATE TABLE ... LIKE) must work on a partitioned table.

    readme_sql_test.py BIN_DIR [partitioned]
"""

import sys

import tools_env

# (what the README calls it, statement)
README_STATEMENTS = [
    ("monitor health", """SELECT 
    monitor_name, 
    location, 
    last_seen,
    TIMESTAMPDIFF(MINUTE, last_seen, NOW()) as minutes_ago,
    is_active
FROM monitors;"""),
    ("recent sightings", """SELECT COUNT(*) as recent_sightings
FROM device_sightings 
WHERE sighting_timestamp >= DATE_SUB(NOW(), INTERVAL 1 HOUR);"""),
    ("staging status", """SELECT processed, COUNT(*) as count 
FROM sighting_staging 
GROUP BY processed;"""),
    ("most recent scan data", """SELECT * FROM device_sightings 
ORDER BY sighting_timestamp DESC 
LIMIT 10;"""),
    ("average devices per scan", """SELECT 
    m.monitor_name,
    COUNT(DISTINCT ds.device_id) / COUNT(DISTINCT ds.interval_start) as avg_devices_per_scan,
    COUNT(*) as total_sightings
FROM device_sightings ds
JOIN monitors m ON ds.monitor_id = m.monitor_id
WHERE ds.sighting_timestamp >= DATE_SUB(NOW(), INTERVAL 24 HOUR)
GROUP BY m.monitor_id;"""),
    ("gaps in monitoring", """SELECT 
    interval_start,
    COUNT(DISTINCT monitor_id) as monitor_count,
    COUNT(*) as device_count
FROM device_sightings 
WHERE interval_start >= DATE_SUB(NOW(), INTERVAL 2 HOUR)
GROUP BY interval_start
ORDER BY interval_start DESC;"""),
    ("recent device activity view", """SELECT * FROM recent_device_activity LIMIT 50;"""),
    ("hourly counts view", """SELECT * FROM hourly_device_counts 
WHERE hour_start >= DATE_SUB(NOW(), INTERVAL 7 DAY);"""),
    ("cleanup procedure", """CALL cleanup_old_staging(7);"""),
    ("which monitor is the processor", """SELECT monitor_name, is_processor, processor_claimed_at 
FROM monitors 
WHERE is_processor = TRUE;"""),
    ("processor status", """SELECT monitor_name, is_processor, processor_claimed_at, last_seen
FROM monitors;"""),
    ("unprocessed data per interval", """SELECT interval_start, processed, COUNT(*) 
FROM sighting_staging 
GROUP BY interval_start, processed 
ORDER BY interval_start DESC 
LIMIT 10;"""),
    ("procedures exist", """SHOW PROCEDURE STATUS WHERE Db = 'ble_monitor';"""),
    ("staging table size", """SELECT COUNT(*), processed FROM sighting_staging GROUP BY processed;"""),
    ("clean up processed staging", """CALL cleanup_old_staging(1);"""),
    ("unprocessed records stuck", """SELECT interval_start, COUNT(*) 
FROM sighting_staging 
WHERE processed = FALSE 
GROUP BY interval_start 
ORDER BY interval_start DESC;"""),
    ("duplicates check", """SELECT device_id, interval_start, COUNT(*) as count
FROM device_sightings
GROUP BY device_id, interval_start
HAVING count > 1;"""),
    ("procedure definition", """SHOW CREATE PROCEDURE process_interval_best_rssi;"""),
    ("databases", """SHOW DATABASES;"""),
]

ARCHIVE = [
    """CREATE TABLE device_sightings_archive LIKE device_sightings;""",
    """INSERT INTO device_sightings_archive 
SELECT * FROM device_sightings 
WHERE interval_start < DATE_SUB(NOW(), INTERVAL 90 DAY);""",
    """DELETE FROM device_sightings 
WHERE interval_start < DATE_SUB(NOW(), INTERVAL 90 DAY);""",
]

CLEAR_STALE_CLAIM = """UPDATE monitors 
SET is_processor = FALSE, processor_claimed_at = NULL 
WHERE processor_claimed_at < DATE_SUB(NOW(), INTERVAL 10 MINUTE);"""


def rows(result):
    lines = result.stdout.strip().splitlines()
    return lines[1:] if lines else []  # --batch prints a header line first


def main():
    bin_dir = sys.argv[1]
    partitioned = len(sys.argv) > 2 and sys.argv[2] == "partitioned"
    store = tools_env.Store("mariadb", bin_dir, "readme_part" if partitioned else "readme")
    failures = []

    def run(what, sql, user=None, password=None):
        sql = sql.replace("Db = 'ble_monitor'", f"Db = '{store.database}'")
        result = tools_env.run_sql(store.peer, sql, store.database, user=user, password=password,
                                   check=False)
        if result.returncode != 0:
            failures.append(f"{what}: {result.stderr.strip()}\n{sql}")
        return result

    try:
        store.run("blemon-admin", "migrate")
        if partitioned:
            store.run("blemon-admin", "retention", "enable")
            tools_env.run_sql(store.peer, "DROP TABLE device_sightings_unpartitioned, "
                                          "sighting_staging_unpartitioned;", store.database)
        tools_env.run_fleet(store)
        if partitioned:
            # The original tool's procedure on the partitioned tables: a staged row of a known
            # device, merged through unique_device_interval's ON DUPLICATE KEY UPDATE.
            run("original procedure", """
INSERT INTO sighting_staging (mac_address, monitor_id, rssi, interval_start, scan_timestamp)
SELECT mac_address, 1, 10, '2026-01-05 10:00:00', '2026-01-05 10:00:03' FROM ble_devices LIMIT 1;
CALL process_interval_best_rssi('2026-01-05 10:00:00');""")
            merged = run("merged", "SELECT COUNT(*) FROM device_sightings "
                                   "WHERE interval_start = '2026-01-05 10:00:00';")
            if rows(merged) != ["1"]:
                failures.append(f"process_interval_best_rssi merged nothing: {merged.stdout}")
        # As the README's operator: the monitors' own account, through the mariadb client.
        user, password = store.peer["user"], store.peer["password"]
        answers = {what: run(what, sql, user, password) for what, sql in README_STATEMENTS}
        if rows(answers["duplicates check"]):
            failures.append(f"duplicates check found rows: {answers['duplicates check'].stdout}")
        for view in ("recent device activity view", "hourly counts view", "monitor health",
                     "most recent scan data", "average devices per scan"):
            if not rows(answers[view]):
                failures.append(f"{view}: no rows on a database three monitors wrote")
        if len(rows(answers["monitor health"])) != 3:
            failures.append(f"monitor health: expected 3 monitors: {answers['monitor health'].stdout}")
        if "process_interval_best_rssi" not in answers["procedures exist"].stdout:
            failures.append("SHOW PROCEDURE STATUS lacks process_interval_best_rssi")
        for sql in ARCHIVE:
            run("archive", sql, user, password)

        # A processor that died 20 minutes ago (its lease expired 10 minutes ago): the README's
        # queries name it, its UPDATE clears the claim, and another monitor configured as
        # processor takes over (a new lease epoch) instead of refusing to start.
        tools_env.run_sql(store.peer, """
UPDATE monitors SET is_processor = TRUE, processor_claimed_at = NOW() - INTERVAL 20 MINUTE,
       last_seen = last_seen WHERE monitor_name = 'LivingRoom';
UPDATE processor_lease SET holder_monitor_id =
         (SELECT monitor_id FROM monitors WHERE monitor_name = 'LivingRoom'),
       granted_at = NOW() - INTERVAL 30 MINUTE, expires_at = NOW() - INTERVAL 10 MINUTE
 WHERE lease_id = 1;""", store.database)
        stale = run("which monitor is the processor", README_STATEMENTS[9][1], user, password)
        if "LivingRoom\t1" not in stale.stdout:
            failures.append(f"the README's processor query does not show the stale claim: "
                            f"{stale.stdout}")
        epoch_query = "SELECT epoch FROM processor_lease WHERE lease_id = 1;"
        epoch_before = rows(run("epoch", epoch_query, user, password))
        run("clear stale claim", CLEAR_STALE_CLAIM, user, password)
        left = run("after clearing", "SELECT COUNT(*) FROM monitors WHERE is_processor = TRUE;",
                   user, password)
        if rows(left) != ["0"]:
            failures.append(f"the stale claim is still there: {left.stdout}")
        takeover = tools_env.run_monitor(store, "Kitchen", "Kitchen", True, check=False)
        if takeover.returncode != 0:
            failures.append(f"Kitchen could not take over processing after the README's UPDATE: "
                            f"exit {takeover.returncode}\n{takeover.stderr.decode()}")
        epoch_after = rows(run("epoch", epoch_query, user, password))
        if not epoch_before or not epoch_after or int(epoch_after[0]) <= int(epoch_before[0]):
            failures.append(f"no new lease epoch after the takeover: {epoch_before} -> "
                            f"{epoch_after}")
    finally:
        store.drop()
    for failure in failures:
        print("FAIL:", failure)
    if not failures:
        print(f"{len(README_STATEMENTS) + len(ARCHIVE) + 1} README statements ran unchanged")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
