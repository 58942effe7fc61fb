#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-3.0-or-later
"""Fails when a file with translatable strings is missing from po/POTFILES.in, when a listed
file does not exist, or when the list is not sorted."""

import os
import re
import sys

C_MARKERS = re.compile(r'(?<![A-Za-z0-9_])(_|N_|C_|NC_|ngettext|g_dngettext|g_dpgettext2)\s*\(\s*"')
UI_MARKER = re.compile(r'translatable="yes"')
DATA_SUFFIXES = (".desktop.in.in", ".desktop.in", ".metainfo.xml.in.in", ".metainfo.xml.in",
                 ".gschema.xml.in", ".gschema.xml")


def has_translatable(path):
    try:
        with open(path, encoding="utf-8", errors="replace") as f:
            text = f.read()
    except OSError:
        return False
    if path.endswith((".c", ".h")):
        return bool(C_MARKERS.search(text))
    if path.endswith(".ui"):
        return bool(UI_MARKER.search(text))
    return path.endswith(DATA_SUFFIXES)


def candidates(top):
    for folder in ("src", "data"):
        for root, dirs, files in os.walk(os.path.join(top, folder)):
            dirs[:] = [d for d in dirs if not d.startswith(".")]
            for name in files:
                path = os.path.join(root, name)
                if name.endswith((".c", ".h", ".ui")) or name.endswith(DATA_SUFFIXES):
                    if has_translatable(path):
                        yield os.path.relpath(path, top)


def read_potfiles(path):
    entries = []
    with open(path, encoding="utf-8") as f:
        for line in f:
            line = line.strip()
            if line and not line.startswith("#"):
                entries.append(line)
    return entries


def check(top):
    problems = []
    listed = read_potfiles(os.path.join(top, "po", "POTFILES.in"))
    if listed != sorted(listed):
        problems.append("po/POTFILES.in is not sorted")
    if len(set(listed)) != len(listed):
        problems.append("po/POTFILES.in lists a file twice")
    for entry in listed:
        if not os.path.exists(os.path.join(top, entry)):
            problems.append(f"po/POTFILES.in lists {entry}, which does not exist")
    for path in sorted(set(candidates(top)) - set(listed)):
        problems.append(f"{path} has translatable strings but is not in po/POTFILES.in")
    return problems


def main():
    problems = check(sys.argv[1])
    for p in problems:
        print(p)
    print(f"checked po/POTFILES.in: {len(problems)} problems")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
