#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-3.0-or-later
"""Compute devices: Preferences lists the processor and lavapipe's "llvmpipe" as a software
device, says which device the automatic choice takes and why, and picking a device writes the
`compute-device` setting; the Activity area then names the device the next round trains on.
Screenshots of each step go to meson-logs/screenshots/."""

import os
import subprocess
import tempfile

import trbdisplay as d

SOURCE_ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


def setting(key):
    out = subprocess.run(["gsettings", "get", d.APP_ID, key], env=d.app_env(), check=True,
                         capture_output=True, text=True).stdout.strip()
    return out.strip("'")


def label_containing(app, text, within=None):
    root = within or app.node
    return root.findChild(lambda n: n.roleName == "label" and text in (n.name or ""),
                          retry=False, requireResult=False)


def use_button(window, name):
    """The device row's Use button, when it is there: the device picked has a check mark
    instead, and a hidden widget is not in the accessibility tree."""
    return window.findChild(
        lambda n: n.roleName == "push button" and (n.name or "").startswith(f"Use {name}"),
        retry=False, requireResult=False)


def open_preferences(app):
    app.open_menu_item("Preferences")
    prefs = app.window("Preferences")
    d.wait_for(lambda: label_containing(app, "llvmpipe", prefs), timeout=120,
               what="the devices in Preferences")
    return prefs


def main():
    data_home = tempfile.mkdtemp(prefix="tributary-devices-test-")
    env = {"XDG_DATA_HOME": data_home,
           "TRB_DEMO_DIR": os.path.join(SOURCE_ROOT, "data", "demo"),
           "TRB_NODE_BINARY": os.path.join(d.BUILD_ROOT, "src", "node", "tributary-node")}
    os.environ.pop("TRB_DEMO_URL", None)
    d.gsettings("reset", "paused-until")
    d.gsettings("set", "only-when-idle", "false")
    # The first round on the processor, so that picking lavapipe is a change.
    d.gsettings("set", "compute-device", "cpu")
    app = d.App(extra_env=env)
    try:
        app.window("Tributary")

        # Before any network is joined: the devices, and a choice made when training starts.
        prefs = open_preferences(app)
        app.find("label", "Automatic", within=prefs)
        app.find("label", "Processor", within=prefs)
        app.find("label", contains="Software, runs on the processor", within=prefs)
        app.find("label", contains="cores", within=prefs)
        app.find("label", contains="measured when a network starts training", within=prefs)
        # The processor, as set, is the device picked: every other device can be used instead.
        assert use_button(prefs, "Automatic") and use_button(prefs, "llvmpipe")
        assert not use_button(prefs, "Processor"), "the processor is not shown as picked"
        d.screenshot("devices-1-preferences")
        app.close_window("Preferences")

        # Join the demo network; its first round trains on the processor.
        app.show_area("Networks")
        app.click(app.find("push button", contains="Join the Demo Network"))
        dialog = app.window("Fashion-MNIST demo", timeout=60)
        app.click(app.find("push button", within=dialog, contains="Join"))
        d.wait_for(lambda: not app.has_window("Fashion-MNIST demo"), timeout=60,
                   what="the join to finish")
        app.show_area("Activity")
        # Training takes seconds; then the network's row says where the round ran, and what it
        # waits for until the round closes.
        row = d.wait_for(lambda: app.node.findChild(
            lambda n: n.roleName == "label" and (n.name or "").startswith(
                "Contributed to round 1 on the processor · Waiting for "),
            retry=False, requireResult=False),
            timeout=120, what="the network's row to say round 1 ran on the processor")
        print(f"Networks row: “{row.name}”")
        d.screenshot("devices-2-contributed-on-processor")

        # With the network's model known, the automatic choice is measured and explained.
        prefs = open_preferences(app)
        reason = d.wait_for(lambda: label_containing(app, "faster for this model on this computer",
                                                     prefs),
                            timeout=120, what="the automatic choice's reason")
        print(f"Automatic: “{reason.name}”")
        app.click(d.wait_for(lambda: use_button(prefs, "llvmpipe"),
                             what="lavapipe's Use button"))
        d.wait_for(lambda: use_button(prefs, "Processor") and not use_button(prefs, "llvmpipe"),
                   what="lavapipe to be shown as picked")
        d.wait_for(lambda: setting("compute-device").startswith("vulkan:"),
                   what="the setting to name the Vulkan device")
        print(f"compute-device = {setting('compute-device')}")
        d.screenshot("devices-3-picked-llvmpipe")
        app.close_window("Preferences")

        # The next round trains on lavapipe, and the Activity area says so: while it trains
        # ("Training on llvmpipe …" under the current job) and once it is in.
        def on_llvmpipe():
            training = label_containing(app, "Training on llvmpipe")
            if training is not None:
                print(f"Current job: “{training.name}”")
            return app.node.findChild(
                lambda n: n.roleName == "label" and (n.name or "").startswith(
                    "Contributed to round") and " on llvmpipe" in n.name,
                retry=False, requireResult=False)
        row = d.wait_for(on_llvmpipe, timeout=180,
                         what="the Activity area to say a round ran on llvmpipe")
        print(f"Networks row: “{row.name}”")
        d.screenshot("devices-4-contributed-on-llvmpipe")

        # The network's page names the device it trains on as Preferences does.
        app.show_area("Networks")
        app.click(app.find("push button", "Details of Fashion-MNIST demo", timeout=30))
        device = d.wait_for(lambda: app.node.findChild(
            lambda n: n.roleName == "label" and (n.name or "").startswith("llvmpipe"),
            retry=False, requireResult=False), what="the network page to name llvmpipe")
        print(f"Network page, device: “{device.name}”")
        assert not app.node.findChild(lambda n: n.roleName == "label" and n.name == "vulkan:0",
                                      retry=False, requireResult=False)
    finally:
        app.quit()
        d.gsettings("reset", "only-when-idle")
        d.gsettings("reset", "paused-until")
        d.gsettings("reset", "compute-device")
    return 0


if __name__ == "__main__":
    raise SystemExit(d.run(main))
