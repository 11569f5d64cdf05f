#!/usr/bin/python3
"""blemon-admin archive stopped mid-way, by Ctrl-C (SIGINT), by SIGTERM and by SIGKILL, then run
to the end: after every stop each original sighting is in exactly one of device_sightings and
device_sightings_archive, with the same values, and the final run leaves only the recent rows.

    archive_interrupt_test.py sqlite|mariadb BIN_DIR
"""

import os
import re
import signal
import subprocess
import sys
import time

import tools_env

OLD_ROWS = 20000
CHUNK = 20  # small, so that a run takes long enough to be stopped several times


def rows(store, table):
    out = store.sql(f"SELECT sighting_id, device_id, monitor_id, rssi, interval_start "
                    f"FROM {table} ORDER BY sighting_id;").stdout.strip().splitlines()
    return [line for line in out[1:] if line.strip()]


def count(store, table):
    try:
        return int(store.sql(f"SELECT COUNT(*) FROM {table};").stdout.strip().splitlines()[-1])
    except (RuntimeError, Exception):  # the archive table does not exist yet
        return 0


def load(store):
    store.run("blemon-admin", "migrate")
    store.sql("INSERT INTO monitors (monitor_id, monitor_name, location, is_active) "
              "VALUES (9, 'archiver', 'Shed', 1);")
    devices = 200
    store.sql("INSERT INTO ble_devices (device_id, mac_address, first_seen, last_seen) VALUES "
              + ",".join(f"({1000 + d}, 'AA:00:00:00:{d // 256:02X}:{d % 256:02X}', "
                         "'2020-01-01 00:00:00', '2020-01-01 00:00:00')" for d in range(devices))
              + ";")
    values = []
    for i in range(OLD_ROWS):
        # 100 intervals of 300 s in 2020, each device once per interval.
        start = 1577836800 + (i // devices) * 300
        t = time.strftime("%Y-%m-%d %H:%M:%S", time.gmtime(start))
        values.append(f"({1000 + i % devices}, 9, {-40 - i % 50}, '{t}', '{t}')")
    values.append(f"(1000, 9, -50, '2036-01-01 00:00:00', '2036-01-01 00:00:05')")
    for at in range(0, len(values), 2000):
        store.sql("INSERT INTO device_sightings (device_id, monitor_id, rssi, interval_start, "
                  "sighting_timestamp) VALUES " + ",".join(values[at:at + 2000]) + ";")


def stop_mid_way(store, signo):
    """Starts an archive run, stops it with `signo` once it has moved rows, returns its result."""
    before = count(store, "device_sightings_archive")
    cmd = [store.binary("blemon-admin"), "-c", store.config_path, "archive", "--older-than", "90",
           "--chunk", str(CHUNK)]
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            env=dict(os.environ, TZ=tools_env.TZ))
    deadline = time.monotonic() + 60
    while count(store, "device_sightings_archive") <= before and proc.poll() is None:
        if time.monotonic() > deadline:
            proc.kill()
            raise AssertionError("archive moved nothing within 60 s")
        time.sleep(0.02)
    proc.send_signal(signo)
    out, err = proc.communicate(timeout=60)
    return proc.returncode, out.decode() + err.decode()


def main():
    backend, bin_dir = sys.argv[1], sys.argv[2]
    store = tools_env.Store(backend, bin_dir, "archive_interrupt")
    failures = []

    def expect(condition, what):
        if not condition:
            failures.append(what)

    try:
        load(store)
        original = set(rows(store, "device_sightings"))
        expect(len(original) == OLD_ROWS + 1, f"loaded {len(original)} rows")

        def check_nothing_lost(after):
            left = set(rows(store, "device_sightings"))
            archived = rows(store, "device_sightings_archive")
            expect(len(archived) == len(set(archived)), f"after {after}: a row archived twice")
            expect(not (left & set(archived)), f"after {after}: a row both archived and left")
            expect(left | set(archived) == original, f"after {after}: rows lost or changed")
            return len(archived)

        for signo, name in ((signal.SIGINT, "Ctrl-C"), (signal.SIGTERM, "SIGTERM")):
            code, out = stop_mid_way(store, signo)
            archived = check_nothing_lost(name)
            expect(code == 75, f"{name}: exit {code}, expected 75:\n{out}")
            m = re.search(rf"Stopped by {name} after archiving (\d+) of (\d+) sightings", out)
            expect(m is not None, f"{name}: no 'Stopped by' line:\n{out}")
            expect("Run the same command again to continue" in out, f"{name}: no hint:\n{out}")
            expect(0 < archived < OLD_ROWS, f"{name}: stopped at {archived} of {OLD_ROWS}")
            if m:
                expect(int(m.group(2)) + archived - int(m.group(1)) == OLD_ROWS,
                       f"{name}: the counts in '{m.group(0)}' do not add up to {OLD_ROWS}")

        # Killed outright: the transaction in flight is rolled back, the chunks before it stay.
        code, out = stop_mid_way(store, signal.SIGKILL)
        expect(code == -signal.SIGKILL, f"SIGKILL: exit {code}:\n{out}")
        archived = check_nothing_lost("SIGKILL")

        result = store.run("blemon-admin", "archive", "--older-than", "90", "--chunk", "500",
                           check=False)
        out = result.stdout.decode() + result.stderr.decode()
        expect(result.returncode == 0, f"final run: exit {result.returncode}:\n{out}")
        expect(f"Archived {OLD_ROWS - archived} sightings" in out,
               f"final run moves the {OLD_ROWS - archived} rows left:\n{out}")
        check_nothing_lost("the final run")
        expect(count(store, "device_sightings") == 1, "only the recent row stays")
    finally:
        store.drop()
    for failure in failures:
        print("FAIL:", failure)
    if not failures:
        print(f"archive stops and resumes without loss on {backend}")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
