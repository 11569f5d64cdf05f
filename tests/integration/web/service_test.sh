#!/usr/bin/env bash
# blemon-web.service as shipped: systemd-analyze security --offline exposure at most 2.5 (as the
# monitor's unit), and the example /etc/blemon/web.toml it points to is a valid configuration.
#   service_test.sh SOURCE_DIR BLEMON_WEB
set -euo pipefail
source_dir=$1
web=$2
unit=$source_dir/packaging/systemd/blemon-web.service
analysis=$(systemd-analyze security --offline=true --no-pager "$unit" 2>&1 || true)
exposure=$(sed -n 's/.*Overall exposure level for [^:]*: \([0-9.]*\).*/\1/p' <<<"$analysis")
[ -n "$exposure" ] || { echo "FAIL: no exposure level:"; echo "$analysis"; exit 1; }
awk -v e="$exposure" 'BEGIN { exit !(e <= 2.5) }' || { echo "FAIL: exposure $exposure > 2.5"; exit 1; }
echo "blemon-web.service exposure $exposure <= 2.5"
# --check-config reads the password file the example names: point it at one that exists here.
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
echo secret >"$work/web-db-password" && chmod 0640 "$work/web-db-password"
sed "s|^password_file = .*|password_file = \"$work/web-db-password\"|" \
  "$source_dir/packaging/config/web.toml.example" >"$work/web.toml"
"$web" --check-config -c "$work/web.toml"
