#!/usr/bin/env bash
# blemon-monitor.service under a real systemd: boots an overlay of the cached Debian 12 root
# (tests/platform/debian-root.sh) with `systemd-nspawn --register=no --keep-unit -b`, systemd as
# PID 1, with the blemon .deb installed. guest.sh, run there by blemon-platform-test.service,
# drives the packaged unit with the simulated scanner and SQLite:
#   active through READY=1; the watchdog (WatchdogSec=6s, shorter than the 10 s interval) holds
#   for 45 s; `systemctl stop` within 5 s, exit 0; a configuration error (78) is not restarted;
#   an unavailable store (69) is; journal PRIORITY of an info line, the 69 and the 78 messages.
# Prints the service's states over time (@@STATE lines) and what systemd could not apply.
#
#   systemd_test.sh SOURCE_DIR WORK_DIR ROOT_CACHE_DIR DEBS_DIR
# Exits 77 (skipped) when not root or systemd-nspawn is missing.
set -euo pipefail
src=$1 work=$2 root_cache=$3 debs=$4
here=$src/tests/platform/systemd
timeout_seconds=${BLEMON_SYSTEMD_TEST_TIMEOUT:-300}

if [ "$(id -u)" -ne 0 ]; then
  echo "SKIPPED: booting a container needs root (CI runs as root)"
  exit 77
fi
command -v systemd-nspawn >/dev/null 2>&1 || {
  echo "SKIPPED: systemd-nspawn is not installed (package systemd-container)"
  exit 77
}
mkdir -p "$work" "$root_cache"
work=$(cd "$work" && pwd) root_cache=$(cd "$root_cache" && pwd)
source "$src/tests/platform/throwaway-root.sh"
platform_private_mounts "$0" "$@"

platform_debian_root "$src" "$root_cache"
base_root=$PLATFORM_ROOT
deb=$(ls "$debs"/v1/blemon_*.deb)

mkdir -p "$work"
machine_dir=$work/machine
trap 'platform_discard "$machine_dir"' EXIT
machine=$(platform_overlay "$base_root" "$machine_dir")
# nspawn without -b: one command in the root, its own /proc and /dev.
in_root() {
  systemd-nspawn -q --register=no --keep-unit --private-network -M blemon-platform \
    -D "$machine" "$@"
}

step "install $(basename "$deb") in an overlay of $base_root"
# Not /tmp: nspawn mounts a fresh tmpfs there.
mkdir -p "$machine/var/cache/blemon-test"
cp "$deb" "$machine/var/cache/blemon-test/"
in_root dpkg -i "/var/cache/blemon-test/$(basename "$deb")" >"$work/dpkg.log" 2>&1 || {
  cat "$work/dpkg.log"
  fail "dpkg -i in the root"
}
# The package enables the unit; here the driver starts it, with the test's configuration.
in_root systemctl disable -q blemon-monitor.service
install -D -m 0755 "$here/guest.sh" "$machine/opt/blemon-test/guest.sh"
install -D -m 0644 "$here/blemon-platform-test.service" \
  "$machine/etc/systemd/system/blemon-platform-test.service"
ln -sf /etc/systemd/system/blemon-platform-test.service \
  "$machine/etc/systemd/system/multi-user.target.wants/blemon-platform-test.service"
# A getty on the console would hang up the driver's console output when it starts.
ln -sf /dev/null "$machine/etc/systemd/system/console-getty.service"

step "boot it: systemd-nspawn --register=no --keep-unit -b"
started=$SECONDS
set +e
timeout --kill-after=10 "$timeout_seconds" systemd-nspawn --register=no --keep-unit -b \
  --private-network --console=read-only -M blemon-platform -D "$machine" -- systemd.show_status=0 \
  </dev/null >"$work/console.log" 2>&1
nspawn_status=$?
set -e
boot_seconds=$((SECONDS - started))
cp "$machine/var/log/blemon-platform-test.log" "$work/driver.log" 2>/dev/null || true
grep -E '^@@' "$work/driver.log" >"$work/markers.txt" || true

echo "The service's states over time (seconds since the driver started; one line per change):"
awk '$1 == "@@STATE" { key = $0; sub(/^@@STATE [0-9.]+ /, "", key); if (key != last) print; last = key }' \
  "$work/markers.txt"
grep -E '^@@(LOG|CHECK|SANDBOX)' "$work/markers.txt" || true
echo "nspawn: exit $nspawn_status after $boot_seconds s"
if ! grep -q '^@@RESULT' "$work/markers.txt"; then
  tail -n 60 "$work/console.log"
  fail "the driver did not finish (console: $work/console.log)"
fi
grep -q '^@@CHECK FAIL' "$work/markers.txt" && fail "$(grep -c '^@@CHECK FAIL' "$work/markers.txt") check(s) failed"
grep -q '^@@RESULT ok' "$work/markers.txt" || fail "the driver reported $(grep '^@@RESULT' "$work/markers.txt")"
echo "OK: blemon-monitor.service under systemd $(in_root systemctl --version | head -n 1 | cut -d' ' -f2):" \
  "READY, watchdog, stop, restart policy and journal priorities as designed ($boot_seconds s)"
