#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-3.0-or-later
"""The Datasets area as a user meets it: add the demo dataset from the empty state, see it
checked in the list, open it and see its preview and samples per class; then a folder of
pictures with unreadable files, added from the command line, shows its problems in the app.
Screenshots go to meson-logs/screenshots/."""

import os
import struct
import subprocess
import sys
import tempfile
import time
import zlib

import trbdisplay as d

SOURCE_ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
DEMO_DIR = os.path.join(SOURCE_ROOT, "data", "demo")
CLI = os.path.join(d.BUILD_ROOT, "src", "cli", "tributary-cli")


def png(width, height, rgb):
    """A minimal PNG of one colour."""
    def chunk(kind, data):
        body = kind + data
        return struct.pack(">I", len(data)) + body + struct.pack(">I", zlib.crc32(body))
    rows = b"".join(b"\x00" + bytes(rgb) * width for _ in range(height))
    return (b"\x89PNG\r\n\x1a\n"
            + chunk(b"IHDR", struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0))
            + chunk(b"IDAT", zlib.compress(rows)) + chunk(b"IEND", b""))


def make_picture_folder(root):
    """Two classes of 32×32 pictures, with one damaged file and one that is not a picture."""
    for name, colour, count in (("circle", (200, 40, 40), 5), ("square", (40, 40, 200), 4)):
        folder = os.path.join(root, name)
        os.makedirs(folder)
        for i in range(count):
            with open(os.path.join(folder, f"{name}-{i}.png"), "wb") as f:
                f.write(png(32, 32, (colour[0], colour[1] + 20 * i, colour[2])))
    with open(os.path.join(root, "square", "damaged.png"), "wb") as f:
        f.write(png(32, 32, (0, 0, 0))[:60])
    with open(os.path.join(root, "circle", "fake.png"), "wb") as f:
        f.write(b"this is not a picture")


def main():
    data_home = tempfile.mkdtemp(prefix="trb-datasets-")
    env = {"XDG_DATA_HOME": data_home, "TRB_DEMO_DIR": DEMO_DIR}
    # A tall window, so that the screenshots show the preview and the histogram together.
    d.gsettings("set", "window-height", "880")
    try:
        check(env, data_home)
    finally:
        d.gsettings("reset", "window-height")


def check(env, data_home):

    app = d.App(extra_env=env)
    try:
        app.show_area("Datasets")
        app.find("label", "No Datasets Yet")
        d.screenshot("datasets-empty")

        # The empty state offers the demo dataset: no file chooser needed.
        app.click(app.find("push button", contains="Demo Dataset"))
        app.find("list item", "demo-train-images-idx3-ubyte.gz")
        app.find("label", "2000 samples, 10 classes", timeout=30)
        app.find("label", "Ready")
        d.screenshot("datasets-list")

        app.click(app.find("push button", "Details of demo-train-images-idx3-ubyte.gz"))
        app.find("label", "Samples per Class")
        # The preview: thumbnails named after their class, from the demo network's names.
        d.wait_for(lambda: app.node.findChild(
            lambda n: n.roleName == "image" and n.name == "Ankle boot",
            retry=False, requireResult=False), what="a thumbnail of an ankle boot")
        # The histogram: 200 pictures of each of the 10 classes.
        for name in ("T-shirt/top", "Trouser", "Bag", "Ankle boot"):
            app.find("label", name)
        counts = app.node.findChildren(lambda n: n.roleName == "label" and n.name == "200")
        assert len(counts) == 10, f"expected 10 classes of 200, found {len(counts)}"
        app.find("label", "Usable")
        app.find("label", "What Leaves This Computer")
        time.sleep(4)  # let the "Added" toast go, so that it hides nothing
        d.screenshot("datasets-detail")

        # Pause, as a user would before leaving for a while; the status says so.
        app.click(app.find("push button", contains="Pause"))
        app.find("push button", contains="Resume")
        app.click(app.find("push button", "Back"))
        app.find("label", "Paused")
    finally:
        app.quit()

    # A folder with problems, added from the command line: the app shows it after a restart.
    pictures = os.path.join(data_home, "shapes")
    make_picture_folder(pictures)
    added = subprocess.run([CLI, "dataset", "add", pictures], env=d.app_env(env),
                           capture_output=True, text=True)
    print(added.stdout)
    assert "Left out: 2" in added.stdout, added.stdout + added.stderr

    app = d.App(extra_env=env)
    try:
        app.show_area("Datasets")
        app.find("list item", "shapes")
        app.find("label", "Problems")
        d.screenshot("datasets-list-problems")

        app.click(app.find("push button", "Details of shapes"))
        app.find("label", contains="“damaged.png” is incomplete")
        app.find("label", contains="“fake.png” is not a PNG or JPEG picture")
        app.find("label", contains="9 pictures are 32×32; this network needs 28×28")
        app.find("label", "Usable with changes")
        d.screenshot("datasets-problems")
    finally:
        app.quit()


if __name__ == "__main__":
    sys.exit(d.run(main))
