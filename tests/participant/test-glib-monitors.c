/* test-glib-monitors.c
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * Power-saver and metered detection go through GLib's own monitors (GPowerProfileMonitor,
 * GNetworkMonitor). Here they talk to fakes of power-profiles-daemon and NetworkManager on a
 * private bus that stands for the system bus, and the scheduler must follow them.
 */

#include "config.h"

#define G_SETTINGS_ENABLE_BACKEND
#include <gio/gsettingsbackend.h>

#include "fake-dbus-service.h"
#include "participant/trb-property-monitor.h"
#include "participant/trb-scheduler.h"

static const char ppd_xml[] =
  "<node>"
  "  <interface name='net.hadess.PowerProfiles'>"
  "    <property name='ActiveProfile' type='s' access='read'/>"
  "  </interface>"
  "</node>";

static const char nm_xml[] =
  "<node>"
  "  <interface name='org.freedesktop.NetworkManager'>"
  "    <property name='Connectivity' type='u' access='read'/>"
  "    <property name='Metered' type='u' access='read'/>"
  "    <property name='State' type='u' access='read'/>"
  "    <property name='NetworkingEnabled' type='b' access='read'/>"
  "  </interface>"
  "</node>";

/* NetworkManager's NMMetered and NMConnectivityState values. */
#define NM_METERED_YES 1
#define NM_METERED_NO 2
#define NM_CONNECTIVITY_FULL 4
#define NM_STATE_CONNECTED_GLOBAL 70

static TrbSchedulerReason
reason_of (TrbScheduler *scheduler)
{
  return trb_scheduler_decision_get_reason (trb_scheduler_get_decision (scheduler));
}

/* GLib's NetworkManager monitor reads the service with blocking calls while it is made, so the
 * fakes answer from a thread of their own. */
typedef struct
{
  const char      *address;
  GMainContext    *context;
  GMainLoop       *loop;
  FakeDBusService *ppd;
  FakeDBusService *nm;
  GMutex           mutex;
  GCond            cond;
  gboolean         done;
} Services;

typedef struct
{
  Services        *services;
  FakeDBusService *service;
  const char      *name;
  GVariant        *value;
} SetProperty;

static void
signal_done (Services *services)
{
  g_mutex_lock (&services->mutex);
  services->done = TRUE;
  g_cond_signal (&services->cond);
  g_mutex_unlock (&services->mutex);
}

static void
wait_done (Services *services)
{
  g_mutex_lock (&services->mutex);
  while (!services->done)
    g_cond_wait (&services->cond, &services->mutex);
  services->done = FALSE;
  g_mutex_unlock (&services->mutex);
}

static gpointer
services_thread (gpointer user_data)
{
  Services *services = user_data;

  g_main_context_push_thread_default (services->context);

  services->ppd = fake_dbus_service_new (services->address, ppd_xml, "/net/hadess/PowerProfiles",
                                         NULL, NULL);
  fake_dbus_service_set_property (services->ppd, "ActiveProfile",
                                  g_variant_new_string ("balanced"), FALSE);
  fake_dbus_service_own_name (services->ppd, "net.hadess.PowerProfiles");

  services->nm = fake_dbus_service_new (services->address, nm_xml,
                                        "/org/freedesktop/NetworkManager", NULL, NULL);
  fake_dbus_service_set_property (services->nm, "Connectivity",
                                  g_variant_new_uint32 (NM_CONNECTIVITY_FULL), FALSE);
  fake_dbus_service_set_property (services->nm, "Metered", g_variant_new_uint32 (NM_METERED_NO),
                                  FALSE);
  fake_dbus_service_set_property (services->nm, "State",
                                  g_variant_new_uint32 (NM_STATE_CONNECTED_GLOBAL), FALSE);
  fake_dbus_service_set_property (services->nm, "NetworkingEnabled",
                                  g_variant_new_boolean (TRUE), FALSE);
  fake_dbus_service_own_name (services->nm, "org.freedesktop.NetworkManager");
  signal_done (services);

  g_main_loop_run (services->loop);

  g_clear_pointer (&services->ppd, fake_dbus_service_free);
  g_clear_pointer (&services->nm, fake_dbus_service_free);
  g_main_context_pop_thread_default (services->context);
  return NULL;
}

static gboolean
set_property_cb (gpointer user_data)
{
  SetProperty *set = user_data;

  fake_dbus_service_set_property (set->service, set->name, set->value, FALSE);
  signal_done (set->services);
  return G_SOURCE_REMOVE;
}

static void
set_remote_property (Services        *services,
                     FakeDBusService *service,
                     const char      *name,
                     GVariant        *value)
{
  SetProperty set = { services, service, name, value };

  g_main_context_invoke (services->context, set_property_cb, &set);
  wait_done (services);
}

static void
test_power_saver_and_metered (void)
{
  g_autoptr(GTestDBus) bus = g_test_dbus_new (G_TEST_DBUS_NONE);
  g_autoptr(GSettingsBackend) backend = g_memory_settings_backend_new ();
  g_autoptr(GSettings) settings = g_settings_new_with_backend (APP_ID, backend);
  g_autoptr(TrbPropertyMonitor) power_saver = NULL;
  g_autoptr(TrbPropertyMonitor) metered = NULL;
  g_autoptr(TrbScheduler) scheduler = NULL;
  Services services = { 0 };
  GThread *thread;

  g_test_dbus_up (bus);
  services.address = g_test_dbus_get_bus_address (bus);
  /* GLib's monitors use the system bus; the private bus stands in for it. Both monitors are
   * made the first time they are asked for, which in this program is below. */
  g_setenv ("DBUS_SYSTEM_BUS_ADDRESS", services.address, TRUE);
  g_setenv ("GIO_USE_POWER_PROFILE_MONITOR", "dbus", TRUE);
  g_setenv ("GIO_USE_NETWORK_MONITOR", "networkmanager", TRUE);

  g_mutex_init (&services.mutex);
  g_cond_init (&services.cond);
  services.context = g_main_context_new ();
  services.loop = g_main_loop_new (services.context, FALSE);
  thread = g_thread_new ("fake-services", services_thread, &services);
  wait_done (&services);

  power_saver = trb_property_monitor_new_power_saver ();
  metered = trb_property_monitor_new_metered ();
  g_assert_cmpstr (G_OBJECT_TYPE_NAME (g_network_monitor_get_default ()), ==,
                   "GNetworkMonitorNM");
  scheduler = trb_scheduler_new (settings, NULL, NULL, TRB_MONITOR (power_saver),
                                 TRB_MONITOR (metered));
  test_spin (100);
  g_assert_cmpint (reason_of (scheduler), ==, TRB_SCHEDULER_REASON_NONE);

  set_remote_property (&services, services.ppd, "ActiveProfile",
                       g_variant_new_string ("power-saver"));
  TEST_WAIT_UNTIL (trb_monitor_get_active (TRB_MONITOR (power_saver)));
  g_assert_cmpint (reason_of (scheduler), ==, TRB_SCHEDULER_REASON_POWER_SAVER);
  g_assert_cmpstr (trb_scheduler_decision_get_message (trb_scheduler_get_decision (scheduler)),
                   ==, "Paused: power saver is on");

  set_remote_property (&services, services.ppd, "ActiveProfile",
                       g_variant_new_string ("balanced"));
  TEST_WAIT_UNTIL (!trb_monitor_get_active (TRB_MONITOR (power_saver)));
  g_assert_cmpint (reason_of (scheduler), ==, TRB_SCHEDULER_REASON_NONE);

  set_remote_property (&services, services.nm, "Metered", g_variant_new_uint32 (NM_METERED_YES));
  TEST_WAIT_UNTIL (trb_monitor_get_active (TRB_MONITOR (metered)));
  g_assert_cmpint (reason_of (scheduler), ==, TRB_SCHEDULER_REASON_METERED);

  set_remote_property (&services, services.nm, "Metered", g_variant_new_uint32 (NM_METERED_NO));
  TEST_WAIT_UNTIL (!trb_monitor_get_active (TRB_MONITOR (metered)));
  g_assert_cmpint (reason_of (scheduler), ==, TRB_SCHEDULER_REASON_NONE);

  g_clear_object (&scheduler);
  g_clear_object (&power_saver);
  g_clear_object (&metered);
  g_main_loop_quit (services.loop);
  g_thread_join (thread);
  g_main_loop_unref (services.loop);
  g_main_context_unref (services.context);
  g_mutex_clear (&services.mutex);
  g_cond_clear (&services.cond);
  g_test_dbus_down (bus);
}

int
main (int    argc,
      char **argv)
{
  g_test_init (&argc, &argv, G_TEST_OPTION_ISOLATE_DIRS, NULL);

  g_test_add_func ("/glib-monitors/power-saver-and-metered", test_power_saver_and_metered);

  return g_test_run ();
}
