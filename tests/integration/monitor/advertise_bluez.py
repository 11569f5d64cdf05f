#!/usr/bin/python3
"""blemon-monitor's beacon against the BlueZ mock (tests/peers/bluez5_blemon.py): the daemon
advertises its monitor id once registered and withdraws the advertisement on SIGTERM; an adapter
that refuses to advertise leaves scanning working and is said once in the log, not every cycle.

    advertise_bluez.py accepted|refused BLEMON_MONITOR WORK_DIR
"""

import os
import shutil
import signal
import sqlite3
import subprocess
import sys
import time

import dbus

MOCK = "org.freedesktop.DBus.Mock"
BLUEZ_MOCK = "org.bluez.Mock"
BEACON_UUID = "d24e15b0-c0ac-48d3-81cf-75c80e03e46f"  # libblemon/include/blemon/beacon.h
INTERVAL = 2  # seconds; divides 86400
PHONE = "00:11:22:33:44:55"


class Failure(Exception):
    pass


def check(condition, message):
    if not condition:
        raise Failure(message)


def wait_for(predicate, timeout, what):
    deadline = time.monotonic() + timeout
    while not predicate():
        if time.monotonic() > deadline:
            raise Failure(f"timed out after {timeout} s waiting for {what}")
        time.sleep(0.05)


class Bluez:
    def __init__(self):
        self.bus = dbus.bus.BusConnection(os.environ["DBUS_SYSTEM_BUS_ADDRESS"])
        self.root = self.bus.get_object("org.bluez", "/")
        dbus.Interface(self.root, MOCK).Reset()
        self.mock = dbus.Interface(self.root, BLUEZ_MOCK)
        self.mock.AddAdapter("hci0", "blemon-test")

    def advertisements(self):
        return [(str(owner), str(path), props)
                for owner, path, props in self.mock.Advertisements("hci0")]

    def advertising_log(self):
        return [str(line) for line in self.mock.AdvertisingLog("hci0")]

    def phone_advertises(self, rssi):
        """A phone heard in whatever scan is running (PropertiesChanged with RSSI)."""
        path = "/org/bluez/hci0/dev_" + PHONE.replace(":", "_")
        dbus.Interface(self.bus.get_object("org.bluez", path), MOCK).UpdateProperties(
            "org.bluez.Device1", {"RSSI": dbus.Int16(rssi)})


def start_monitor(binary, work):
    config = os.path.join(work, "monitor.toml")
    with open(config, "w") as f:
        f.write(f'[monitor]\nname = "pi-beacon"\nadapter = "hci0"\n'
                f"scan_interval_seconds = {INTERVAL}\nscan_duration_seconds = 1\n"
                f'state_directory = "{work}"\n'
                f'[database]\nbackend = "sqlite"\npath = "{work}/blemon.db"\n')
    log_path = os.path.join(work, "monitor.log")
    with open(log_path, "wb") as out:
        proc = subprocess.Popen([binary, "-c", config], stdout=out, stderr=subprocess.STDOUT)
    return proc, log_path


def log_text(path):
    with open(path, encoding="utf-8", errors="replace") as f:
        return f.read()


def stop(proc):
    proc.send_signal(signal.SIGTERM)
    rc = proc.wait(15)
    check(rc == 0, f"the monitor exited {rc} on SIGTERM")


def monitor_id(work):
    con = sqlite3.connect(os.path.join(work, "blemon.db"), timeout=10)
    try:
        return con.execute(
            "SELECT monitor_id FROM monitors WHERE monitor_name = 'pi-beacon'").fetchone()[0]
    finally:
        con.close()


def case_accepted(bluez, binary, work):
    proc, log_path = start_monitor(binary, work)
    try:
        wait_for(lambda: bluez.advertisements(), 10, "the beacon to be registered")
        [(owner, path, props)] = bluez.advertisements()
        data = bytes(props["ServiceData"][BEACON_UUID])
        expected = monitor_id(work).to_bytes(4, "little") + bytes([0x7F, 1])
        check(data == expected, f"service data {data.hex()}, expected {expected.hex()}")
        check(str(props["Type"]) == "broadcast", f"Type {props['Type']}")
        print(f"registered by {owner} at {path}: service data {data.hex()}")
        # Two scan cycles with the beacon up: registered once, kept, never re-registered.
        wait_for(lambda: log_text(log_path).count("Scan complete") >= 2, 4 * INTERVAL + 5,
                 "two scans")
        registers = [l for l in bluez.advertising_log() if l.startswith("register ")]
        check(len(registers) == 1, f"registered {len(registers)} times: {bluez.advertising_log()}")
    finally:
        stop(proc)
    check(not bluez.advertisements(), f"still registered after SIGTERM: {bluez.advertisements()}")
    check(bluez.advertising_log()[-1] == f"unregister {owner} {path}",
          f"not unregistered by the monitor itself: {bluez.advertising_log()}")
    check("Advertising this monitor's beacon" in log_text(log_path), "on the air, but not said")
    print("unregistered on SIGTERM")


def case_refused(bluez, binary, work):
    bluez.mock.SetAdvertising("hci0", "full", dbus.Int16(127))
    bluez.mock.AddDevice("hci0", PHONE, "Kitchen Phone")
    proc, log_path = start_monitor(binary, work)
    try:
        deadline = time.monotonic() + 6 * INTERVAL + 5
        while log_text(log_path).count("Found 1 devices") < 3:
            check(time.monotonic() < deadline,
                  f"three scans hearing the phone did not happen:\n{log_text(log_path)}")
            bluez.phone_advertises(-60)
            time.sleep(0.1)
    finally:
        stop(proc)
    text = log_text(log_path)
    refusals = [l for l in bluez.advertising_log() if l.startswith("refuse ")]
    check(len(refusals) >= 3, f"not retried before every scan: {bluez.advertising_log()}")
    said = text.count("Not advertising this monitor's beacon")
    check(said == 1, f"the refusal was logged {said} times, expected once:\n{text}")
    check("Maximum advertisements reached" in text, "the refusal's reason is not logged")
    check("Scan FAILED" not in text, f"a refused advertisement failed a scan:\n{text}")
    con = sqlite3.connect(os.path.join(work, "blemon.db"), timeout=10)
    staged = con.execute("SELECT COUNT(*) FROM sighting_staging").fetchone()[0]
    con.close()
    check(staged >= 3, f"the store holds {staged} readings of the phone, expected >= 3")
    print(f"refused {len(refusals)} times, said once; {staged} readings stored")


def main():
    case, binary, work = sys.argv[1], sys.argv[2], sys.argv[3]
    shutil.rmtree(work, ignore_errors=True)
    os.makedirs(work)
    bluez = Bluez()
    try:
        {"accepted": case_accepted, "refused": case_refused}[case](bluez, binary, work)
    except Failure as e:
        print("FAILED:", e)
        return 1
    print("PASSED")
    return 0


if __name__ == "__main__":
    sys.exit(main())
