#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-3.0-or-later
"""Closing the window while a network is joined: the first time, the app asks whether to keep
contributing in the background or to stop, and remembers the answer.

- "Stop Contributing": the app ends; the next close ends it again without asking.
- "Keep Contributing": the window goes, the app keeps running without one and starts at login
  (its autostart file is written); closing a window again does not ask.
- Preferences shows the answer; turning Background off there removes the autostart file, and
  the next close ends the app.
Screenshots go to meson-logs/screenshots/."""

import os
import subprocess
import sys
import tempfile
import time

import demonetwork
import trbdisplay as d

AUTOSTART = os.path.join(os.environ.get("XDG_CONFIG_HOME", os.path.expanduser("~/.config")),
                         "autostart", f"{d.APP_ID}.desktop")


def setting(key):
    return subprocess.run(["gsettings", "get", d.APP_ID, key], env=d.app_env(),
                          capture_output=True, text=True, check=True).stdout.strip()


def checked(node):
    from gi.repository import Atspi
    return node.getState().contains(Atspi.StateType.CHECKED)


def click_close(app):
    """The main window's own close button."""
    win = app.window("Tributary")
    buttons = win.findChildren(lambda n: n.roleName == "push button" and n.name == "Close")
    assert buttons, "the window has no Close button"
    # A toast has a Close button too, at the bottom: the window's is the highest, last one.
    buttons = [b for b in buttons if b.showing] or buttons
    top = min(b.position[1] for b in buttons)
    app.click([b for b in buttons if b.position[1] == top][-1])


def question(app, timeout=15):
    return app.find("push button", contains="Keep Contributing", timeout=timeout)


def has_question(app):
    return app.node.findChild(lambda n: n.roleName == "push button" and
                              "Keep Contributing" in (n.name or ""),
                              retry=False, requireResult=False) is not None


def wait_joined(app):
    """The joined network is loaded (the Activity area names it)."""
    app.show_area("Activity")
    app.find(contains="Fashion-MNIST", timeout=30)


def wait_exit(app, timeout=20):
    try:
        return app.proc.wait(timeout=timeout)
    except subprocess.TimeoutExpired:
        raise AssertionError("the app is still running") from None


def main():
    network = demonetwork.DemoNetwork(round_seconds=30)
    data_home = tempfile.mkdtemp(prefix="tributary-close-test-")
    env = network.app_env(data_home)
    for key in ("run-in-background", "asked-about-background", "paused-until"):
        d.gsettings("reset", key)
    d.gsettings("set", "only-when-idle", "false")
    if os.path.exists(AUTOSTART):
        os.unlink(AUTOSTART)
    app = None
    try:
        # 1. Join, close: asked. "Stop Contributing" ends the app.
        app = d.App(extra_env=env)
        demonetwork.join(app)
        click_close(app)
        question(app)
        app.find("push button", contains="Stop Contributing")
        d.screenshot("close-1-question")
        app.click(app.find("push button", contains="Stop Contributing"))
        status = wait_exit(app)
        assert status == 0, f"the app exited with status {status}"
        assert setting("asked-about-background") == "true"
        assert setting("run-in-background") == "false"
        assert not os.path.exists(AUTOSTART), "an autostart file was written after Stop"
        print("Stop Contributing: the app ended")

        # 2. Asked once: the next close ends the app without a question.
        app = d.App(extra_env=env)
        wait_joined(app)
        click_close(app)
        wait_exit(app)
        assert not os.path.exists(AUTOSTART)
        print("closed again: the app ended without asking")

        # 3. Asked again (as on a fresh installation): "Keep Contributing" keeps it running
        #    without a window, and it will start at login.
        d.gsettings("reset", "asked-about-background")
        d.gsettings("reset", "run-in-background")
        app = d.App(extra_env=env)
        wait_joined(app)
        click_close(app)
        app.click(question(app))
        d.wait_for(lambda: not app.has_window("Tributary"), what="the window to close")
        time.sleep(5)
        assert app.proc.poll() is None, "the app ended with its window"
        assert not app.has_window("Tributary")
        assert setting("run-in-background") == "true"
        assert setting("asked-about-background") == "true"
        assert os.path.exists(AUTOSTART), "no autostart file was written"
        with open(AUTOSTART, encoding="utf-8") as f:
            autostart = f.read()
        assert "--gapplication-service" in autostart, autostart
        d.screenshot("close-2-kept-running")
        print("Keep Contributing: running without a window, autostart file written")

        # 4. Opened again (from the app grid) and closed: no question, still running.
        subprocess.run([d.APP_BINARY], env=d.app_env(env), check=True, timeout=30)
        app.window("Tributary", timeout=30)
        click_close(app)
        d.wait_for(lambda: not app.has_window("Tributary"), what="the window to close")
        assert not has_question(app), "the question was asked a second time"
        time.sleep(3)
        assert app.proc.poll() is None, "the app ended with its window"
        print("opened and closed again: no question, still running")

        # 5. The answer is changed in Preferences: Background off, the autostart file goes, and
        #    closing the window ends the app, still without a question.
        subprocess.run([d.APP_BINARY], env=d.app_env(env), check=True, timeout=30)
        app.window("Tributary", timeout=30)
        app.open_menu_item("Preferences")
        prefs = app.window("Preferences")
        switch = app.find("check box", "Keep Contributing in the Background", within=prefs)
        assert checked(switch), "Preferences does not show the answer"
        d.screenshot("close-3-preferences")
        switch.doActionNamed("toggle")
        d.wait_for(lambda: setting("run-in-background") == "false",
                   what="the switch to turn background running off")
        d.wait_for(lambda: not os.path.exists(AUTOSTART), what="the autostart file to go")
        app.close_window("Preferences")
        click_close(app)
        wait_exit(app)
        print("changed in Preferences: the next close ended the app without asking")
    finally:
        if app is not None:
            app.quit()
        network.stop()
        for key in ("run-in-background", "asked-about-background", "only-when-idle",
                    "paused-until"):
            d.gsettings("reset", key)
        if os.path.exists(AUTOSTART):
            os.unlink(AUTOSTART)
    return 0


if __name__ == "__main__":
    sys.exit(d.run(main))
