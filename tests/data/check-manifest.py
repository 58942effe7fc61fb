#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-3.0-or-later
"""Checks a Flatpak manifest statically (flatpak-builder needs the runtime repository): valid
JSON, a released GNOME runtime of version 50 or later, the bundled libraries built from
checksummed archives, every bundled library watched by flatpak-external-data-checker
(x-checker-data), the app module last, and sandbox permissions exactly those the app needs
(files come through the portals, so no home or host file system).

With --flathub, the manifest must also build a released version: the app module from a git
source pinned by both tag and commit, itself watched by x-checker-data."""

import json
import re
import sys

# Each permission, and why the app needs it. The manifest must have exactly these.
ALLOWED_FINISH_ARGS = {
    # Learning networks, the catalogue and the ledger are on the network.
    "--share=network",
    # X11's shared memory, for the X11 fallback.
    "--share=ipc",
    "--socket=wayland",
    "--socket=fallback-x11",
    # Training runs on the graphics card through Vulkan.
    "--device=dri",
    # The tray icon outside GNOME (trb-tray.c).
    "--talk-name=org.kde.StatusNotifierWatcher",
    # "Only when idle": GNOME's idle monitor (trb-idle-monitor.c)...
    "--talk-name=org.gnome.Mutter.IdleMonitor",
    # ...or, elsewhere, logind's IdleHint of the session.
    "--system-talk-name=org.freedesktop.login1",
    # "Pause on battery": UPower's OnBattery.
    "--system-talk-name=org.freedesktop.UPower",
}
MIN_RUNTIME = 50
CHECKER_TYPES = {"anitya", "json"}
REQUIRED_MODULES = {"libsodium", "openblas"}


def checker_problems(module):
    """Every source of the module that can be updated must say how to find its updates."""
    problems = []
    for source in module.get("sources", []):
        if source.get("type") not in ("archive", "git", "file"):
            continue
        data = source.get("x-checker-data")
        if not isinstance(data, dict) or data.get("type") not in CHECKER_TYPES:
            problems.append(f"{module['name']}: a {source.get('type')} source without "
                            f"x-checker-data of type {' or '.join(sorted(CHECKER_TYPES))}")
        elif data["type"] == "anitya" and not isinstance(data.get("project-id"), int):
            problems.append(f"{module['name']}: anitya x-checker-data without a project-id")
        elif data["type"] == "json" and not data.get("url", "").startswith("https://"):
            problems.append(f"{module['name']}: json x-checker-data without an https url")
    return problems


def flathub_problems(app_module):
    """The app itself comes from a tagged, pinned release."""
    gits = [s for s in app_module.get("sources", []) if s.get("type") == "git"]
    if len(gits) != 1:
        return ["the app module must have exactly one git source"]
    git = gits[0]
    problems = []
    if not git.get("url", "").startswith("https://"):
        problems.append("the app's git source is not fetched over https")
    if not re.fullmatch(r"v\d+\.\d+\.\d+", git.get("tag", "")):
        problems.append(f"the app's git source has no release tag: {git.get('tag')!r}")
    if not re.fullmatch(r"[0-9a-f]{40}", git.get("commit", "")):
        problems.append(f"the app's git source has no full commit: {git.get('commit')!r}")
    if "branch" in git:
        problems.append("the app's git source must not follow a branch")
    return problems


def check(path, app_id, flathub=False):
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
    runtime_version = str(manifest.get("runtime-version", ""))
    if not re.fullmatch(r"\d+(\.\d+)?", runtime_version):
        problems.append(f"runtime-version {runtime_version!r} is not a release")
    elif float(runtime_version) < MIN_RUNTIME:
        problems.append(f"runtime-version {runtime_version} is older than GNOME {MIN_RUNTIME}")

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
    for module in modules:
        if isinstance(module, dict) and (flathub or module.get("name") != "tributary"):
            problems += checker_problems(module)
    for name in REQUIRED_MODULES - set(names):
        problems.append(f"module {name} is missing")
    if flathub and isinstance(modules[-1], dict):
        problems += flathub_problems(modules[-1])
    return problems


def without(manifest, arg):
    manifest["finish-args"] = [a for a in manifest.get("finish-args", []) if a != arg]


def self_test(path, app_id, flathub):
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
        "old runtime": lambda m: m.update({"runtime-version": "48"}),
        "no idle monitor": lambda m: without(m, "--talk-name=org.gnome.Mutter.IdleMonitor"),
        "no UPower": lambda m: without(m, "--system-talk-name=org.freedesktop.UPower"),
        "UPower on the wrong bus": lambda m: m["finish-args"].append(
            "--talk-name=org.freedesktop.UPower"),
        "whole system bus": lambda m: m["finish-args"].append("--socket=system-bus"),
        "unwatched library": lambda m: m["modules"][1]["sources"][0].pop("x-checker-data", None),
    }
    if flathub:
        bad_variants.update({
            "no tag": lambda m: m["modules"][-1]["sources"][0].pop("tag", None),
            "no commit": lambda m: m["modules"][-1]["sources"][0].pop("commit", None),
            "short commit": lambda m: m["modules"][-1]["sources"][0].update({"commit": "4d2e3b5"}),
            "a branch": lambda m: m["modules"][-1]["sources"][0].update({"branch": "main"}),
            "the working tree": lambda m: m["modules"][-1].update(
                {"sources": [{"type": "dir", "path": "../.."}]}),
            "unwatched app": lambda m: m["modules"][-1]["sources"][0].pop("x-checker-data",
                                                                          None),
        })
    failures = 0
    with tempfile.TemporaryDirectory() as tmp:
        for what, mutate in bad_variants.items():
            m = copy.deepcopy(good)
            mutate(m)
            variant = os.path.join(tmp, "m.json")
            with open(variant, "w", encoding="utf-8") as f:
                json.dump(m, f)
            if not check(variant, app_id, flathub):
                print(f"self-test: a manifest with {what} was not caught")
                failures += 1
        with open(os.path.join(tmp, "m.json"), "w", encoding="utf-8") as f:
            f.write("{ not json")
        if not check(os.path.join(tmp, "m.json"), app_id):
            print("self-test: invalid JSON was not caught")
            failures += 1
    return failures


def main():
    flathub = "--flathub" in sys.argv[1:]
    path, app_id = [a for a in sys.argv[1:] if a != "--flathub"]
    if self_test(path, app_id, flathub):
        return 1
    problems = check(path, app_id, flathub)
    for p in problems:
        print(f"manifest: {p}")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
