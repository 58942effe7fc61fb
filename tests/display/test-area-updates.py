#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-3.0-or-later
"""A change made in one area shows in another at once, with no timer and nothing read again
when an area is shown: the areas listen to the store's announcements.

With the demo network joined and its page open in the Networks area, a dataset paused in the
Datasets area leaves the page's choices of data, and comes back when it is resumed. The network
page is not opened again in between: going back to the Networks area finds the page as it was,
and what changed on it was changed by the store's signal.

Then, with the dataset's page open in the Datasets area, the network is given that data on its
page in the Networks area: back in the Datasets area, the dataset's page (not opened again) says
under "Used By" that the network learns from it."""

import os
import shutil
import subprocess
import tempfile

import trbdisplay as d

SOURCE_ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
DEMO_DIR = os.path.join(SOURCE_ROOT, "data", "demo")
CLI = os.path.join(d.BUILD_ROOT, "src", "cli", "tributary-cli")
WARDROBE = "wardrobe-images-idx3-ubyte.gz"
NETWORK = "Fashion-MNIST demo"


def use_button(app, name):
    """The Use button of the data called `name` on the network's page, if it shows."""
    return app.node.findChild(lambda n: n.roleName == "push button" and n.name == f"Use {name}",
                              retry=False, requireResult=False)


def join_demo(app):
    app.show_area("Networks")
    app.click(app.find("push button", contains="Join the Demo Network"))
    dialog = app.window(NETWORK, timeout=60)
    join = app.find("push button", within=dialog, contains="Join")
    d.wait_for(lambda: join.sensitive, timeout=60, what="Join to be possible")
    app.click(join)
    d.wait_for(lambda: not app.has_window(NETWORK), timeout=60, what="the join to finish")


def shown(app, role, name=None, contains=None, timeout=15.0):
    """The node drawn on screen now that matches: the pages of a stack that are not shown stay
    in the accessibility tree, so a name alone could find a control of another page."""
    window = app.window("Tributary")

    def match(n):
        return (n.roleName == role and (name is None or n.name == name)
                and (contains is None or contains in (n.name or "")))

    def find():
        for node in window.findChildren(match):
            if d.on_screen(window, node):
                return node
        return None
    return d.wait_for(find, timeout=timeout, what=f"{role} “{name or contains}” on screen")


def set_paused(app, paused):
    """Pauses or resumes the wardrobe pictures from their page in the Datasets area, which
    stays open."""
    app.show_area("Datasets")
    app.click(app.find("push button", "Pause" if paused else "Resume", timeout=30))
    app.find("push button", "Resume" if paused else "Pause", timeout=30)


def network_page_shown(app):
    """The network's page is the one the Networks area shows, as it was left: its heading
    "Data to Learn From" is drawn."""
    app.show_area("Networks")
    shown(app, "label", "Data to Learn From", timeout=10)


def count_labels(app, name):
    return len(app.node.findChildren(lambda n: n.roleName == "label" and n.name == name))


def main():
    data_home = tempfile.mkdtemp(prefix="tributary-area-updates-test-")
    env = {"XDG_DATA_HOME": data_home,
           "TRB_DEMO_DIR": DEMO_DIR,
           "TRB_NODE_BINARY": os.path.join(d.BUILD_ROOT, "src", "node", "tributary-node")}
    os.environ.pop("TRB_DEMO_URL", None)
    d.gsettings("reset", "paused-until")
    d.gsettings("set", "only-when-idle", "false")

    folder = os.path.join(data_home, "pictures")
    os.makedirs(folder)
    wardrobe = os.path.join(folder, WARDROBE)
    shutil.copy(os.path.join(DEMO_DIR, "demo-test-images-idx3-ubyte.gz"), wardrobe)
    shutil.copy(os.path.join(DEMO_DIR, "demo-test-labels-idx1-ubyte.gz"),
                os.path.join(folder, "wardrobe-labels-idx1-ubyte.gz"))
    added = subprocess.run([CLI, "dataset", "add", wardrobe], env=d.app_env(env),
                           capture_output=True, text=True)
    assert added.returncode == 0, added.stdout + added.stderr

    app = d.App(extra_env=env)
    try:
        app.window("Tributary")
        join_demo(app)
        app.show_area("Networks")
        app.click(app.find("push button", f"Details of {NETWORK}", timeout=30))
        d.wait_for(lambda: use_button(app, WARDROBE), what="the wardrobe pictures as a choice")
        app.show_area("Datasets")
        app.click(app.find("push button", f"Details of {WARDROBE}", timeout=30))
        app.find("label", "No network learns from this dataset yet", timeout=30)
        n_named = count_labels(app, NETWORK)

        # Paused in the Datasets area: no longer a choice on the network's page.
        set_paused(app, True)
        network_page_shown(app)
        d.wait_for(lambda: use_button(app, WARDROBE) is None, timeout=5,
                   what="the paused dataset to leave the network page's choices")
        d.screenshot("area-updates-1-paused")

        # Resumed: a choice again, on the same page.
        set_paused(app, False)
        network_page_shown(app)
        d.wait_for(lambda: use_button(app, WARDROBE), timeout=5,
                   what="the resumed dataset to be a choice again")
        d.screenshot("area-updates-2-resumed")

        # The dataset's page stayed open while its data is chosen for the network elsewhere.
        app.click(d.wait_for(lambda: use_button(app, WARDROBE), what="Use for the wardrobe"))
        app.find("label", contains="the network learns from this data", timeout=60)
        app.show_area("Datasets")
        app.find("push button", "Pause", timeout=10)
        d.wait_for(lambda: count_labels(app, "No network learns from this dataset yet") == 0,
                   timeout=5, what="Used By to stop saying that no network learns from it")
        assert count_labels(app, NETWORK) == n_named + 1, "Used By does not name the network"
        d.screenshot("area-updates-3-used-by")
    finally:
        app.quit()
    return 0


if __name__ == "__main__":
    raise SystemExit(d.run(main))
