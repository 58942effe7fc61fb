#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-3.0-or-later
"""A stand-in for GNOME Shell's idle monitor (org.gnome.Mutter.IdleMonitor) on the session
bus, for display tests. With --active it says that the person is using the computer: the idle
time is 0 and the idle watch it hands out never fires. Prints "ready" once it owns the name,
and runs until it is terminated."""

import argparse
import signal
import sys

from gi.repository import Gio, GLib

NAME = "org.gnome.Mutter.IdleMonitor"
PATH = "/org/gnome/Mutter/IdleMonitor/Core"
XML = """
<node>
  <interface name='org.gnome.Mutter.IdleMonitor'>
    <method name='GetIdletime'><arg type='t' name='idletime' direction='out'/></method>
    <method name='AddIdleWatch'>
      <arg type='t' name='interval' direction='in'/>
      <arg type='u' name='id' direction='out'/>
    </method>
    <method name='AddUserActiveWatch'><arg type='u' name='id' direction='out'/></method>
    <method name='RemoveWatch'><arg type='u' name='id' direction='in'/></method>
    <signal name='WatchFired'><arg type='u' name='id'/></signal>
  </interface>
</node>
"""


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--active", action="store_true",
                        help="the person is using the computer (the only mode so far)")
    parser.parse_args()
    loop = GLib.MainLoop()
    next_id = [0]

    def method_call(connection, sender, path, iface, method, params, invocation):
        if method == "GetIdletime":
            invocation.return_value(GLib.Variant("(t)", (0,)))
        elif method in ("AddIdleWatch", "AddUserActiveWatch"):
            next_id[0] += 1
            invocation.return_value(GLib.Variant("(u)", (next_id[0],)))
        elif method == "RemoveWatch":
            invocation.return_value(None)
        else:
            invocation.return_dbus_error("org.freedesktop.DBus.Error.UnknownMethod", method)

    def bus_acquired(connection, name):
        info = Gio.DBusNodeInfo.new_for_xml(XML).interfaces[0]
        connection.register_object(PATH, info, method_call, None, None)

    def name_acquired(connection, name):
        print("ready", flush=True)

    def name_lost(connection, name):
        print("name lost", flush=True)
        loop.quit()

    Gio.bus_own_name(Gio.BusType.SESSION, NAME, Gio.BusNameOwnerFlags.NONE,
                     bus_acquired, name_acquired, name_lost)
    GLib.unix_signal_add(GLib.PRIORITY_DEFAULT, signal.SIGTERM, loop.quit)
    loop.run()
    return 0


if __name__ == "__main__":
    sys.exit(main())
