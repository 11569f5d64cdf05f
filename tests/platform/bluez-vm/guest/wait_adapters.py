#!/usr/bin/python3
"""Waits (at most 30 s) until bluetoothd exports org.bluez.Adapter1 for every name in argv and,
with --powered, until each of them is Powered. Exit 0 when they are, 1 otherwise."""
import sys
import time

import dbus

args = sys.argv[1:]
powered = "--powered" in args
want = {a for a in args if not a.startswith("--")} or {"hci0"}
deadline = time.monotonic() + 30
bus = None
while time.monotonic() < deadline:
    try:
        if bus is None:
            bus = dbus.SystemBus()
        om = dbus.Interface(bus.get_object("org.bluez", "/"), "org.freedesktop.DBus.ObjectManager")
        have = {p.rsplit("/", 1)[-1]: ifs["org.bluez.Adapter1"]
                for p, ifs in om.GetManagedObjects().items() if "org.bluez.Adapter1" in ifs}
        if want <= set(have) and (not powered or all(have[n].get("Powered") for n in want)):
            print("@@ADAPTERS", " ".join(sorted(have)), flush=True)
            sys.exit(0)
    except dbus.exceptions.DBusException:
        pass
    time.sleep(0.2)
sys.exit(1)
