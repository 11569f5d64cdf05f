#!/usr/bin/python3
"""Prints the D-Bus type of every property of org.bluez.Adapter1 and org.bluez.Device1 that the
real bluetoothd exports (GetManagedObjects), to compare with the dbusmock template the
integration tests use:  @@TYPE <interface> <property> <signature> <value>"""
import dbus

SIGNATURES = {dbus.Boolean: "b", dbus.Byte: "y", dbus.Int16: "n", dbus.UInt16: "q",
              dbus.Int32: "i", dbus.UInt32: "u", dbus.Int64: "x", dbus.UInt64: "t",
              dbus.String: "s", dbus.ObjectPath: "o"}


def signature(value):
    if isinstance(value, dbus.Array):
        return "a" + (value.signature or "?")
    if isinstance(value, dbus.Dictionary):
        return "a{" + (value.signature or "??") + "}"
    return SIGNATURES.get(type(value), type(value).__name__)


bus = dbus.SystemBus()
om = dbus.Interface(bus.get_object("org.bluez", "/"), "org.freedesktop.DBus.ObjectManager")
seen = set()
for path, interfaces in sorted(om.GetManagedObjects().items()):
    for interface in ("org.bluez.Adapter1", "org.bluez.Device1"):
        for name, value in sorted(interfaces.get(interface, {}).items()):
            if (interface, name) in seen:
                continue
            seen.add((interface, name))
            text = repr(value)
            print("@@TYPE %s %s %s %s" % (interface, name, signature(value),
                                          text if len(text) < 80 else text[:77] + "..."))
