#!/usr/bin/env bash
# A throwaway three-node MariaDB Galera cluster for tests: three mariadbd on 127.0.0.1, each with
# its own datadir, socket and free ports (SQL, gcomm, IST, SST), no systemd and nothing of the
# machine's own MariaDB. Node 1 is bootstrapped, nodes 2 and 3 join by rsync SST one after the
# other (a donor serves one SST at a time); about 12 s to three Synced nodes on 2 cores.
#
#   galera-peer.sh setup DIR          wipe DIR, create and start the cluster, create the test users
#   galera-peer.sh teardown DIR       stop all nodes (3, 2, 1) and remove their data (logs stay)
#   galera-peer.sh kill NODE DIR      SIGKILL node NODE (1..3), as a crash would
#   galera-peer.sh restart NODE DIR   start NODE again (after `kill`: recover its position first so
#                                     it rejoins by IST), wait until it is Synced in the cluster
#   galera-peer.sh status DIR         per node: pid, cluster size, ready, state
#
# DIR/peer.env (KEY=value lines, also valid shell) tells tests how to reach it:
#   host port1 port2 port3 hosts admin_user admin_password user password peer_script datadir
#   setup_seconds
# `hosts` is the three nodes as blemon's database.hosts wants them: 127.0.0.1:P1,127.0.0.1:P2,...
# Tests find DIR through BLEMON_TEST_GALERA_DIR (tests/peers/galera.cmake).
#
# Environment: GALERA_PROVIDER (default /usr/lib/galera/libgalera_smm.so), GALERA_PROVIDER_EXTRA
# (appended to wsrep_provider_options), GALERA_TIMEOUT (seconds per node, default 120).
#
# Running as root: the stock rsync SST fails (the joiner's `rsync --daemon` drops to `nobody` and
# cannot write the datadir), so as root the nodes use the SST method `rsync_root`, a wrapper in
# DIR/bin that adds uid/gid root to the daemon's config and execs the stock wsrep_sst_rsync.
set -euo pipefail

cmd=${1:?usage: galera-peer.sh setup|teardown|status DIR | kill|restart NODE DIR}
case "$cmd" in
  kill | restart)
    node=${2:?node 1..3}
    dir=${3:?dir}
    ;;
  *) dir=${2:?dir} ;;
esac
mkdir -p "$dir"
dir=$(cd "$dir" && pwd)
script=$(cd "$(dirname "$0")" && pwd)/$(basename "$0")
provider=${GALERA_PROVIDER:-/usr/lib/galera/libgalera_smm.so}
timeout=${GALERA_TIMEOUT:-120}
mariadbd=$(command -v mariadbd || echo /usr/sbin/mariadbd)
install_db=$(command -v mariadb-install-db || command -v mysql_install_db)
client=$(command -v mariadb || command -v mysql)
sst=rsync
[ "$(id -u)" -eq 0 ] && sst=rsync_root

now() { date +%s.%N; }
since() { awk -v a="$1" -v b="$(now)" 'BEGIN { printf "%.1f", b - a }'; }
log() { echo "galera-peer: $*" >&2; }

# 12 free loopback ports: sql1..3 gcomm1..3 ist1..3 sst1..3, all bound at once so none repeats.
alloc_ports() {
  /usr/bin/python3 -c '
import socket
ss = [socket.socket() for _ in range(12)]
for s in ss: s.bind(("127.0.0.1", 0))
print(" ".join(str(s.getsockname()[1]) for s in ss))'
}

load_ports() {
  local p
  read -r -a p <"$dir/ports"
  SQLP=("" "${p[0]}" "${p[1]}" "${p[2]}")
  GCP=("" "${p[3]}" "${p[4]}" "${p[5]}")
  ISTP=("" "${p[6]}" "${p[7]}" "${p[8]}")
  SSTP=("" "${p[9]}" "${p[10]}" "${p[11]}")
}

# Unix sockets are limited to 107 bytes; a deep build dir gets short ones under /tmp instead.
socket_dir() {
  if [ ${#dir} -gt 80 ]; then
    mktemp -d /tmp/blemon-galera.XXXXXX
  else
    echo "$dir"
  fi
}

write_cnf() {
  local n=$1 nd="$dir/n$1" sock
  sock="$(cat "$dir/socket_dir")/n$n.sock"
  cat >"$nd/my.cnf" <<EOF
[client]
socket=$sock
user=root

[mysqld]
user=$(id -un)
datadir=$nd/data
socket=$sock
port=${SQLP[$n]}
bind-address=127.0.0.1
pid-file=$nd/mysqld.pid
log-error=$nd/error.log
tmpdir=$nd/tmp
skip-name-resolve
character-set-server=utf8mb4
collation-server=utf8mb4_general_ci
max_connections=200
innodb_buffer_pool_size=64M
innodb_log_file_size=16M
performance_schema=OFF
binlog_format=ROW
default_storage_engine=InnoDB
innodb_autoinc_lock_mode=2
innodb_flush_log_at_trx_commit=0
wsrep_on=ON
wsrep_provider=$provider
wsrep_cluster_name=blemon-test
wsrep_cluster_address=gcomm://127.0.0.1:${GCP[1]},127.0.0.1:${GCP[2]},127.0.0.1:${GCP[3]}
wsrep_node_name=node$n
wsrep_node_address=127.0.0.1:${GCP[$n]}
wsrep_node_incoming_address=127.0.0.1:${SQLP[$n]}
wsrep_sst_receive_address=127.0.0.1:${SSTP[$n]}
wsrep_sst_method=$sst
wsrep_sst_auth=root:
wsrep_provider_options="gmcast.listen_addr=tcp://127.0.0.1:${GCP[$n]};ist.recv_addr=127.0.0.1:${ISTP[$n]};gcache.size=32M;gcache.page_size=16M${GALERA_PROVIDER_EXTRA:+;$GALERA_PROVIDER_EXTRA}"

[sst]
sst-log-archive=0
EOF
}

# The SST method `rsync_root` (see the header): mariadbd finds DIR/bin/wsrep_sst_rsync_root on
# PATH because /usr/bin has no such script; it puts DIR/bin/rsyncwrap first on PATH, whose `rsync`
# adds `uid = root` / `gid = root` to the daemon's config before running the real rsync.
write_rsync_root_method() {
  mkdir -p "$dir/bin/rsyncwrap"
  cat >"$dir/bin/wsrep_sst_rsync_root" <<'EOF'
#!/bin/sh
here=$(cd "$(dirname "$0")" && pwd)
real=$(PATH=$(printf '%s' "$PATH" | tr ':' '\n' | grep -vxF "$here" | paste -sd: -) command -v wsrep_sst_rsync)
PATH="$here/rsyncwrap:$PATH" exec "$real" "$@"
EOF
  cat >"$dir/bin/rsyncwrap/rsync" <<'EOF'
#!/bin/sh
here=$(cd "$(dirname "$0")" && pwd)
PATH=$(printf '%s' "$PATH" | tr ':' '\n' | grep -vxF "$here" | paste -sd: -)
export PATH
if [ "$1" = --daemon ]; then
  prev=
  for a in "$@"; do
    if [ "$prev" = --config ]; then
      { printf 'uid = root\ngid = root\n'; cat "$a"; } >"$a.tmp" && mv "$a.tmp" "$a"
    fi
    prev=$a
  done
fi
exec rsync "$@"
EOF
  chmod +x "$dir/bin/wsrep_sst_rsync_root" "$dir/bin/rsyncwrap/rsync"
}

sql() {
  local n=$1
  shift
  "$client" --defaults-file="$dir/n$n/my.cnf" -N -B "$@"
}
pid_of() { cat "$dir/n$1/launch.pid" 2>/dev/null || true; }
# A zombie counts as gone: an orphaned mariadbd may be reaped late.
alive_pid() {
  [ -n "$1" ] && [ -e "/proc/$1" ] &&
    [ "$(awk '/^State:/ { print $2 }' "/proc/$1/status" 2>/dev/null)" != Z ]
}

launch() {
  local n=$1
  shift
  rm -f "$dir/n$n/mysqld.pid"
  mkdir -p "$dir/n$n/tmp"
  PATH="$dir/bin:$PATH" setsid "$mariadbd" --defaults-file="$dir/n$n/my.cnf" "$@" \
    </dev/null >>"$dir/n$n/stdout.log" 2>&1 &
  echo $! >"$dir/n$n/launch.pid"
}

# Waits until node $1 reports wsrep_cluster_size = $2, Synced and wsrep_ready = ON.
wait_synced() {
  local n=$1 want=$2 t0 pid state
  t0=$(date +%s)
  while :; do
    pid=$(pid_of "$n")
    if ! alive_pid "$pid"; then
      log "node $n (pid $pid) exited; tail of $dir/n$n/error.log:"
      tail -n 20 "$dir/n$n/error.log" >&2
      return 1
    fi
    state=$(sql "$n" -e "SELECT GROUP_CONCAT(VARIABLE_VALUE ORDER BY VARIABLE_NAME)
      FROM information_schema.GLOBAL_STATUS WHERE VARIABLE_NAME IN
      ('wsrep_cluster_size', 'wsrep_local_state_comment', 'wsrep_ready')" 2>/dev/null || true)
    [ "$state" = "$want,Synced,ON" ] && return 0
    if [ $(($(date +%s) - t0)) -ge "$timeout" ]; then
      log "node $n not ready after ${timeout}s (size,state,ready = '$state')"
      return 1
    fi
    sleep 0.1
  done
}

term_node() {
  local n=$1 pid
  pid=$(pid_of "$n")
  alive_pid "$pid" || return 0
  kill -TERM "$pid"
  # 30 s: a node wedged in a DDL (waiting to execute in isolation) ignores SIGTERM, and the
  # fixture's teardown must finish well within its CTest timeout rather than leave it running.
  for _ in $(seq 1 600); do
    alive_pid "$pid" || return 0
    sleep 0.05
  done
  log "node $n (pid $pid) still alive after 30 s; killing it"
  kill -KILL "$pid" 2>/dev/null || true
}

write_env() {
  cat >"$dir/peer.env" <<EOF
host=127.0.0.1
port1=${SQLP[1]}
port2=${SQLP[2]}
port3=${SQLP[3]}
hosts=127.0.0.1:${SQLP[1]},127.0.0.1:${SQLP[2]},127.0.0.1:${SQLP[3]}
admin_user=blemon_admin
admin_password=blemon-admin-pw
user=blemon_app
password=blemon-app-pw
peer_script=$script
datadir=$dir
setup_seconds=$1
EOF
}

setup() {
  [ -f "$provider" ] || {
    log "no Galera provider at $provider (apt-get install galera-4)"
    return 1
  }
  if [ -f "$dir/ports" ]; then teardown; fi
  rm -rf "$dir"
  mkdir -p "$dir"/n{1,2,3}/data "$dir"/n{1,2,3}/tmp
  alloc_ports >"$dir/ports"
  socket_dir >"$dir/socket_dir"
  load_ports
  for n in 1 2 3; do write_cnf "$n"; done
  write_rsync_root_method
  local t0 t
  t0=$(now)
  "$install_db" --defaults-file="$dir/n1/my.cnf" --skip-test-db \
    --auth-root-authentication-method=socket --wsrep-on=OFF >"$dir/n1/install.log" 2>&1 || {
    cat "$dir/n1/install.log" >&2
    return 1
  }
  t=$(now)
  launch 1 --wsrep-new-cluster
  wait_synced 1 1
  log "node 1 bootstrapped in $(since "$t") s"
  for n in 2 3; do
    t=$(now)
    launch "$n"
    wait_synced "$n" "$n"
    log "node $n joined (SST) in $(since "$t") s"
  done
  wait_synced 1 3
  wait_synced 2 3
  # DDL and account statements replicate (TOI): once, on node 1. The users mirror
  # mariadb-peer.sh: an admin that creates and drops test databases, an app user on `blemon%`.
  sql 1 <<'EOF'
CREATE USER 'blemon_admin'@'127.0.0.1' IDENTIFIED BY 'blemon-admin-pw';
GRANT ALL PRIVILEGES ON *.* TO 'blemon_admin'@'127.0.0.1' WITH GRANT OPTION;
CREATE USER 'blemon_app'@'127.0.0.1' IDENTIFIED BY 'blemon-app-pw';
GRANT ALL PRIVILEGES ON `blemon%`.* TO 'blemon_app'@'127.0.0.1';
EOF
  local took
  took=$(since "$t0")
  write_env "$took"
  log "three nodes Synced in $took s: SQL ports ${SQLP[1]} ${SQLP[2]} ${SQLP[3]} (datadirs in $dir)"
}

teardown() {
  [ -f "$dir/ports" ] || return 0
  for n in 3 2 1; do term_node "$n"; done
  local sockets
  sockets=$(cat "$dir/socket_dir" 2>/dev/null || true)
  case "$sockets" in /tmp/blemon-galera.*) rm -rf "$sockets" ;; esac
  # The logs stay for post-mortems; the data (about 80 MB per node) goes.
  rm -rf "$dir"/n{1,2,3}/data "$dir"/n{1,2,3}/tmp
}

kill_node() {
  local pid
  pid=$(pid_of "$node")
  alive_pid "$pid" || {
    log "node $node is not running"
    return 1
  }
  kill -KILL "$pid"
  for _ in $(seq 1 200); do
    alive_pid "$pid" || break
    sleep 0.05
  done
  log "node $node (pid $pid) killed"
}

# After SIGKILL grastate.dat says `seqno: -1` and mariadbd does not look into InnoDB by itself:
# without a start position the joiner asks for a full SST. Like the systemd unit's
# galera_recovery: `mariadbd --wsrep-recover` prints the position, the start passes it on, and the
# donor sends only the missing writesets (IST) from its gcache.
restart_node() {
  load_ports
  term_node "$node"
  local want=1 t extra=() pos n
  for n in 1 2 3; do
    [ "$n" = "$node" ] || ! alive_pid "$(pid_of "$n")" || want=$((want + 1))
  done
  t=$(now)
  if grep -q '^seqno: *-1' "$dir/n$node/data/grastate.dat" 2>/dev/null; then
    "$mariadbd" --defaults-file="$dir/n$node/my.cnf" --wsrep-recover \
      --log-error="$dir/n$node/recover.log" </dev/null >/dev/null 2>&1 || true
    pos=$(grep -o 'Recovered position: [^ ]*' "$dir/n$node/recover.log" | tail -n 1 |
      awk '{ print $3 }')
    [ -n "$pos" ] && extra=(--wsrep-start-position="$pos")
  fi
  launch "$node" "${extra[@]}"
  wait_synced "$node" "$want"
  log "node $node rejoined a cluster of $want in $(since "$t") s"
}

status() {
  load_ports
  local n pid
  for n in 1 2 3; do
    pid=$(pid_of "$n")
    if ! alive_pid "$pid"; then
      echo "node$n down"
      continue
    fi
    echo "node$n pid=$pid port=${SQLP[$n]} $(sql "$n" -e "SELECT GROUP_CONCAT(CONCAT(
      VARIABLE_NAME, '=', VARIABLE_VALUE)) FROM information_schema.GLOBAL_STATUS WHERE
      VARIABLE_NAME IN ('wsrep_cluster_size', 'wsrep_ready', 'wsrep_local_state_comment',
      'wsrep_cluster_status')" 2>/dev/null || echo unreachable)"
  done
}

case "$cmd" in
  setup) setup ;;
  teardown) teardown ;;
  kill) kill_node ;;
  restart) restart_node ;;
  status) status ;;
  *)
    echo "unknown command $cmd" >&2
    exit 2
    ;;
esac
