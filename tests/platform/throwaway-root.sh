# shellcheck shell=bash
# Sourced by the platform tests (bash). A throwaway copy of the cached Debian root
# (debian-root.sh): an overlay whose lower layer is the cache, never written, and whose upper layer
# is a directory the test owns, so a test changes only its own files and a rerun starts clean.
#
#   platform_debian_root SRC CACHE      the cached root (debian-root.sh): sets PLATFORM_ROOT,
#                                       PLATFORM_KVER, PLATFORM_VMLINUZ; exits 77 when the script
#                                       skips, 1 when it fails
#   platform_private_mounts "$0" "$@"   first thing in a test: re-executes the script in its own
#                                       mount namespace, so every mount it makes (the overlay,
#                                       /proc in a chroot) disappears with it, however it ends
#   platform_overlay LOWER DIR          mounts DIR/merged = LOWER + DIR/upper; echoes DIR/merged
#   platform_chroot_mounts MERGED       /proc, /sys, /dev inside MERGED for chroot commands
#   platform_unmount_all DIR            unmounts everything at or under DIR (deepest first)
#   platform_discard DIR                unmounts and removes DIR: trap 'platform_discard DIR' EXIT

# The platform tests' report lines: a failure ends the test, a step says what comes next.
fail() {
  echo "FAILED: $*"
  exit 1
}
step() { echo "== $* ($(date -u +%T))"; }

platform_debian_root() {
  local src=$1 cache=$2 output status=0
  output=$("$src/tests/platform/debian-root.sh" "$cache") || status=$?
  if [ "$status" -ne 0 ]; then
    echo "$output"
    [ "$status" -eq 77 ] && exit 77
    echo "FAILED: tests/platform/debian-root.sh $cache"
    exit 1
  fi
  # shellcheck disable=SC2034  # read by the scripts that source this file
  PLATFORM_ROOT=$(sed -n 's/^ROOT=//p' <<<"$output")
  # shellcheck disable=SC2034
  PLATFORM_KVER=$(sed -n 's/^KVER=//p' <<<"$output")
  # shellcheck disable=SC2034
  PLATFORM_VMLINUZ=$(sed -n 's/^VMLINUZ=//p' <<<"$output")
}

platform_private_mounts() {
  if [ -z "${BLEMON_PLATFORM_PRIVATE_MOUNTS:-}" ]; then
    export BLEMON_PLATFORM_PRIVATE_MOUNTS=1
    exec unshare --mount --propagation private -- bash "$@"
  fi
}

platform_overlay() {
  local lower=$1 dir=$2
  platform_unmount_all "$dir"
  rm -rf "$dir"
  mkdir -p "$dir/upper" "$dir/work" "$dir/merged"
  mount -t overlay overlay -o "lowerdir=$lower,upperdir=$dir/upper,workdir=$dir/work" \
    "$dir/merged"
  echo "$dir/merged"
}

platform_chroot_mounts() {
  local merged=$1
  mount -t proc proc "$merged/proc"
  mount --rbind /sys "$merged/sys"
  mount --rbind /dev "$merged/dev"
}

platform_unmount_all() {
  local dir=$1 target
  [ -d "$dir" ] || return 0
  dir=$(cd "$dir" && pwd -P)
  # /proc/self/mounts lists parents before children: unmount in reverse.
  awk -v d="$dir" '$2 == d || index($2, d "/") == 1 {print $2}' /proc/self/mounts | tac |
    while read -r target; do umount -l "$target" 2>/dev/null || true; done
}

platform_discard() {
  platform_unmount_all "$1"
  rm -rf "$1"
}
