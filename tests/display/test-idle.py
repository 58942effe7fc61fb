#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-3.0-or-later
"""An area with nothing happening uses no processor: the app is opened, the History area, the
Activity area (no round runs), the Networks area and the Datasets area are shown in turn, and
over 10 s each (the Datasets area twice: empty, then with the demo dataset's page open)
- the app's processor time (utime + stime of every thread) stays under 1 % of one core;
- its main thread, which runs every timer of the UI, wakes up fewer than 5 times (a page that
  ticks once a second wakes it ten times);
- and it sleeps with no timer armed at all: in poll() with no timeout, as /proc shows its
  system call. A page that polls even every 15 minutes sleeps with a timeout.
Then a joined network whose node went away: while the Activity area counts down to the next
try ("Retrying in 30 s"), the History area is shown, and over 20 s the main thread wakes up
fewer than 40 times: the countdown ticks only while it is on screen (ticking out of sight woke
it about 200 times; the loop's own retry wakes it a few times)."""

import os
import tempfile
import time

import demonetwork
import trbdisplay as d

SOURCE_ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
DEMO_DIR = os.path.join(SOURCE_ROOT, "data", "demo")
SPAN = 10.0
MAX_CPU_SHARE = 0.01
MAX_WAKEUPS = 5
MAX_HIDDEN_COUNTDOWN_WAKEUPS = 40
TICKS = os.sysconf("SC_CLK_TCK")


def cpu_seconds(pid):
    """Processor time of the whole process, all threads, in seconds."""
    with open(f"/proc/{pid}/stat", encoding="ascii") as f:
        fields = f.read().rsplit(")", 1)[1].split()
    # After the command's closing parenthesis: state is field 0, utime 11, stime 12.
    return (int(fields[11]) + int(fields[12])) / TICKS


def main_thread_wakeups(pid):
    """How many times the main thread went to sleep and was woken: its voluntary switches."""
    with open(f"/proc/{pid}/task/{pid}/status", encoding="ascii") as f:
        for line in f:
            if line.startswith("voluntary_ctxt_switches:"):
                return int(line.split()[1])
    raise AssertionError("no voluntary_ctxt_switches in /proc")


POLL, PPOLL = 7, 271  # x86-64 system call numbers


def main_thread_sleep(pid):
    """The main thread's system call as it sleeps, from /proc: its number and arguments."""
    with open(f"/proc/{pid}/task/{pid}/syscall", encoding="ascii") as f:
        return f.read().split()


def sleeps_without_timeout(call):
    """Whether `call` (from main_thread_sleep()) waits with no end: poll(fds, n, -1), or
    ppoll(fds, n, NULL, …)."""
    number = int(call[0])
    if number == POLL:
        return int(call[3], 16) & 0xFFFFFFFF == 0xFFFFFFFF
    if number == PPOLL:
        return int(call[3], 16) == 0
    return None  # another machine or C library: not known, not checked


def wakeups_over(app, span):
    pid = app.proc.pid
    before = main_thread_wakeups(pid)
    time.sleep(span)
    return main_thread_wakeups(pid) - before


def check_countdown_hidden():
    """A network retries: its countdown wakes the app only while the Activity area is shown."""
    network = demonetwork.DemoNetwork(round_seconds=600)
    data_home = tempfile.mkdtemp(prefix="tributary-idle-retry-test-")
    d.gsettings("set", "only-when-idle", "false")
    app = d.App(extra_env=network.app_env(data_home))
    try:
        demonetwork.join(app)
        network.stop()
        app.show_area("Activity")
        app.find("label", contains="Retrying in", timeout=120)
        shown = wakeups_over(app, 5.0)
        print(f"Activity, counting down: {shown} wakeups of the main thread in 5 s")
        app.show_area("History")
        time.sleep(3.0)
        hidden = wakeups_over(app, 2 * SPAN)
        print(f"History, a network counting down out of sight: {hidden} wakeups of the main "
              f"thread in {2 * SPAN:.0f} s")
        assert hidden < MAX_HIDDEN_COUNTDOWN_WAKEUPS, \
            f"the hidden countdown woke the main thread {hidden} times in {2 * SPAN:.0f} s"
    finally:
        app.quit()
        network.stop()


def measure(app, where):
    # Let the area settle: its first layout, the accessibility tree the test just read.
    time.sleep(3.0)
    pid = app.proc.pid
    cpu0, wake0 = cpu_seconds(pid), main_thread_wakeups(pid)
    time.sleep(SPAN)
    cpu1, wake1 = cpu_seconds(pid), main_thread_wakeups(pid)
    call = main_thread_sleep(pid)
    print(f"{where}: main thread sleeps in system call {call[:4]}")
    share = (cpu1 - cpu0) / SPAN
    wakeups = wake1 - wake0
    print(f"{where}: {share * 100:.2f} % of one core, {wakeups} wakeups of the main thread "
          f"in {SPAN:.0f} s")
    assert share < MAX_CPU_SHARE, f"{where} used {share * 100:.2f} % of a core while idle"
    assert wakeups < MAX_WAKEUPS, f"{where} woke the main thread {wakeups} times while idle"
    assert sleeps_without_timeout(call) is not False, \
        f"{where} keeps a timer armed while idle: the main thread sleeps in {call[:4]}"


def main():
    data_home = tempfile.mkdtemp(prefix="tributary-idle-test-")
    app = d.App(extra_env={"XDG_DATA_HOME": data_home, "GIO_USE_PROXY_RESOLVER": "dummy",
                           "TRB_DEMO_DIR": DEMO_DIR})
    try:
        app.window("Tributary")
        app.show_area("History")
        app.find(None, contains="History", timeout=20)
        measure(app, "History")
        app.show_area("Activity")
        app.find(None, "Nothing Is Running", timeout=20)
        measure(app, "Activity")
        app.show_area("Networks")
        app.find(None, "Join a Learning Network", timeout=20)
        measure(app, "Networks")
        app.show_area("Datasets")
        app.find("push button", contains="Demo Dataset", timeout=20)
        measure(app, "Datasets")
        app.click(app.find("push button", contains="Demo Dataset"))
        app.find("label", "Ready", timeout=60)
        app.click(app.find("push button", "Details of demo-train-images-idx3-ubyte.gz"))
        d.wait_for(lambda: app.node.findChild(
            lambda n: n.roleName == "image" and n.name == "Ankle boot",
            retry=False, requireResult=False), timeout=60, what="the dataset's preview")
        time.sleep(5)  # the "Added" toast goes by itself: a timer while it shows
        measure(app, "Datasets, a dataset's page")
    finally:
        app.quit()
    check_countdown_hidden()


if __name__ == "__main__":
    raise SystemExit(d.run(main))
