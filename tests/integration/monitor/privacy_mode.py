#!/usr/bin/python3
"""Privacy mode end to end: the real blemon-monitor (--simulate, SQLite store) run once in
pseudonymise mode and once raw, each in its own directory. Every address the simulated world
shows (--scan-only, run right after) is grepped for in the database files, the spool and the log:
none may appear in privacy mode, and some must appear in raw mode (else the grep proves nothing).
A secret file readable by the group is refused with exit 78.

Usage: privacy_mode.py --monitor PATH --work DIR
"""
import argparse
import os
import pathlib
import shutil
import subprocess
import sys


def write_config(work, mode):
    secret = work / "fleet.secret"
    secret.write_bytes(os.urandom(32))
    secret.chmod(0o600)
    config = work / "blemon.toml"
    config.write_text(
        f'[monitor]\nname = "pi-a"\nstate_directory = "{work / "state"}"\n'
        f'log_file = "{work / "monitor.log"}"\n'
        f'[database]\nbackend = "sqlite"\npath = "{work / "db.sqlite"}"\n'
        f'[simulation]\ndevices = 30\n'
        f'[privacy]\nmode = "{mode}"\nsecret_file = "{secret}"\n')
    (work / "state").mkdir()
    return config


def raw_addresses(monitor, config):
    out = subprocess.run([monitor, "-c", str(config), "--simulate", "--scan-only"],
                         capture_output=True, text=True, timeout=120, check=True).stdout
    return {line.split()[0] for line in out.splitlines()
            if line.split() and line.split()[0].count(":") == 5}


def found(work, addresses):
    """The addresses that appear in any file under `work` but the config and secret."""
    blobs = [p.read_bytes().upper() for p in work.rglob("*")
             if p.is_file() and p.name not in ("blemon.toml", "fleet.secret")]
    return {a for a in addresses if any(a.encode() in blob for blob in blobs)}


def run(monitor, work, mode):
    shutil.rmtree(work, ignore_errors=True)
    work.mkdir(parents=True)
    config = write_config(work, mode)
    subprocess.run([monitor, "-c", str(config), "--simulate", "--single"], timeout=120,
                   check=True, capture_output=True)
    addresses = raw_addresses(monitor, config)
    return config, addresses, found(work, addresses)


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--monitor", required=True)
    parser.add_argument("--work", required=True)
    args = parser.parse_args()
    base = pathlib.Path(args.work)

    _, raw_seen, raw_found = run(args.monitor, base / "raw", "off")
    config, seen, leaked = run(args.monitor, base / "pseudonymise", "pseudonymise")
    failures = []
    if not raw_found:
        failures.append(f"raw mode: none of {len(raw_seen)} addresses found; the grep is blind")
    if leaked:
        failures.append(f"privacy mode leaked {len(leaked)} of {len(seen)}: {sorted(leaked)}")

    (config.parent / "fleet.secret").chmod(0o640)
    check = subprocess.run([args.monitor, "-c", str(config), "--check-config"],
                           capture_output=True, text=True, timeout=60)
    if check.returncode != 78 or "privacy.secret_file" not in check.stderr:
        failures.append(f"a 0640 secret: exit {check.returncode}, {check.stderr!r}")

    print(f"raw mode: {len(raw_found)} of {len(raw_seen)} addresses on disk; "
          f"privacy mode: {len(leaked)} of {len(seen)}")
    for failure in failures:
        print("FAIL:", failure)
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
