#!/usr/bin/env bash
# Builds the Debian packages blemon and libblemon-dev from this source tree.
#
#   packaging/build-deb.sh OUTPUT_DIR [--version VERSION]
#
# Copies the source tree (without build/ and .git) to a temporary directory, puts packaging/debian
# there as ./debian, runs `dpkg-buildpackage -us -uc -b` and moves the .deb files (and the
# .buildinfo and .changes) to OUTPUT_DIR. --version adds a changelog entry first, e.g.
# --version 0.1.0+test1 for an upgrade test. Needs the Build-Depends of packaging/debian/control
# (scripts/packages.sh installs them). Uses ccache when it is installed.
set -euo pipefail

usage() {
  echo "usage: $0 OUTPUT_DIR [--version VERSION]" >&2
  exit 64
}

[ $# -ge 1 ] || usage
out=$1
shift
version=""
while [ $# -gt 0 ]; do
  case $1 in
    --version)
      [ $# -ge 2 ] || usage
      version=$2
      shift 2
      ;;
    *) usage ;;
  esac
done

source_dir=$(cd "$(dirname "$0")/.." && pwd)
mkdir -p "$out"
out=$(cd "$out" && pwd)

# A fixed path, not mktemp: the compiler flags name the source directory (-ffile-prefix-map), so
# only a stable path lets ccache reuse a previous build. A lock keeps two builds apart.
work=${TMPDIR:-/tmp}/blemon-deb-build.$(id -u)
exec 9>"$work.lock"
flock 9
rm -rf "$work"
trap 'rm -rf "$work"' EXIT
mkdir -p "$work/blemon"
# Everything but build products and VCS data; the debian/ directory comes from packaging/.
tar -C "$source_dir" \
  --exclude=./build --exclude=./.git --exclude=./debian --exclude='./obj-*' \
  --exclude='./*.db' --exclude='./*.db-*' \
  -cf - . | tar -C "$work/blemon" -xf -
cp -a "$work/blemon/packaging/debian" "$work/blemon/debian"

if [ -n "$version" ]; then
  # A new top entry, as dch would write it, by the maintainer of the current one.
  maintainer=$(sed -n 's/^ -- \(.*>\)  .*/\1/p' "$work/blemon/debian/changelog" | head -n 1)
  {
    printf 'blemon (%s) bookworm; urgency=medium\n\n' "$version"
    printf '  * Rebuild as %s.\n\n' "$version"
    printf ' -- %s  %s\n\n' "$maintainer" "$(date -R)"
    cat "$work/blemon/packaging/debian/changelog"
  } >"$work/blemon/debian/changelog"
fi

export DEB_BUILD_OPTIONS="${DEB_BUILD_OPTIONS:+$DEB_BUILD_OPTIONS }noddebs parallel=$(nproc)"
if command -v ccache >/dev/null 2>&1; then
  # debhelper (compat 13) points HOME at a fresh directory, so name the usual cache explicitly.
  CCACHE_DIR=$(ccache --get-config cache_dir)
  export BLEMON_CCACHE=1 CCACHE_DIR CCACHE_BASEDIR="$work/blemon" CCACHE_NOHASHDIR=1
fi

(cd "$work/blemon" && dpkg-buildpackage -us -uc -b)

shopt -s nullglob
built=("$work"/*.deb "$work"/*.buildinfo "$work"/*.changes)
[ ${#built[@]} -gt 0 ] || { echo "$0: dpkg-buildpackage produced no packages" >&2; exit 1; }
mv -f "${built[@]}" "$out/"
for deb in "$out"/*.deb; do echo "$deb"; done
