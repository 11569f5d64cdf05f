#!/usr/bin/python3
"""The web dashboard in a real browser: a demo database made by three simulated monitors (10 s
intervals), a device with a hostile name added, blemon-web serving it, and dashboard.cjs driving
Debian's headless chromium through playwright-core. When the page is checked, this driver runs the
monitors once more so a new interval is processed, and the page must update by itself.
Screenshots stay in ARTIFACT_DIR.

    dashboard_test.py BIN_DIR NODE_MODULES_PARENT ARTIFACT_DIR
"""

import os
import subprocess
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "integration",
                                "web"))
import web_env  # noqa: E402
from web_env import tools_env  # noqa: E402

HERE = os.path.dirname(os.path.abspath(__file__))
HOSTILE = "<img src=x onerror=alert(1)>"
MONITORS = [("Kitchen", "Kitchen", False), ("Bedroom", "Bedroom", False),
            ("LivingRoom", "Living Room", True)]


def monitor_config(store, name, room, processor):
    path = os.path.join(store.tmp, f"{name}.toml")
    store.write_config(
        f'[monitor]\nname = "{name}"\nlocation = "{room}"\nscan_interval_seconds = 10\n'
        f"scan_duration_seconds = 1\nprocessor_wait_seconds = 0\n"
        f"process_intervals = {'true' if processor else 'false'}\n"
        f'state_directory = "{store.tmp}"\n\n[simulation]\nseed = 7\ndevices = 25\n\n'
        f'[database]\nbackend = "sqlite"\npath = "{store.db_path}"\n', path)
    return path


def run_fleet(store):
    """One scan per monitor, the processor last; returns when the interval is processed."""
    for name, room, processor in MONITORS:
        store.run("blemon-monitor", "--single", "--simulate",
                  config=monitor_config(store, name, room, processor))


def add_hostile_device(store):
    store.sql(
        "INSERT INTO ble_devices (mac_address, device_name, first_seen, last_seen) VALUES "
        f"('DE:AD:BE:EF:00:01', '{HOSTILE}', datetime('now'), datetime('now'));"
        "INSERT INTO device_sightings (device_id, monitor_id, rssi, interval_start, "
        "sighting_timestamp) SELECT d.device_id, m.monitor_id, -30, "
        "(SELECT max(interval_start) FROM device_sightings), datetime('now') "
        "FROM ble_devices d, monitors m WHERE d.mac_address = 'DE:AD:BE:EF:00:01' "
        "AND m.monitor_name = 'Kitchen';")


def main():
    bin_dir, node_parent, artifacts = sys.argv[1:4]
    os.makedirs(artifacts, exist_ok=True)
    store = tools_env.Store("sqlite", bin_dir, "browser")
    server = None
    try:
        run_fleet(store)
        first_run = time.time()
        add_hostile_device(store)
        server = web_env.WebServer(store, "[monitor]\nscan_interval_seconds = 10\n"
                                          "scan_duration_seconds = 1\nprocessor_wait_seconds = 0\n"
                                          "[web]\nevent_poll_seconds = 1\n")
        env = dict(os.environ, BLEMON_NODE_MODULES=os.path.join(node_parent, "node_modules"),
                   TZ=tools_env.TZ)
        browser = subprocess.Popen(["node", os.path.join(HERE, "dashboard.cjs"), server.url,
                                    artifacts], stdout=subprocess.PIPE, text=True, env=env)
        output = []
        for line in browser.stdout:
            output.append(line)
            print(line, end="")
            if line.strip() == "WAITING_FOR_INTERVAL":
                # The next 10 s interval, so this run's sightings are newer than the first's.
                time.sleep(max(0.0, first_run + 11 - time.time()))
                run_fleet(store)
        code = browser.wait(timeout=180)
        print(f"screenshots in {artifacts}")
        return code
    finally:
        if server:
            server.stop()
        store.drop()


if __name__ == "__main__":
    sys.exit(main())
