/* fake-monitor.h
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#pragma once

#include "participant/trb-monitor.h"

G_BEGIN_DECLS

#define FAKE_TYPE_MONITOR (fake_monitor_get_type ())

G_DECLARE_FINAL_TYPE (FakeMonitor, fake_monitor, FAKE, MONITOR, GObject)

FakeMonitor *fake_monitor_new        (gboolean     active);
void         fake_monitor_set_active (FakeMonitor *self,
                                      gboolean     active);

G_END_DECLS
