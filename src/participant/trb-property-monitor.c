/* trb-property-monitor.c
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * A monitor that follows one boolean property of another object. GLib already watches power
 * profiles (GPowerProfileMonitor) and metered connections (GNetworkMonitor), so those two
 * conditions need nothing more than this.
 */

#define G_LOG_DOMAIN "trb-property-monitor"

#include "config.h"

#include "trb-property-monitor.h"

#include <gio/gio.h>

struct _TrbPropertyMonitor
{
  GObject   parent_instance;

  GObject  *object;
  char     *property_name;
  gulong    notify_id;
  gboolean  active;
};

static void trb_property_monitor_iface_init (TrbMonitorInterface *iface);

G_DEFINE_FINAL_TYPE_WITH_CODE (TrbPropertyMonitor, trb_property_monitor, G_TYPE_OBJECT,
                               G_IMPLEMENT_INTERFACE (TRB_TYPE_MONITOR,
                                                      trb_property_monitor_iface_init))

enum {
  PROP_0,
  PROP_ACTIVE,
  N_PROPS
};

static gboolean
read_property (TrbPropertyMonitor *self)
{
  gboolean value = FALSE;

  g_object_get (self->object, self->property_name, &value, NULL);
  return value;
}

static void
object_notified_cb (GObject            *object,
                    GParamSpec         *pspec,
                    TrbPropertyMonitor *self)
{
  gboolean active = read_property (self);

  if (active == self->active)
    return;

  self->active = active;
  g_object_notify (G_OBJECT (self), "active");
}

static gboolean
trb_property_monitor_get_active (TrbMonitor *monitor)
{
  return TRB_PROPERTY_MONITOR (monitor)->active;
}

static void
trb_property_monitor_iface_init (TrbMonitorInterface *iface)
{
  iface->get_active = trb_property_monitor_get_active;
}

static void
trb_property_monitor_dispose (GObject *object)
{
  TrbPropertyMonitor *self = TRB_PROPERTY_MONITOR (object);

  g_clear_signal_handler (&self->notify_id, self->object);
  g_clear_object (&self->object);

  G_OBJECT_CLASS (trb_property_monitor_parent_class)->dispose (object);
}

static void
trb_property_monitor_finalize (GObject *object)
{
  TrbPropertyMonitor *self = TRB_PROPERTY_MONITOR (object);

  g_free (self->property_name);

  G_OBJECT_CLASS (trb_property_monitor_parent_class)->finalize (object);
}

static void
trb_property_monitor_get_property (GObject    *object,
                                   guint       prop_id,
                                   GValue     *value,
                                   GParamSpec *pspec)
{
  TrbPropertyMonitor *self = TRB_PROPERTY_MONITOR (object);

  switch (prop_id)
    {
    case PROP_ACTIVE:
      g_value_set_boolean (value, self->active);
      break;

    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
trb_property_monitor_class_init (TrbPropertyMonitorClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->dispose = trb_property_monitor_dispose;
  object_class->finalize = trb_property_monitor_finalize;
  object_class->get_property = trb_property_monitor_get_property;

  g_object_class_override_property (object_class, PROP_ACTIVE, "active");
}

static void
trb_property_monitor_init (TrbPropertyMonitor *self)
{
}

/**
 * trb_property_monitor_new:
 * @object: the object to follow
 * @property_name: the name of a boolean property of @object
 *
 * Returns: (transfer full): a monitor that is active while the property is %TRUE
 */
TrbPropertyMonitor *
trb_property_monitor_new (GObject    *object,
                          const char *property_name)
{
  TrbPropertyMonitor *self;
  GParamSpec *pspec;
  g_autofree char *signal = NULL;

  g_return_val_if_fail (G_IS_OBJECT (object), NULL);
  g_return_val_if_fail (property_name != NULL, NULL);

  pspec = g_object_class_find_property (G_OBJECT_GET_CLASS (object), property_name);
  g_return_val_if_fail (pspec != NULL && pspec->value_type == G_TYPE_BOOLEAN, NULL);

  self = g_object_new (TRB_TYPE_PROPERTY_MONITOR, NULL);
  self->object = g_object_ref (object);
  self->property_name = g_strdup (property_name);
  signal = g_strconcat ("notify::", property_name, NULL);
  self->notify_id = g_signal_connect (object, signal, G_CALLBACK (object_notified_cb), self);
  self->active = read_property (self);

  return self;
}

/**
 * trb_property_monitor_new_power_saver:
 *
 * Returns: (transfer full): a monitor that is active while power-saver mode is on
 */
TrbPropertyMonitor *
trb_property_monitor_new_power_saver (void)
{
  g_autoptr(GPowerProfileMonitor) monitor = g_power_profile_monitor_dup_default ();

  return trb_property_monitor_new (G_OBJECT (monitor), "power-saver-enabled");
}

/**
 * trb_property_monitor_new_metered:
 *
 * Returns: (transfer full): a monitor that is active while the network connection is metered
 */
TrbPropertyMonitor *
trb_property_monitor_new_metered (void)
{
  return trb_property_monitor_new (G_OBJECT (g_network_monitor_get_default ()),
                                   "network-metered");
}
