# Debian 12 packages blemon needs to build, test and package. Sourced by scripts/test and
# scripts/demo; add a package here, not in the scripts.
BLEMON_BUILD_PACKAGES=(
  build-essential cmake ninja-build ccache pkg-config git
  libfmt-dev libtomlplusplus-dev libcli11-dev libsqlite3-dev libsystemd-dev
  libmariadb-dev libsdbus-c++-dev
  libgtest-dev libgmock-dev
)
BLEMON_TEST_PACKAGES=(
  mariadb-server mariadb-client openssl
  dbus python3-dbusmock python3-dbus python3-gi
  debhelper devscripts fakeroot lintian systemd
  tzdata util-linux
)
BLEMON_DEMO_PACKAGES=(sqlite3)

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
  "${sudo[@]}" apt-get update -qq
  "${sudo[@]}" apt-get install -y -qq "${missing[@]}"
}
