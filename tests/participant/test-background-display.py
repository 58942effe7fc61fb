#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-3.0-or-later
"""Background mode as a user meets it, with the real app on the test session's display:
with "Keep contributing in the background" on, closing the window leaves the app running
(autostart entry written), the tray's actions reach it over D-Bus, and it starts windowless
with --gapplication-service; with the setting off, closing the window ends the app and the
autostart entry is gone."""

import os
import subprocess
import time

import trbdisplay as d

OBJECT_PATH = "/" + d.APP_ID.replace(".", "/")
AUTOSTART = os.path.join(os.environ.get("XDG_CONFIG_HOME", os.path.expanduser("~/.config")),
                         "autostart", d.APP_ID + ".desktop")


def activate(action):
    """Activates an app action over D-Bus, as the tray icon's menu does."""
    subprocess.run(["gdbus", "call", "--session", "--dest", d.APP_ID,
                    "--object-path", OBJECT_PATH,
                    "--method", "org.gtk.Actions.Activate", action, "[]", "{}"],
                   check=True, stdout=subprocess.DEVNULL)


def setting(key):
    return subprocess.run(["gsettings", "get", d.APP_ID, key], env=d.app_env(),
                          capture_output=True, text=True, check=True).stdout.strip()


def still_running(app, seconds):
    time.sleep(seconds)
    return app.proc.poll() is None


def check_background_on():
    d.gsettings("set", "run-in-background", "true")
    app = d.App()
    try:
        app.window("Tributary")
        d.wait_for(lambda: os.path.exists(AUTOSTART), what="the autostart entry")
        with open(AUTOSTART, encoding="utf-8") as f:
            entry = f.read()
        assert "--gapplication-service" in entry, entry

        app.close_window("Tributary")
        assert still_running(app, 3), "the app ended when its window closed"

        # The tray's menu items are app actions.
        activate("pause")
        d.wait_for(lambda: setting("paused") == "true", what="the pause to be saved")
        activate("resume")
        d.wait_for(lambda: setting("paused") == "false", what="the resume to be saved")
        activate("open")
        app.window("Tributary")
        d.screenshot("background-reopened")

        activate("quit")
        app.proc.wait(timeout=15)
        assert app.proc.returncode == 0, app.proc.returncode
    finally:
        app.quit()


def check_service_start():
    """Started at login: no window, and it stays."""
    proc = subprocess.Popen([d.APP_BINARY, "--gapplication-service"], env=d.app_env())
    try:
        time.sleep(4)
        assert proc.poll() is None, "the background service ended by itself"
        windows = subprocess.run(["xwininfo", "-root", "-tree"], capture_output=True,
                                 text=True, check=True).stdout
        assert '"Tributary"' not in windows, "a window opened in service mode"
        activate("quit")
        proc.wait(timeout=15)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()


def check_background_off():
    d.gsettings("set", "run-in-background", "false")
    app = d.App()
    try:
        win = app.window("Tributary")
        d.wait_for(lambda: not os.path.exists(AUTOSTART), what="the autostart entry to go")
        # The window's own close button; the app leaves the accessibility tree with it.
        buttons = win.findChildren(lambda n: n.roleName == "push button" and n.name == "Close")
        app.click(buttons[-1])
        app.proc.wait(timeout=15)
        assert app.proc.returncode == 0, app.proc.returncode
    finally:
        app.quit()


def main():
    check_background_on()
    check_service_start()
    check_background_off()
    print("background mode: ok")


if __name__ == "__main__":
    raise SystemExit(d.run(main))
