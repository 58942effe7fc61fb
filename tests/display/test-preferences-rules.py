#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-3.0-or-later
"""Preferences keeps its promises: under "only when idle" and "pause on battery" it says when
nothing tells the app whether the computer is in use or on battery, and says nothing when
something does. Run first with no idle monitor and no system bus (as in a sandbox whose desktop
runs neither), then beside a stand-in for GNOME's idle monitor on the session bus, which the
Flatpak lets the app reach."""

import os
import subprocess
import sys
import tempfile
import time

import trbdisplay as d

IDLE_MONITOR = os.path.join(os.path.dirname(os.path.abspath(__file__)), "fake-idle-monitor.py")
NO_IDLE = "does not tell Tributary when it is in use"
NO_BATTERY = "does not tell Tributary when it runs on battery"


def explanations(env, label):
    """Opens Preferences in a fresh app and returns which of the two sentences it shows."""
    app = d.App(extra_env=env)
    try:
        app.window("Tributary", timeout=30)
        # The buses answer within a moment; Preferences reads what the scheduler knows then.
        time.sleep(2)
        app.open_menu_item("Preferences")
        prefs = app.window("Preferences")
        app.find("label", contains="When the Computer Is", within=prefs)
        shown = {text for text in (NO_IDLE, NO_BATTERY)
                 if prefs.findChild(lambda n: n.roleName == "label" and text in (n.name or ""),
                                    retry=False, requireResult=False) is not None}
        d.screenshot(f"preferences-rules-{label}")
        return shown
    finally:
        app.quit()


def main():
    data_home = tempfile.mkdtemp(prefix="tributary-preferences-rules-")
    # No system bus: neither logind nor UPower.
    env = {"XDG_DATA_HOME": data_home,
           "DBUS_SYSTEM_BUS_ADDRESS": f"unix:path={data_home}/no-system-bus"}

    shown = explanations(env, "nothing-tells")
    assert shown == {NO_IDLE, NO_BATTERY}, f"without any service Preferences shows {shown}"
    print("nothing tells: Preferences says so under both rules")

    monitor = subprocess.Popen([sys.executable, IDLE_MONITOR, "--active"],
                               stdout=subprocess.PIPE, text=True)
    try:
        ready = monitor.stdout.readline().strip()
        assert ready == "ready", f"the idle monitor stand-in did not start: {ready!r}"
        shown = explanations(env, "idle-monitor")
        assert shown == {NO_BATTERY}, f"beside GNOME's idle monitor Preferences shows {shown}"
        print("GNOME's idle monitor: only the battery rule is said not to work")
    finally:
        monitor.terminate()
        monitor.wait(timeout=10)
    return 0


if __name__ == "__main__":
    raise SystemExit(d.run(main))
