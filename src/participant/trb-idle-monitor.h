/* trb-idle-monitor.h
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#pragma once

#include <gio/gio.h>

#include "participant/trb-monitor.h"

G_BEGIN_DECLS

/**
 * TrbIdleSource:
 * @TRB_IDLE_SOURCE_NONE: nothing tells whether the computer is idle; it is taken as idle
 * @TRB_IDLE_SOURCE_MUTTER: GNOME's idle monitor (`org.gnome.Mutter.IdleMonitor`)
 * @TRB_IDLE_SOURCE_LOGIND: logind's `IdleHint` of this session
 *
 * Where the idle monitor learns whether the computer is idle.
 */
typedef enum
{
  TRB_IDLE_SOURCE_NONE,
  TRB_IDLE_SOURCE_MUTTER,
  TRB_IDLE_SOURCE_LOGIND,
} TrbIdleSource;

#define TRB_TYPE_IDLE_MONITOR (trb_idle_monitor_get_type ())

G_DECLARE_FINAL_TYPE (TrbIdleMonitor, trb_idle_monitor, TRB, IDLE_MONITOR, GObject)

TrbIdleMonitor *trb_idle_monitor_new        (GDBusConnection *session_bus,
                                             GDBusConnection *system_bus,
                                             guint            idle_seconds);
TrbIdleSource   trb_idle_monitor_get_source (TrbIdleMonitor  *self);

G_END_DECLS
