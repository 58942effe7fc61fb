#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-3.0-or-later
"""Help on a computer without Yelp: F1 (and Help in the main menu) open the help pages built as
HTML, in the web browser, instead of failing with "Operation not supported"; so does F1 where
the help viewer cannot be started.

No application handles `help:` URIs here, whatever is installed: the app sees a copy of the
system's data folders without their applications, and a stand-in browser, registered for
text/html, that writes down the address it was asked to open."""

import os
import stat
import sys
import tempfile
import time

import trbdisplay as d
import x11input


def add_broken_help_viewer(env):
    """A handler for help: URIs that cannot be started: a D-Bus activatable application whose
    name nothing on the bus provides."""
    applications = os.path.join(env["XDG_DATA_HOME"], "applications")
    with open(os.path.join(applications, "org.example.BrokenHelp.desktop"), "w",
              encoding="utf-8") as f:
        f.write("[Desktop Entry]\nType=Application\nName=Broken Help\nExec=/bin/true %u\n"
                "DBusActivatable=true\nMimeType=x-scheme-handler/help;\n")
    with open(os.path.join(env["XDG_CONFIG_HOME"], "mimeapps.list"), "a",
              encoding="utf-8") as f:
        f.write("x-scheme-handler/help=org.example.BrokenHelp.desktop\n")


def no_yelp_environment(record):
    """XDG folders in which no application handles help: and the only browser is ours."""
    root = tempfile.mkdtemp(prefix="tributary-help-test-")
    shared = os.path.join(root, "share")
    os.makedirs(shared)
    for name in os.listdir("/usr/share"):
        if name != "applications":
            os.symlink(os.path.join("/usr/share", name), os.path.join(shared, name))

    data_home = os.path.join(root, "data")
    applications = os.path.join(data_home, "applications")
    os.makedirs(applications)
    browser = os.path.join(root, "browser.sh")
    with open(browser, "w", encoding="utf-8") as f:
        f.write(f"#!/bin/sh\nprintf '%s\\n' \"$@\" >> '{record}'\n")
    os.chmod(browser, stat.S_IRWXU)
    with open(os.path.join(applications, "trb-test-browser.desktop"), "w",
              encoding="utf-8") as f:
        f.write("[Desktop Entry]\nType=Application\nName=Test Browser\n"
                f"Exec={browser} %u\n"
                "MimeType=text/html;x-scheme-handler/http;x-scheme-handler/https;\n")

    config_home = os.path.join(root, "config")
    os.makedirs(config_home)
    with open(os.path.join(config_home, "mimeapps.list"), "w", encoding="utf-8") as f:
        f.write("[Default Applications]\ntext/html=trb-test-browser.desktop\n")

    return {"XDG_DATA_DIRS": shared, "XDG_DATA_HOME": data_home,
            "XDG_CONFIG_HOME": config_home, "GIO_USE_PROXY_RESOLVER": "dummy"}


def opened(record):
    if not os.path.exists(record):
        return []
    with open(record, encoding="utf-8") as f:
        return [line.strip() for line in f if line.strip()]


def check_html_page(uri):
    """GLib hands a local file to a browser as a path or as a file:// URI."""
    path = uri[len("file://"):] if uri.startswith("file:///") else uri
    assert path.startswith("/") and path.endswith("/help/html/index.html"), uri
    assert os.path.isfile(path), f"{path} does not exist"
    with open(path, encoding="utf-8") as f:
        page = f.read()
    # The first page of the Mallard help, as HTML.
    assert "<html" in page and "Tributary" in page, page[:200]


def main():
    record = os.path.join(tempfile.mkdtemp(prefix="tributary-help-record-"), "opened")
    env = no_yelp_environment(record)
    app = d.App(extra_env=env)
    try:
        window = app.window("Tributary")
        app.find("label", "Join a Learning Network")
        # The pointer over the window gives it the keyboard on a display without a window
        # manager; F1 then goes to the app.
        # F1 with the window in front, as a person presses it.
        x11input.focus(d.wait_for(lambda: x11input.find_window("Tributary"),
                                  what="the window on the display"))
        time.sleep(0.5)
        x11input.press_key("F1")
        d.wait_for(lambda: opened(record), timeout=20, what="the browser to be asked for the help")
        check_html_page(opened(record)[0])
        print(f"F1 opened {opened(record)[0]}")
        d.screenshot("help-f1-no-yelp")
        assert not app.node.findChild(
            lambda n: "Could not show link" in (n.name or ""), retry=False,
            requireResult=False), "an error was shown instead of the help"

        # The main menu's Help does the same.
        app.open_menu_item("Help")
        d.wait_for(lambda: len(opened(record)) >= 2, timeout=20,
                   what="the browser to be asked a second time")
        check_html_page(opened(record)[1])
        time.sleep(1)
        assert app.has_window("Tributary") and window is not None
        assert not app.node.findChild(
            lambda n: "Could not show link" in (n.name or "") or
            n.name == "The Help Could Not Be Opened", retry=False,
            requireResult=False), "an error was shown instead of the help"
    finally:
        app.quit()

    # A help viewer that fails to start: the browser still shows the help.
    os.unlink(record)
    add_broken_help_viewer(env)
    app = d.App(extra_env=env)
    try:
        app.find("label", "Join a Learning Network")
        x11input.focus(d.wait_for(lambda: x11input.find_window("Tributary"),
                                  what="the window on the display"))
        time.sleep(0.5)
        x11input.press_key("F1")
        d.wait_for(lambda: opened(record), timeout=20,
                   what="the browser to be asked for the help after the viewer failed")
        check_html_page(opened(record)[0])
        print(f"F1 with a broken help viewer opened {opened(record)[0]}")
    finally:
        app.quit()
    return 0


if __name__ == "__main__":
    sys.exit(d.run(main))
