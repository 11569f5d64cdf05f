#!/usr/bin/python3
"""`blemon-admin archive` on a large MariaDB store: 10 million device_sightings older than the
cut-off (the reports bench's data set, reports_bench.load, ending 91 days ago), archived by the
real process with its stderr on a pseudo-terminal, so the progress line is drawn as an operator
sees it:

  1. a first run stopped by SIGINT after about a third of the rows: how long it takes to stop
     (the chunk in flight commits first) and that it exits 75 naming how far it got;
  2. a second run to the end: its planning time (the one COUNT), rows/s and total time.

Fails unless every row ends in device_sightings_archive exactly once.

    archive_bench.py BIN_DIR TOOLS_TEST_DIR [ROWS]
"""

import os
import pty
import re
import select
import signal
import subprocess
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import reports_bench  # noqa: E402  (also puts TOOLS_TEST_DIR on sys.path)
import tools_env  # noqa: E402

ROWS = reports_bench.ROWS


def count(store, table):
    return int(store.sql(f"SELECT COUNT(*) FROM {table};").stdout.split()[-1])


class ArchiveRun:
    """blemon-admin archive with stderr on a pseudo-terminal; stdout piped."""

    def __init__(self, store):
        self.master, slave = pty.openpty()
        self.proc = subprocess.Popen(
            [store.binary("blemon-admin"), "-c", store.config_path, "archive", "--older-than",
             "90"], stdout=subprocess.PIPE, stderr=slave, env=dict(os.environ, TZ=tools_env.TZ))
        os.close(slave)
        self.started = time.monotonic()
        self.terminal = b""

    def pump(self, seconds):
        """Reads what the progress line drew for `seconds` (or until the process ends)."""
        deadline = time.monotonic() + seconds
        while time.monotonic() < deadline:
            ready, _, _ = select.select([self.master], [], [], 0.2)
            if ready:
                try:
                    chunk = os.read(self.master, 65536)
                except OSError:  # the process closed its end
                    return
                if not chunk:
                    return
                self.terminal += chunk
            elif self.proc.poll() is not None:
                return

    def last_line(self):
        lines = [line for line in re.split(rb"[\r\n]", self.terminal) if line.strip()]
        return lines[-1].replace(b"\x1b[K", b"").decode(errors="replace") if lines else ""

    def redraws(self):
        return self.terminal.count(b"\r")

    def finish(self, timeout):
        self.pump(timeout)
        out = self.proc.communicate(timeout=timeout)[0].decode()
        os.close(self.master)
        return self.proc.returncode, out, time.monotonic() - self.started


def main():
    bin_dir = sys.argv[1]
    store = tools_env.Store("mariadb", bin_dir, "archive_bench",
                            keep_database=os.environ.get("BLEMON_BENCH_DATABASE"))
    failures = []
    try:
        store.run("blemon-admin", "migrate")
        if count(store, "device_sightings") == 0:
            print(f"Loading {ROWS:,} sightings ...", flush=True)
            t0 = time.monotonic()
            reports_bench.load(store, int(time.time()) - 91 * 86400)
            print(f"Loaded in {time.monotonic() - t0:.0f} s", flush=True)
        total = count(store, "device_sightings")
        print(f"{total:,} sightings older than 90 days", flush=True)

        # 1. Stopped by Ctrl-C a third of the way.
        first = ArchiveRun(store)
        while count(store, "device_sightings_archive") < total // 3 and first.proc.poll() is None:
            first.pump(2)
        print(f"progress line as drawn: {first.last_line()}")
        signalled = time.monotonic()
        first.proc.send_signal(signal.SIGINT)
        code, out, elapsed = first.finish(120)
        stop_ms = (time.monotonic() - signalled) * 1000
        moved = count(store, "device_sightings_archive")
        print(f"run 1: SIGINT after {elapsed:.1f} s, stopped {stop_ms:.0f} ms later, exit {code}, "
              f"{moved:,} rows moved, {first.redraws()} redraws ({first.redraws() / elapsed:.1f}/s)")
        print(f"  {out.strip()}")
        if code != 75 or f"after archiving {moved} of {total}" not in out:
            failures.append(f"run 1 did not stop cleanly: exit {code}: {out}")

        # 2. Resumed to the end.
        second = ArchiveRun(store)
        code, out, elapsed = second.finish(3600)
        left = total - moved
        print(f"run 2: {left:,} rows in {elapsed:.1f} s = {left / elapsed:,.0f} rows/s, exit {code}")
        print(f"  final line as drawn: {second.last_line()}")
        print(f"  {out.strip()}")
        archived = count(store, "device_sightings_archive")
        distinct = int(store.sql("SELECT COUNT(DISTINCT sighting_id) FROM device_sightings_archive;")
                       .stdout.split()[-1])
        if code != 0 or archived != total or distinct != total or count(store, "device_sightings"):
            failures.append(f"run 2: exit {code}, archive holds {archived:,} ({distinct:,} distinct) "
                            f"of {total:,}: {out}")
    finally:
        store.drop()
    for failure in failures:
        print("FAIL:", failure)
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
