#!/usr/bin/python3
"""blemon-admin calibrate on one store, through the real binary: the beacon fit (reporting
offsets, gains and path-loss exponent with positions, residuals, limits) as JSON and as a table,
a dry run that writes nothing, --apply writing monitors.rssi_offset_db of the fitted monitors only,
and the reference-tag path (median of each monitor's wins, offsets toward the mean).

    calibrate_test.py sqlite|mariadb BIN_DIR
"""

import json
import math
import sys

import tools_env

# A made-up fleet: positions (m), gains G and reporting offsets R (dB, each mean zero over 1..4).
POSITIONS = {1: (0, 0), 2: (6, 0), 3: (0, 5), 4: (7, 6)}
GAIN = {1: 4.0, 2: -2.0, 3: 1.0, 4: -3.0}
REPORTING = {1: -3.0, 2: 4.0, 3: 0.5, 4: -1.5}
TX = {1: 0, 2: 4, 3: -4, 4: 0, 5: 0}
C, N = -59.0, 2.5
T0 = "2026-03-01 10:00:00"


def heard(receiver, sender):
    (ax, ay), (bx, by) = POSITIONS[receiver], POSITIONS[sender]
    d = math.hypot(ax - bx, ay - by)
    return TX[sender] + GAIN[receiver] + GAIN[sender] + REPORTING[receiver] + C - 10 * N * math.log10(d)


def interval(k):
    return f"2026-03-01 10:{5 * k:02d}:00"


def seed(store):
    rows = [f"({m}, 'm{m}', 'Room {m}', 1, '{T0}', {x}, {y})" for m, (x, y) in POSITIONS.items()]
    rows.append(f"(5, 'm5', 'Shed', 1, '{T0}', NULL, NULL)")
    obs = []
    # Three intervals; +/-1 dB jitter alternating by interval so each direction's mean is exact
    # up to the 1 dB rounding of stored RSSI.
    for k in range(3):
        jitter = (-1, 1, 0)[k]
        for a in POSITIONS:
            for b in POSITIONS:
                if a != b:
                    obs.append(f"({a}, {10 + k}, {b}, '{interval(k)}', "
                               f"{round(heard(a, b)) + jitter}, {TX[b]}, '{interval(k)}')")
        # Monitor 5 is heard by 1 but never hears anyone: not fitted, named in the limits.
        obs.append(f"(1, {10 + k}, 5, '{interval(k)}', -80, 0, '{interval(k)}')")
    store.sql(
        "INSERT INTO monitors (monitor_id, monitor_name, location, is_active, last_seen, "
        "position_x, position_y) VALUES " + ", ".join(rows) + ";\n"
        "INSERT INTO beacon_observations (receiver_monitor_id, batch_seq, sender_monitor_id, "
        "interval_start, rssi, sender_tx_power, observed_at) VALUES " + ", ".join(obs) + ";")


def offsets(store):
    out = store.sql("SELECT monitor_id, rssi_offset_db FROM monitors ORDER BY monitor_id")
    lines = out.stdout.strip().splitlines()[1:]
    return {int(a): float(b) for a, b in (line.split("\t") for line in lines)}


class Checker:
    def __init__(self):
        self.failures = []

    def expect(self, condition, what):
        if not condition:
            self.failures.append(what)

    def near(self, value, want, tolerance, what):
        self.expect(value is not None and abs(value - want) <= tolerance,
                    f"{what}: {value}, expected {want} +/- {tolerance}")


def calibrate(store, *args, code=0):
    r = store.run("blemon-admin", "calibrate", *args, check=False)
    if r.returncode != code:
        raise AssertionError(f"calibrate {args} exited {r.returncode}:\n{r.stdout.decode()}"
                             f"{r.stderr.decode()}")
    return r.stdout.decode()


def test_beacons(store, c):
    fit = json.loads(calibrate(store, "--format", "json"))
    by_id = {m["monitor_id"]: m for m in fit["monitors"]}
    for m in POSITIONS:
        c.near(by_id[m]["reporting_offset_db"], REPORTING[m], 0.6, f"R of monitor {m}")
        c.near(by_id[m]["gain_db"], GAIN[m], 0.6, f"G of monitor {m}")
        c.near(by_id[m]["fitted_rssi_offset_db"], -(REPORTING[m] + GAIN[m]), 0.8,
               f"new offset of monitor {m}")
        c.expect(by_id[m]["pairs"] == 3, f"pairs of monitor {m}: {by_id[m]['pairs']}")
    c.expect(by_id[5]["reporting_offset_db"] is None and by_id[5]["fitted_rssi_offset_db"] is None,
             f"monitor 5 must not be fitted: {by_id[5]}")
    c.near(fit["path_loss_exponent"], N, 0.2, "path-loss exponent")
    c.expect(len(fit["pairs"]) == 6, f"6 pairs: {fit['pairs']}")
    c.expect(all(abs(p["difference_residual_db"]) < 1 for p in fit["pairs"]), "residuals small")
    c.expect(any("monitor 5 heard no other monitor both ways" in s for s in fit["limits"]),
             f"limits name monitor 5: {fit['limits']}")
    c.expect(fit["applied"] is False and fit["intervals"] == 12, f"dry run: {fit}")
    c.expect(all(v == 0 for v in offsets(store).values()), "a dry run writes nothing")

    table = calibrate(store)
    c.expect("Dry run: nothing written" in table, f"table says dry run:\n{table}")
    c.expect("path-loss exponent 2." in table and "Not calibrated:" in table, f"table:\n{table}")
    c.expect("R dB" in table and "diff res" in table, f"table headers:\n{table}")

    # The newest interval only: still fitted (every pair is heard in it).
    one = json.loads(calibrate(store, "--intervals", "1", "--format", "json"))
    c.expect(one["observations"] == 13, f"one interval has 13 observations: {one['observations']}")

    applied = calibrate(store, "--apply")
    c.expect("Wrote monitors.rssi_offset_db of 4 monitors" in applied, f"apply:\n{applied}")
    stored = offsets(store)
    for m in POSITIONS:
        c.near(stored[m], by_id[m]["fitted_rssi_offset_db"], 0.05, f"stored offset of {m}")
    c.expect(stored[5] == 0, f"monitor 5 keeps its offset: {stored[5]}")


def test_reference(store, c):
    tag = "AA:00:00:00:00:77"
    store.sql("UPDATE monitors SET rssi_offset_db = 0;\n"
              "INSERT INTO ble_devices (device_id, mac_address, first_seen, last_seen) "
              f"VALUES (500, '{tag}', '{T0}', '{T0}');")
    # The tag held at monitor 1 (wins -48, -50, and -75 while carried away: median -50), at
    # monitor 2 (-62, -60: median -61), at monitor 3 once only (not enough).
    wins = [(1, -48), (1, -50), (1, -75), (2, -62), (2, -60), (3, -40)]
    rows = [f"(500, {m}, {rssi}, '{interval(k)}', '{interval(k + 1)}', '{interval(k)}')"
            for k, (m, rssi) in enumerate(wins)]
    store.sql("INSERT INTO device_sightings (device_id, monitor_id, rssi, interval_start, "
              "interval_end, sighting_timestamp) VALUES " + ", ".join(rows) + ";")
    fit = json.loads(calibrate(store, "--reference", tag.lower(), "--format", "json", "--apply"))
    by_id = {m["monitor_id"]: m for m in fit["monitors"]}
    c.expect(sorted(by_id) == [1, 2], f"reference fits monitors 1 and 2: {fit}")
    c.near(fit["target_db"], -55.5, 0.01, "reference target")
    c.near(by_id[1]["fitted_rssi_offset_db"], -5.5, 0.01, "reference offset of 1")
    c.near(by_id[2]["fitted_rssi_offset_db"], 5.5, 0.01, "reference offset of 2")
    c.expect(any("monitor 3 won the tag in 1 interval" in s for s in fit["limits"]),
             f"limits name monitor 3: {fit['limits']}")
    stored = offsets(store)
    c.expect(stored[1] == -5.5 and stored[2] == 5.5 and stored[3] == 0, f"applied: {stored}")
    table = calibrate(store, "--reference", tag)
    c.expect("Target (mean 1 m RSSI): -55.5 dBm" in table, f"reference table:\n{table}")
    bad = store.run("blemon-admin", "calibrate", "--reference", "not-a-mac", check=False)
    c.expect(bad.returncode == 64, f"a bad --reference is a usage error: {bad.returncode}")


def main():
    backend, bin_dir = sys.argv[1], sys.argv[2]
    store = tools_env.Store(backend, bin_dir, "calibrate")
    c = Checker()
    try:
        store.run("blemon-admin", "migrate")
        empty = json.loads(calibrate(store, "--format", "json"))
        c.expect(empty["monitors"] == [] and "no beacon observations" in empty["limits"][0],
                 f"an empty store says why: {empty}")
        seed(store)
        test_beacons(store, c)
        test_reference(store, c)
    finally:
        store.drop()
    for failure in c.failures:
        print("FAIL:", failure)
    if c.failures:
        sys.exit(1)
    print("ok")


if __name__ == "__main__":
    main()
