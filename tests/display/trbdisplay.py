# SPDX-License-Identifier: GPL-3.0-or-later
"""Helpers for display tests: start the real app under the test session's display, find widgets
through the accessibility tree (AT-SPI, with dogtail), act on them as a user would, and save
screenshots into the meson log folder.

The session (Xvfb, session bus, unlocked gnome-keyring, accessibility on) is prepared by
build-aux/session-wrapper, which `build-aux/dev test` runs the display suite in.
"""

import os
import subprocess
import sys
import time

BUILD_ROOT = os.environ["TRB_BUILD_ROOT"]
SCREENSHOT_DIR = os.path.join(BUILD_ROOT, "meson-logs", "screenshots")
APP_BINARY = os.path.join(BUILD_ROOT, "src", "ui", "tributary")
APP_ID = os.environ["TRB_APP_ID"]

if not os.environ.get("DISPLAY"):
    # The suite must not pass without a display: say what is missing and fail.
    sys.exit("No display: run the display suite with `build-aux/dev test`.")

from dogtail import config as _dogtail_config  # noqa: E402

_dogtail_config.config.logDebugToStdOut = False
_dogtail_config.config.logDebugToFile = False
_dogtail_config.config.searchShowingOnly = False
_dogtail_config.config.defaultDelay = 0.2
_dogtail_config.config.actionDelay = 0.2

from dogtail import tree  # noqa: E402


class NotFound(AssertionError):
    pass


def wait_for(predicate, timeout=15.0, what="a condition"):
    """Polls predicate until it returns something true, or fails after timeout seconds."""
    deadline = time.monotonic() + timeout
    while True:
        try:
            value = predicate()
        except Exception:  # the tree changes under us while the app builds widgets
            value = None
        if value:
            return value
        if time.monotonic() > deadline:
            raise NotFound(f"timed out after {timeout:.0f} s waiting for {what}")
        time.sleep(0.2)


def screenshot(name, window_name=None):
    """Saves the screen, trimmed to what is drawn, as SCREENSHOT_DIR/name.png."""
    os.makedirs(SCREENSHOT_DIR, exist_ok=True)
    path = os.path.join(SCREENSHOT_DIR, f"{name}.png")
    time.sleep(0.6)  # let animations finish
    subprocess.run(["import", "-window", "root", path], check=True)
    subprocess.run(["convert", path, "-trim", "+repage", path], check=True)
    print(f"screenshot: {path}")
    return path


def app_env(extra_env=None):
    """The environment the app runs in: the build folder's schemas, the session's settings."""
    env = dict(os.environ)
    env["GSETTINGS_SCHEMA_DIR"] = os.path.join(BUILD_ROOT, "data")
    env.pop("GSETTINGS_BACKEND", None)
    env.setdefault("GTK_A11Y", "atspi")
    if extra_env:
        env.update(extra_env)
    return env


def gnome_decorations_env():
    """The header bar buttons of GNOME (close only) for an app on this display, which has no
    window manager to say so and where GTK falls back to minimize, maximize and close. For tests
    of narrow windows: a phone-sized window on GNOME has only the close button."""
    import tempfile
    folder = tempfile.mkdtemp(prefix="tributary-gtk-settings-")
    os.makedirs(os.path.join(folder, "gtk-4.0"))
    with open(os.path.join(folder, "gtk-4.0", "settings.ini"), "w", encoding="utf-8") as f:
        f.write("[Settings]\ngtk-decoration-layout=appmenu:close\n")
    dirs = os.environ.get("XDG_CONFIG_DIRS") or "/etc/xdg"
    return {"XDG_CONFIG_DIRS": f"{folder}:{dirs}"}


def gsettings(*args):
    """Runs gsettings on the app's schema, as the user's own settings would be changed."""
    subprocess.run(["gsettings", args[0], APP_ID, *args[1:]], env=app_env(), check=True)


class App:
    """The app under test, started with a fresh environment."""

    def __init__(self, extra_env=None, args=(), log=None):
        """log: a file for the app's output (GLib writes debug messages to stdout)."""
        self.proc = subprocess.Popen([APP_BINARY, *args], env=app_env(extra_env), stdout=log,
                                     stderr=log)
        self.node = wait_for(self._find_app, timeout=30, what="the app on the accessibility bus")

    @classmethod
    def attach(cls, proc, timeout=120.0):
        """The app started by another program (`proc`, such as `build-aux/dev run`), found on
        the accessibility bus; quit() ends that program."""
        self = cls.__new__(cls)
        self.proc = proc
        self.node = wait_for(self._find_app, timeout=timeout,
                             what="the app on the accessibility bus")
        return self

    def _find_app(self):
        if self.proc.poll() is not None:
            raise SystemExit(f"the app exited early with status {self.proc.returncode}")
        for app in tree.root.applications():
            if app.name == "tributary":
                return app
        return None

    def find(self, role=None, name=None, contains=None, within=None, timeout=15.0):
        """Returns the first node with this role and name (or a name containing `contains`)."""
        root = within or self.node

        def match(n):
            if role is not None and n.roleName != role:
                return False
            if name is not None and n.name != name:
                return False
            if contains is not None and contains not in (n.name or ""):
                return False
            return True

        desc = f"{role or 'any'} named {name or contains!r}"
        return wait_for(lambda: root.findChild(match, retry=False, requireResult=False),
                        timeout=timeout, what=desc)

    def window(self, title, timeout=15.0):
        def find_window():
            for child in self.node.children:
                if child.name == title:
                    return child
            return None
        return wait_for(find_window, timeout=timeout, what=f"the window “{title}”")

    def close_window(self, title):
        """Clicks the window's own close button. Sub-pages of a window have close buttons of
        their own earlier in the tree, so the window's is the last one of the header; a toast
        has a Close button too, at the bottom of the window, so the highest one is taken."""
        win = self.window(title)
        buttons = win.findChildren(lambda n: n.roleName == "push button" and n.name == "Close")
        if not buttons:
            raise NotFound(f"the window “{title}” has no Close button")
        buttons = [b for b in buttons if b.showing] or buttons
        top = min(b.position[1] for b in buttons)
        self.click([b for b in buttons if b.position[1] == top][-1])
        wait_for(lambda: not self.has_window(title), what=f"the window “{title}” to close")

    def has_window(self, title):
        return any(child.name == title for child in self.node.children)

    def click(self, node):
        node.doActionNamed("click")

    def show_area(self, title):
        """Clicks the view-switcher tab named `title` (the header one, when both exist)."""
        tab = self.find("page tab", title)
        self.click(tab)

    def open_menu_item(self, label):
        """Opens the primary menu and activates one of its items."""
        menu_button = self.find("push button", "Main Menu")
        toggle = wait_for(lambda: menu_button.findChild(
            lambda n: "click" in n.actions, retry=False, requireResult=False),
            what="the main menu's button")
        self.click(toggle)
        self.click(self.find("menu item", label, timeout=10))

    def quit(self):
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()


def run(main):
    """Runs a test's main function and reports a failure with its traceback on stdout, which
    meson's log always shows (the accessibility libraries may leave stderr unusable)."""
    import traceback
    try:
        return main()
    except BaseException as e:  # SystemExit and assertion failures alike
        if isinstance(e, SystemExit) and not e.code:
            return 0
        traceback.print_exc(file=sys.stdout)
        sys.stdout.flush()
        return 1


# What a person can act on. Names of these must read as words; text fields are named by their
# label, not by their contents.
INTERACTIVE_ROLES = {
    "push button", "toggle button", "check box", "radio button", "page tab", "menu item",
    "check menu item", "radio menu item", "text", "password text", "entry", "combo box",
    "spin button", "slider", "switch", "link", "menu button",
}


def showing(root, max_width=None):
    """Every visible node under root (root included): a hidden subtree is not entered. GTK 4.8
    marks only windows as showing, and keeps the pages of a stack that are not shown visible,
    so those pages are walked too: their controls are real and must be named as well."""
    from gi.repository import Atspi
    stack = [root]
    while stack:
        node = stack.pop()
        try:
            if not node.getState().contains(Atspi.StateType.VISIBLE):
                continue
            children = list(node.children)
        except Exception:  # the widget went while we looked
            continue
        yield node
        # A view switcher wider than the window is the one its squeezer does not show
        # (libadwaita 1.2 lists it with the place it would take).
        try:
            if (max_width is not None and node.roleName == "page tab list"
                    and extents(node)[2] > max_width):
                continue
        except Exception:  # the widget went while we looked
            continue
        stack.extend(reversed(children))


def extents(node):
    """(x, y, width, height) of node inside its window."""
    from gi.repository import Atspi
    rect = node.get_extents(Atspi.CoordType.WINDOW)
    return rect.x, rect.y, rect.width, rect.height


def naming_problem(node):
    """Why node's accessible name does not read as words, or None."""
    import re
    name = (node.name or "").strip()
    if not name:
        return "has no name"
    if "_" in name:
        return "shows a mnemonic underscore"
    if re.search(r"\b(Gtk|Adw)[A-Z]|^(Gtk|Adw)", name):
        return "is named after its widget type"
    if name.lower() == (node.roleName or "").lower():
        return "is named after its role"
    doubled = re.search(r"\b(\w+)\s+\1\b", name, re.I)
    if doubled:
        return f"repeats “{doubled.group(1)}”"
    return None


def audit(root, where, max_width=None, check_labels=True, check_extents=True):
    """The problems a person using a screen reader or a narrow window meets under root: each
    interactive control without a name that reads as words, without a fitting role or that
    cannot take the keyboard, and each control or label that reaches past the window's width
    (max_width, else root's width; with check_extents False, names alone). Returns a list of
    sentences."""
    from gi.repository import Atspi
    problems = []
    width = max_width if max_width is not None else extents(root)[2]
    if check_extents and extents(root)[2] > width + 1:
        problems.append(f"{where}: the window is {extents(root)[2]} px wide: something in it "
                        f"needs more than {width} px")
    for node in showing(root, max_width=width):
        try:
            role = node.roleName
            actions = set(node.actions) if role not in ("label", "image") else set()
            name = node.name or ""
            state = node.getState()
        except Exception:
            continue
        interactive = role in INTERACTIVE_ROLES or bool(actions & {"click", "activate"})
        label = f"{where}: {role} “{name}”"
        if interactive:
            why = naming_problem(node)
            if why:
                try:
                    parent = f" (in {node.parent.roleName} “{node.parent.name}”)"
                except Exception:
                    parent = ""
                problems.append(f"{label} {why}{parent}")
            if role in ("unknown", "filler", "panel", "label") and actions:
                problems.append(f"{label} can be clicked but has no fitting role")
            # A menu button is a frame around the button that takes the keyboard.
            try:
                if (state.contains(Atspi.StateType.SENSITIVE)
                        and not state.contains(Atspi.StateType.FOCUSABLE)
                        and role not in ("menu item", "check menu item", "radio menu item")
                        and not any(c.getState().contains(Atspi.StateType.FOCUSABLE)
                                    for c in node.children)):
                    problems.append(f"{label} cannot take the keyboard")
            except Exception:  # the widget went while we looked
                pass
        if check_extents and (interactive or (check_labels and role == "label" and name)):
            try:
                x, _, w, h = extents(node)
            except Exception:  # the widget went while we looked
                continue
            if w > 0 and h > 0 and (x < -1 or x + w > width + 1):
                problems.append(f"{label} reaches past the {width}-px window "
                                f"(from {x} to {x + w})")
    return problems
