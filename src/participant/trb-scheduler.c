/* trb-scheduler.c
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * Decides whether training may run now, from the settings (pauses, power and network rules,
 * training hours), a few monitors of the computer and the clock. A new decision is made on every
 * change and announced with notify::decision; the participation loop follows the verdict and the
 * UI shows the message.
 */

#define G_LOG_DOMAIN "trb-scheduler"
/* For SCHED_IDLE and gettid(). */
#define _GNU_SOURCE

#include "config.h"

#include "trb-scheduler.h"

#include <errno.h>
#include <glib/gi18n.h>
#include <sched.h>
#include <string.h>
#include <sys/resource.h>
#include <unistd.h>

#include "participant/trb-dbus-property-monitor.h"
#include "participant/trb-idle-monitor.h"
#include "participant/trb-property-monitor.h"

/* How long without input counts as idle. */
#define IDLE_SECONDS (5 * 60)
/* Time-based rules are checked again at least this often, since the wall clock can jump (a
 * suspended laptop, a changed time zone) without any timer noticing. */
#define MAX_RECHECK_SECONDS 60

enum {
  MONITOR_IDLE,
  MONITOR_ON_BATTERY,
  MONITOR_POWER_SAVER,
  MONITOR_METERED,
  N_MONITORS
};

struct _TrbScheduler
{
  GObject                parent_instance;

  GSettings             *settings;
  TrbMonitor            *monitors[N_MONITORS];

  TrbSchedulerClockFunc  clock_func;
  gpointer               clock_data;
  GDestroyNotify         clock_destroy;

  TrbSchedulerDecision  *decision;
  TrbResourcePreset      preset;
  guint                  recheck_id;
  guint                  batching;
  gboolean               pause_after_round;
};

G_DEFINE_FINAL_TYPE (TrbScheduler, trb_scheduler, G_TYPE_OBJECT)

enum {
  PROP_0,
  PROP_DECISION,
  PROP_PRESET,
  PROP_PAUSE_AFTER_ROUND,
  N_PROPS
};

static GParamSpec *properties[N_PROPS];

G_DEFINE_QUARK (trb-scheduler-error-quark, trb_scheduler_error)

static GDateTime *
now_local (TrbScheduler *self)
{
  if (self->clock_func != NULL)
    return self->clock_func (self->clock_data);

  return g_date_time_new_now_local ();
}

static gboolean
monitor_active (TrbScheduler *self,
                guint         which)
{
  return self->monitors[which] != NULL && trb_monitor_get_active (self->monitors[which]);
}

static gboolean
minute_in_window (guint minute,
                  guint start,
                  guint end)
{
  /* A window that starts where it ends leaves no hour out. */
  if (start == end)
    return TRUE;
  if (start < end)
    return minute >= start && minute < end;
  /* Across midnight, e.g. 22:00 to 7:00. */
  return minute >= start || minute < end;
}

/* The first time after @now at @minute past midnight, local time. */
static GDateTime *
next_time_at (GDateTime *now,
              guint      minute)
{
  g_autoptr(GDateTime) today = NULL;

  today = g_date_time_new_local (g_date_time_get_year (now), g_date_time_get_month (now),
                                 g_date_time_get_day_of_month (now), minute / 60, minute % 60, 0);
  if (g_date_time_compare (today, now) > 0)
    return g_steal_pointer (&today);

  return g_date_time_add_days (today, 1);
}

static char *
format_clock (GDateTime *time)
{
  /* Translators: a time of day, in g_date_time_format() notation; "%-H:%M" gives "8:00" and
   * "22:30", "%-I:%M %p" gives "8:00 AM". */
  return g_date_time_format (time, _("%-H:%M"));
}

static char *
format_minute (GDateTime *now,
               guint      minute)
{
  g_autoptr(GDateTime) time = next_time_at (now, minute);

  return format_clock (time);
}

/* "Paused until 8:00", "Paused until tomorrow at 8:00", "Paused until 3 March at 8:00". */
static char *
format_paused_until (GDateTime *now,
                     gint64     until)
{
  g_autoptr(GDateTime) local = NULL;
  g_autoptr(GDateTime) today = NULL;
  g_autoptr(GDateTime) until_day = NULL;
  g_autofree char *clock = NULL;
  g_autofree char *date = NULL;
  GTimeSpan days;

  local = g_date_time_new_from_unix_local (until);
  if (local == NULL)
    return g_strdup (_("Paused"));

  clock = format_clock (local);
  today = g_date_time_new_local (g_date_time_get_year (now), g_date_time_get_month (now),
                                 g_date_time_get_day_of_month (now), 12, 0, 0);
  until_day = g_date_time_new_local (g_date_time_get_year (local), g_date_time_get_month (local),
                                     g_date_time_get_day_of_month (local), 12, 0, 0);
  days = (g_date_time_difference (until_day, today) + G_TIME_SPAN_HOUR * 2) / G_TIME_SPAN_DAY;

  /* Translators: %s is a time of day, such as "8:00". */
  if (days <= 0)
    return g_strdup_printf (_("Paused until %s"), clock);
  /* Translators: %s is a time of day, such as "8:00". */
  if (days == 1)
    return g_strdup_printf (_("Paused until tomorrow at %s"), clock);

  /* Translators: a date in g_date_time_format() notation, such as "3 March". */
  date = g_date_time_format (local, _("%-d %B"));
  /* Translators: the first %s is a date, such as "3 March"; the second a time, such as "8:00". */
  return g_strdup_printf (_("Paused until %s at %s"), date, clock);
}

static TrbSchedulerDecision *
decide (TrbScheduler *self,
        GDateTime    *now,
        gint64       *next_check)
{
  gint64 unix_now = g_date_time_to_unix (now);
  gint64 paused_until = g_settings_get_int64 (self->settings, "paused-until");
  gboolean window = g_settings_get_boolean (self->settings, "time-window-enabled");
  guint start = g_settings_get_uint (self->settings, "time-window-start");
  guint end = g_settings_get_uint (self->settings, "time-window-end");
  guint minute = g_date_time_get_hour (now) * 60 + g_date_time_get_minute (now);

  /* Anything that ends by itself is looked at again when it ends. */
  *next_check = 0;
  if (paused_until > unix_now)
    *next_check = paused_until;
  if (window && start != end)
    {
      g_autoptr(GDateTime) next_start = next_time_at (now, start);
      g_autoptr(GDateTime) next_end = next_time_at (now, end);
      gint64 boundary = MIN (g_date_time_to_unix (next_start), g_date_time_to_unix (next_end));

      *next_check = *next_check == 0 ? boundary : MIN (*next_check, boundary);
    }

  if (g_settings_get_boolean (self->settings, "paused"))
    return trb_scheduler_decision_new (TRB_SCHEDULER_VERDICT_PAUSED,
                                       TRB_SCHEDULER_REASON_PAUSED, _("Paused"), 0);

  if (paused_until > unix_now)
    {
      g_autofree char *message = format_paused_until (now, paused_until);

      return trb_scheduler_decision_new (TRB_SCHEDULER_VERDICT_PAUSED,
                                         TRB_SCHEDULER_REASON_PAUSED_UNTIL, message,
                                         paused_until);
    }

  if (g_settings_get_boolean (self->settings, "pause-on-battery") &&
      monitor_active (self, MONITOR_ON_BATTERY))
    return trb_scheduler_decision_new (TRB_SCHEDULER_VERDICT_PAUSED,
                                       TRB_SCHEDULER_REASON_ON_BATTERY,
                                       _("Paused: on battery"), 0);

  if (g_settings_get_boolean (self->settings, "pause-in-power-saver") &&
      monitor_active (self, MONITOR_POWER_SAVER))
    return trb_scheduler_decision_new (TRB_SCHEDULER_VERDICT_PAUSED,
                                       TRB_SCHEDULER_REASON_POWER_SAVER,
                                       _("Paused: power saver is on"), 0);

  if (g_settings_get_boolean (self->settings, "pause-on-metered") &&
      monitor_active (self, MONITOR_METERED))
    return trb_scheduler_decision_new (TRB_SCHEDULER_VERDICT_PAUSED,
                                       TRB_SCHEDULER_REASON_METERED,
                                       _("Paused: on a metered connection"), 0);

  if (window && !minute_in_window (minute, start, end))
    {
      g_autoptr(GDateTime) next_start = next_time_at (now, start);
      g_autofree char *from = format_clock (next_start);
      g_autofree char *to = format_minute (now, end);
      g_autofree char *message = NULL;

      /* Translators: the training hours, such as "22:00" and "7:00". */
      message = g_strdup_printf (_("Waiting for the training hours, %s to %s"), from, to);
      return trb_scheduler_decision_new (TRB_SCHEDULER_VERDICT_WAIT,
                                         TRB_SCHEDULER_REASON_OUTSIDE_HOURS, message,
                                         g_date_time_to_unix (next_start));
    }

  if (g_settings_get_boolean (self->settings, "only-when-idle") &&
      self->monitors[MONITOR_IDLE] != NULL && !monitor_active (self, MONITOR_IDLE))
    return trb_scheduler_decision_new (TRB_SCHEDULER_VERDICT_WAIT,
                                       TRB_SCHEDULER_REASON_NOT_IDLE,
                                       _("Waiting until the computer is idle"), 0);

  if (self->pause_after_round)
    return trb_scheduler_decision_new (TRB_SCHEDULER_VERDICT_FINISH_ROUND,
                                       TRB_SCHEDULER_REASON_FINISHING_ROUND,
                                       _("Finishing this round, then pausing"), 0);

  return trb_scheduler_decision_new (TRB_SCHEDULER_VERDICT_RUN, TRB_SCHEDULER_REASON_NONE,
                                     _("Ready to train"), 0);
}

static gboolean
recheck_cb (gpointer user_data)
{
  TrbScheduler *self = user_data;

  self->recheck_id = 0;
  trb_scheduler_update (self);
  return G_SOURCE_REMOVE;
}

/**
 * trb_scheduler_update:
 * @self: a #TrbScheduler
 *
 * Decides again now. The scheduler does so by itself on every change it can see; call this after
 * the computer wakes up, for instance.
 */
void
trb_scheduler_update (TrbScheduler *self)
{
  g_autoptr(GDateTime) now = NULL;
  g_autoptr(TrbSchedulerDecision) decision = NULL;
  TrbResourcePreset preset;
  gint64 next_check = 0;

  g_return_if_fail (TRB_IS_SCHEDULER (self));

  if (self->batching > 0 || self->settings == NULL)
    return;

  now = now_local (self);
  decision = decide (self, now, &next_check);

  g_clear_handle_id (&self->recheck_id, g_source_remove);
  if (next_check > 0)
    {
      gint64 delay = CLAMP (next_check - g_date_time_to_unix (now), 1, MAX_RECHECK_SECONDS);

      self->recheck_id = g_timeout_add_seconds ((guint) delay, recheck_cb, self);
    }

  preset = g_settings_get_enum (self->settings, "resource-preset");
  if (preset != self->preset)
    {
      self->preset = preset;
      g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_PRESET]);
    }

  if (self->decision == NULL || !trb_scheduler_decision_equal (self->decision, decision))
    {
      g_set_object (&self->decision, decision);
      g_debug ("%s", trb_scheduler_decision_get_message (decision));
      g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_DECISION]);
    }
}

static void
something_changed_cb (TrbScheduler *self)
{
  trb_scheduler_update (self);
}

static void
begin_batch (TrbScheduler *self)
{
  self->batching++;
}

static void
end_batch (TrbScheduler *self)
{
  g_assert (self->batching > 0);

  self->batching--;
  trb_scheduler_update (self);
}

static void
set_pause_after_round (TrbScheduler *self,
                       gboolean      pause_after_round)
{
  if (self->pause_after_round == pause_after_round)
    return;

  self->pause_after_round = pause_after_round;
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_PAUSE_AFTER_ROUND]);
}

static void
trb_scheduler_dispose (GObject *object)
{
  TrbScheduler *self = TRB_SCHEDULER (object);

  g_clear_handle_id (&self->recheck_id, g_source_remove);
  for (guint i = 0; i < N_MONITORS; i++)
    {
      if (self->monitors[i] != NULL)
        g_signal_handlers_disconnect_by_data (self->monitors[i], self);
      g_clear_object (&self->monitors[i]);
    }
  if (self->settings != NULL)
    g_signal_handlers_disconnect_by_data (self->settings, self);
  g_clear_object (&self->settings);
  g_clear_object (&self->decision);
  if (self->clock_destroy != NULL)
    g_clear_pointer (&self->clock_data, self->clock_destroy);
  self->clock_func = NULL;

  G_OBJECT_CLASS (trb_scheduler_parent_class)->dispose (object);
}

static void
trb_scheduler_get_property (GObject    *object,
                            guint       prop_id,
                            GValue     *value,
                            GParamSpec *pspec)
{
  TrbScheduler *self = TRB_SCHEDULER (object);

  switch (prop_id)
    {
    case PROP_DECISION:
      g_value_set_object (value, self->decision);
      break;

    case PROP_PRESET:
      g_value_set_int (value, self->preset);
      break;

    case PROP_PAUSE_AFTER_ROUND:
      g_value_set_boolean (value, self->pause_after_round);
      break;

    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
trb_scheduler_class_init (TrbSchedulerClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->dispose = trb_scheduler_dispose;
  object_class->get_property = trb_scheduler_get_property;

  /**
   * TrbScheduler:decision:
   *
   * The latest decision; notified whenever it changes.
   */
  properties[PROP_DECISION] =
    g_param_spec_object ("decision", NULL, NULL,
                         TRB_TYPE_SCHEDULER_DECISION,
                         G_PARAM_READABLE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);

  /**
   * TrbScheduler:preset:
   *
   * How much of the computer training may use, a #TrbResourcePreset.
   */
  properties[PROP_PRESET] =
    g_param_spec_int ("preset", NULL, NULL,
                      TRB_RESOURCE_PRESET_LIGHT, TRB_RESOURCE_PRESET_FULL,
                      TRB_RESOURCE_PRESET_LIGHT,
                      G_PARAM_READABLE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);

  /**
   * TrbScheduler:pause-after-round:
   *
   * Whether training pauses once the round under way is finished.
   */
  properties[PROP_PAUSE_AFTER_ROUND] =
    g_param_spec_boolean ("pause-after-round", NULL, NULL,
                          FALSE,
                          G_PARAM_READABLE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);

  g_object_class_install_properties (object_class, N_PROPS, properties);
}

static void
trb_scheduler_init (TrbScheduler *self)
{
  self->preset = TRB_RESOURCE_PRESET_LIGHT;
}

/**
 * trb_scheduler_new:
 * @settings: the app's settings
 * @idle: (nullable): active while the computer is idle; without it the computer counts as idle
 * @on_battery: (nullable): active while the computer runs on battery
 * @power_saver: (nullable): active while power-saver mode is on
 * @metered: (nullable): active while the network connection is metered
 *
 * Returns: (transfer full): a scheduler that has made its first decision
 */
TrbScheduler *
trb_scheduler_new (GSettings  *settings,
                   TrbMonitor *idle,
                   TrbMonitor *on_battery,
                   TrbMonitor *power_saver,
                   TrbMonitor *metered)
{
  TrbMonitor *monitors[N_MONITORS] = { idle, on_battery, power_saver, metered };
  TrbScheduler *self;

  g_return_val_if_fail (G_IS_SETTINGS (settings), NULL);
  for (guint i = 0; i < N_MONITORS; i++)
    g_return_val_if_fail (monitors[i] == NULL || TRB_IS_MONITOR (monitors[i]), NULL);

  self = g_object_new (TRB_TYPE_SCHEDULER, NULL);
  self->settings = g_object_ref (settings);
  g_signal_connect_swapped (settings, "changed", G_CALLBACK (something_changed_cb), self);

  for (guint i = 0; i < N_MONITORS; i++)
    {
      if (monitors[i] == NULL)
        continue;
      self->monitors[i] = g_object_ref (monitors[i]);
      g_signal_connect_swapped (monitors[i], "notify::active",
                                G_CALLBACK (something_changed_cb), self);
    }

  trb_scheduler_update (self);
  return self;
}

/**
 * trb_scheduler_new_for_buses:
 * @settings: the app's settings
 * @session_bus: (nullable): the session bus, where GNOME's idle monitor is
 * @system_bus: (nullable): the system bus, where UPower and logind are
 *
 * A scheduler watching the services on the given buses: GNOME's idle monitor (or logind),
 * UPower, and GLib's power profile and network monitors. Inside Flatpak the buses are the
 * sandbox's filtered ones, which show exactly the names the manifest allows; a service the
 * filter hides looks absent, and its rule then holds nothing back. A %NULL bus leaves its
 * conditions unknown in the same way.
 *
 * Returns: (transfer full): a new scheduler
 */
TrbScheduler *
trb_scheduler_new_for_buses (GSettings       *settings,
                             GDBusConnection *session_bus,
                             GDBusConnection *system_bus)
{
  g_autoptr(TrbIdleMonitor) idle = NULL;
  g_autoptr(TrbDBusPropertyMonitor) on_battery = NULL;
  g_autoptr(TrbPropertyMonitor) power_saver = NULL;
  g_autoptr(TrbPropertyMonitor) metered = NULL;

  g_return_val_if_fail (G_IS_SETTINGS (settings), NULL);
  g_return_val_if_fail (session_bus == NULL || G_IS_DBUS_CONNECTION (session_bus), NULL);
  g_return_val_if_fail (system_bus == NULL || G_IS_DBUS_CONNECTION (system_bus), NULL);

  idle = trb_idle_monitor_new (session_bus, system_bus, IDLE_SECONDS);
  if (system_bus != NULL)
    on_battery = trb_dbus_property_monitor_new_on_battery (system_bus);
  power_saver = trb_property_monitor_new_power_saver ();
  metered = trb_property_monitor_new_metered ();

  return trb_scheduler_new (settings, TRB_MONITOR (idle),
                            on_battery != NULL ? TRB_MONITOR (on_battery) : NULL,
                            TRB_MONITOR (power_saver), TRB_MONITOR (metered));
}

/**
 * trb_scheduler_new_for_system:
 * @settings: the app's settings
 *
 * A scheduler watching this computer through its session and system buses, see
 * trb_scheduler_new_for_buses(). A bus that cannot be reached leaves its conditions unknown,
 * which holds nothing back.
 *
 * Returns: (transfer full): a new scheduler
 */
TrbScheduler *
trb_scheduler_new_for_system (GSettings *settings)
{
  g_autoptr(GDBusConnection) session_bus = NULL;
  g_autoptr(GDBusConnection) system_bus = NULL;
  g_autoptr(GError) error = NULL;

  g_return_val_if_fail (G_IS_SETTINGS (settings), NULL);

  session_bus = g_bus_get_sync (G_BUS_TYPE_SESSION, NULL, &error);
  if (session_bus == NULL)
    {
      g_debug ("No session bus: %s", error->message);
      g_clear_error (&error);
    }
  system_bus = g_bus_get_sync (G_BUS_TYPE_SYSTEM, NULL, &error);
  if (system_bus == NULL)
    {
      g_debug ("No system bus: %s", error->message);
      g_clear_error (&error);
    }

  return trb_scheduler_new_for_buses (settings, session_bus, system_bus);
}

/**
 * trb_scheduler_can_tell_idle:
 * @self: a #TrbScheduler
 *
 * Whether anything tells the scheduler when the computer is in use. The Flatpak lets the app
 * talk to GNOME's idle monitor and logind; where neither runs or answers (another desktop, a
 * bare session) the computer counts as idle, and Preferences says that "only when idle" cannot
 * take effect.
 *
 * Returns: %TRUE when an idle monitor answers
 */
gboolean
trb_scheduler_can_tell_idle (TrbScheduler *self)
{
  TrbMonitor *idle;

  g_return_val_if_fail (TRB_IS_SCHEDULER (self), FALSE);

  idle = self->monitors[MONITOR_IDLE];
  if (idle == NULL)
    return FALSE;
  return !TRB_IS_IDLE_MONITOR (idle) ||
         trb_idle_monitor_get_source (TRB_IDLE_MONITOR (idle)) != TRB_IDLE_SOURCE_NONE;
}

/**
 * trb_scheduler_can_tell_battery:
 * @self: a #TrbScheduler
 *
 * Whether anything (UPower) tells the scheduler when the computer runs on battery. The Flatpak
 * lets the app talk to UPower; without UPower running, Preferences says that "pause on battery"
 * has no effect.
 *
 * Returns: %TRUE when the battery can be watched
 */
gboolean
trb_scheduler_can_tell_battery (TrbScheduler *self)
{
  TrbMonitor *on_battery;

  g_return_val_if_fail (TRB_IS_SCHEDULER (self), FALSE);

  on_battery = self->monitors[MONITOR_ON_BATTERY];
  if (on_battery == NULL)
    return FALSE;
  return !TRB_IS_DBUS_PROPERTY_MONITOR (on_battery) ||
         trb_dbus_property_monitor_get_available (TRB_DBUS_PROPERTY_MONITOR (on_battery));
}

/**
 * trb_scheduler_set_clock:
 * @self: a #TrbScheduler
 * @func: (nullable): tells the time, or %NULL for the real clock
 * @user_data: data for @func
 * @destroy: (nullable): frees @user_data
 *
 * Replaces the clock, so that tests can stand anywhere in the day. Decides again at once.
 */
void
trb_scheduler_set_clock (TrbScheduler          *self,
                         TrbSchedulerClockFunc  func,
                         gpointer               user_data,
                         GDestroyNotify         destroy)
{
  g_return_if_fail (TRB_IS_SCHEDULER (self));

  if (self->clock_destroy != NULL)
    g_clear_pointer (&self->clock_data, self->clock_destroy);
  self->clock_func = func;
  self->clock_data = user_data;
  self->clock_destroy = destroy;
  trb_scheduler_update (self);
}

/**
 * trb_scheduler_get_decision:
 * @self: a #TrbScheduler
 *
 * Returns: (transfer none): the latest decision
 */
TrbSchedulerDecision *
trb_scheduler_get_decision (TrbScheduler *self)
{
  g_return_val_if_fail (TRB_IS_SCHEDULER (self), NULL);

  return self->decision;
}

/**
 * trb_scheduler_get_preset:
 * @self: a #TrbScheduler
 *
 * Returns: how much of the computer training may use
 */
TrbResourcePreset
trb_scheduler_get_preset (TrbScheduler *self)
{
  g_return_val_if_fail (TRB_IS_SCHEDULER (self), TRB_RESOURCE_PRESET_LIGHT);

  return self->preset;
}

/**
 * trb_scheduler_get_pause_after_round:
 * @self: a #TrbScheduler
 *
 * Returns: whether training pauses once the round under way is finished
 */
gboolean
trb_scheduler_get_pause_after_round (TrbScheduler *self)
{
  g_return_val_if_fail (TRB_IS_SCHEDULER (self), FALSE);

  return self->pause_after_round;
}

/**
 * trb_scheduler_pause:
 * @self: a #TrbScheduler
 *
 * Pauses training until trb_scheduler_resume().
 */
void
trb_scheduler_pause (TrbScheduler *self)
{
  g_return_if_fail (TRB_IS_SCHEDULER (self));

  begin_batch (self);
  set_pause_after_round (self, FALSE);
  g_settings_set_int64 (self->settings, "paused-until", 0);
  g_settings_set_boolean (self->settings, "paused", TRUE);
  end_batch (self);
}

/**
 * trb_scheduler_pause_for:
 * @self: a #TrbScheduler
 * @seconds: how long, such as an hour
 *
 * Pauses training for a while; it goes on by itself afterwards.
 */
void
trb_scheduler_pause_for (TrbScheduler *self,
                         guint         seconds)
{
  g_autoptr(GDateTime) now = NULL;

  g_return_if_fail (TRB_IS_SCHEDULER (self));
  g_return_if_fail (seconds > 0);

  now = now_local (self);
  begin_batch (self);
  set_pause_after_round (self, FALSE);
  g_settings_set_boolean (self->settings, "paused", FALSE);
  g_settings_set_int64 (self->settings, "paused-until", g_date_time_to_unix (now) + seconds);
  end_batch (self);
}

/**
 * trb_scheduler_pause_until_tomorrow:
 * @self: a #TrbScheduler
 *
 * Pauses training until tomorrow: the start of the training hours tomorrow when they are set,
 * else midnight.
 */
void
trb_scheduler_pause_until_tomorrow (TrbScheduler *self)
{
  g_autoptr(GDateTime) now = NULL;
  g_autoptr(GDateTime) tomorrow = NULL;
  guint minute = 0;

  g_return_if_fail (TRB_IS_SCHEDULER (self));

  if (g_settings_get_boolean (self->settings, "time-window-enabled"))
    minute = g_settings_get_uint (self->settings, "time-window-start");

  now = now_local (self);
  tomorrow = g_date_time_new_local (g_date_time_get_year (now), g_date_time_get_month (now),
                                    g_date_time_get_day_of_month (now), 0, 0, 0);
  g_date_time_unref (g_steal_pointer (&now));
  now = g_date_time_add_days (tomorrow, 1);
  g_date_time_unref (g_steal_pointer (&tomorrow));
  tomorrow = g_date_time_add_minutes (now, minute);

  begin_batch (self);
  set_pause_after_round (self, FALSE);
  g_settings_set_boolean (self->settings, "paused", FALSE);
  g_settings_set_int64 (self->settings, "paused-until", g_date_time_to_unix (tomorrow));
  end_batch (self);
}

/**
 * trb_scheduler_pause_after_round:
 * @self: a #TrbScheduler
 *
 * Lets the round under way finish, then pauses: the verdict is
 * %TRB_SCHEDULER_VERDICT_FINISH_ROUND until trb_scheduler_round_finished().
 */
void
trb_scheduler_pause_after_round (TrbScheduler *self)
{
  g_return_if_fail (TRB_IS_SCHEDULER (self));

  begin_batch (self);
  set_pause_after_round (self, TRUE);
  end_batch (self);
}

/**
 * trb_scheduler_round_finished:
 * @self: a #TrbScheduler
 *
 * Tells the scheduler that a round has just finished, which turns a pending "finish this
 * round, then pause" into a pause.
 */
void
trb_scheduler_round_finished (TrbScheduler *self)
{
  g_return_if_fail (TRB_IS_SCHEDULER (self));

  if (!self->pause_after_round)
    return;

  trb_scheduler_pause (self);
}

/**
 * trb_scheduler_resume:
 * @self: a #TrbScheduler
 *
 * Ends every pause the person asked for. Power, network, idle and hour rules still apply.
 */
void
trb_scheduler_resume (TrbScheduler *self)
{
  g_return_if_fail (TRB_IS_SCHEDULER (self));

  begin_batch (self);
  set_pause_after_round (self, FALSE);
  g_settings_set_boolean (self->settings, "paused", FALSE);
  g_settings_set_int64 (self->settings, "paused-until", 0);
  end_batch (self);
}

/**
 * trb_scheduler_is_paused:
 * @self: a #TrbScheduler
 *
 * Returns: whether the person has paused training (now, for a while, or after this round)
 */
gboolean
trb_scheduler_is_paused (TrbScheduler *self)
{
  g_autoptr(GDateTime) now = NULL;

  g_return_val_if_fail (TRB_IS_SCHEDULER (self), FALSE);

  now = now_local (self);
  return self->pause_after_round ||
         g_settings_get_boolean (self->settings, "paused") ||
         g_settings_get_int64 (self->settings, "paused-until") > g_date_time_to_unix (now);
}

/**
 * trb_resource_preset_get_device_share:
 * @preset: a #TrbResourcePreset
 *
 * Returns: the share of the compute device's time training may take, in (0, 1]
 */
double
trb_resource_preset_get_device_share (TrbResourcePreset preset)
{
  switch (preset)
    {
    case TRB_RESOURCE_PRESET_LIGHT:
      return 0.25;
    case TRB_RESOURCE_PRESET_BALANCED:
      return 0.5;
    case TRB_RESOURCE_PRESET_FULL:
      return 1.0;
    default:
      g_return_val_if_reached (0.25);
    }
}

/**
 * trb_resource_preset_get_cpu_threads:
 * @preset: a #TrbResourcePreset
 * @n_cpus: the processor threads of the computer, or 0 to ask the system
 *
 * Returns: how many processor threads training may use, at least 1
 */
guint
trb_resource_preset_get_cpu_threads (TrbResourcePreset preset,
                                     guint             n_cpus)
{
  if (n_cpus == 0)
    n_cpus = MAX (1, g_get_num_processors ());

  switch (preset)
    {
    case TRB_RESOURCE_PRESET_LIGHT:
      return 1;
    case TRB_RESOURCE_PRESET_BALANCED:
      return MAX (1, n_cpus / 2);
    case TRB_RESOURCE_PRESET_FULL:
      return n_cpus;
    default:
      g_return_val_if_reached (1);
    }
}

/**
 * trb_scheduler_lower_thread_priority:
 * @error: return location for a #GError
 *
 * Puts the calling thread, and only it, at the lowest priority: the idle scheduling class when
 * the kernel allows it, else a nice value of 19. Call it at the start of each worker thread.
 *
 * Returns: %TRUE when the priority was lowered
 */
gboolean
trb_scheduler_lower_thread_priority (GError **error)
{
  struct sched_param param = { 0 };
  int saved_errno;

  /* On Linux both calls act on one thread: pid 0 in sched_setscheduler() is the calling thread,
   * and setpriority() takes a thread id. */
  if (sched_setscheduler (0, SCHED_IDLE, &param) == 0)
    return TRUE;

  if (setpriority (PRIO_PROCESS, (id_t) gettid (), 19) == 0)
    return TRUE;

  saved_errno = errno;
  g_set_error (error, TRB_SCHEDULER_ERROR, TRB_SCHEDULER_ERROR_PRIORITY,
               _("Could not lower the priority of training: %s"), g_strerror (saved_errno));
  return FALSE;
}
