/* trb-idle-monitor.c
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * Whether nobody has used the computer for a while. GNOME Shell exports Mutter's idle monitor on
 * the session bus: an idle watch fires when the idle time crosses a threshold, and a one-shot
 * user-active watch fires at the next input. Elsewhere logind's IdleHint of the session is used.
 * With neither (a server, a bare session) the computer counts as idle, so that training is not
 * held back forever by something that cannot be known. Until both services have answered, or
 * turned out to be absent, the computer counts as in use, so that nothing starts on a guess.
 */

#define G_LOG_DOMAIN "trb-idle-monitor"

#include "config.h"

#include "trb-idle-monitor.h"

#include "participant/trb-dbus-property-monitor.h"

#define MUTTER_NAME "org.gnome.Mutter.IdleMonitor"
#define MUTTER_PATH "/org/gnome/Mutter/IdleMonitor/Core"
#define MUTTER_IFACE "org.gnome.Mutter.IdleMonitor"

struct _TrbIdleMonitor
{
  GObject                 parent_instance;

  GDBusConnection        *session_bus;
  TrbDBusPropertyMonitor *idle_hint;
  guint                   idle_ms;

  GCancellable           *cancellable;
  guint                   watch_id;
  guint                   signal_id;
  char                   *mutter_owner;
  guint                   idle_watch_id;
  guint                   active_watch_id;
  gboolean                active_watch_pending;
  gboolean                mutter_ready;
  gboolean                mutter_idle;
  gboolean                mutter_absent;

  TrbIdleSource           source;
  gboolean                active;
};

static void trb_idle_monitor_iface_init (TrbMonitorInterface *iface);

G_DEFINE_FINAL_TYPE_WITH_CODE (TrbIdleMonitor, trb_idle_monitor, G_TYPE_OBJECT,
                               G_IMPLEMENT_INTERFACE (TRB_TYPE_MONITOR,
                                                      trb_idle_monitor_iface_init))

enum {
  PROP_0,
  PROP_ACTIVE,
  PROP_SOURCE,
  N_PROPS
};

static GParamSpec *properties[N_PROPS];

static void
update_state (TrbIdleMonitor *self)
{
  TrbIdleSource source = TRB_IDLE_SOURCE_NONE;
  gboolean active = TRUE;
  gboolean settled;

  settled = (self->session_bus == NULL || self->mutter_ready || self->mutter_absent) &&
            (self->idle_hint == NULL || trb_dbus_property_monitor_get_settled (self->idle_hint));

  if (self->mutter_ready)
    {
      source = TRB_IDLE_SOURCE_MUTTER;
      active = self->mutter_idle;
    }
  else if (self->idle_hint != NULL && trb_dbus_property_monitor_get_available (self->idle_hint))
    {
      source = TRB_IDLE_SOURCE_LOGIND;
      active = trb_monitor_get_active (TRB_MONITOR (self->idle_hint));
    }
  else if (!settled)
    {
      active = FALSE;
    }

  g_object_freeze_notify (G_OBJECT (self));
  if (self->source != source)
    {
      self->source = source;
      g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_SOURCE]);
    }
  if (self->active != active)
    {
      self->active = active;
      g_object_notify (G_OBJECT (self), "active");
    }
  g_object_thaw_notify (G_OBJECT (self));
}

static void
added_user_active_watch_cb (GObject      *object,
                            GAsyncResult *result,
                            gpointer      user_data)
{
  g_autoptr(TrbIdleMonitor) self = user_data;
  g_autoptr(GError) error = NULL;
  g_autoptr(GVariant) reply = NULL;

  reply = g_dbus_connection_call_finish (G_DBUS_CONNECTION (object), result, &error);
  if (reply == NULL)
    {
      if (!g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
        g_debug ("Could not watch for the user coming back: %s", error->message);
      return;
    }

  self->active_watch_pending = FALSE;
  g_variant_get (reply, "(u)", &self->active_watch_id);
}

static void
watch_user_active (TrbIdleMonitor *self)
{
  if (self->active_watch_id != 0 || self->active_watch_pending || self->mutter_owner == NULL)
    return;

  self->active_watch_pending = TRUE;
  g_dbus_connection_call (self->session_bus, self->mutter_owner, MUTTER_PATH, MUTTER_IFACE,
                          "AddUserActiveWatch", NULL, G_VARIANT_TYPE ("(u)"),
                          G_DBUS_CALL_FLAGS_NO_AUTO_START, -1, self->cancellable,
                          added_user_active_watch_cb, g_object_ref (self));
}

static void
set_mutter_idle (TrbIdleMonitor *self,
                 gboolean        idle)
{
  self->mutter_idle = idle;
  self->mutter_ready = TRUE;
  if (idle)
    watch_user_active (self);
  update_state (self);
}

static void
watch_fired_cb (GDBusConnection *connection,
                const char      *sender_name,
                const char      *object_path,
                const char      *interface_name,
                const char      *signal_name,
                GVariant        *parameters,
                gpointer         user_data)
{
  TrbIdleMonitor *self = user_data;
  guint id = 0;

  if (!g_variant_is_of_type (parameters, G_VARIANT_TYPE ("(u)")))
    return;

  g_variant_get (parameters, "(u)", &id);
  if (id == 0)
    return;

  if (id == self->idle_watch_id)
    {
      set_mutter_idle (self, TRUE);
    }
  else if (id == self->active_watch_id)
    {
      /* User-active watches fire once and are gone. */
      self->active_watch_id = 0;
      set_mutter_idle (self, FALSE);
    }
}

/* GNOME's idle monitor is there but does not work: do without it. */
static void
mutter_failed (TrbIdleMonitor *self,
               const GError   *error)
{
  g_debug ("GNOME's idle monitor does not answer: %s", error->message);
  self->mutter_absent = TRUE;
  self->mutter_ready = FALSE;
  update_state (self);
}

static void
got_idletime_cb (GObject      *object,
                 GAsyncResult *result,
                 gpointer      user_data)
{
  g_autoptr(TrbIdleMonitor) self = user_data;
  g_autoptr(GError) error = NULL;
  g_autoptr(GVariant) reply = NULL;
  guint64 idletime = 0;

  reply = g_dbus_connection_call_finish (G_DBUS_CONNECTION (object), result, &error);
  if (reply == NULL)
    {
      if (!g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
        mutter_failed (self, error);
      return;
    }

  g_variant_get (reply, "(t)", &idletime);
  /* An idle watch may already have fired while the reply was on its way. */
  if (!self->mutter_ready || !self->mutter_idle)
    set_mutter_idle (self, idletime >= self->idle_ms);
}

static void
added_idle_watch_cb (GObject      *object,
                     GAsyncResult *result,
                     gpointer      user_data)
{
  g_autoptr(TrbIdleMonitor) self = user_data;
  g_autoptr(GError) error = NULL;
  g_autoptr(GVariant) reply = NULL;

  reply = g_dbus_connection_call_finish (G_DBUS_CONNECTION (object), result, &error);
  if (reply == NULL)
    {
      if (!g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
        mutter_failed (self, error);
      return;
    }

  g_variant_get (reply, "(u)", &self->idle_watch_id);

  /* Ask the idle time only now, so that crossing the threshold cannot fall between the two. */
  g_dbus_connection_call (self->session_bus, self->mutter_owner, MUTTER_PATH, MUTTER_IFACE,
                          "GetIdletime", NULL, G_VARIANT_TYPE ("(t)"),
                          G_DBUS_CALL_FLAGS_NO_AUTO_START, -1, self->cancellable,
                          got_idletime_cb, g_object_ref (self));
}

static void
forget_mutter (TrbIdleMonitor *self)
{
  g_cancellable_cancel (self->cancellable);
  g_clear_object (&self->cancellable);
  self->cancellable = g_cancellable_new ();

  if (self->signal_id != 0)
    {
      g_dbus_connection_signal_unsubscribe (self->session_bus, self->signal_id);
      self->signal_id = 0;
    }

  g_clear_pointer (&self->mutter_owner, g_free);
  self->mutter_absent = FALSE;
  self->idle_watch_id = 0;
  self->active_watch_id = 0;
  self->active_watch_pending = FALSE;
  self->mutter_ready = FALSE;
  self->mutter_idle = FALSE;
}

static void
remove_watch (TrbIdleMonitor *self,
              guint           id)
{
  if (id == 0 || self->mutter_owner == NULL)
    return;

  g_dbus_connection_call (self->session_bus, self->mutter_owner, MUTTER_PATH, MUTTER_IFACE,
                          "RemoveWatch", g_variant_new ("(u)", id), NULL,
                          G_DBUS_CALL_FLAGS_NO_AUTO_START, -1, NULL, NULL, NULL);
}

static void
mutter_appeared_cb (GDBusConnection *connection,
                    const char      *name,
                    const char      *name_owner,
                    gpointer         user_data)
{
  TrbIdleMonitor *self = user_data;

  forget_mutter (self);
  self->mutter_owner = g_strdup (name_owner);
  self->signal_id = g_dbus_connection_signal_subscribe (connection, name_owner, MUTTER_IFACE,
                                                        "WatchFired", MUTTER_PATH, NULL,
                                                        G_DBUS_SIGNAL_FLAGS_NONE,
                                                        watch_fired_cb, self, NULL);
  g_dbus_connection_call (connection, name_owner, MUTTER_PATH, MUTTER_IFACE, "AddIdleWatch",
                          g_variant_new ("(t)", (guint64) self->idle_ms),
                          G_VARIANT_TYPE ("(u)"), G_DBUS_CALL_FLAGS_NO_AUTO_START, -1,
                          self->cancellable, added_idle_watch_cb, g_object_ref (self));
}

static void
mutter_vanished_cb (GDBusConnection *connection,
                    const char      *name,
                    gpointer         user_data)
{
  TrbIdleMonitor *self = user_data;

  forget_mutter (self);
  self->mutter_absent = TRUE;
  update_state (self);
}

static void
idle_hint_changed_cb (TrbIdleMonitor *self)
{
  update_state (self);
}

static gboolean
trb_idle_monitor_get_active (TrbMonitor *monitor)
{
  return TRB_IDLE_MONITOR (monitor)->active;
}

static void
trb_idle_monitor_iface_init (TrbMonitorInterface *iface)
{
  iface->get_active = trb_idle_monitor_get_active;
}

static void
trb_idle_monitor_dispose (GObject *object)
{
  TrbIdleMonitor *self = TRB_IDLE_MONITOR (object);

  g_clear_handle_id (&self->watch_id, g_bus_unwatch_name);
  if (self->session_bus != NULL)
    {
      remove_watch (self, self->idle_watch_id);
      remove_watch (self, self->active_watch_id);
      forget_mutter (self);
    }
  if (self->idle_hint != NULL)
    g_signal_handlers_disconnect_by_data (self->idle_hint, self);
  g_clear_object (&self->idle_hint);
  g_clear_object (&self->session_bus);
  g_clear_object (&self->cancellable);

  G_OBJECT_CLASS (trb_idle_monitor_parent_class)->dispose (object);
}

static void
trb_idle_monitor_get_property (GObject    *object,
                               guint       prop_id,
                               GValue     *value,
                               GParamSpec *pspec)
{
  TrbIdleMonitor *self = TRB_IDLE_MONITOR (object);

  switch (prop_id)
    {
    case PROP_ACTIVE:
      g_value_set_boolean (value, self->active);
      break;

    case PROP_SOURCE:
      g_value_set_int (value, self->source);
      break;

    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
trb_idle_monitor_class_init (TrbIdleMonitorClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->dispose = trb_idle_monitor_dispose;
  object_class->get_property = trb_idle_monitor_get_property;

  g_object_class_override_property (object_class, PROP_ACTIVE, "active");

  /**
   * TrbIdleMonitor:source:
   *
   * Where the monitor learns whether the computer is idle, a #TrbIdleSource.
   */
  properties[PROP_SOURCE] =
    g_param_spec_int ("source", NULL, NULL,
                      TRB_IDLE_SOURCE_NONE, TRB_IDLE_SOURCE_LOGIND, TRB_IDLE_SOURCE_NONE,
                      G_PARAM_READABLE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);

  g_object_class_install_property (object_class, PROP_SOURCE, properties[PROP_SOURCE]);
}

static void
trb_idle_monitor_init (TrbIdleMonitor *self)
{
  self->cancellable = g_cancellable_new ();
  self->source = TRB_IDLE_SOURCE_NONE;
  self->active = FALSE;
}

/**
 * trb_idle_monitor_new:
 * @session_bus: (nullable): the session bus, where GNOME's idle monitor is
 * @system_bus: (nullable): the system bus, where logind is
 * @idle_seconds: how long without input counts as idle
 *
 * Returns: (transfer full): a monitor that is active while the computer is idle
 */
TrbIdleMonitor *
trb_idle_monitor_new (GDBusConnection *session_bus,
                      GDBusConnection *system_bus,
                      guint            idle_seconds)
{
  TrbIdleMonitor *self;

  g_return_val_if_fail (session_bus == NULL || G_IS_DBUS_CONNECTION (session_bus), NULL);
  g_return_val_if_fail (system_bus == NULL || G_IS_DBUS_CONNECTION (system_bus), NULL);
  g_return_val_if_fail (idle_seconds > 0 && idle_seconds <= 24 * 60 * 60, NULL);

  self = g_object_new (TRB_TYPE_IDLE_MONITOR, NULL);
  self->idle_ms = idle_seconds * 1000;

  if (system_bus != NULL)
    {
      self->idle_hint = trb_dbus_property_monitor_new_idle_hint (system_bus);
      g_signal_connect_swapped (self->idle_hint, "notify::active",
                                G_CALLBACK (idle_hint_changed_cb), self);
      g_signal_connect_swapped (self->idle_hint, "notify::available",
                                G_CALLBACK (idle_hint_changed_cb), self);
      g_signal_connect_swapped (self->idle_hint, "notify::settled",
                                G_CALLBACK (idle_hint_changed_cb), self);
    }

  if (session_bus != NULL)
    {
      self->session_bus = g_object_ref (session_bus);
      self->watch_id = g_bus_watch_name_on_connection (session_bus, MUTTER_NAME,
                                                       G_BUS_NAME_WATCHER_FLAGS_NONE,
                                                       mutter_appeared_cb, mutter_vanished_cb,
                                                       self, NULL);
    }

  update_state (self);
  return self;
}

/**
 * trb_idle_monitor_get_source:
 * @self: a #TrbIdleMonitor
 *
 * Returns: where the monitor learns whether the computer is idle
 */
TrbIdleSource
trb_idle_monitor_get_source (TrbIdleMonitor *self)
{
  g_return_val_if_fail (TRB_IS_IDLE_MONITOR (self), TRB_IDLE_SOURCE_NONE);

  return self->source;
}
