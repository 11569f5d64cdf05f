#!/usr/bin/python3
"""The man pages in packaging/man/ against the programs' --help: every option and subcommand the
program knows is in its man page, and the man page names no option the program does not know.

    man_pages_test.py BIN_DIR MAN_DIR
"""

import os
import re
import subprocess
import sys

OPTION = re.compile(r"(?<![\w-])--([a-z][a-z-]*[a-z])")


def help_text(binary, *words):
    return subprocess.run([binary, *words, "--help"], capture_output=True, text=True).stdout


def subcommands(text):
    """Subcommand names from CLI11's SUBCOMMANDS: section."""
    names, inside = [], False
    for line in text.splitlines():
        if line.strip() == "Subcommands:" or line.startswith("SUBCOMMANDS"):
            inside = True
            continue
        if inside:
            m = re.match(r"\s+([a-z][a-z-]*)\s", line + " ")
            if not m:
                break
            names.append(m.group(1))
    return names


def main():
    bin_dir, man_dir = sys.argv[1], sys.argv[2]
    failures = []
    for tool in ("blemon-monitor", "blemon-report", "blemon-dashboard", "blemon-admin"):
        binary = os.path.join(bin_dir, tool, tool)
        with open(os.path.join(man_dir, f"{tool}.1"), encoding="utf-8") as f:
            man = f.read().replace("\\-", "-").replace("\\fB", "").replace("\\fR", "")
        texts = [help_text(binary)]
        commands = [[c] for c in subcommands(texts[0])]
        while commands:
            words = commands.pop()
            text = help_text(binary, *words)
            texts.append(text)
            commands += [words + [c] for c in subcommands(text)]
            if not re.search(rf"\b{re.escape(words[-1])}\b", man):
                failures.append(f"{tool}.1 does not describe the command '{' '.join(words)}'")
        known = {o for text in texts for o in OPTION.findall(text)} - {"help"}
        documented = set(OPTION.findall(man)) - {"help"}
        for option in sorted(known - documented):
            failures.append(f"{tool}.1 lacks --{option}, which {tool} --help lists")
        for option in sorted(documented - known):
            failures.append(f"{tool}.1 names --{option}, which {tool} does not know")
    for failure in failures:
        print("FAIL:", failure)
    if not failures:
        print("the man pages match --help")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
