#!/usr/bin/python3
"""Memory and CPU of the real blemon-monitor process: one --single cycle with 1,000 simulated
devices on the embedded SQLite store, then a continuous run of several short intervals. Reads the
process's VmHWM (peak resident set) and CPU times from /proc while it runs.

    monitor_process_bench.py BLEMON_MONITOR WORK_DIR
"""

import os
import shutil
import signal
import subprocess
import sys
import time

TICK = os.sysconf("SC_CLK_TCK")


def status_kib(pid, field):
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith(field + ":"):
                return int(line.split()[1])
    return 0


def private_kib(pid):
    """Memory only this process uses (USS: private clean + dirty), shared libraries excluded."""
    total = 0
    with open(f"/proc/{pid}/smaps_rollup") as f:
        for line in f:
            if line.startswith(("Private_Clean:", "Private_Dirty:")):
                total += int(line.split()[1])
    return total


def cpu_seconds(pid):
    with open(f"/proc/{pid}/stat") as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / TICK  # utime + stime


def watch(proc, until):
    """Samples the process until it exits or `until` passes: (peak RSS KiB, CPU s, RSS samples,
    peak private KiB)."""
    peak, cpu, rss, private = 0, 0.0, [], 0
    while proc.poll() is None and time.monotonic() < until:
        try:
            peak = max(peak, status_kib(proc.pid, "VmHWM"))
            cpu = cpu_seconds(proc.pid)
            rss.append(status_kib(proc.pid, "VmRSS"))
            private = max(private, private_kib(proc.pid))
        except (FileNotFoundError, ProcessLookupError, IndexError):
            break
        time.sleep(0.05)
    return peak, cpu, rss, private


def main():
    binary, work = sys.argv[1], sys.argv[2]
    shutil.rmtree(work, ignore_errors=True)
    os.makedirs(work)
    config = os.path.join(work, "bench.toml")
    with open(config, "w") as f:
        f.write(f'[monitor]\nname = "bench"\nlocation = "Living Room"\nprocess_intervals = true\n'
                f"scan_interval_seconds = 4\nscan_duration_seconds = 1\n"
                f"processor_wait_seconds = 1\nprocessor_lease_ttl_seconds = 20\n"
                f'state_directory = "{work}"\nlog_level = "WARNING"\n'
                f'[database]\nbackend = "sqlite"\npath = "{work}/blemon.db"\n'
                f"[simulation]\ndevices = 1000\n")

    proc = subprocess.Popen([binary, "--simulate", "--single", "-c", config])
    peak, cpu, _, private = watch(proc, time.monotonic() + 60)
    proc.wait()
    print(f"--single, 1000 devices, 1 s scan: peak RSS {peak / 1024:.2f} MiB (private "
          f"{private / 1024:.2f} MiB, the rest shared libraries), CPU {cpu * 1e3:.0f} ms (process "
          f"start, store and spool creation, scan, staging, processing)")

    cycles = 10
    proc = subprocess.Popen([binary, "--simulate", "-c", config])
    peak, cpu, rss, private = watch(proc, time.monotonic() + cycles * 4)
    proc.send_signal(signal.SIGTERM)
    proc.wait()
    half = len(rss) // 2
    print(f"continuous, {cycles} intervals of 4 s: peak RSS {peak / 1024:.2f} MiB (private "
          f"{private / 1024:.2f} MiB), CPU {cpu * 1e3:.0f} ms in all ({cpu * 1e3 / cycles:.0f} ms "
          f"per cycle including the simulated scan); max RSS in the first/second half of the run "
          f"{max(rss[:half]) / 1024:.2f}/{max(rss[half:]) / 1024:.2f} MiB")
    shutil.rmtree(work, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
