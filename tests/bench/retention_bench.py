#!/usr/bin/python3
"""Dropping a day with 400 daily partitions (docs/database.md, "Retention"), on a small and a
large device_sightings:

  * a database is made with blemon-admin migrate, one seed sighting per day for 400 days, then
    `blemon-admin retention enable` (which lays out a partition per day from the oldest), then the
    bulk of the rows is generated server-side into the partitioned table;
  * the hourly and devices reports of days 30 to 2 ago are taken;
  * the oldest day is dropped the way the processor does it, `ALTER TABLE device_sightings DROP
    PARTITION`, timed (best and worst of 3 days), and the same for sighting_staging;
  * for comparison, deleting one day of the same table in 10,000-row batches (what retention does
    on an unpartitioned table) is timed on the large one;
  * the reports are taken again and must be byte for byte the same.

Then `retention enable` converts an unpartitioned device_sightings of CONVERT_ROWS rows (default
500,000) and its rate gives the time for 10 million rows.

Fails if a drop takes 1 s or more, or a report of the kept days changed.

    retention_bench.py BIN_DIR TOOLS_TEST_DIR [LARGE_ROWS [CONVERT_ROWS]]
"""

import sys
import time

sys.path.insert(0, sys.argv[2])
import tools_env  # noqa: E402

DAYS = 400
SMALL_ROWS = 40_000
LARGE_ROWS = int(sys.argv[3]) if len(sys.argv) > 3 else 2_000_000
DEVICES = 2000
MONITORS = 3
CONVERT_ROWS = int(sys.argv[4]) if len(sys.argv) > 4 else 500_000
CHUNK = 500_000


def scalar(store, sql):
    return store.sql(sql).stdout.split("\n")[1].strip()


def seed(store):
    """Monitors, devices, and one sighting and staging row per day for DAYS days."""
    store.run("blemon-admin", "migrate")
    store.sql("\n".join(
        [f"INSERT INTO monitors (monitor_id, monitor_name, location, is_active, last_seen) "
         f"VALUES ({i}, 'monitor-{i}', 'Room {i}', 1, NOW());" for i in range(1, MONITORS + 1)]
        + [f"""
INSERT INTO ble_devices (device_id, mac_address, first_seen, last_seen)
SELECT seq + 1, CONCAT('AA:BB:CC:', LPAD(HEX(seq DIV 65536), 2, '0'), ':',
       LPAD(HEX(seq DIV 256 MOD 256), 2, '0'), ':', LPAD(HEX(seq MOD 256), 2, '0')), NOW(), NOW()
FROM seq_0_to_{DEVICES - 1};
INSERT INTO device_sightings (device_id, monitor_id, rssi, interval_start, interval_end)
SELECT 1, 1, -50, UTC_DATE() - INTERVAL seq DAY, UTC_DATE() - INTERVAL seq DAY + INTERVAL 5 MINUTE
FROM seq_1_to_{DAYS};
INSERT INTO sighting_staging (mac_address, monitor_id, rssi, interval_start, processed)
SELECT 'AA:BB:CC:00:00:00', 1, -50, UTC_DATE() - INTERVAL seq DAY, TRUE FROM seq_1_to_{DAYS};"""]))
    t0 = time.monotonic()
    store.run("blemon-admin", "retention", "enable")
    print(f"  retention enable on the seeded tables: {time.monotonic() - t0:.1f} s", flush=True)


def load(store, rows):
    """`rows` sightings and as many staging rows spread evenly over the DAYS days, into the
    partitioned tables (devices 2.. at each 5-minute interval, so the unique key holds)."""
    per_interval = max(1, -(-rows // (DAYS * 288)))
    t0 = time.monotonic()
    for start in range(0, rows, CHUNK):
        end = min(start + CHUNK, rows) - 1
        at = (f"FROM_UNIXTIME(UNIX_TIMESTAMP(UTC_DATE() - INTERVAL {DAYS} DAY) "
              f"+ (seq DIV {per_interval}) * 300)")
        store.sql(f"""
SET unique_checks = 0;
INSERT INTO device_sightings (device_id, monitor_id, rssi, interval_start, interval_end,
                              sighting_timestamp)
SELECT 2 + seq MOD {per_interval}, 1 + seq MOD {MONITORS}, -40 - CAST(seq MOD 50 AS SIGNED),
       {at}, {at} + INTERVAL 5 MINUTE, {at} + INTERVAL 3 SECOND
FROM seq_{start}_to_{end};
INSERT INTO sighting_staging (mac_address, monitor_id, rssi, interval_start, scan_timestamp,
                              processed)
SELECT 'AA:BB:CC:00:00:01', 1 + seq MOD {MONITORS}, -60, {at}, {at} + INTERVAL 3 SECOND, TRUE
FROM seq_{start}_to_{end};""")
        print(f"  loaded {end + 1:,} rows per table ({time.monotonic() - t0:.0f} s)", flush=True)
    store.sql("ANALYZE TABLE device_sightings, sighting_staging;")


def reports(store):
    days = store.sql("SELECT UTC_DATE() - INTERVAL 30 DAY, UTC_DATE() - INTERVAL 2 DAY;")
    first, last = days.stdout.split("\n")[1].split("\t")
    return {kind: store.run("blemon-report", "--report", kind, "-s", first, "-e", last.strip(),
                            "-f", "csv").stdout for kind in ("hourly", "devices")}


def oldest_daily(store, table):
    return scalar(store, f"SELECT partition_name FROM information_schema.partitions "
                         f"WHERE table_schema = DATABASE() AND table_name = '{table}' "
                         f"AND partition_name REGEXP '^p[0-9]{{8}}$' "
                         f"ORDER BY partition_ordinal_position LIMIT 1;")


def time_drop(store, table):
    """Drops the oldest daily partition of `table`; seconds as the server measured them."""
    name = oldest_daily(store, table)
    took = store.sql(f"SET @t0 = NOW(6); ALTER TABLE {table} DROP PARTITION {name}; "
                     f"SELECT TIMESTAMPDIFF(MICROSECOND, @t0, NOW(6));")
    return int(took.stdout.split()[-1]) / 1e6, name


def time_batched_delete(store):
    """Deletes the oldest remaining day of device_sightings in 10,000-row batches."""
    day = scalar(store, "SELECT DATE(MIN(interval_start)) FROM device_sightings;")
    t0 = time.monotonic()
    while True:
        left = store.sql(f"DELETE FROM device_sightings WHERE interval_start < '{day}' "
                         f"+ INTERVAL 1 DAY LIMIT 10000; SELECT ROW_COUNT();")
        if int(left.stdout.split()[-1]) < 10000:
            break
    return time.monotonic() - t0


def bench(bin_dir, label, rows, failures):
    store = tools_env.Store("mariadb", bin_dir, f"retention_{label}")
    try:
        print(f"{label}: {rows:,} rows per table over {DAYS} days", flush=True)
        seed(store)
        load(store, rows)
        partitions = scalar(store, "SELECT COUNT(*) FROM information_schema.partitions WHERE "
                                   "table_schema = DATABASE() AND table_name = "
                                   "'device_sightings' AND partition_name REGEXP '^p[0-9]{8}$';")
        total = int(scalar(store, "SELECT COUNT(*) FROM device_sightings;"))
        before = reports(store)
        drops = {}
        for table in ("device_sightings", "sighting_staging"):
            drops[table] = [time_drop(store, table)[0] for _ in range(3)]
        after = reports(store)
        for kind in before:
            if before[kind] != after[kind] or not before[kind].strip():
                failures.append(f"{label}: the {kind} report of the kept days changed")
        for table, times in drops.items():
            print(f"  {table}: {total:,} rows, {partitions} daily partitions: DROP PARTITION of "
                  f"one day {min(times) * 1000:.0f} ms best, {max(times) * 1000:.0f} ms worst")
            if max(times) >= 1.0:
                failures.append(f"{label}: dropping a day of {table} took {max(times):.2f} s")
        if rows >= 1_000_000:
            print(f"  for comparison, deleting one day ({rows // DAYS:,} rows) of "
                  f"device_sightings in 10,000-row batches: {time_batched_delete(store):.2f} s")
        print(f"  reports of the kept days (30 to 2 days ago) before and after: identical "
              f"({len(before['hourly'].splitlines())} hourly lines)", flush=True)
    finally:
        store.drop()


def bench_conversion(bin_dir, rows):
    """Times `retention enable` on an unpartitioned device_sightings of `rows` rows."""
    store = tools_env.Store("mariadb", bin_dir, "retention_convert")
    try:
        store.run("blemon-admin", "migrate")
        per_interval = 50
        store.sql(f"""
INSERT INTO monitors (monitor_id, monitor_name) VALUES (1, 'monitor-1');
INSERT INTO ble_devices (device_id, mac_address)
SELECT seq + 1, CONCAT('AA:BB:CC:DD:', LPAD(HEX(seq DIV 256), 2, '0'), ':',
       LPAD(HEX(seq MOD 256), 2, '0')) FROM seq_0_to_{per_interval - 1};
SET foreign_key_checks = 0, unique_checks = 0;
INSERT INTO device_sightings (device_id, monitor_id, rssi, interval_start, interval_end)
SELECT 1 + seq MOD {per_interval}, 1, -60,
       UTC_DATE() - INTERVAL 1 DAY - INTERVAL (seq DIV {per_interval}) * 300 SECOND,
       UTC_DATE() - INTERVAL 1 DAY - INTERVAL (seq DIV {per_interval}) * 300 SECOND
           + INTERVAL 5 MINUTE
FROM seq_0_to_{rows - 1};""")
        days = scalar(store, "SELECT DATEDIFF(UTC_DATE(), MIN(interval_start)) FROM device_sightings;")
        t0 = time.monotonic()
        store.run("blemon-admin", "retention", "enable")
        took = time.monotonic() - t0
        print(f"conversion: retention enable of {rows:,} sightings over {days} days: {took:.0f} s, "
              f"{rows / took:,.0f} rows/s; 10,000,000 rows: about "
              f"{10_000_000 / (rows / took) / 60:.0f} min", flush=True)
    finally:
        store.drop()


def main():
    failures = []
    bench(sys.argv[1], "small", SMALL_ROWS, failures)
    bench(sys.argv[1], "large", LARGE_ROWS, failures)
    bench_conversion(sys.argv[1], CONVERT_ROWS)
    for failure in failures:
        print("FAIL:", failure)
    print(f"{0 if failures else 1} passed, {1 if failures else 0} failed")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
