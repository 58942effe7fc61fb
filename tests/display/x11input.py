# SPDX-License-Identifier: GPL-3.0-or-later
"""Keyboard focus and key presses on the test's X display, which has no window manager: the
keyboard goes where XSetInputFocus() puts it, and keys are sent with the XTEST extension, as a
keyboard would send them."""

import ctypes
import ctypes.util
import re
import subprocess

_x11 = ctypes.CDLL(ctypes.util.find_library("X11") or "libX11.so.6")
_xtst = ctypes.CDLL(ctypes.util.find_library("Xtst") or "libXtst.so.6")
_x11.XOpenDisplay.restype = ctypes.c_void_p
_x11.XOpenDisplay.argtypes = [ctypes.c_char_p]
_x11.XSetInputFocus.argtypes = [ctypes.c_void_p, ctypes.c_ulong, ctypes.c_int, ctypes.c_ulong]
_x11.XFlush.argtypes = [ctypes.c_void_p]
_x11.XSync.argtypes = [ctypes.c_void_p, ctypes.c_int]
_x11.XCloseDisplay.argtypes = [ctypes.c_void_p]
_x11.XStringToKeysym.restype = ctypes.c_ulong
_x11.XStringToKeysym.argtypes = [ctypes.c_char_p]
_x11.XKeysymToKeycode.restype = ctypes.c_ubyte
_x11.XKeysymToKeycode.argtypes = [ctypes.c_void_p, ctypes.c_ulong]
_xtst.XTestFakeKeyEvent.argtypes = [ctypes.c_void_p, ctypes.c_uint, ctypes.c_int, ctypes.c_ulong]

_REVERT_TO_PARENT = 2


def _with_display(action):
    display = _x11.XOpenDisplay(None)
    if not display:
        raise RuntimeError("cannot open the X display")
    try:
        action(display)
        _x11.XSync(display, 0)
    finally:
        _x11.XCloseDisplay(display)


def find_window(title):
    """The X window ID of the (last mapped) top-level window named `title`, or None."""
    tree = subprocess.run(["xwininfo", "-root", "-tree"], capture_output=True, text=True,
                          check=True).stdout
    found = None
    for match in re.finditer(r"^\s*(0x[0-9a-f]+) \"([^\"]*)\"", tree, re.M):
        if match.group(2) == title:
            found = int(match.group(1), 16)
    return found


def focus(window_id):
    """Gives `window_id` the keyboard, as a click on a window would with a window manager."""
    _with_display(lambda dpy: _x11.XSetInputFocus(dpy, window_id, _REVERT_TO_PARENT, 0))


def unfocus():
    """Takes the keyboard from every window, as switching to another application would."""
    _with_display(lambda dpy: _x11.XSetInputFocus(dpy, 0, 0, 0))


def press_key(name):
    """Presses and releases the key with this keysym name ("F1")."""
    def press(dpy):
        code = _x11.XKeysymToKeycode(dpy, _x11.XStringToKeysym(name.encode()))
        _xtst.XTestFakeKeyEvent(dpy, code, 1, 0)
        _xtst.XTestFakeKeyEvent(dpy, code, 0, 0)
    _with_display(press)


def resize(window_id, width, height=None):
    """Resizes `window_id` as a person would on a screen `width` pixels wide (its height kept
    unless given). The display has no window manager, so the X server resizes it at once."""
    if height is None:
        geometry = subprocess.run(["xdotool", "getwindowgeometry", str(window_id)],
                                  capture_output=True, text=True, check=True).stdout
        height = int(re.search(r"Geometry: \d+x(\d+)", geometry).group(1))
    subprocess.run(["xdotool", "windowsize", str(window_id), str(width), str(height)], check=True)
