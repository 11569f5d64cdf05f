# Debian 12 packages blemon needs to build, test and package. Sourced by scripts/test and
# scripts/demo; add a package here, not in the scripts.
BLEMON_BUILD_PACKAGES=(
  build-essential cmake ninja-build ccache pkg-config git
  libfmt-dev libtomlplusplus-dev libcli11-dev libsqlite3-dev libsystemd-dev
  libmariadb-dev libsdbus-c++-dev
  # libcrypto: AES-128 for resolving private addresses (libblemon/src/identity.cc)
  libssl-dev
  libgtest-dev libgmock-dev
  libcpp-httplib-dev nlohmann-json3-dev
  libmosquitto-dev libcurl4-openssl-dev
)
BLEMON_TEST_PACKAGES=(
  mariadb-server mariadb-client openssl
  dbus python3-dbusmock python3-dbus python3-gi
  debhelper devscripts fakeroot lintian systemd
  # tests/platform: the Debian root (debootstrap), systemd as PID 1 in it (systemd-nspawn), the
  # BlueZ VM (qemu, the kernel it boots, the initramfs's busybox and cpio).
  debootstrap systemd-container qemu-system-x86 linux-image-amd64 busybox-static cpio
  # blemon-web: the chart library it serves, promtool for /metrics, and a real browser (driven by
  # playwright-core from npm, tests/browser) with the machine's Node.js.
  libjs-chart.js prometheus chromium nodejs
  # the monitor tests: a processor whose clock is wrong (libfaketime)
  faketime
  # time-zone golden tests (zoneinfo) and the pty/namespace helpers of the tool tests
  tzdata util-linux
  # the Galera tests: three mariadbd in one cluster (tests/peers/galera-peer.sh); rsync state
  # transfer, which checks its port with ss (iproute2)
  galera-4 rsync iproute2
  # MQTT and alerts: a real broker and its clients (tests/peers/mosquitto-peer.sh), an SMTP receiver
  mosquitto mosquitto-clients python3-aiosmtpd
)
BLEMON_DEMO_PACKAGES=(sqlite3 libjs-chart.js)

# Installs what is missing, with sudo when not root. Quiet when everything is there already.
blemon_install_packages() {
  local missing=() pkg
  for pkg in "$@"; do
    dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "install ok installed" ||
      missing+=("$pkg")
  done
  [ ${#missing[@]} -eq 0 ] && return 0
  echo "Installing: ${missing[*]}"
  local sudo=()
  [ "$(id -u)" -eq 0 ] || sudo=(sudo)
  export DEBIAN_FRONTEND=noninteractive
  # Another apt or dpkg (unattended-upgrades, a second session) may hold the lock: wait for it.
  local wait_for_lock=(-o DPkg::Lock::Timeout=600)
  "${sudo[@]}" apt-get "${wait_for_lock[@]}" update -qq
  "${sudo[@]}" apt-get "${wait_for_lock[@]}" install -y -qq "${missing[@]}"
}
