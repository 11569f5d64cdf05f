#!/usr/bin/python3
"""Runs the documentation: the shell and SQL blocks of the given markdown files, in order, as a
newcomer would type them, against a throwaway MariaDB (the test fixture's server) and the
simulated scanner, in a sandbox directory. Fails when a documented command fails or its documented
output differs.

What runs is said in the markdown itself, by an HTML comment (invisible when rendered) right
before a fenced block:

    <!-- doctest: sh -->              run the block with bash (-e -o pipefail)
    <!-- doctest: sh without=systemctl,journalctl -->
                                      run it minus the lines starting with those commands (they
                                      need the real machine: systemd, the journal, Bluetooth)
    <!-- doctest: sh fails=75 -->     the block must exit with this code
    <!-- doctest: sql -->             feed the block to `mariadb ble_monitor` as the admin role
    <!-- doctest: file PATH -->       write the block (a config example) to PATH
    <!-- doctest: output -->          the block is the output of the previous run: each of its
                                      lines must appear in it (spaces collapsed, figures may differ,
                                      `…` matches anything)
    <!-- doctest: skip REASON -->     not run, and why (a package build, a Pi's radio)
    <!-- doctest: substitute OLD => NEW -->
                                      from here on in this document, run and file blocks have OLD
                                      replaced by NEW ($BLEMON_DB_PORT and the other variables of
                                      the sandbox are expanded, \n is a line break): how a document
                                      says which of its hosts, host patterns, groups and passwords
                                      stand for the test server's
    <!-- doctest: sh
    commands -->                      commands that run here but are not shown: the glue a single
                                      machine needs to play several (a monitor per room)

Every ```sh, ```bash and ```sql block of a covered file must carry a marker, so a new block cannot
go untested unnoticed.

Besides a document's own substitutions, the runner moves the machine's paths into the sandbox so
nothing outside it is touched (SANDBOX_PATHS): /etc/blemon, /var/lib/blemon and /var/log/blemon;
the example files of /usr/share/doc/blemon come from packaging/config, the schema files of
/usr/share/blemon/schema from schema/. In the shell, `sudo` runs the command as it is (the test runs as one user),
`mariadb` is the test server's client as root through its socket, and the blemon tools read
$BLEMON_ETC/blemon.toml (blemon-admin: admin.toml first) where they would read /etc/blemon.

    doc_runner.py --bin BUILD/apps --src SOURCE_DIR --work DIR FILE.md...
"""

import argparse
import os
import re
import shutil
import subprocess
import sys

MARKER = re.compile(r"<!--\s*doctest:\s*(\w+)(.*?)-->", re.S)
FENCE = re.compile(r"^(\s*)```(\w*)\s*$")
RUNNABLE = {"sh", "bash", "sql"}

PRELUDE = r"""
set -euo pipefail
sudo() {
  while [[ $# -gt 0 && $1 == -* ]]; do
    case $1 in -u|-g) shift 2 ;; *) shift ;; esac
  done
  "$@"
}
sudoedit() { :; }
_blemon_with_default() {
  local tool=$1 default=$2
  shift 2
  local a
  for a in "$@"; do
    case $a in -c|--config|--config=*) command "$tool" "$@"; return ;; esac
  done
  if [[ -f $default ]]; then command "$tool" -c "$default" "$@"; else command "$tool" "$@"; fi
}
blemon-monitor() { _blemon_with_default blemon-monitor "$BLEMON_ETC/blemon.toml" "$@"; }
blemon-report() { _blemon_with_default blemon-report "$BLEMON_ETC/blemon.toml" "$@"; }
blemon-dashboard() { _blemon_with_default blemon-dashboard "$BLEMON_ETC/blemon.toml" "$@"; }
blemon-admin() {
  local default=$BLEMON_ETC/admin.toml
  [[ -f $default ]] || default=$BLEMON_ETC/blemon.toml
  _blemon_with_default blemon-admin "$default" "$@"
}
mariadb() { command mariadb --no-defaults -uroot --socket="$MYSQL_UNIX_PORT" "$@"; }
"""


def sandbox_paths(env):
    return [
        ("/usr/share/doc/blemon/examples/", env["BLEMON_SRC"] + "/packaging/config/"),
        ("/usr/share/blemon/schema/", env["BLEMON_SRC"] + "/schema/"),
        ("/etc/blemon/", env["BLEMON_ETC"] + "/"),
        ("/var/lib/blemon", env["BLEMON_WORK"] + "/var/lib/blemon"),
        ("/var/log/blemon", env["BLEMON_WORK"] + "/var/log/blemon"),
    ]


def parse_substitution(args, env):
    """'OLD => NEW' of a substitute marker, with NEW's $VARIABLES and \\n expanded."""
    old, arrow, new = args.partition("=>")
    if not arrow:
        raise ValueError(f"a substitute marker needs 'OLD => NEW', got {args!r}")
    new = re.sub(r"\$(\w+)", lambda m: env.get(m.group(1), m.group(0)), new.strip())
    return old.strip(), new.replace("\\n", "\n")


class Block:
    def __init__(self, path, line, kind, args, text):
        self.path, self.line, self.kind, self.args, self.text = path, line, kind, args, text

    def where(self):
        return f"{os.path.relpath(self.path)}:{self.line}"


def parse(path):
    """The markers of one file with the blocks they apply to, in order; unmarked runnable blocks
    are returned with kind 'unmarked'."""
    lines = open(path, encoding="utf-8").read().split("\n")
    blocks, pending, i = [], None, 0
    while i < len(lines):
        line = lines[i]
        if "<!-- doctest:" in line:
            start = i
            text = line
            while "-->" not in text:
                i += 1
                text += "\n" + lines[i]
            m = MARKER.search(text)
            kind, rest = m.group(1), m.group(2)
            first, _, body = rest.partition("\n")
            if body.strip() and kind in ("sh", "sql"):
                blocks.append(Block(path, start + 1, kind, first.strip(), body))
            elif kind == "substitute":
                blocks.append(Block(path, start + 1, kind, rest.strip(), ""))
            else:
                pending = (start + 1, kind, rest.strip())
            i += 1
            continue
        fence = FENCE.match(line)
        if fence:
            indent, language = fence.group(1), fence.group(2)
            body, i = [], i + 1
            while not lines[i].strip().startswith("```"):
                body.append(lines[i][len(indent):] if lines[i].startswith(indent) else lines[i])
                i += 1
            if pending:
                blocks.append(Block(path, pending[0], pending[1], pending[2], "\n".join(body)))
            elif language in RUNNABLE:
                blocks.append(Block(path, i - len(body), "unmarked", language, ""))
            pending = None
        elif line.strip():
            pending = None if pending and not line.strip().startswith("<!--") else pending
        i += 1
    return blocks


def substitute(text, env, own=()):
    for old, new in list(own) + sandbox_paths(env):
        text = text.replace(old, new)
    return text


def output_matches(expected, actual):
    """Each expected line appears in the actual output (spaces collapsed, figures free)."""
    actual_lines = [" ".join(a.split()) for a in actual.splitlines()]
    missing = []
    for line in expected.splitlines():
        line = " ".join(line.split())
        if not line:
            continue
        pattern = re.escape(line).replace("…", ".*").replace(r"\.\.\.", ".*")
        pattern = re.sub(r"\d+", r"\\d+", pattern)
        if not any(re.search(pattern, a) for a in actual_lines):
            missing.append(line)
    return missing


class Runner:
    def __init__(self, env, work):
        self.env, self.work = env, work
        self.failures, self.ran, self.skipped = [], 0, []
        self.substitutions = []  # the document's own, from its substitute markers
        self.last_output = ""
        with open(os.path.join(work, "prelude.sh"), "w") as f:
            f.write(PRELUDE)

    def substitute(self, text):
        return substitute(text, self.env, self.substitutions)

    def shell(self, block, script):
        options = dict(a.split("=", 1) for a in block.args.split() if "=" in a)
        if "without" in options:
            drop = tuple(options["without"].split(","))
            script = "\n".join(l for l in script.splitlines()
                               if not l.strip().startswith(drop))
        full = f"source {self.work}/prelude.sh\n{self.substitute(script)}\n"
        result = subprocess.run(["bash", "-c", full], cwd=self.work, env=self.env,
                                capture_output=True, text=True, timeout=300)
        self.last_output = result.stdout + result.stderr
        expected = int(options.get("fails", "0"))
        print(f"--- {block.where()} (exit {result.returncode})\n{script.strip()}\n"
              f"{self.last_output.rstrip()}", flush=True)
        if result.returncode != expected:
            self.failures.append(f"{block.where()}: exit {result.returncode}, expected {expected}:"
                                 f"\n{script.strip()}\n{self.last_output}")

    def run(self, block):
        if block.kind == "unmarked":
            self.failures.append(f"{block.where()}: a ```{block.args} block without a doctest "
                                 f"marker: mark it sh, sql, or skip with a reason")
        elif block.kind == "skip":
            if not block.args:
                self.failures.append(f"{block.where()}: a skip needs a reason")
            self.skipped.append(f"{block.where()}: {block.args}")
        elif block.kind == "sh":
            self.ran += 1
            self.shell(block, block.text)
        elif block.kind == "sql":
            self.ran += 1
            database = block.args.split()[0] if block.args.split() else ""
            self.shell(block, f"mariadb {database} <<'DOCTEST_SQL'\n{block.text}\nDOCTEST_SQL")
        elif block.kind == "file":
            path = self.substitute(block.args.split()[0])
            os.makedirs(os.path.dirname(path), exist_ok=True)
            with open(path, "w") as f:
                f.write(self.substitute(block.text) + "\n")
        elif block.kind == "substitute":
            try:
                self.substitutions.append(parse_substitution(block.args, self.env))
            except ValueError as e:
                self.failures.append(f"{block.where()}: {e}")
        elif block.kind == "output":
            missing = output_matches(self.substitute(block.text), self.last_output)
            if missing:
                self.failures.append(f"{block.where()}: the documented output differs; not "
                                     f"found: {missing}\nin:\n{self.last_output}")
        else:
            self.failures.append(f"{block.where()}: unknown doctest marker '{block.kind}'")


def stop_background(self):
    """Ends what a document's glue started in the background (its PID in WORK/*.pid)."""
    for name in os.listdir(self.work):
        if name.endswith(".pid"):
            try:
                os.kill(int(open(os.path.join(self.work, name)).read().strip()), 9)
            except (ValueError, ProcessLookupError):
                pass


Runner.stop_background = stop_background


def environment(args):
    peer = {}
    with open(os.path.join(os.environ["BLEMON_TEST_MARIADB_DIR"], "peer.env")) as f:
        for line in f:
            if "=" in line:
                key, value = line.strip().split("=", 1)
                peer[key] = value
    bins = [os.path.join(args.bin, name) for name in
            ("blemon-monitor", "blemon-report", "blemon-dashboard", "blemon-admin")]
    env = dict(os.environ)
    env.update({
        "PATH": os.pathsep.join(bins + [env.get("PATH", "/usr/bin:/bin")]),
        "BLEMON_ETC": os.path.join(args.work, "etc", "blemon"),
        "BLEMON_WORK": args.work,
        "BLEMON_SRC": os.path.abspath(args.src),
        "BLEMON_DB_PORT": peer["port"],
        "MYSQL_UNIX_PORT": peer["socket"],
        "HOME": args.work,
        "COLUMNS": "200",
        "TZ": "UTC",  # the documented outputs show UTC, whatever zone the test machine has
        # A monitor without state_directory spools here, never in the host's /var/lib/blemon.
        "STATE_DIRECTORY": os.path.join(args.work, "var", "lib", "blemon"),
    })
    env.pop("JOURNAL_STREAM", None)
    return env


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--bin", required=True)
    parser.add_argument("--src", required=True)
    parser.add_argument("--work", required=True)
    parser.add_argument("files", nargs="+")
    args = parser.parse_args()
    args.work = os.path.abspath(args.work)
    args.bin = os.path.abspath(args.bin)
    failures = []
    for path in args.files:
        # Each document starts from nothing: no configuration, no database, as a reader would.
        shutil.rmtree(args.work, ignore_errors=True)
        for sub in ("etc/blemon", "var/lib/blemon", "var/log/blemon"):
            os.makedirs(os.path.join(args.work, sub))
        env = environment(args)
        runner = Runner(env, args.work)
        runner.shell(Block(path, 0, "sh", "", ""), "mariadb -e 'DROP DATABASE IF EXISTS "
                                                   "ble_monitor'")
        try:
            for block in parse(path):
                runner.run(block)
        finally:
            runner.stop_background()
        print(f"=== {os.path.relpath(path)}: {runner.ran} blocks run, {len(runner.skipped)} "
              f"skipped, {len(runner.failures)} failed")
        for skip in runner.skipped:
            print(f"    skipped {skip}")
        failures += runner.failures
    for failure in failures:
        print("FAIL:", failure)
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
