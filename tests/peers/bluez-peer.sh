#!/usr/bin/env bash
# A throwaway BlueZ for tests: a private dbus-daemon (its own config, allowing everything) and
# python3-dbusmock serving org.bluez on that bus from bluez5_blemon.py (beside this script: the
# stock bluez5 template plus LEAdvertisingManager1; BLEMON_BLUEZ_TEMPLATE names another). Clients
# find it through DBUS_SYSTEM_BUS_ADDRESS=unix:path=DIR/bus. Nothing here touches the real system
# bus.
#
#   bluez-peer.sh start DIR        bus + mock; returns once org.bluez is owned
#   bluez-peer.sh stop DIR         stops both (and anything left from an earlier run)
#   bluez-peer.sh kill-mock DIR    SIGKILLs the mock, as a bluetoothd crash would look
#   bluez-peer.sh start-mock DIR   starts the mock again (fresh state: no adapters)
#   bluez-peer.sh kill-bus DIR     SIGKILLs the dbus-daemon, as a dbus crash would look (use a
#                                  private DIR for that, not the shared fixture's)
#   bluez-peer.sh env DIR          prints the export line for a shell
#
# The mock runs under /usr/bin/python3: the python3 first on PATH may lack Debian's packages.
set -euo pipefail

cmd=${1:?usage: bluez-peer.sh start|stop|kill-mock|start-mock|kill-bus|env DIR}
dir=${2:?usage: bluez-peer.sh $cmd DIR}
python=${BLEMON_PYTHON:-/usr/bin/python3}
template=${BLEMON_BLUEZ_TEMPLATE:-$(cd "$(dirname "$0")" && pwd)/bluez5_blemon.py}
address="unix:path=$dir/bus"

log() { echo "bluez-peer: $*" >&2; }

# A killed process may linger as a zombie until its (re)parent reaps it: that counts as gone.
running() {
  local state
  state=$(awk '{print $3}' "/proc/$1/stat" 2>/dev/null) || return 1
  [ -n "$state" ] && [ "$state" != Z ] && [ "$state" != X ]
}

alive() { [ -f "$1" ] && running "$(cat "$1")"; }

stop_pid() {
  local pidfile=$1 signal=${2:-TERM} pid i
  [ -f "$pidfile" ] || return 0
  pid=$(cat "$pidfile")
  if running "$pid"; then
    kill "-$signal" "$pid" 2>/dev/null || true
    for i in $(seq 100); do
      running "$pid" || break
      sleep 0.05
    done
    if running "$pid"; then kill -KILL "$pid" 2>/dev/null || true; fi
  fi
  rm -f "$pidfile"
}

bluez_owned() {
  dbus-send --bus="$address" --print-reply=literal --dest=org.freedesktop.DBus \
    /org/freedesktop/DBus org.freedesktop.DBus.NameHasOwner string:org.bluez 2>/dev/null |
    grep -q true
}

start_bus() {
  mkdir -p "$dir"
  cat >"$dir/bus.conf" <<EOF
<!DOCTYPE busconfig PUBLIC "-//freedesktop//DTD D-BUS Bus Configuration 1.0//EN"
 "http://www.freedesktop.org/standards/dbus/1.0/busconfig.dtd">
<busconfig>
  <type>system</type>
  <listen>$address</listen>
  <auth>EXTERNAL</auth>
  <policy context="default">
    <allow user="*"/>
    <allow own="*"/>
    <allow send_type="method_call"/>
    <allow send_type="signal"/>
    <allow send_type="method_return"/>
    <allow send_type="error"/>
    <allow receive_type="method_call"/>
    <allow receive_type="signal"/>
    <allow receive_type="method_return"/>
    <allow receive_type="error"/>
  </policy>
</busconfig>
EOF
  rm -f "$dir/bus"
  # --fork detaches it from ctest's pipes; it writes its pid once it listens.
  dbus-daemon --config-file="$dir/bus.conf" --fork --nopidfile --print-pid=3 \
    3>"$dir/dbus.pid" </dev/null >"$dir/dbus.log" 2>&1
  local i
  for i in $(seq 100); do
    [ -S "$dir/bus" ] && [ -s "$dir/dbus.pid" ] && return 0
    sleep 0.05
  done
  log "dbus-daemon did not come up (see $dir/dbus.log)"
  return 1
}

start_mock() {
  alive "$dir/dbus.pid" || { log "no bus running in $dir"; return 1; }
  # setsid + redirections: the mock must not hold ctest's output pipes open.
  DBUS_SYSTEM_BUS_ADDRESS="$address" setsid "$python" -m dbusmock --system -t "$template" \
    -l "$dir/mock.log" </dev/null >>"$dir/mock.out" 2>&1 &
  echo $! >"$dir/mock.pid"
  local i
  for i in $(seq 200); do
    bluez_owned && return 0
    alive "$dir/mock.pid" || break
    sleep 0.05
  done
  log "the BlueZ mock did not take org.bluez (see $dir/mock.out)"
  return 1
}

case $cmd in
  start)
    stop_pid "$dir/mock.pid"
    stop_pid "$dir/dbus.pid"
    start_bus
    : >"$dir/mock.out"
    start_mock
    echo "DBUS_SYSTEM_BUS_ADDRESS=$address"
    ;;
  stop)
    stop_pid "$dir/mock.pid"
    stop_pid "$dir/dbus.pid"
    rm -f "$dir/bus"
    ;;
  kill-mock)
    stop_pid "$dir/mock.pid" KILL
    # The bus has seen the connection drop once the name is free again.
    for i in $(seq 100); do
      bluez_owned || exit 0
      sleep 0.02
    done
    log "org.bluez still owned after killing the mock"
    exit 1
    ;;
  start-mock)
    stop_pid "$dir/mock.pid"
    start_mock
    ;;
  kill-bus)
    stop_pid "$dir/dbus.pid" KILL
    ;;
  env)
    echo "export DBUS_SYSTEM_BUS_ADDRESS=$address"
    ;;
  *)
    log "unknown command $cmd"
    exit 2
    ;;
esac
