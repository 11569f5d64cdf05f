#!/usr/bin/env bash
# The Debian packages, end to end:
#   build blemon and libblemon-dev (packaging/build-deb.sh), and a newer build (+test1);
#   lintian: no errors (warnings are listed); systemd-analyze security --offline: ≤ 2.5;
#   as root, in a throwaway Debian 12 root (an overlay of tests/platform/debian-root.sh's cached
#   root, with its own dpkg database; this machine's packages are never touched): install, the
#   user, the conffile's mode, --version and --check-config against the shipped config, edit the
#   conffile, upgrade to the newer build, the edit survives; build the find_package consumer
#   against /usr from libblemon-dev; remove, purge, nothing left behind but the _blemon user
#   (which policy keeps).
#
#   deb_test.sh SOURCE_DIR WORK_DIR PROJECT_VERSION ROOT_CACHE_DIR
#
# BLEMON_DEB_TEST_PREBUILT=DIR reuses the packages in DIR/v1 and DIR/v2 (the PackageDebsBuilt
# fixture makes them) instead of building them. BLEMON_DEB_TEST_FAIL_AFTER=STEP (install,
# upgrade or consumer) fails the test on purpose right after that step: package_rerun_test.sh
# uses it to show that a run that dies half-way leaves nothing behind for the next.
# Exits 77 (skipped) when a tool is missing or, after the checks that need no root, when not root.
set -euo pipefail
src=$1 work=$2 version=$3 root_cache=$4
# The overlay and the chroot's mounts live in a mount namespace of their own: they vanish with
# this process however it ends.
if [ "$(id -u)" -eq 0 ]; then
  source "$src/tests/platform/throwaway-root.sh"
  platform_private_mounts "$0" "$@"
fi
unit=blemon-monitor.service
conffile=/etc/blemon/blemon.toml
max_exposure=2.5

step() { echo; echo "== $* ($(date -u +%T))"; }
fail() {
  echo "FAILED: $*"
  exit 1
}
after() {
  if [ "${BLEMON_DEB_TEST_FAIL_AFTER:-}" = "$1" ]; then
    fail "injected failure after $1 (BLEMON_DEB_TEST_FAIL_AFTER)"
  fi
}

for tool in dpkg-buildpackage dh lintian systemd-analyze; do
  command -v "$tool" >/dev/null 2>&1 || {
    echo "SKIPPED: $tool is not installed (scripts/packages.sh installs it)"
    exit 77
  }
done

rm -rf "$work"
mkdir -p "$work"
newer=$version+test1

if [ -n "${BLEMON_DEB_TEST_PREBUILT:-}" ]; then
  step "reusing the packages in $BLEMON_DEB_TEST_PREBUILT"
  cp -r "$BLEMON_DEB_TEST_PREBUILT/v1" "$BLEMON_DEB_TEST_PREBUILT/v2" "$work/"
else
  "$src/tests/package/build_debs.sh" "$src" "$work" "$version"
fi
deb=$(ls "$work"/v1/blemon_*.deb)
dev=$(ls "$work"/v1/libblemon-dev_*.deb)
deb2=$(ls "$work"/v2/blemon_*.deb)
ls -l "$work"/v1/*.deb "$work"/v2/*.deb

step "contents"
# Listed to files first: grep -q would end the pipe early and fail dpkg-deb under pipefail.
dpkg-deb -c "$deb" | awk '{print $1, $2, $6}' >"$work/contents.txt"
dpkg-deb -c "$dev" | awk '{print $1, $2, $6}' >"$work/contents-dev.txt"
cat "$work/contents.txt"
for path in ./usr/bin/blemon-monitor ./lib/systemd/system/$unit ./usr/lib/sysusers.d/blemon.conf \
  ./etc/blemon/blemon.toml ./usr/share/doc/blemon/operations.md \
  ./usr/share/man/man1/blemon-monitor.1.gz; do
  awk '{print $3}' "$work/contents.txt" | grep -qxF "$path" || fail "$path is not in $(basename "$deb")"
done
grep -qx -- '-rw-r----- root/root ./etc/blemon/blemon.toml' "$work/contents.txt" ||
  fail "blemon.toml is not 0640 in the package"
grep -q '/cmake/blemon/blemonConfig.cmake$' "$work/contents-dev.txt" ||
  fail "libblemon-dev has no blemonConfig.cmake"
grep -q '/libblemon\.a$' "$work/contents-dev.txt" || fail "libblemon-dev has no libblemon.a"

step "maintainer scripts: enabled but not started on install, try-restart on upgrade, stop on removal"
# No systemd runs as PID 1 here, so the restart policy is checked in the scripts themselves.
dpkg-deb -e "$deb" "$work/control"
grep -q 'deb-systemd-helper enable' "$work/control/postinst" || fail "postinst does not enable $unit"
grep -q "deb-systemd-invoke try-restart '$unit'" "$work/control/postinst" ||
  fail "postinst does not try-restart $unit on upgrade"
if grep -Eq 'deb-systemd-invoke (start|restart|\$_dh_action)' "$work/control/postinst"; then
  fail "postinst starts $unit, or restarts it even when it was stopped"
fi
grep -q "deb-systemd-invoke stop $unit" "$work/control/prerm" || fail "prerm does not stop $unit"
grep -q 'systemd-sysusers' "$work/control/postinst" && grep -q 'adduser --system' "$work/control/postinst" ||
  fail "postinst lacks systemd-sysusers or its adduser fallback"

step "lintian"
# --fail-on error: warnings are reported but allowed; operations.md lists those left and why.
lintian --fail-on error --tag-display-limit 0 "$work"/v1/*.deb | tee "$work/lintian.txt" ||
  fail "lintian reports errors"
echo "lintian: $(grep -c '^E:' "$work/lintian.txt" || true) errors," \
  "$(grep -c '^W:' "$work/lintian.txt" || true) warnings"

step "systemd-analyze security --offline=true (the unit as packaged)"
mkdir -p "$work/unpacked"
dpkg-deb -x "$deb" "$work/unpacked"
analysis=$(systemd-analyze security --offline=true --no-pager "$work/unpacked/lib/systemd/system/$unit" 2>&1) ||
  true
echo "$analysis" | grep -E '✗|Overall'
exposure=$(sed -n 's/.*Overall exposure level for [^:]*: \([0-9.]*\).*/\1/p' <<<"$analysis")
[ -n "$exposure" ] || fail "no exposure level in systemd-analyze's output"
awk -v e="$exposure" -v m="$max_exposure" 'BEGIN { exit !(e <= m) }' ||
  fail "exposure $exposure is above $max_exposure"
echo "exposure $exposure <= $max_exposure"
systemd-analyze verify --man=no "$work/unpacked/lib/systemd/system/$unit" 2>&1 |
  grep -v 'is not executable\|No such file' || true

step "hardening of the executables (hardening-check)"
if command -v hardening-check >/dev/null 2>&1; then
  for exe in "$work"/unpacked/usr/bin/*; do
    # Its exit status also counts the optional properties: judged line by line below instead.
    hardening-check "$exe" >"$work/hardening.txt" || true
    cat "$work/hardening.txt"
    # Stack clash and control-flow protection are reported "unknown" for code that happens not
    # to need them; the five below must be there.
    for property in 'Position Independent Executable' 'Stack protected' 'Fortify Source functions' \
      'Read-only relocations' 'Immediate binding'; do
      grep -q "^ $property: yes" "$work/hardening.txt" || fail "$(basename "$exe"): $property is not yes"
    done
  done
else
  echo "hardening-check (devscripts) is not installed: not checked"
fi

if [ "$(id -u)" -ne 0 ]; then
  echo "SKIPPED: installing the packages needs root (CI runs as root); the build, lintian and" \
    "systemd-analyze checks passed"
  exit 77
fi

step "a throwaway Debian 12 root"
platform_debian_root "$src" "$root_cache"
base_root=$PLATFORM_ROOT
sandbox=$work/sandbox
# Whatever happens from here, the overlay goes: the next run starts from the cached root again.
trap 'platform_discard "$sandbox"' EXIT
root=$(platform_overlay "$base_root" "$sandbox")
platform_chroot_mounts "$root"
echo "overlay of $base_root at $root"
# A command inside the root, with a clean environment.
in_root() {
  chroot "$root" /usr/bin/env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin LANG=C.UTF-8 HOME=/root \
    DEBIAN_FRONTEND=noninteractive "$@"
}
# dpkg inside the root, waiting (up to 5 min) while another dpkg or apt holds its lock.
dpkg_in_root() {
  local output attempt
  for attempt in $(seq 1 150); do
    if output=$(in_root dpkg "$@" 2>&1); then
      echo "$output"
      return 0
    fi
    grep -q 'lock' <<<"$output" || {
      echo "$output"
      return 1
    }
    [ "$attempt" -eq 1 ] && echo "dpkg is locked; waiting"
    sleep 2
  done
  echo "$output"
  return 1
}
mkdir -p "$root/tmp/debs/v1" "$root/tmp/debs/v2"
cp "$deb" "$dev" "$root/tmp/debs/v1/"
cp "$deb2" "$root/tmp/debs/v2/"
in_deb=/tmp/debs/v1/$(basename "$deb") in_dev=/tmp/debs/v1/$(basename "$dev")
in_deb2=/tmp/debs/v2/$(basename "$deb2")

step "install $(basename "$deb") and $(basename "$dev") in the root"
dpkg_in_root -i "$in_deb" "$in_dev" || fail "dpkg -i failed in the root"
in_root dpkg-query -W -f='${Version}\n' blemon | grep -qxF "$version" || fail "blemon is not at $version"
in_root getent passwd _blemon >/dev/null || fail "no user _blemon"
in_root id -nG _blemon | tr ' ' '\n' | grep -qx bluetooth || fail "_blemon is not in group bluetooth"
[ "$(in_root getent passwd _blemon | cut -d: -f7)" = /usr/sbin/nologin ] || fail "_blemon can log in"
[ "$(in_root stat -c '%a %U %G' "$conffile")" = "640 root _blemon" ] ||
  fail "$conffile is $(in_root stat -c '%a %U %G' "$conffile"), not 640 root _blemon"
[ "$(in_root stat -c '%U' /var/lib/blemon)" = _blemon ] || fail "/var/lib/blemon does not belong to _blemon"
[ -L "$root/etc/systemd/system/multi-user.target.wants/$unit" ] || fail "$unit is not enabled"
grep -qxF "$conffile" "$root/var/lib/dpkg/info/blemon.conffiles" || fail "$conffile is not a conffile"
for tool in blemon-monitor blemon-report blemon-dashboard blemon-admin; do
  [ -x "$root/usr/bin/$tool" ] || echo "note: /usr/bin/$tool is not in this build"
done

step "blemon-monitor --version and --check-config against the shipped config"
in_root /usr/bin/blemon-monitor --version | tee "$work/version.txt"
grep -qF "$version" "$work/version.txt" || fail "--version does not say $version"
in_root /usr/bin/blemon-monitor --check-config | tee "$work/check.txt"
grep -q "^$conffile: configuration OK" "$work/check.txt" || fail "--check-config did not read $conffile"
# The service's user can read its config (group _blemon), others cannot.
in_root runuser -u _blemon -- /usr/bin/blemon-monitor --check-config >/dev/null ||
  fail "_blemon cannot read $conffile"
if in_root runuser -u nobody -- /usr/bin/blemon-monitor --check-config >/dev/null 2>&1; then
  fail "nobody can read $conffile"
fi
after install

step "edit the conffile, upgrade to $newer"
sed -i 's/^#location = ""$/location = "package test room"/' "$root$conffile"
grep -q '^location = "package test room"$' "$root$conffile" || fail "the test could not edit $conffile"
dpkg_in_root -i "$in_deb2" || fail "dpkg -i of $newer failed in the root"
in_root dpkg-query -W -f='${Version}\n' blemon | grep -qxF "$newer" || fail "blemon is not at $newer"
grep -q '^location = "package test room"$' "$root$conffile" || fail "the upgrade lost the edit"
in_root /usr/bin/blemon-monitor --check-config | grep -q "package test room" ||
  fail "--check-config does not show the edit after the upgrade"
[ "$(in_root stat -c '%a %U %G' "$conffile")" = "640 root _blemon" ] ||
  fail "the upgrade changed $conffile to $(in_root stat -c '%a %U %G' "$conffile")"
leftovers=$(ls "$root/etc/blemon/" | grep -E '\.dpkg-' || true)
[ -z "$leftovers" ] || fail "the upgrade left $leftovers in /etc/blemon"
after upgrade

step "the find_package consumer against /usr (libblemon-dev)"
cp -r "$src/tests/package/consumer" "$root/tmp/consumer"
{
  in_root cmake -S /tmp/consumer -B /tmp/consumer-build -G Ninja -DBLEMON_EXPECTED_PREFIX=/usr &&
    in_root cmake --build /tmp/consumer-build
} >"$work/consumer.log" 2>&1 || {
  cat "$work/consumer.log"
  fail "configuring or building the consumer failed"
}
in_root ctest --test-dir /tmp/consumer-build --output-on-failure || fail "the consumer's test failed"
after consumer

step "remove"
# Files the service would have made, so that purge has something to clean.
in_root runuser -u _blemon -- touch /var/lib/blemon/spool-test.db
dpkg_in_root --remove blemon libblemon-dev || fail "dpkg --remove failed in the root"
[ ! -e "$root/usr/bin/blemon-monitor" ] || fail "remove left /usr/bin/blemon-monitor"
[ ! -e "$root/lib/systemd/system/$unit" ] || fail "remove left the unit"
[ ! -e "$root/usr/include/blemon" ] || fail "remove left /usr/include/blemon"
[ -f "$root$conffile" ] || fail "remove deleted the conffile (only purge may)"

step "purge"
dpkg_in_root --purge blemon libblemon-dev || fail "dpkg --purge failed in the root"
for path in /etc/blemon /var/lib/blemon /var/log/blemon /lib/systemd/system/$unit \
  /usr/lib/sysusers.d/blemon.conf /etc/systemd/system/multi-user.target.wants/$unit \
  /usr/share/doc/blemon /usr/share/blemon; do
  [ ! -e "$root$path" ] && [ ! -L "$root$path" ] || fail "purge left $path"
done
if find "$root/var/lib/systemd/deb-systemd-helper-enabled" \
  "$root/var/lib/systemd/deb-systemd-helper-masked" -name '*blemon*' 2>/dev/null | grep -q .; then
  fail "purge left deb-systemd-helper state"
fi
if in_root dpkg-statoverride --list | grep -q blemon; then fail "purge left a statoverride"; fi
if in_root dpkg-query -W -f='${Status}' blemon 2>/dev/null | grep -q 'installed\|config-files'; then
  fail "dpkg still knows blemon: $(in_root dpkg-query -W -f='${Status}' blemon)"
fi
in_root getent passwd _blemon >/dev/null && echo "kept, as policy advises: the system user _blemon"

echo
echo "OK: built, linted (exposure $exposure), installed, upgraded with the edit kept, purged clean"
