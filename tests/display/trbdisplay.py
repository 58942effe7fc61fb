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


def audit(root, where, max_width=None, check_labels=True, check_extents=True, drawn_only=False):
    """The problems a person using a screen reader or a narrow window meets under root: each
    interactive control without a name that reads as words, without a fitting role or that
    cannot take the keyboard, and each control or label that reaches past the window's width
    (max_width, else root's width; with check_extents False, names alone; with drawn_only,
    only the widths of what GTK draws now, see on_screen()). Returns a list of sentences."""
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
            if (w > 0 and h > 0 and (x < -1 or x + w > width + 1)
                    and (not drawn_only or on_screen(root, node, width))):
                problems.append(f"{label} reaches past the {width}-px window "
                                f"(from {x} to {x + w})")
    return problems


def cut_off_texts(log_path, allowed=()):
    """The texts the app listed as cut off in its log (it lists them with TRB_DEBUG_CUT_OFF=1,
    see src/ui/trb-a11y.c), less those in `allowed` (texts, or parts of texts, that are meant
    to be shortened)."""
    import re
    with open(log_path, encoding="utf-8", errors="replace") as f:
        found = re.findall(r"^cut off: (.*)$", f.read(), re.M)
    return [line for line in found if not any(a in line for a in allowed)]


def _ancestors(node, root):
    """node's ancestors up to root (root excluded), nearest first."""
    found = []
    try:
        parent = node.parent
        while parent is not None and parent != root and len(found) < 64:
            found.append(parent)
            parent = parent.parent
    except Exception:  # the widget went while we looked
        pass
    return found


def on_screen(root, node, width=None):
    """Whether node is drawn in root's window now: GTK answers where a point is by picking the
    widget drawn there, which skips the pages of a stack that are not shown (AT-SPI lists them
    as visible, with the place they had) and what a dialog keeps hidden. The point is node's
    middle, moved inside the window's width when node reaches past it."""
    from gi.repository import Atspi
    x, y, w, h = extents(node)
    if w <= 0 or h <= 0:
        return False
    width = width if width is not None else extents(root)[2]
    px = min(max(x + w // 2, 1), max(width - 2, 1))
    try:
        hit = root.get_accessible_at_point(px, y + h // 2, Atspi.CoordType.WINDOW)
    except Exception:
        return False
    if hit is None:
        return False
    return hit == node or node in _ancestors(hit, root)


def _row_of(node, root):
    """The list row node is in (itself when it is one), or None."""
    for n in [node] + _ancestors(node, root):
        try:
            if n.roleName in ("list item", "row"):
                return n
        except Exception:
            return None
    return None


def _in_list(node, root):
    return _row_of(node, root) is not None


def keyboard_walk(root, window_title, where, width=None):
    """Walks root's window with the keyboard as a person without a mouse does: the window gets
    the keyboard, then Tab is pressed until the focus comes back to a control it was on (or a
    bound of presses), and the control that holds the focus (AT-SPI's focused state) is noted
    after each press. In a list, Tab enters one row and then leaves the list: the other rows
    are reached with the Down arrow key (GtkListBox), and the controls of a row with Tab from
    the row, so that path is walked afterwards for each list met. Returns (the problems: each
    interactive, sensitive control drawn in the window that the walk never reached, a focus
    that Tab no longer moves, a focused control named after its widget type; the controls
    reached, in order)."""
    from gi.repository import Atspi, GLib
    import x11input

    width = width if width is not None else extents(root)[2]
    wanted = []
    focusable = 0
    for node in showing(root, max_width=width):
        try:
            role = node.roleName
            actions = set(node.actions) if role not in ("label", "image") else set()
            state = node.getState()
        except Exception:  # the widget went while we looked
            continue
        if not state.contains(Atspi.StateType.FOCUSABLE):
            continue
        focusable += 1
        interactive = role in INTERACTIVE_ROLES or bool(actions & {"click", "activate"})
        if (interactive and state.contains(Atspi.StateType.SENSITIVE)
                and on_screen(root, node, width)):
            wanted.append(node)

    events = []

    def on_focus(event):
        if event.detail1:
            events.append(event.source)

    listener = Atspi.EventListener.new(on_focus)
    listener.register("object:state-changed:focused")
    context = GLib.MainContext.default()

    def press(key, timeout=0.6):
        """Presses key; returns the control that took the focus, or None when it stayed."""
        while context.iteration(False):
            pass
        events.clear()
        x11input.press_key(key)
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            while context.iteration(False):
                pass
            if events:
                # A key can move the focus through several widgets; the last one holds it.
                time.sleep(0.05)
                while context.iteration(False):
                    pass
                return events[-1]
            time.sleep(0.02)
        return None

    problems = []
    order = []
    reached = []
    named = set()

    def note(node, how=""):
        reached.append(node)
        order.append(how + _describe(node))
        try:
            why = naming_problem(node)
        except Exception:  # the widget went while we looked (a list the app fills again)
            return
        if why == "is named after its widget type" and node not in named:
            named.add(node)
            problems.append(f"{where}: {_describe(node)}, which takes the keyboard, {why}")

    current = None

    def explore_list(owner, entry):
        """From wherever the focus is, Tab to entry, then Down from row to row of owner."""
        nonlocal current
        for _ in range(len(reached) + 2):
            if current == entry:
                break
            current = press("Tab") or current
        if current != entry:
            return
        for _ in range(2 * focusable + 5):
            down = press("Down", 0.4)
            if down is None:
                break
            current = down
            row = _row_of(down, root)
            if row is None or row.parent != owner:
                break  # out of the list
            if down not in reached:
                note(down, "↓ ")

    try:
        try:
            window = wait_for(lambda: x11input.find_window(window_title), timeout=5,
                              what=f"the window “{window_title}” on the display")
        except NotFound as e:
            return [f"{where}: the keyboard cannot be given to the window: {e}"], order
        x11input.focus(window)
        press("Shift_L", 0.4)  # nothing moves: the window's own focus settles
        still = 0
        for _ in range(2 * focusable + 20):
            focused = press("Tab")
            if focused is None:
                still += 1
                if still >= 2 and len(wanted) > 1:
                    problems.append(f"{where}: Tab no longer moves the focus from "
                                    f"{_describe(current)}")
                    break
                continue
            still = 0
            if focused in reached:
                break
            note(focused)
            current = focused

        # The rows of each list met, with Down from the row Tab reached.
        tab_order = list(reached)
        lists = []
        for node in tab_order:
            try:
                row = _row_of(node, root)
                owner = row.parent if row is not None else None
            except Exception:  # gone since: the app filled its list again
                continue
            if owner is not None and owner not in [o for o, _ in lists]:
                lists.append((owner, node))
        for owner, entry in lists:
            try:
                explore_list(owner, entry)
            except Exception:  # the list went while we walked it (the app fills it again)
                continue
    finally:
        listener.deregister("object:state-changed:focused")

    reached_rows = {_row_of(n, root) for n in reached} - {None}
    for node in wanted:
        if node in reached or _gone(node):
            continue  # gone since: the app filled its list again
        row = _row_of(node, root)
        if row is not None and row in reached_rows:
            continue  # Tab from its row, which the arrow keys reach
        problems.append(f"{where}: {_describe(node)} is never reached with the keyboard")
    return problems, order


def _gone(node):
    """Whether a control seen earlier has left the window: a list the app filled again (History
    rebuilds its totals when a round is rewarded) leaves accessible objects that answer some
    questions and not others, or that are defunct or no longer visible."""
    from gi.repository import Atspi
    try:
        node.roleName, node.name
        state = node.getState()
    except Exception:
        return True
    return (state.contains(Atspi.StateType.DEFUNCT)
            or not state.contains(Atspi.StateType.VISIBLE))


def _describe(node):
    if node is None:
        return "nothing"
    try:
        return f"{node.roleName} “{node.name}”"
    except Exception:
        return "a control that went"
