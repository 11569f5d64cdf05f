#!/usr/bin/python3
"""Fault tests of the real blemon-monitor binary against a real MariaDB server.

Each case runs blemon-monitor --simulate with short intervals (3 s, 1 s scans) and checks what
reached the database. The monitor's --debug log names every batch it commits to its spool
("Spooled batch <seq> for interval <t>: <n> readings"); together with what the spool file still
holds after a crash, that is the complete list of scans the monitor promised to deliver, which
is compared with the store's sighting_staging rows, batch by batch.

    monitor_faults.py CASE --monitor BIN [--migrate BIN] [--admin BIN] [--dashboard BIN] --work DIR

Cases: bad_configs, systemd_notify, no_system_bus, busy_sqlite_at_start, no_writable_spool
(these five without MariaDB), outage, kill9, second_processor, standby, sigterm, refused_after_start_without_database, wrong_clock. The MariaDB cases need
BLEMON_TEST_MARIADB_DIR (the ctest fixture of tests/peers/mariadb.cmake).
"""

import argparse
import calendar
import os
import random
import re
import shutil
import signal
import sqlite3
import subprocess
import sys
import time

INTERVAL = 3  # seconds; divides 86400
SCAN = 1
WAIT = 1
RUNNING = []  # every monitor process started, so none outlives a failed test
SPOOLED_RE = re.compile(r"Spooled batch (\d+) for interval ([0-9: -]+) UTC: (\d+) readings")


class Failure(Exception):
    pass


def check(condition, message):
    if not condition:
        raise Failure(message)


def log(message):
    print(f"[{time.strftime('%H:%M:%S')}] {message}", flush=True)


def wait_for(predicate, timeout, what, step=0.1):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(step)
    raise Failure(f"timed out after {timeout} s waiting for {what}")


# --- MariaDB -------------------------------------------------------------------------------------


class Server:
    """A MariaDB server described by a peer.env (tests/peers/mariadb-peer.sh)."""

    def __init__(self, peer_dir):
        self.dir = peer_dir
        self.env = {}
        with open(os.path.join(peer_dir, "peer.env")) as f:
            for line in f:
                key, _, value = line.strip().partition("=")
                if key:
                    self.env[key] = value
        self.client = shutil.which("mariadb") or shutil.which("mysql")
        check(self.client, "the mariadb client is not installed (mariadb-client)")

    def sql(self, query, database=None):
        """Runs SQL as the admin user; returns rows as lists of strings (NULL as None)."""
        cmd = [self.client, "--no-defaults", "--protocol=TCP", "-h", self.env["host"], "-P",
               self.env["port"], "-u", self.env["admin_user"],
               f"-p{self.env['admin_password']}", "-N", "-B", "-e", query]
        if database:
            cmd.append(database)
        out = subprocess.run(cmd, check=True, capture_output=True, text=True).stdout
        return [[None if v == "NULL" else v for v in line.split("\t")]
                for line in out.splitlines()]

    def scalar(self, query, database):
        rows = self.sql(query, database)
        return rows[0][0] if rows else None

    def peer(self, command):
        subprocess.run([self.env["peer_script"], command, self.dir], check=True,
                       stdout=subprocess.DEVNULL)


class Database:
    def __init__(self, server, name, migrate_bin, work):
        self.server = server
        self.name = name
        server.sql(f"DROP DATABASE IF EXISTS `{name}`")
        server.sql(f"CREATE DATABASE `{name}` CHARACTER SET utf8mb4")
        path = os.path.join(work, "migrate.toml")
        with open(path, "w") as f:
            f.write(self.toml())
        subprocess.run([migrate_bin, path], check=True)

    def toml(self):
        e = self.server.env
        return (f'[database]\nbackend = "mariadb"\nhost = "127.0.0.1"\nport = {e["port"]}\n'
                f'user = "{e["user"]}"\npassword = "{e["password"]}"\n'
                f'database = "{self.name}"\nconnect_timeout_seconds = 2\n')

    def rows(self, query):
        return self.server.sql(query, self.name)

    def scalar(self, query):
        return self.server.scalar(query, self.name)

    def monitor_id(self, name):
        return self.scalar(f"SELECT monitor_id FROM monitors WHERE monitor_name = '{name}'")


# --- The monitor under test ----------------------------------------------------------------------


class Monitor:
    def __init__(self, binary, work, name, db, interval=INTERVAL, scan=SCAN, wait=WAIT,
                 monitor_keys=""):
        self.binary = binary
        self.name = name
        self.db = db
        self.config = os.path.join(work, f"{name}.toml")
        self.log_path = os.path.join(work, f"{name}.log")
        self.spool_path = os.path.join(work, f"spool-{name}.db")
        self.proc = None
        self.log_offset = 0  # where the current run's lines start
        with open(self.config, "w") as f:
            f.write(f'[monitor]\nname = "{name}"\nlocation = "Kitchen"\n'
                    f"scan_interval_seconds = {interval}\nscan_duration_seconds = {scan}\n"
                    f"processor_wait_seconds = {wait}\n"
                    f'state_directory = "{work}"\n{monitor_keys}\n'
                    f"{db.toml() if db else ''}\n"
                    f"[simulation]\nseed = 11\ndevices = 25\n")

    def start(self, env=None):
        check(self.proc is None, f"{self.name} is already running")
        self.log_offset = os.path.getsize(self.log_path) if os.path.exists(self.log_path) else 0
        log_file = open(self.log_path, "ab")
        self.started_wall = time.time()
        self.proc = subprocess.Popen([self.binary, "--simulate", "--debug", "-c", self.config],
                                     stdout=log_file, stderr=subprocess.STDOUT,
                                     env=dict(os.environ, **(env or {})))
        log_file.close()
        RUNNING.append(self.proc)

    def running(self):
        return self.proc is not None and self.proc.poll() is None

    def signal(self, signo, timeout=10):
        """Sends the signal and waits; returns (exit code, seconds it took to exit)."""
        sent = time.monotonic()
        self.proc.send_signal(signo)
        try:
            rc = self.proc.wait(timeout)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
            raise Failure(f"{self.name} did not exit within {timeout} s of signal {signo}")
        self.proc = None
        return rc, time.monotonic() - sent

    def wait_exit(self, timeout):
        rc = self.proc.wait(timeout)
        self.proc = None
        return rc

    def text(self, this_run_only=False):
        with open(self.log_path, "rb") as f:
            if this_run_only:
                f.seek(self.log_offset)
            return f.read().decode("utf-8", "replace")

    def count(self, needle, this_run_only=True):
        return self.text(this_run_only).count(needle)

    def spooled(self):
        """{batch_seq: readings} of every 'Spooled batch' line of all runs."""
        return {int(m.group(1)): int(m.group(3)) for m in SPOOLED_RE.finditer(self.text())}

    def spool_contents(self):
        """{batch_seq: readings} still in the spool file."""
        if not os.path.exists(self.spool_path):
            return {}
        con = sqlite3.connect(f"file:{self.spool_path}?mode=ro", uri=True, timeout=10)
        try:
            batches = {seq: 0 for (seq,) in con.execute("SELECT batch_seq FROM spool_batches")}
            for seq, n in con.execute(
                    "SELECT batch_seq, COUNT(*) FROM spool_readings GROUP BY batch_seq"):
                batches[seq] = n
            return batches
        finally:
            con.close()

    def stop(self):
        if self.running():
            self.signal(signal.SIGTERM)

    def dump(self, lines=40):
        if os.path.exists(self.log_path):
            tail = self.text().splitlines()[-lines:]
            print(f"--- last {len(tail)} lines of {self.log_path}")
            print("\n".join(tail))


def check_delivered_once(db, monitor, expected):
    """Every batch in `expected` ({seq: readings}) is in staging exactly once, nothing else is,
    no device appears twice in one interval of one monitor, and the spool is empty."""
    check(monitor.spool_contents() == {},
          f"{monitor.name}'s spool still holds {monitor.spool_contents()}")
    mid = db.monitor_id(monitor.name)
    check(mid is not None, f"{monitor.name} is not registered")
    stored = {int(seq): int(n) for seq, n in db.rows(
        f"SELECT batch_seq, COUNT(*) FROM sighting_staging WHERE monitor_id = {mid} "
        f"GROUP BY batch_seq")}
    lost = sorted(seq for seq in expected if seq not in stored)
    wrong = sorted(seq for seq in expected if seq in stored and stored[seq] != expected[seq])
    unknown = sorted(seq for seq in stored if seq not in expected)
    check(not lost, f"batches committed to the spool but never stored: {lost}")
    check(not wrong, "batches stored with the wrong number of rows (duplicated?): " +
          ", ".join(f"{s}: {stored[s]} rows, expected {expected[s]}" for s in wrong))
    check(not unknown, f"batches in the store the monitor never spooled: {unknown}")
    dupes = db.rows("SELECT monitor_id, interval_start, mac_address, COUNT(*) FROM "
                    "sighting_staging GROUP BY monitor_id, interval_start, mac_address "
                    "HAVING COUNT(*) > 1 LIMIT 5")
    check(not dupes, f"readings stored twice: {dupes}")
    total = sum(expected.values())
    log(f"{monitor.name}: {len(expected)} batches, {total} readings, each stored exactly once; "
        f"spool empty")


# --- Cases ---------------------------------------------------------------------------------------


def case_bad_configs(args):
    cases = [
        ("string_for_number", '[monitor]\nname = "m"\nscan_interval_seconds = "300"\n', 3,
         "monitor.scan_interval_seconds"),
        ("unknown_key", '[monitor]\nname = "m"\n\nscan_intervall_seconds = 300\n', 4,
         "monitor.scan_intervall_seconds"),
        ("interval_not_dividing_a_day", "[monitor]\nscan_interval_seconds = 7000\n", 2,
         "monitor.scan_interval_seconds"),
        ("wrong_type_in_database", '[database]\nbackend = "mariadb"\nport = "3306"\n', 3,
         "database.port"),
        ("position_x_without_y", '[monitor]\nname = "m"\nposition_x = 2.5\n', 3,
         "monitor.position_x"),
    ]
    for label, text, line, key in cases:
        path = os.path.join(args.work, f"{label}.toml")
        with open(path, "w") as f:
            f.write(text)
        for extra in ([], ["--check-config"]):
            r = subprocess.run([args.monitor, "--simulate", "--single", "-c", path] + extra,
                               capture_output=True, text=True, timeout=20)
            check(r.returncode == 78, f"{label}: exit {r.returncode}, expected 78; {r.stderr}")
            check(f"{path}:{line}" in r.stderr and key in r.stderr,
                  f"{label}: message lacks '{path}:{line}' or '{key}': {r.stderr!r}")
        log(f"{label}: exit 78, {r.stderr.strip()}")

    missing = os.path.join(args.work, "no-such-file.toml")
    r = subprocess.run([args.monitor, "-c", missing], capture_output=True, text=True, timeout=20)
    check(r.returncode == 78 and missing in r.stderr, f"missing file: {r.returncode} {r.stderr}")
    # Under systemd stderr is a journal stream (JOURNAL_STREAM names it): the configuration error
    # must reach the journal as an error (the "<3>" prefix journald reads), not at the stream's
    # default priority, info.
    stream_path = os.path.join(args.work, "journal-stream.txt")
    with open(stream_path, "w") as stream:
        st = os.fstat(stream.fileno())
        env = dict(os.environ, JOURNAL_STREAM=f"{st.st_dev}:{st.st_ino}")
        r = subprocess.run([args.monitor, "-c", missing], stdout=subprocess.DEVNULL, stderr=stream,
                           env=env, timeout=20)
    with open(stream_path) as stream:
        written = stream.read()
    check(r.returncode == 78 and written.startswith("<3>blemon-monitor: ") and missing in written,
          f"config error on a journal stream: exit {r.returncode}, wrote {written!r}")
    good = os.path.join(args.work, "good.toml")
    with open(good, "w") as f:
        f.write("[monitor]\nscan_interval_seconds = 600\n")
    r = subprocess.run([args.monitor, "--check-config", "-c", good], capture_output=True,
                       text=True, timeout=20)
    check(r.returncode == 0 and "configuration OK" in r.stdout, f"good config: {r}")
    r = subprocess.run([args.monitor, "--no-such-option"], capture_output=True, text=True,
                       timeout=20)
    check(r.returncode == 64, f"usage error: exit {r.returncode}, expected 64")
    log("missing file 78, valid config 0, unknown option 64")


def case_systemd_notify(args):
    """Type=notify: READY, a STATUS per cycle, WATCHDOG pings at half WatchdogSec even while
    sleeping, STOPPING on SIGTERM (a datagram socket stands in for systemd)."""
    import socket
    path = os.path.join(args.work, "notify.sock")
    sock = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
    sock.bind(path)
    sock.settimeout(0.1)
    config = os.path.join(args.work, "notify.toml")
    with open(config, "w") as f:
        f.write(f'[monitor]\nname = "notify"\nscan_interval_seconds = {INTERVAL}\n'
                f"scan_duration_seconds = {SCAN}\nprocessor_wait_seconds = {WAIT}\n"
                f'state_directory = "{args.work}"\n[database]\nbackend = "sqlite"\n'
                f'path = "{args.work}/blemon.db"\n')
    env = dict(os.environ, NOTIFY_SOCKET=path, WATCHDOG_USEC="1000000")
    env.pop("WATCHDOG_PID", None)
    proc = subprocess.Popen([args.monitor, "--simulate", "-c", config], env=env,
                            stderr=subprocess.DEVNULL)
    RUNNING.append(proc)
    messages = []  # (monotonic time, text)
    end = time.monotonic() + 3 * INTERVAL + 0.5
    while time.monotonic() < end:
        try:
            messages.append((time.monotonic(), sock.recv(4096).decode()))
        except socket.timeout:
            pass
    stopped_at = time.monotonic()
    proc.send_signal(signal.SIGTERM)
    rc = proc.wait(10)
    sock.settimeout(1)
    try:
        while True:
            messages.append((time.monotonic(), sock.recv(4096).decode()))
    except socket.timeout:
        pass
    texts = [m for _, m in messages]
    check(rc == 0, f"exit {rc}")
    check(texts and texts[0] == "READY=1", f"first message is not READY=1: {texts[:3]}")
    # (A stop during a scan adds one more, marked "scan error": the scan was cut short.)
    statuses = [t for when, t in messages if t.startswith("STATUS=") and when < stopped_at]
    check(len(statuses) >= 2 and all("devices; spool 0 pending" in t and "error" not in t
                                     for t in statuses),
          f"expected a STATUS per cycle: {statuses}")
    pings = [when for when, t in messages if t == "WATCHDOG=1"]
    gaps = [b - a for a, b in zip(pings, pings[1:])]
    check(len(pings) >= 3 * INTERVAL and max(gaps) < 1.0,
          f"{len(pings)} watchdog pings, largest gap {max(gaps or [0]):.2f} s (WatchdogSec is 1 s)")
    check(texts[-1] == "STOPPING=1", f"last message is not STOPPING=1: {texts[-3:]}")
    log(f"READY, {len(statuses)} STATUS lines (e.g. {statuses[0]!r}), {len(pings)} watchdog "
        f"pings at most {max(gaps):.2f} s apart, STOPPING")


def case_outage(args, server, db):
    own_dir = private_server(server, args)
    try:
        own = Server(own_dir)
        db = Database(own, db.name, args.migrate, args.work)
        m = Monitor(args.monitor, args.work, "outage", db)
        m.start()
        wait_for(lambda: m.count("Stored ") >= 2, 20, "two scans stored before the outage")
        own.peer("kill")
        log("database killed")
        before = len(m.spooled())
        wait_for(lambda: len(m.spooled()) >= before + 4, 30, "four scans spooled during the outage")
        check(m.count("Database unavailable") > 0, "the monitor never noticed the outage")
        during = len(m.spool_contents())
        check(during >= 3, f"only {during} batches waited in the spool during the outage")
        own.peer("start")
        log(f"database restarted with {during} batches in the spool")
        wait_for(lambda: m.spool_contents() == {}, 30,
                 "the spool to drain")
        time.sleep(INTERVAL)  # one more normal cycle
        rc, took = m.signal(signal.SIGTERM)
        check(rc == 0, f"exit {rc} after SIGTERM")
        check_delivered_once(db, m, m.spooled())
    finally:
        subprocess.run([server.env["peer_script"], "teardown", own_dir], check=False,
                       stdout=subprocess.DEVNULL)


def private_server(server, args):
    """A MariaDB server of the case's own (the shared one must never be stopped): its dir."""
    own_dir = os.path.join(args.work, "mariadb")
    subprocess.run([server.env["peer_script"], "setup", own_dir], check=True,
                   stdout=subprocess.DEVNULL)
    return own_dir


def case_no_system_bus(args):
    """Without a D-Bus system bus the BlueZ scanner cannot listen. That is a failed scan, not an
    empty room: --single exits 69, the daemon says so every cycle, the store counts the failures,
    and blemon-admin check and blemon-dashboard show the monitor as failing (SQLite store)."""
    config = os.path.join(args.work, "nobus.toml")
    with open(config, "w") as f:
        f.write(f'[monitor]\nname = "nobus"\nscan_interval_seconds = {INTERVAL}\n'
                f"scan_duration_seconds = {SCAN}\nprocessor_wait_seconds = {WAIT}\n"
                f'state_directory = "{args.work}"\n[database]\nbackend = "sqlite"\n'
                f'path = "{args.work}/blemon.db"\n')
    env = dict(os.environ,
               DBUS_SYSTEM_BUS_ADDRESS=f"unix:path={args.work}/no-such-bus-socket")
    r = subprocess.run([args.monitor, "--single", "-c", config], env=env, capture_output=True,
                       text=True, timeout=30)
    check(r.returncode == 69, f"--single without a system bus: exit {r.returncode}, expected 69; "
          f"{r.stderr}")
    check("Scan FAILED" in r.stderr and "D-Bus" in r.stderr,
          f"the failure is not said: {r.stderr!r}")
    check("Found 0 devices" not in r.stderr, "a failed scan was reported as an empty room")
    log("--single: exit 69, 'Scan FAILED ... D-Bus' logged")

    log_path = os.path.join(args.work, "nobus.log")
    with open(log_path, "wb") as out:
        proc = subprocess.Popen([args.monitor, "-c", config], env=env, stdout=out,
                                stderr=subprocess.STDOUT)
    RUNNING.append(proc)
    wait_for(lambda: open(log_path, encoding="utf-8", errors="replace").read()
             .count("Scan FAILED") >= 2, 4 * INTERVAL + 5, "two failed scans logged")
    proc.send_signal(signal.SIGTERM)
    check(proc.wait(10) == 0, "the daemon did not stop cleanly")
    con = sqlite3.connect(os.path.join(args.work, "blemon.db"))
    failed, error = con.execute("SELECT scans_failed, last_scan_error FROM monitors "
                                "WHERE monitor_name = 'nobus'").fetchone()
    con.close()
    check(failed >= 3 and "D-Bus" in (error or ""), f"store holds {failed} failures, {error!r}")
    log(f"daemon: said so every cycle; the store counts {failed} failed scans")

    if args.admin:
        r = subprocess.run([args.admin, "-c", config, "check"], capture_output=True, text=True,
                           timeout=30)
        check(r.returncode == 1 and "monitor nobus: its latest scan failed" in r.stdout,
              f"blemon-admin check: exit {r.returncode}: {r.stdout}{r.stderr}")
        log("blemon-admin check names the failing monitor (exit 1)")
    if args.dashboard:
        r = subprocess.run([args.dashboard, "-c", config, "--once"], capture_output=True,
                           text=True, timeout=30, env=dict(os.environ, COLUMNS="160"))
        check(r.returncode == 0 and "FAILING (" in r.stdout,
              f"blemon-dashboard: exit {r.returncode}: {r.stdout}{r.stderr}")
        log("blemon-dashboard shows FAILING")


class SqliteStore:
    """A Monitor's [database] section for an SQLite store file, and reads of it."""

    def __init__(self, path):
        self.path = path

    def toml(self):
        return f'[database]\nbackend = "sqlite"\npath = "{self.path}"\n'

    def staged(self, monitor_name):
        """{batch_seq: rows} the store holds for the monitor."""
        con = sqlite3.connect(self.path, timeout=10)
        try:
            return dict(con.execute(
                "SELECT s.batch_seq, COUNT(*) FROM sighting_staging s JOIN monitors m "
                "ON m.monitor_id = s.monitor_id WHERE m.monitor_name = ? GROUP BY s.batch_seq",
                (monitor_name,)).fetchall())
        finally:
            con.close()


def case_busy_sqlite_at_start(args):
    """An SQLite store another process holds locked when the monitor starts: the monitor must
    start, spool its scans and store them once the lock is gone (it used to exit 69, the scan
    lost)."""
    store = SqliteStore(os.path.join(args.work, "blemon.db"))
    m = Monitor(args.monitor, args.work, "busy", store)
    r = subprocess.run([args.monitor, "--simulate", "--single", "-c", m.config],
                       capture_output=True, text=True, timeout=30)
    check(r.returncode == 0, f"creating the store: exit {r.returncode}: {r.stderr}")
    first = store.staged("busy")
    holder = sqlite3.connect(store.path, isolation_level=None, timeout=10)
    holder.execute("BEGIN EXCLUSIVE")
    log("store locked (BEGIN EXCLUSIVE) by another process; starting the monitor")
    try:
        m.start()
        wait_for(lambda: len(m.spooled()) >= 2 or not m.running(), 30,
                 "two scans spooled while the store is locked")
        check(m.running(), f"the monitor exited {m.proc.poll()} on a locked store")
        check(m.count("Database unavailable") > 0, "the monitor never said the store is away")
    finally:
        holder.execute("ROLLBACK")
        holder.close()
    log(f"lock released with {len(m.spool_contents())} batch(es) in the spool")
    wait_for(lambda: m.count("Stored ") >= 2 and m.spool_contents() == {}, 40,
             "the spool to drain into the store")
    rc, _ = m.signal(signal.SIGTERM)
    check(rc == 0, f"exit {rc} after SIGTERM")
    expected = m.spooled()
    stored = {seq: n for seq, n in store.staged("busy").items() if seq not in first}
    check(stored == expected, f"spooled {expected} but stored {stored}")
    log(f"{len(expected)} batches spooled during the lock and after, each stored exactly once")


def case_no_writable_spool(args):
    """A state directory that cannot be written (here: a path under a regular file; a full disk
    looks the same to the spool): the monitor must start and send its scans straight to the store,
    saying so (it used to exit 69)."""
    blocker = os.path.join(args.work, "not-a-directory")
    with open(blocker, "w") as f:
        f.write("the spool cannot be created under a file\n")
    store = SqliteStore(os.path.join(args.work, "blemon.db"))
    config = os.path.join(args.work, "nospool.toml")
    with open(config, "w") as f:
        f.write(f'[monitor]\nname = "nospool"\nscan_interval_seconds = {INTERVAL}\n'
                f"scan_duration_seconds = {SCAN}\nprocessor_wait_seconds = {WAIT}\n"
                f'state_directory = "{blocker}/state"\n{store.toml()}'
                f"[simulation]\nseed = 11\ndevices = 25\n")
    r = subprocess.run([args.monitor, "--simulate", "--single", "-c", config],
                       capture_output=True, text=True, timeout=30)
    check(r.returncode == 0, f"--single without a writable spool: exit {r.returncode}; {r.stderr}")
    check("The spool cannot be used" in r.stderr and "without the spool" in r.stderr,
          f"the monitor did not say it works without its spool: {r.stderr!r}")
    check(len(store.staged("nospool")) == 1, f"store holds {store.staged('nospool')}")
    log("--single: exit 0, the scan stored straight, the missing spool said")

    log_path = os.path.join(args.work, "nospool.log")
    with open(log_path, "wb") as out:
        proc = subprocess.Popen([args.monitor, "--simulate", "-c", config], stdout=out,
                                stderr=subprocess.STDOUT)
    RUNNING.append(proc)
    wait_for(lambda: open(log_path, encoding="utf-8", errors="replace").read()
             .count("without the spool") >= 2, 4 * INTERVAL + 5, "two scans stored straight")
    proc.send_signal(signal.SIGTERM)
    check(proc.wait(10) == 0, "the daemon did not stop cleanly")
    stored = store.staged("nospool")
    check(len(stored) >= 3 and all(n > 0 for n in stored.values()), f"store holds {stored}")
    log(f"daemon: {len(stored)} scans stored without a spool")


def case_refused_after_start_without_database(args, server, db):
    """Started while the database is down, the monitor scans into its spool; once the database is
    back it finds the fleet's interval differs from its own. That refusal must end it with 69,
    like a refusal at start (it used to end in std::terminate from the shutdown)."""
    own_dir = private_server(server, args)
    try:
        own = Server(own_dir)
        db = Database(own, db.name, args.migrate, args.work)
        db.rows("INSERT INTO fleet_settings (setting_name, setting_value) "
                "VALUES ('interval_seconds', '600')")
        own.peer("kill")
        m = Monitor(args.monitor, args.work, "refused", db)
        m.start()
        wait_for(lambda: m.count("Spooled batch") >= 1, 20, "a scan spooled without the database")
        check(m.running(), "the monitor did not start without its database")
        own.peer("start")
        log("database back with a fleet interval of 600 s; the monitor uses 3 s")
        rc = m.wait_exit(30)
        check(rc == 69, f"exit {rc}, expected 69")
        check(m.count("The store refused this monitor") == 1 and "600" in m.text(),
              "the refusal was not logged with the fleet's interval")
        check("terminate" not in m.text(), "the monitor ended in std::terminate")
        log("exit 69, refusal logged")
    finally:
        subprocess.run([server.env["peer_script"], "teardown", own_dir], check=False,
                       stdout=subprocess.DEVNULL)


FAKETIME_LIBS = ["/usr/lib/x86_64-linux-gnu/faketime/libfaketimeMT.so.1",
                 "/usr/lib/faketime/libfaketimeMT.so.1"]


def case_wrong_clock(args, server, db):
    """The processor's clock is a day behind the database's (libfaketime; its steady clock is
    left alone). It must stamp no readings, say so, and still process the other monitor's rows by
    the database's clock (it used to store readings a day old and leave the fleet's rows
    unprocessed)."""
    lib = next((p for p in FAKETIME_LIBS if os.path.exists(p)), None)
    check(lib, "libfaketime is not installed (Debian package faketime)")
    wrong = Monitor(args.monitor, args.work, "wrong-clock", db,
                    monitor_keys=processor_keys(60, False))
    right = Monitor(args.monitor, args.work, "right-clock", db)
    wrong.start(env={"LD_PRELOAD": lib, "FAKETIME": "-1d",
                     "FAKETIME_DONT_FAKE_MONOTONIC": "1"})
    wait_for(lambda: wrong.count("Claimed the interval processor role") > 0, 15,
             "the wrong-clock monitor to claim the processor role")
    right.start()
    right_id = wait_for(lambda: db.monitor_id("right-clock"), 10, "right-clock to register")
    wait_for(lambda: int(db.scalar("SELECT COUNT(*) FROM sighting_staging WHERE processed = 1 "
                                   f"AND monitor_id = {right_id}") or 0) > 0,
             6 * INTERVAL + 10, "the other monitor's rows to be processed")
    wait_for(lambda: wrong.count("behind the database's") >= 2, 20,
             "the wrong clock to be reported twice")
    check(wrong.count("Processing by the database's clock") > 0,
          "the processor did not say it processes by the database's clock")
    for m in (right, wrong):
        rc, _ = m.signal(signal.SIGTERM)
        check(rc == 0, f"{m.name} exit {rc} after SIGTERM")
    wrong_id = db.monitor_id("wrong-clock")
    stored = db.scalar(f"SELECT COUNT(*) FROM sighting_staging WHERE monitor_id = {wrong_id}")
    check(stored == "0", f"the wrong clock stamped {stored} stored readings")
    failed = db.scalar(f"SELECT scans_failed FROM monitors WHERE monitor_id = {wrong_id}")
    check(int(failed) >= 2, f"only {failed} failed scans counted for the wrong clock")
    log(f"wrong clock: no readings stored, {failed} failed scans counted; the other monitor's "
        "rows processed by the database's clock")


def case_kill9(args, server, db):
    seed = int(os.environ.get("BLEMON_KILL_SEED", time.time()))
    rng = random.Random(seed)
    log(f"random seed {seed} (BLEMON_KILL_SEED to repeat)")
    m = Monitor(args.monitor, args.work, "killed", db)
    expected = {}
    for i in range(20):
        m.start()
        if i % 2 == 0:
            # Anywhere in the cycle: sleeping, scanning, sending.
            delay = rng.uniform(0.2, 2 * INTERVAL)
            where = "anywhere"
        else:
            # The dangerous moment, which a uniform pick rarely hits: a few milliseconds after
            # the scan window ends, while the batch is being committed to the spool, sent to the
            # store and removed from the spool. The monitor reads the wall clock in whole seconds
            # and sleeps (next window - floor(now)), so its scan starts that many seconds after it
            # first looks at the clock, a few tens of milliseconds after it was started.
            looked = m.started_wall + 0.03
            floor = int(looked)
            window = -(-floor // INTERVAL) * INTERVAL
            delay = looked + (window - floor) + SCAN - time.time() + rng.uniform(0.0, 0.06)
            where = "at the send"
        time.sleep(delay)
        check(m.running(), f"monitor exited early: {m.proc.poll()}")
        m.signal(signal.SIGKILL)
        # What the spool holds now was committed: the store must get it, once.
        in_spool = m.spool_contents()
        expected.update(in_spool)
        log(f"kill {i + 1:2d} after {delay:.3f} s ({where}): {len(in_spool)} batch(es) in the "
            f"spool")
    # And twice exactly between the store's commit and the spool's delete, which random kills
    # hit only by luck: the batch must be resent and recognised, not stored twice.
    for i in range(2):
        m.start(env={"BLEMON_TEST_KILL_BEFORE_SPOOL_REMOVE": "1"})
        rc = m.wait_exit(3 * INTERVAL + 5)
        check(rc == -signal.SIGKILL, f"the fault-injected run ended with {rc}, not SIGKILL")
        in_spool = m.spool_contents()
        check(in_spool, "the fault-injected kill left nothing in the spool")
        expected.update(in_spool)
        log(f"kill {21 + i} between the store's commit and the spool's delete: "
            f"{len(in_spool)} batch(es) in the spool")
    m.start()
    wait_for(lambda: m.count("Stored ") >= 1 and m.spool_contents() == {}, 20,
             "the last run to drain the spool")
    rc, _ = m.signal(signal.SIGTERM)
    check(rc == 0, f"exit {rc} after SIGTERM")
    expected.update(m.spooled())
    check(len(expected) >= 5, f"only {len(expected)} scans in 20 runs: the test proves little")
    # The last fault-injected run left a batch the store had committed in the spool, so the
    # final run must have resent it and been told it was already there. (The fault runs' own
    # "already stored" lines may be lost: the log line follows the spool's delete.)
    resent = m.count("was already stored", this_run_only=True)
    check(resent >= 1, "the final run resent no batch the store already had")
    log(f"{resent} resend(s) of batches the store already had were recognised")
    check_delivered_once(db, m, expected)


def processor_keys(ttl, standby):
    return (f"process_intervals = true\nprocessor_standby = {'true' if standby else 'false'}\n"
            f"processor_lease_ttl_seconds = {ttl}\n")


def case_second_processor(args, server, db):
    a = Monitor(args.monitor, args.work, "proc-a", db, monitor_keys=processor_keys(10, False))
    b = Monitor(args.monitor, args.work, "proc-b", db, monitor_keys=processor_keys(10, False))
    a.start()
    b.start()
    loser = wait_for(lambda: next((m for m in (a, b) if not m.running()), None), 15,
                     "one of two processors to refuse")
    winner = b if loser is a else a
    rc = loser.wait_exit(5)
    check(rc == 75, f"{loser.name} exited {rc}, expected 75")
    message = f"Another monitor is already the interval processor: {winner.name}"
    check(message in loser.text(), f"{loser.name}'s log lacks {message!r}")
    log(f"{loser.name} refused (exit 75) naming {winner.name}")
    time.sleep(1)
    check(winner.running(), f"{winner.name} did not keep running")
    check(db.scalar(f"SELECT is_processor FROM monitors WHERE monitor_name = '{winner.name}'")
          == "1", f"{winner.name} is not marked as processor")
    rc, _ = winner.signal(signal.SIGTERM)
    check(rc == 0, f"{winner.name} exit {rc} after SIGTERM")


def utc_seconds(text):
    return calendar.timegm(time.strptime(text, "%Y-%m-%d %H:%M:%S"))


def case_standby(args, server, db):
    ttl = 7
    a = Monitor(args.monitor, args.work, "standby-a", db, monitor_keys=processor_keys(ttl, True))
    b = Monitor(args.monitor, args.work, "standby-b", db, monitor_keys=processor_keys(ttl, True))
    a.start()
    b.start()
    holder = wait_for(lambda: next((m for m in (a, b) if m.count("Claimed the interval "
                                                                  "processor role")), None),
                      10, "one of two standby processors to claim the role")
    other = b if holder is a else a
    wait_for(lambda: other.count("Standing by") > 0, 10, f"{other.name} to stand by")
    wait_for(lambda: holder.count("Processed interval") >= 2, 20, "two processed intervals")
    check(other.running(), f"{other.name} exited in standby")
    holder.signal(signal.SIGKILL)
    killed_at = time.monotonic()
    log(f"killed the processor {holder.name}; {other.name} should take over within "
        f"{ttl} + {INTERVAL} s")
    wait_for(lambda: other.count("Took the interval processor role") > 0, ttl + INTERVAL + 5,
             f"{other.name} to take over")
    took = time.monotonic() - killed_at
    check(took <= ttl + INTERVAL + 1.0, f"takeover after {took:.1f} s > TTL + one interval")
    log(f"{other.name} took over after {took:.1f} s")
    wait_for(lambda: other.count("Processed interval") >= 3, 20, "three intervals processed "
             "by the new processor")
    stop_time = time.time()
    rc, _ = other.signal(signal.SIGTERM)
    check(rc == 0, f"exit {rc} after SIGTERM")

    # Every interval due before the stop was processed, including those of the gap.
    unprocessed = [int(t) for (t,) in db.rows(
        "SELECT DISTINCT UNIX_TIMESTAMP(interval_start) FROM sighting_staging WHERE processed = 0")]
    overdue = [t for t in unprocessed if t + SCAN + WAIT + INTERVAL < stop_time - 1]
    check(not overdue, f"intervals left unprocessed: {overdue} (stopped at {stop_time:.0f})")
    staged = [int(t) for (t,) in db.rows(
        "SELECT DISTINCT UNIX_TIMESTAMP(interval_start) FROM sighting_staging WHERE processed = 1 "
        "ORDER BY 1")]
    kept = {int(t) for (t,) in db.rows(
        "SELECT DISTINCT UNIX_TIMESTAMP(interval_start) FROM device_sightings")}
    missing = [t for t in staged if t not in kept]
    check(not missing, f"processed intervals without sightings: {missing}")
    gaps = [t for t, u in zip(staged, staged[1:]) if u - t != INTERVAL]
    check(not gaps, f"the processed intervals have gaps after {gaps}")
    log(f"{len(staged)} consecutive intervals processed, {len(unprocessed)} not yet due")


def case_sigterm(args, server, db):
    # Long enough intervals that we can hit the middle of a scan and the middle of a sleep.
    interval, scan = 20, 10
    a = Monitor(args.monitor, args.work, "term-scan", db, interval=interval, scan=scan,
                monitor_keys=processor_keys(60, False))
    b = Monitor(args.monitor, args.work, "term-sleep", db, interval=interval, scan=scan)
    a.start()
    b.start()
    wait_for(lambda: a.count("Claimed the interval processor role") > 0, 10, "a to claim")
    check(db.scalar("SELECT is_processor FROM monitors WHERE monitor_name = 'term-scan'") == "1",
          "term-scan is not marked as processor")
    wait_for(lambda: a.count("Starting BLE scan") > 0, interval + 5, "a scan to begin")
    time.sleep(2)
    rc, took = a.signal(signal.SIGTERM)
    log(f"SIGTERM during a scan: exit {rc} after {took:.2f} s")
    check(rc == 0, f"exit {rc} after SIGTERM")
    check(took < 5, f"took {took:.2f} s to stop during a scan")
    row = db.rows("SELECT is_active, is_processor, processor_claimed_at FROM monitors "
                  "WHERE monitor_name = 'term-scan'")[0]
    check(row[0] == "0", f"term-scan still marked active: {row}")
    check(row[1] == "0", f"term-scan still holds the processor role: {row}")

    wait_for(lambda: b.count("Scan complete") > 0, scan + 5, "b's scan to finish")
    time.sleep(2)
    rc, took = b.signal(signal.SIGTERM)
    log(f"SIGTERM during the sleep: exit {rc} after {took:.2f} s")
    check(rc == 0 and took < 5, f"exit {rc} after {took:.2f} s")
    check(db.scalar("SELECT is_active FROM monitors WHERE monitor_name = 'term-sleep'") == "0",
          "term-sleep still marked active")
    # The lease is free: a new processor gets it at once.
    c = Monitor(args.monitor, args.work, "term-next", db, interval=interval, scan=scan,
                monitor_keys=processor_keys(60, False))
    c.start()
    wait_for(lambda: c.count("Claimed the interval processor role") > 0, 10,
             "a new processor to claim the released lease")
    c.stop()


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("case")
    parser.add_argument("--monitor", required=True)
    parser.add_argument("--migrate")
    parser.add_argument("--admin")
    parser.add_argument("--dashboard")
    parser.add_argument("--work", required=True)
    args = parser.parse_args()
    shutil.rmtree(args.work, ignore_errors=True)
    os.makedirs(args.work)

    try:
        if args.case in ("bad_configs", "systemd_notify", "no_system_bus", "busy_sqlite_at_start",
                         "no_writable_spool"):
            globals()[f"case_{args.case}"](args)
        else:
            peer_dir = os.environ.get("BLEMON_TEST_MARIADB_DIR")
            check(peer_dir, "BLEMON_TEST_MARIADB_DIR is not set (run through ctest)")
            server = Server(peer_dir)
            db = Database(server, f"blemon_mon_{args.case}_{os.getpid()}", args.migrate, args.work)
            try:
                globals()[f"case_{args.case}"](args, server, db)
            finally:
                if os.environ.get("BLEMON_KEEP_TEST_DB") is None:
                    server.sql(f"DROP DATABASE IF EXISTS `{db.name}`")
    except Failure as e:
        print(f"FAILED: {e}", flush=True)
        for name in sorted(os.listdir(args.work)):
            if name.endswith(".log"):
                m = Monitor.__new__(Monitor)
                m.log_path = os.path.join(args.work, name)
                m.dump()
        return 1
    finally:
        # Never leave a monitor behind, whatever happened.
        for proc in RUNNING:
            if proc.poll() is None:
                proc.kill()
                proc.wait()
    print("PASSED", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
