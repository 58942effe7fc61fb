#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-3.0-or-later
"""The screenshots the metainfo shows in software centres, taken from the real app with real
demo content: the demo network joined, one round contributed and its reward verified. Each
area is taken in the light and in the dark style (AdwStyleManager follows
ADW_DEBUG_COLOR_SCHEME), and the test checks that each picture really is light or dark.

Run it on a build made with -Ddevelopment=false, so that the pictures show the stable app
(no striped header bar); it refuses a development build. The pictures land in
meson-logs/screenshots/store-*.png; data/screenshots/ holds the ones the metainfo names."""

import os
import subprocess
import tempfile
import time

import demonetwork
import trbdisplay as d

# The areas, in the order the metainfo lists them.
AREAS = ("Networks", "History", "Activity", "Wallet")


def mean_brightness(path):
    """The picture's mean brightness, 0 (black) to 1 (white)."""
    out = subprocess.run(["convert", path, "-colorspace", "Gray", "-format", "%[fx:mean]",
                          "info:"], check=True, capture_output=True, text=True).stdout
    return float(out)


def take(app, scheme):
    app.window("Tributary")
    for area in AREAS:
        app.show_area(area)
        # Let the view switcher's highlight follow the page before the picture is taken.
        time.sleep(1.0)
        path = d.screenshot(f"store-{area.lower()}-{scheme}")
        check_scheme(path, scheme)


def check_scheme(path, scheme):
    brightness = mean_brightness(path)
    print(f"{os.path.basename(path)}: mean brightness {brightness:.2f}")
    if scheme == "light":
        assert brightness > 0.6, f"{path} is not light: {brightness:.2f}"
    else:
        assert brightness < 0.4, f"{path} is not dark: {brightness:.2f}"


def main():
    assert not d.APP_ID.endswith(".Devel"), \
        "screenshots for the store come from a build with -Ddevelopment=false"

    network = demonetwork.DemoNetwork(round_seconds=10)
    data_home = tempfile.mkdtemp(prefix="tributary-store-")
    try:
        env = network.app_env(data_home)
        app = d.App(extra_env={**env, "ADW_DEBUG_COLOR_SCHEME": "prefer-light"})
        try:
            demonetwork.join(app)
            app.show_area("History")
            d.wait_for(lambda: app.node.findChildren(
                lambda n: n.roleName == "label" and "verified in the ledger" in (n.name or "")),
                timeout=180, what="a verified reward in the History area")
            take(app, "light")
        finally:
            app.quit()

        app = d.App(extra_env={**env, "ADW_DEBUG_COLOR_SCHEME": "prefer-dark"})
        try:
            app.window("Tributary", timeout=30)
            take(app, "dark")
        finally:
            app.quit()
    finally:
        network.stop()
    return 0


if __name__ == "__main__":
    raise SystemExit(d.run(main))
