#!/usr/bin/env bash
# The Debian 12 root that the platform tests run in, built once and cached:
#   the package test installs, upgrades and purges the .deb in a throwaway overlay of it;
#   the systemd test boots an overlay of it with systemd-nspawn (systemd as PID 1);
#   the BlueZ VM test boots an overlay of it in qemu (its kernel modules are in it).
#
#   debian-root.sh CACHE_DIR
#
# Makes CACHE_DIR/root: `debootstrap --variant=minbase bookworm` from the mirror this machine's apt
# already uses (BLEMON_DEBIAN_MIRROR to choose another), with the packages below, plus the
# Bluetooth, crypto and virtio subset of the kernel modules of the host's linux-image-amd64.
# A second call finds CACHE_DIR/root/.blemon-root-stamp naming the same contents and returns at
# once; a change of the package list or of the kernel rebuilds. Concurrent callers wait on a lock.
# Prints KEY=VALUE lines on success: ROOT, KVER (the kernel release), VMLINUZ.
# Exits 77 (skipped) when not root or when debootstrap is missing, 1 when the build fails.
set -euo pipefail
cache=${1:?usage: debian-root.sh CACHE_DIR}

# Runtime of the blemon package (its shlibs), what the tests drive it with (systemd as PID 1,
# sqlite3, the BlueZ stack, python3 for the virtual controller), and what the package test's
# find_package consumer builds with.
packages=(
  systemd systemd-sysv dbus adduser procps iproute2 kmod sqlite3
  libsdbus-c++1 libmariadb3 libsqlite3-0 libfmt9 libsystemd0 libcpp-httplib0.11
  libssl3 libmosquitto1 libcurl4 libssl-dev
  bluez python3 python3-dbus python3-gi
  g++ cmake ninja-build pkg-config
  libfmt-dev libmariadb-dev libsdbus-c++-dev libsqlite3-dev libtomlplusplus-dev
)
# Module trees the VM needs: bluetooth + hci_vhci, the crypto they ask for at run time (ecdh,
# cmac, aes), rfkill, and virtio/9p for the root file system.
module_dirs=(kernel/net/bluetooth kernel/drivers/bluetooth kernel/net/rfkill kernel/crypto
  kernel/lib kernel/arch kernel/net/9p kernel/fs/9p kernel/fs/fscache kernel/fs/netfs
  kernel/drivers/virtio)

if [ "$(id -u)" -ne 0 ]; then
  echo "SKIPPED: building a Debian root needs root (CI runs as root)"
  exit 77
fi
for tool in debootstrap depmod; do
  command -v "$tool" >/dev/null 2>&1 || {
    echo "SKIPPED: $tool is not installed (scripts/packages.sh installs it)"
    exit 77
  }
done

# The kernel the VM boots: the one the host's linux-image-amd64 depends on, whatever its version.
kernel_package=$(dpkg-query -W -f='${Depends}' linux-image-amd64 2>/dev/null |
  grep -o 'linux-image-[^ ,]*' | head -n 1 || true)
kver=${kernel_package#linux-image-}
if [ -z "$kver" ] || [ ! -d "/lib/modules/$kver" ] || [ ! -f "/boot/vmlinuz-$kver" ]; then
  echo "SKIPPED: linux-image-amd64 is not installed (scripts/packages.sh installs it)"
  exit 77
fi

mirror() {
  if [ -n "${BLEMON_DEBIAN_MIRROR:-}" ]; then
    echo "$BLEMON_DEBIAN_MIRROR"
    return
  fi
  # deb822 sources first (Debian 12's default), then the one-line format; the first Debian
  # archive that carries bookworm (not the security archive, not third-party repositories).
  {
    awk '/^URIs:/ {uri=$2} /^Suites:/ && / bookworm( |$)/ {print uri}' \
      /etc/apt/sources.list.d/*.sources 2>/dev/null || true
    awk '$1 == "deb" && $3 == "bookworm" {print $2}' /etc/apt/sources.list \
      /etc/apt/sources.list.d/*.list 2>/dev/null || true
  } | grep -v security | head -n 1
}

stamp="packages: ${packages[*]}; kernel: $kver; modules: ${module_dirs[*]}; v1"
root=$cache/root
print_result() { printf 'ROOT=%s\nKVER=%s\nVMLINUZ=%s\n' "$root" "$kver" "/boot/vmlinuz-$kver"; }

mkdir -p "$cache"
cache=$(cd "$cache" && pwd)
root=$cache/root
exec 9>"$cache/lock"
flock 9
if [ -f "$root/.blemon-root-stamp" ] && [ "$(cat "$root/.blemon-root-stamp")" = "$stamp" ]; then
  echo "cached: $root"
  print_result
  exit 0
fi

url=$(mirror)
[ -n "$url" ] || { echo "FAILED: no bookworm mirror in /etc/apt/sources.list*; set BLEMON_DEBIAN_MIRROR"; exit 1; }
building=$cache/root.new
rm -rf "$building"
trap 'rm -rf "$building"' EXIT
started=$SECONDS
echo "debootstrap bookworm from $url into $building ($(date -u +%T))"
include=$(
  IFS=,
  echo "${packages[*]}"
)
if ! debootstrap --variant=minbase --include="$include" bookworm "$building" "$url" \
  >"$cache/debootstrap.log" 2>&1; then
  tail -n 30 "$cache/debootstrap.log"
  echo "FAILED: debootstrap (log: $cache/debootstrap.log)"
  exit 1
fi
rm -rf "$building"/var/cache/apt/archives/*.deb

echo "kernel modules of $kver (subset)"
for dir in "${module_dirs[@]}"; do
  mkdir -p "$building/lib/modules/$kver/$(dirname "$dir")"
  cp -a "/lib/modules/$kver/$dir" "$building/lib/modules/$kver/$dir"
done
cp -a /lib/modules/"$kver"/modules.{builtin,builtin.modinfo,order} "$building/lib/modules/$kver/"
depmod -b "$building" "$kver"

echo "$stamp" >"$building/.blemon-root-stamp"
rm -rf "$root"
mv "$building" "$root"
trap - EXIT
echo "built $root in $((SECONDS - started)) s ($(du -sh "$root" | cut -f1))"
print_result
