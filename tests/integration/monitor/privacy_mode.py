#!/usr/bin/python3
"""Privacy mode end to end, on SQLite or on the test MariaDB server: the real blemon-monitor
(--simulate, processing its own intervals, log at debug level) runs one cycle raw and one cycle
in pseudonymise mode, each into its own fresh store, with the three loudest public devices on the watch list. Every
address the simulated house shows (--scan-only right before and right after the cycle) is grepped
for, in every spelling (upper and lower case, with colons, dashes or none):

- in every row of every table (SQLite: also the file's bytes and its WAL), the spool, the log;
- in what blemon-web serves from that store (the devices report, rooms now, events, fleet,
  /metrics; the events stream names intervals only) and blemon-report's devices report.

In privacy mode no address but the watched ones may appear anywhere; the watched ones heard must
be stored raw. In raw mode addresses must be found (else the grep proves nothing). A secret file
readable by the group is refused with exit 78.

Usage: privacy_mode.py sqlite|mariadb BIN_DIR
"""
import os
import re
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path[:0] = [os.path.join(HERE, "..", "web"), os.path.join(HERE, "..", "tools")]
import tools_env  # noqa: E402
import web_env  # noqa: E402

WEB_PATHS = ("/api/v1/reports/devices?hours=48&format=json", "/api/v1/reports/devices?hours=48&format=csv",
             "/api/v1/rooms/now", "/api/v1/fleet?top=100&recent=100", "/metrics")


def spelled(mac):
    """A pattern for `mac` in any case, with ':' or '-' between octets, or none."""
    octets = mac.split(":")
    return re.compile("[:-]?".join(re.escape(o) for o in octets).encode(), re.IGNORECASE)


def write_config(store, mode):
    secret = os.path.join(store.tmp, "fleet.secret")
    with open(secret, "wb") as f:
        f.write(os.urandom(32))
    os.chmod(secret, 0o600)
    os.makedirs(os.path.join(store.tmp, "state"), exist_ok=True)
    with open(store.config_path) as f:
        database = f.read()
    config = os.path.join(store.tmp, "monitor.toml")
    store.write_config(
        f'[monitor]\nname = "pi-a"\nlocation = "Living Room"\nprocess_intervals = true\n'
        f'processor_wait_seconds = 0\nscan_duration_seconds = 2\n'
        f'state_directory = "{os.path.join(store.tmp, "state")}"\n'
        f'log_file = "{os.path.join(store.tmp, "monitor.log")}"\nlog_level = "debug"\n'
        f'[simulation]\nseed = 5\ndevices = 40\n'
        f'[privacy]\nmode = "{mode}"\nsecret_file = "{secret}"\n' + database, config)
    return config


def scan_only(store, config):
    out = store.run("blemon-monitor", "--simulate", "--scan-only", config=config).stdout.decode()
    return [(parts[0], parts[1], int(parts[2])) for parts in map(str.split, out.splitlines())
            if len(parts) > 2 and parts[0].count(":") == 5]


def everything(store):
    """All the bytes blemon wrote or serves for this store, named by where they come from."""
    blobs = {"tables": store.dump().encode()}
    for root, _, names in os.walk(store.tmp):
        for name in names:
            if name not in ("blemon.toml", "monitor.toml", "web.toml", "fleet.secret"):
                with open(os.path.join(root, name), "rb") as f:
                    blobs[name] = f.read()
    blobs["blemon-report devices"] = store.run("blemon-report", "--report", "devices",
                                               "--hours", "48", "--format", "json").stdout
    web = web_env.WebServer(store)
    try:
        for path in WEB_PATHS:
            status, _, body = web.get(path)
            if status != 200:
                raise AssertionError(f"GET {path}: {status} {body[:300]!r}")
            blobs["web " + path] = body
    finally:
        web.stop()
    return blobs


def run(backend, bin_dir, mode):
    store = tools_env.Store(backend, bin_dir, f"privacy_{mode}")
    try:
        store.run("blemon-admin", "migrate")
        config = write_config(store, mode)
        before = scan_only(store, config)
        # The world moves between scans: the three loudest public devices, so one is heard.
        watched = [mac for _, mac in sorted(((rssi, mac) for mac, cls, rssi in before
                                             if cls == "public"), reverse=True)[:3]]
        for i, mac in enumerate(watched):
            store.run("blemon-admin", "watch", "add", f"watched-{i}", "--mac", mac)
        store.run("blemon-monitor", "--single", "--simulate", config=config)
        addresses = {mac for mac, _, _ in before + scan_only(store, config)}
        blobs = everything(store)
        found = {mac: sorted(where for where, blob in blobs.items() if spelled(mac).search(blob))
                 for mac in addresses}
        return store, config, watched, {mac: where for mac, where in found.items() if where}
    except BaseException:
        store.drop()
        raise


def main():
    backend, bin_dir = sys.argv[1], sys.argv[2]
    failures = []
    raw_store, _, _, raw_found = run(backend, bin_dir, "off")
    raw_store.drop()
    store, config, watched, found = run(backend, bin_dir, "pseudonymise")
    try:
        if len(raw_found) < 10:
            failures.append(f"raw mode: only {len(raw_found)} addresses found; the grep is blind")
        leaked = {mac: where for mac, where in found.items() if mac not in watched}
        if leaked:
            failures.append(f"privacy mode leaked {len(leaked)} addresses: {leaked}")
        raw_watched = [mac for mac in watched if "tables" in found.get(mac, [])]
        if not raw_watched:
            failures.append(f"none of the watched {watched} is stored raw: {found}")

        os.chmod(os.path.join(store.tmp, "fleet.secret"), 0o640)
        check = store.run("blemon-monitor", "--check-config", config=config, check=False)
        if check.returncode != 78 or b"privacy.secret_file" not in check.stderr:
            failures.append(f"a 0640 secret: exit {check.returncode}, {check.stderr!r}")
    finally:
        store.drop()
    print(f"{backend}: raw mode {len(raw_found)} addresses found in the data; privacy mode "
          f"{len(found)}, all watched: {found}")
    for failure in failures:
        print("FAIL:", failure)
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
