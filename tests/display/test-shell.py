#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-3.0-or-later
"""The app shell as a user meets it: each of the five areas with its empty state, the
Preferences, About and Keyboard Shortcuts windows, the dark style, a narrow (360 px) window, and
a damaged local database.
Screenshots go to meson-logs/screenshots/."""

import os
import subprocess
import sys
import tempfile

import trbdisplay as d

AREAS = [
    ("Networks", "Join a Learning Network", "Join the Demo Network"),
    ("Datasets", "No Datasets Yet", "Add Dataset…"),
    ("Activity", "Nothing Is Running", "Browse Networks"),
    ("Wallet", "No Wallet Yet", "Create Wallet"),
    ("History", "No Rewards Yet", "Browse Networks"),
]


def check_areas(app, suffix=""):
    for area, title, button in AREAS:
        app.show_area(area)
        # The empty state's title and its one action are what the user sees first.
        app.find("label", title)
        app.find("push button", contains=button)
        d.screenshot(f"area-{area.lower()}{suffix}")


def check_windows(app):
    app.open_menu_item("Preferences")
    prefs = app.window("Preferences")
    app.find("label", "Keep Contributing in the Background", within=prefs)
    app.find("label", "Share of This Computer", within=prefs)
    app.find("label", "Only at Certain Hours", within=prefs)
    d.screenshot("preferences")
    app.close_window("Preferences")

    app.open_menu_item("About Tributary")
    about = app.window("About")
    app.find("label", "Tributary", within=about)
    version = subprocess.run([d.APP_BINARY, "--version"], capture_output=True, text=True,
                             check=True).stdout.split()[-1]
    app.find("label", version, within=about)
    d.screenshot("about")

    app.open_menu_item("Keyboard Shortcuts")
    shortcuts = app.window("Keyboard Shortcuts")
    app.find("label", "Preferences", within=shortcuts)
    d.screenshot("shortcuts")


def main():
    app = d.App()
    try:
        check_areas(app)
        check_windows(app)
    finally:
        app.quit()

    # Dark style, as chosen in the system settings.
    app = d.App(extra_env={"ADW_DEBUG_COLOR_SCHEME": "prefer-dark"})
    try:
        app.show_area("Networks")
        app.find("label", "Join a Learning Network")
        d.screenshot("dark-networks")
        app.show_area("Wallet")
        app.find("label", "No Wallet Yet")
        d.screenshot("dark-wallet")
    finally:
        app.quit()

    # A phone-sized window: the area switcher moves to a bar at the bottom.
    d.gsettings("set", "window-width", "360")
    d.gsettings("set", "window-height", "640")
    app = d.App()
    try:
        check_areas(app, suffix="-narrow")
    finally:
        app.quit()
        d.gsettings("reset", "window-width")
        d.gsettings("reset", "window-height")

    check_damaged_data()
    return 0


def check_damaged_data():
    """A local database that is not one: the window says so, where the file is and what to do,
    and leaves the file as it was."""
    data_home = tempfile.mkdtemp(prefix="tributary-damaged-")
    os.makedirs(os.path.join(data_home, "tributary"))
    path = os.path.join(data_home, "tributary", "tributary.db")
    damaged = bytes((i * 37 + 11) % 256 for i in range(8192))
    with open(path, "wb") as f:
        f.write(damaged)

    app = d.App(extra_env={"XDG_DATA_HOME": data_home, "GIO_USE_PROXY_RESOLVER": "dummy"})
    try:
        app.find("label", "Tributary’s Data Cannot Be Read")
        app.find("label", contains="file is not a database")
        app.find("label", contains=path)
        app.find("push button", contains="Open Its Folder")
        d.screenshot("damaged-data")
    finally:
        app.quit()
    with open(path, "rb") as f:
        assert f.read() == damaged, "the damaged file was changed"
    assert sorted(os.listdir(os.path.dirname(path))) == ["tributary.db"], \
        os.listdir(os.path.dirname(path))


if __name__ == "__main__":
    sys.exit(d.run(main))
