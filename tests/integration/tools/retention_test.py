#!/usr/bin/python3
"""Retention on MariaDB, end to end (docs/database.md, "Retention"):

1. `blemon-admin retention enable` converts device_sightings and sighting_staging of a database
   with 45 days of history to daily partitions while rows are written, updated and deleted
   between its batches; Ctrl-C (SIGINT) stops it between batches (exit 75, nothing printed but
   its summary when not on a terminal), a second run resumes it (on a terminal: a progress line
   with the time left) and the partitioned tables hold exactly the rows the originals held.
2. The processor (`blemon-monitor --single` with [retention]) drops the partitions older than
   the retention, keeps partitions ahead and a MAXVALUE catch-all, never drops unprocessed staging
   rows, and blemon-report's output for the kept days is byte for byte what it was before (the
   devices report but for the names the simulated cycle heard).
3. The hourly rollups survive both: after the swap the live table carries the rollup triggers, so
   a sighting written by hand to an already rolled-up hour changes its hourly report; after the
   drop no rollup row is left for an hour without sightings, every other one counts its hour's
   sightings, and the hourly report of an expired day is that of a day never seen.

    retention_test.py BIN_DIR
"""

import csv
import io
import os
import pty
import select
import signal
import subprocess
import sys
import time

import tools_env

HISTORY_HOURS = 45 * 24
FINGERPRINT = ("SELECT COUNT(*), SUM(CRC32(CONCAT_WS('|', sighting_id, device_id, monitor_id, rssi, "
               "interval_start, sighting_timestamp))) FROM device_sightings;")


def rows(result):
    lines = result.stdout.strip().splitlines()
    return lines[1:] if lines else []


def scalar(store, sql):
    found = rows(store.sql(sql))
    return found[0] if found else ""


def load_history(store):
    """Hourly sightings of every device for 45 days before today (UTC), oldest first so ids
    rise with time, and the same as processed staging rows, one unprocessed among them."""
    store.sql(f"""
INSERT INTO device_sightings (device_id, monitor_id, rssi, interval_start, interval_end,
                              sighting_timestamp)
SELECT d.device_id, 1 + (d.device_id % 3), -50 - CAST((s.seq * 7 + d.device_id) % 40 AS SIGNED),
       UTC_DATE() - INTERVAL s.seq HOUR, UTC_DATE() - INTERVAL s.seq HOUR + INTERVAL 5 MINUTE,
       UTC_DATE() - INTERVAL s.seq HOUR + INTERVAL 3 SECOND
FROM seq_{HISTORY_HOURS}_to_1_step_1 s JOIN ble_devices d ORDER BY s.seq DESC, d.device_id;
INSERT INTO sighting_staging (mac_address, monitor_id, rssi, interval_start, scan_timestamp,
                              processed)
SELECT d.mac_address, 1, -60, UTC_DATE() - INTERVAL s.seq HOUR,
       UTC_DATE() - INTERVAL s.seq HOUR + INTERVAL 3 SECOND, TRUE
FROM seq_{HISTORY_HOURS}_to_1_step_1 s JOIN ble_devices d ORDER BY s.seq DESC, d.device_id;
UPDATE sighting_staging SET processed = FALSE
WHERE interval_start = UTC_DATE() - INTERVAL 40 DAY LIMIT 1;""")


def report(store, kind, first_day, last_day):
    return store.run("blemon-report", "--report", kind, "-s", first_day, "-e", last_day,
                     "-f", "csv").stdout


def without_names(devices_csv):
    """The devices report without its device_name column: the simulated monitor's cycle may give
    a device of the history the name it advertises, which is no change retention made."""
    lines = csv.reader(io.StringIO(devices_csv.decode()))
    return [row[:1] + row[2:] for row in lines]


def interrupt_enable(store, failures):
    """Starts `retention enable`, sends SIGINT once a batch is copied; returns its output."""
    cmd = [store.binary("blemon-admin"), "-c", store.config_path, "retention", "enable",
           "--batch", "100"]
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            env=dict(os.environ, TZ=tools_env.TZ))
    deadline = time.monotonic() + 60
    state_sql = ("SELECT setting_value FROM fleet_settings "
                 "WHERE setting_name = 'partitioning_device_sightings';")
    while time.monotonic() < deadline:
        state = scalar(store, state_sql).split()
        if len(state) == 4 and int(state[2]) > 0:
            break
        time.sleep(0.05)
    proc.send_signal(signal.SIGINT)
    out, err = proc.communicate(timeout=120)
    out, err = out.decode(), err.decode()
    if proc.returncode != 75 or "stopped after copying" not in out:
        failures.append(f"SIGINT: expected exit 75 and a resume hint, got {proc.returncode}:\n"
                        f"{out}\n{err}")
    if "\r" in out + err or "left" in err:
        failures.append(f"not on a terminal, enable drew a progress line:\n{err}")
    return out


def write_while_paused(store):
    """Changes the triggers must carry into the copy: old (already copied) and new rows."""
    store.sql("""
UPDATE device_sightings SET rssi = -21 WHERE sighting_id = (SELECT MIN(sighting_id) FROM device_sightings);
DELETE FROM device_sightings WHERE sighting_id = (SELECT MIN(sighting_id) + 1 FROM device_sightings);
SET @newest = (SELECT MAX(sighting_id) FROM device_sightings WHERE interval_start < UTC_DATE());
UPDATE device_sightings SET rssi = -22 WHERE sighting_id = @newest;
DELETE FROM device_sightings WHERE sighting_id = @newest - 1;
INSERT INTO device_sightings (device_id, monitor_id, rssi, interval_start, interval_end)
SELECT MIN(device_id), 1, -40, UTC_DATE() + INTERVAL 1 DAY, UTC_DATE() + INTERVAL 1 DAY
FROM ble_devices;""")


def resume_on_terminal(store, failures):
    """Resumes `retention enable` with a pseudo-terminal as its stderr; returns what it drew."""
    master, slave = pty.openpty()
    cmd = [store.binary("blemon-admin"), "-c", store.config_path, "retention", "enable",
           "--batch", "200"]
    proc = subprocess.Popen(cmd, stdout=slave, stderr=slave,
                            env=dict(os.environ, TZ=tools_env.TZ))
    os.close(slave)
    drawn = b""
    while True:
        ready, _, _ = select.select([master], [], [], 120)
        if not ready:
            break
        try:
            chunk = os.read(master, 4096)
        except OSError:
            break
        if not chunk:
            break
        drawn += chunk
    proc.wait(timeout=120)
    os.close(master)
    text = drawn.decode(errors="replace")
    if proc.returncode != 0:
        failures.append(f"resumed enable exited {proc.returncode}:\n{text}")
    if "left" not in text or "rows/s" not in text:
        failures.append(f"on a terminal, no progress line with the time left:\n{text}")
    return text


def convert(store, failures):
    print(interrupt_enable(store, failures).strip())
    write_while_paused(store)
    expected = rows(store.sql(FINGERPRINT))
    drawn = resume_on_terminal(store, failures)
    print("on a terminal, the last lines drawn:", drawn.replace("\r", "\n").strip().splitlines()[-4:])
    got = rows(store.sql(FINGERPRINT))
    if got != expected:
        failures.append(f"device_sightings changed in the conversion: {expected} -> {got}")
    partitions = scalar(store, "SELECT COUNT(*) FROM information_schema.partitions WHERE "
                               "table_schema = DATABASE() AND table_name = 'sighting_staging' "
                               "AND partition_name IS NOT NULL;")
    if int(partitions or 0) < 45:
        failures.append(f"sighting_staging has {partitions} partitions, expected >= 45")
    triggers = scalar(store, "SELECT COUNT(*) FROM information_schema.triggers "
                             "WHERE trigger_schema = DATABASE() AND trigger_name LIKE "
                             "'blemon_partitioning%';")
    if triggers != "0":
        failures.append(f"{triggers} conversion triggers left behind")
    status = store.run("blemon-admin", "retention", "status").stdout.decode()
    if status.count("partitioned by day") != 2:
        failures.append(f"retention status does not show both tables partitioned:\n{status}")
    write_to_rolled_up_hour(store, failures)


def write_to_rolled_up_hour(store, failures):
    """A sighting of a new device in a rolled-up hour, written by hand after the swap: its hour's
    report line must change (it reads the rollups unless a trigger marked the hour stale)."""
    tables = rows(store.sql("SELECT trigger_name, event_object_table FROM information_schema."
                            "triggers WHERE trigger_schema = DATABASE() AND trigger_name LIKE "
                            "'rollup_sighting%' ORDER BY trigger_name;"))
    if [t.split("\t")[1] for t in tables] != ["device_sightings"] * 3:
        failures.append(f"the rollup triggers are not on the live device_sightings: {tables}")
    day = scalar(store, "SELECT UTC_DATE() - INTERVAL 10 DAY;")
    before = report(store, "hourly", day, day)
    store.sql("""
INSERT INTO ble_devices (mac_address) VALUES ('02:00:00:00:0A:01');
INSERT INTO device_sightings (device_id, monitor_id, rssi, interval_start, interval_end)
VALUES (LAST_INSERT_ID(), 1, -45, UTC_DATE() - INTERVAL 10 DAY + INTERVAL 330 MINUTE,
        UTC_DATE() - INTERVAL 10 DAY + INTERVAL 335 MINUTE);""")
    if report(store, "hourly", day, day) == before:
        failures.append(f"a sighting written after the swap is missing from the hourly report of "
                        f"{day}: its hour was not marked stale")


def check_rollups_after_drop(store, failures):
    """No rollup row of an hour without sightings; each other counts its hour's sightings; the
    report of an expired day is the report of a day that never had any."""
    wrong = scalar(store, """
SELECT COUNT(*), MIN(CONCAT_WS(' ', r.hour_start, r.monitor_id, r.total_sightings, d.n))
FROM hourly_rollups r LEFT JOIN (
    SELECT UNIX_TIMESTAMP(interval_start) DIV 3600 * 3600 AS hour_start, monitor_id, COUNT(*) AS n
    FROM device_sightings GROUP BY 1, 2) d USING (hour_start, monitor_id)
WHERE NOT (d.n <=> r.total_sightings)
  AND r.hour_start NOT IN (SELECT hour_start FROM hourly_rollup_stale);""")
    if not wrong.startswith("0\t"):
        failures.append(f"rollup rows differ from device_sightings after the drop (how many, "
                        f"the first: hour, monitor, rolled up, counted): {wrong}")
    days = rows(store.sql("SELECT UTC_DATE() - INTERVAL 40 DAY, UTC_DATE() - INTERVAL 400 DAY;"))
    expired, never = days[0].split("\t")
    got, empty = report(store, "hourly", expired, expired), report(store, "hourly", never, never)
    if got.replace(expired.encode(), b"") != empty.replace(never.encode(), b""):
        failures.append(f"the hourly report of the expired day {expired} is not empty:\n{got}")


def apply_retention(store, failures):
    config = tools_env.monitor_config(store, "LivingRoom", "Living Room", True)
    with open(config, "a") as f:
        f.write("\n[retention]\nsightings_days = 30\nstaging_days = 7\n")
    days = rows(store.sql("SELECT UTC_DATE() - INTERVAL 20 DAY, UTC_DATE() - INTERVAL 2 DAY;"))
    first_day, last_day = days[0].split("\t")
    before = {kind: report(store, kind, first_day, last_day) for kind in ("hourly", "devices")}
    started = time.monotonic()
    result = store.run("blemon-monitor", "--single", "--simulate", config=config)
    log = result.stdout.decode() + result.stderr.decode()
    if "Retention: device_sightings dropped" not in log:
        failures.append(f"the processor logged no dropped partitions:\n{log}")
    for kind, text in before.items():
        after = report(store, kind, first_day, last_day)
        same = after == text if kind == "hourly" else without_names(after) == without_names(text)
        if not same or not text.strip():
            failures.append(f"the {kind} report of the kept days changed:\n{text}\n---\n{after}")
    oldest = scalar(store, "SELECT DATEDIFF(UTC_DATE(), MIN(interval_start)) FROM device_sightings;")
    if int(oldest) > 31:
        failures.append(f"device_sightings still reaches {oldest} days back")
    unprocessed = scalar(store, "SELECT COUNT(*) FROM sighting_staging WHERE processed = FALSE "
                                "AND interval_start < UTC_DATE() - INTERVAL 7 DAY;")
    if unprocessed != "0":
        # The processor processed it before retention ran: that is what must happen first.
        failures.append(f"{unprocessed} old unprocessed staging rows left unprocessed")
    ahead = scalar(store, "SELECT MAX(partition_description) FROM information_schema.partitions "
                          "WHERE table_schema = DATABASE() AND table_name = 'device_sightings' "
                          "AND partition_description <> 'MAXVALUE';")
    if int(ahead) < int(scalar(store, "SELECT UNIX_TIMESTAMP(UTC_DATE() + INTERVAL 4 DAY);")):
        failures.append("no daily partitions 3 days ahead")
    print(f"processor cycle with retention: {time.monotonic() - started:.2f} s")
    check_rollups_after_drop(store, failures)


def main():
    store = tools_env.Store("mariadb", sys.argv[1], "retention")
    failures = []
    try:
        store.run("blemon-admin", "migrate")
        tools_env.run_fleet(store)
        load_history(store)
        tools_env.roll_up(store, failures.append)
        convert(store, failures)
        apply_retention(store, failures)
    finally:
        store.drop()
    for failure in failures:
        print("FAIL:", failure)
    print(f"{0 if failures else 1} passed, {1 if failures else 0} failed")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
