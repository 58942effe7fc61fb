/* trb-dbus-property-monitor.c
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * A monitor that follows one boolean D-Bus property of a service: UPower's OnBattery, logind's
 * IdleHint. The service may come and go; while it is away the monitor is unavailable and
 * inactive.
 */

#define G_LOG_DOMAIN "trb-dbus-property-monitor"

#include "config.h"

#include "trb-dbus-property-monitor.h"

struct _TrbDBusPropertyMonitor
{
  GObject          parent_instance;

  GDBusConnection *connection;
  char            *bus_name;
  char            *object_path;
  char            *interface_name;
  char            *property_name;

  GCancellable    *cancellable;
  guint            watch_id;
  guint            signal_id;

  gboolean         active;
  gboolean         available;
  gboolean         settled;
};

static void trb_dbus_property_monitor_iface_init (TrbMonitorInterface *iface);

G_DEFINE_FINAL_TYPE_WITH_CODE (TrbDBusPropertyMonitor, trb_dbus_property_monitor, G_TYPE_OBJECT,
                               G_IMPLEMENT_INTERFACE (TRB_TYPE_MONITOR,
                                                      trb_dbus_property_monitor_iface_init))

enum {
  PROP_0,
  PROP_ACTIVE,
  PROP_AVAILABLE,
  PROP_SETTLED,
  N_PROPS
};

static GParamSpec *properties[N_PROPS];

static void
set_state (TrbDBusPropertyMonitor *self,
           gboolean                available,
           gboolean                active)
{
  g_object_freeze_notify (G_OBJECT (self));
  if (!self->settled)
    {
      self->settled = TRUE;
      g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_SETTLED]);
    }
  if (self->available != available)
    {
      self->available = available;
      g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_AVAILABLE]);
    }
  if (self->active != active)
    {
      self->active = active;
      g_object_notify (G_OBJECT (self), "active");
    }
  g_object_thaw_notify (G_OBJECT (self));
}

static void
take_value (TrbDBusPropertyMonitor *self,
            GVariant               *value)
{
  if (value == NULL || !g_variant_is_of_type (value, G_VARIANT_TYPE_BOOLEAN))
    {
      g_debug ("%s.%s is not a boolean; ignoring it", self->interface_name, self->property_name);
      return;
    }

  set_state (self, TRUE, g_variant_get_boolean (value));
}

static void
got_property_cb (GObject      *object,
                 GAsyncResult *result,
                 gpointer      user_data)
{
  g_autoptr(TrbDBusPropertyMonitor) self = user_data;
  g_autoptr(GError) error = NULL;
  g_autoptr(GVariant) reply = NULL;
  g_autoptr(GVariant) value = NULL;

  reply = g_dbus_connection_call_finish (G_DBUS_CONNECTION (object), result, &error);
  if (reply == NULL)
    {
      if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
        return;

      /* The service is there but will not tell: as good as absent. */
      g_debug ("Could not read %s.%s: %s", self->interface_name, self->property_name,
               error->message);
      set_state (self, FALSE, FALSE);
      return;
    }

  g_variant_get (reply, "(v)", &value);
  take_value (self, value);
}

static void
properties_changed_cb (GDBusConnection *connection,
                       const char      *sender_name,
                       const char      *object_path,
                       const char      *interface_name,
                       const char      *signal_name,
                       GVariant        *parameters,
                       gpointer         user_data)
{
  TrbDBusPropertyMonitor *self = user_data;
  g_autoptr(GVariant) changed = NULL;
  g_autoptr(GVariant) value = NULL;
  g_autofree const char **invalidated = NULL;
  const char *iface = NULL;

  if (!g_variant_is_of_type (parameters, G_VARIANT_TYPE ("(sa{sv}as)")))
    return;

  g_variant_get (parameters, "(&s@a{sv}^a&s)", &iface, &changed, &invalidated);
  if (!g_str_equal (iface, self->interface_name))
    return;

  value = g_variant_lookup_value (changed, self->property_name, NULL);
  if (value != NULL)
    {
      take_value (self, value);
      return;
    }

  if (invalidated != NULL && g_strv_contains (invalidated, self->property_name))
    g_dbus_connection_call (self->connection, self->bus_name, self->object_path,
                            "org.freedesktop.DBus.Properties", "Get",
                            g_variant_new ("(ss)", self->interface_name, self->property_name),
                            G_VARIANT_TYPE ("(v)"), G_DBUS_CALL_FLAGS_NO_AUTO_START, -1,
                            self->cancellable, got_property_cb, g_object_ref (self));
}

static void
unsubscribe (TrbDBusPropertyMonitor *self)
{
  if (self->signal_id != 0)
    {
      g_dbus_connection_signal_unsubscribe (self->connection, self->signal_id);
      self->signal_id = 0;
    }
}

static void
name_appeared_cb (GDBusConnection *connection,
                  const char      *name,
                  const char      *name_owner,
                  gpointer         user_data)
{
  TrbDBusPropertyMonitor *self = user_data;

  /* Subscribe to the owner's unique name so that no other client can fake the signal. */
  unsubscribe (self);
  self->signal_id = g_dbus_connection_signal_subscribe (connection, name_owner,
                                                        "org.freedesktop.DBus.Properties",
                                                        "PropertiesChanged", self->object_path,
                                                        NULL, G_DBUS_SIGNAL_FLAGS_NONE,
                                                        properties_changed_cb, self, NULL);
  g_dbus_connection_call (connection, name_owner, self->object_path,
                          "org.freedesktop.DBus.Properties", "Get",
                          g_variant_new ("(ss)", self->interface_name, self->property_name),
                          G_VARIANT_TYPE ("(v)"), G_DBUS_CALL_FLAGS_NO_AUTO_START, -1,
                          self->cancellable, got_property_cb, g_object_ref (self));
}

static void
name_vanished_cb (GDBusConnection *connection,
                  const char      *name,
                  gpointer         user_data)
{
  TrbDBusPropertyMonitor *self = user_data;

  /* A reply still on its way belongs to the owner that just left. */
  g_cancellable_cancel (self->cancellable);
  g_clear_object (&self->cancellable);
  self->cancellable = g_cancellable_new ();

  unsubscribe (self);
  set_state (self, FALSE, FALSE);
}

static gboolean
trb_dbus_property_monitor_get_active (TrbMonitor *monitor)
{
  return TRB_DBUS_PROPERTY_MONITOR (monitor)->active;
}

static void
trb_dbus_property_monitor_iface_init (TrbMonitorInterface *iface)
{
  iface->get_active = trb_dbus_property_monitor_get_active;
}

static void
trb_dbus_property_monitor_dispose (GObject *object)
{
  TrbDBusPropertyMonitor *self = TRB_DBUS_PROPERTY_MONITOR (object);

  g_cancellable_cancel (self->cancellable);
  g_clear_handle_id (&self->watch_id, g_bus_unwatch_name);
  if (self->connection != NULL)
    unsubscribe (self);
  g_clear_object (&self->cancellable);
  g_clear_object (&self->connection);

  G_OBJECT_CLASS (trb_dbus_property_monitor_parent_class)->dispose (object);
}

static void
trb_dbus_property_monitor_finalize (GObject *object)
{
  TrbDBusPropertyMonitor *self = TRB_DBUS_PROPERTY_MONITOR (object);

  g_free (self->bus_name);
  g_free (self->object_path);
  g_free (self->interface_name);
  g_free (self->property_name);

  G_OBJECT_CLASS (trb_dbus_property_monitor_parent_class)->finalize (object);
}

static void
trb_dbus_property_monitor_get_property (GObject    *object,
                                        guint       prop_id,
                                        GValue     *value,
                                        GParamSpec *pspec)
{
  TrbDBusPropertyMonitor *self = TRB_DBUS_PROPERTY_MONITOR (object);

  switch (prop_id)
    {
    case PROP_ACTIVE:
      g_value_set_boolean (value, self->active);
      break;

    case PROP_AVAILABLE:
      g_value_set_boolean (value, self->available);
      break;

    case PROP_SETTLED:
      g_value_set_boolean (value, self->settled);
      break;

    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
trb_dbus_property_monitor_class_init (TrbDBusPropertyMonitorClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->dispose = trb_dbus_property_monitor_dispose;
  object_class->finalize = trb_dbus_property_monitor_finalize;
  object_class->get_property = trb_dbus_property_monitor_get_property;

  g_object_class_override_property (object_class, PROP_ACTIVE, "active");

  /**
   * TrbDBusPropertyMonitor:available:
   *
   * Whether the service is running and its property has been read.
   */
  properties[PROP_AVAILABLE] =
    g_param_spec_boolean ("available", NULL, NULL,
                          FALSE,
                          G_PARAM_READABLE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);

  /**
   * TrbDBusPropertyMonitor:settled:
   *
   * Whether the monitor knows by now whether the service is there: it has read the property,
   * or seen that nobody owns the name.
   */
  properties[PROP_SETTLED] =
    g_param_spec_boolean ("settled", NULL, NULL,
                          FALSE,
                          G_PARAM_READABLE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);

  g_object_class_install_property (object_class, PROP_AVAILABLE, properties[PROP_AVAILABLE]);
  g_object_class_install_property (object_class, PROP_SETTLED, properties[PROP_SETTLED]);
}

static void
trb_dbus_property_monitor_init (TrbDBusPropertyMonitor *self)
{
  self->cancellable = g_cancellable_new ();
}

/**
 * trb_dbus_property_monitor_new:
 * @connection: the bus the service is on
 * @bus_name: the service's well-known name
 * @object_path: the object that has the property
 * @interface_name: the interface of the property
 * @property_name: a boolean property
 *
 * Returns: (transfer full): a monitor that is active while the property is true
 */
TrbDBusPropertyMonitor *
trb_dbus_property_monitor_new (GDBusConnection *connection,
                               const char      *bus_name,
                               const char      *object_path,
                               const char      *interface_name,
                               const char      *property_name)
{
  TrbDBusPropertyMonitor *self;

  g_return_val_if_fail (G_IS_DBUS_CONNECTION (connection), NULL);
  g_return_val_if_fail (g_dbus_is_name (bus_name), NULL);
  g_return_val_if_fail (g_variant_is_object_path (object_path), NULL);
  g_return_val_if_fail (g_dbus_is_interface_name (interface_name), NULL);
  g_return_val_if_fail (property_name != NULL, NULL);

  self = g_object_new (TRB_TYPE_DBUS_PROPERTY_MONITOR, NULL);
  self->connection = g_object_ref (connection);
  self->bus_name = g_strdup (bus_name);
  self->object_path = g_strdup (object_path);
  self->interface_name = g_strdup (interface_name);
  self->property_name = g_strdup (property_name);
  self->watch_id = g_bus_watch_name_on_connection (connection, bus_name,
                                                   G_BUS_NAME_WATCHER_FLAGS_NONE,
                                                   name_appeared_cb, name_vanished_cb,
                                                   self, NULL);
  return self;
}

/**
 * trb_dbus_property_monitor_new_on_battery:
 * @system_bus: the system bus
 *
 * Returns: (transfer full): a monitor that is active while UPower says the computer runs on
 *   battery
 */
TrbDBusPropertyMonitor *
trb_dbus_property_monitor_new_on_battery (GDBusConnection *system_bus)
{
  return trb_dbus_property_monitor_new (system_bus, "org.freedesktop.UPower",
                                        "/org/freedesktop/UPower", "org.freedesktop.UPower",
                                        "OnBattery");
}

/**
 * trb_dbus_property_monitor_new_idle_hint:
 * @system_bus: the system bus
 *
 * Returns: (transfer full): a monitor that is active while logind says this session is idle
 */
TrbDBusPropertyMonitor *
trb_dbus_property_monitor_new_idle_hint (GDBusConnection *system_bus)
{
  return trb_dbus_property_monitor_new (system_bus, "org.freedesktop.login1",
                                        "/org/freedesktop/login1/session/auto",
                                        "org.freedesktop.login1.Session", "IdleHint");
}

/**
 * trb_dbus_property_monitor_get_settled:
 * @self: a #TrbDBusPropertyMonitor
 *
 * Returns: whether the monitor knows by now whether the service is there
 */
gboolean
trb_dbus_property_monitor_get_settled (TrbDBusPropertyMonitor *self)
{
  g_return_val_if_fail (TRB_IS_DBUS_PROPERTY_MONITOR (self), FALSE);

  return self->settled;
}

/**
 * trb_dbus_property_monitor_get_available:
 * @self: a #TrbDBusPropertyMonitor
 *
 * Returns: whether the service is running and the property has been read
 */
gboolean
trb_dbus_property_monitor_get_available (TrbDBusPropertyMonitor *self)
{
  g_return_val_if_fail (TRB_IS_DBUS_PROPERTY_MONITOR (self), FALSE);

  return self->available;
}
