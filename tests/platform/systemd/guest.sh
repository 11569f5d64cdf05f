#!/bin/bash
# Runs inside the nspawn-booted Debian root, as blemon-platform-test.service, with systemd as PID 1
# and blemon installed from its .deb. Drives blemon-monitor.service through systemctl and prints
# on the console what the host-side systemd_test.sh checks:
#   @@STATE <seconds since start> <ActiveState>/<SubState> pid=<MainPID> restarts=<NRestarts>
#           result=<Result> status=<ExecMainStatus> "<StatusText>"      every second, throughout
#   @@CHECK ok|FAIL <what>                                              one per expectation
#   @@RESULT ok|FAIL                                                    last; then it powers off
set -u
# Also into a file, which the host reads from the root after the container has stopped.
exec > >(tee /var/log/blemon-platform-test.log) 2>&1
unit=blemon-monitor.service
dropin=/etc/systemd/system/$unit.d/platform-test.conf
t0=$(date +%s.%N)
failures=0

elapsed() { awk -v a="$t0" -v b="$(date +%s.%N)" 'BEGIN { printf "%.1f", b - a }'; }
log() { echo "@@LOG $(elapsed) $*"; }
check() {
  local what=$1
  shift
  if "$@"; then
    echo "@@CHECK ok $what"
  else
    echo "@@CHECK FAIL $what"
    failures=$((failures + 1))
  fi
}
prop() { systemctl show -P "$1" "$unit"; }
state_line() {
  echo "@@STATE $(elapsed) $(prop ActiveState)/$(prop SubState) pid=$(prop MainPID)" \
    "restarts=$(prop NRestarts) result=$(prop Result) status=$(prop ExecMainStatus)" \
    "\"$(prop StatusText)\""
}
# The service's states over time, sampled every second until the driver ends.
(while :; do state_line; sleep 1; done) &
sampler=$!

# A config and a drop-in that point the packaged unit at the simulated scanner, 10 s intervals
# (scan 2 s, processor wait 2 s: together shorter than the interval, as the parser demands) and
# the SQLite store; WatchdogSec shorter than the interval, so only the monitor's own pings while
# it sleeps keep it alive.
use_config() {
  mkdir -p "$(dirname "$dropin")"
  cat >"$dropin" <<EOF
[Service]
ExecStart=
ExecStart=/usr/bin/blemon-monitor --config $1 --simulate
WatchdogSec=6s
RestartSec=2s
EOF
  systemctl daemon-reload
  systemctl reset-failed "$unit" 2>/dev/null || true
}
write_config() {  # FILE INTERVAL [EXTRA LINE]
  cat >"$1" <<EOF
[monitor]
name = "nspawn-monitor"
scan_interval_seconds = $2
scan_duration_seconds = 2
processor_wait_seconds = 2
process_intervals = true
processor_lease_ttl_seconds = 60
$3
[database]
backend = "sqlite"
path = "/var/lib/blemon/blemon.db"

[simulation]
seed = 7
devices = 12
EOF
  chgrp _blemon "$1" && chmod 0640 "$1"
}
write_config /etc/blemon/good.toml 10 ""
write_config /etc/blemon/other-interval.toml 20 ""
write_config /etc/blemon/bad.toml 10 'scan_intervall = 5'

log "scenario 1: start, READY=1, watchdog over several intervals, stop"
use_config /etc/blemon/good.toml
started=$(date +%s.%N)
systemctl start "$unit"
start_rc=$?
log "systemctl start returned $start_rc after $(awk -v a="$started" -v b="$(date +%s.%N)" 'BEGIN { printf "%.1f", b - a }') s"
check "systemctl start returns 0 (Type=notify: after READY=1)" [ "$start_rc" -eq 0 ]
check "active/running right after start" [ "$(prop ActiveState)/$(prop SubState)" = active/running ]
first_pid=$(prop MainPID)
watch_until=$(($(date +%s) + 45))
while [ "$(date +%s)" -lt "$watch_until" ]; do
  [ "$(prop ActiveState)" = active ] || break
  sleep 1
done
check "still active after 45 s (4 intervals, WatchdogSec=6s)" [ "$(prop ActiveState)" = active ]
check "same process, no restart" [ "$(prop MainPID)" = "$first_pid" ] && [ "$(prop NRestarts)" = 0 ]
check "STATUS= text from the cycle" grep -q 'Interval' <<<"$(prop StatusText)"
# What the sandbox of the unit amounts to inside nspawn, seen from the running process.
pid=$(prop MainPID)
grep -E '^(NoNewPrivs|Seccomp|CapEff|CapBnd):' "/proc/$pid/status" | tr -s '\t ' ' ' |
  sed 's/^/@@SANDBOX /'
sandbox() {  # WHAT COMMAND...: does the unit's hardening option take effect?
  local what=$1
  shift
  # All of them take effect in this container today: one that stops doing so (a newer nspawn, a
  # user namespace) fails the test, so that docs/operations.md gets updated.
  check "sandbox: $what" quietly "$@"
}
quietly() { "$@" >/dev/null 2>&1; }
sandbox "NoNewPrivileges (NoNewPrivs 1)" grep -qE '^NoNewPrivs:\s+1' "/proc/$pid/status"
sandbox "SystemCallFilter (Seccomp 2)" grep -qE '^Seccomp:\s+2' "/proc/$pid/status"
sandbox "CapabilityBoundingSet= (CapBnd 0)" grep -qE '^CapBnd:\s+0+$' "/proc/$pid/status"
sandbox "ProtectSystem=strict (/usr read-only)" sh -c "nsenter -t $pid -m findmnt -no OPTIONS -T /usr | grep -q '^ro'"
sandbox "ProtectSystem=strict (/etc read-only)" sh -c "nsenter -t $pid -m findmnt -no OPTIONS -T /etc | grep -q '^ro'"
sandbox "StateDirectory writable" sh -c "nsenter -t $pid -m findmnt -no OPTIONS -T /var/lib/blemon | grep -q '^rw'"
sandbox "ProtectHome=yes (/root hidden)" sh -c "! nsenter -t $pid -m ls /root/.profile"
sandbox "PrivateTmp=yes (own /tmp)" sh -c "touch /tmp/host-side-file && ! nsenter -t $pid -m ls /tmp/host-side-file"
sandbox "PrivateDevices=yes (no /dev/kmsg, few nodes)" sh -c "! nsenter -t $pid -m ls /dev/kmsg"
sandbox "ProtectKernelTunables=yes (/proc/sys read-only)" sh -c "! nsenter -t $pid -m test -w /proc/sys/kernel/domainname"
sandbox "ProtectControlGroups=yes (/sys/fs/cgroup read-only)" sh -c "nsenter -t $pid -m findmnt -no OPTIONS -T /sys/fs/cgroup | grep -q '^ro'"
sandbox "ProtectHostname=yes (own UTS namespace)" sh -c "[ \"\$(readlink /proc/$pid/ns/uts)\" != \"\$(readlink /proc/self/ns/uts)\" ]"
# Root sees through hidepid, so the mount options, not a listing, say whether it applies.
sandbox "ProtectProc=invisible (hidepid=invisible)" sh -c "nsenter -t $pid -m findmnt -no OPTIONS -T /proc | grep -q 'hidepid=invisible'"
sandbox "ProcSubset=pid (subset=pid)" sh -c "nsenter -t $pid -m findmnt -no OPTIONS -T /proc | grep -q 'subset=pid'"
echo "@@SANDBOX /proc in the service: $(nsenter -t "$pid" -m findmnt -no OPTIONS -T /proc)"
cycles=$(journalctl -q -u "$unit" -o cat | grep -c 'Starting scan cycle' || true)
log "scan cycles in the journal: $cycles"
check "at least 3 scan cycles" [ "$cycles" -ge 3 ]
readings=$(sqlite3 /var/lib/blemon/blemon.db 'SELECT COUNT(*) FROM device_sightings' 2>&1)
log "device_sightings rows: $readings"
check "readings stored in SQLite" [ "${readings:-0}" -gt 0 ] 2>/dev/null
stopping=$(date +%s.%N)
systemctl stop "$unit"
stop_seconds=$(awk -v a="$stopping" -v b="$(date +%s.%N)" 'BEGIN { printf "%.2f", b - a }')
log "systemctl stop took $stop_seconds s"
check "systemctl stop within 5 s" awk -v s="$stop_seconds" 'BEGIN { exit !(s < 5) }'
check "inactive, result success, exit 0" \
  [ "$(prop ActiveState)/$(prop Result)/$(prop ExecMainStatus)" = inactive/success/0 ]

log "scenario 2: a configuration error (exit 78) is not restarted"
use_config /etc/blemon/bad.toml
systemctl start "$unit"
log "systemctl start returned $?"
sleep 8  # four RestartSec
check "failed with exit 78" [ "$(prop ActiveState)/$(prop ExecMainStatus)" = failed/78 ]
check "not restarted" [ "$(prop NRestarts)" = 0 ]

log "scenario 3: an unavailable store (exit 69: the fleet interval differs) is restarted"
use_config /etc/blemon/other-interval.toml
systemctl start "$unit"
log "systemctl start returned $?"
sleep 6
# Read the exit status between two starts (a start in progress shows 0).
for _ in 1 2 3 4 5 6 7 8 9 10; do
  [ "$(prop SubState)" = auto-restart ] && break
  sleep 0.5
done
restarts=$(prop NRestarts)
log "restarts after 6 s: $restarts, last exit $(prop ExecMainStatus) ($(prop SubState))"
check "restarted at least twice" [ "$restarts" -ge 2 ]
check "last exit 69, waiting to restart" [ "$(prop ExecMainStatus)/$(prop SubState)" = 69/auto-restart ]
systemctl stop "$unit"

log "journal priorities (journalctl -o json PRIORITY)"
journalctl -q -u "$unit" -o json --output-fields=PRIORITY,MESSAGE,SYSLOG_IDENTIFIER >/tmp/journal.json
python3 - /tmp/journal.json <<'PY'
import json, sys
lines = [json.loads(l) for l in open(sys.argv[1]) if l.strip()]
mine = [l for l in lines if l.get("SYSLOG_IDENTIFIER") == "blemon-monitor"]
def prio(fragment):
    found = sorted({int(l["PRIORITY"]) for l in mine if fragment in str(l.get("MESSAGE", ""))})
    return found
for fragment, want in (("Starting scan cycle", [6]), ("configured for 20 s", [3]),
                       ("scan_intervall", [3])):
    got = prio(fragment)
    print("@@CHECK %s priority of '%s': %s (want %s)" % ("ok" if got == want else "FAIL", fragment,
                                                         got, want))
print("@@LOG journal lines of blemon-monitor: %d, by priority: %s" % (
    len(mine), {p: sum(1 for l in mine if l["PRIORITY"] == p) for p in sorted({l["PRIORITY"] for l in mine})}))
PY

log "what systemd said about the unit's sandbox (PID 1's warnings naming it)"
journalctl -q -b -o cat _PID=1 -p warning | grep -i 'blemon-monitor' |
  grep -v 'Failed with result\|Main process exited' | sort -u | head -20 | sed 's/^/@@LOG systemd: /'
systemd-analyze security --no-pager "$unit" 2>/dev/null | grep -E 'Overall' | sed 's/^/@@LOG /'

kill "$sampler" 2>/dev/null
if [ "$failures" -eq 0 ]; then echo "@@RESULT ok"; else echo "@@RESULT FAIL ($failures)"; fi
sleep 1  # let tee write the last line
systemctl poweroff --no-block
