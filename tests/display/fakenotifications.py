#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-3.0-or-later
"""A stand-in for the desktop's notification server on the session bus: owns org.gtk.Notifications
(which GLib's GNotification uses outside Flatpak when it has an owner) and
org.freedesktop.Notifications (its fallback), and writes every notification it is sent, as one
JSON line, to the file named on the command line. Prints "ready" once both names are owned."""

import json
import sys
import time

from gi.repository import Gio, GLib

GTK_XML = """
<node>
  <interface name="org.gtk.Notifications">
    <method name="AddNotification">
      <arg type="s" direction="in"/><arg type="s" direction="in"/>
      <arg type="a{sv}" direction="in"/>
    </method>
    <method name="RemoveNotification">
      <arg type="s" direction="in"/><arg type="s" direction="in"/>
    </method>
  </interface>
</node>"""

FDO_XML = """
<node>
  <interface name="org.freedesktop.Notifications">
    <method name="Notify">
      <arg type="s" direction="in"/><arg type="u" direction="in"/><arg type="s" direction="in"/>
      <arg type="s" direction="in"/><arg type="s" direction="in"/><arg type="as" direction="in"/>
      <arg type="a{sv}" direction="in"/><arg type="i" direction="in"/>
      <arg type="u" direction="out"/>
    </method>
    <method name="CloseNotification"><arg type="u" direction="in"/></method>
    <method name="GetCapabilities"><arg type="as" direction="out"/></method>
    <method name="GetServerInformation">
      <arg type="s" direction="out"/><arg type="s" direction="out"/>
      <arg type="s" direction="out"/><arg type="s" direction="out"/>
    </method>
    <signal name="NotificationClosed"><arg type="u"/><arg type="u"/></signal>
    <signal name="ActionInvoked"><arg type="u"/><arg type="s"/></signal>
  </interface>
</node>"""


def main():
    record = open(sys.argv[1], "a", encoding="utf-8")
    bus = Gio.bus_get_sync(Gio.BusType.SESSION)
    next_id = [1]

    def write(entry):
        entry["time"] = time.time()
        record.write(json.dumps(entry) + "\n")
        record.flush()

    def on_call(conn, sender, path, iface, method, params, invocation):
        args = params.unpack()
        if method == "AddNotification":
            app_id, nid, data = args
            write({"method": method, "app": app_id, "id": nid,
                   "title": data.get("title", ""), "body": data.get("body", ""),
                   "priority": data.get("priority", "")})
            invocation.return_value(None)
        elif method == "RemoveNotification":
            write({"method": method, "app": args[0], "id": args[1]})
            invocation.return_value(None)
        elif method == "Notify":
            replaces = args[1]
            nid = replaces or next_id[0]
            next_id[0] += 1
            write({"method": method, "app": args[0], "id": str(replaces), "title": args[3],
                   "body": args[4]})
            invocation.return_value(GLib.Variant("(u)", (nid,)))
        elif method == "CloseNotification":
            write({"method": method, "id": str(args[0])})
            invocation.return_value(None)
        elif method == "GetCapabilities":
            invocation.return_value(GLib.Variant("(as)", (["body", "actions"],)))
        elif method == "GetServerInformation":
            invocation.return_value(GLib.Variant("(ssss)", ("fake", "test", "1", "1.2")))

    for xml, path in ((GTK_XML, "/org/gtk/Notifications"),
                      (FDO_XML, "/org/freedesktop/Notifications")):
        info = Gio.DBusNodeInfo.new_for_xml(xml).interfaces[0]
        bus.register_object(path, info, on_call, None, None)

    owned = []

    def acquired(conn, name):
        owned.append(name)
        if len(owned) == 2:
            print("ready", flush=True)

    def lost(conn, name):
        sys.exit(f"fakenotifications: could not own {name}")

    for name in ("org.gtk.Notifications", "org.freedesktop.Notifications"):
        Gio.bus_own_name_on_connection(bus, name, Gio.BusNameOwnerFlags.NONE, acquired, lost)
    GLib.MainLoop().run()


if __name__ == "__main__":
    main()
