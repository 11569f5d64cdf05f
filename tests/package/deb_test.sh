#!/usr/bin/env bash
# The Debian packages, end to end:
#   build blemon and libblemon-dev (packaging/build-deb.sh), and a newer build (+test1);
#   lintian: no errors (warnings are listed); systemd-analyze security --offline: ≤ 2.5;
#   as root: install, the user, the conffile's mode, --version and --check-config against the
#   shipped config, edit the conffile, upgrade to the newer build, the edit survives; build the
#   find_package consumer against /usr from libblemon-dev; remove, purge, nothing left behind but
#   the _blemon user (which policy keeps).
#
#   deb_test.sh SOURCE_DIR WORK_DIR PROJECT_VERSION
# Exits 77 (skipped) when a tool is missing or, after the checks that need no root, when not root.
set -euo pipefail
src=$1 work=$2 version=$3
unit=blemon-monitor.service
conffile=/etc/blemon/blemon.toml
max_exposure=2.5

step() { echo; echo "== $* ($(date -u +%T))"; }
fail() {
  echo "FAILED: $*"
  exit 1
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
  # For working on this script: reuse packages built before, in $BLEMON_DEB_TEST_PREBUILT/v1 and v2.
  step "reusing the packages in $BLEMON_DEB_TEST_PREBUILT"
  cp -r "$BLEMON_DEB_TEST_PREBUILT/v1" "$BLEMON_DEB_TEST_PREBUILT/v2" "$work/"
else
  step "build the packages ($version)"
  "$src/packaging/build-deb.sh" "$work/v1" >"$work/build-v1.log" 2>&1 ||
    { tail -n 60 "$work/build-v1.log"; fail "packaging/build-deb.sh failed (log: $work/build-v1.log)"; }
  step "build the newer packages ($newer)"
  "$src/packaging/build-deb.sh" "$work/v2" --version "$newer" >"$work/build-v2.log" 2>&1 ||
    { tail -n 60 "$work/build-v2.log"; fail "packaging/build-deb.sh --version failed"; }
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
if dpkg-query -W -f='${Status}' blemon 2>/dev/null | grep -q installed ||
  dpkg-query -W -f='${Status}' libblemon-dev 2>/dev/null | grep -q installed; then
  fail "blemon or libblemon-dev is installed on this machine already; not touching it"
fi
# Whatever happens from here, leave the machine as it was.
cleanup() { dpkg --purge blemon libblemon-dev >/dev/null 2>&1 || true; }
trap cleanup EXIT

step "install $(basename "$deb") and $(basename "$dev")"
dpkg -i "$deb" "$dev"
dpkg-query -W -f='${Version}\n' blemon | grep -qxF "$version" || fail "blemon is not at $version"
getent passwd _blemon >/dev/null || fail "no user _blemon"
id -nG _blemon | tr ' ' '\n' | grep -qx bluetooth || fail "_blemon is not in group bluetooth"
[ "$(getent passwd _blemon | cut -d: -f7)" = /usr/sbin/nologin ] || fail "_blemon can log in"
[ "$(stat -c '%a %U %G' "$conffile")" = "640 root _blemon" ] ||
  fail "$conffile is $(stat -c '%a %U %G' "$conffile"), not 640 root _blemon"
[ "$(stat -c '%U' /var/lib/blemon)" = _blemon ] || fail "/var/lib/blemon does not belong to _blemon"
[ -L /etc/systemd/system/multi-user.target.wants/$unit ] || fail "$unit is not enabled"
grep -qxF "$conffile" /var/lib/dpkg/info/blemon.conffiles || fail "$conffile is not a conffile"
for tool in blemon-monitor blemon-report blemon-dashboard blemon-admin; do
  [ -x /usr/bin/$tool ] || echo "note: /usr/bin/$tool is not in this build"
done

step "blemon-monitor --version and --check-config against the shipped config"
/usr/bin/blemon-monitor --version | tee "$work/version.txt"
grep -qF "$version" "$work/version.txt" || fail "--version does not say $version"
/usr/bin/blemon-monitor --check-config | tee "$work/check.txt"
grep -q "^$conffile: configuration OK" "$work/check.txt" || fail "--check-config did not read $conffile"
# The service's user can read its config (group _blemon), others cannot.
runuser -u _blemon -- /usr/bin/blemon-monitor --check-config >/dev/null ||
  fail "_blemon cannot read $conffile"
if runuser -u nobody -- /usr/bin/blemon-monitor --check-config >/dev/null 2>&1; then
  fail "nobody can read $conffile"
fi

step "edit the conffile, upgrade to $newer"
sed -i 's/^#location = ""$/location = "package test room"/' "$conffile"
grep -q '^location = "package test room"$' "$conffile" || fail "the test could not edit $conffile"
dpkg -i "$deb2"
dpkg-query -W -f='${Version}\n' blemon | grep -qxF "$newer" || fail "blemon is not at $newer"
grep -q '^location = "package test room"$' "$conffile" || fail "the upgrade lost the edit"
/usr/bin/blemon-monitor --check-config | grep -q "package test room" ||
  fail "--check-config does not show the edit after the upgrade"
[ "$(stat -c '%a %U %G' "$conffile")" = "640 root _blemon" ] ||
  fail "the upgrade changed $conffile to $(stat -c '%a %U %G' "$conffile")"
leftovers=$(ls /etc/blemon/ | grep -E '\.dpkg-' || true)
[ -z "$leftovers" ] || fail "the upgrade left $leftovers in /etc/blemon"

step "the find_package consumer against /usr (libblemon-dev)"
launcher=()
command -v ccache >/dev/null 2>&1 && launcher=(-DCMAKE_CXX_COMPILER_LAUNCHER=ccache)
cmake -S "$src/tests/package/consumer" -B "$work/consumer" -G Ninja -DBLEMON_EXPECTED_PREFIX=/usr \
  "${launcher[@]}" >"$work/consumer.log" 2>&1 || { cat "$work/consumer.log"; fail "configure"; }
cmake --build "$work/consumer" >>"$work/consumer.log" 2>&1 || { cat "$work/consumer.log"; fail "build"; }
ctest --test-dir "$work/consumer" --output-on-failure || fail "the consumer's test failed"

step "remove"
# Files the service would have made, so that purge has something to clean.
runuser -u _blemon -- touch /var/lib/blemon/spool-test.db
dpkg --remove blemon libblemon-dev
[ ! -e /usr/bin/blemon-monitor ] || fail "remove left /usr/bin/blemon-monitor"
[ ! -e /lib/systemd/system/$unit ] || fail "remove left the unit"
[ ! -e /usr/include/blemon ] || fail "remove left /usr/include/blemon"
[ -f "$conffile" ] || fail "remove deleted the conffile (only purge may)"

step "purge"
dpkg --purge blemon libblemon-dev
trap - EXIT
for path in /etc/blemon /var/lib/blemon /var/log/blemon /lib/systemd/system/$unit \
  /usr/lib/sysusers.d/blemon.conf /etc/systemd/system/multi-user.target.wants/$unit \
  /usr/share/doc/blemon /usr/share/blemon; do
  [ ! -e "$path" ] && [ ! -L "$path" ] || fail "purge left $path"
done
if find /var/lib/systemd/deb-systemd-helper-enabled /var/lib/systemd/deb-systemd-helper-masked \
  -name '*blemon*' 2>/dev/null | grep -q .; then
  fail "purge left deb-systemd-helper state"
fi
if dpkg-statoverride --list | grep -q blemon; then fail "purge left a statoverride"; fi
if dpkg-query -W -f='${Status}' blemon 2>/dev/null | grep -q 'installed\|config-files'; then
  fail "dpkg still knows blemon: $(dpkg-query -W -f='${Status}' blemon)"
fi
getent passwd _blemon >/dev/null && echo "kept, as policy advises: the system user _blemon"

echo
echo "OK: built, linted (exposure $exposure), installed, upgraded with the edit kept, purged clean"
