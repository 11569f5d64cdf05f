#!/usr/bin/python3
"""The processor end to end: blemon-monitor (simulated scanner, SQLite) with [mqtt] towards the
test mosquitto (TLS, password file) and [alerts] towards local receivers (an HTTPS webhook that
answers 500 three times, aiosmtpd with STARTTLS). A watched device arrives; the test checks what
Home Assistant would see (retained discovery and state, the event on blemon/events), that the
webhook got the alert on its fourth try and the mail arrived, and that `blemon-admin alerts`
shows the tries, read from the central store with a config that names nothing else. Then the crash between publishing and marking: the events are marked
unpublished again and the processor runs once more; nothing reaches anyone twice.

    processor_test.py --monitor BIN --admin BIN --receivers receivers.py --work DIR
(the broker from $BLEMON_TEST_MOSQUITTO_DIR)
"""
import argparse
import json
import os
import shutil
import signal
import sqlite3
import subprocess
import sys
import time


def env_file(path):
    values = {}
    with open(path) as f:
        for line in f:
            key, _, value = line.strip().partition("=")
            values[key] = value
    return values


def wait_for(what, predicate, timeout=40):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        result = predicate()
        if result:
            return result
        time.sleep(0.2)
    raise AssertionError(f"timed out waiting for {what}")


def jsonl(path):
    if not os.path.exists(path):
        return []
    with open(path) as f:
        return [json.loads(line) for line in f if line.strip()]


def main():
    parser = argparse.ArgumentParser()
    for option in ("--monitor", "--admin", "--receivers", "--work"):
        parser.add_argument(option, required=True)
    args = parser.parse_args()
    work = os.path.abspath(args.work)
    shutil.rmtree(work, ignore_errors=True)
    os.makedirs(work)
    broker = env_file(os.path.join(os.environ["BLEMON_TEST_MOSQUITTO_DIR"], "peer.env"))
    base = f"blemon_e2e_{os.getpid()}"
    prefix = f"ha_e2e_{os.getpid()}"

    receivers_dir = os.path.join(work, "receivers")
    receivers = subprocess.Popen(["/usr/bin/python3", args.receivers, receivers_dir,
                                  "--http-failures", "3"])
    subscriber = None
    monitor = None
    try:
        ready = wait_for("the receivers", lambda: os.path.exists(
            os.path.join(receivers_dir, "ready.env")) and env_file(
                os.path.join(receivers_dir, "ready.env")), 20)
        credentials = os.path.join(work, "alerts.secret")
        with open(credentials, "w") as f:
            f.write(f"smtp_username={ready['smtp_user']}\nsmtp_password={ready['smtp_password']}\n"
                    "webhook_token=e2e-token\n")
        os.chmod(credentials, 0o600)
        config = os.path.join(work, "blemon.toml")
        with open(config, "w") as f:
            f.write(f"""[monitor]
name = "pi-e2e"
location = "Kitchen"
process_intervals = true
processor_wait_seconds = 0
scan_interval_seconds = 5
scan_duration_seconds = 1
processor_lease_ttl_seconds = 30
state_directory = "{work}"

[database]
backend = "sqlite"
path = "{work}/blemon.db"

[presence]
away_after_intervals = 1

[mqtt]
host = "127.0.0.1"
port = {broker['port']}
ca_file = "{broker['ca_cert']}"
username = "{broker['user']}"
password_file = "{broker['password_file']}"
discovery_prefix = "{prefix}"
base_topic = "{base}"

[alerts]
webhook_url = "https://127.0.0.1:{ready['http_port']}/hook"
smtp_url = "smtp://127.0.0.1:{ready['smtp_port']}"
smtp_from = "blemon@example.org"
smtp_to = ["alice@example.org"]
credentials_file = "{credentials}"
ca_file = "{ready['ca_cert']}"
retry_first_seconds = 1
retry_max_seconds = 2
""")
        # Home Assistant listening for events (not retained: it must be subscribed first).
        events_log = open(os.path.join(work, "events.txt"), "w+")
        subscriber = subprocess.Popen(
            ["mosquitto_sub", "-h", "127.0.0.1", "-p", broker["port"], "--cafile",
             broker["ca_cert"], "-u", broker["user"], "-P", broker["password"], "-q", "1",
             "-t", f"{base}/events"], stdout=events_log)

        subprocess.run([args.monitor, "-c", config, "--single", "--simulate"], check=True,
                       capture_output=True)
        db = sqlite3.connect(os.path.join(work, "blemon.db"))
        mac = db.execute("SELECT mac_address FROM ble_devices ORDER BY mac_address LIMIT 1"
                         ).fetchone()[0]
        db.execute("INSERT INTO watch_list (watch_name, target_kind, target) "
                   "VALUES ('alice-phone', 'mac', ?)", (mac,))
        db.commit()
        db.close()

        monitor_log = open(os.path.join(work, "monitor.log"), "w+")
        monitor = subprocess.Popen([args.monitor, "-c", config, "--simulate"],
                                   stdout=monitor_log, stderr=monitor_log)
        http_log = os.path.join(receivers_dir, "http.jsonl")
        mail_log = os.path.join(receivers_dir, "mail.jsonl")
        wait_for("the webhook's fourth try",
                 lambda: [p for p in jsonl(http_log) if p["status"] == 200])
        wait_for("the e-mail", lambda: jsonl(mail_log))
        wait_for("the MQTT event", lambda: open(events_log.name).read().strip())
        monitor.send_signal(signal.SIGTERM)
        assert monitor.wait(timeout=10) == 0, "the monitor did not stop cleanly"
        monitor = None

        event = json.loads(open(events_log.name).read().splitlines()[0])
        assert event["type"] == "arrive" and event["name"] == "alice-phone", event
        assert event["to"] == "Kitchen" and event["device"] == mac, event
        posts = jsonl(http_log)
        statuses = [p["status"] for p in posts if
                    json.loads(p["body"])["event_id"] == event["event_id"]]
        assert statuses == [500, 500, 500, 200], statuses
        assert posts[-1]["headers"]["Authorization"] == "Bearer e2e-token"
        mail = jsonl(mail_log)[0]
        assert mail["tls"] and mail["authenticated"], mail
        assert f"X-Blemon-Event-Id: {event['event_id']}" in mail["content"], mail["content"]

        # Retained for a Home Assistant that subscribes now: discovery and the tracker's state.
        retained = subprocess.run(
            ["mosquitto_sub", "-h", "127.0.0.1", "-p", broker["port"], "--cafile",
             broker["ca_cert"], "-u", broker["user"], "-P", broker["password"], "-v", "-W", "2",
             "-t", f"{prefix}/#", "-t", f"{base}/#"], capture_output=True, text=True).stdout
        topics = dict(line.split(" ", 1) for line in retained.splitlines() if " " in line)
        tracker = json.loads(topics[f"{prefix}/device_tracker/blemon/alice_phone/config"])
        assert tracker["json_attributes_topic"] == f"{base}/device/alice_phone/attributes"
        attributes = json.loads(topics[f"{base}/device/alice_phone/attributes"])
        assert attributes["in_zones"] == ["zone.home"], attributes
        assert topics[f"{base}/device/alice_phone/room"] == "Kitchen"
        assert topics[f"{base}/status"] == "offline"  # it stopped, and said so
        assert f"{prefix}/sensor/blemon/monitor_pi_e2e_status/config" in topics

        # Killed between handing the events over and marking them published: the store still
        # holds them as unpublished, and the next processor run hands them over again. The
        # outboxes know their ids, so nobody gets them twice.
        db = sqlite3.connect(os.path.join(work, "blemon.db"))
        replayed = db.execute("UPDATE presence_events SET published_at = NULL").rowcount
        db.commit()
        assert replayed >= 1, "no event to replay"
        subprocess.run([args.monitor, "-c", config, "--single", "--simulate"], check=True,
                       capture_output=True)
        assert db.execute("SELECT count(*) FROM presence_events WHERE published_at IS NULL"
                          ).fetchone()[0] == 0, "the replayed events were not marked published"
        db.close()
        time.sleep(3)  # a repeat would reach the subscriber and the receivers within this
        ids = [json.loads(line)["event_id"] for line in open(events_log.name).read().splitlines()]
        assert len(ids) == len(set(ids)), f"an event reached MQTT twice: {ids}"
        delivered = [json.loads(p["body"])["event_id"] for p in jsonl(http_log)
                     if p["status"] == 200]
        assert len(delivered) == len(set(delivered)), f"a webhook alert came twice: {delivered}"
        assert len(jsonl(mail_log)) == len(set(ids)), "an e-mail came twice"

        # The delivery log is in the central store: another machine, whose config names only
        # the database (no state directory of the processor's), shows the same tries.
        elsewhere = os.path.join(work, "elsewhere.toml")
        with open(elsewhere, "w") as f:
            f.write(f'[database]\nbackend = "sqlite"\npath = "{work}/blemon.db"\n')
        admin = subprocess.run([args.admin, "-c", elsewhere, "alerts"], capture_output=True,
                               text=True)
        assert admin.returncode == 0, admin.stderr
        lines = admin.stdout.splitlines()
        assert any("webhook" in l and " 4 " in l and "delivered" in l for l in lines), admin.stdout
        assert sum("retrying" in l for l in lines) == 3, admin.stdout
        assert any("email" in l and "delivered" in l for l in lines), admin.stdout
        assert all("pi-e2e" in l for l in lines if "delivered" in l), admin.stdout
        print("OK: event on MQTT, webhook on try 4, e-mail over STARTTLS, a replay after a crash "
              "sent nothing twice, admin log shown")
        return 0
    finally:
        for process in (monitor, subscriber, receivers):
            if process is not None and process.poll() is None:
                process.terminate()
                process.wait(timeout=10)


if __name__ == "__main__":
    sys.exit(main())
