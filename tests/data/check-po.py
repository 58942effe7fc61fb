#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-3.0-or-later
"""Runs `msgfmt --check --statistics` on the catalogue of every language in po/LINGUAS and
on the help's catalogues (help/LINGUAS), and fails when msgfmt finds an error (a placeholder
that does not match its msgid, a broken header, wrong Plural-Forms) or when a catalogue has
no Plural-Forms of its own. The statistics are printed so the log shows the coverage.

Usage: check-po.py SOURCE_ROOT [MSGFMT]
"""

import os
import re
import subprocess
import sys


def linguas(path):
    if not os.path.exists(path):
        return []
    with open(path, encoding="utf-8") as f:
        return [w for line in f for w in line.split("#")[0].split()]


def check(msgfmt, po):
    problems = []
    if not os.path.exists(po):
        return [f"{po} is listed but does not exist"]
    with open(po, encoding="utf-8") as f:
        text = f.read()
    if not re.search(r'"Plural-Forms: nplurals=\d+; plural=[^;"]+;', text):
        problems.append(f"{po}: no Plural-Forms header")
    run = subprocess.run([msgfmt, "--check", "--statistics", "-o", os.devnull, po],
                         capture_output=True, text=True)
    print(f"{os.path.relpath(po)}: {run.stderr.strip()}")
    if run.returncode != 0:
        problems.append(f"{po}: msgfmt --check failed")
    return problems


def main():
    top = sys.argv[1]
    msgfmt = sys.argv[2] if len(sys.argv) > 2 else "msgfmt"
    problems = []
    langs = linguas(os.path.join(top, "po", "LINGUAS"))
    if not langs:
        problems.append("po/LINGUAS lists no language")
    for lang in langs:
        problems += check(msgfmt, os.path.join(top, "po", lang + ".po"))
    for lang in linguas(os.path.join(top, "help", "LINGUAS")):
        problems += check(msgfmt, os.path.join(top, "help", lang, lang + ".po"))
    for p in problems:
        print(p)
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
