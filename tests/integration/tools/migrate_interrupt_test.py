#!/usr/bin/python3
"""blemon-admin migrate stopped mid-way on the original tool's schema (version 0) with data in it:

  * Ctrl-C while a migration waits (a client holds a metadata lock on device_sightings, which
    001_blemon alters): that migration completes, the run stops before the next, exit 75, the
    schema at a recorded version; migrate again ends at the latest version;
  * SIGKILL inside that same migration (deterministic: it is waiting on the lock), and SIGKILL
    after a range of delays (landing inside or between later migrations): migrate again, at once
    (the killed run's migration lock is seen to be stale), ends at the latest version, `check`
    passes, and the original rows are all there, unchanged.

    migrate_interrupt_test.py BIN_DIR
"""

import os
import re
import signal
import subprocess
import sys
import time

import tools_env

SEED = os.path.join(tools_env.HERE, "..", "..", "..", "schema", "mariadb", "000_seed.sql")
DATA = """
INSERT INTO monitors (monitor_id, monitor_name, location) VALUES (1, 'old', 'Hall'), (2, 'other', 'Shed');
INSERT INTO ble_devices (device_id, mac_address, device_name) VALUES
  (1, 'AA:00:00:00:00:01', 'one'), (2, 'AA:00:00:00:00:02', NULL), (3, 'AA:00:00:00:00:03', 'three');
INSERT INTO device_sightings (device_id, monitor_id, rssi, interval_start, sighting_timestamp) VALUES
  (1, 1, -50, '2024-01-01 00:00:00', '2024-01-01 00:00:03'),
  (2, 2, -61, '2024-01-01 00:00:00', '2024-01-01 00:00:04'),
  (3, 1, -70, '2024-01-01 00:05:00', '2024-01-01 00:05:01');
INSERT INTO sighting_staging (mac_address, monitor_id, rssi, interval_start, scan_timestamp, processed) VALUES
  ('AA:00:00:00:00:01', 1, -50, '2024-01-01 00:00:00', '2024-01-01 00:00:03', 1),
  ('AA:00:00:00:00:04', 2, -80, '2024-01-01 00:10:00', '2024-01-01 00:10:02', 0);
"""
FINGERPRINT = """
SELECT 'monitors', COUNT(*), GROUP_CONCAT(monitor_id, monitor_name, location ORDER BY monitor_id) FROM monitors
UNION ALL SELECT 'devices', COUNT(*), GROUP_CONCAT(device_id, mac_address, COALESCE(device_name, '-') ORDER BY device_id) FROM ble_devices
UNION ALL SELECT 'sightings', COUNT(*), GROUP_CONCAT(device_id, monitor_id, rssi, interval_start ORDER BY sighting_id) FROM device_sightings
UNION ALL SELECT 'staging', COUNT(*), GROUP_CONCAT(mac_address, rssi, processed ORDER BY staging_id) FROM sighting_staging;
"""


def main():
    bin_dir = sys.argv[1]
    store = tools_env.Store("mariadb", bin_dir, "migrate_interrupt")
    failures = []

    def expect(condition, what):
        if not condition:
            failures.append(what)

    def sql(text):
        return store.sql(text).stdout

    def fresh_seed():
        tools_env.run_sql(store.peer, f"DROP DATABASE IF EXISTS `{store.database}`; "
                                      f"CREATE DATABASE `{store.database}` CHARACTER SET utf8mb4;")
        with open(SEED) as f:
            sql(f.read())
        sql(DATA)

    def version():
        try:
            return int(sql("SELECT COALESCE(MAX(version), 0) FROM schema_version;").split()[-1])
        except RuntimeError:  # no schema_version yet: the original tool's schema, version 0
            return 0

    def start_migrate():
        return subprocess.Popen([store.binary("blemon-admin"), "-c", store.config_path, "migrate"],
                                stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                                env=dict(os.environ, TZ=tools_env.TZ))

    def wait_for_lock_wait(proc):
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline and proc.poll() is None:
            waiting = sql("SELECT COUNT(*) FROM information_schema.processlist "
                          "WHERE state LIKE 'Waiting for table metadata lock%';").split()[-1]
            if waiting != "0":
                return True
            time.sleep(0.05)
        return False

    def hold_metadata_lock(seconds=4):
        # An open transaction that has read device_sightings holds its metadata lock until it
        # ends (here: after a SLEEP): the migration's ALTER TABLE waits behind it meanwhile.
        cmd = tools_env.mariadb_client(store.peer, store.peer["admin_user"],
                                       store.peer["admin_password"], store.database)
        client = subprocess.Popen(cmd + ["-e", "BEGIN; SELECT COUNT(*) FROM device_sightings; "
                                               f"SELECT SLEEP({seconds}); COMMIT;"],
                                  stdout=subprocess.DEVNULL)
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            if sql("SELECT COUNT(*) FROM information_schema.processlist "
                   "WHERE info LIKE 'SELECT SLEEP(%';").split()[-1] != "0":
                break
            time.sleep(0.02)
        return client

    def finish_and_check(what):
        started = time.monotonic()
        r = store.run("blemon-admin", "migrate", check=False)
        took = time.monotonic() - started
        out = r.stdout.decode() + r.stderr.decode()
        expect(r.returncode == 0, f"{what}: migrate again exits {r.returncode}:\n{out}")
        expect(re.search(r"Upgraded the schema from version \d+ to \d+|already at version", out),
               f"{what}: migrate again says what it did:\n{out}")
        expect(took < 60, f"{what}: migrate again took {took:.0f} s (waited for a dead lock?)")
        r = store.run("blemon-admin", "check", check=False)
        expect(r.returncode == 0, f"{what}: check after migrate again:\n{r.stdout.decode()}")
        expect(sql(FINGERPRINT) == original,
               f"{what}: the original rows changed:\n{sql(FINGERPRINT)}")

    try:
        fresh_seed()
        original = sql(FINGERPRINT)

        # Ctrl-C while 001 waits for the lock: 001 completes, the run stops before 002.
        client = hold_metadata_lock()
        proc = start_migrate()
        expect(wait_for_lock_wait(proc), "migrate never waited for the metadata lock")
        proc.send_signal(signal.SIGINT)
        client.wait(timeout=30)  # the transaction ends: the ALTER goes on
        out, err = proc.communicate(timeout=60)
        out = out.decode() + err.decode()
        expect(proc.returncode == 75, f"Ctrl-C: exit {proc.returncode}, expected 75:\n{out}")
        stopped_at = version()
        expect(f"Stopped by Ctrl-C at schema version {stopped_at} (from 0)" in out,
               f"Ctrl-C: says where it stopped (version {stopped_at}):\n{out}")
        expect(stopped_at == 1, f"Ctrl-C: stopped at version {stopped_at}, expected 1")
        finish_and_check("Ctrl-C")
        latest = version()

        # SIGKILL inside 001 (waiting on the lock, some of its statements done).
        fresh_seed()
        client = hold_metadata_lock()
        proc = start_migrate()
        expect(wait_for_lock_wait(proc), "migrate never waited for the metadata lock (kill)")
        proc.kill()
        proc.wait()
        client.wait(timeout=30)
        expect(version() == 0, f"killed inside 001 yet version {version()} is recorded")
        finish_and_check("SIGKILL inside 001")

        # SIGKILL after a range of delays: inside or between later migrations.
        reached = set()
        for delay in (0.05, 0.1, 0.2, 0.3, 0.45, 0.6, 0.8, 1.0, 1.3, 1.7):
            fresh_seed()
            proc = start_migrate()
            time.sleep(delay)
            proc.kill()
            proc.wait()
            reached.add(version())
            finish_and_check(f"SIGKILL after {delay} s")
            expect(version() == latest, f"SIGKILL after {delay} s: at {version()}, not {latest}")
        print(f"killed at recorded versions {sorted(reached)}; each rerun ended at {latest}")
    finally:
        store.drop()
    for failure in failures:
        print("FAIL:", failure)
    if not failures:
        print("migrate stops between migrations and resumes after a kill, data kept")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
