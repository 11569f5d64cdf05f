#!/usr/bin/python3
"""The accounts `blemon-admin grants` prints are enough and no more: created on the test server,
a scanner monitor and the processor monitor run `--single --simulate` with them and the readings
get processed; the reports and the dashboard run as the reporting account; and each account is
refused what it should not do.

    grants_test.py BIN_DIR
"""

import os
import sys

import tools_env


def privacy_scanner_log(store, user, password):
    """One cycle of a scanner in privacy mode as `user`; its log (docs/privacy.md)."""
    config = tools_env.monitor_config(store, f"Private-{user}", "Office", False, user, password)
    secret = os.path.join(store.tmp, "fleet.secret")
    with open(secret, "wb") as f:
        f.write(os.urandom(32))
    os.chmod(secret, 0o600)
    log = os.path.join(store.tmp, f"{user}.log")
    with open(config) as f:
        text = f.read()
    text = text.replace("[monitor]\n", f'[monitor]\nlog_file = "{log}"\n', 1)
    store.write_config(text + f'\n[privacy]\nmode = "pseudonymise"\nsecret_file = "{secret}"\n',
                       config)
    store.run("blemon-monitor", "--single", "--simulate", config=config)
    with open(log) as f:
        return f.read()


def main():
    bin_dir = sys.argv[1]
    store = tools_env.Store("mariadb", bin_dir, "grants")
    peer = store.peer
    suffix = str(os.getpid())
    users = {"scanner": f"bl_scan_{suffix}", "processor": f"bl_proc_{suffix}",
             "report": f"bl_rep_{suffix}", "private": f"bl_priv_{suffix}"}
    password = "grant-test-pw"
    failures = []
    try:
        store.run("blemon-admin", "migrate")
        grants = store.run("blemon-admin", "grants", "--scanner-user", users["scanner"],
                           "--processor-user", users["processor"], "--report-user",
                           users["report"], "--password", password).stdout.decode()
        if "GRANT ALL" in grants or "*.* " in grants:
            failures.append(f"grants are not least-privilege:\n{grants}")
        tools_env.run_sql(peer, grants)

        # Scanners as the scanner account, then the processor as the processor account.
        for name, room in (("Kitchen", "Kitchen"), ("Bedroom", "Bedroom")):
            r = tools_env.run_monitor(store, name, room, False, users["scanner"], password,
                                      check=False)
            if r.returncode != 0:
                failures.append(f"scanner {name} failed with the scanner account: exit "
                                f"{r.returncode}\n{r.stderr.decode()}")
        # With [retention], so the account's DELETE rights on the two tables are exercised too.
        processor_config = tools_env.monitor_config(store, "LivingRoom", "Living Room", True,
                                                    users["processor"], password)
        with open(processor_config, "a") as f:
            f.write("\n[retention]\nsightings_days = 400\nstaging_days = 400\n")
        r = store.run("blemon-monitor", "--single", "--simulate", config=processor_config,
                      check=False)
        if b"refused retention" in r.stdout + r.stderr:
            failures.append(f"the processor account may not apply retention:\n{r.stderr.decode()}")
        if r.returncode != 0:
            failures.append(f"the processor failed with the processor account: exit "
                            f"{r.returncode}\n{r.stderr.decode()}")
        counts = tools_env.run_sql(peer, """
SELECT (SELECT COUNT(DISTINCT monitor_id) FROM sighting_staging),
       (SELECT COUNT(*) FROM sighting_staging WHERE processed = FALSE),
       (SELECT COUNT(*) FROM device_sightings);""", store.database).stdout.splitlines()[-1]
        staged_monitors, unprocessed, sightings = (int(x) for x in counts.split("\t"))
        if staged_monitors != 3 or unprocessed != 0 or sightings == 0:
            failures.append(f"expected 3 monitors' readings all processed: monitors "
                            f"{staged_monitors}, unprocessed {unprocessed}, sightings {sightings}"
                            f"; the processor's log:\n{r.stderr.decode()}")

        # Privacy mode: a scanner reads the watch list and the identities' keys each cycle, which
        # the plain scanner account may not, and the --privacy-mode one may.
        store.run("blemon-admin", "watch", "add", "someone", "--mac", "AA:BB:CC:00:11:22")
        cannot = "Could not refresh the watch list"
        if cannot not in privacy_scanner_log(store, users["scanner"], password):
            failures.append("a plain scanner account could read the watch list: the check below "
                            "proves nothing")
        tools_env.run_sql(peer, store.run(
            "blemon-admin", "grants", "--privacy-mode", "--scanner-user", users["private"],
            "--processor-user", users["processor"], "--report-user", users["report"],
            "--password", password).stdout.decode())
        log = privacy_scanner_log(store, users["private"], password)
        if cannot in log:
            failures.append(f"a --privacy-mode scanner account cannot read the watch list:\n{log}")

        # Reports and the dashboard as the read-only account.
        report_config = os.path.join(store.tmp, "report.toml")
        store.write_config(store.mariadb_config(users["report"], password), report_config)
        for args in (["--report", "hourly"], ["--report", "monitors"], ["--report", "devices"],
                     ["--report", "rooms"]):
            r = store.run("blemon-report", *args, config=report_config, check=False)
            if r.returncode != 0 or b"No data found" in r.stdout:
                failures.append(f"report {args} as the reporting account: exit {r.returncode}\n"
                                f"{r.stdout.decode()}{r.stderr.decode()}")
        r = store.run("blemon-dashboard", "--once", config=report_config, check=False)
        if r.returncode != 0:
            failures.append(f"dashboard as the reporting account: {r.stdout.decode()}")

        # No more than needed: each account is refused what is not its job.
        refused = [
            ("scanner", "INSERT INTO device_sightings (device_id, monitor_id, rssi) VALUES (1, 1, -1)"),
            ("scanner", "SELECT * FROM device_sightings"),
            ("scanner", "UPDATE processor_lease SET epoch = epoch + 1"),
            ("processor", "DELETE FROM monitors"),
            ("processor", "DROP TABLE monitors"),
            # Marking rows processed only through blemon_mark_merged (never a row not merged).
            ("processor", "UPDATE sighting_staging SET processed = TRUE"),
            ("report", "INSERT INTO monitors (monitor_name) VALUES ('intruder')"),
            ("report", "UPDATE monitors SET is_active = FALSE"),
            ("report", "CALL cleanup_old_staging(0)"),
        ]
        for role, sql in refused:
            r = tools_env.run_sql(peer, sql + ";", store.database, user=users[role],
                                  password=password, check=False)
            if r.returncode == 0 or "denied" not in r.stderr:
                failures.append(f"the {role} account was allowed: {sql} ({r.stderr.strip()})")
    finally:
        drop = "".join(f"DROP USER IF EXISTS '{u}'@'%';" for u in users.values())
        tools_env.run_sql(peer, drop, check=False)
        store.drop()
    for failure in failures:
        print("FAIL:", failure)
    if not failures:
        print("monitors, reports and the dashboard run with exactly the printed grants")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
