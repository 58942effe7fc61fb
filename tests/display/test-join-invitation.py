#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-3.0-or-later
"""A network that accepts participants by invitation only: its page asks for the code, says in
plain words when none is typed or when the code is not valid, and joins with a valid one.
Screenshots of each step go to meson-logs/screenshots/."""

import os
import subprocess
import tempfile
import urllib.parse

import trbdisplay as d
from demonetwork import NODE_BINARY, SOURCE_ROOT


def entry_text(entry):
    """What the entry holds. GTK 4.8 answers nothing to getText(0, -1): ask for the count."""
    text = entry.queryText()
    return text.getText(0, text.characterCount)


def start_node(data, url_file, *args):
    proc = subprocess.Popen([NODE_BINARY, *args, "--data", data, "--listen", "127.0.0.1:0",
                             "--url-file", url_file], stdout=subprocess.DEVNULL)
    d.wait_for(lambda: os.path.exists(url_file) and os.path.getsize(url_file) > 0,
               timeout=60, what="the node to start")
    with open(url_file, encoding="utf-8") as f:
        return proc, f.read().strip()


def stop(proc):
    if proc.poll() is None:
        proc.terminate()
        proc.wait(timeout=10)


def main():
    base = tempfile.mkdtemp(prefix="tributary-invitation-")
    data = os.path.join(base, "network")
    url_file = os.path.join(base, "url")
    # The demo network, created by `demo`, then served by invitation only.
    proc, _ = start_node(data, url_file, "demo")
    stop(proc)
    os.unlink(url_file)
    proc, url = start_node(data, url_file, "serve", "--join-policy=invitation")
    code = subprocess.run([NODE_BINARY, "invite", "--data", data], check=True,
                          capture_output=True, text=True).stdout.strip()
    forged = ("B" if code[0] == "A" else "A") + code[1:]

    data_home = tempfile.mkdtemp(prefix="tributary-invitation-home-")
    env = {"XDG_DATA_HOME": data_home,
           "TRB_DEMO_DIR": os.path.join(SOURCE_ROOT, "data", "demo"),
           "TRB_NODE_BINARY": NODE_BINARY}
    link = "tributary://join?url=" + urllib.parse.quote(url, safe="")
    app = d.App(extra_env=env, args=[link])
    try:
        dialog = app.window("Fashion-MNIST demo", timeout=60)
        app.find("label", contains="by invitation only", within=dialog)
        entry = app.find("text", "Invitation code", within=dialog)
        d.screenshot("join-invitation-1-asked")

        # Join with no code: asked for it, nothing sent.
        app.click(app.find("push button", within=dialog, contains="Join"))
        app.find("label", contains="Type the invitation code you were given", within=dialog)
        d.screenshot("join-invitation-2-missing")

        # A code this network did not make: said plainly, the dialog stays.
        entry.text = forged
        d.wait_for(lambda: entry_text(entry) == forged, what="the typed code")
        app.click(app.find("push button", within=dialog, contains="Join"))
        app.find("label", contains="This invitation code is not valid for this network",
                 within=dialog, timeout=60)
        assert app.has_window("Fashion-MNIST demo"), "the dialog closed on a refused code"
        d.screenshot("join-invitation-3-refused")

        # The code given: joined.
        entry.text = code
        d.wait_for(lambda: entry_text(entry) == code, what="the typed code")
        app.click(app.find("push button", within=dialog, contains="Join"))
        d.wait_for(lambda: not app.has_window("Fashion-MNIST demo"), timeout=60,
                   what="the join to finish")
        d.screenshot("join-invitation-4-joined")
    finally:
        app.quit()
        stop(proc)
    return 0


if __name__ == "__main__":
    raise SystemExit(d.run(main))
