#!/usr/bin/python3
"""blemon-web under load on the reports benchmark's MariaDB database (10 million sightings, loaded
by reports_bench.load): wrk with 16 connections for DURATION seconds on each endpoint, p50/p95/p99
latency and requests per second; blemon-web's RSS idle after start and idle after the load.
Reports (does not fail on) p95 over 100 ms or RSS over 20 MiB; fails only on errors.

    web_bench.py BIN_DIR TOOLS_TEST_DIR WRK [ROWS]
"""

import os
import subprocess
import sys
import time

sys.path.insert(0, sys.argv[2])
sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__))))
sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "integration",
                                "web"))
import tools_env  # noqa: E402
import web_env  # noqa: E402

WRK = sys.argv[3]
ROWS = int(sys.argv[4]) if len(sys.argv) > 4 else 10_000_000
sys.argv = sys.argv[:3] + [str(ROWS)]  # reports_bench reads its row count from argv[3]
import reports_bench  # noqa: E402

CONNECTIONS = 16
DURATION = int(os.environ.get("BLEMON_WEB_BENCH_SECONDS", "20"))
LUA = """
done = function(summary, latency, requests)
  io.write(string.format("RESULT %d %d %d %d %d %d\\n", latency:percentile(50),
           latency:percentile(95), latency:percentile(99), summary.requests,
           summary.errors.status + summary.errors.connect + summary.errors.read
           + summary.errors.write + summary.errors.timeout, summary.duration))
end
"""


def rss_kib(pid):
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    return 0


def load_once(store):
    store.run("blemon-admin", "migrate")
    loaded = int(store.sql("SELECT COUNT(*) FROM device_sightings;").stdout.split()[-1])
    if not loaded:
        print(f"Loading {ROWS:,} sightings ...", flush=True)
        reports_bench.load(store, int(time.time()))
        loaded = ROWS
    now = int(store.sql("SELECT UNIX_TIMESTAMP(MAX(interval_start)) + 300 "
                        "FROM device_sightings;").stdout.split()[-1])
    print(f"{loaded:,} sightings in {store.database}", flush=True)
    return now


def run_wrk(wrk, server, path, lua):
    out = subprocess.run([wrk, "-t", "2", "-c", str(CONNECTIONS), "-d", f"{DURATION}s",
                          "--timeout", "10s", "-s", lua, f"http://{server.host}:{server.port}{path}"],
                         capture_output=True, text=True, check=True).stdout
    fields = next(line for line in out.splitlines() if line.startswith("RESULT")).split()[1:]
    p50, p95, p99, requests, errors, duration_us = map(int, fields)
    return p50 / 1000, p95 / 1000, p99 / 1000, requests / (duration_us / 1e6), errors


def main():
    bin_dir = sys.argv[1]
    wrk = WRK
    store = tools_env.Store("mariadb", bin_dir, "webbench",
                            keep_database=os.environ.get("BLEMON_BENCH_DATABASE"))
    failures = []
    server = None
    lua = os.path.join(store.tmp, "p95.lua")
    with open(lua, "w") as f:
        f.write(LUA)
    try:
        now = load_once(store)
        now_arg = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(now))
        server = web_env.WebServer(store, "[web]\nthreads = 20\n", env_extra={"TZ": "UTC"})
        time.sleep(3)
        idle = rss_kib(server.proc.pid)
        print(f"blemon-web RSS idle after start: {idle / 1024:.1f} MiB")
        status, _, body = server.get(f"/api/v1/reports/hourly?format=csv&now={now_arg}")
        rows = body.count(b"\n") - 1
        print(f"hourly report, 24 h: {rows} rows")
        if status != 200 or rows < 200:
            failures.append(f"hourly report: {status}, {rows} rows")
        cases = [("/api/v1/reports/hourly (24 h, json)", f"/api/v1/reports/hourly?now={now_arg}"),
                 ("/api/v1/rooms/now", "/api/v1/rooms/now")]
        # One request each, alone and uncached (first of its kind): what a single client waits.
        print(f"{'single uncached request':40} {'ms':>7}")
        singles = [("/api/v1/fleet (as the page asks)", "/api/v1/fleet?top=0&recent=0"),
                   ("/api/v1/fleet (top 10, recent 10)", "/api/v1/fleet"),
                   ("/metrics", "/metrics")]
        for what, path in cases + singles:
            t0 = time.monotonic()
            status, _, _ = server.get(path)
            print(f"{what:40} {(time.monotonic() - t0) * 1000:7.0f}", flush=True)
            if status != 200:
                failures.append(f"{path}: {status}")
        print(f"{CONNECTIONS} connections, {DURATION} s each")
        print(f"{'endpoint':40} {'p50 ms':>7} {'p95 ms':>7} {'p99 ms':>7} {'req/s':>7} {'errors':>6}")
        for what, path in cases:
            p50, p95, p99, rate, errors = run_wrk(wrk, server, path, lua)
            print(f"{what:40} {p50:7.1f} {p95:7.1f} {p99:7.1f} {rate:7.0f} {errors:6}", flush=True)
            if errors:
                failures.append(f"{what}: {errors} errors")
            if p95 > 100:
                print(f"  NOTE: p95 {p95:.0f} ms is above the 100 ms target")
        time.sleep(5)
        after = rss_kib(server.proc.pid)
        print(f"blemon-web RSS idle after the load: {after / 1024:.1f} MiB")
        for label, kib in (("idle after start", idle), ("idle after the load", after)):
            if kib > 20 * 1024:
                print(f"  NOTE: RSS {label} {kib / 1024:.1f} MiB is above the 20 MiB target")
    except BaseException:
        web_env.finish(store, server, failures, "")
        raise
    return web_env.finish(store, server, failures, "done")


if __name__ == "__main__":
    sys.exit(main())
