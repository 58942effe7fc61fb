/* test-monitors-dbus.c
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * The real D-Bus monitors against fakes of UPower, logind and GNOME's idle monitor on a private
 * bus: property changes and watches must flip the scheduler's decision.
 */

#include "config.h"

#define G_SETTINGS_ENABLE_BACKEND
#include <gio/gsettingsbackend.h>

#include "fake-dbus-service.h"
#include "participant/trb-dbus-property-monitor.h"
#include "participant/trb-idle-monitor.h"
#include "participant/trb-scheduler.h"

typedef struct
{
  GTestDBus       *bus;
  const char      *address;
  GDBusConnection *client;
  GSettings       *settings;
} Fixture;

/* What the fake idle monitor knows and was asked. */
typedef struct
{
  guint64 idletime;
  guint   next_id;
  guint64 idle_interval;
  guint   idle_watch;
  guint   active_watch;
  guint   n_active_watches;
  guint   n_removed;
} FakeMutter;

static GVariant *
mutter_method_cb (FakeDBusService  *service,
                  const char       *method,
                  GVariant         *parameters,
                  const char       *sender,
                  gpointer          user_data,
                  GError          **error)
{
  FakeMutter *mutter = user_data;

  if (g_str_equal (method, "GetIdletime"))
    return g_variant_new ("(t)", mutter->idletime);

  if (g_str_equal (method, "AddIdleWatch"))
    {
      g_variant_get (parameters, "(t)", &mutter->idle_interval);
      mutter->idle_watch = ++mutter->next_id;
      return g_variant_new ("(u)", mutter->idle_watch);
    }

  if (g_str_equal (method, "AddUserActiveWatch"))
    {
      mutter->active_watch = ++mutter->next_id;
      mutter->n_active_watches++;
      return g_variant_new ("(u)", mutter->active_watch);
    }

  if (g_str_equal (method, "RemoveWatch"))
    {
      mutter->n_removed++;
      return g_variant_new ("()");
    }

  g_set_error (error, G_DBUS_ERROR, G_DBUS_ERROR_UNKNOWN_METHOD, "No method %s", method);
  return NULL;
}

static void
fixture_set_up (Fixture       *fixture,
                gconstpointer  data)
{
  g_autoptr(GSettingsBackend) backend = g_memory_settings_backend_new ();

  fixture->bus = g_test_dbus_new (G_TEST_DBUS_NONE);
  g_test_dbus_up (fixture->bus);
  fixture->address = g_test_dbus_get_bus_address (fixture->bus);
  fixture->client = test_bus_connect (fixture->address);
  fixture->settings = g_settings_new_with_backend (APP_ID, backend);
}

static void
fixture_tear_down (Fixture       *fixture,
                   gconstpointer  data)
{
  g_clear_object (&fixture->settings);
  g_dbus_connection_close_sync (fixture->client, NULL, NULL);
  g_clear_object (&fixture->client);
  g_test_dbus_down (fixture->bus);
  g_clear_object (&fixture->bus);
}

static TrbSchedulerReason
reason_of (TrbScheduler *scheduler)
{
  return trb_scheduler_decision_get_reason (trb_scheduler_get_decision (scheduler));
}

static void
test_upower (Fixture       *fixture,
             gconstpointer  data)
{
  g_autoptr(TrbDBusPropertyMonitor) monitor = NULL;
  g_autoptr(TrbScheduler) scheduler = NULL;
  g_autoptr(FakeDBusService) upower = NULL;
  g_autoptr(FakeDBusService) impostor = NULL;

  /* The monitor may start before UPower does. */
  monitor = trb_dbus_property_monitor_new_on_battery (fixture->client);
  scheduler = trb_scheduler_new (fixture->settings, NULL, TRB_MONITOR (monitor), NULL, NULL);
  test_spin (50);
  g_assert_false (trb_dbus_property_monitor_get_available (monitor));
  g_assert_cmpint (reason_of (scheduler), ==, TRB_SCHEDULER_REASON_NONE);

  upower = fake_dbus_service_new (fixture->address, FAKE_UPOWER_XML, "/org/freedesktop/UPower",
                                  NULL, NULL);
  fake_dbus_service_set_property (upower, "OnBattery", g_variant_new_boolean (TRUE), FALSE);
  fake_dbus_service_own_name (upower, "org.freedesktop.UPower");
  TEST_WAIT_UNTIL (trb_dbus_property_monitor_get_available (monitor));
  g_assert_true (trb_monitor_get_active (TRB_MONITOR (monitor)));
  g_assert_cmpint (reason_of (scheduler), ==, TRB_SCHEDULER_REASON_ON_BATTERY);
  g_assert_cmpstr (trb_scheduler_decision_get_message (trb_scheduler_get_decision (scheduler)),
                   ==, "Paused: on battery");

  /* Plugged in: the change comes with its value. */
  fake_dbus_service_set_property (upower, "OnBattery", g_variant_new_boolean (FALSE), FALSE);
  TEST_WAIT_UNTIL (!trb_monitor_get_active (TRB_MONITOR (monitor)));
  g_assert_cmpint (reason_of (scheduler), ==, TRB_SCHEDULER_REASON_NONE);

  /* Unplugged: the change only invalidates, and the monitor asks again. */
  fake_dbus_service_set_property (upower, "OnBattery", g_variant_new_boolean (TRUE), TRUE);
  TEST_WAIT_UNTIL (trb_monitor_get_active (TRB_MONITOR (monitor)));
  g_assert_cmpint (reason_of (scheduler), ==, TRB_SCHEDULER_REASON_ON_BATTERY);

  fake_dbus_service_set_property (upower, "OnBattery", g_variant_new_boolean (FALSE), FALSE);
  TEST_WAIT_UNTIL (!trb_monitor_get_active (TRB_MONITOR (monitor)));

  /* Another client cannot speak for UPower. */
  impostor = fake_dbus_service_new (fixture->address, FAKE_UPOWER_XML, "/org/freedesktop/UPower",
                                    NULL, NULL);
  fake_dbus_service_set_property (impostor, "OnBattery", g_variant_new_boolean (TRUE), FALSE);
  test_spin (200);
  g_assert_false (trb_monitor_get_active (TRB_MONITOR (monitor)));
  g_assert_cmpint (reason_of (scheduler), ==, TRB_SCHEDULER_REASON_NONE);

  /* UPower goes away: nothing is known, nothing is held back. */
  fake_dbus_service_set_property (upower, "OnBattery", g_variant_new_boolean (TRUE), FALSE);
  TEST_WAIT_UNTIL (trb_monitor_get_active (TRB_MONITOR (monitor)));
  fake_dbus_service_release_name (upower, "org.freedesktop.UPower");
  TEST_WAIT_UNTIL (!trb_dbus_property_monitor_get_available (monitor));
  g_assert_false (trb_monitor_get_active (TRB_MONITOR (monitor)));
  g_assert_cmpint (reason_of (scheduler), ==, TRB_SCHEDULER_REASON_NONE);
}

static void
test_mutter_idle (Fixture       *fixture,
                  gconstpointer  data)
{
  FakeMutter state = { .idletime = 1000 };
  g_autoptr(FakeDBusService) mutter = NULL;
  g_autoptr(FakeDBusService) impostor = NULL;
  g_autoptr(TrbIdleMonitor) monitor = NULL;
  g_autoptr(TrbScheduler) scheduler = NULL;

  mutter = fake_dbus_service_new (fixture->address, FAKE_MUTTER_XML, FAKE_MUTTER_PATH,
                                  mutter_method_cb, &state);
  fake_dbus_service_own_name (mutter, FAKE_MUTTER_NAME);

  monitor = trb_idle_monitor_new (fixture->client, NULL, 300);
  scheduler = trb_scheduler_new (fixture->settings, TRB_MONITOR (monitor), NULL, NULL, NULL);
  TEST_WAIT_UNTIL (trb_idle_monitor_get_source (monitor) == TRB_IDLE_SOURCE_MUTTER);
  g_assert_cmpuint (state.idle_interval, ==, 300 * 1000);
  g_assert_false (trb_monitor_get_active (TRB_MONITOR (monitor)));
  g_assert_cmpint (reason_of (scheduler), ==, TRB_SCHEDULER_REASON_NOT_IDLE);
  g_assert_cmpuint (state.n_active_watches, ==, 0);

  /* Five minutes without input. */
  fake_dbus_service_emit (mutter, "WatchFired", g_variant_new ("(u)", state.idle_watch));
  TEST_WAIT_UNTIL (trb_monitor_get_active (TRB_MONITOR (monitor)));
  g_assert_cmpint (reason_of (scheduler), ==, TRB_SCHEDULER_REASON_NONE);
  TEST_WAIT_UNTIL (state.n_active_watches == 1);

  /* Only the idle monitor itself is believed. */
  impostor = fake_dbus_service_new (fixture->address, FAKE_MUTTER_XML, FAKE_MUTTER_PATH, NULL, NULL);
  fake_dbus_service_emit (impostor, "WatchFired", g_variant_new ("(u)", state.active_watch));
  test_spin (200);
  g_assert_true (trb_monitor_get_active (TRB_MONITOR (monitor)));

  /* Somebody touches the mouse. */
  fake_dbus_service_emit (mutter, "WatchFired", g_variant_new ("(u)", state.active_watch));
  TEST_WAIT_UNTIL (!trb_monitor_get_active (TRB_MONITOR (monitor)));
  g_assert_cmpint (reason_of (scheduler), ==, TRB_SCHEDULER_REASON_NOT_IDLE);

  /* And leaves again: a new user-active watch is set, since the last one fired. */
  fake_dbus_service_emit (mutter, "WatchFired", g_variant_new ("(u)", state.idle_watch));
  TEST_WAIT_UNTIL (trb_monitor_get_active (TRB_MONITOR (monitor)));
  TEST_WAIT_UNTIL (state.n_active_watches == 2);

  /* The watches are removed when the monitor goes. */
  g_clear_object (&scheduler);
  g_assert_finalize_object (g_steal_pointer (&monitor));
  TEST_WAIT_UNTIL (state.n_removed == 2);
}

static void
test_mutter_already_idle (Fixture       *fixture,
                          gconstpointer  data)
{
  FakeMutter state = { .idletime = 10 * 60 * 1000 };
  g_autoptr(FakeDBusService) mutter = NULL;
  g_autoptr(TrbIdleMonitor) monitor = NULL;

  mutter = fake_dbus_service_new (fixture->address, FAKE_MUTTER_XML, FAKE_MUTTER_PATH,
                                  mutter_method_cb, &state);
  fake_dbus_service_own_name (mutter, FAKE_MUTTER_NAME);

  monitor = trb_idle_monitor_new (fixture->client, NULL, 60);
  TEST_WAIT_UNTIL (trb_idle_monitor_get_source (monitor) == TRB_IDLE_SOURCE_MUTTER);
  g_assert_true (trb_monitor_get_active (TRB_MONITOR (monitor)));
  TEST_WAIT_UNTIL (state.n_active_watches == 1);

  fake_dbus_service_emit (mutter, "WatchFired", g_variant_new ("(u)", state.active_watch));
  TEST_WAIT_UNTIL (!trb_monitor_get_active (TRB_MONITOR (monitor)));
}

static void
test_logind_fallback (Fixture       *fixture,
                      gconstpointer  data)
{
  FakeMutter state = { .idletime = 0 };
  g_autoptr(FakeDBusService) logind = NULL;
  g_autoptr(FakeDBusService) mutter = NULL;
  g_autoptr(TrbIdleMonitor) monitor = NULL;
  g_autoptr(TrbScheduler) scheduler = NULL;

  logind = fake_dbus_service_new (fixture->address, FAKE_LOGIND_XML,
                                  "/org/freedesktop/login1/session/auto", NULL, NULL);
  fake_dbus_service_set_property (logind, "IdleHint", g_variant_new_boolean (FALSE), FALSE);
  fake_dbus_service_own_name (logind, "org.freedesktop.login1");

  /* The same private bus stands for both the session and the system bus. */
  monitor = trb_idle_monitor_new (fixture->client, fixture->client, 300);
  scheduler = trb_scheduler_new (fixture->settings, TRB_MONITOR (monitor), NULL, NULL, NULL);
  TEST_WAIT_UNTIL (trb_idle_monitor_get_source (monitor) == TRB_IDLE_SOURCE_LOGIND);
  g_assert_false (trb_monitor_get_active (TRB_MONITOR (monitor)));
  g_assert_cmpint (reason_of (scheduler), ==, TRB_SCHEDULER_REASON_NOT_IDLE);

  fake_dbus_service_set_property (logind, "IdleHint", g_variant_new_boolean (TRUE), FALSE);
  TEST_WAIT_UNTIL (trb_monitor_get_active (TRB_MONITOR (monitor)));
  g_assert_cmpint (reason_of (scheduler), ==, TRB_SCHEDULER_REASON_NONE);

  /* GNOME's idle monitor, once there, is preferred... */
  mutter = fake_dbus_service_new (fixture->address, FAKE_MUTTER_XML, FAKE_MUTTER_PATH,
                                  mutter_method_cb, &state);
  fake_dbus_service_own_name (mutter, FAKE_MUTTER_NAME);
  TEST_WAIT_UNTIL (trb_idle_monitor_get_source (monitor) == TRB_IDLE_SOURCE_MUTTER);
  g_assert_false (trb_monitor_get_active (TRB_MONITOR (monitor)));
  g_assert_cmpint (reason_of (scheduler), ==, TRB_SCHEDULER_REASON_NOT_IDLE);

  /* ...and when it leaves, logind speaks again. */
  fake_dbus_service_release_name (mutter, FAKE_MUTTER_NAME);
  TEST_WAIT_UNTIL (trb_idle_monitor_get_source (monitor) == TRB_IDLE_SOURCE_LOGIND);
  g_assert_true (trb_monitor_get_active (TRB_MONITOR (monitor)));
  g_assert_cmpint (reason_of (scheduler), ==, TRB_SCHEDULER_REASON_NONE);
}

static void
test_no_idle_source (Fixture       *fixture,
                     gconstpointer  data)
{
  g_autoptr(TrbIdleMonitor) monitor = trb_idle_monitor_new (fixture->client, fixture->client,
                                                            300);
  g_autoptr(TrbIdleMonitor) busless = trb_idle_monitor_new (NULL, NULL, 300);

  /* Nothing is taken for idle before the buses have answered... */
  g_assert_false (trb_monitor_get_active (TRB_MONITOR (monitor)));

  /* ...but once they have, a computer nobody can watch counts as idle. */
  TEST_WAIT_UNTIL (trb_monitor_get_active (TRB_MONITOR (monitor)));
  g_assert_cmpint (trb_idle_monitor_get_source (monitor), ==, TRB_IDLE_SOURCE_NONE);
  g_assert_true (trb_monitor_get_active (TRB_MONITOR (busless)));
}

static GVariant *
broken_mutter_method_cb (FakeDBusService  *service,
                         const char       *method,
                         GVariant         *parameters,
                         const char       *sender,
                         gpointer          user_data,
                         GError          **error)
{
  g_set_error (error, G_DBUS_ERROR, G_DBUS_ERROR_ACCESS_DENIED, "Not for you");
  return NULL;
}

/* GNOME's idle monitor is there but refuses: logind is used, not a stuck "in use". */
static void
test_broken_mutter (Fixture       *fixture,
                    gconstpointer  data)
{
  g_autoptr(FakeDBusService) mutter = NULL;
  g_autoptr(FakeDBusService) logind = NULL;
  g_autoptr(TrbIdleMonitor) monitor = NULL;

  mutter = fake_dbus_service_new (fixture->address, FAKE_MUTTER_XML, FAKE_MUTTER_PATH,
                                  broken_mutter_method_cb, NULL);
  fake_dbus_service_own_name (mutter, FAKE_MUTTER_NAME);
  logind = fake_dbus_service_new (fixture->address, FAKE_LOGIND_XML,
                                  "/org/freedesktop/login1/session/auto", NULL, NULL);
  fake_dbus_service_set_property (logind, "IdleHint", g_variant_new_boolean (TRUE), FALSE);
  fake_dbus_service_own_name (logind, "org.freedesktop.login1");

  monitor = trb_idle_monitor_new (fixture->client, fixture->client, 300);
  TEST_WAIT_UNTIL (trb_idle_monitor_get_source (monitor) == TRB_IDLE_SOURCE_LOGIND);
  g_assert_true (trb_monitor_get_active (TRB_MONITOR (monitor)));
}

int
main (int    argc,
      char **argv)
{
  g_test_init (&argc, &argv, G_TEST_OPTION_ISOLATE_DIRS, NULL);

  g_test_add ("/monitors/upower", Fixture, NULL,
              fixture_set_up, test_upower, fixture_tear_down);
  g_test_add ("/monitors/mutter-idle", Fixture, NULL,
              fixture_set_up, test_mutter_idle, fixture_tear_down);
  g_test_add ("/monitors/mutter-already-idle", Fixture, NULL,
              fixture_set_up, test_mutter_already_idle, fixture_tear_down);
  g_test_add ("/monitors/logind-fallback", Fixture, NULL,
              fixture_set_up, test_logind_fallback, fixture_tear_down);
  g_test_add ("/monitors/no-idle-source", Fixture, NULL,
              fixture_set_up, test_no_idle_source, fixture_tear_down);
  g_test_add ("/monitors/broken-mutter", Fixture, NULL,
              fixture_set_up, test_broken_mutter, fixture_tear_down);

  return g_test_run ();
}
