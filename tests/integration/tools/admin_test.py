#!/usr/bin/python3
"""blemon-admin on one store: check (healthy, and each common failure diagnosed), migrate (safe to
rerun; on MariaDB also upgrades the original tool's schema in place), cleanup-staging (processed
rows only), archive (chunks, resumable, nothing lost), processor status / release, identity add /
list / remove (the key never printed back).

    admin_test.py sqlite|mariadb BIN_DIR
"""

import hashlib
import os
import re
import subprocess
import sys

import tools_env


class Checker:
    def __init__(self):
        self.failures = []

    def expect(self, condition, what):
        if not condition:
            self.failures.append(what)

    def contains(self, result, pattern, what, code=0):
        out = result.stdout.decode() + result.stderr.decode()
        self.expect(result.returncode == code, f"{what}: exit {result.returncode}, expected {code}:\n{out}")
        self.expect(re.search(pattern, out), f"{what}: output lacks /{pattern}/:\n{out}")


def count(store, sql):
    out = store.sql(sql).stdout.strip().splitlines()
    return int(out[-1])


def test_check_and_migrate(store, c):
    # Before anything exists, check says what to do.
    r = store.run("blemon-admin", "check", check=False)
    if store.backend == "sqlite":
        c.contains(r, r"does not exist.*blemon-admin migrate", "check before migrate", 69)
    else:
        c.contains(r, r"no blemon tables.*blemon-admin migrate", "check before migrate", 1)
    c.contains(store.run("blemon-admin", "migrate", check=False), r"Created the schema at version \d+",
               "first migrate")
    c.contains(store.run("blemon-admin", "migrate", check=False), r"already at version \d+",
               "second migrate")
    r = store.run("blemon-admin", "check", check=False)
    c.contains(r, r"Connection: ok", "check after migrate")
    c.contains(r, r"All checks passed", "check after migrate")
    c.contains(r, r"device_sightings\s+0 rows", "check counts rows")


def test_cleanup(store, c):
    store.sql("""
INSERT INTO monitors (monitor_id, monitor_name, location, is_active, last_seen)
VALUES (9, 'cleaner', 'Shed', 1, '2026-01-01 00:00:00');
INSERT INTO sighting_staging (mac_address, monitor_id, rssi, interval_start, scan_timestamp, processed)
VALUES ('AA:00:00:00:00:01', 9, -50, '2020-01-01 00:00:00', '2020-01-01 00:00:01', 1),
       ('AA:00:00:00:00:02', 9, -50, '2020-01-01 00:00:00', '2020-01-01 00:00:01', 1),
       ('AA:00:00:00:00:03', 9, -50, '2020-01-01 00:05:00', '2020-01-01 00:05:01', 0),
       ('AA:00:00:00:00:04', 9, -50, '2037-01-01 00:00:00', '2037-01-01 00:00:01', 1);
""")
    r = store.run("blemon-admin", "cleanup-staging", "--days", "7", check=False)
    c.contains(r, r"Deleted 2 processed staging rows", "cleanup deletes old processed rows")
    c.contains(r, r"Kept 1 UNPROCESSED rows", "cleanup reports old unprocessed rows")
    c.expect(count(store, "SELECT COUNT(*) FROM sighting_staging;") == 2,
             "cleanup kept the unprocessed and the recent row")


def test_archive(store, c):
    rows = []
    for i in range(23):
        rows.append(f"({100 + i}, 'AA:00:00:00:01:{i:02X}', NULL, '2020-01-01 00:00:00', '2020-01-01 00:00:00')")
    store.sql("INSERT INTO ble_devices (device_id, mac_address, device_name, first_seen, last_seen) VALUES "
              + ",".join(rows) + ";")
    sightings = []
    for i in range(23):
        sightings.append(f"({100 + i}, 9, -60, '2020-02-01 00:{i:02}:00', '2020-02-01 00:{i:02}:05')")
    sightings.append("(100, 9, -60, '2036-01-01 00:00:00', '2036-01-01 00:00:05')")
    store.sql("INSERT INTO device_sightings (device_id, monitor_id, rssi, interval_start, sighting_timestamp) VALUES "
              + ",".join(sightings) + ";")
    total = count(store, "SELECT COUNT(*) FROM device_sightings;")
    r = store.run("blemon-admin", "archive", "--older-than", "90", "--chunk", "10", check=False)
    c.contains(r, r"Archived 23 sightings", "archive moves every old row")
    c.expect(b"\r" not in r.stdout + r.stderr and b"rows/s" not in r.stdout + r.stderr,
             "no progress line when not on a terminal")
    c.expect(count(store, "SELECT COUNT(*) FROM device_sightings;") == 1, "the recent row stays")
    c.expect(count(store, "SELECT COUNT(*) FROM device_sightings_archive;") == 23,
             "the archive holds the old rows")
    # Resumable and idempotent: a rerun finds nothing more and loses nothing.
    r = store.run("blemon-admin", "archive", "--older-than", "90", check=False)
    c.contains(r, r"Archived 0 sightings", "a rerun archives nothing")
    c.expect(count(store, "SELECT COUNT(*) FROM device_sightings;")
             + count(store, "SELECT COUNT(*) FROM device_sightings_archive;") == total,
             "no row lost or duplicated by archiving")


def test_processor(store, c):
    c.contains(store.run("blemon-admin", "processor", "status", check=False), r"Processor:\s+none",
               "status without a processor")
    if store.backend == "sqlite":
        store.sql("""
UPDATE processor_lease SET holder_monitor_id = 9, epoch = 4, granted_at = datetime('now', '-1200 seconds'),
       expires_at = datetime('now', '-600 seconds') WHERE lease_id = 1;
UPDATE monitors SET is_processor = 1, processor_claimed_at = datetime('now', '-600 seconds') WHERE monitor_id = 9;
""")
    else:
        store.sql("""
UPDATE processor_lease SET holder_monitor_id = 9, epoch = 4, granted_at = NOW() - INTERVAL 1200 SECOND,
       expires_at = NOW() - INTERVAL 600 SECOND WHERE lease_id = 1;
UPDATE monitors SET is_processor = 1, processor_claimed_at = NOW() - INTERVAL 600 SECOND WHERE monitor_id = 9;
""")
    r = store.run("blemon-admin", "processor", "status", check=False)
    c.contains(r, r"Processor:\s+cleaner \(monitor 9\), epoch 4", "status names the holder")
    c.contains(r, r"for 20m", "status says for how long")
    c.contains(r, r"EXPIRED 10m\d\ds ago", "status says the lease expired")
    c.contains(store.run("blemon-admin", "processor", "release", check=False),
               r"Released the processor lease held by cleaner", "release")
    c.expect(count(store, "SELECT COUNT(*) FROM monitors WHERE is_processor = 1;") == 0,
             "release clears the monitors' claim (the README's troubleshooting query)")
    c.contains(store.run("blemon-admin", "processor", "status", check=False), r"Processor:\s+none \(epoch 4\)",
               "after release nobody holds it; the epoch stays for fencing")


# The Core specification's sample key (Vol 3, Part H, Appendix D.7), as an owner might paste it.
SAMPLE_IRK = "ec0234a357c8ad05341010a60a397d9b"


def test_identities(store, c):
    key = " ".join(SAMPLE_IRK[i:i + 8] for i in range(0, 32, 8))
    fingerprint = hashlib.sha256(bytes.fromhex(SAMPLE_IRK)).hexdigest()[:8]
    reversed_key = bytes.fromhex(SAMPLE_IRK)[::-1].hex()
    secrets = (SAMPLE_IRK, reversed_key, SAMPLE_IRK[:8], reversed_key[:8])

    def never_shows_the_key(result, what):
        out = (result.stdout + result.stderr).decode().lower().replace(" ", "").replace(":", "")
        c.expect(not any(secret in out for secret in secrets), f"{what} printed the key:\n{out}")

    r = store.run("blemon-admin", "identity", "add", "Anna's phone", "--irk", key, check=False)
    c.contains(r, rf"Added identity 'Anna's phone' \(key fingerprint {fingerprint}\)", "identity add")
    never_shows_the_key(r, "identity add")
    c.expect(count(store, f"SELECT COUNT(*) FROM identities WHERE irk = X'{SAMPLE_IRK}';") == 1,
             "identity add stores the 16 key bytes in the order typed")
    r = store.run("blemon-admin", "identity", "list", check=False)
    c.contains(r, rf"Anna's phone\s+{fingerprint}\s+trying both\s+not heard yet", "identity list")
    never_shows_the_key(r, "identity list")
    c.contains(store.run("blemon-admin", "identity", "add", "Anna's phone", "--irk",
                         "00112233445566778899aabbccddeeff", check=False),
               r"an identity named 'Anna's phone' exists already", "a second identity of one name", 64)
    r = store.run("blemon-admin", "identity", "add", "tablet", "--irk", reversed_key, check=False)
    c.contains(r, r"identity 'Anna's phone' already has this key", "the same key reversed", 64)
    never_shows_the_key(r, "a refused add")
    c.contains(store.run("blemon-admin", "identity", "add", "tablet", "--irk", SAMPLE_IRK[:30],
                         check=False),
               r"--irk: the key has 30 hex digits, an IRK has 32", "a short key", 64)
    # --irk - reads the key from standard input, out of the shell history and the process list.
    r = subprocess.run([store.binary("blemon-admin"), "-c", store.config_path, "identity", "add",
                        "watch", "--irk", "-", "--byte-order", "lsb-first"],
                       input=b"00112233445566778899aabbccddeeff\n", capture_output=True)
    c.contains(r, r"Added identity 'watch'", "identity add --irk -")
    c.expect(count(store, "SELECT COUNT(*) FROM identities WHERE irk = "
                          "X'ffeeddccbbaa99887766554433221100' AND byte_order_known = 1;") == 1,
             "--byte-order lsb-first stores the key turned around, its order known")
    c.contains(store.run("blemon-admin", "identity", "remove", "anna's phone", check=False),
               r"no identity named 'anna's phone' \(did you mean 'Anna's phone'\?\)",
               "identity remove with a typo", 64)
    for name in ("Anna's phone", "watch"):
        c.contains(store.run("blemon-admin", "identity", "remove", name, check=False),
                   rf"Removed identity '{name}'", "identity remove")
    c.contains(store.run("blemon-admin", "identity", "list", check=False), r"No identities enrolled",
               "identity list when empty")


def test_mariadb_diagnoses(store, c):
    peer = store.peer
    cases = [
        ("wrong password", store.mariadb_config(peer["user"], "wrong"), r"access denied for user"),
        ("unknown database", store.mariadb_config(peer["user"], peer["password"])
         .replace(f'database = "{store.database}"', 'database = "blemon_does_not_exist"'),
         r"database blemon_does_not_exist does not exist.*CREATE DATABASE"),
        ("nobody listening", store.mariadb_config(peer["user"], peer["password"])
         .replace(f"port = {peer['port']}", "port = 1"), r"cannot connect.*bind-address.*ufw allow"),
    ]
    for what, config, pattern in cases:
        path = os.path.join(store.tmp, "diag.toml")
        store.write_config(config, path)
        c.contains(store.run("blemon-admin", "check", config=path, check=False), pattern,
                   f"check diagnoses {what}", 69)
    # The original tool's schema (version 0): check says so, migrate upgrades it in place.
    seed_db = store.database + "_seed"
    tools_env.run_sql(peer, f"CREATE DATABASE `{seed_db}`;")
    try:
        with open(os.path.join(tools_env.HERE, "..", "..", "..", "schema", "mariadb", "000_seed.sql")) as f:
            tools_env.run_sql(peer, f.read(), seed_db)
        tools_env.run_sql(peer, "INSERT INTO monitors (monitor_name, location) VALUES ('old', 'Hall');", seed_db)
        path = os.path.join(store.tmp, "seed.toml")
        store.write_config(store.mariadb_config(peer["user"], peer["password"])
                           .replace(f'database = "{store.database}"', f'database = "{seed_db}"'), path)
        c.contains(store.run("blemon-admin", "check", config=path, check=False),
                   r"original Python tool's schema \(version 0\).*blemon-admin migrate",
                   "check recognises the original schema", 1)
        c.contains(store.run("blemon-admin", "migrate", config=path, check=False),
                   r"Upgraded the schema from version 0 to \d+", "migrate upgrades the original schema")
        c.contains(store.run("blemon-admin", "check", config=path, check=False), r"All checks passed",
                   "check after the upgrade")
        c.contains(store.run("blemon-report", "--report", "monitors", config=path, check=False),
                   r"old\s+Hall", "data kept by the upgrade")
    finally:
        tools_env.run_sql(peer, f"DROP DATABASE IF EXISTS `{seed_db}`;", check=False)


def main():
    backend, bin_dir = sys.argv[1], sys.argv[2]
    store = tools_env.Store(backend, bin_dir, "admin")
    c = Checker()
    try:
        test_check_and_migrate(store, c)
        test_cleanup(store, c)
        test_archive(store, c)
        test_processor(store, c)
        test_identities(store, c)
        if backend == "mariadb":
            test_mariadb_diagnoses(store, c)
    finally:
        store.drop()
    for failure in c.failures:
        print("FAIL:", failure)
    if not c.failures:
        print(f"admin checks pass on {backend}")
    return 1 if c.failures else 0


if __name__ == "__main__":
    sys.exit(main())
