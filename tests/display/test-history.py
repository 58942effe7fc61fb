#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-3.0-or-later
"""The History area after real rounds: a real node, two participants and two contributed rounds
(prepared by tests/history/history-fixture in the store the app then opens). Rewards with their
chart and verified entries, reconciliation, and the provenance timeline with the user's
contributions marked and each version recomputed on this computer, in light and dark style; then
a reward entry the node forged, shown as unverified and not counted; then a network that showed
two histories, with its alert, which goes once the user keeps the network.
Screenshots go to meson-logs/screenshots/."""

import os
import re
import subprocess
import tempfile
import time

import trbdisplay as d

FIXTURE = os.path.join(d.BUILD_ROOT, "tests", "history", "history-fixture")


def prepare():
    work = tempfile.mkdtemp(prefix="tributary-history-test-")
    out = os.path.join(work, "out")
    env = dict(os.environ)
    env["XDG_DATA_HOME"] = os.path.join(work, "nodes")
    env["GIO_USE_PROXY_RESOLVER"] = "dummy"
    subprocess.run([FIXTURE, out], env=env, check=True, stdout=subprocess.DEVNULL,
                   stderr=subprocess.DEVNULL, timeout=240)
    return {case: {"XDG_DATA_HOME": os.path.join(out, case),
                   "GIO_USE_PROXY_RESOLVER": "dummy"}
            for case in ("rounds", "forged", "inconsistent")}


def labels(app, contains):
    return app.node.findChildren(lambda n: n.roleName == "label" and contains in (n.name or ""))


def show_history(app):
    app.show_area("History")
    app.find("label", "Reward Entries", timeout=20)


def show_section(app, title):
    """Clicks the section switcher's button named `title` (Rewards or Provenance)."""
    button = d.wait_for(lambda: app.node.findChild(
        lambda n: n.name == title and n.roleName in ("page tab", "toggle button", "radio button")
        and "click" in n.actions, retry=False, requireResult=False),
        what=f"the “{title}” section button")
    app.click(button)


def check_rounds(app, style):
    show_history(app)
    show_section(app, "Rewards")
    # Two verified reward entries, one per contributed round, and the reconciliation.
    d.wait_for(lambda: len(labels(app, "verified in the ledger")) == 2,
               what="two verified reward entries")
    app.find("label", contains="Round 2 of “fashion-mnist”")
    assert len(labels(app, "Expected 2.4 points · Credited 2.4 points")) == 2
    app.find("label", "4.8 points")
    chart = app.find(None, contains="Verified rewards by period")
    assert "4.8 points" in chart.name, chart.name
    d.screenshot(f"history-rewards-{style}")

    # Provenance: two versions, both with this user's contribution, in plain words first; the
    # dataset, hashes and proofs under each version's details.
    timeline = app.find(None, contains="Accuracy of each model version")
    assert timeline.name.count("with your contribution") == 2, timeline.name
    titles = [n.name for n in labels(app, "Version ")
              if n.name.startswith("Version ") and "includes your work" in n.name]
    assert len(titles) == 2, titles
    for title in titles:
        assert re.fullmatch(r"Version \d+ · \d{1,2} \w+, \d\d:\d\d · \d+ % accurate · "
                            r"includes your work", title), title
        assert "…" not in title and not re.search(r"[0-9a-f]{10}", title), title
    assert len(labels(app, "Clothing photos")) >= 2
    assert len(labels(app, "Included in the checkpoint of")) == 2
    # The fixture witnesses: each round was recomputed from its published updates.
    assert len(labels(app, "Recomputed on this computer")) == 2
    show_section(app, "Provenance")
    time.sleep(1.0)
    d.screenshot(f"history-provenance-{style}")


def main():
    envs = prepare()

    for style, extra in (("light", {}), ("dark", {"ADW_DEBUG_COLOR_SCHEME": "prefer-dark"})):
        app = d.App(extra_env={**envs["rounds"], **extra})
        try:
            check_rounds(app, style)
        finally:
            app.quit()

    # The node forged the reward of round 3: shown unverified, never counted.
    app = d.App(extra_env=envs["forged"])
    try:
        show_history(app)
        d.wait_for(lambda: labels(app, "Not verified"), what="the unverified entry")
        app.find("label", contains="Not in the verified ledger")
        app.find("label", "4.8 points")
        app.find("label", contains="1 unverified entry not counted")
        d.screenshot("history-forged-entry")
    finally:
        app.quit()

    # The network showed two histories: a prominent alert with the evidence to export.
    app = d.App(extra_env=envs["inconsistent"])
    try:
        show_history(app)
        app.find("label", contains="showed two different histories")
        app.find("push button", contains="Export Evidence")
        d.screenshot("history-inconsistent")
        # The user keeps the network: the alert goes.
        app.click(app.find("push button", contains="Keep Taking Part"))
        d.wait_for(lambda: not labels(app, "showed two different histories"),
                   what="the alert to go once the network is kept")
    finally:
        app.quit()


if __name__ == "__main__":
    raise SystemExit(d.run(main))
