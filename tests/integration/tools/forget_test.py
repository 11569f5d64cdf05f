#!/usr/bin/python3
"""blemon-admin forget on one store, through the binaries.

A processor monitor (debug log) scans the simulated house into the store, with its loudest public
devices on the watch list so they also have presence state and events; a second monitor whose database is
unreachable keeps its scan in its spool. Then `forget --dry-run` counts the device's rows without
changing anything, and `forget` (once for the central store and the processor's state directory,
once with the spooling monitor's --state-directory) erases it. Afterwards no spelling of the
address (upper and lower case; colons, dashes, none) appears in any table of the store (every
row of every table, and for SQLite the file's bytes too), in either spool file or in the logs,
and the other devices' rows are exactly what they were. An identity is forgotten with its device
row, the staging rows resolved to it and its watch entry.

    forget_test.py sqlite|mariadb BIN_DIR
"""

import datetime
import hashlib
import hmac
import os
import re
import subprocess
import sys

import tools_env

IDENTITY = "Anna's phone"
IDENTITY_MAC = "5A:00:00:00:0F:01"   # the identity's device row, made by hand below
IDENTITY_RPA = "4B:12:34:56:78:9A"   # an address of it, already resolved in staging


def spellings(mac):
    plain = mac.replace(":", "")
    forms = {mac, plain, mac.replace(":", "-")}
    return {f for form in forms for f in (form.upper(), form.lower())}


def monitor_config(store, name, processor, database, log):
    text = (f'[monitor]\nname = "{name}"\nlocation = "{name}"\nscan_duration_seconds = 1\n'
            f"process_intervals = {'true' if processor else 'false'}\n"
            f'processor_wait_seconds = 0\nstate_directory = "{os.path.join(store.tmp, name)}"\n'
            f'log_file = "{log}"\nlog_level = "debug"\n\n[simulation]\nseed = 11\ndevices = 60\n\n'
            + database)
    os.makedirs(os.path.join(store.tmp, name), exist_ok=True)
    path = os.path.join(store.tmp, f"{name}.toml")
    store.write_config(text, path)
    return path


def database_section(store):
    if store.backend == "sqlite":
        return f'[database]\nbackend = "sqlite"\npath = "{store.db_path}"\n'
    return store.mariadb_config(store.peer["user"], store.peer["password"])


UNREACHABLE = ('[database]\nbackend = "mariadb"\nhost = "127.0.0.1"\nport = 1\nuser = "nobody"\n'
               'password = "x"\n')


def files_under(*dirs):
    return [os.path.join(root, name) for d in dirs for root, _, names in os.walk(d)
            for name in names]


def traces(mac, store, files):
    """Where any spelling of `mac` appears: 'tables', or a file's path."""
    pattern = re.compile("|".join(re.escape(s) for s in spellings(mac)).encode())
    found = []
    if pattern.search(store.dump().encode()):
        found.append("tables")
    for path in files:
        with open(path, "rb") as f:
            if pattern.search(f.read()):
                found.append(os.path.basename(path))
    return found


def other_rows(store, target):
    """Per other address: its sightings, staging rows and device rows."""
    rows = store.sql(
        "SELECT d.mac_address, COUNT(s.sighting_id) FROM ble_devices d "
        "LEFT JOIN device_sightings s ON s.device_id = d.device_id "
        "GROUP BY d.mac_address ORDER BY d.mac_address;").stdout.strip().splitlines()[1:]
    staged = store.sql("SELECT mac_address, COUNT(*) FROM sighting_staging GROUP BY mac_address "
                       "ORDER BY mac_address;").stdout.strip().splitlines()[1:]
    keep = lambda lines: [l for l in lines if not l.startswith(target)]
    return keep(rows), keep(staged)


def public_addresses(store, config):
    """The simulated house's public addresses, loudest first (the world moves: not every one is
    heard again by the runs after)."""
    out = store.run("blemon-monitor", "--simulate", "--scan-only", config=config).stdout.decode()
    heard = [(int(parts[2]), parts[0]) for parts in map(str.split, out.splitlines())
             if len(parts) > 2 and parts[0].count(":") == 5 and parts[1] in ("public", "random-static")]
    if not heard:
        raise AssertionError(f"no public address in the simulated house:\n{out}")
    return [mac for _, mac in sorted(heard, reverse=True)]


def choose_target(store, candidates, spool):
    """A watched candidate with sightings, presence events and a reading in `spool`."""
    import sqlite3
    db = sqlite3.connect(spool)
    try:
        spooled = {mac for (mac,) in db.execute("SELECT mac_address FROM spool_readings")}
    finally:
        db.close()
    for mac in candidates:
        n = store.sql(f"SELECT COUNT(*) FROM device_sightings s JOIN ble_devices d "
                      f"ON d.device_id = s.device_id WHERE d.mac_address = '{mac}';")
        events = store.sql(f"SELECT COUNT(*) FROM presence_events WHERE device = '{mac}';")
        if int(n.stdout.split()[-1]) and int(events.stdout.split()[-1]) and mac in spooled:
            return mac
    raise AssertionError(f"none of {candidates} was heard by both monitors: the test is blind")


def add_identity_rows(store):
    """An identity with a device row, a sighting and a resolved staging row, watched by name."""
    store.run("blemon-admin", "identity", "add", IDENTITY, "--irk", "ec0234a357c8ad05341010a60a397d9b")
    store.run("blemon-admin", "watch", "add", "anna", "--mac", IDENTITY_MAC)
    store.sql(f"""
INSERT INTO ble_devices (mac_address, first_seen, last_seen, address_class)
VALUES ('{IDENTITY_MAC}', '2026-01-01 00:00:00', '2026-01-01 00:05:00', 'resolvable-private');
UPDATE identities SET device_id = (SELECT device_id FROM ble_devices
                                   WHERE mac_address = '{IDENTITY_MAC}');
INSERT INTO sighting_staging (mac_address, resolved_mac, monitor_id, rssi, interval_start,
                              scan_timestamp, processed, address_class)
SELECT '{IDENTITY_RPA}', '{IDENTITY_MAC}', monitor_id, -60, '2026-01-01 00:00:00',
       '2026-01-01 00:00:01', 1, 'resolvable-private' FROM monitors ORDER BY monitor_id LIMIT 1;
""")


def pseudonym(secret, mac, day):
    """docs/privacy.md's construction: the address's pseudonym on UTC day `day`."""
    day_key = hmac.new(secret, b"blemon-pseudonym-key" + day.isoformat().encode(),
                       hashlib.sha256).digest()
    digest = bytearray(hmac.new(day_key, bytes.fromhex(mac.replace(":", "")),
                                hashlib.sha256).digest()[:6])
    digest[0] |= 0xC0
    return ":".join(f"{b:02X}" for b in digest)


def forget_in_privacy_mode(store, failures):
    """An unwatched device stored under today's pseudonym is forgotten by its address."""
    secret = os.urandom(32)
    secret_file = os.path.join(store.tmp, "fleet.secret")
    with open(secret_file, "wb") as f:
        f.write(secret)
    os.chmod(secret_file, 0o600)
    config = monitor_config(store, "private", True, database_section(store),
                            os.path.join(store.tmp, "private.log"))
    with open(config, "a") as f:
        f.write(f'\n[privacy]\nmode = "pseudonymise"\nsecret_file = "{secret_file}"\n')
    candidates = public_addresses(store, config)
    store.run("blemon-monitor", "--single", "--simulate", config=config)
    today = datetime.datetime.now(datetime.timezone.utc).date()
    stored = store.dump()
    chosen = [(mac, pseudonym(secret, mac, today)) for mac in candidates
              if pseudonym(secret, mac, today) in stored]
    if not chosen:
        failures.append("privacy mode: no candidate's pseudonym is stored: the test is blind")
        return
    mac, alias = chosen[0]
    out = store.run("blemon-admin", "forget", mac, config=config).stdout.decode()
    if alias in store.dump():
        failures.append(f"privacy mode: {mac}'s pseudonym {alias} is still stored:\n{out}")
    if "pseudonyms of the last 400 days" not in out:
        failures.append(f"privacy mode: forget did not say it forgot pseudonyms:\n{out}")


def main():
    backend, bin_dir = sys.argv[1], sys.argv[2]
    store = tools_env.Store(backend, bin_dir, "forget")
    failures = []
    try:
        store.run("blemon-admin", "migrate")
        logs = [os.path.join(store.tmp, "processor.log"), os.path.join(store.tmp, "kitchen.log")]
        processor = monitor_config(store, "processor", True, database_section(store), logs[0])
        kitchen = monitor_config(store, "kitchen", False, UNREACHABLE, logs[1])
        candidates = public_addresses(store, processor)[:8]
        for i, mac in enumerate(candidates):
            store.run("blemon-admin", "watch", "add", f"tracked-{i}", "--mac", mac.lower())
        store.run("blemon-monitor", "--single", "--simulate", config=processor)
        store.run("blemon-monitor", "--single", "--simulate", config=kitchen)
        target = choose_target(store, candidates,
                               os.path.join(store.tmp, "kitchen", "spool-kitchen.db"))
        add_identity_rows(store)
        files = files_under(os.path.join(store.tmp, "processor"), os.path.join(store.tmp, "kitchen"))
        files += logs + ([store.db_path] if backend == "sqlite" else [])
        before = traces(target, store, files)
        for place in ("tables", "spool-kitchen.db"):
            if place not in before:
                failures.append(f"before the forget {target} is not in {place}: the test is blind")
        for table in ("device_sightings", "sighting_staging", "ble_devices", "presence_events",
                      "presence_state", "watch_list"):
            n = int(store.sql(f"SELECT COUNT(*) FROM {table};").stdout.split()[-1])
            if n == 0:
                failures.append(f"{table} is empty before the forget: the test is blind")
        others_before = other_rows(store, target)
        dump_before = store.dump()

        dry = store.run("blemon-admin", "forget", target, "--dry-run").stdout.decode()
        if store.dump() != dump_before:
            failures.append("--dry-run changed the store")
        for table in ("device_sightings", "sighting_staging", "ble_devices", "presence_events"):
            if not re.search(rf"^\s+{table}\s+[1-9]", dry, re.M):
                failures.append(f"--dry-run counts no {table} row:\n{dry}")

        store.run("blemon-admin", "forget", target.replace(":", "").lower())
        store.run("blemon-admin", "forget", target, "--state-directory",
                  os.path.join(store.tmp, "kitchen"))
        after = traces(target, store, files)
        if after:
            failures.append(f"{target} still in: {after}")
        if other_rows(store, target) != others_before:
            failures.append("the other devices' rows changed")

        out = store.run("blemon-admin", "forget", IDENTITY).stdout.decode()
        for what in (IDENTITY_MAC, IDENTITY_RPA, "Anna's phone", "anna\t"):
            if what in store.dump():
                failures.append(f"after forgetting the identity, {what!r} is still stored:\n{out}")
        forget_in_privacy_mode(store, failures)
        missing = store.run("blemon-admin", "forget", "nobody-at-all", check=False)
        if missing.returncode != 64:
            failures.append(f"forget of an unknown name: exit {missing.returncode}, expected 64")
        print(f"{backend}: forgot {target}; before in {before}; after in {after or 'nothing'}")
    finally:
        store.drop()
    for failure in failures:
        print("FAIL:", failure)
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
