#!/usr/bin/python3
"""The event stream and /metrics of blemon-web on one store: a client of /api/v1/events gets the
newest processed interval at once and one more event when a newer interval appears in
device_sightings; /metrics passes `promtool check metrics`, counts that interval in its delay
histogram and exports the processor's recorded run (counters and duration histogram).

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


def sample(text, name):
    """The value of the sample `name` (with its labels, if any), None when missing."""
    for line in text.splitlines():
        if line.startswith(name + " "):
            return float(line.split(" ")[1])
    return None


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

        # A client reconnecting with the id it has is not sent that interval again.
        if second:
            sock = socket.create_connection((server.host, server.port), timeout=10)
            sock.sendall(b"GET /api/v1/events HTTP/1.1\r\nHost: x\r\nLast-Event-ID: " +
                         second[0]["id"].encode() + b"\r\n\r\n")
            repeated = read_events(sock, 1, 3)
            if repeated:
                failures.append(f"the interval the client has was sent again: {repeated}")
            sock.close()

        # Real processing runs: a processor's cycle processes the fixture's unprocessed 11:50 UTC
        # row, months after that interval ended (so late), and the interval it just scanned.
        tools_env.run_monitor(store, "processor", "Hall", True)
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
                         'blemon_processing_delay_seconds_bucket{le="+Inf"} 1\n'):
            if expected not in text:
                failures.append(f"/metrics lacks {expected!r}:\n{text}")
        # Every run was recorded and took under a minute; of them only the fixture's interval of
        # months ago is late (a --single cycle also processes the interval it just scanned).
        runs = sample(text, "blemon_intervals_processed_total")
        for name in ("blemon_processing_duration_seconds_count",
                     'blemon_processing_duration_seconds_bucket{le="60"}'):
            if runs is None or runs < 1 or sample(text, name) != runs:
                failures.append(f"/metrics: {name} should equal processed runs ({runs}):\n{text}")
        if sample(text, "blemon_intervals_late_total") != 1:
            failures.append(f"/metrics: blemon_intervals_late_total should be 1:\n{text}")
    except BaseException:
        web_env.finish(store, server, failures, "")
        raise
    return web_env.finish(store, server, failures, f"events and metrics correct on {backend}")


if __name__ == "__main__":
    sys.exit(main())
