#!/bin/bash
# PID 1 of the BlueZ VM (tests/platform/bluez-vm), after the initramfs switch_root's onto the 9p
# root: the real kernel Bluetooth stack (bluetooth, hci_vhci) and Debian's bluetoothd 5.66, with
# vhci_controller.py as the LE controller. Runs the scenarios below with blemon's BlueZ scanner
# (blemon-scan-probe, blemon-monitor --scan-only and --single), writes their output to
# /opt/blemon-vm/out/ (the host reads it there after the VM has powered off; vm_test.sh checks
# it), prints @@MARK lines with the guest's uptime on the console, and powers off.
# Every fork costs 0.3-1 s under TCG: no polling loops.
export PATH=/usr/sbin:/usr/bin:/sbin:/bin
export LANG=C.UTF-8 PYTHONUNBUFFERED=1
vm=/opt/blemon-vm
out=$vm/out
mark() { echo "@@MARK $(cut -d' ' -f1 /proc/uptime) $*"; }

mountpoint -q /proc || mount -t proc proc /proc
mountpoint -q /sys || mount -t sysfs sys /sys
mountpoint -q /dev || mount -t devtmpfs dev /dev
mkdir -p /dev/pts /dev/shm
mount -t devpts devpts /dev/pts 2>/dev/null
for dir in /run /tmp /var/lib/bluetooth; do mount -t tmpfs tmpfs "$dir"; done
mkdir -p /run/dbus /run/lock "$out"
rm -f "$out"/*
hostname blemon-vm
ip link set lo up 2>/dev/null
mark init

modprobe bluetooth && modprobe hci_vhci || echo "@@FAIL modprobe"
dbus-uuidgen --ensure=/etc/machine-id >/dev/null 2>&1
dbus-daemon --system --fork --nopidfile || echo "@@FAIL dbus-daemon"
bluetoothd -n >/tmp/bluetoothd.log 2>&1 &
bluetoothd_pid=$!
mark bluetoothd-started "$(bluetoothd -v)"

# Kernel command line (vm_test.sh passes BLEMON_BLUEZ_VM_ARGS): blemon.scenarios=basics,strict
# runs only those; blemon.trace=1 records every message to or from org.bluez during each scenario
# (dbus-monitor, into out/NAME.trace.txt), for looking into a failure.
scenarios=basics,single,coalescing,strict
trace=0
for arg in $(cat /proc/cmdline); do
  case $arg in
    blemon.scenarios=*) scenarios=${arg#*=} ;;
    blemon.trace=*) trace=${arg#*=} ;;
  esac
done
wanted() { [[ ",$scenarios," == *",$1,"* ]]; }

controller_pid=""
trace_pid=""
# controller_start NAME DEVICES_JSON [controller options...]: our LE controller on /dev/vhci with
# these advertisers; returns once bluetoothd has the adapter powered.
controller_start() {
  local name=$1 devices=$2
  shift 2
  python3 $vm/vhci_controller.py --devices "$devices" --out "$out/$name.sent.json" "$@" \
    >"$out/$name.controller.txt" 2>"$out/$name.controller.log" &
  controller_pid=$!
  python3 $vm/wait_adapters.py --powered hci0 || echo "@@FAIL $name: hci0 not powered"
  if [ "$trace" = 1 ]; then
    dbus-monitor --system "sender='org.bluez'" "destination='org.bluez'" >"$out/$name.trace.txt" 2>&1 &
    trace_pid=$!
  fi
  mark "$name: controller up"
}
controller_stop() {
  [ -n "$trace_pid" ] && kill "$trace_pid"
  trace_pid=""
  kill "$controller_pid"
  wait "$controller_pid" 2>/dev/null
  # hci0 leaves when its /dev/vhci closes; the next controller takes the index again.
  while [ -e /sys/class/bluetooth/hci0 ]; do sleep 0.2; done
}
probe() { $vm/bin/blemon-scan-probe hci0 "$@"; }

# 1. The basics: filter, discovery, names and company IDs, the adapter powered off mid-scan.
basics() {
  controller_start basics $vm/devices/basics.json
  dbus-monitor --system --profile "destination='org.bluez'" "sender='org.bluez',type='error'" \
    "sender='org.bluez',type='method_return'" >"$out/basics.dbus.txt" 2>&1 &
  monitor_pid=$!
  sleep 1
  probe 5 >"$out/basics.probe.txt" 2>&1
  python3 $vm/device_types.py >"$out/basics.types.txt" 2>&1
  kill "$monitor_pid"
  mark "basics: probe done"
  $vm/bin/blemon-monitor -c $vm/scan-only.toml --scan-only >"$out/basics.scan-only.txt" \
    2>"$out/basics.scan-only.err"
  echo "exit=$?" >>"$out/basics.scan-only.err"
  mark "basics: --scan-only done"
  probe 15 >"$out/poweroff.probe.txt" 2>&1 &
  probe_pid=$!
  sleep 5
  mark "poweroff: power off"
  btmgmt -i hci0 power off >"$out/poweroff.btmgmt.txt" 2>&1
  wait "$probe_pid"
  mark "poweroff: probe ended"
  btmgmt -i hci0 power on >>"$out/poweroff.btmgmt.txt" 2>&1
  python3 $vm/wait_adapters.py --powered hci0 || echo "@@FAIL hci0 not powered again"
  probe 4 >"$out/poweron.probe.txt" 2>&1
  mark "poweron: probe done"
  controller_stop
}

# 2. Every report signalled (the controller ignores filter_duplicates): a device whose RSSI steps
#    -70 -> -50 -> -65 and a beacon every 100 ms, one 10 s scan stored by --single in SQLite.
single() {
  controller_start single $vm/devices/single.json
  $vm/bin/blemon-monitor -c $vm/single.toml --single >"$out/single.monitor.txt" 2>&1
  echo "exit=$?" >>"$out/single.monitor.txt"
  sqlite3 -separator ' ' /tmp/single.db \
    "SELECT 'STAGED', mac_address, rssi, advert_count FROM sighting_staging ORDER BY mac_address;
     SELECT 'SIGHTING', d.mac_address, s.rssi, s.interval_start FROM device_sightings s
       JOIN ble_devices d ON d.device_id = s.device_id ORDER BY d.mac_address;" \
    >"$out/single.db.txt" 2>&1
  mark "single: done"
  controller_stop
}

# 3. Coalescing: more reports than bluetoothd signals; the strongest value must survive.
coalescing() {
  controller_start coalescing $vm/devices/coalescing.json
  probe 6 >"$out/coalescing.probe.txt" 2>&1
  mark "coalescing: done"
  controller_stop
}

# 4. A strict duplicate filter (one report per address per LE scan enable): one update per
#    device per kernel scan restart (about every 10.3 s while a discovery filter is set).
strict() {
  controller_start strict $vm/devices/basics.json --dup addr
  # A few signals only: record them, so the check can tell what bluetoothd signalled from what
  # the scanner counted.
  [ "$trace" = 1 ] || dbus-monitor --system "sender='org.bluez'" "destination='org.bluez'" \
    >"$out/strict.trace.txt" 2>&1 &
  strict_monitor=$!
  probe 22 >"$out/strict.probe.txt" 2>&1
  [ "$trace" = 1 ] || kill "$strict_monitor"
  mark "strict: done"
  controller_stop
}

for scenario in basics single coalescing strict; do
  wanted "$scenario" && "$scenario"
done

kill "$bluetoothd_pid" 2>/dev/null
cp /tmp/bluetoothd.log "$out/"
echo "@@STAT load $(cat /proc/loadavg)"
mark "done"
sync
echo o >/proc/sysrq-trigger
sleep 5
poweroff -f
