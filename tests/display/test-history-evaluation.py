#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-3.0-or-later
"""The History area keeps what it showed. A real node with two contributed rounds stays up
(tests/history/history-fixture --serve); the person evaluates the newest model version on the
demo pictures. The result must still be shown after a minute that covers syncs of the History
area, and after a restart, until the person removes it. While nothing changes, the app showing
History uses next to no processor time. The model versions read in plain words, with the hashes
under Details. Screenshots go to meson-logs/screenshots/."""

import os
import subprocess
import tempfile
import time

import trbdisplay as d

FIXTURE = os.path.join(d.BUILD_ROOT, "tests", "history", "history-fixture")
SOURCE_ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
RESULT = "On “"          # the start of an evaluation result's first line
OLD_RESYNC_SECONDS = 30  # how often the History area used to read and rebuild everything
IDLE_CPU_LIMIT = 0.2     # processor seconds the app may use while nothing changes


def start_network(work):
    env = dict(os.environ)
    env["XDG_DATA_HOME"] = os.path.join(work, "nodes")
    env["GIO_USE_PROXY_RESOLVER"] = "dummy"
    fixture = subprocess.Popen([FIXTURE, os.path.join(work, "out"), "--serve"], env=env,
                               stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                               stderr=subprocess.DEVNULL, text=True)
    deadline = time.monotonic() + 240
    for line in fixture.stdout:
        if line.strip() == "serving":
            return fixture
        if time.monotonic() > deadline:
            break
    fixture.kill()
    raise SystemExit("the history fixture did not start its network")


def result_labels(app):
    return app.node.findChildren(lambda n: n.roleName == "label" and
                                 (n.name or "").startswith(RESULT) and "accura" in n.name)


def labels(app, contains):
    return app.node.findChildren(lambda n: n.roleName == "label" and contains in (n.name or ""))


def show_provenance(app):
    app.show_area("History")
    app.find("label", "Reward Entries", timeout=20)
    button = d.wait_for(lambda: app.node.findChild(
        lambda n: n.name == "Provenance" and
        n.roleName in ("page tab", "toggle button", "radio button") and "click" in n.actions,
        retry=False, requireResult=False), what="the Provenance section button")
    app.click(button)
    d.wait_for(lambda: labels(app, "includes your work"), timeout=20,
               what="the model versions")


def cpu_seconds(pid):
    with open(f"/proc/{pid}/stat") as f:
        fields = f.read().rsplit(")", 1)[1].split()
    # utime and stime, the 14th and 15th fields, counting from the pid.
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def count_syncs(log_path):
    with open(log_path, errors="replace") as f:
        return f.read().count("History brought up to date")


def main():
    work = tempfile.mkdtemp(prefix="tributary-history-evaluation-")
    fixture = start_network(work)
    log_path = os.path.join(work, "app.log")
    env = {"XDG_DATA_HOME": os.path.join(work, "out", "rounds"),
           "GIO_USE_PROXY_RESOLVER": "dummy",
           "TRB_DEMO_DIR": os.path.join(SOURCE_ROOT, "data", "demo"),
           "G_MESSAGES_DEBUG": "trb-history-page"}
    try:
        log = open(log_path, "w")
        app = d.App(extra_env=env, log=log)
        try:
            show_provenance(app)
            # Version rows in plain words: no hash in the first line, the hash under Details.
            titles = [n.name for n in labels(app, "includes your work")]
            assert all(t.startswith("Version ") and "% accurate" in t for t in titles), titles
            d.screenshot("history-versions")

            assert not result_labels(app), "a result shown before any evaluation"
            evaluate = app.find("push button", "Evaluate on My Data")
            app.click(evaluate)
            dialog = app.window("Evaluate This Version")
            d.screenshot("history-evaluate-dialog")
            app.click(app.find("push button", "Evaluate", within=dialog, timeout=10))
            d.wait_for(lambda: result_labels(app), timeout=120, what="the evaluation result")
            shown_at = time.monotonic()
            result = result_labels(app)[0].name
            print(f"result: {result}")
            d.screenshot("history-evaluation-result")

            # Idle: History shown, nothing changing. Measured over longer than the interval at
            # which the area used to re-read and rebuild itself.
            time.sleep(3)
            before = cpu_seconds(app.proc.pid)
            time.sleep(OLD_RESYNC_SECONDS + 5)
            used = cpu_seconds(app.proc.pid) - before
            print(f"processor time while idle over {OLD_RESYNC_SECONDS + 5} s: {used:.3f} s")
            assert result_labels(app), "the result was gone after the History area's resync"
            assert used < IDLE_CPU_LIMIT, f"{used:.3f} s of processor time while idle"

            # Leaving and coming back syncs every network again; the result stays, and the rows
            # are the same objects: nothing was rebuilt (a rebuilt row has a new accessible).
            rows_before = sorted(n.path for n in labels(app, "includes your work") +
                                 result_labels(app))
            syncs = count_syncs(log_path)
            app.show_area("Networks")
            time.sleep(1)
            show_provenance(app)
            d.wait_for(lambda: count_syncs(log_path) > syncs, timeout=60,
                       what="the History area to sync again")
            time.sleep(max(0.0, 62 - (time.monotonic() - shown_at)))
            assert [n.name for n in result_labels(app)] == [result], \
                "the result changed or went after a minute and a sync"
            rows_after = sorted(n.path for n in labels(app, "includes your work") +
                                result_labels(app))
            assert rows_after == rows_before, "rows were rebuilt by a sync that found nothing new"
            print(f"still shown after {time.monotonic() - shown_at:.0f} s and "
                  f"{count_syncs(log_path)} syncs")
        finally:
            app.quit()
            log.close()

        # After a restart: still there, until the person removes it.
        app = d.App(extra_env=env)
        try:
            show_provenance(app)
            d.wait_for(lambda: [n.name for n in result_labels(app)] == [result],
                       what="the result after a restart")
            d.screenshot("history-evaluation-after-restart")
            app.click(app.find("push button", "Remove This Result"))
            d.wait_for(lambda: not result_labels(app), what="the result to go once removed")
        finally:
            app.quit()

        app = d.App(extra_env=env)
        try:
            show_provenance(app)
            time.sleep(2)
            assert not result_labels(app), "a removed result came back after a restart"
        finally:
            app.quit()
    finally:
        fixture.stdin.close()
        try:
            fixture.wait(timeout=30)
        except subprocess.TimeoutExpired:
            fixture.kill()
            fixture.wait()


if __name__ == "__main__":
    raise SystemExit(d.run(main))
