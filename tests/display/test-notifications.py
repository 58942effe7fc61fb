#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-3.0-or-later
"""Notifications follow GNOME's habits. A stand-in notification server on the session bus
counts what the app sends over three rounds of a demo network with short rounds:

- window in front (it has the keyboard): no notification, the window shows it all;
- window behind another application: at most one per round, all with the same ID (each
  replaces the one before) and summing up the day ("3 rounds contributed today, …");
- window in front again: the round summary is withdrawn;
- the network gone, window behind: one notification of the problem under its own ID, not one
  for each try."""

import json
import os
import re
import subprocess
import sys
import tempfile
import time

import demonetwork
import trbdisplay as d
import x11input

ROUNDS = 3
ROUND_SECONDS = 10


def notifications(record):
    if not os.path.exists(record):
        return []
    with open(record, encoding="utf-8") as f:
        return [json.loads(line) for line in f if line.strip()]


def window_active(app):
    """Whether the accessibility tree says the main window is the active one."""
    from gi.repository import Atspi
    window = app.window("Tributary")
    return window.getState().contains(Atspi.StateType.ACTIVE)


def problem_events(data_home):
    import sqlite3
    store = os.path.join(data_home, "tributary", "tributary.db")
    with sqlite3.connect(f"file:{store}?mode=ro", uri=True, timeout=5) as db:
        return db.execute("SELECT message FROM participation_events WHERE kind = 'problem'"
                          ).fetchall()


def run_rounds(data_home, what):
    """Waits for ROUNDS more rounds to be contributed; returns their messages."""
    before = len(demonetwork.contributed_rounds(data_home))
    d.wait_for(lambda: len(demonetwork.contributed_rounds(data_home)) >= before + ROUNDS,
               timeout=ROUNDS * ROUND_SECONDS * 3 + 30, what=f"{ROUNDS} rounds {what}")
    # The notification (if any) follows the event log's line at once.
    time.sleep(1)
    return demonetwork.contributed_rounds(data_home)[before:]


def main():
    record = os.path.join(tempfile.mkdtemp(prefix="tributary-notify-test-"), "notifications")
    server = subprocess.Popen([sys.executable, os.path.join(os.path.dirname(
        os.path.abspath(__file__)), "fakenotifications.py"), record],
        stdout=subprocess.PIPE, text=True)
    network = demonetwork.DemoNetwork(round_seconds=ROUND_SECONDS)
    data_home = tempfile.mkdtemp(prefix="tributary-notify-data-")
    d.gsettings("reset", "paused-until")
    d.gsettings("set", "only-when-idle", "false")
    app = None
    try:
        assert server.stdout.readline().strip() == "ready", "the notification server did not start"
        app = d.App(extra_env=network.app_env(data_home))
        demonetwork.join(app)
        app.show_area("Activity")
        xid = d.wait_for(lambda: x11input.find_window("Tributary"), what="the window")

        # 1. The window in front: nothing.
        x11input.focus(xid)
        d.wait_for(lambda: window_active(app), what="the window to be active")
        start = len(notifications(record))
        rounds = run_rounds(data_home, "with the window in front")
        assert window_active(app), "the window stopped being active"
        sent = [n for n in notifications(record)[start:] if n["method"] != "RemoveNotification"]
        print(f"window in front: {rounds} → {len(sent)} notifications")
        d.screenshot("notifications-1-window-in-front")
        assert sent == [], sent

        # 2. The window behind another application: at most one a round, replaced each time.
        x11input.unfocus()
        d.wait_for(lambda: not window_active(app), what="the window to be inactive")
        start = len(notifications(record))
        rounds = run_rounds(data_home, "with the window behind")
        sent = [n for n in notifications(record)[start:] if n["method"] != "RemoveNotification"]
        for n in sent:
            print(f"  {n['method']} id={n['id']!r} “{n['title']}”: “{n['body']}”")
        print(f"window behind: {rounds} → {len(sent)} notifications")
        assert 1 <= len(sent) <= len(rounds), sent
        assert len({n["id"] for n in sent}) == 1, "notifications were stacked, not replaced"
        last = sent[-1]
        assert last["title"] == "Fashion-MNIST demo", last
        assert re.fullmatch(r"\d+ rounds? contributed today(, [\d.]+ points?)?", last["body"]), last
        count = int(last["body"].split()[0])
        assert count >= ROUNDS, last  # the day's rounds, the ones in front included

        # 3. The window in front again: the summary it showed is withdrawn.
        start = len(notifications(record))
        x11input.focus(xid)
        d.wait_for(lambda: any(n["method"] in ("RemoveNotification", "CloseNotification")
                               for n in notifications(record)[start:]),
                   what="the round summary to be withdrawn")
        print("window in front again: the summary was withdrawn")

        # 4. The network stops answering, window behind: the problem is said once, though the
        #    loop tries again (after 30 s) and logs it each time.
        x11input.unfocus()
        d.wait_for(lambda: not window_active(app), what="the window to be inactive")
        start = len(notifications(record))
        problems_before = len(problem_events(data_home))
        network.stop()
        d.wait_for(lambda: len(problem_events(data_home)) >= problems_before + 2, timeout=90,
                   what="the problem to be logged twice")
        time.sleep(1)
        sent = [n for n in notifications(record)[start:] if n["method"] != "RemoveNotification"]
        for n in sent:
            print(f"  {n['method']} id={n['id']!r} “{n['title']}”: “{n['body']}”")
        problems = [n for n in sent if n["id"].startswith("problem:")]
        assert len(problems) == 1, sent
        assert problems[0]["title"] == "A Network Needs Attention", problems[0]
        assert problems[0]["body"].startswith("Fashion-MNIST demo: "), problems[0]
        print(f"network gone: {len(problem_events(data_home)) - problems_before} problems logged"
              f" → {len(problems)} notification")
    finally:
        if app is not None:
            app.quit()
        network.stop()
        server.terminate()
        server.wait()
        d.gsettings("reset", "only-when-idle")
        d.gsettings("reset", "paused-until")
    return 0


if __name__ == "__main__":
    sys.exit(d.run(main))
