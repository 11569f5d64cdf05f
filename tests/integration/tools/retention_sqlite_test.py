#!/usr/bin/python3
"""Retention on SQLite (docs/database.md, "Retention"): SQLite has no partitions, so
`blemon-admin retention enable` says there is nothing to convert (exit 0) and the processor, with
[retention], deletes expired sightings and processed staging rows in batches; unprocessed rows
stay, and blemon-report's output for the kept days is byte for byte what it was before. The hourly
rollups of the hours wholly before the cut-off go with their sightings, and every other rollup row
counts its hour's sightings.

    retention_sqlite_test.py BIN_DIR
"""

import sys

import tools_env

DAYS = 45


def rows(result):
    lines = result.stdout.strip().splitlines()
    return lines[1:] if lines else []


def scalar(store, sql):
    found = rows(store.sql(sql))
    return found[0] if found else ""


def load_history(store):
    """Hourly sightings and processed staging rows of every device for 45 days before today."""
    hours = ", ".join(f"({h})" for h in range(1, DAYS * 24 + 1))
    store.sql(f"""
CREATE TEMP TABLE hours (h INTEGER);
INSERT INTO hours VALUES {hours};
INSERT INTO device_sightings (device_id, monitor_id, rssi, interval_start, interval_end,
                              sighting_timestamp)
SELECT d.device_id, 1 + d.device_id % 3, -50 - (h * 7 + d.device_id) % 40,
       datetime('now', 'start of day', '-' || h || ' hours'),
       datetime('now', 'start of day', '-' || h || ' hours', '+5 minutes'),
       datetime('now', 'start of day', '-' || h || ' hours', '+3 seconds')
FROM hours JOIN ble_devices d;
INSERT INTO sighting_staging (mac_address, monitor_id, rssi, interval_start, scan_timestamp,
                              processed)
SELECT d.mac_address, 1, -60, datetime('now', 'start of day', '-' || h || ' hours'),
       datetime('now', 'start of day', '-' || h || ' hours', '+3 seconds'), 1
FROM hours JOIN ble_devices d;""")


def check_rollups(store, failures):
    """No rollup row or stale mark of an hour wholly before the cut-off; every other rollup row
    (of an hour not waiting to be recomputed) counts its hour's sightings."""
    expired = scalar(store, """
SELECT (SELECT count(*) FROM hourly_rollups WHERE hour_start <= c) +
       (SELECT count(*) FROM hourly_rollup_stale WHERE hour_start <= c)
FROM (SELECT CAST(strftime('%s', 'now') AS INTEGER) - 30 * 86400 - 3600 AS c);""")
    if expired != "0":
        failures.append(f"{expired} rollup rows or stale marks left of expired hours")
    wrong = scalar(store, """
SELECT count(*) FROM hourly_rollups r LEFT JOIN (
    SELECT CAST(strftime('%s', interval_start) AS INTEGER) / 3600 * 3600 AS hour_start,
           monitor_id, count(*) AS n FROM device_sightings GROUP BY 1, 2) d
  USING (hour_start, monitor_id)
WHERE d.n IS NOT r.total_sightings
  AND r.hour_start NOT IN (SELECT hour_start FROM hourly_rollup_stale);""")
    if wrong != "0":
        failures.append(f"{wrong} rollup rows differ from device_sightings")


def main():
    store = tools_env.Store("sqlite", sys.argv[1], "retention")
    failures = []
    tools_env.run_fleet(store)
    load_history(store)
    tools_env.roll_up(store, failures.append)
    enable = store.run("blemon-admin", "retention", "enable").stdout.decode()
    if "Nothing to convert" not in enable:
        failures.append(f"retention enable on SQLite: {enable}")
    first, last = rows(store.sql("SELECT date('now', '-20 days'), date('now', '-2 days');"))[0] \
        .split("\t")
    report = ["--report", "hourly", "-s", first, "-e", last, "-f", "csv"]
    before = store.run("blemon-report", *report).stdout
    config = tools_env.monitor_config(store, "LivingRoom", "Living Room", True)
    with open(config, "a") as f:
        f.write("\n[retention]\nsightings_days = 30\nstaging_days = 7\n")
    result = store.run("blemon-monitor", "--single", "--simulate", config=config)
    log = result.stdout.decode() + result.stderr.decode()
    if "Retention: deleted" not in log:
        failures.append(f"the processor logged no deletes:\n{log}")
    after = store.run("blemon-report", *report).stdout
    if after != before or not before.strip():
        failures.append(f"the hourly report of the kept days changed:\n{before}\n---\n{after}")
    oldest = scalar(store, "SELECT julianday('now') - julianday(min(interval_start)) "
                           "FROM device_sightings;")
    if float(oldest) > 30.01:
        failures.append(f"device_sightings still reaches {oldest} days back")
    staged = scalar(store, "SELECT julianday('now') - julianday(min(interval_start)) "
                           "FROM sighting_staging;")
    if float(staged) > 7.01:
        failures.append(f"processed staging rows still reach {staged} days back")
    check_rollups(store, failures)
    for failure in failures:
        print("FAIL:", failure)
    print(f"{0 if failures else 1} passed, {1 if failures else 0} failed")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
