/* fake-dbus-service.h
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#pragma once

#include <gio/gio.h>

G_BEGIN_DECLS

/* The interfaces of the services the scheduler watches, as the monitor tests fake them. */
#define FAKE_UPOWER_XML \
  "<node>" \
  "  <interface name='org.freedesktop.UPower'>" \
  "    <property name='OnBattery' type='b' access='read'/>" \
  "  </interface>" \
  "</node>"

#define FAKE_LOGIND_XML \
  "<node>" \
  "  <interface name='org.freedesktop.login1.Session'>" \
  "    <property name='IdleHint' type='b' access='read'/>" \
  "  </interface>" \
  "</node>"

#define FAKE_MUTTER_XML \
  "<node>" \
  "  <interface name='org.gnome.Mutter.IdleMonitor'>" \
  "    <method name='GetIdletime'><arg name='idletime' type='t' direction='out'/></method>" \
  "    <method name='AddIdleWatch'>" \
  "      <arg name='interval' type='t' direction='in'/>" \
  "      <arg name='id' type='u' direction='out'/>" \
  "    </method>" \
  "    <method name='AddUserActiveWatch'><arg name='id' type='u' direction='out'/></method>" \
  "    <method name='RemoveWatch'><arg name='id' type='u' direction='in'/></method>" \
  "    <signal name='WatchFired'><arg name='id' type='u'/></signal>" \
  "  </interface>" \
  "</node>"

#define FAKE_MUTTER_NAME "org.gnome.Mutter.IdleMonitor"
#define FAKE_MUTTER_PATH "/org/gnome/Mutter/IdleMonitor/Core"


typedef struct _FakeDBusService FakeDBusService;

/* Answers a method call: returns the reply's parameters (floating is fine), or NULL after
 * setting @error. */
typedef GVariant *(*FakeDBusMethodFunc) (FakeDBusService  *service,
                                         const char       *method,
                                         GVariant         *parameters,
                                         const char       *sender,
                                         gpointer          user_data,
                                         GError          **error);

FakeDBusService *fake_dbus_service_new            (const char         *address,
                                                   const char         *xml,
                                                   const char         *object_path,
                                                   FakeDBusMethodFunc  func,
                                                   gpointer            user_data);
void             fake_dbus_service_free           (FakeDBusService    *self);
GDBusConnection *fake_dbus_service_get_connection (FakeDBusService    *self);
void             fake_dbus_service_own_name       (FakeDBusService    *self,
                                                   const char         *name);
void             fake_dbus_service_release_name   (FakeDBusService    *self,
                                                   const char         *name);
void             fake_dbus_service_set_property   (FakeDBusService    *self,
                                                   const char         *name,
                                                   GVariant           *value,
                                                   gboolean            invalidate_only);
void             fake_dbus_service_emit           (FakeDBusService    *self,
                                                   const char         *signal_name,
                                                   GVariant           *parameters);

GDBusConnection *test_bus_connect                 (const char         *address);
void             test_spin                        (guint               milliseconds);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (FakeDBusService, fake_dbus_service_free)

/* Runs the main context until @cond holds; fails the test after five seconds. */
#define TEST_WAIT_UNTIL(cond)                                                    \
  G_STMT_START {                                                                 \
    gint64 _deadline = g_get_monotonic_time () + 5 * G_USEC_PER_SEC;             \
    while (!(cond))                                                              \
      {                                                                          \
        if (g_get_monotonic_time () > _deadline)                                 \
          g_error ("Timed out waiting for: %s", #cond);                          \
        test_spin (10);                                                          \
      }                                                                          \
  } G_STMT_END

void             fake_dbus_own_name               (GDBusConnection *connection,
                                                   const char      *name);

G_END_DECLS
