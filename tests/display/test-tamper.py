#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-3.0-or-later
"""A network caught tampering with its ledger: the node edited a reward entry after signing it
(prepared by tests/history/history-fixture, store OUT/forged). History shows an alert that says
in plain words what was found and offers to save the evidence; saving it through the file
chooser writes the entry as served and the proof the network gave. The network's page shows the
same words in a banner with the same offer. Screenshots go to meson-logs/screenshots/."""

import os
import sqlite3
import subprocess
import tempfile
import time

import trbdisplay as d

FIXTURE = os.path.join(d.BUILD_ROOT, "tests", "history", "history-fixture")
CLI = os.path.join(d.BUILD_ROOT, "src", "cli", "tributary-cli")
FOUND = "was changed after it was signed"


def prepare():
    work = tempfile.mkdtemp(prefix="tributary-tamper-test-")
    out = os.path.join(work, "out")
    env = dict(os.environ)
    env["XDG_DATA_HOME"] = os.path.join(work, "nodes")
    env["GIO_USE_PROXY_RESOLVER"] = "dummy"
    subprocess.run([FIXTURE, out], env=env, check=True, stdout=subprocess.DEVNULL,
                   stderr=subprocess.DEVNULL, timeout=240)
    return work, {"XDG_DATA_HOME": os.path.join(out, "forged"),
                  "GIO_USE_PROXY_RESOLVER": "dummy", "GTK_USE_PORTAL": "0"}


def main():
    work, env = prepare()
    saved = os.path.join(work, "evidence.txt")
    app = d.App(extra_env=env)
    try:
        # History: the alert, in plain words, with the evidence to save.
        app.show_area("History")
        app.find("label", contains="changed an entry of its ledger", timeout=30)
        app.find("label", contains=FOUND)
        button = app.find("push button", contains="Export Evidence")
        time.sleep(0.5)
        d.screenshot("tamper-history-alert")

        app.click(button)
        dialog = app.window("Save the Evidence", timeout=20)
        name = app.find("text", "Name:", within=dialog, timeout=10)
        name.text = saved
        # GTK 4.8 names the dialog's buttons with their mnemonic and their label.
        app.click(app.find("push button", contains="Save", within=dialog))
        d.wait_for(lambda: os.path.exists(saved) and os.path.getsize(saved) > 0,
                   what="the evidence file")
        with open(saved, encoding="utf-8") as f:
            text = f.read()
        assert "# found: edited-entry" in text, text
        assert FOUND in text, text
        assert '"type":"reward"' in text, text
        assert "# proof given by the network (base64):" in text, text
    finally:
        app.quit()

    # The network's page: the same words in a banner, with the same offer. The fixture's store
    # knows the network from its participant; the app lists it as a joined network once a
    # wallet of this session's keyring takes part in it.
    cli_env = {**os.environ, **env}
    address = subprocess.run([CLI, "wallet", "create", "--label", "participant"], env=cli_env,
                             check=True, capture_output=True, text=True,
                             timeout=60).stdout.strip()
    store = os.path.join(env["XDG_DATA_HOME"], "tributary", "tributary.db")
    db = sqlite3.connect(store)
    db.execute("INSERT OR REPLACE INTO participation_networks (origin, url, name, ledger_key, "
               "task, dataset, wallet, joined) SELECT origin, url, name, ledger_key, task, "
               "'fashion-mnist', ?, 1 FROM net_networks", (address,))
    db.commit()
    db.close()
    app = d.App(extra_env=env)
    try:
        app.show_area("Networks")
        app.click(app.find("push button", contains="Details of", timeout=30))
        app.find("label", contains="changed an entry of its ledger", timeout=20)
        app.find("label", contains=FOUND)
        app.find("push button", contains="Save the Evidence")
        time.sleep(0.5)
        d.screenshot("tamper-network-banner")
    finally:
        app.quit()


if __name__ == "__main__":
    raise SystemExit(d.run(main))
