#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-3.0-or-later
"""Joining the demo network as a user would, from a first launch: Networks → Join the Demo
Network → Join (a wallet is created, the demo pictures are chosen) → training starts → the round
is contributed → the Activity area says so. Then, with the window closed and background on, the
next round is still contributed. Screenshots of each step go to meson-logs/screenshots/."""

import os
import sqlite3
import tempfile
import time

import trbdisplay as d

SOURCE_ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


def contributed_rounds(store):
    """The rounds the app's event log says were contributed."""
    if not os.path.exists(store):
        return []
    with sqlite3.connect(f"file:{store}?mode=ro", uri=True, timeout=5) as db:
        try:
            rows = db.execute("SELECT message FROM participation_events WHERE kind = "
                              "'contributed' ORDER BY id").fetchall()
        except sqlite3.OperationalError:
            return []
    return [r[0] for r in rows]


def peak_rss_kib(pid):
    with open(f"/proc/{pid}/status", encoding="utf-8") as f:
        for line in f:
            if line.startswith("VmHWM:"):
                return int(line.split()[1])
    return -1


def cpu_seconds(pid):
    with open(f"/proc/{pid}/stat", encoding="utf-8") as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def main():
    data_home = tempfile.mkdtemp(prefix="tributary-join-test-")
    store = os.path.join(data_home, "tributary", "tributary.db")
    env = {"XDG_DATA_HOME": data_home,
           "TRB_DEMO_DIR": os.path.join(SOURCE_ROOT, "data", "demo"),
           "TRB_NODE_BINARY": os.path.join(d.BUILD_ROOT, "src", "node", "tributary-node")}
    env.pop("TRB_DEMO_URL", None)
    os.environ.pop("TRB_DEMO_URL", None)
    d.gsettings("reset", "paused-until")
    d.gsettings("set", "only-when-idle", "false")
    d.gsettings("set", "run-in-background", "true")
    app = d.App(extra_env=env)
    try:
        app.window("Tributary")
        app.show_area("Networks")
        app.find("label", "Join a Learning Network")
        d.screenshot("join-1-first-launch")

        # Click 1: the demo network's page.
        app.click(app.find("push button", contains="Join the Demo Network"))
        dialog = app.window("Fashion-MNIST demo", timeout=60)
        app.find("label", "What leaves this computer", within=dialog)
        app.find("label", contains="MB a round", within=dialog)
        app.find("label", contains="A new wallet", within=dialog)
        app.find("label", contains="Demo pictures", within=dialog)
        d.screenshot("join-2-network-page")

        # Click 2: Join. A wallet is created and the demo pictures are used.
        join = app.find("push button", within=dialog, contains="Join")
        start = time.monotonic()
        app.click(join)
        d.wait_for(lambda: not app.has_window("Fashion-MNIST demo"), timeout=60,
                   what="the join to finish")
        d.screenshot("join-3-joined")

        # Training on the demo pictures takes seconds: the first of its steps seen is shown.
        seen = d.wait_for(lambda: app.node.findChild(
            lambda n: n.roleName == "label" and (n.name or "").startswith(
                ("Downloading", "Training", "Sending", "Confirming", "Contributed")),
            retry=False, requireResult=False), timeout=60, what="training to start")
        print(f"Activity area: “{seen.name}”")
        d.screenshot("join-4-training")

        d.wait_for(lambda: app.node.findChild(
            lambda n: n.roleName == "label" and "Round 1 contributed" in (n.name or ""),
            retry=False, requireResult=False), timeout=120,
            what="the Activity area to say the round was contributed")
        first = time.monotonic() - start
        print(f"round 1 contributed {first:.1f} s after Join")
        d.screenshot("join-5-contributed")
        assert contributed_rounds(store)[0] == "Round 1 contributed", contributed_rounds(store)
        print(f"peak memory (VmHWM) after training round 1: {peak_rss_kib(app.proc.pid)} KiB")

        # Pause for an hour from the Activity area, then resume.
        menu_button = app.find("push button", "Pause Training")
        pause = d.wait_for(lambda: menu_button.findChild(
            lambda n: "click" in n.actions, retry=False, requireResult=False),
            what="the pause menu's button")
        app.click(pause)
        app.click(app.find("menu item", "Pause for an Hour", timeout=10))
        d.wait_for(lambda: app.node.findChild(
            lambda n: n.roleName == "label" and (n.name or "").startswith("Paused until"),
            retry=False, requireResult=False), what="the Activity area to say it is paused")
        d.screenshot("join-5b-paused")
        app.click(pause)
        app.click(app.find("menu item", "Resume", timeout=10))
        d.wait_for(lambda: not app.node.findChild(
            lambda n: n.roleName == "label" and (n.name or "").startswith("Paused until"),
            retry=False, requireResult=False), what="training to be resumed")

        # The Wallet area has the wallet made for the join.
        app.show_area("Wallet")
        d.wait_for(lambda: app.node.findChild(
            lambda n: n.roleName == "label" and "not backed up yet" in (n.name or ""),
            retry=False, requireResult=False), what="the new wallet")

        # History: a verified model version can be evaluated on the demo pictures, picked
        # from the data on this computer.
        app.show_area("History")
        d.wait_for(lambda: app.node.findChild(
            lambda n: n.roleName == "label" and "Round 1 of “fashion-mnist”" in (n.name or ""),
            retry=False, requireResult=False), timeout=60, what="round 1 in the History")
        app.find("label", contains="Trained on Demo pictures of clothing")
        d.screenshot("join-6-history")
        section = d.wait_for(lambda: app.node.findChild(
            lambda n: n.name == "Provenance" and "click" in n.actions,
            retry=False, requireResult=False), what="the Provenance section")
        app.click(section)
        button = d.wait_for(lambda: app.node.findChild(
            lambda n: n.name == "Evaluate on My Data" and n.roleName == "push button"
            and n.sensitive, retry=False, requireResult=False), timeout=120,
            what="a verified model version to evaluate")
        app.click(button)
        dialog = app.window("Evaluate This Version")
        app.find("label", "Demo pictures of clothing", within=dialog)
        d.screenshot("join-7-evaluate")
        app.click(app.find("push button", contains="Evaluate", within=dialog))
        result = d.wait_for(lambda: app.node.findChild(
            lambda n: n.roleName == "label" and (n.name or "").startswith("On “")
            and "% accurate" in (n.name or ""),
            retry=False, requireResult=False), timeout=60, what="the evaluation's result")
        assert "Evaluating" not in result.name, result.name
        print(f"History: “{result.name.splitlines()[-1]}”")
        d.screenshot("join-8-evaluated")

        # Window closed, background on: the next round is still contributed.
        app.close_window("Tributary")
        d.wait_for(lambda: "Round 2 contributed" in contributed_rounds(store), timeout=120,
                   what="round 2 to be contributed with the window closed")
        assert app.proc.poll() is None, "the app ended with its window"
        print("round 2 contributed with the window closed")

        # Idle in the background between rounds: the processor time it takes.
        seconds = 10
        before = cpu_seconds(app.proc.pid)
        time.sleep(seconds)
        used = cpu_seconds(app.proc.pid) - before
        print(f"CPU in the background, not training: {100 * used / seconds:.2f} % of one core "
              f"over {seconds} s")
        print(f"peak memory (VmHWM) after two rounds: {peak_rss_kib(app.proc.pid)} KiB")
    finally:
        app.quit()
        d.gsettings("reset", "only-when-idle")
        d.gsettings("reset", "paused-until")
        d.gsettings("reset", "run-in-background")
    return 0


if __name__ == "__main__":
    raise SystemExit(d.run(main))
