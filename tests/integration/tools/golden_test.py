#!/usr/bin/python3
"""Golden-output test of blemon-report: every report in every format on the fixed data set
(fixture.sql), on one store. Both stores must produce the same bytes, so the golden files are
shared; and the same bytes again once the hourly rollups are made (read from hourly_rollups, not
device_sightings). TZ is fixed to a CET/CEST rule; times in the fixture are UTC.

    golden_test.py sqlite|mariadb BIN_DIR           compare
    golden_test.py sqlite BIN_DIR --update          rewrite golden/ from this run (review the diff!)
"""

import json
import os
import sys

import tools_env

GOLDEN = os.path.join(tools_env.HERE, "golden")
DAY = ["-s", "2026-02-22", "-e", "2026-02-22"]
EXT = {"table": "txt", "csv": "csv", "json": "json"}

# (golden file, arguments, expected stderr substring or None)
CASES = []
for report in ("hourly", "monitors", "devices", "rooms", "occupancy", "visits", "presence"):
    for fmt in ("table", "csv", "json"):
        CASES.append((f"{report}.{EXT[fmt]}", ["--report", report, "-f", fmt, *DAY], None))
CASES += [
    ("hourly-kitchen.txt", ["--report", "hourly", "-m", "kitchen", *DAY], None),
    # Stable rooms and confidence: the fixture holds rows whose stable room is not their raw
    # winner's, every confidence and rows without one.
    ("rooms-high.txt", ["--report", "rooms", "--confidence", "high", *DAY], None),
    ("rooms-low-ambiguous.json",
     ["--report", "rooms", "-f", "json", "--confidence", "ambiguous,low", *DAY], None),
    ("rooms-kitchen.csv", ["--report", "rooms", "-f", "csv", "-m", "kitchen", *DAY], None),
    ("rooms-default-24h.txt", ["--report", "rooms", "--now", "2026-02-22T12:10:00Z"], None),
    ("devices-ambiguous.txt",
     ["--report", "devices", "--confidence", "ambiguous", "--confidence", "high", *DAY], None),
    ("devices-last-2-hours.txt",
     ["--report", "devices", "--hours", "2", "--now", "2026-02-22T12:00:00Z"], None),
    ("hourly-default-24h.txt", ["--now", "2026-02-22T12:10:00Z"], None),
    ("monitors-default-24h.txt", ["--report", "monitors", "--now", "2026-02-22T12:10:00Z"], None),
    ("empty.txt", ["--report", "hourly", "-m", "nosuch", *DAY], None),
    ("empty.csv", ["--report", "devices", "-f", "csv", "-m", "nosuch", *DAY], "No data found"),
    ("empty.json", ["--report", "monitors", "-f", "json", "-m", "nosuch", *DAY], "No data found"),
    ("presence-empty.txt", ["--report", "presence", "-s", "2026-03-01", "-e", "2026-03-01"], None),
]


def main():
    backend, bin_dir = sys.argv[1], sys.argv[2]
    update = "--update" in sys.argv
    store = tools_env.Store(backend, bin_dir, "golden")
    failures = []
    try:
        store.load_fixture()
        # The fixture's rows, written by hand, leave their hours stale: this pass reads
        # device_sightings. The second pass reads the same cases after `migrate` rolled the hours
        # up, so the hourly reports come from hourly_rollups and must give the same bytes.
        for golden, args, stderr_expect in CASES:
            result = store.run("blemon-report", *args)
            out = result.stdout
            path = os.path.join(GOLDEN, golden)
            if golden.endswith(".json"):
                json.loads(out.decode("utf-8"))  # valid JSON, whatever the names hold
            if stderr_expect and stderr_expect not in result.stderr.decode():
                failures.append(f"{golden}: stderr lacks {stderr_expect!r}: {result.stderr!r}")
            if update:
                with open(path, "wb") as f:
                    f.write(out)
                continue
            with open(path, "rb") as f:
                expected = f.read()
            if out != expected:
                failures.append(f"{golden} ({' '.join(args)}) differs:\n--- expected\n"
                                f"{expected.decode(errors='replace')}\n--- got\n"
                                f"{out.decode(errors='replace')}")
        tools_env.roll_up(store, failures.append)
        for golden, args, _ in CASES:
            out = store.run("blemon-report", *args).stdout
            with open(os.path.join(GOLDEN, golden), "rb") as f:
                if out != f.read():
                    failures.append(f"{golden} ({' '.join(args)}) differs once rolled up:\n"
                                    f"{out.decode(errors='replace')}")
        # Nothing a radio sends reaches the terminal raw: no ESC in any table or csv output.
        for fmt in ("table", "csv"):
            out = store.run("blemon-report", "--report", "devices", "-f", fmt, *DAY).stdout
            if b"\x1b" in out:
                failures.append(f"devices {fmt}: a raw ESC reached the output")
        # Bad input is a usage error (64), not a crash or an empty report.
        for args in (["-s", "2026-02-30"], ["-s", "2026-02-23", "-e", "2026-02-22"],
                     ["-f", "xml"], ["--report", "visits", "-m", "kitchen"],
                     ["--report", "rooms", "--confidence", "sure"],
                     ["--report", "hourly", "--confidence", "high"],
                     ["--report", "monitors", "--confidence", "low"],
                     ["--report", "occupancy", "--confidence", "high"]):
            code = store.run("blemon-report", *args, check=False).returncode
            if code != 64:
                failures.append(f"{' '.join(args)}: exit {code}, expected 64")
        bad = os.path.join(store.tmp, "bad.toml")
        store.write_config("[database]\nbackend = 42\n", bad)
        code = store.run("blemon-report", config=bad, check=False).returncode
        if code != 78:
            failures.append(f"a bad config exited {code}, expected 78")
    finally:
        store.drop()
    for failure in failures:
        print("FAIL:", failure)
    if not failures:
        print(f"{len(CASES)} golden outputs match on {backend}")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
