#!/usr/bin/python3
"""The event stream and /metrics of blemon-web on one store: a client of /api/v1/events gets the
newest processed interval at once and one more event when a newer interval appears in
device_sightings; /metrics passes `promtool check metrics` and counts that interval.

    events_metrics_test.py sqlite|mariadb BIN_DIR
"""

import socket
import subprocess
import sys
import time

import web_env
from web_env import tools_env

NEW_SIGHTING = ("INSERT INTO device_sightings (device_id, monitor_id, rssi, interval_start, "
                "sighting_timestamp) VALUES (5, 2, -52, '2026-02-22 11:50:00', "
                "'2026-02-22 11:50:02');")


def read_events(sock, count, timeout):
    """The first `count` SSE events (as dicts of field: value) read from an open stream."""
    deadline = time.monotonic() + timeout
    buffer, events = b"", []
    while len(events) < count and time.monotonic() < deadline:
        sock.settimeout(max(0.1, deadline - time.monotonic()))
        try:
            chunk = sock.recv(4096)
        except socket.timeout:
            break
        if not chunk:
            break
        buffer += chunk
        while b"\n\n" in buffer:
            block, buffer = buffer.split(b"\n\n", 1)
            fields = {}
            for line in block.decode().splitlines():
                # Chunked transfer framing lines (sizes) and comments carry no field.
                if ": " in line and not line.startswith(":"):
                    key, value = line.split(": ", 1)
                    fields[key.split("\r\n")[-1].strip()] = value
            if "event" in fields:
                events.append(fields)
    return events


def main():
    backend, bin_dir = sys.argv[1], sys.argv[2]
    store = tools_env.Store(backend, bin_dir, "webevents")
    failures = []
    server = None
    try:
        store.load_fixture()
        server = web_env.WebServer(store, "[web]\nevent_poll_seconds = 1\n")
        sock = socket.create_connection((server.host, server.port), timeout=10)
        sock.sendall(b"GET /api/v1/events HTTP/1.1\r\nHost: x\r\n\r\n")
        first = read_events(sock, 1, 10)
        if not first or "12:45:00+01:00" not in first[0].get("data", ""):
            failures.append(f"first event should name 11:45 UTC: {first}")
        store.sql(NEW_SIGHTING)
        second = read_events(sock, 1, 15)
        if not second or "12:50:00+01:00" not in second[0].get("data", ""):
            failures.append(f"no event for the new interval 11:50 UTC: {second}")
        elif second[0].get("event") != "interval" or not second[0].get("id"):
            failures.append(f"event lacks its name or id: {second[0]}")
        sock.close()

        status, headers, body = server.get("/metrics")
        if status != 200 or not headers.get("content-type", "").startswith("text/plain; version=0.0.4"):
            failures.append(f"/metrics: {status} {headers.get('content-type')}")
        check = subprocess.run(["promtool", "check", "metrics"], input=body, capture_output=True)
        if check.returncode != 0 or check.stdout.strip() or check.stderr.strip():
            failures.append(f"promtool check metrics: exit {check.returncode}: "
                            f"{check.stdout.decode()} {check.stderr.decode()}\n{body.decode()}")
        text = body.decode()
        for expected in ('blemon_monitor_readings_staged{monitor="kitchen"}',
                         'blemon_monitor_last_seen_age_seconds{monitor="living-room"}',
                         "blemon_staging_unprocessed_rows ", "blemon_processor_lease_epoch ",
                         "blemon_intervals_processed_total 1\n",
                         'blemon_processing_delay_seconds_bucket{le="+Inf"} 1\n'):
            if expected not in text:
                failures.append(f"/metrics lacks {expected!r}:\n{text}")
    finally:
        if server:
            server.stop()
        store.drop()
    for failure in failures:
        print("FAIL:", failure)
    if not failures:
        print(f"events and metrics correct on {backend}")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
