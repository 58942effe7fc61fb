/* trb-dbus-property-monitor.h
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#pragma once

#include <gio/gio.h>

#include "participant/trb-monitor.h"

G_BEGIN_DECLS

#define TRB_TYPE_DBUS_PROPERTY_MONITOR (trb_dbus_property_monitor_get_type ())

G_DECLARE_FINAL_TYPE (TrbDBusPropertyMonitor, trb_dbus_property_monitor,
                      TRB, DBUS_PROPERTY_MONITOR, GObject)

TrbDBusPropertyMonitor *trb_dbus_property_monitor_new            (GDBusConnection *connection,
                                                                  const char      *bus_name,
                                                                  const char      *object_path,
                                                                  const char      *interface_name,
                                                                  const char      *property_name);
TrbDBusPropertyMonitor *trb_dbus_property_monitor_new_on_battery (GDBusConnection *system_bus);
TrbDBusPropertyMonitor *trb_dbus_property_monitor_new_idle_hint  (GDBusConnection *system_bus);
gboolean                trb_dbus_property_monitor_get_available  (TrbDBusPropertyMonitor *self);
gboolean                trb_dbus_property_monitor_get_settled    (TrbDBusPropertyMonitor *self);

G_END_DECLS
