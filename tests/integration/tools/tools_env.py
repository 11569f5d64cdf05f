"""Shared helpers of the tools tests: a store with the fixed data set, on SQLite or on the test
MariaDB server (tests/peers/mariadb.cmake), and running blemon's binaries against it."""

import os
import sqlite3
import subprocess
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
# A POSIX TZ rule, so no tzdata is needed: CET in winter, CEST in summer, as in Europe/Berlin.
TZ = "CET-1CEST,M3.5.0,M10.5.0/3"


def read_peer_env(peer_dir=None):
    """peer.env of the shared test server, or of a private one set up in `peer_dir`."""
    peer_dir = peer_dir or os.environ.get("BLEMON_TEST_MARIADB_DIR")
    if not peer_dir:
        raise SystemExit("BLEMON_TEST_MARIADB_DIR is not set: run through ctest (fixture mariadb)")
    env = {}
    with open(os.path.join(peer_dir, "peer.env")) as f:
        for line in f:
            line = line.strip()
            if line and "=" in line and not line.startswith("#"):
                key, value = line.split("=", 1)
                env[key] = value
    return env


def mariadb_client(peer, user, password, database=None):
    cmd = ["mariadb", "--no-defaults", "--protocol=TCP", "-h", peer["host"], "-P", peer["port"],
           "-u", user, f"-p{password}", "--default-character-set=utf8mb4", "--batch"]
    if database:
        cmd.append(database)
    return cmd


def run_sql(peer, sql, database=None, user=None, password=None, check=True):
    user = user or peer["admin_user"]
    password = password or peer["admin_password"]
    # Literal times in tests are UTC, as blemon's sessions are, whatever the machine's zone.
    sql = "SET time_zone = '+00:00';\n" + sql
    result = subprocess.run(mariadb_client(peer, user, password, database), input=sql, text=True,
                            capture_output=True)
    if check and result.returncode != 0:
        raise RuntimeError(f"mariadb client failed: {result.stderr.strip()}\n{sql[:2000]}")
    return result


def split_sql(text):
    """Splits a script into statements at semicolons outside quotes and -- comments."""
    statements, current, quote, i = [], [], None, 0
    while i < len(text):
        ch = text[i]
        if quote:
            current.append(ch)
            if ch == quote:
                quote = None
        elif ch in "'\"":
            quote = ch
            current.append(ch)
        elif text.startswith("--", i):
            end = text.find("\n", i)
            i = len(text) if end < 0 else end
            continue
        elif ch == ";":
            statements.append("".join(current))
            current = []
        else:
            current.append(ch)
        i += 1
    statements.append("".join(current))
    return statements


class Store:
    """A fresh database on one backend; config_path points blemon at it."""

    def __init__(self, backend, bin_dir, name, keep_database=None):
        self.backend = backend
        self.bin_dir = bin_dir
        self.tmp = tempfile.mkdtemp(prefix=f"blemon-tools-{name}-")
        self.config_path = os.path.join(self.tmp, "blemon.toml")
        if backend == "sqlite":
            self.db_path = os.path.join(self.tmp, "blemon.db")
            self.write_config(f'[database]\nbackend = "sqlite"\npath = "{self.db_path}"\n')
        else:
            self.peer = read_peer_env()
            # keep_database: reuse (and keep) a named database, e.g. a benchmark's big data set.
            self.keep = keep_database is not None
            self.database = keep_database or f"blemon_tools_{name}_{os.getpid()}"
            if not self.keep:
                run_sql(self.peer, f"DROP DATABASE IF EXISTS `{self.database}`;")
            run_sql(self.peer,
                    f"CREATE DATABASE IF NOT EXISTS `{self.database}` CHARACTER SET utf8mb4;")
            self.write_config(self.mariadb_config(self.peer["user"], self.peer["password"]))

    def mariadb_config(self, user, password, extra=""):
        return ("[database]\nbackend = \"mariadb\"\n"
                f"host = \"{self.peer['host']}\"\nport = {self.peer['port']}\n"
                f"user = \"{user}\"\npassword = \"{password}\"\n"
                f"database = \"{self.database}\"\n" + extra)

    def write_config(self, text, path=None):
        with open(path or self.config_path, "w") as f:
            f.write(text)

    def binary(self, name):
        return os.path.join(self.bin_dir, name, name)

    def run(self, name, *args, config=None, check=True, env_extra=None):
        env = dict(os.environ, TZ=TZ)
        if env_extra:
            env.update(env_extra)
        cmd = [self.binary(name), "-c", config or self.config_path, *args]
        result = subprocess.run(cmd, capture_output=True, env=env)
        if check and result.returncode != 0:
            raise AssertionError(f"{' '.join(cmd)} exited {result.returncode}:\n"
                                 f"{result.stdout.decode(errors='replace')}\n"
                                 f"{result.stderr.decode(errors='replace')}")
        return result

    def sql(self, text):
        """Runs SQL as an administrator (SQLite: the file's owner)."""
        if self.backend == "sqlite":
            # Python's own sqlite3 module: no sqlite3 CLI needed on the CI machine. Returns the
            # last statement's rows as tab-separated lines, like the mariadb client's --batch.
            db = sqlite3.connect(self.db_path)
            try:
                statements = [st for st in split_sql(text) if st.strip()]
                cursor = db.cursor()
                for statement in statements:
                    cursor.execute(statement)
                db.commit()
                out = "\n".join("\t".join("" if v is None else str(v) for v in row)
                                for row in cursor.fetchall())
            finally:
                db.close()
            return subprocess.CompletedProcess([], 0, stdout="header\n" + out + "\n", stderr="")
        return run_sql(self.peer, text, self.database)

    def dump(self):
        """Every row of every table as text (SQLite: one line per row; MariaDB: mariadb-dump's
        INSERTs, one per row, blobs in hex), for greps over all stored data."""
        if self.backend == "sqlite":
            db = sqlite3.connect(self.db_path)
            try:
                lines = []
                for (table,) in db.execute("SELECT name FROM sqlite_master WHERE type = 'table'"):
                    for row in db.execute(f'SELECT * FROM "{table}"'):
                        lines.append(f"{table}\t" + "\t".join(map(str, row)))
                return "\n".join(lines)
            finally:
                db.close()
        peer = self.peer
        dump = subprocess.run(
            ["mariadb-dump", "--no-defaults", "--protocol=TCP", "-h", peer["host"], "-P",
             peer["port"], "-u", peer["admin_user"], f"-p{peer['admin_password']}",
             "--skip-extended-insert", "--hex-blob", self.database],
            capture_output=True, check=True)
        # Without the dump's own time stamp, so two dumps of the same data are equal.
        return "\n".join(line for line in dump.stdout.decode(errors="replace").splitlines()
                         if not line.startswith("-- Dump completed"))

    def load_fixture(self):
        self.run("blemon-admin", "migrate")
        for name in ("fixture.sql", f"fixture-{self.backend}.sql"):
            with open(os.path.join(HERE, name), encoding="utf-8") as f:
                self.sql(f.read())

    def stale_hours(self):
        """Hours whose hourly rollup waits to be recomputed (schema version 15)."""
        return int(self.sql("SELECT COUNT(*) FROM hourly_rollup_stale;").stdout.split()[-1])

    def drop(self):
        if self.backend == "mariadb" and not self.keep:
            run_sql(self.peer, f"DROP DATABASE IF EXISTS `{self.database}`;", check=False)


def monitor_config(store, name, location, processor, user=None, password=None, seed=7):
    """A monitor's config on `store`; MariaDB accounts default to the test server's app user."""
    monitor = (f'[monitor]\nname = "{name}"\nlocation = "{location}"\n'
               f"scan_duration_seconds = 1\nprocess_intervals = {'true' if processor else 'false'}\n"
               f'processor_wait_seconds = 0\nstate_directory = "{store.tmp}"\n\n'
               f"[simulation]\nseed = {seed}\ndevices = 25\n\n")
    if store.backend == "sqlite":
        database = f'[database]\nbackend = "sqlite"\npath = "{store.db_path}"\n'
    else:
        database = store.mariadb_config(user or store.peer["user"],
                                        password or store.peer["password"])
    path = os.path.join(store.tmp, f"{name}.toml")
    store.write_config(monitor + database, path)
    return path


def run_monitor(store, name, location, processor, user=None, password=None, check=True):
    """One `blemon-monitor --single --simulate` cycle: scan, store and, as processor, process."""
    config = monitor_config(store, name, location, processor, user, password)
    return store.run("blemon-monitor", "--single", "--simulate", config=config, check=check)


def run_fleet(store, user=None, password=None):
    """Three simulated monitors of one house write a scan each; Living Room processes."""
    run_monitor(store, "Kitchen", "Kitchen", False, user, password)
    run_monitor(store, "Bedroom", "Bedroom", False, user, password)
    run_monitor(store, "LivingRoom", "Living Room", True, user, password)


def roll_up(store, fail):
    """Rolls up the hours rows written by hand left stale (`blemon-admin migrate` does it), so the
    hourly reports after it read hourly_rollups; calls fail(message) if any hour stays stale or
    nothing was rolled up."""
    store.run("blemon-admin", "migrate")
    if store.stale_hours():
        fail(f"{store.stale_hours()} hours still stale after migrate")
    rows = int(store.sql("SELECT COUNT(*) FROM hourly_rollups;").stdout.split()[-1])
    if not rows:
        fail("migrate rolled up no hour")
