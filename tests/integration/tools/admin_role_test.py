#!/usr/bin/python3
"""blemon-admin on the database server, as docs/operations.md has an operator use it:

- grants before migrate refuses before making any account; grants needs no config file;
- the schema files fed to the mariadb client by hand give a database check passes and monitors
  use (the files record their version);
- a half-applied migration is reported as such, with the fix, and migrate finishes it;
- check as a least-privilege account says "cannot see", never "MISSING", for tables it may not
  read; the admin account of `grants --admin-user` runs migrate, check, cleanup-staging, archive;
- a server with binlog_format = STATEMENT (a private server with the binary log on) fails check,
  as every monitor fails against it.

    admin_role_test.py BIN_DIR
"""

import os
import re
import subprocess
import sys
import tempfile

import tools_env

HERE = tools_env.HERE
SCHEMA = os.path.join(HERE, "..", "..", "..", "schema", "mariadb")
# The newest schema version: the highest numbered file.
LATEST = max(int(n[:3]) for n in os.listdir(SCHEMA) if n.endswith(".sql"))


class Failures(list):
    def contains(self, result, pattern, what, code=0):
        out = result.stdout.decode() + result.stderr.decode()
        if result.returncode != code:
            self.append(f"{what}: exit {result.returncode}, expected {code}:\n{out}")
        elif not re.search(pattern, out, re.S):
            self.append(f"{what}: output lacks /{pattern}/:\n{out}")

    def lacks(self, result, pattern, what):
        out = result.stdout.decode() + result.stderr.decode()
        if re.search(pattern, out):
            self.append(f"{what}: output has /{pattern}/:\n{out}")


def schema_file(name):
    with open(os.path.join(SCHEMA, name), encoding="utf-8") as f:
        return f.read()


def config_for(store, database, user=None, password=None):
    path = os.path.join(store.tmp, f"{database}-{user or 'app'}.toml")
    store.write_config(store.mariadb_config(user or store.peer["user"],
                                            password or store.peer["password"])
                       .replace(f'database = "{store.database}"', f'database = "{database}"'), path)
    return path


def test_grants_before_migrate(store, f):
    peer = store.peer
    fresh = store.database + "_fresh"
    tools_env.run_sql(peer, f"CREATE DATABASE `{fresh}`;")
    try:
        # No config file at all (the database server has none): grants still prints its SQL.
        r = subprocess.run([store.binary("blemon-admin"), "grants", "--database", fresh,
                            "--scanner-user", "bl_early_scan", "--password", "pw"],
                           capture_output=True, cwd=store.tmp)
        f.contains(r, r"CREATE USER IF NOT EXISTS 'bl_early_scan'", "grants without a config")
        unconfigured = subprocess.run([store.binary("blemon-admin"), "check"],
                                      capture_output=True, cwd=store.tmp)
        f.contains(unconfigured, r"no /etc/blemon/admin.toml or /etc/blemon/blemon.toml: on the database "
                      r"server, install the admin configuration", "check without a config", 69)
        piped = tools_env.run_sql(peer, r.stdout.decode(), check=False)
        if piped.returncode == 0 or "run blemon-admin migrate first" not in piped.stderr:
            f.append(f"grants before migrate: the mariadb client must stop with the advice, got "
                     f"exit {piped.returncode}: {piped.stderr}")
        users = tools_env.run_sql(peer, "SELECT COUNT(*) FROM mysql.user WHERE user = "
                                        "'bl_early_scan';").stdout.split()[-1]
        if users != "0":
            f.append("grants before migrate left a half-made account")
    finally:
        tools_env.run_sql(peer, f"DROP DATABASE IF EXISTS `{fresh}`;", check=False)


def test_schema_files_by_hand(store, f):
    peer = store.peer
    by_hand = store.database + "_byhand"
    tools_env.run_sql(peer, f"CREATE DATABASE `{by_hand}`;")
    try:
        # As docs/database.md says: mariadb ble_monitor < 000_seed.sql, then every later file.
        for name in sorted(n for n in os.listdir(SCHEMA) if n.endswith(".sql")):
            subprocess.run(tools_env.mariadb_client(peer, peer["admin_user"],
                                                    peer["admin_password"], by_hand),
                           input=schema_file(name), text=True, check=True, capture_output=True)
        path = config_for(store, by_hand)
        f.contains(store.run("blemon-admin", "check", config=path, check=False),
                   r"All checks passed", "check after the schema files were run by hand")
        f.contains(store.run("blemon-admin", "migrate", config=path, check=False),
                   rf"already at version {LATEST}\b",
                   "migrate after the schema files were run by hand")
        monitor = tools_env.monitor_config(store, "byhand", "Hall", True)
        with open(monitor) as m:
            text = m.read().replace(f'database = "{store.database}"', f'database = "{by_hand}"')
        store.write_config(text, monitor)
        r = store.run("blemon-monitor", "--single", "--simulate", config=monitor, check=False)
        f.contains(r, r"Single scan complete", "a monitor on the hand-made database")
    finally:
        tools_env.run_sql(peer, f"DROP DATABASE IF EXISTS `{by_hand}`;", check=False)


def test_half_applied_migration(store, f):
    peer = store.peer
    half = store.database + "_half"
    tools_env.run_sql(peer, f"CREATE DATABASE `{half}`;")
    try:
        tools_env.run_sql(peer, schema_file("000_seed.sql"), half)
        # 001 interrupted after its new tables: everything up to the lease's first row.
        text = schema_file("001_blemon.sql")
        cut = text.index("INSERT IGNORE INTO processor_lease")
        tools_env.run_sql(peer, text[:cut], half)
        path = config_for(store, half)
        r = store.run("blemon-admin", "check", config=path, check=False)
        f.contains(r, r"migration to version 1 was started but did not finish.*blemon-admin "
                      r"migrate again", "check names a half-applied migration", 1)
        f.lacks(r, r"original Python tool", "check must not call a half migration the original")
        f.contains(store.run("blemon-admin", "migrate", config=path, check=False),
                   rf"Upgraded the schema from version 0 to {LATEST}\b", "migrate finishes the job")
        f.contains(store.run("blemon-admin", "check", config=path, check=False),
                   r"All checks passed", "check after the rerun")
    finally:
        tools_env.run_sql(peer, f"DROP DATABASE IF EXISTS `{half}`;", check=False)


def test_accounts(store, f):
    peer = store.peer
    suffix = str(os.getpid())
    scanner, admin, password = f"bl_s_{suffix}", f"bl_a_{suffix}", "role-test-pw"
    grants = store.run("blemon-admin", "grants", "--scanner-user", scanner, "--processor-user",
                       f"bl_p_{suffix}", "--report-user", f"bl_r_{suffix}", "--admin-user",
                       admin, "--admin-host", "%", "--password", password).stdout.decode()
    tools_env.run_sql(peer, grants)
    try:
        r = store.run("blemon-admin", "check", config=config_for(store, store.database, scanner,
                                                                   password), check=False)
        f.contains(r, r"processor_lease\s+cannot see", "check as the scanner says cannot see")
        f.lacks(r, r"MISSING", "check as the scanner must not call hidden tables missing")
        admin_config = config_for(store, store.database, admin, password)
        for args, pattern in ((["migrate"], r"already at version"),
                              (["check"], r"All checks passed"),
                              (["cleanup-staging", "--days", "1"], r"Deleted \d+"),
                              (["archive", "--older-than", "90"], r"Archived \d+"),
                              (["processor", "release"], r"processor lease")):
            f.contains(store.run("blemon-admin", *args, config=admin_config, check=False),
                       pattern, f"the admin account runs {' '.join(args)}")
    finally:
        for user in (scanner, admin, f"bl_p_{suffix}", f"bl_r_{suffix}"):
            tools_env.run_sql(peer, f"DROP USER IF EXISTS '{user}'@'%';", check=False)


def test_statement_binlog(store, f):
    peer_script = store.peer["peer_script"]
    with tempfile.TemporaryDirectory(prefix="blemon-binlog-", dir=store.tmp) as tmp:
        private = os.path.join(tmp, "peer")
        os.makedirs(private)
        with open(os.path.join(private, "extra-args"), "w") as a:
            a.write("--log-bin=binlog\n--binlog-format=MIXED\n--innodb-buffer-pool-size=64M\n")
        subprocess.run(["bash", peer_script, "setup", private], check=True, capture_output=True)
        try:
            env = tools_env.read_peer_env(private)
            tools_env.run_sql(env, "CREATE DATABASE ble_monitor;")
            path = os.path.join(tmp, "binlog.toml")
            store.write_config("[database]\nbackend = \"mariadb\"\nhost = \"127.0.0.1\"\n"
                               f"port = {env['port']}\nuser = \"{env['admin_user']}\"\n"
                               f"password = \"{env['admin_password']}\"\n", path)
            store.run("blemon-admin", "migrate", config=path)
            # As if set in 50-server.cnf: every new session logs statements.
            tools_env.run_sql(env, "SET GLOBAL binlog_format = 'STATEMENT';")
            f.contains(store.run("blemon-admin", "check", config=path, check=False),
                       r"binlog_format = STATEMENT.*MIXED", "check names binlog_format", 1)
            monitor = os.path.join(tmp, "monitor.toml")
            with open(path) as c:
                store.write_config('[monitor]\nname = "binlog"\nscan_duration_seconds = 1\n'
                                   f'processor_wait_seconds = 0\nstate_directory = "{tmp}"\n\n'
                                   + c.read(), monitor)
            r = store.run("blemon-monitor", "--single", "--simulate", config=monitor, check=False)
            out = r.stderr.decode()
            if "1665" not in out and "STATEMENT" not in out:
                f.append(f"the premise: a monitor against binlog_format = STATEMENT fails, "
                         f"got exit {r.returncode}:\n{out}")
        finally:
            subprocess.run(["bash", peer_script, "teardown", private], capture_output=True)


def main():
    bin_dir = sys.argv[1]
    store = tools_env.Store("mariadb", bin_dir, "role")
    f = Failures()
    try:
        store.run("blemon-admin", "migrate")
        for test in (test_grants_before_migrate, test_schema_files_by_hand,
                     test_half_applied_migration, test_accounts, test_statement_binlog):
            try:
                test(store, f)
            except (AssertionError, subprocess.CalledProcessError, RuntimeError) as e:
                f.append(f"{test.__name__}: {e}")
    finally:
        store.drop()
    for failure in f:
        print("FAIL:", failure)
    if not f:
        print("the admin role works as documented")
    return 1 if f else 0


if __name__ == "__main__":
    sys.exit(main())
