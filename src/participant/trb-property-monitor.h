/* trb-property-monitor.h
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#pragma once

#include "participant/trb-monitor.h"

G_BEGIN_DECLS

#define TRB_TYPE_PROPERTY_MONITOR (trb_property_monitor_get_type ())

G_DECLARE_FINAL_TYPE (TrbPropertyMonitor, trb_property_monitor, TRB, PROPERTY_MONITOR, GObject)

TrbPropertyMonitor *trb_property_monitor_new             (GObject    *object,
                                                          const char *property_name);
TrbPropertyMonitor *trb_property_monitor_new_power_saver (void);
TrbPropertyMonitor *trb_property_monitor_new_metered     (void);

G_END_DECLS
