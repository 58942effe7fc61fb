/* fake-monitor.c
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * A monitor whose condition the test sets by hand.
 */

#include "config.h"

#include "fake-monitor.h"

struct _FakeMonitor
{
  GObject  parent_instance;
  gboolean active;
};

static void fake_monitor_iface_init (TrbMonitorInterface *iface);

G_DEFINE_FINAL_TYPE_WITH_CODE (FakeMonitor, fake_monitor, G_TYPE_OBJECT,
                               G_IMPLEMENT_INTERFACE (TRB_TYPE_MONITOR, fake_monitor_iface_init))

enum {
  PROP_0,
  PROP_ACTIVE,
};

static gboolean
fake_monitor_get_active (TrbMonitor *monitor)
{
  return FAKE_MONITOR (monitor)->active;
}

static void
fake_monitor_iface_init (TrbMonitorInterface *iface)
{
  iface->get_active = fake_monitor_get_active;
}

static void
fake_monitor_get_property (GObject    *object,
                           guint       prop_id,
                           GValue     *value,
                           GParamSpec *pspec)
{
  switch (prop_id)
    {
    case PROP_ACTIVE:
      g_value_set_boolean (value, FAKE_MONITOR (object)->active);
      break;

    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
fake_monitor_class_init (FakeMonitorClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->get_property = fake_monitor_get_property;
  g_object_class_override_property (object_class, PROP_ACTIVE, "active");
}

static void
fake_monitor_init (FakeMonitor *self)
{
}

FakeMonitor *
fake_monitor_new (gboolean active)
{
  FakeMonitor *self = g_object_new (FAKE_TYPE_MONITOR, NULL);

  self->active = active;
  return self;
}

void
fake_monitor_set_active (FakeMonitor *self,
                         gboolean     active)
{
  if (self->active == active)
    return;

  self->active = active;
  g_object_notify (G_OBJECT (self), "active");
}
