#!/usr/bin/env bash
# The configuration the .deb ships (packaging/config/blemon.toml):
#  - documents every key the parser (libblemon/src/config.cc) knows, in its section;
#  - passes `blemon-monitor --check-config` as shipped (SQLite in /var/lib/blemon) and with its
#    commented MariaDB example put in place of the [database] section;
#  - and the package's version (debian/changelog) is the project's.
#
#   config_test.sh SOURCE_DIR BLEMON_MONITOR PROJECT_VERSION
set -euo pipefail
src=$1 monitor=$2 version=$3
shipped=$src/packaging/config/blemon.toml
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
failed=0
fail() {
  echo "FAILED: $*"
  failed=1
}

# Keys as the parser reads them: r.String("name", …) or a helper's (r, "name", …) inside
# ReadMonitor() and its siblings.
awk '
  /^void Read(Monitor|Database|Spool|Simulation|Rooms|Presence|Mqtt|Alerts|Privacy|Retention)\(/ {
    match($0, /Read[A-Za-z]+/); section = tolower(substr($0, RSTART + 4, RLENGTH - 4))
  }
  /^}/ { section = "" }
  section != "" && match($0, /(r\.[A-Za-z]+\(|\(r, )"[a-z_]+"/) {
    key = substr($0, RSTART, RLENGTH); sub(/^[^"]*"/, "", key); sub(/"$/, "", key)
    print section "." key
  }' "$src/libblemon/src/config.cc" | sort -u >"$work/parser-keys"
[ "$(wc -l <"$work/parser-keys")" -ge 20 ] ||
  fail "found only $(wc -l <"$work/parser-keys") keys in config.cc; the extraction is broken"

# Keys the shipped file sets or shows commented out ("#key = …"), by the section they are in.
awk '
  # A section header, or a commented-out one of an optional section ("#[mqtt]").
  /^#?\[[a-z]+\]/ { section = substr($0, index($0, "[") + 1, index($0, "]") - index($0, "[") - 1) }
  match($0, /^#?[a-z_]+ = /) {
    key = substr($0, 1, RLENGTH - 3); sub(/^#/, "", key); print section "." key
  }' "$shipped" | sort -u >"$work/shipped-keys"
missing=$(comm -23 "$work/parser-keys" "$work/shipped-keys")
[ -z "$missing" ] || fail "keys the parser knows but blemon.toml does not document: $missing"
unknown=$(comm -13 "$work/parser-keys" "$work/shipped-keys")
[ -z "$unknown" ] || fail "keys blemon.toml shows but the parser does not know: $unknown"

# As shipped.
if out=$("$monitor" --check-config --config "$shipped" 2>&1); then
  echo "$out"
  grep -q "configuration OK" <<<"$out" || fail "--check-config did not say OK"
  grep -q "/var/lib/blemon/blemon.db" <<<"$out" ||
    fail "the shipped store is not the SQLite file in /var/lib/blemon"
else
  echo "$out"
  fail "the shipped config does not pass --check-config"
fi

# With the MariaDB example uncommented in place of the [database] section.
awk '
  /^\[database\]/ { skipping = 1; next }
  /^\[/ { skipping = 0 }
  !skipping { print }' "$shipped" >"$work/mariadb.toml"
awk '
  /^#\[database\]/ { copying = 1 }
  copying && /^$/ { copying = 0 }
  copying { sub(/^#/, ""); print }' "$shipped" >>"$work/mariadb.toml"
grep -q '^backend = "mariadb"' "$work/mariadb.toml" || fail "no MariaDB example found in blemon.toml"
# --check-config reads the files the example names (password, CA): give it them, in the sandbox.
mkdir -p "$work/etc/blemon"
printf 'a-password\n' >"$work/etc/blemon/db-password"
chmod 0640 "$work/etc/blemon/db-password"
: >"$work/etc/blemon/db-ca.pem"
sed -i "s|\"/etc/blemon/|\"$work/etc/blemon/|" "$work/mariadb.toml"
if out=$("$monitor" --check-config --config "$work/mariadb.toml" 2>&1); then
  echo "$out"
  grep -qi "mariadb" <<<"$out" || fail "the MariaDB example does not select MariaDB"
else
  echo "$out"
  fail "the MariaDB example does not pass --check-config"
fi

# The package version is the project version (native package; a +suffix marks rebuilds).
deb_version=$(dpkg-parsechangelog -l "$src/packaging/debian/changelog" -S Version)
[ "${deb_version%%[+~-]*}" = "$version" ] ||
  fail "packaging/debian/changelog says $deb_version, the project is $version"
"$monitor" --version | grep -qF "$version" || fail "blemon-monitor --version does not say $version"

[ "$failed" -eq 0 ] && echo "OK: the shipped configuration documents every key and checks out"
exit "$failed"
