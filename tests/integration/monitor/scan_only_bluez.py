#!/usr/bin/python3
"""blemon-monitor --scan-only against the BlueZ mock (tests/peers/bluez.cmake): the monitor's real
BlueZ wiring, and device names that try to reach the terminal printed as escapes.

    scan_only_bluez.py BLEMON_MONITOR WORK_DIR
"""

import os
import subprocess
import sys
import time

import dbus

MOCK = "org.freedesktop.DBus.Mock"
BLUEZ_MOCK = "org.bluez.Mock"
# A right-to-left override (reorders the rest of the line), and an ANSI colour sequence whose
# ESC the scanner's sanitising removes; what is left must print as plain text.
HOSTILE_NAME = "Evil\u202eTag\x1b[31mRED"


def main():
    binary, work = sys.argv[1], sys.argv[2]
    os.makedirs(work, exist_ok=True)
    bus = dbus.bus.BusConnection(os.environ["DBUS_SYSTEM_BUS_ADDRESS"])
    root = bus.get_object("org.bluez", "/")
    dbus.Interface(root, MOCK).Reset()
    dbus.Interface(root, BLUEZ_MOCK).AddAdapter("hci0", "blemon-test")
    adapter = bus.get_object("org.bluez", "/org/bluez/hci0")

    config = os.path.join(work, "scan.toml")
    with open(config, "w") as f:
        f.write('[monitor]\nadapter = "hci0"\nscan_duration_seconds = 2\n')
    proc = subprocess.Popen([binary, "--scan-only", "-c", config], stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE)
    deadline = time.monotonic() + 5
    while not adapter.Get("org.bluez.Adapter1", "Discovering",
                          dbus_interface="org.freedesktop.DBus.Properties"):
        if time.monotonic() > deadline:
            proc.kill()
            print("FAILED: the monitor never started discovery;", proc.communicate())
            return 1
        time.sleep(0.02)
    # The stock template's AddDevice announces the device with RSSI -79 and Name = alias.
    dbus.Interface(root, BLUEZ_MOCK).AddDevice("hci0", "00:11:22:33:44:55", "Kitchen Phone")
    dbus.Interface(root, BLUEZ_MOCK).AddDevice("hci0", "00:11:22:33:44:66", HOSTILE_NAME)
    out, err = proc.communicate(timeout=15)
    text = out.decode("utf-8", "replace")
    print(text, err.decode("utf-8", "replace"), sep="\n")

    failures = []
    if proc.returncode != 0:
        failures.append(f"exit {proc.returncode}")
    lines = {line.split()[0]: line for line in text.splitlines()[1:] if line.strip()}
    phone = lines.get("00:11:22:33:44:55", "")
    if not (phone.split()[1:4] == ["public", "-79", "1"] and phone.endswith("Kitchen Phone")):
        failures.append(f"unexpected line for the phone: {phone!r}")
    hostile = lines.get("00:11:22:33:44:66", "")
    if not hostile.endswith("Evil\\u{202e}Tag[31mRED"):
        failures.append(f"hostile name not escaped as expected: {hostile!r}")
    if "\x1b" in text or "\u202e" in text:
        failures.append("a terminal control character reached stdout")
    if failures:
        print("FAILED:", "; ".join(failures))
        return 1
    print("PASSED")
    return 0


if __name__ == "__main__":
    sys.exit(main())
