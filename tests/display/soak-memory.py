#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-3.0-or-later
"""The app's memory over many rounds: a measuring program, not a test.

Joins a demo network with short rounds, then samples the app's resident memory (VmRSS) and the
rounds it has contributed, first with the window open (showing each area in turn, as a person
looking in now and then would), then with the window closed and the app contributing in the
background. Prints one line per sample and a summary; run it in a throw-away session as the
display tests are run:

    soak-memory.py [MINUTES] [ROUND_SECONDS]

MINUTES (default 60) is split evenly between the two phases. With TRB_SOAK_WRAPPER set (for
example to "heaptrack -o /tmp/app"), the app is started under that program; with
TRB_SOAK_OPEN_ONLY set, the app is ended after the first phase, so that what a profiler reports
as never freed is what the open window held."""

import os
import shlex
import signal
import subprocess
import sys
import tempfile
import time

import demonetwork
import trbdisplay as d

AREAS = ("Networks", "Activity", "History", "Datasets", "Wallet")


def rss_kib(pid):
    with open(f"/proc/{pid}/status", encoding="ascii") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    return 0


def start_app(env):
    wrapper = shlex.split(os.environ.get("TRB_SOAK_WRAPPER", ""))
    proc = subprocess.Popen([*wrapper, d.APP_BINARY], env=d.app_env(env),
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    return d.App.attach(proc)


def sample(app, pid, data_home, started, phase):
    rounds = len(demonetwork.contributed_rounds(data_home))
    mib = rss_kib(pid) / 1024
    print(f"{(time.monotonic() - started) / 60:6.1f} min  {phase:7}  rounds {rounds:4}  "
          f"RSS {mib:7.1f} MiB", flush=True)
    return mib


def main():
    minutes = float(sys.argv[1]) if len(sys.argv) > 1 else 60
    round_seconds = int(sys.argv[2]) if len(sys.argv) > 2 else 20
    network = demonetwork.DemoNetwork(round_seconds=round_seconds)
    data_home = tempfile.mkdtemp(prefix="tributary-soak-")
    env = network.app_env(data_home)
    d.gsettings("set", "only-when-idle", "false")
    d.gsettings("set", "run-in-background", "true")
    d.gsettings("set", "asked-about-background", "true")
    app = None
    try:
        app = start_app(env)
        pid = app.node.get_process_id()
        demonetwork.join(app)
        started = time.monotonic()
        figures = {"open": [], "closed": []}
        area = 0
        while time.monotonic() - started < minutes * 30:
            try:
                app.show_area(AREAS[area % len(AREAS)])
            except d.NotFound:
                pass  # a busy machine answers the accessibility bus late; the next turn shows it
            area += 1
            figures["open"].append(sample(app, pid, data_home, started, "open"))
            time.sleep(30)
        if os.environ.get("TRB_SOAK_OPEN_ONLY"):
            os.kill(pid, signal.SIGTERM)  # what is still allocated now is what a profiler reports
            return
        for attempt in range(5):
            try:
                app.close_window("Tributary")
                break
            except d.NotFound:
                # On a busy machine the accessibility tree may come back without the header.
                if attempt == 4:
                    raise
                time.sleep(5)
        while time.monotonic() - started < minutes * 60:
            time.sleep(30)
            assert app.proc.poll() is None, "the app ended"
            figures["closed"].append(sample(app, pid, data_home, started, "closed"))
        for phase, values in figures.items():
            if values:
                print(f"{phase}: first {values[0]:.1f} MiB, last {values[-1]:.1f} MiB, "
                      f"highest {max(values):.1f} MiB")
    finally:
        if app is not None and app.proc.poll() is None:
            app.proc.terminate()
            app.proc.wait(timeout=30)
        network.stop()


if __name__ == "__main__":
    d.run(main)
