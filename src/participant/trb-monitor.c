/* trb-monitor.c
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#define G_LOG_DOMAIN "trb-monitor"

#include "config.h"

#include "trb-monitor.h"

G_DEFINE_INTERFACE (TrbMonitor, trb_monitor, G_TYPE_OBJECT)

static void
trb_monitor_default_init (TrbMonitorInterface *iface)
{
  /**
   * TrbMonitor:active:
   *
   * Whether the watched condition holds now.
   */
  g_object_interface_install_property (iface,
                                       g_param_spec_boolean ("active", NULL, NULL,
                                                             FALSE,
                                                             G_PARAM_READABLE |
                                                             G_PARAM_EXPLICIT_NOTIFY |
                                                             G_PARAM_STATIC_STRINGS));
}

/**
 * trb_monitor_get_active:
 * @self: a #TrbMonitor
 *
 * Returns: whether the watched condition holds now
 */
gboolean
trb_monitor_get_active (TrbMonitor *self)
{
  g_return_val_if_fail (TRB_IS_MONITOR (self), FALSE);

  return TRB_MONITOR_GET_IFACE (self)->get_active (self);
}
