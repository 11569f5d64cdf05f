#!/usr/bin/env bash
# A throwaway MariaDB server for tests: its own datadir, 127.0.0.1 on a free port, its own socket,
# a test CA and certificates so TLS can be tested. Nothing of the machine's own MariaDB is used
# (no /etc/mysql, no /run/mysqld, no systemd), so it works as root on a fresh CI machine too.
#
#   mariadb-peer.sh setup DIR    create DIR (datadir, certificates, users) and start the server
#   mariadb-peer.sh start DIR    start the server of an existing DIR (same port and socket)
#   mariadb-peer.sh stop DIR     stop it cleanly (waits until it is gone)
#   mariadb-peer.sh kill DIR     SIGKILL it, as a crash would (for outage tests)
#   mariadb-peer.sh teardown DIR stop it and remove its data (the log stays)
#
# DIR/peer.env (KEY=value lines, also valid shell) tells tests how to reach it:
#   host port socket admin_user admin_password user password tls_user tls_password
#   x509_user ca_cert client_cert client_key bad_ca_cert password_file peer_script datadir
# Tests find DIR through BLEMON_TEST_MARIADB_DIR (see tests/peers/mariadb.cmake).
set -euo pipefail

cmd=${1:?usage: mariadb-peer.sh setup|start|stop|kill|teardown DIR}
dir=${2:?usage: mariadb-peer.sh $cmd DIR}
mkdir -p "$dir"
dir=$(cd "$dir" && pwd)
script=$(cd "$(dirname "$0")" && pwd)/$(basename "$0")

mariadbd=$(command -v mariadbd || echo /usr/sbin/mariadbd)
[ -x "$mariadbd" ] || mariadbd=/usr/sbin/mysqld
install_db=$(command -v mariadb-install-db || command -v mysql_install_db)
client=$(command -v mariadb || command -v mysql)

log() { echo "mariadb-peer: $*" >&2; }

free_port() {
  /usr/bin/python3 - <<'EOF'
import socket
s = socket.socket()
s.bind(("127.0.0.1", 0))
print(s.getsockname()[1])
EOF
}

# Unix sockets are limited to 107 bytes; a deep build dir gets a short one under /tmp instead.
socket_path() {
  local s="$dir/mysqld.sock"
  if [ ${#s} -gt 100 ]; then
    s="$(mktemp -d /tmp/blemon-mariadb.XXXXXX)/mysqld.sock"
  fi
  echo "$s"
}

pid_of() { [ -f "$dir/mysqld.pid" ] && cat "$dir/mysqld.pid" 2>/dev/null || true; }
alive() { local p; p=$(pid_of); [ -n "$p" ] && kill -0 "$p" 2>/dev/null; }

make_certs() {
  local c="$dir/certs"
  mkdir -p "$c"
  (
    cd "$c"
    openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -days 30 -subj "/CN=blemon test CA" \
      -keyout ca-key.pem -out ca.pem 2>/dev/null
    # A second, unrelated CA: a client trusting only it must refuse the server.
    openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -days 30 -subj "/CN=blemon other CA" \
      -keyout bad-ca-key.pem -out bad-ca.pem 2>/dev/null
    printf 'subjectAltName=IP:127.0.0.1,DNS:localhost\n' >server.ext
    openssl req -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -subj "/CN=127.0.0.1" -keyout server-key.pem \
      -out server.csr 2>/dev/null
    openssl x509 -req -in server.csr -CA ca.pem -CAkey ca-key.pem -CAcreateserial -days 30 \
      -extfile server.ext -out server.pem 2>/dev/null
    openssl req -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -subj "/CN=blemon test client" -keyout client-key.pem \
      -out client.csr 2>/dev/null
    openssl x509 -req -in client.csr -CA ca.pem -CAkey ca-key.pem -CAcreateserial -days 30 \
      -out client.pem 2>/dev/null
    chmod 600 ./*-key.pem
  )
}

start_server() {
  # shellcheck disable=SC1091
  source "$dir/peer.env"
  if alive; then
    log "already running (pid $(pid_of))"
    return 0
  fi
  rm -f "$socket" "$dir/mysqld.pid"
  mkdir -p "$dir/tmp"
  local user_opt=()
  [ "$(id -u)" -eq 0 ] && user_opt=(--user=root)
  # DIR/extra-args, one option a line, adds server options: a test of an unsupported setting
  # (e.g. --log-bin with --binlog-format=STATEMENT) writes it before `setup`.
  local extra_opt=()
  [ -f "$dir/extra-args" ] && mapfile -t extra_opt <"$dir/extra-args"
  # Settings close to a stock server (durable commits) so benchmarks mean something; only the
  # buffer pool is sized for the 10-million-row benchmark.
  setsid "$mariadbd" --no-defaults "${user_opt[@]}" \
    --datadir="$dir/data" --socket="$socket" --port="$port" --bind-address=127.0.0.1 \
    --pid-file="$dir/mysqld.pid" --log-error="$dir/mysqld.err" --tmpdir="$dir/tmp" \
    --character-set-server=utf8mb4 --collation-server=utf8mb4_general_ci \
    --innodb-buffer-pool-size=1G --innodb-log-file-size=512M --max-connections=200 \
    --ssl-ca="$dir/certs/ca.pem" --ssl-cert="$dir/certs/server.pem" \
    --ssl-key="$dir/certs/server-key.pem" "${extra_opt[@]}" \
    </dev/null >>"$dir/mysqld.out" 2>&1 &
  local i
  for i in $(seq 1 300); do
    if "$client" --no-defaults -uroot --socket="$socket" -e 'SELECT 1' >/dev/null 2>&1; then
      return 0
    fi
    sleep 0.1
  done
  log "mariadbd did not start within 30 s; its log:"
  tail -n 30 "$dir/mysqld.err" >&2 || true
  return 1
}

stop_server() {
  local p i
  p=$(pid_of)
  [ -n "$p" ] || return 0
  kill -TERM "$p" 2>/dev/null || true
  for i in $(seq 1 300); do
    kill -0 "$p" 2>/dev/null || { rm -f "$dir/mysqld.pid"; return 0; }
    sleep 0.1
  done
  log "mariadbd $p did not stop within 30 s; killing it"
  kill -KILL "$p" 2>/dev/null || true
  rm -f "$dir/mysqld.pid"
}

kill_server() {
  local p i
  p=$(pid_of)
  [ -n "$p" ] || return 0
  kill -KILL "$p" 2>/dev/null || true
  for i in $(seq 1 100); do
    kill -0 "$p" 2>/dev/null || break
    sleep 0.05
  done
  rm -f "$dir/mysqld.pid"
}

setup() {
  if [ -f "$dir/peer.env" ] && alive; then
    stop_server
  fi
  rm -rf "$dir/data" "$dir/certs"
  mkdir -p "$dir"
  local user_opt=()
  [ "$(id -u)" -eq 0 ] && user_opt=(--user=root)
  "$install_db" --no-defaults "${user_opt[@]}" --datadir="$dir/data" \
    --auth-root-authentication-method=socket --skip-test-db >"$dir/install.log" 2>&1 || {
    cat "$dir/install.log" >&2
    return 1
  }
  make_certs
  printf 'blemon-file-secret\n' >"$dir/password_file"
  chmod 600 "$dir/password_file"
  cat >"$dir/peer.env" <<EOF
host=127.0.0.1
port=$(free_port)
socket=$(socket_path)
admin_user=blemon_admin
admin_password=blemon-admin-pw
user=blemon_app
password=blemon-app-pw
tls_user=blemon_tls
tls_password=blemon-file-secret
x509_user=blemon_x509
ca_cert=$dir/certs/ca.pem
client_cert=$dir/certs/client.pem
client_key=$dir/certs/client-key.pem
bad_ca_cert=$dir/certs/bad-ca.pem
password_file=$dir/password_file
peer_script=$script
datadir=$dir
EOF
  start_server
  # shellcheck disable=SC1091
  source "$dir/peer.env"
  # The admin creates and drops test databases; the app user is what a monitor would be; the TLS
  # users can only log in over TLS (the second only with a client certificate).
  "$client" --no-defaults -uroot --socket="$socket" <<EOF
CREATE USER '$admin_user'@'%' IDENTIFIED BY '$admin_password';
CREATE USER '$admin_user'@'localhost' IDENTIFIED BY '$admin_password';
GRANT ALL PRIVILEGES ON *.* TO '$admin_user'@'%' WITH GRANT OPTION;
GRANT ALL PRIVILEGES ON *.* TO '$admin_user'@'localhost' WITH GRANT OPTION;
CREATE USER '$user'@'%' IDENTIFIED BY '$password';
CREATE USER '$user'@'localhost' IDENTIFIED BY '$password';
GRANT ALL PRIVILEGES ON \`blemon%\`.* TO '$user'@'%';
GRANT ALL PRIVILEGES ON \`blemon%\`.* TO '$user'@'localhost';
CREATE USER '$tls_user'@'%' IDENTIFIED BY '$tls_password' REQUIRE SSL;
GRANT ALL PRIVILEGES ON \`blemon%\`.* TO '$tls_user'@'%';
CREATE USER '$x509_user'@'%' IDENTIFIED BY '$password' REQUIRE X509;
GRANT ALL PRIVILEGES ON \`blemon%\`.* TO '$x509_user'@'%';
EOF
  log "running on 127.0.0.1:$port and $socket (datadir $dir/data)"
}

case "$cmd" in
  setup) setup ;;
  start) start_server ;;
  stop) stop_server ;;
  kill) kill_server ;;
  teardown)
    stop_server
    # shellcheck disable=SC1091
    [ -f "$dir/peer.env" ] && source "$dir/peer.env" && case "$socket" in
      /tmp/blemon-mariadb.*) rm -rf "$(dirname "$socket")" ;;
    esac
    # The log stays for post-mortems; the data (100+ MB) goes.
    rm -rf "$dir/data" "$dir/certs"
    ;;
  *)
    echo "unknown command $cmd" >&2
    exit 2
    ;;
esac
