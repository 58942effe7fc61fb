#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-3.0-or-later
"""Checks what appstreamcli does not about the metainfo that software centres show: 3 to 5
screenshots, each with a caption and each a picture kept in data/screenshots, a default one,
release notes, no deprecated tags, the demo data's licence declared, and an OARS rating that
says what is sent (a wallet address and a display name: social-info)."""

import os
import sys
import xml.etree.ElementTree as ET

SCREENSHOT_URL = "https://raw.githubusercontent.com/tributary/tributary/main/data/screenshots/"


def check(path, source_root):
    problems = []
    root = ET.parse(path).getroot()

    shots = root.findall("screenshots/screenshot")
    if not 3 <= len(shots) <= 5:
        problems.append(f"{len(shots)} screenshots, expected 3 to 5")
    if len([s for s in shots if s.get("type") == "default"]) != 1:
        problems.append("exactly one screenshot must be the default")
    for shot in shots:
        url = shot.findtext("image", "")
        if not (shot.findtext("caption") or "").strip():
            problems.append(f"screenshot {url} has no caption")
        if not url.startswith(SCREENSHOT_URL):
            problems.append(f"screenshot {url} is not one of data/screenshots")
            continue
        name = url[len(SCREENSHOT_URL):]
        if not os.path.isfile(os.path.join(source_root, "data", "screenshots", name)):
            problems.append(f"data/screenshots/{name} is missing")

    releases = root.findall("releases/release")
    if not releases or any(r.find("description") is None for r in releases):
        problems.append("every release needs notes (a description)")
    if root.find("developer_name") is not None:
        problems.append("developer_name is deprecated: use <developer id=…><name>")
    if root.find("developer/name") is None:
        problems.append("no <developer><name>")
    licence = root.findtext("project_license", "")
    if "MIT" not in licence.split():
        problems.append(f"project_license {licence!r} lacks the demo data's MIT")
    rating = root.find("content_rating")
    if rating is None or rating.get("type") != "oars-1.1":
        problems.append("no OARS 1.1 content rating")
    else:
        attrs = {a.get("id"): a.text for a in rating.findall("content_attribute")}
        if attrs.get("social-info") != "intense":
            problems.append("the wallet address and display name sent make social-info intense")
    return problems


def main():
    problems = check(sys.argv[1], sys.argv[2])
    for p in problems:
        print(f"metainfo: {p}")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
