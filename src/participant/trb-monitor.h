/* trb-monitor.h
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#pragma once

#include <glib-object.h>

G_BEGIN_DECLS

#define TRB_TYPE_MONITOR (trb_monitor_get_type ())

G_DECLARE_INTERFACE (TrbMonitor, trb_monitor, TRB, MONITOR, GObject)

/**
 * TrbMonitorInterface:
 * @get_active: returns whether the watched condition holds now
 *
 * A monitor watches one yes-or-no condition of the computer (idle, on battery, power saver,
 * metered connection). Implementations notify the `active` property when it changes, so that
 * the scheduler can decide again.
 */
struct _TrbMonitorInterface
{
  GTypeInterface parent_iface;

  gboolean (*get_active) (TrbMonitor *self);
};

gboolean trb_monitor_get_active (TrbMonitor *self);

G_END_DECLS
