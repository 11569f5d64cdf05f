#!/usr/bin/env bash
# The package test leaves this machine alone, even when it dies half-way: runs deb_test.sh twice,
# the first time with a failure injected right after the install (BLEMON_DEB_TEST_FAIL_AFTER),
# and requires that the second run passes, that no mount of the first is left, and that this
# machine's dpkg database (`dpkg -l`) is the same before and after both.
#
#   deb_rerun_test.sh SOURCE_DIR WORK_DIR PROJECT_VERSION ROOT_CACHE_DIR
# Expects BLEMON_DEB_TEST_PREBUILT (the PackageDebsBuilt fixture). Exits 77 when deb_test.sh does.
set -euo pipefail
src=$1 work=$2 version=$3 root_cache=$4
fail() {
  echo "FAILED: $*"
  exit 1
}
mkdir -p "$(dirname "$work")"
dpkg -l >"$work.dpkg-before.txt"
echo "host dpkg -l before: $(grep -c '^ii' "$work.dpkg-before.txt") packages installed"

echo "======== first run, failing on purpose after the install ========"
set +e
BLEMON_DEB_TEST_FAIL_AFTER=install "$src/tests/package/deb_test.sh" "$src" "$work" "$version" \
  "$root_cache" 2>&1 | tee "$work.first.log"
first=${PIPESTATUS[0]}
set -e
[ "$first" -eq 77 ] && exit 77
[ "$first" -ne 0 ] || fail "the first run passed although a failure was injected"
grep -q 'injected failure after install' "$work.first.log" ||
  fail "the first run failed before reaching the injected failure (exit $first)"
if grep -qF "$work" /proc/self/mounts; then
  fail "the failed run left mounts: $(grep -F "$work" /proc/self/mounts)"
fi
[ ! -e "$work/sandbox" ] || fail "the failed run left its throwaway root $work/sandbox"
echo "first run: exit $first at the injected failure; no mount and no throwaway root left"

echo "======== second run ========"
"$src/tests/package/deb_test.sh" "$src" "$work" "$version" "$root_cache" ||
  fail "the second run failed after a failed first one"

dpkg -l >"$work.dpkg-after.txt"
if ! diff -u "$work.dpkg-before.txt" "$work.dpkg-after.txt"; then
  fail "the host's dpkg database changed (diff above)"
fi
echo "host dpkg -l after: $(grep -c '^ii' "$work.dpkg-after.txt") packages installed; diff: none"
echo "OK: a failed run left nothing behind, the rerun passed, the host's packages are untouched"
