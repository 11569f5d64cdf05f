#!/usr/bin/python3
"""blemon-dashboard on one store: --once shows health, lease, backlog, rooms now, top devices and
recent sightings within the terminal width; it reports an unreachable database (exit 69) instead of
dying; and on a real terminal (a pty) `q` and Ctrl-C leave the terminal as it was.

    dashboard_test.py sqlite|mariadb BIN_DIR
"""

import os
import pty
import re
import select
import signal
import subprocess
import sys
import termios
import threading
import time
import unicodedata

import tools_env


def width(text):
    w = 0
    for ch in text:
        if unicodedata.combining(ch) or ch in "\u200b\u200d\ufe0f":
            continue
        w += 2 if unicodedata.east_asian_width(ch) in "WF" else 1
    return w


def make_recent(store):
    """Moves the fixture into the last hour so the 24-hour sections and the health have data."""
    if store.backend == "sqlite":
        now = "datetime('now')"
        shift = "datetime({col}, '+' || (SELECT CAST(strftime('%s','now') AS INTEGER) - " \
                "strftime('%s','2026-02-22 12:00:00') FROM (SELECT 1)) || ' seconds')"
        store.sql(f"""
UPDATE device_sightings SET interval_start = {shift.format(col='interval_start')},
                            sighting_timestamp = {shift.format(col='sighting_timestamp')};
UPDATE monitors SET last_seen = datetime('now', '-60 seconds') WHERE monitor_name = 'living-room';
UPDATE monitors SET last_seen = datetime('now', '-700 seconds') WHERE monitor_name = 'kitchen';
INSERT INTO monitors (monitor_name, location, is_active, last_seen)
VALUES ('attic', 'Attic', 1, datetime('now', '-7200 seconds'));
UPDATE processor_lease SET holder_monitor_id = 1, epoch = 7,
       granted_at = datetime('now', '-3600 seconds'), expires_at = datetime('now', '+300 seconds')
 WHERE lease_id = 1;
""")
    else:
        store.sql("""
SET @shift = TIMESTAMPDIFF(SECOND, '2026-02-22 12:00:00', UTC_TIMESTAMP());
SET time_zone = '+00:00';
UPDATE device_sightings SET interval_start = interval_start + INTERVAL @shift SECOND,
                            sighting_timestamp = sighting_timestamp + INTERVAL @shift SECOND;
UPDATE monitors SET last_seen = NOW() - INTERVAL 60 SECOND WHERE monitor_name = 'living-room';
UPDATE monitors SET last_seen = NOW() - INTERVAL 700 SECOND WHERE monitor_name = 'kitchen';
INSERT INTO monitors (monitor_name, location, is_active, last_seen)
VALUES ('attic', 'Attic', 1, NOW() - INTERVAL 7200 SECOND);
UPDATE processor_lease SET holder_monitor_id = 1, epoch = 7,
       granted_at = NOW() - INTERVAL 3600 SECOND, expires_at = NOW() + INTERVAL 300 SECOND
 WHERE lease_id = 1;
""")


def check_once(store, failures):
    for columns in (120, 72):
        result = store.run("blemon-dashboard", "--once", env_extra={"COLUMNS": str(columns)})
        text = result.stdout.decode("utf-8")
        if "\x1b" in text:
            failures.append(f"COLUMNS={columns}: ANSI escapes although stdout is not a terminal")
        for line in text.splitlines():
            if width(line) > columns:
                failures.append(f"COLUMNS={columns}: line wider than the terminal: {line!r}")
        if columns != 120:
            continue
        expect = [
            r"living-room\s+Living Room\s+ok\b",
            r"kitchen\s+Küche\s+late\b",
            r"attic\s+Attic\s+down\b",
            r"bedroom\s+Bedroom\s+stopped\b",
            r"Processor: living-room \(epoch 7\), holds it for 1h00m, expires in [45]m\d\ds",
            r"Staging: 1 unprocessed rows, oldest interval",
            r"AA:BB:CC:00:00:01\s+Pixel 7\s+4\s+-58\s+kitchen, living-room\s+Living Room \(high\)",
            r"東京タワー\s+2\s+-70\s+kitchen, living-room\s+Living Room \(ambiguous\)",
            r"東京タワー",
            r"evil\\x1b\[31mRED",
            r"Most recent sightings",
            # The newest interval (11:45 in the fixture): the Pixel, in its stable room, sure.
            r"Rooms now \(stable rooms, interval [^)]+\)",
            r"Room\s+Devices\s+High\s+Low\s+Ambiguous",
            r"Living Room\s+1\s+1\s+0\s+0",
        ]
        for pattern in expect:
            if not re.search(pattern, text):
                failures.append(f"--once output lacks /{pattern}/:\n{text}")


def check_unreachable(store, failures):
    bad = os.path.join(store.tmp, "away.toml")
    if store.backend == "sqlite":
        store.write_config(f'[database]\nbackend = "sqlite"\npath = "{store.tmp}/gone.db"\n', bad)
    else:
        # A port nobody listens on: the server is "away".
        store.write_config(store.mariadb_config(store.peer["user"], store.peer["password"])
                           .replace(f"port = {store.peer['port']}", "port = 1"), bad)
    result = store.run("blemon-dashboard", "--once", config=bad, check=False)
    text = result.stdout.decode()
    if result.returncode != 69 or "DATABASE UNAVAILABLE" not in text:
        failures.append(f"unreachable store: exit {result.returncode}, output:\n{text}")
    # Live (not on a terminal: plain frames), it keeps running and retrying, and SIGTERM ends it
    # cleanly.
    proc = subprocess.Popen([store.binary("blemon-dashboard"), "-c", bad, "--refresh", "1"],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            env=dict(os.environ, TZ=tools_env.TZ))
    time.sleep(2.5)
    alive = proc.poll() is None
    proc.send_signal(signal.SIGTERM)
    out, _ = proc.communicate(timeout=10)
    frames = out.decode().count("DATABASE UNAVAILABLE")
    if not alive or frames < 2 or proc.returncode != 0:
        failures.append(f"live dashboard with the store away: alive {alive}, {frames} frames, "
                        f"exit {proc.returncode}")


def check_outage_and_recovery(store, failures):
    """A private server the test may kill: the live dashboard shows the outage and recovers."""
    peer_dir = os.path.join(store.tmp, "peer")
    script = store.peer["peer_script"]
    subprocess.run([script, "setup", peer_dir], check=True, capture_output=True)
    try:
        env = {}
        with open(os.path.join(peer_dir, "peer.env")) as f:
            for line in f:
                if "=" in line:
                    key, value = line.strip().split("=", 1)
                    env[key] = value
        tools_env.run_sql(env, "CREATE DATABASE blemon_outage;")
        config = os.path.join(store.tmp, "outage.toml")
        store.write_config(
            "[database]\nbackend = \"mariadb\"\n"
            f"host = \"{env['host']}\"\nport = {env['port']}\nuser = \"{env['user']}\"\n"
            f"password = \"{env['password']}\"\ndatabase = \"blemon_outage\"\n", config)
        store.run("blemon-admin", "migrate", config=config)
        proc = subprocess.Popen([store.binary("blemon-dashboard"), "-c", config, "--refresh", "1"],
                                stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                                env=dict(os.environ, TZ=tools_env.TZ))
        chunks = []
        reader = threading.Thread(target=lambda: chunks.extend(iter(
            lambda: proc.stdout.read1(65536), b"")), daemon=True)
        reader.start()

        def states():
            frames = b"".join(chunks).decode().split("blemon dashboard — ")[1:]
            return ["away" if "DATABASE UNAVAILABLE" in f else "up" for f in frames]

        def wait_for(predicate, seconds):
            deadline = time.time() + seconds
            while time.time() < deadline and not predicate(states()):
                time.sleep(0.2)

        wait_for(lambda st: "up" in st, 15)
        subprocess.run([script, "kill", peer_dir], check=True, capture_output=True)
        wait_for(lambda st: st[-2:] == ["away", "away"], 15)
        subprocess.run([script, "start", peer_dir], check=True, capture_output=True)
        wait_for(lambda st: "away" in st and st[-1] == "up", 30)
        proc.send_signal(signal.SIGTERM)
        proc.wait(timeout=10)
        reader.join(timeout=5)
        seen = states()
        collapsed = [st for i, st in enumerate(seen) if i == 0 or seen[i - 1] != st]
        if collapsed != ["up", "away", "up"] or proc.returncode != 0:
            failures.append(f"outage and recovery: frames {seen}, exit {proc.returncode}, "
                            f"stderr {proc.stderr.read().decode()}")
    finally:
        subprocess.run([script, "teardown", peer_dir], capture_output=True)


def run_in_pty(store, key):
    """Runs the live dashboard on a pty, sends `key` after the first frame, returns
    (exit status, output, termios before, termios after)."""
    pid, fd = pty.fork()
    if pid == 0:
        os.environ["TZ"] = tools_env.TZ
        binary = store.binary("blemon-dashboard")
        os.execv(binary, [binary, "-c", store.config_path, "--refresh", "60"])
    before = termios.tcgetattr(fd)
    out = b""
    deadline = time.time() + 20
    while b"Most recent sightings" not in out and time.time() < deadline:
        ready, _, _ = select.select([fd], [], [], 0.5)
        if ready:
            try:
                out += os.read(fd, 65536)
            except OSError:
                break
    during = termios.tcgetattr(fd)
    os.write(fd, key)
    deadline = time.time() + 10
    status = None
    while time.time() < deadline:
        ready, _, _ = select.select([fd], [], [], 0.2)
        if ready:
            try:
                chunk = os.read(fd, 65536)
                out += chunk
            except OSError:
                chunk = b""
        done, status = os.waitpid(pid, os.WNOHANG)
        if done:
            break
    else:
        os.kill(pid, signal.SIGKILL)
        os.waitpid(pid, 0)
        status = None
    after = termios.tcgetattr(fd)
    os.close(fd)
    return status, out, before, during, after


def check_terminal(store, failures):
    for key, what in ((b"q", "q"), (b"\x03", "Ctrl-C")):
        status, out, before, during, after = run_in_pty(store, key)
        if status is None or not os.WIFEXITED(status) or os.WEXITSTATUS(status) != 0:
            failures.append(f"{what}: the dashboard did not exit cleanly (status {status})")
        if b"\x1b[?1049h" not in out or not out.rstrip().endswith(b"\x1b[?1049l"):
            failures.append(f"{what}: alternate screen not entered and left: {out[-80:]!r}")
        if during[3] & termios.ECHO:
            failures.append(f"{what}: echo stayed on while the dashboard ran")
        if before[3] != after[3]:
            failures.append(f"{what}: terminal flags not restored ({before[3]:#x} → {after[3]:#x})")


def main():
    backend, bin_dir = sys.argv[1], sys.argv[2]
    store = tools_env.Store(backend, bin_dir, "dashboard")
    failures = []
    try:
        store.load_fixture()
        make_recent(store)
        check_once(store, failures)
        check_unreachable(store, failures)
        if backend == "sqlite":
            check_terminal(store, failures)
        else:
            check_outage_and_recovery(store, failures)
    finally:
        store.drop()
    for failure in failures:
        print("FAIL:", failure)
    if not failures:
        print(f"dashboard checks pass on {backend}")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
