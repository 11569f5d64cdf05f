#!/usr/bin/python3
"""API against CLI on one store: every report in every format (the golden test's cases, plus the
table format of each) is fetched from blemon-web and must equal `blemon-report`'s stdout byte for
byte. Then the live views (rooms now, a device's track, the fleet) are checked against golden
files shared by both stores, which makes this the contract test of the read port's new methods.

    api_cli_test.py sqlite|mariadb BIN_DIR [--update]
"""

import json
import os
import sys

import web_env
from web_env import tools_env

HERE = os.path.dirname(os.path.abspath(__file__))
GOLDEN = os.path.join(HERE, "golden")
sys.path.insert(0, os.path.join(HERE, "..", "tools"))
import golden_test  # noqa: E402  (its CASES: the reports blemon-report is checked on)

DAY = ["-s", "2026-02-22", "-e", "2026-02-22"]
# The reports /api/v1/reports serves; the presence reports (occupancy, visits, presence) are
# blemon-report's only, so far.
API_REPORTS = ("hourly", "monitors", "devices", "rooms")
CASES = [args for _, args, _ in golden_test.CASES
         if "--report" not in args or args[args.index("--report") + 1] in API_REPORTS]
CASES += [["--report", r, "-f", "table", "-m", "kitchen", *DAY] for r in ("monitors", "devices")]
CASES += [["--report", "devices", "-f", "json", "--hours", "30", "--now", "2026-02-22T12:00:00Z"]]
CASES += [["--report", "rooms", "-f", "table", "--confidence", "low", "--confidence", "high", *DAY]]

CONTENT_TYPES = {"json": "application/json", "csv": "text/csv", "table": "text/plain"}

# Live views on the fixture: the newest processed interval is 2026-02-22 11:45 UTC.
VIEWS = [
    ("rooms-now.json", "/api/v1/rooms/now"),
    ("track-pixel.json", "/api/v1/devices/aa:bb:cc:00:00:01/track?start_date=2026-02-22"
                         "&end_date=2026-02-22"),
    ("track-pixel-kitchen.json", "/api/v1/devices/AA-BB-CC-00-00-01/track?hours=48"
                                 "&now=2026-02-22T12:00:00Z&monitor=kitchen"),
    ("track-unknown.json", "/api/v1/devices/AA:BB:CC:00:00:99/track?now=2026-02-22T12:00:00Z"),
]


def check_reports(store, server, failures):
    for args in CASES:
        if "-f" not in args:
            args = [*args, "-f", "json"]  # the API's default format; the CLI's is table
        kind, query = web_env.query_of(args)
        cli = store.run("blemon-report", *args).stdout
        status, headers, body = server.get(f"/api/v1/reports/{kind}?{query}")
        fmt = dict(web_env.parse_qsl(query)).get("format", "json")
        if status != 200 or not headers.get("content-type", "").startswith(CONTENT_TYPES[fmt]):
            failures.append(f"{kind}?{query}: {status} {headers.get('content-type')}: {body[:300]}")
        elif body != cli:
            failures.append(f"{kind}?{query} differs from blemon-report {' '.join(args)}:\n"
                            f"--- cli\n{cli.decode(errors='replace')}\n--- api\n"
                            f"{body.decode(errors='replace')}")


def check_views(server, update, failures):
    for golden, path in VIEWS:
        status, headers, body = server.get(path)
        if status != 200 or headers.get("content-type") != "application/json; charset=utf-8":
            failures.append(f"{path}: {status} {headers.get('content-type')}: {body[:300]}")
            continue
        json.loads(body)
        target = os.path.join(GOLDEN, golden)
        if update:
            with open(target, "wb") as f:
                f.write(body)
            continue
        with open(target, "rb") as f:
            expected = f.read()
        if body != expected:
            failures.append(f"{path} differs from {golden}:\n--- expected\n"
                            f"{expected.decode(errors='replace')}\n--- got\n"
                            f"{body.decode(errors='replace')}")
    # The fleet view has the store's clock in it, so its shape is checked, not its bytes.
    status, _, body = server.get("/api/v1/fleet?top=2&recent=3")
    fleet = json.loads(body)
    names = [m["monitor_name"] for m in fleet["monitors"]]
    if status != 200 or names != ["bedroom", "kitchen", "living-room"]:
        failures.append(f"fleet: {status} monitors {names}")
    elif len(fleet["recent"]) != 0 or fleet["staging"]["unprocessed_rows"] < 1:
        # The fixture's sightings are older than 24 h before the store's clock: none are recent.
        failures.append(f"fleet: unexpected recent/staging: {body[:500]!r}")
    if fleet["monitors"][0]["health"] != "stopped" or "lease" not in fleet:
        failures.append(f"fleet: bedroom should be stopped: {fleet['monitors'][0]}")


def read_only_config(store):
    """MariaDB: the config of the read-only account `blemon-admin grants` makes (blemon-web's
    account in production), created on the test server. SQLite: the store's own config."""
    if store.backend != "mariadb":
        return None
    user, password = f"bl_webrep_{os.getpid()}", "web-report-pw"
    grants = store.run("blemon-admin", "grants", "--report-user", user, "--scanner-user",
                       f"bl_websc_{os.getpid()}", "--processor-user", f"bl_webpr_{os.getpid()}",
                       "--password", password).stdout.decode()
    tools_env.run_sql(store.peer, grants)
    path = os.path.join(store.tmp, "read-only.toml")
    store.write_config(store.mariadb_config(user, password), path)
    return path


def main():
    backend, bin_dir = sys.argv[1], sys.argv[2]
    update = "--update" in sys.argv
    # --tz ZONE: CLI and API both run in ZONE (a half-hour zone shifts the hourly buckets); the
    # views' golden files are in the default zone, so only the reports are compared then.
    zone = sys.argv[sys.argv.index("--tz") + 1] if "--tz" in sys.argv else None
    if zone:
        tools_env.TZ = zone
    store = tools_env.Store(backend, bin_dir, "webapi")
    failures = []
    server = None
    try:
        store.load_fixture()
        server = web_env.WebServer(store, base_config=read_only_config(store))
        check_reports(store, server, failures)
        if not zone:
            check_views(server, update, failures)
    except BaseException:
        web_env.finish(store, server, failures, "")
        raise
    return web_env.finish(store, server, failures,
                          f"{len(CASES)} reports equal to blemon-report"
                          f"{' in ' + zone if zone else f' and {len(VIEWS)} views match'} on "
                          f"{backend}")


if __name__ == "__main__":
    sys.exit(main())
