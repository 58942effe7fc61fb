#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-3.0-or-later
"""Every area and dialog as a screen reader, a keyboard and a phone-sized window meet them: at
360 × 640, each interactive control of Networks, a network's page, Datasets, a dataset's page,
Activity, History and Wallet, and of the Join, Add a Network, Preferences, Keyboard Shortcuts,
Host a Network, Close and About dialogs, has a name that reads as words (no mnemonic underscore,
no widget type, no word said twice) and a fitting role; Tab, pressed until the focus comes
round, reaches each of them (the Down arrow key from row to row in a list), and never stays put;
nothing reaches past 360 px, dialogs made that narrow included; and no label is cut off (the app
lists those with TRB_DEBUG_CUT_OFF=1). All problems are collected and listed before the test
fails. Screenshots go to meson-logs/screenshots/a11y-*.png."""

import os
import sys
import tempfile
import time

import demonetwork
import trbdisplay as d

WIDTH, HEIGHT = 360, 640


# Labels the app lets the toolkit shorten on purpose, each with why (the app prints a label
# that is cut off when started with TRB_DEBUG_CUT_OFF=1).
ALLOWED_CUT_OFF = {
}

# Windows the app cannot make 360 px wide, each with why. They are checked at their own width.
WIDER_THAN_A_PHONE = {
    "Keyboard Shortcuts": "GTK 4.8's GtkShortcutsWindow needs 404 px, even with no shortcut in it",
}


class Audit:
    def __init__(self, app, log_path):
        self.app = app
        self.log_path = log_path
        self.problems = []
        self.seen = []
        self.win = None
        self.cut_off = set()

    def check(self, where, root, title=None):
        """Names, roles and widths of what root's window shows, then the walk with the keyboard.
        A dialog is first made as narrow as the phone-sized main window: libadwaita 1.2 keeps
        the layouts of a message dialog that it does not show in the tree, with the places
        they would take, so in a dialog only the widths of what GTK draws are checked."""
        import x11input
        title = title or root.name
        main = title == "Tributary"
        wide = WIDER_THAN_A_PHONE.get(where)
        if wide:
            print(f"{where}: the width is not checked: {wide}")
        elif not main:
            window = d.wait_for(lambda: x11input.find_window(title),
                                what=f"the window “{title}” on the display")
            x11input.resize(window, WIDTH)
            time.sleep(0.5)  # GTK lays the window out again
        found = d.audit(root, where, max_width=WIDTH, drawn_only=not main,
                        check_extents=not wide)
        keys, order = d.keyboard_walk(root, title, where, width=None if wide else WIDTH)
        print(f"{where}: Tab{' → '.join([''] + order)}")
        found += keys
        d.screenshot("a11y-" + where.lower().replace(" ", "-").replace("’", ""))
        for text in d.cut_off_texts(self.log_path, ALLOWED_CUT_OFF):
            if text not in self.cut_off:
                self.cut_off.add(text)
                found.append(f"{where} (or just before): a label is cut off: {text}")
        print(f"{where}: {len(found)} problems")
        for problem in found:
            print(f"  {problem}")
        self.problems.extend(found)
        self.seen.append(where)


def close_dialog(app, title):
    """Escape closes each of these dialogs, as it does for a keyboard user."""
    import x11input
    x11input.focus(d.wait_for(lambda: x11input.find_window(title),
                              what=f"the window “{title}” on the display"))
    x11input.press_key("Escape")
    d.wait_for(lambda: not app.has_window(title), what=f"the window “{title}” to close")


def main():
    d.gsettings("set", "window-width", str(WIDTH))
    d.gsettings("set", "window-height", str(HEIGHT))
    for key in ("run-in-background", "asked-about-background", "paused-until"):
        d.gsettings("reset", key)
    d.gsettings("set", "only-when-idle", "false")
    network = demonetwork.DemoNetwork(round_seconds=20)
    data_home = tempfile.mkdtemp(prefix="tributary-a11y-test-")
    log_path = os.path.join(data_home, "app.log")
    log = open(log_path, "w", encoding="utf-8")
    app = d.App(extra_env={**network.app_env(data_home), **d.gnome_decorations_env(),
                           "TRB_DEBUG_CUT_OFF": "1"}, log=log)
    audit = Audit(app, log_path)
    try:
        walk(app, audit)
    except BaseException:
        try:
            app.proc.wait(timeout=2)
        except Exception:  # still running: the failure is the test's
            pass
        if app.proc.poll() is not None:
            print(f"the app ended with status {app.proc.returncode}:")
            with open(log_path, encoding="utf-8", errors="replace") as f:
                print(f.read()[-3000:])
        raise
    finally:
        app.quit()
        network.stop()
        for key in ("window-width", "window-height", "only-when-idle", "run-in-background",
                    "asked-about-background"):
            d.gsettings("reset", key)
    print(f"checked: {', '.join(audit.seen)}")
    for problem in audit.problems:
        print(f"PROBLEM {problem}")
    assert not audit.problems, f"{len(audit.problems)} problems (listed above)"
    return 0


def walk(app, audit):
    win = app.window("Tributary")

    app.show_area("Networks")
    app.find("label", "Join a Learning Network")
    audit.win = win
    audit.check("Networks", win)

    app.click(app.find("push button", contains="Add by Address"))
    dialog = app.window("Add a Network")
    audit.check("Add a Network", dialog)
    close_dialog(app, "Add a Network")

    app.click(app.find("push button", contains="Join the Demo Network"))
    dialog = app.window("Fashion-MNIST demo", timeout=60)
    join = app.find("push button", within=dialog, contains="Join")
    d.wait_for(lambda: join.sensitive, timeout=60, what="Join to be possible")
    audit.check("Join", dialog)
    app.click(join)
    d.wait_for(lambda: not app.has_window("Fashion-MNIST demo"), timeout=60,
               what="the join to finish")

    app.show_area("Networks")
    app.click(app.find("push button", "Details of Fashion-MNIST demo", timeout=30))
    app.find("label", "What leaves this computer", timeout=30)
    audit.check("Network Page", win)
    app.click(app.find("push button", "Back"))

    app.show_area("Datasets")
    def details_or_add():
        return app.node.findChild(lambda n: n.roleName == "push button" and (
            (n.name or "").startswith("Details of demo-train") or "Demo Dataset" in (n.name or "")),
            retry=False, requireResult=False)
    found = d.wait_for(details_or_add, timeout=30, what="a dataset or the demo to add")
    if "Demo Dataset" in found.name:
        app.click(found)
    details = app.find("push button", contains="Details of demo-train", timeout=30)
    audit.check("Datasets", win)
    app.click(details)
    app.find("label", "Samples per Class", timeout=30)
    audit.check("Dataset Page", win)
    app.click(app.find("push button", "Back"))

    app.show_area("Wallet")
    audit.check("Wallet", win)

    app.show_area("Activity")
    d.wait_for(lambda: app.node.findChild(
        lambda n: n.roleName == "label" and "Round 1 contributed" in (n.name or ""),
        retry=False, requireResult=False), timeout=180, what="round 1 to be contributed")
    audit.check("Activity", win)

    app.show_area("History")
    d.wait_for(lambda: app.node.findChild(
        lambda n: n.roleName == "label" and "verified in the ledger" in (n.name or ""),
        retry=False, requireResult=False), timeout=180, what="a verified reward entry")
    audit.check("History Rewards", win)
    provenance = d.wait_for(lambda: app.node.findChild(
        lambda n: n.name == "Provenance" and "click" in n.actions,
        retry=False, requireResult=False), what="the Provenance section")
    app.click(provenance)
    audit.check("History Provenance", win)

    app.open_menu_item("Preferences")
    prefs = app.window("Preferences")
    # The wide and the narrow view switchers both list the pages: each is checked once.
    tabs = list(dict.fromkeys(t.name for t in prefs.findChildren(
        lambda n: n.roleName == "page tab")))
    for tab in tabs or [None]:
        if tab:
            app.click(app.find("page tab", tab, within=prefs))
        audit.check(f"Preferences {tab or ''}".strip(), prefs)
    if "Networks" in tabs:
        app.click(app.find("page tab", "Networks", within=prefs))
        app.click(app.find("push button", contains="Start", within=prefs))
        question = app.window("Listen on the Local Network?")
        audit.check("Host a Network", question)
        app.click(app.find("push button", contains="Cancel", within=question))
        d.wait_for(lambda: not app.has_window("Listen on the Local Network?"),
                   what="the question to close")
    app.close_window("Preferences")

    app.open_menu_item("Keyboard Shortcuts")
    shortcuts = d.wait_for(lambda: next((c for c in app.node.children
                                         if c.name not in ("Tributary", "")), None),
                           what="the Keyboard Shortcuts window")
    audit.check("Keyboard Shortcuts", shortcuts, shortcuts.name)
    close_dialog(app, shortcuts.name)

    app.open_menu_item("About Tributary")
    about = d.wait_for(lambda: next((c for c in app.node.children
                                     if c.name not in ("Tributary", "")), None),
                       what="the About window")
    audit.check("About", about)
    close_dialog(app, about.name)

    # Closing the window with a network joined asks what to do.
    buttons = win.findChildren(lambda n: n.roleName == "push button" and n.name == "Close")
    app.click(buttons[-1])
    app.find("push button", contains="Keep Contributing", timeout=15)
    question = d.wait_for(lambda: next((c for c in app.node.children
                                        if c.name != "Tributary" and c.findChild(
                                            lambda n: "Keep Contributing" in (n.name or ""),
                                            retry=False, requireResult=False)), None),
                          what="the close question")
    audit.check("Close Question", question)


if __name__ == "__main__":
    sys.exit(d.run(main))
