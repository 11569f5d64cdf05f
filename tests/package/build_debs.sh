#!/usr/bin/env bash
# Builds the packages the package and systemd tests install: blemon and libblemon-dev at the
# project's version in OUT_DIR/v1, and a newer build of them (VERSION+test1, for the upgrade) in
# OUT_DIR/v2. The PackageDebsBuilt fixture runs it once for every test that needs them.
#
#   build_debs.sh SOURCE_DIR OUT_DIR PROJECT_VERSION
# Exits 77 (skipped) when dpkg-buildpackage or dh is missing.
set -euo pipefail
src=$1 out=$2 version=$3

for tool in dpkg-buildpackage dh; do
  command -v "$tool" >/dev/null 2>&1 || {
    echo "SKIPPED: $tool is not installed (scripts/packages.sh installs it)"
    exit 77
  }
done
rm -rf "$out"
mkdir -p "$out"
for build in "v1:$version" "v2:$version+test1"; do
  dir=${build%%:*} build_version=${build#*:}
  echo "== build the packages ($build_version) ($(date -u +%T))"
  options=()
  [ "$dir" = v1 ] || options=(--version "$build_version")
  "$src/packaging/build-deb.sh" "$out/$dir" "${options[@]}" >"$out/build-$dir.log" 2>&1 || {
    tail -n 60 "$out/build-$dir.log"
    echo "FAILED: packaging/build-deb.sh ${options[*]} (log: $out/build-$dir.log)"
    exit 1
  }
done
ls -l "$out"/v1/*.deb "$out"/v2/*.deb
