#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-3.0-or-later
"""Checks the Flatpak manifest: valid JSON, a released GNOME runtime, the bundled libraries
built from checksummed archives, the app module last, and sandbox permissions no wider than
the app needs (files come through the portals, so no home or host file system)."""

import json
import re
import sys

ALLOWED_FINISH_ARGS = {
    "--share=network",
    "--share=ipc",
    "--socket=wayland",
    "--socket=fallback-x11",
    "--device=dri",
    "--talk-name=org.kde.StatusNotifierWatcher",
}
REQUIRED_MODULES = {"libsodium", "openblas"}


def check(path, app_id):
    problems = []
    try:
        with open(path, encoding="utf-8") as f:
            manifest = json.load(f)
    except (OSError, ValueError) as e:
        return [f"{path} is not valid JSON: {e}"]

    if manifest.get("id") != app_id:
        problems.append(f"id is {manifest.get('id')!r}, expected {app_id!r}")
    if manifest.get("runtime") != "org.gnome.Platform" or manifest.get("sdk") != "org.gnome.Sdk":
        problems.append("runtime and sdk must be org.gnome.Platform and org.gnome.Sdk")
    if not re.fullmatch(r"\d+(\.\d+)?", str(manifest.get("runtime-version", ""))):
        problems.append(f"runtime-version {manifest.get('runtime-version')!r} is not a release")

    finish_args = manifest.get("finish-args", [])
    extra = [a for a in finish_args if a not in ALLOWED_FINISH_ARGS]
    if extra:
        problems.append(f"finish-args wider than allowed: {extra}")
    missing = ALLOWED_FINISH_ARGS - set(finish_args)
    if missing:
        problems.append(f"finish-args lack: {sorted(missing)}")
    for arg in finish_args:
        if arg.startswith("--filesystem"):
            problems.append(f"no file system access is allowed: {arg}")

    modules = manifest.get("modules", [])
    if not modules:
        return problems + ["no modules"]
    names = [m.get("name") if isinstance(m, dict) else m for m in modules]
    if names[-1] != "tributary":
        problems.append(f"the app module must be last, found {names[-1]!r}")
    for module in modules:
        if not isinstance(module, dict) or module.get("name") not in REQUIRED_MODULES:
            continue
        sources = module.get("sources", [])
        archives = [s for s in sources if s.get("type") == "archive"]
        if not archives:
            problems.append(f"{module['name']} must be built from an archive")
        for s in archives:
            if not re.fullmatch(r"[0-9a-f]{64}", s.get("sha256", "")):
                problems.append(f"{module['name']}: archive without a valid sha256")
            if not s.get("url", "").startswith("https://"):
                problems.append(f"{module['name']}: archive not fetched over https")
    for name in REQUIRED_MODULES - set(names):
        problems.append(f"module {name} is missing")
    return problems


def self_test(path, app_id):
    """The checker must catch what it is for: a manifest widened or broken in each way."""
    import copy
    import os
    import tempfile

    with open(path, encoding="utf-8") as f:
        good = json.load(f)
    bad_variants = {
        "home access": lambda m: m["finish-args"].append("--filesystem=home"),
        "host access": lambda m: m["finish-args"].append("--filesystem=host"),
        "extra bus name": lambda m: m["finish-args"].append("--talk-name=org.freedesktop.Flatpak"),
        "nightly runtime": lambda m: m.update({"runtime-version": "master"}),
        "app not last": lambda m: m["modules"].append(m["modules"].pop(0)),
        "no checksum": lambda m: m["modules"][0]["sources"][0].pop("sha256"),
    }
    failures = 0
    with tempfile.TemporaryDirectory() as tmp:
        for what, mutate in bad_variants.items():
            m = copy.deepcopy(good)
            mutate(m)
            variant = os.path.join(tmp, "m.json")
            with open(variant, "w", encoding="utf-8") as f:
                json.dump(m, f)
            if not check(variant, app_id):
                print(f"self-test: a manifest with {what} was not caught")
                failures += 1
        with open(os.path.join(tmp, "m.json"), "w", encoding="utf-8") as f:
            f.write("{ not json")
        if not check(os.path.join(tmp, "m.json"), app_id):
            print("self-test: invalid JSON was not caught")
            failures += 1
    return failures


def main():
    path, app_id = sys.argv[1], sys.argv[2]
    if self_test(path, app_id):
        return 1
    problems = check(path, app_id)
    for p in problems:
        print(f"manifest: {p}")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
