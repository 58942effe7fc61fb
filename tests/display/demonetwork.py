# SPDX-License-Identifier: GPL-3.0-or-later
"""A demo network for display tests that outlives the app (the app is told its address with
TRB_DEMO_URL), with rounds as short as a test needs, and joining it as a person would."""

import os
import subprocess
import tempfile
import time

import trbdisplay as d

SOURCE_ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
NODE_BINARY = os.path.join(d.BUILD_ROOT, "src", "node", "tributary-node")


class DemoNetwork:
    def __init__(self, round_seconds=30):
        self.dir = tempfile.mkdtemp(prefix="tributary-demo-node-")
        url_file = os.path.join(self.dir, "url")
        self.proc = subprocess.Popen(
            [NODE_BINARY, "demo", "--data", os.path.join(self.dir, "network"),
             "--listen", "127.0.0.1:0", "--url-file", url_file,
             "--round-seconds", str(round_seconds), "--min-updates", "1"],
            stdout=subprocess.DEVNULL)
        d.wait_for(lambda: os.path.exists(url_file) and os.path.getsize(url_file) > 0,
                   timeout=60, what="the demo node to start")
        with open(url_file, encoding="utf-8") as f:
            self.url = f.read().strip()

    def app_env(self, data_home):
        """What the app needs to find this network and the demo pictures."""
        return {"XDG_DATA_HOME": data_home,
                "TRB_DEMO_URL": self.url,
                "TRB_DEMO_DIR": os.path.join(SOURCE_ROOT, "data", "demo"),
                "TRB_NODE_BINARY": NODE_BINARY}

    def stop(self):
        if self.proc.poll() is None:
            self.proc.terminate()
            self.proc.wait(timeout=10)


def join(app, screenshot_prefix=None):
    """Networks → Join the Demo Network → Join, as in test-join."""
    app.window("Tributary")
    app.show_area("Networks")
    app.click(app.find("push button", contains="Join the Demo Network"))
    dialog = app.window("Fashion-MNIST demo", timeout=60)
    join_button = app.find("push button", within=dialog, contains="Join")
    if screenshot_prefix:
        d.screenshot(f"{screenshot_prefix}-join")
    app.click(join_button)
    d.wait_for(lambda: not app.has_window("Fashion-MNIST demo"), timeout=60,
               what="the join to finish")


def contributed_rounds(data_home):
    import sqlite3
    store = os.path.join(data_home, "tributary", "tributary.db")
    if not os.path.exists(store):
        return []
    with sqlite3.connect(f"file:{store}?mode=ro", uri=True, timeout=5) as db:
        try:
            rows = db.execute("SELECT message FROM participation_events WHERE kind = "
                              "'contributed' ORDER BY id").fetchall()
        except sqlite3.OperationalError:
            return []
    return [r[0] for r in rows]


def wait_seconds(seconds):
    time.sleep(seconds)
