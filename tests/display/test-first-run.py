#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-3.0-or-later
"""The first minute, as a new person has it: `build-aux/dev run` started as the README says,
with a fresh home folder and nothing else set, one click on Join the Demo Network and one on
Join, nobody else taking part — and a verified reward in the History area within 60 s of the
click. Run twice: once where nothing can tell whether the computer is in use, and once beside
a stand-in for GNOME's idle monitor saying that the person is using it (joining asks for the
first round now, whatever the idle rule says). Afterwards the app is quit, and `dev run` must
have exited 0 and left no process of its own behind. Screenshots of each step go to
meson-logs/screenshots/ (first-run-*.png)."""

import os
import signal
import subprocess
import sys
import tempfile
import time

import trbdisplay as d

SOURCE_ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
DEV = os.path.join(SOURCE_ROOT, "build-aux", "dev")
IDLE_MONITOR = os.path.join(os.path.dirname(os.path.abspath(__file__)), "fake-idle-monitor.py")
# The promise is a reward within a minute. Under AddressSanitizer everything runs several
# times slower, and there the test is about the flow, not the minute.
REWARD_SECONDS = 60 if "ASAN_OPTIONS" not in os.environ else 240


def person_env(home):
    """What a person's terminal has: a home, a path, the desktop's display and session bus.
    No XDG folders, no settings backend, no variable of the project's tests: the app, the demo
    node and their data live where `dev run` and the app put them by themselves. The build
    folder is the one under test (the dev script's own TRB_BUILDDIR, which a person may set)."""
    env = {"HOME": home, "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
           "LANG": os.environ.get("LANG", "C.UTF-8"),
           "TRB_BUILDDIR": d.BUILD_ROOT}
    for name in ("DISPLAY", "XAUTHORITY", "DBUS_SESSION_BUS_ADDRESS", "TMPDIR",
                 "ASAN_OPTIONS", "UBSAN_OPTIONS"):
        if os.environ.get(name):
            env[name] = os.environ[name]
    return env


def processes_in_group(pgid):
    """The processes left in the process group `dev run` was started in."""
    left = []
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/stat", encoding="utf-8") as f:
                fields = f.read().rsplit(")", 1)[1].split()
            with open(f"/proc/{entry}/cmdline", "rb") as f:
                cmdline = f.read().replace(b"\0", b" ").decode(errors="replace").strip()
        except OSError:
            continue
        if int(fields[2]) == pgid and fields[0] != "Z":
            left.append(f"{entry}: {cmdline}")
    return left


def quit_app():
    """app.quit through the application's exported actions, as the desktop's Quit does."""
    path = "/" + d.APP_ID.replace(".", "/")
    subprocess.run(["gdbus", "call", "--session", "--dest", d.APP_ID, "--object-path", path,
                    "--method", "org.gtk.Actions.Activate", "quit", "[]", "{}"],
                   check=True, stdout=subprocess.DEVNULL, timeout=20)


def rewards_shown(app):
    """The History area's verified reward rows."""
    return app.node.findChildren(
        lambda n: n.roleName == "label" and "verified in the ledger" in (n.name or ""))


def first_minute(label):
    home = tempfile.mkdtemp(prefix=f"tributary-first-run-{label}-")
    dev = subprocess.Popen([DEV, "run"], env=person_env(home), cwd=home,
                           start_new_session=True)
    try:
        app = d.App.attach(dev)
        app.window("Tributary", timeout=120)
        app.show_area("Networks")
        d.screenshot(f"first-run-{label}-1-networks")

        # One click: the demo network's page, with the demo pictures chosen.
        app.click(app.find("push button", contains="Join the Demo Network"))
        dialog = app.window("Fashion-MNIST demo", timeout=60)
        app.find("label", contains="Demo pictures", within=dialog)
        d.screenshot(f"first-run-{label}-2-network-page")

        # The one confirmation: Join.
        start = time.monotonic()
        app.click(app.find("push button", within=dialog, contains="Join"))
        d.wait_for(lambda: not app.has_window("Fashion-MNIST demo"), timeout=30,
                   what="the join to finish")
        app.show_area("Activity")
        seen = d.wait_for(lambda: app.node.findChild(
            lambda n: n.roleName == "label" and (n.name or "").startswith(
                ("Downloading", "Training", "Sending", "Confirming", "Contributed")),
            retry=False, requireResult=False), timeout=REWARD_SECONDS,
            what="training to start after Join")
        print(f"{label}: Activity area says “{seen.name}” "
              f"{time.monotonic() - start:.1f} s after Join")
        d.screenshot(f"first-run-{label}-3-activity")

        app.show_area("History")
        remaining = max(1.0, REWARD_SECONDS - (time.monotonic() - start))
        try:
            rows = d.wait_for(lambda: rewards_shown(app), timeout=remaining,
                              what="a verified reward in the History area")
        except d.NotFound:
            d.screenshot(f"first-run-{label}-4-no-reward")
            raise
        elapsed = time.monotonic() - start
        print(f"{label}: verified reward shown {elapsed:.1f} s after Join: “{rows[0].name}”")
        assert elapsed <= REWARD_SECONDS, elapsed
        d.screenshot(f"first-run-{label}-4-reward")

        if label == "person-active":
            # The round Join asked for is in; the Activity area says what later rounds wait for.
            app.show_area("Activity")
            later = d.wait_for(lambda: app.node.findChild(
                lambda n: n.roleName == "label" and (n.name or "").startswith(
                    "Later rounds wait for the rules in Preferences: waiting for the computer "
                    "to be idle"), retry=False, requireResult=False), timeout=30,
                what="the Activity area to say that later rounds wait for the rules")
            print(f"{label}: Activity area says “{later.name}”")
            d.screenshot(f"first-run-{label}-5-later-rounds")

        quit_app()
        status = dev.wait(timeout=30)
        assert status == 0, f"build-aux/dev run exited {status}"
        time.sleep(0.5)
        left = processes_in_group(dev.pid)
        assert not left, "left running after the app quit:\n" + "\n".join(left)
        print(f"{label}: dev run exited 0 and left nothing running")
    finally:
        if dev.poll() is None:
            os.killpg(dev.pid, signal.SIGTERM)
            try:
                dev.wait(timeout=10)
            except subprocess.TimeoutExpired:
                os.killpg(dev.pid, signal.SIGKILL)
        for line in processes_in_group(dev.pid):
            os.kill(int(line.split(":")[0]), signal.SIGKILL)


def main():
    # Nothing tells whether the computer is in use: it counts as idle.
    first_minute("no-idle-source")

    # GNOME's idle monitor says the person is using the computer.
    monitor = subprocess.Popen([sys.executable, IDLE_MONITOR, "--active"],
                               stdout=subprocess.PIPE, text=True)
    try:
        ready = monitor.stdout.readline().strip()
        assert ready == "ready", f"the idle monitor stand-in did not start: {ready!r}"
        first_minute("person-active")
    finally:
        monitor.terminate()
        monitor.wait(timeout=10)
    return 0


if __name__ == "__main__":
    raise SystemExit(d.run(main))
