#!/usr/bin/python3
"""Every time every tool prints carries its true zone, and reports cover exactly the local days
asked for, in zones whose offset is not whole hours (India +05:30, Nepal +05:45) and in New York.

- blemon-report: golden outputs (table, csv, json) with TZ=America/New_York and
  TZ=Asia/Kathmandu; hourly buckets are local clock hours, a day's report holds no bucket of the
  evening before, no bucket appears in two daily reports, and two daily reports add up to the
  two-day report — hourly, rooms, monitors and devices, every format;
- blemon-monitor: its log names the interval in UTC as the store holds it, and each line's own
  timestamp carries its offset;
- blemon-admin processor status and blemon-dashboard: times labelled with the zone;
- a mistyped TZ is refused (exit 78), not silently read as UTC;
- all of the reports above give the same bytes again once the hourly rollups are made: New York's
  hours are read from them, India's and Nepal's (not UTC hours) from device_sightings.

    time_zone_test.py sqlite|mariadb BIN_DIR [--update]
"""

import csv
import datetime
import io
import json
import os
import re
import sys

import zoneinfo

import tools_env

GOLDEN = os.path.join(tools_env.HERE, "golden", "tz")
ZONES = {"America/New_York": ("EST (UTC-05:00)", "-05:00"),
         "Asia/Kathmandu": ("UTC+05:45", "+05:45"),
         "Asia/Kolkata": ("IST (UTC+05:30)", "+05:30")}

# Sightings around the local midnights of India and Nepal (18:30 and 18:15 UTC), each in its own
# five-minute interval: a bucket of UTC hours would hand 18:35 to the evening before.
MIDNIGHT_ROWS = """
INSERT INTO device_sightings (device_id, monitor_id, rssi, interval_start, sighting_timestamp)
VALUES (1, 1, -60, '2026-02-22 18:05:00', '2026-02-22 18:05:01'),
       (2, 1, -61, '2026-02-22 18:10:00', '2026-02-22 18:10:01'),
       (3, 2, -62, '2026-02-22 18:20:00', '2026-02-22 18:20:01'),
       (4, 2, -63, '2026-02-22 18:35:00', '2026-02-22 18:35:01'),
       (5, 1, -64, '2026-02-22 19:10:00', '2026-02-22 19:10:01'),
       (1, 2, -65, '2026-02-22 19:25:00', '2026-02-22 19:25:01');
"""


class Failures(list):
    def expect(self, condition, what):
        if not condition:
            self.append(what)


def report(store, zone, *args):
    return store.run("blemon-report", *args, env_extra={"TZ": zone}).stdout.decode()


def csv_rows(text):
    return list(csv.DictReader(io.StringIO(text)))


def check_local_days(store, zone, offset, f):
    """Two adjacent local days: buckets inside their day, none shared, sums add up."""
    days = ["2026-02-22", "2026-02-23"]
    both = ["-s", days[0], "-e", days[1]]
    for kind, count_key in (("hourly", "total_sightings"), ("rooms", "sightings"),
                            ("monitors", "sightings"), ("devices", "sightings")):
        total = sum(int(r[count_key]) for r in csv_rows(
            report(store, zone, "--report", kind, "-f", "csv", *both)))
        per_day = 0
        seen_hours = {}
        for day in days:
            rows = csv_rows(report(store, zone, "--report", kind, "-f", "csv", "-s", day, "-e", day))
            per_day += sum(int(r[count_key]) for r in rows)
            if kind not in ("hourly", "rooms"):
                continue
            for row in rows:
                hour = row["hour_start"]
                f.expect(hour.startswith(day) and hour[13:19] == ":00:00" and
                         hour.endswith(offset),
                         f"{zone}: the {day} {kind} report holds the bucket {hour}")
                f.expect(hour not in seen_hours or seen_hours[hour] == day,
                         f"{zone}: bucket {hour} is in the reports of {seen_hours.get(hour)} "
                         f"and {day}")
                seen_hours[hour] = day
            document = json.loads(report(store, zone, "--report", kind, "-f", "json", "-s", day,
                                         "-e", day))
            for row in document["rows"]:
                f.expect(row["hour_start"].startswith(day),
                         f"{zone}: json {day} holds {row['hour_start']}")
            table = report(store, zone, "--report", kind, "-s", day, "-e", day)
            for line in table.splitlines()[4:]:
                if re.match(r"\d{4}-\d\d-\d\d \d\d:\d\d ", line):
                    f.expect(line.startswith(day) and line[14:16] == "00",
                             f"{zone}: table {day} holds {line}")
        f.expect(per_day == total,
                 f"{zone}: {kind}: the two daily reports count {per_day} sightings, the two-day "
                 f"report {total}")


def check_golden(store, zone, update, f):
    slug = zone.split("/")[1].lower()
    cases = [(f"hourly-{slug}.txt", ["-s", "2026-02-22", "-e", "2026-02-23"]),
             (f"hourly-{slug}.csv", ["-f", "csv", "-s", "2026-02-22", "-e", "2026-02-23"]),
             (f"monitors-{slug}.json", ["--report", "monitors", "-f", "json", "-s", "2026-02-22",
                                        "-e", "2026-02-23"]),
             (f"devices-{slug}.txt", ["--report", "devices", "--hours", "12", "--now",
                                      "2026-02-22T20:00:00Z"]),
             (f"rooms-{slug}.csv", ["--report", "rooms", "-f", "csv", "-s", "2026-02-22", "-e",
                                    "2026-02-23"])]
    for golden, args in cases:
        out = store.run("blemon-report", *args, env_extra={"TZ": zone}).stdout
        path = os.path.join(GOLDEN, golden)
        if update:
            os.makedirs(GOLDEN, exist_ok=True)
            with open(path, "wb") as g:
                g.write(out)
            continue
        with open(path, "rb") as g:
            expected = g.read()
        f.expect(out == expected, f"{golden} differs:\n--- expected\n{expected.decode()}\n"
                                  f"--- got\n{out.decode()}")


def check_monitor_log(store, zone, f):
    offset = datetime.datetime.now(zoneinfo.ZoneInfo(zone)).strftime("%z")
    offset = offset[:3] + ":" + offset[3:]  # the offset now: New York's changes in summer
    config = tools_env.monitor_config(store, "tz-" + zone.replace("/", "-"), "Hall", False)
    result = store.run("blemon-monitor", "--single", "--simulate", config=config,
                       env_extra={"TZ": zone})
    log = result.stderr.decode()
    stamps = re.findall(r"^(\d{4}-\d\d-\d\d \d\d:\d\d:\d\d)(\S*) - ", log, re.M)
    f.expect(stamps and all(s[1] == offset for s in stamps),
             f"{zone}: log lines must carry the offset {offset}:\n{log}")
    said = re.search(r"Starting scan cycle for interval: (\S+ \S+) UTC", log)
    stored = store.sql("SELECT MAX(interval_start) FROM sighting_staging;").stdout.split()[-2:]
    f.expect(said and said.group(1) == " ".join(stored),
             f"{zone}: the log names interval {said and said.group(1)} UTC, the store holds "
             f"{' '.join(stored)}:\n{log}")


def check_admin_and_dashboard(store, zone, label, f):
    out = store.run("blemon-admin", "processor", "status", env_extra={"TZ": zone}).stdout.decode()
    f.expect(re.search(r"Store time: \d{4}-\d\d-\d\d \d\d:\d\d \((EST \(UTC-05:00\)|EDT \("
                       r"UTC-04:00\)|UTC\+05:45|IST \(UTC\+05:30\))\)", out),
             f"{zone}: processor status without its zone:\n{out}")
    out = store.run("blemon-dashboard", "--once",
                    env_extra={"TZ": zone, "COLUMNS": "400"}).stdout.decode()
    first = out.splitlines()[0]
    f.expect(zone != "America/New_York" or re.search(r"times in E[SD]T \(UTC-0[45]:00\)", first),
             f"{zone}: dashboard header without its zone: {first}")
    f.expect(zone == "America/New_York" or f"times in {label}" in first,
             f"{zone}: dashboard header without its zone: {first}")


def check_bad_zone(store, f):
    for tz in ("America/New_Yrok", "Mars/Olympus", "XYZ"):
        for tool, args in (("blemon-report", []), ("blemon-admin", ["check"]),
                           ("blemon-dashboard", ["--once"]),
                           ("blemon-monitor", ["--check-config"])):
            r = store.run(tool, *args, check=False, env_extra={"TZ": tz})
            err = r.stderr.decode()
            f.expect(r.returncode == 78 and f"TZ={tz} is not a time zone" in err,
                     f"{tool} with TZ={tz}: exit {r.returncode}, expected 78 naming TZ:\n{err}")
    for tz in ("UTC", "CET-1CEST,M3.5.0,M10.5.0/3", ":Asia/Kathmandu", "<+0545>-5:45", ""):
        r = store.run("blemon-report", "--report", "monitors", check=False, env_extra={"TZ": tz})
        f.expect(r.returncode == 0, f"TZ={tz!r} is a zone, yet exit {r.returncode}: "
                                    f"{r.stderr.decode()}")


def main():
    backend, bin_dir = sys.argv[1], sys.argv[2]
    update = "--update" in sys.argv
    store = tools_env.Store(backend, bin_dir, "tz")
    f = Failures()
    try:
        store.load_fixture()
        store.sql(MIDNIGHT_ROWS)
        # Twice: first from device_sightings (the rows written by hand mark their hours stale),
        # then, once `migrate` has rolled them up, New York's whole hours from the hourly rollups
        # and India's and Nepal's from device_sightings still (their hours are not UTC hours).
        for rolled_up in (False, True):
            if rolled_up:
                tools_env.roll_up(store, f.append)
            for zone, (label, offset) in ZONES.items():
                if zone != "America/New_York":
                    check_local_days(store, zone, offset, f)
                if zone != "Asia/Kolkata":
                    check_golden(store, zone, update and not rolled_up, f)
        # Then the tools that read the clock: a monitor run adds rows the reports above would see.
        for zone, (label, offset) in ZONES.items():
            check_monitor_log(store, zone, f)
            check_admin_and_dashboard(store, zone, label, f)
        check_bad_zone(store, f)
    finally:
        store.drop()
    for failure in f:
        print("FAIL:", failure)
    if not f:
        print(f"time zones hold on {backend}")
    return 1 if f else 0


if __name__ == "__main__":
    sys.exit(main())
