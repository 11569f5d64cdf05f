#!/usr/bin/env bash
# blemon's BlueZ scanner against the real Linux Bluetooth stack and Debian's bluetoothd 5.66, in a
# qemu VM (TCG; no KVM needed) booted from an overlay of the cached Debian 12 root
# (tests/platform/debian-root.sh) with the host's linux-image-amd64 kernel. The LE controller is
# guest/vhci_controller.py on /dev/vhci: it answers the kernel's HCI commands and sends LE
# advertising reports with the RSSI, rate and duplicate filtering each scenario asks for.
# guest/init.sh runs the scenarios in one boot; check_vm.py checks what they wrote.
#
#   vm_test.sh SOURCE_DIR WORK_DIR ROOT_CACHE_DIR BLEMON_MONITOR SCAN_PROBE
# BLEMON_BLUEZ_VM_ARGS adds to the guest's kernel command line: blemon.scenarios=strict,single runs
# only those scenarios (the check then fails for the others), blemon.trace=1 records the D-Bus
# traffic of bluetoothd in WORK_DIR/out/*.trace.txt.
# Exits 77 (skipped) when not root or qemu, busybox-static or cpio is missing.
set -euo pipefail
src=$1 work=$2 root_cache=$3 monitor=$4 probe=$5
here=$src/tests/platform/bluez-vm
timeout_seconds=${BLEMON_BLUEZ_VM_TIMEOUT:-600}

if [ "$(id -u)" -ne 0 ]; then
  echo "SKIPPED: the VM's 9p root needs root (CI runs as root)"
  exit 77
fi
for tool in qemu-system-x86_64 cpio; do
  command -v "$tool" >/dev/null 2>&1 || {
    echo "SKIPPED: $tool is not installed (scripts/packages.sh installs it)"
    exit 77
  }
done
[ -x /bin/busybox ] || {
  echo "SKIPPED: busybox-static is not installed (scripts/packages.sh installs it)"
  exit 77
}
mkdir -p "$work" "$root_cache"
work=$(cd "$work" && pwd) root_cache=$(cd "$root_cache" && pwd)
source "$src/tests/platform/throwaway-root.sh"
platform_private_mounts "$0" "$@"

platform_debian_root "$src" "$root_cache"
base_root=$PLATFORM_ROOT kver=$PLATFORM_KVER vmlinuz=$PLATFORM_VMLINUZ

# The initramfs: busybox, the virtio and 9p modules (dependencies first, from modules.dep) and an
# /init that mounts the 9p root. Cached beside the root, per kernel and init script.
initramfs=$root_cache/initramfs-$kver.cpio.gz
initramfs_stamp="$kver $(sha256sum "$here/guest/initramfs-init" | cut -c1-16)"
if [ ! -f "$initramfs" ] || [ "$(cat "$initramfs.stamp" 2>/dev/null)" != "$initramfs_stamp" ]; then
  step "initramfs for $kver"
  staging=$root_cache/initramfs.new
  rm -rf "$staging"
  mkdir -p "$staging/bin" "$staging/mods"
  cp /bin/busybox "$staging/bin/busybox"
  install -m 0755 "$here/guest/initramfs-init" "$staging/init"
  touch "$staging/modules.order"
  for name in virtio_pci 9pnet_virtio 9p; do
    for module in $(modprobe -S "$kver" --show-depends "$name" | awk '$1 == "insmod" {print $2}'); do
      grep -qxF "$(basename "$module")" "$staging/modules.order" && continue
      cp "$module" "$staging/mods/"
      basename "$module" >>"$staging/modules.order"
    done
  done
  (cd "$staging" && find . | cpio -o -H newc --quiet | gzip -1 >"$initramfs.new")
  mv "$initramfs.new" "$initramfs"
  echo "$initramfs_stamp" >"$initramfs.stamp"
  rm -rf "$staging"
fi

mkdir -p "$work"
vm_dir=$work/vm
trap 'platform_discard "$vm_dir"' EXIT
vm_root=$(platform_overlay "$base_root" "$vm_dir")

step "the guest: blemon's binaries from this build, the controller, the scenarios"
guest=$vm_root/opt/blemon-vm
install -D -m 0755 "$monitor" "$guest/bin/blemon-monitor"
install -D -m 0755 "$probe" "$guest/bin/blemon-scan-probe"
install -m 0755 "$here"/guest/*.sh "$here"/guest/*.py "$guest/"
install -m 0644 "$here"/guest/*.toml "$guest/"
install -D -m 0644 -t "$guest/devices" "$here"/devices/*.json
# The binaries come from the host's build: every shared library they need must be in the root.
for binary in blemon-monitor blemon-scan-probe; do
  missing=$(chroot "$vm_root" ldd "/opt/blemon-vm/bin/$binary" | grep 'not found' || true)
  [ -z "$missing" ] || fail "$binary needs libraries the root lacks: $missing"
done

step "boot: qemu (TCG), kernel $kver, bluetoothd $(chroot "$vm_root" bluetoothd -v)"
console=$work/console.log
started=$EPOCHREALTIME
set +e
timeout --kill-after=10 "$timeout_seconds" qemu-system-x86_64 \
  -machine q35 -accel tcg,thread=multi -cpu max -smp 2 -m 1024 \
  -nographic -no-reboot -nic none -monitor none -serial stdio \
  -kernel "$vmlinuz" -initrd "$initramfs" \
  -append "console=ttyS0 quiet loglevel=4 panic=-1 mitigations=off cryptomgr.notests rdinit=/init ${BLEMON_BLUEZ_VM_ARGS:-}" \
  -virtfs "local,path=$vm_root,mount_tag=root,security_model=passthrough,multidevs=remap" \
  </dev/null 2>&1 | while IFS= read -r line; do
  line=${line%$'\r'}
  elapsed=$((${EPOCHREALTIME/./} - ${started/./}))
  printf '%4d.%01d %s\n' $((elapsed / 1000000)) $(((elapsed / 100000) % 10)) "$line"
done >"$console"
qemu_status=${PIPESTATUS[0]}
set -e
elapsed=$((${EPOCHREALTIME/./} - ${started/./}))
grep -E '@@' "$console" || true
echo "qemu: exit $qemu_status after $((elapsed / 1000000)) s"
rm -rf "$work/out"
cp -r "$guest/out" "$work/out" 2>/dev/null || true
if ! grep -q '@@MARK .* done' "$console"; then
  tail -n 40 "$console"
  fail "the VM did not finish its scenarios (console: $console)"
fi
/usr/bin/python3 "$here/check_vm.py" "$work/out" "$here/devices"
