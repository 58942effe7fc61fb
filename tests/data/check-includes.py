#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-3.0-or-later
"""Fails when an #include breaks the layering of docs/architecture.md:

- a GTK, GDK, GSK, libadwaita or libportal-gtk4 header included outside src/ui/ (in src/ or in
  tests/), or a meson.build outside src/ui/ that uses the GTK dependencies;
- a `*-private.h` header included from a file outside the header's folder of src/ (tests
  included);
- a file in one folder of src/ including a header of a folder its layer may not use (LAYERS).

Usage: check-includes.py SOURCE_ROOT
"""

import os
import re
import sys

# The allowed dependencies between the folders of src/, written once; docs/architecture.md
# mirrors this table. A folder may always include its own headers and the top-level helpers of
# src/ (trb-i18n.h, trb-json.h), which use GLib and json-glib only. The domains may use each
# other's public headers (net/trb-protocol.h, the protocol facts, is used by all of them); what
# keeps them apart is that none reaches up into the participation loop, the programs or the UI.
DOMAINS = {"store", "wallet", "datasets", "compute", "aggregation", "ledger", "net"}
LAYERS = {
    **{domain: DOMAINS for domain in DOMAINS},
    "participant": DOMAINS,
    "desktop": set(),                 # GIO and libportal only: the tray and background mode
    "node": DOMAINS,                  # the node serves a network; it never participates
    "cli": DOMAINS | {"participant"},
    "bench": DOMAINS,
    "ui": DOMAINS | {"participant", "desktop"},
}

# The only folder whose files may include a GTK header. The desktop integration that does not
# draw anything (src/desktop/) uses GIO and plain libportal, so no other folder needs GTK.
# gdk-pixbuf is not GTK: the datasets decode images with it, and the node and CLI link it.
GTK_FOLDERS = {"src/ui"}
GTK_HEADER = re.compile(r"^(gtk|gdk|gsk)/|^(adwaita|graphene)\.h$|^libportal-gtk[0-9]*/")
GTK_MESON_DEP = re.compile(r"\b(gtk_dep|adw_dep|portal_gtk_dep)\b")

INCLUDE = re.compile(r'^\s*#\s*include\s*([<"])([^>"]+)[>"]', re.MULTILINE)
SOURCE_SUFFIXES = (".c", ".h", ".cc", ".cpp")


def source_files(top, folder):
    for root, dirs, files in os.walk(os.path.join(top, folder)):
        dirs[:] = sorted(d for d in dirs if not d.startswith((".", "_build")))
        for name in sorted(files):
            yield os.path.relpath(os.path.join(root, name), top)


def strip_comments(text):
    return re.sub(r"/\*.*?\*/", lambda m: "\n" * m.group(0).count("\n"), text, flags=re.DOTALL)


def includes(top, path):
    with open(os.path.join(top, path), encoding="utf-8", errors="replace") as f:
        text = strip_comments(f.read())
    for match in INCLUDE.finditer(text):
        line = text.count("\n", 0, match.start()) + 1
        yield line, match.group(1) == "<", match.group(2)


def headers_by_name(top):
    """Every header of src/ and tests/ by its file name, for includes that name no folder."""
    found = {}
    for folder in ("src", "tests"):
        for path in source_files(top, folder):
            if path.endswith(".h"):
                found.setdefault(os.path.basename(path), []).append(path)
    return found


def resolve(top, path, name, by_name):
    """The file in the tree that a quoted include names, or None (config.h, generated files)."""
    beside = os.path.normpath(os.path.join(os.path.dirname(path), name))
    if os.path.isfile(os.path.join(top, beside)):
        return beside
    # The include root is src/, so "wallet/trb-wallet.h" is src/wallet/trb-wallet.h.
    rooted = os.path.normpath(os.path.join("src", name))
    if os.path.isfile(os.path.join(top, rooted)):
        return rooted
    candidates = by_name.get(os.path.basename(name), [])
    return candidates[0] if len(candidates) == 1 else None


def src_folder(path):
    """The folder of src/ that a file belongs to: "ui" for src/ui/trb-window.c, "" for the
    top-level helpers of src/, None outside src/."""
    parts = path.split(os.sep)
    if parts[0] != "src":
        return None
    return parts[1] if len(parts) > 2 else ""


def check(top):
    problems = []
    by_name = headers_by_name(top)
    checked = 0
    for folder in ("src", "tests"):
        for path in source_files(top, folder):
            if os.path.basename(path) == "meson.build":
                if not any(path.startswith(f + os.sep) for f in GTK_FOLDERS):
                    with open(os.path.join(top, path), encoding="utf-8") as f:
                        text = "\n".join(l.split("#")[0] for l in f.read().splitlines())
                    for dep in sorted(set(GTK_MESON_DEP.findall(text))):
                        problems.append(f"{path}: uses {dep}, but only src/ui links GTK")
                continue
            if not path.endswith(SOURCE_SUFFIXES):
                continue
            checked += 1
            here = os.path.dirname(path)
            in_gtk_folder = any(here == f or here.startswith(f + os.sep) for f in GTK_FOLDERS)
            for line, system, name in includes(top, path):
                where = f"{path}:{line}"
                if system:
                    if GTK_HEADER.search(name) and not in_gtk_folder:
                        problems.append(f"{where}: includes <{name}>, but only src/ui may use GTK")
                    continue
                target = resolve(top, path, name, by_name)
                if target is None:
                    continue
                source, dest = src_folder(path), src_folder(target)
                # Private to its folder of src/, subfolders included (a domain split into
                # subfolders shares its private headers); from tests too.
                if target.endswith("-private.h") and os.path.dirname(target) != here and \
                   (source in (None, "") or source != dest):
                    problems.append(f"{where}: includes {target}, private to "
                                    f"{os.path.dirname(target)}/")
                if source in (None, "") or dest in (None, "", source):
                    continue
                if source not in LAYERS:
                    problems.append(f"{where}: src/{source}/ has no row in the layering table "
                                    f"of tests/data/check-includes.py")
                elif dest not in LAYERS[source]:
                    problems.append(f"{where}: includes {target}, but src/{source}/ may not use "
                                    f"src/{dest}/ (docs/architecture.md, Layers)")
    return checked, problems


def main():
    checked, problems = check(sys.argv[1])
    for p in problems:
        print(p)
    print(f"checked the includes of {checked} files: {len(problems)} problems")
    if checked == 0:
        print("no source files found")
        return 1
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
