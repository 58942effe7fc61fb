/* trb-scheduler.h
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#pragma once

#include <gio/gio.h>

#include "participant/trb-monitor.h"
#include "participant/trb-scheduler-decision.h"

G_BEGIN_DECLS

/**
 * TrbResourcePreset:
 * @TRB_RESOURCE_PRESET_LIGHT: a small share of the device and one processor thread
 * @TRB_RESOURCE_PRESET_BALANCED: about half
 * @TRB_RESOURCE_PRESET_FULL: all of it
 *
 * How much of the computer training may use. The values match the `resource-preset` setting.
 */
typedef enum
{
  TRB_RESOURCE_PRESET_LIGHT,
  TRB_RESOURCE_PRESET_BALANCED,
  TRB_RESOURCE_PRESET_FULL,
} TrbResourcePreset;

#define TRB_SCHEDULER_ERROR (trb_scheduler_error_quark ())

typedef enum
{
  TRB_SCHEDULER_ERROR_PRIORITY,
} TrbSchedulerError;

/**
 * TrbSchedulerClockFunc:
 * @user_data: data given with the function
 *
 * Tells the scheduler the time; tests use it to stand anywhere in the day.
 *
 * Returns: (transfer full): the local time now
 */
typedef GDateTime *(*TrbSchedulerClockFunc) (gpointer user_data);

#define TRB_TYPE_SCHEDULER (trb_scheduler_get_type ())

G_DECLARE_FINAL_TYPE (TrbScheduler, trb_scheduler, TRB, SCHEDULER, GObject)

GQuark                trb_scheduler_error_quark                (void);

TrbScheduler         *trb_scheduler_new                        (GSettings             *settings,
                                                                TrbMonitor            *idle,
                                                                TrbMonitor            *on_battery,
                                                                TrbMonitor            *power_saver,
                                                                TrbMonitor            *metered);
TrbScheduler         *trb_scheduler_new_for_buses              (GSettings             *settings,
                                                                GDBusConnection       *session_bus,
                                                                GDBusConnection       *system_bus);
TrbScheduler         *trb_scheduler_new_for_system             (GSettings             *settings);
void                  trb_scheduler_set_clock                  (TrbScheduler          *self,
                                                                TrbSchedulerClockFunc  func,
                                                                gpointer               user_data,
                                                                GDestroyNotify         destroy);
TrbSchedulerDecision *trb_scheduler_get_decision               (TrbScheduler          *self);
void                  trb_scheduler_update                     (TrbScheduler          *self);
TrbResourcePreset     trb_scheduler_get_preset                 (TrbScheduler          *self);
gboolean              trb_scheduler_get_pause_after_round      (TrbScheduler          *self);
gboolean              trb_scheduler_can_tell_idle              (TrbScheduler          *self);
gboolean              trb_scheduler_can_tell_battery           (TrbScheduler          *self);

void                  trb_scheduler_pause                      (TrbScheduler          *self);
void                  trb_scheduler_pause_for                  (TrbScheduler          *self,
                                                                guint                  seconds);
void                  trb_scheduler_pause_until_tomorrow       (TrbScheduler          *self);
void                  trb_scheduler_pause_after_round          (TrbScheduler          *self);
void                  trb_scheduler_round_finished             (TrbScheduler          *self);
void                  trb_scheduler_resume                     (TrbScheduler          *self);
gboolean              trb_scheduler_is_paused                  (TrbScheduler          *self);

double                trb_resource_preset_get_device_share     (TrbResourcePreset      preset);
guint                 trb_resource_preset_get_cpu_threads      (TrbResourcePreset      preset,
                                                                guint                  n_cpus);

gboolean              trb_scheduler_lower_thread_priority      (GError               **error);

G_END_DECLS
