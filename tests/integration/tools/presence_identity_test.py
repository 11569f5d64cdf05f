#!/usr/bin/python3
"""A phone watched by its identity, end to end through the real binaries on one store.

`blemon-admin identity add` enrols a phone's IRK, `blemon-admin watch add --identity` watches it
(and refuses an identity nobody enrolled). Two monitors of another fleet have staged the phone's
readings for the last intervals, under resolvable private addresses made with that key (AES by
the openssl command, as the Core specification's ah) that rotate every three intervals; then
`blemon-monitor --single --simulate`, the processor, resolves, merges and runs presence over them.
The phone must arrive once, in the room that hears it best, and never leave while its address
rotates; `watch list` shows it home.

    presence_identity_test.py sqlite|mariadb BIN_DIR
"""

import os
import subprocess
import sys
import time
from datetime import datetime, timezone

import tools_env

IRK = "ec0234a357c8ad05341010a60a397d9b"  # the Core specification's sample key, MSB first
INTERVAL = 60
INTERVALS = 10
ROTATE_EVERY = 3


def random_address_hash(irk_hex, prand):
    """ah(k, r): AES-128 under k of prand padded to 16 bytes, the low 24 bits."""
    block = bytes(13) + prand.to_bytes(3, "big")
    out = subprocess.run(["openssl", "enc", "-aes-128-ecb", "-K", irk_hex, "-nosalt", "-nopad"],
                         input=block, capture_output=True, check=True).stdout
    return int.from_bytes(out[13:16], "big")


def resolvable_private_address(irk_hex, seed):
    prand = (seed & 0x3FFFFF) | 0x400000
    raw = prand.to_bytes(3, "big") + random_address_hash(irk_hex, prand).to_bytes(3, "big")
    return ":".join(f"{b:02X}" for b in raw)


def utc_text(unix_seconds):
    return datetime.fromtimestamp(unix_seconds, timezone.utc).strftime("%Y-%m-%d %H:%M:%S")


def current_interval():
    """The current interval's start, at least 15 s before its end (so the processor, started
    next, scans the same one)."""
    now = time.time()
    if now % INTERVAL > INTERVAL - 15:
        time.sleep(INTERVAL - now % INTERVAL + 1)
        now = time.time()
    return int(now) - int(now) % INTERVAL


def stage_phone(store, last_interval):
    """The phone in the last INTERVALS intervals up to `last_interval`: the kitchen monitor hears
    it at -55, the hall at -75, under an address that rotates every ROTATE_EVERY intervals."""
    store.sql("""
INSERT INTO monitors (monitor_id, monitor_name, location, is_active, last_seen)
VALUES (21, 'kitchen-pi', 'Kitchen', 1, '2026-01-01 00:00:00'),
       (22, 'hall-pi', 'Hall', 1, '2026-01-01 00:00:00');
""")
    first = last_interval - (INTERVALS - 1) * INTERVAL
    rows, addresses = [], set()
    for i in range(INTERVALS):
        start = first + i * INTERVAL
        mac = resolvable_private_address(IRK, 0x1234 + i // ROTATE_EVERY)
        addresses.add(mac)
        for monitor, rssi in ((21, -55), (22, -75)):
            rows.append(f"('{mac}', {monitor}, {rssi}, '{utc_text(start)}', "
                        f"'{utc_text(start + 2)}', 0, 'resolvable-private')")
    store.sql("INSERT INTO sighting_staging (mac_address, monitor_id, rssi, interval_start, "
              "scan_timestamp, processed, address_class) VALUES " + ",".join(rows) + ";")
    # Presence starts with the newest interval on a database with history; this one has run up
    # to just before the phone's first interval.
    store.sql(f"UPDATE presence_progress SET through_interval = '{utc_text(first - INTERVAL)}';")
    return first, addresses


def processor_config(store):
    with open(store.config_path) as f:
        database = f.read()
    path = os.path.join(store.tmp, "processor.toml")
    store.write_config(f"""[monitor]
name = "office-pi"
location = "Office"
process_intervals = true
processor_wait_seconds = 0
scan_interval_seconds = {INTERVAL}
scan_duration_seconds = 1
state_directory = "{store.tmp}"

{database}""", path)
    return path


def main():
    backend, bin_dir = sys.argv[1], sys.argv[2]
    store = tools_env.Store(backend, bin_dir, "presence_identity")
    failures = []
    try:
        store.run("blemon-admin", "migrate")
        store.run("blemon-admin", "identity", "add", "anna-phone", "--irk", IRK,
                  "--byte-order", "msb-first")
        refused = store.run("blemon-admin", "watch", "add", "anna", "--identity", "nobody",
                            check=False)
        if refused.returncode != 64 or b"no identity is enrolled" not in refused.stderr:
            failures.append(f"watch add of an unknown identity: exit {refused.returncode}, "
                            f"{refused.stderr.decode()}")
        both = store.run("blemon-admin", "watch", "add", "anna", "--identity", "anna-phone",
                         "--mac", "00:11:22:33:44:55", check=False)
        if both.returncode != 64 or b"exactly one of" not in both.stderr:
            failures.append(f"watch add with --mac and --identity: exit {both.returncode}")
        store.run("blemon-admin", "watch", "add", "anna", "--identity", "anna-phone")

        now_interval = current_interval()
        first, addresses = stage_phone(store, now_interval)
        store.run("blemon-monitor", "--single", "--simulate", config=processor_config(store))

        events = store.sql(
            "SELECT kind, interval_start, COALESCE(to_room, ''), device FROM presence_events "
            "WHERE watch_name = 'anna' ORDER BY event_seq;").stdout.strip().splitlines()[1:]
        events = [e.split("\t") for e in events]
        if len(events) != 1 or events[0][0] != "arrive" or events[0][2] != "Kitchen":
            failures.append(f"expected one arrive into Kitchen, got {events}")
        elif events[0][1] != utc_text(first) or events[0][3] != "anna-phone":
            failures.append(f"the arrive is dated {events[0][1]} for {events[0][3]}, expected "
                            f"{utc_text(first)} for anna-phone")
        listed = store.run("blemon-admin", "watch", "list").stdout.decode()
        if not any(l.split()[:5] == ["anna", "identity", "anna-phone", "yes", "Kitchen"]
                   for l in listed.splitlines()):
            failures.append(f"watch list does not show anna home in the Kitchen:\n{listed}")
        devices = store.sql("SELECT COUNT(DISTINCT device_id) FROM device_sightings WHERE "
                            "monitor_id IN (21, 22);").stdout.strip().splitlines()[-1]
        if devices != "1":
            failures.append(f"the phone's {len(addresses)} addresses made {devices} devices")
    finally:
        store.drop()
    for failure in failures:
        print("FAIL:", failure)
    if failures:
        return 1
    print(f"OK ({backend}): {len(addresses)} rotating addresses over {INTERVALS} intervals, one "
          "device, one arrive, no leave; watch add --identity refuses an unknown identity")
    return 0


if __name__ == "__main__":
    sys.exit(main())
