#!/usr/bin/env bash
# A throwaway mosquitto broker for tests: its own directory, a TLS listener on 127.0.0.1 at a free
# port, a test CA (openssl), a password file (mosquitto_passwd), persistence in its own data dir
# (so retained messages survive a restart, as on a real broker). Nothing of the machine's own
# mosquitto (/etc/mosquitto, its service) is used.
#
#   mosquitto-peer.sh setup DIR    create DIR (certificates, password file, config) and start it
#   mosquitto-peer.sh start DIR    start the broker of an existing DIR (same port, same data)
#   mosquitto-peer.sh stop DIR     stop it cleanly (it saves its retained messages)
#   mosquitto-peer.sh kill DIR     SIGKILL it, as a crash would
#   mosquitto-peer.sh teardown DIR stop it and remove its data (the log stays)
#
# DIR/peer.env (KEY=value lines, also valid shell) tells tests how to reach it:
#   host port user password password_file ca_cert bad_ca_cert peer_script datadir
# Tests find DIR through BLEMON_TEST_MOSQUITTO_DIR (tests/peers/mosquitto.cmake). A test that
# stops or kills the broker must set up its own DIR (`setup`), never touch the shared one.
set -euo pipefail

cmd=${1:?usage: mosquitto-peer.sh setup|start|stop|kill|teardown DIR}
dir=${2:?usage: mosquitto-peer.sh $cmd DIR}
mkdir -p "$dir"
dir=$(cd "$dir" && pwd)
script=$(cd "$(dirname "$0")" && pwd)/$(basename "$0")
mosquitto=$(command -v mosquitto || echo /usr/sbin/mosquitto)

log() { echo "mosquitto-peer: $*" >&2; }

free_port() {
  /usr/bin/python3 - <<'PY'
import socket
s = socket.socket()
s.bind(("127.0.0.1", 0))
print(s.getsockname()[1])
PY
}

pid_of() { [ -f "$dir/mosquitto.pid" ] && cat "$dir/mosquitto.pid" 2>/dev/null || true; }
alive() { local p; p=$(pid_of); [ -n "$p" ] && kill -0 "$p" 2>/dev/null; }

make_certs() {
  local c="$dir/certs"
  mkdir -p "$c"
  (
    cd "$c"
    openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -days 30 \
      -subj "/CN=blemon mqtt test CA" -keyout ca-key.pem -out ca.pem 2>/dev/null
    # A second, unrelated CA: a client trusting only it must refuse the broker.
    openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -days 30 \
      -subj "/CN=blemon other CA" -keyout bad-ca-key.pem -out bad-ca.pem 2>/dev/null
    printf 'subjectAltName=IP:127.0.0.1,DNS:localhost\n' >server.ext
    openssl req -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -subj "/CN=localhost" \
      -keyout server-key.pem -out server.csr 2>/dev/null
    openssl x509 -req -in server.csr -CA ca.pem -CAkey ca-key.pem -CAcreateserial -days 30 \
      -extfile server.ext -out server.pem 2>/dev/null
    chmod 600 ./*-key.pem
  )
}

# Waits until the TLS listener answers a subscription with the test credentials.
wait_ready() {
  local i
  for i in $(seq 1 100); do
    if mosquitto_sub -h 127.0.0.1 -p "$port" --cafile "$dir/certs/ca.pem" -u "$user" \
      -P "$password" -t 'blemon/peer-probe' -C 1 -W 1 -i "probe-$$" >/dev/null 2>&1 ||
      [ $? -eq 27 ]; then  # 27: timed out waiting for a message, so it connected
      return 0
    fi
    alive || break
    sleep 0.1
  done
  log "mosquitto did not start within 10 s; its log:"
  tail -n 30 "$dir/mosquitto.log" >&2 || true
  return 1
}

start_broker() {
  # shellcheck disable=SC1091
  source "$dir/peer.env"
  if alive; then
    log "already running (pid $(pid_of))"
    return 0
  fi
  rm -f "$dir/mosquitto.pid"
  setsid "$mosquitto" -c "$dir/mosquitto.conf" </dev/null >>"$dir/mosquitto.out" 2>&1 &
  echo $! >"$dir/mosquitto.pid"
  wait_ready
}

stop_broker() {
  local p i
  p=$(pid_of)
  [ -n "$p" ] || return 0
  kill -TERM "$p" 2>/dev/null || true
  for i in $(seq 1 100); do
    kill -0 "$p" 2>/dev/null || { rm -f "$dir/mosquitto.pid"; return 0; }
    sleep 0.1
  done
  kill -KILL "$p" 2>/dev/null || true
  rm -f "$dir/mosquitto.pid"
}

kill_broker() {
  local p
  p=$(pid_of)
  [ -n "$p" ] || return 0
  kill -KILL "$p" 2>/dev/null || true
  while kill -0 "$p" 2>/dev/null; do sleep 0.05; done
  rm -f "$dir/mosquitto.pid"
}

setup() {
  alive && stop_broker
  rm -rf "$dir/data" "$dir/certs"
  mkdir -p "$dir/data"
  make_certs
  local user=blemon password=blemon-mqtt-secret
  : >"$dir/passwd"
  mosquitto_passwd -b "$dir/passwd" "$user" "$password"
  mosquitto_passwd -b "$dir/passwd" homeassistant ha-secret
  chmod 600 "$dir/passwd"
  printf '%s\n' "$password" >"$dir/password_file"
  chmod 600 "$dir/password_file"
  local port
  port=$(free_port)
  local run_as=""
  [ "$(id -u)" -eq 0 ] && run_as="user root"
  cat >"$dir/mosquitto.conf" <<CONF
# Written by mosquitto-peer.sh for tests.
$run_as
per_listener_settings false
allow_anonymous false
password_file $dir/passwd
persistence true
persistence_location $dir/data/
autosave_interval 1
log_dest file $dir/mosquitto.log
log_type error
log_type warning
log_type notice
log_type information
connection_messages true
listener $port 127.0.0.1
cafile $dir/certs/ca.pem
certfile $dir/certs/server.pem
keyfile $dir/certs/server-key.pem
CONF
  cat >"$dir/peer.env" <<ENV
host=127.0.0.1
port=$port
user=$user
password=$password
password_file=$dir/password_file
ca_cert=$dir/certs/ca.pem
bad_ca_cert=$dir/certs/bad-ca.pem
peer_script=$script
datadir=$dir
ENV
  start_broker
  log "running on 127.0.0.1:$port (TLS; data $dir/data)"
}

case "$cmd" in
  setup) setup ;;
  start) start_broker ;;
  stop) stop_broker ;;
  kill) kill_broker ;;
  teardown)
    stop_broker
    rm -rf "$dir/data" "$dir/certs"
    ;;
  *)
    echo "unknown command $cmd" >&2
    exit 2
    ;;
esac
