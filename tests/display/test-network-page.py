#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-3.0-or-later
"""A joined network's page: join the demo network, open its page from the Networks area, read
what it says (round, device, what leaves this computer, privacy, rewards), change the data it
learns from (data the network cannot learn from is refused in plain words and the choice stays;
usable data is saved for the next round), come back, and see the new choice after a restart,
in a phone-sized window; Leave from the page."""

import gzip
import os
import shutil
import sqlite3
import struct
import subprocess
import tempfile

import trbdisplay as d

SOURCE_ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
DEMO_DIR = os.path.join(SOURCE_ROOT, "data", "demo")
CLI = os.path.join(d.BUILD_ROOT, "src", "cli", "tributary-cli")
WARDROBE = "wardrobe-images-idx3-ubyte.gz"
TINY = "tiny-images-idx3-ubyte.gz"
DEMO = "Demo pictures of clothing"


def joined_dataset(store):
    with sqlite3.connect(f"file:{store}?mode=ro", uri=True, timeout=5) as db:
        rows = db.execute("SELECT dataset FROM participation_networks").fetchall()
    assert len(rows) <= 1, rows
    return rows[0][0] if rows else None


def write_idx(folder, name, side, count):
    """IDX pictures of side × side pixels: readable, but not what a 28 × 28 model takes."""
    images = os.path.join(folder, f"{name}-images-idx3-ubyte.gz")
    with gzip.open(images, "wb") as f:
        f.write(struct.pack(">IIII", 0x803, count, side, side))
        f.write(bytes((i * 7) % 256 for i in range(count * side * side)))
    with gzip.open(os.path.join(folder, f"{name}-labels-idx1-ubyte.gz"), "wb") as f:
        f.write(struct.pack(">II", 0x801, count))
        f.write(bytes(i % 10 for i in range(count)))
    return images


def use_button(app, name):
    """The Use button of the data set called `name` on the network's page, if it shows (GTK
    leaves hidden widgets out of the accessibility tree)."""
    return app.node.findChild(lambda n: n.roleName == "push button" and n.name == f"Use {name}",
                              retry=False, requireResult=False)


def main():
    data_home = tempfile.mkdtemp(prefix="tributary-network-page-test-")
    store = os.path.join(data_home, "tributary", "tributary.db")
    env = {"XDG_DATA_HOME": data_home,
           "TRB_DEMO_DIR": DEMO_DIR,
           "TRB_NODE_BINARY": os.path.join(d.BUILD_ROOT, "src", "node", "tributary-node")}
    os.environ.pop("TRB_DEMO_URL", None)
    d.gsettings("reset", "paused-until")
    d.gsettings("reset", "compute-device")
    d.gsettings("set", "only-when-idle", "false")

    # Two more data sets on this computer: clothing pictures of the right size, and pictures
    # of 8 × 8 pixels that the demo network's model cannot take.
    folder = os.path.join(data_home, "pictures")
    os.makedirs(folder)
    usable = os.path.join(folder, "wardrobe-images-idx3-ubyte.gz")
    shutil.copy(os.path.join(DEMO_DIR, "demo-test-images-idx3-ubyte.gz"), usable)
    shutil.copy(os.path.join(DEMO_DIR, "demo-test-labels-idx1-ubyte.gz"),
                os.path.join(folder, "wardrobe-labels-idx1-ubyte.gz"))
    tiny = write_idx(folder, "tiny", 8, 50)
    for path in (usable, tiny):
        added = subprocess.run([CLI, "dataset", "add", path], env=d.app_env(env),
                               capture_output=True, text=True)
        assert added.returncode == 0, added.stdout + added.stderr

    app = d.App(extra_env=env)
    try:
        app.window("Tributary")
        app.show_area("Networks")
        app.click(app.find("push button", contains="Join the Demo Network"))
        dialog = app.window("Fashion-MNIST demo", timeout=60)
        join = app.find("push button", within=dialog, contains="Join")
        d.wait_for(lambda: join.sensitive, timeout=60, what="Join to be possible")
        app.click(join)
        d.wait_for(lambda: not app.has_window("Fashion-MNIST demo"), timeout=60,
                   what="the join to finish")
        demo_path = d.wait_for(lambda: joined_dataset(store), what="the network in the store")
        print(f"joined with {demo_path}")

        # The Networks area: the joined network opens its page.
        app.show_area("Networks")
        app.click(app.find("push button", "Details of Fashion-MNIST demo"))
        app.find("label", "Recognise clothing in small pictures", timeout=30)
        app.find("label", "What leaves this computer")
        app.find("label", contains="MB a round")
        app.find("label", "Privacy")
        app.find("label", contains="without added noise")
        app.find("label", "Rewards")
        app.find("label", contains="points for each picture")
        app.find("label", "Trains on")
        app.find("label", "Chosen automatically")
        app.find("push button", contains="Leave Network")
        d.wait_for(lambda: app.node.findChild(
            lambda n: n.roleName == "label" and (n.name or "").startswith("Round "),
            retry=False, requireResult=False), timeout=60, what="the round on the page")
        d.screenshot("network-page-1")

        # Data the model cannot take: refused in plain words, the data in use stays.
        assert use_button(app, DEMO) is None, "the data in use offers Use"
        app.click(d.wait_for(lambda: use_button(app, TINY), what="Use for the 8 × 8 pictures"))
        problem = app.find("label", contains="These pictures are 8 × 8 pixels, but this "
                           "network learns from pictures of 28 × 28 pixels", timeout=60)
        print(f"refused: “{problem.name}”")
        assert use_button(app, TINY) is not None
        assert use_button(app, DEMO) is None
        assert joined_dataset(store) == demo_path
        d.screenshot("network-page-2-refused")

        # Usable data: saved, and the next round learns from it.
        app.click(use_button(app, WARDROBE))
        app.find("label", contains="the network learns from this data", timeout=60)
        assert joined_dataset(store) == usable, joined_dataset(store)
        assert use_button(app, WARDROBE) is None
        assert use_button(app, DEMO) is not None
        d.screenshot("network-page-3-changed")

        app.click(app.find("push button", "Back"))
        app.find("push button", "Details of Fashion-MNIST demo")
    finally:
        app.quit()

    # After a restart the page shows the new choice; on a phone-sized window too.
    d.gsettings("set", "window-width", "360")
    d.gsettings("set", "window-height", "640")
    app = d.App(extra_env=env)
    try:
        app.show_area("Networks")
        app.click(app.find("push button", "Details of Fashion-MNIST demo", timeout=30))
        d.wait_for(lambda: use_button(app, DEMO), what="the demo pictures to be a choice")
        assert use_button(app, WARDROBE) is None, "the saved choice is not the one in use"
        d.screenshot("network-page-4-after-restart-narrow")

        # Leave, from the page: asked first, then the network is gone and the list is back.
        app.click(app.find("push button", contains="Leave Network"))
        app.click(app.find("push button", contains="Leave",
                           within=app.window("Leave “Fashion-MNIST demo”?")))
        app.find("label", "Join a Learning Network", timeout=30)
        assert joined_dataset(store) is None
    finally:
        app.quit()
        d.gsettings("reset", "window-width")
        d.gsettings("reset", "window-height")
    return 0


if __name__ == "__main__":
    raise SystemExit(d.run(main))
