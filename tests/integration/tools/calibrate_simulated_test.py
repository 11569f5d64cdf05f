#!/usr/bin/python3
"""A simulated fleet calibrates itself: five `blemon-monitor --simulate` processes on one SQLite
store, each in a room of the simulated house with a reporting offset R and a gain G set per room,
hear each other's beacons (the store's monitors are the simulated air). Then

- `blemon-admin calibrate` recovers every monitor's reporting offset within 2 dB (the truth taken
  mean zero, as the fit's), with or without positions, and with positions (`monitor.position_x/y`
  at the rooms' centres, stored by the monitors themselves) every gain within 2 dB;
- the processor, with `auto_calibrate = true` and smoothing 1, has written offsets within 2 dB of
  -(R + G) for the monitors it fitted, and none for a monitor it could not.

The simulation's noise is turned down (noise_db 0.5): a real-time run of a few intervals sees one
fading draw per direction, where the benchmark (rooms_bench) averages hours of realistic noise.

    calibrate_simulated_test.py BIN_DIR
"""

import json
import os
import signal
import subprocess
import sys
import time

import tools_env

INTERVAL = 10
# name, simulated room (its centre), R, G
FLEET = [
    ("garage", "Garage", (3.0, 3.0), 3.0, -1.0),
    ("kitchen", "Kitchen", (8.5, 3.0), -4.0, 2.0),
    ("dining", "Dining Room", (13.0, 3.0), 1.5, -2.5),
    ("living", "Living Room", (18.5, 3.0), 0.5, 3.0),
    ("bedroom", "Bedroom", (8.0, 10.5), -2.0, -1.5),
]


def config(store, name, room, position, processor):
    biases_r = ", ".join(f'"{r.lower()}" = {rr}' for _, r, _, rr, _ in FLEET)
    biases_g = ", ".join(f'"{r.lower()}" = {g}' for _, r, _, _, g in FLEET)
    text = (f'[monitor]\nname = "{name}"\nlocation = "{room}"\n'
            f"scan_interval_seconds = {INTERVAL}\nscan_duration_seconds = 2\n"
            f"process_intervals = {'true' if processor else 'false'}\n"
            f"processor_wait_seconds = 3\nprocessor_lease_ttl_seconds = 60\n"
            f'state_directory = "{store.tmp}"\nlog_file = "{store.tmp}/{name}.log"\n'
            f"position_x = {position[0]}\nposition_y = {position[1]}\n\n"
            f'[database]\nbackend = "sqlite"\npath = "{store.db_path}"\n\n'
            f"[simulation]\nseed = 3\ndevices = 10\nnoise_db = 0.5\n"
            f"monitor_reporting_offset_db = {{ {biases_r} }}\n"
            f"monitor_gain_db = {{ {biases_g} }}\n\n"
            f"[rooms]\nauto_calibrate = {'true' if processor else 'false'}\n"
            f"calibration_smoothing = 1.0\ncalibration_window_hours = 1\n")
    path = os.path.join(store.tmp, f"{name}.toml")
    store.write_config(text, path)
    return path


def run_fleet(store, intervals):
    """Starts every monitor 2 s into an interval (all register before the first aligned scan) and
    stops them all halfway through the interval `intervals` later, after its scans."""
    configs = [config(store, n, r, p, i == 0) for i, (n, r, p, _, _) in enumerate(FLEET)]
    now = time.time()
    time.sleep((2 - now % INTERVAL) % INTERVAL)
    procs = [subprocess.Popen([store.binary("blemon-monitor"), "--simulate", "-c", c],
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
             for c in configs]
    try:
        time.sleep(intervals * INTERVAL + 4)
    finally:
        for p in procs:
            p.send_signal(signal.SIGTERM)
        for p in procs:
            p.wait(timeout=30)


def mean_zero(values):
    mean = sum(values.values()) / len(values)
    return {k: v - mean for k, v in values.items()}


def main():
    store = tools_env.Store("sqlite", sys.argv[1], "calibrate-simulated")
    failures = []

    def expect(condition, what):
        if not condition:
            failures.append(what)

    store.run("blemon-admin", "migrate")
    run_fleet(store, intervals=4)
    ids = dict(line.split("\t") for line in
               store.sql("SELECT monitor_name, monitor_id FROM monitors").stdout.strip()
               .splitlines()[1:])
    truth_r = mean_zero({int(ids[n]): r for n, _, _, r, _ in FLEET})
    truth_g = mean_zero({int(ids[n]): g for n, _, _, _, g in FLEET})
    observations = int(store.sql("SELECT COUNT(*) FROM beacon_observations").stdout.split()[-1])
    devices_named_as_monitors = store.sql(
        "SELECT COUNT(*) FROM ble_devices WHERE address_class = 'random-static' AND mac_address "
        "IN (SELECT mac_address FROM sighting_staging WHERE beacon_monitor_id IS NOT NULL)")
    expect(observations >= 5 * 4 * 3, f"beacon observations stored: {observations}")
    expect(devices_named_as_monitors.stdout.split()[-1] == "0", "no monitor became a device")

    # Stored by the processor while running (auto_calibrate), before calibrate --apply below.
    processor_offsets = dict(
        (int(a), float(b)) for a, b in (line.split("\t") for line in store.sql(
            "SELECT monitor_id, rssi_offset_db FROM monitors").stdout.strip().splitlines()[1:]))

    fit = json.loads(store.run("blemon-admin", "calibrate", "--intervals", "3", "--format",
                               "json").stdout)
    print(json.dumps({k: fit[k] for k in ("monitors", "path_loss_exponent", "limits")}, indent=1))
    fitted = {m["monitor_id"]: m for m in fit["monitors"]}
    for m, r in truth_r.items():
        got = fitted.get(m, {}).get("reporting_offset_db")
        expect(got is not None and abs(got - r) <= 2, f"monitor {m}: R {got}, truth {r:+.2f}")
        got = fitted.get(m, {}).get("gain_db")
        expect(got is not None and abs(got - truth_g[m]) <= 2,
               f"monitor {m}: G {got}, truth {truth_g[m]:+.2f}")

    # Without positions: reporting offsets alone, as good.
    store.sql("UPDATE monitors SET position_x = NULL, position_y = NULL")
    plain = json.loads(store.run("blemon-admin", "calibrate", "--intervals", "3", "--format",
                                 "json").stdout)
    for m in plain["monitors"]:
        r = m["reporting_offset_db"]
        expect(r is not None and abs(r - truth_r[m["monitor_id"]]) <= 2,
               f"monitor {m['monitor_id']} without positions: R {r}")
        expect(m["gain_db"] is None, "no gain without positions")
    expect(any("no monitor has a position" in s for s in plain["limits"]), "limits say why")

    changed = {m: v for m, v in processor_offsets.items() if v != 0}
    print("processor's offsets:", processor_offsets)
    expect(len(changed) >= 3, f"auto_calibrate set offsets: {processor_offsets}")
    for m, v in changed.items():
        want = -(truth_r[m] + truth_g[m])
        expect(abs(v - want) <= 2, f"auto_calibrate offset of {m}: {v}, truth {want:+.2f}")
    log = open(os.path.join(store.tmp, "garage.log")).read()
    expect("Processed interval" in log, "the processor processed")

    for failure in failures:
        print("FAIL:", failure)
    if failures:
        print("processor log:\n" + log[-4000:])
        sys.exit(1)
    print("ok")


if __name__ == "__main__":
    main()
