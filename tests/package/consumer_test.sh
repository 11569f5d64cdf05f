#!/usr/bin/env bash
# Installs blemon's development component from BUILD_DIR into a fresh prefix, then configures,
# builds and tests the consumer project against it with find_package(blemon).
#
#   consumer_test.sh BUILD_DIR CONSUMER_SOURCE_DIR WORK_DIR
set -euo pipefail
build=$1 consumer=$2 work=$3

rm -rf "$work"
mkdir -p "$work"
prefix=$work/prefix

step() { echo "== $*"; }

step "cmake --install (component development) into $prefix"
cmake --install "$build" --prefix "$prefix" --component development >"$work/install.log" ||
  { cat "$work/install.log"; exit 1; }
for f in include/blemon/monitor_cycle.h include/blemon/sqlite/sqlite_spool.h; do
  [ -f "$prefix/$f" ] || { echo "missing after install: $f"; exit 1; }
done
config=$(find "$prefix" -name blemonConfig.cmake -print -quit)
[ -n "$config" ] || { echo "no blemonConfig.cmake under $prefix"; exit 1; }

launcher=()
command -v ccache >/dev/null 2>&1 && launcher=(-DCMAKE_CXX_COMPILER_LAUNCHER=ccache)

step "configure the consumer with find_package(blemon REQUIRED COMPONENTS sqlite)"
cmake -S "$consumer" -B "$work/build" -G Ninja -DCMAKE_BUILD_TYPE=Debug \
  -DCMAKE_PREFIX_PATH="$prefix" -DBLEMON_EXPECTED_PREFIX="$prefix" "${launcher[@]}"
step "build the consumer"
cmake --build "$work/build"
step "run the consumer's test"
ctest --test-dir "$work/build" --output-on-failure

step "a component the installation lacks must fail find_package"
if cmake -S "$consumer" -B "$work/build-missing" -G Ninja -DCMAKE_PREFIX_PATH="$prefix" \
  -DBLEMON_CONSUMER_EXTRA_COMPONENTS=no_such_adapter >"$work/missing.log" 2>&1; then
  cat "$work/missing.log"
  echo "FAILED: find_package(blemon COMPONENTS no_such_adapter) succeeded"
  exit 1
fi
grep -q "blemon has no component 'no_such_adapter'" "$work/missing.log" || {
  cat "$work/missing.log"
  echo "FAILED: the message does not name the missing component"
  exit 1
}
echo "OK: the consumer built against the installed tree and its test passed"
