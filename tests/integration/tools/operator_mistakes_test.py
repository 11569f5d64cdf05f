#!/usr/bin/python3
"""The mistakes an operator makes, each caught before anything runs, with an answer that says
what to do:

- mistyped commands and options of all four tools get "did you mean …" and exit 64; a missing
  command names the choices; numbers that are not numbers say so; every tool has --version;
- `blemon-monitor --check-config` and the real start refuse the same files, exit 78 naming file,
  line and key: an unopenable log_file, a missing, unreadable or world-readable password_file, a
  value longer than its database column.

    operator_mistakes_test.py BIN_DIR
"""

import os
import re
import subprocess
import sys
import tempfile

BIN = sys.argv[1]


def tool(name):
    return os.path.join(BIN, name, name)


class Failures(list):
    def run(self, cmd, code, pattern, env=None):
        result = subprocess.run(cmd, capture_output=True, text=True,
                                env=dict(os.environ, **(env or {})))
        out = result.stdout + result.stderr
        what = " ".join(os.path.basename(c) if i == 0 else c for i, c in enumerate(cmd))
        if result.returncode != code:
            self.append(f"{what}: exit {result.returncode}, expected {code}:\n{out}")
        elif not re.search(pattern, out):
            self.append(f"{what}: output lacks /{pattern}/:\n{out}")
        return result


def check_command_lines(f):
    admin, report, dashboard, monitor = (tool(n) for n in (
        "blemon-admin", "blemon-report", "blemon-dashboard", "blemon-monitor"))
    f.run([admin, "chek"], 64, r"unknown command 'chek' \(did you mean 'check'\?\)")
    f.run([admin, "processor", "stat"], 64,
          r"unknown command 'processor stat' \(did you mean 'processor status'\?\)")
    f.run([admin, "processor"], 64, r"'blemon-admin processor' needs a command: status or release")
    f.run([admin], 64, r"needs a command: check, migrate, .*grants")
    f.run([admin, "archive", "--older-then", "9"], 64,
          r"unknown option '--older-then' \(did you mean '--older-than'\?\)")
    f.run([report, "--reprot", "hourly"], 64,
          r"unknown option '--reprot' \(did you mean '--report'\?\)")
    f.run([report, "--hours", "abc"], 64, r"--hours: must be a whole number from 1 to 8784 "
                                          r"\(got 'abc'\)")
    f.run([report, "--report", "hourlly"], 64, r"--report: .*hourlly")
    f.run([dashboard, "--top", "ten"], 64, r"--top: must be a whole number from 0 to 100")
    f.run([dashboard, "--onse"], 64, r"did you mean '--once'")
    f.run([monitor, "--singel"], 64, r"did you mean '--single'")
    f.run([monitor, "start"], 64, r"unexpected argument 'start'")
    for name in (admin, report, dashboard, monitor):
        f.run([name, "--version"], 0, r"^blemon-\w+ \d+\.\d+\.\d+\n")
        f.run([name, "--help"], 0, r"--version")


def write(path, text, mode=0o644):
    with open(path, "w") as out:
        out.write(text)
    os.chmod(path, mode)
    return path


def check_config_files(f, tmp):
    monitor = tool("blemon-monitor")
    secret = write(os.path.join(tmp, "db-password"), "s3cret\n", 0o640)
    good = ('[monitor]\nname = "hall"\nstate_directory = "{tmp}"\n'
            'log_file = "{log}"\n\n[database]\nbackend = "mariadb"\nhost = "127.0.0.1"\n'
            'port = 1\npassword_file = "{pw}"\n')
    cases = [
        # (what, log_file, password_file, extra, line, key, message)
        ("a log_file in a missing directory", f"{tmp}/no/such/dir/blemon.log", secret, "", 4,
         "monitor.log_file", r"cannot create"),
        ("a log_file that is a directory", tmp, secret, "", 4, "monitor.log_file",
         r"is a directory"),
        ("a missing password_file", f"{tmp}/ok.log", f"{tmp}/nope", "", 10,
         "database.password_file", r"No such file"),
        ("a password_file that is a directory", f"{tmp}/ok.log", tmp, "", 10,
         "database.password_file", r"is not a file"),
        ("a world-readable password_file", f"{tmp}/ok.log",
         write(os.path.join(tmp, "open-password"), "s3cret\n", 0o644), "", 10,
         "database.password_file", r"readable by everyone.*chmod 0640"),
        ("an empty password_file", f"{tmp}/ok.log",
         write(os.path.join(tmp, "empty-password"), "", 0o640), "", 10,
         "database.password_file", r"no password on its first line"),
        ("a name longer than monitors.monitor_name", f"{tmp}/ok.log", secret,
         'location = "x"\n', 2, "monitor.name", r"monitors.monitor_name holds at most 100"),
    ]
    for what, log, pw, extra, line, key, message in cases:
        text = good.format(tmp=tmp, log=log, pw=pw)
        if key == "monitor.name":
            text = text.replace('name = "hall"', f'name = "{"x" * 120}"')
        path = write(os.path.join(tmp, "case.toml"), text)
        expected = rf"{re.escape(path)}:{line}: {re.escape(key)} .*{message}"
        f.run([monitor, "--check-config", "-c", path], 78, expected)
        # The real start refuses the same, the same way (not 69, retried forever by systemd).
        f.run([monitor, "--single", "--simulate", "-c", path], 78, expected)
    # An unreadable password file: as root every file is readable, so read it as nobody.
    unreadable = write(os.path.join(tmp, "root-only"), "s3cret\n", 0o600)
    path = write(os.path.join(tmp, "unreadable.toml"),
                 good.format(tmp="/tmp", log="/tmp/blemon-nobody.log", pw=unreadable))
    os.chmod(tmp, 0o755)
    as_nobody = ["setpriv", "--reuid=65534", "--regid=65534", "--clear-groups"] \
        if os.geteuid() == 0 else []
    f.run(as_nobody + [monitor, "--check-config", "-c", path], 78,
          rf"{re.escape(path)}:10: database.password_file cannot read .*Permission denied")
    # And the one that works, with the advice's mode and a non-root reader in the group.
    path = write(os.path.join(tmp, "good.toml"), good.format(tmp=tmp, log=f"{tmp}/ok.log",
                                                             pw=secret))
    f.run([monitor, "--check-config", "-c", path], 0, r"configuration OK")


def main():
    f = Failures()
    check_command_lines(f)
    with tempfile.TemporaryDirectory(prefix="blemon-mistakes-") as tmp:
        check_config_files(f, tmp)
    for failure in f:
        print("FAIL:", failure)
    if not f:
        print("every operator mistake is caught")
    return 1 if f else 0


if __name__ == "__main__":
    sys.exit(main())
