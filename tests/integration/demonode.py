# SPDX-License-Identifier: GPL-3.0-or-later
"""A `tributary-node demo` for the integration tests written in Python: started in a temporary
folder with the options a test gives, on 127.0.0.1 port 0, and stopped (its folder removed) when
the test ends."""

import os
import shutil
import subprocess
import tempfile
import time


class DemoNode:
    """Use as a context manager: `with DemoNode(build_root, "--idle-timeout", "2") as node:`.
    `node.proc` is the process, `node.url` the URL it serves and `node.port` its port."""

    def __init__(self, build_root, *options, prefix="trb-node-", timeout=60):
        self.work = tempfile.mkdtemp(prefix=prefix)
        url_file = os.path.join(self.work, "url")
        self.proc = subprocess.Popen([os.path.join(build_root, "src", "node", "tributary-node"),
                                      "demo", "--data", os.path.join(self.work, "node"),
                                      "--url-file", url_file, *options])
        try:
            # The node writes the URL file once it listens; a start takes seconds on a busy
            # machine (the demo network is created on the first one).
            deadline = time.monotonic() + timeout
            while not (os.path.exists(url_file) and os.path.getsize(url_file) > 0):
                assert self.proc.poll() is None, "the node ended while starting"
                assert time.monotonic() < deadline, "the node did not start"
                time.sleep(0.1)
            with open(url_file, encoding="utf-8") as f:
                self.url = f.read().strip()
            self.port = int(self.url.rsplit(":", 1)[1].rstrip("/"))
        except BaseException:
            self.stop()
            raise

    def stop(self):
        if self.proc.poll() is None:
            self.proc.terminate()
        self.proc.wait(timeout=30)
        shutil.rmtree(self.work, ignore_errors=True)

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.stop()
        return False


def rss_kib(pid):
    """The resident size of process `pid`, in KiB."""
    with open(f"/proc/{pid}/status", encoding="utf-8") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    raise AssertionError("no VmRSS")
