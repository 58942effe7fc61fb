/* test-portals.c
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * Inside Flatpak the app learns about power saving and the network through xdg-desktop-portal,
 * and asks it for permission to run in the background. Here a fake portal on a private session
 * bus stands in for it, GLib is told to use its portal monitors (as it does in a sandbox), and
 * the real scheduler and background code must follow what the portal says.
 *
 * GLib's default monitors live as long as the program and keep the session bus connection, so
 * the bus and the fake are set up once, in main(), for every test of this program.
 */

#include "config.h"

#define G_SETTINGS_ENABLE_BACKEND
#include <gio/gsettingsbackend.h>

#include "fake-dbus-service.h"
#include "fake-portal.h"
#include "participant/trb-idle-monitor.h"
#include "participant/trb-scheduler.h"
#include "desktop/trb-background.h"

#define TEST_APP_ID "io.github.tributary.Tributary.Test"

static FakePortal *portal;

static TrbSchedulerDecision *
decision_of (TrbScheduler *scheduler)
{
  return trb_scheduler_get_decision (scheduler);
}

/* Anything else means a test would go through another path than the portal's. */
static void
assert_glib_chose_portals (void)
{
  g_autoptr(GPowerProfileMonitor) power = g_power_profile_monitor_dup_default ();
  GNetworkMonitor *network = g_network_monitor_get_default ();

  g_assert_cmpstr (G_OBJECT_TYPE_NAME (power), ==, "GPowerProfileMonitorPortal");
  g_assert_cmpstr (G_OBJECT_TYPE_NAME (network), ==, "GNetworkMonitorPortal");
}

static void
test_glib_chose_portals (void)
{
  assert_glib_chose_portals ();
}

/* One row of the table: what the portal says, two settings, and what the scheduler must
 * decide after it. Every row starts from the state the row before it left and changes one
 * thing (the network's three values come in one answer of the portal). */
typedef struct
{
  const char           *what;
  gboolean              power_saver;
  gboolean              available;
  gboolean              metered;
  GNetworkConnectivity  connectivity;
  gboolean              pause_in_power_saver;
  gboolean              pause_on_metered;
  TrbSchedulerVerdict   verdict;
  TrbSchedulerReason    reason;
  const char           *message;
} Row;

#define FULL G_NETWORK_CONNECTIVITY_FULL
#define LOCAL G_NETWORK_CONNECTIVITY_LOCAL
#define LIMITED G_NETWORK_CONNECTIVITY_LIMITED
#define RUN TRB_SCHEDULER_VERDICT_RUN
#define PAUSED TRB_SCHEDULER_VERDICT_PAUSED
#define READY "Ready to train"
#define POWER_SAVER_MESSAGE "Paused: power saver is on"
#define METERED_MESSAGE "Paused: on a metered connection"

static const Row rows[] = {
  { "nothing holds training back",
    FALSE, TRUE, FALSE, FULL, TRUE, TRUE, RUN, TRB_SCHEDULER_REASON_NONE, READY },
  { "power saver turned on",
    TRUE, TRUE, FALSE, FULL, TRUE, TRUE, PAUSED, TRB_SCHEDULER_REASON_POWER_SAVER,
    POWER_SAVER_MESSAGE },
  { "power saver turned off again",
    FALSE, TRUE, FALSE, FULL, TRUE, TRUE, RUN, TRB_SCHEDULER_REASON_NONE, READY },
  { "a metered connection",
    FALSE, TRUE, TRUE, FULL, TRUE, TRUE, PAUSED, TRB_SCHEDULER_REASON_METERED,
    METERED_MESSAGE },
  { "power saver on a metered connection: power saver is named first",
    TRUE, TRUE, TRUE, FULL, TRUE, TRUE, PAUSED, TRB_SCHEDULER_REASON_POWER_SAVER,
    POWER_SAVER_MESSAGE },
  { "power saver off, still metered",
    FALSE, TRUE, TRUE, FULL, TRUE, TRUE, PAUSED, TRB_SCHEDULER_REASON_METERED,
    METERED_MESSAGE },
  { "metered, but the person allows it",
    FALSE, TRUE, TRUE, FULL, TRUE, FALSE, RUN, TRB_SCHEDULER_REASON_NONE, READY },
  { "metered, not allowed again",
    FALSE, TRUE, TRUE, FULL, TRUE, TRUE, PAUSED, TRB_SCHEDULER_REASON_METERED,
    METERED_MESSAGE },
  { "back on an unmetered connection",
    FALSE, TRUE, FALSE, FULL, TRUE, TRUE, RUN, TRB_SCHEDULER_REASON_NONE, READY },
  /* Training itself needs no network; the participation loop retries its transfers. A lost
   * connection must not be taken for a metered one. */
  { "the network is gone",
    FALSE, FALSE, FALSE, LOCAL, TRUE, TRUE, RUN, TRB_SCHEDULER_REASON_NONE, READY },
  { "back on a metered connection with limited connectivity",
    FALSE, TRUE, TRUE, LIMITED, TRUE, TRUE, PAUSED, TRB_SCHEDULER_REASON_METERED,
    METERED_MESSAGE },
  { "power saver on again",
    TRUE, TRUE, TRUE, LIMITED, TRUE, TRUE, PAUSED, TRB_SCHEDULER_REASON_POWER_SAVER,
    POWER_SAVER_MESSAGE },
  { "power saver, but the person allows it",
    TRUE, TRUE, TRUE, LIMITED, FALSE, TRUE, PAUSED, TRB_SCHEDULER_REASON_METERED,
    METERED_MESSAGE },
  { "metered, but the person allows that too",
    TRUE, TRUE, TRUE, LIMITED, FALSE, FALSE, RUN, TRB_SCHEDULER_REASON_NONE, READY },
  { "power saver rule back on",
    TRUE, TRUE, TRUE, LIMITED, TRUE, FALSE, PAUSED, TRB_SCHEDULER_REASON_POWER_SAVER,
    POWER_SAVER_MESSAGE },
  { "power saver off",
    FALSE, TRUE, TRUE, LIMITED, TRUE, FALSE, RUN, TRB_SCHEDULER_REASON_NONE, READY },
  { "metered rule back on",
    FALSE, TRUE, TRUE, LIMITED, TRUE, TRUE, PAUSED, TRB_SCHEDULER_REASON_METERED,
    METERED_MESSAGE },
  { "back on an unmetered connection with full connectivity",
    FALSE, TRUE, FALSE, FULL, TRUE, TRUE, RUN, TRB_SCHEDULER_REASON_NONE, READY },
};

static gboolean
network_is (GNetworkMonitor      *network,
            gboolean              available,
            gboolean              metered,
            GNetworkConnectivity  connectivity)
{
  return g_network_monitor_get_network_available (network) == available &&
         g_network_monitor_get_network_metered (network) == metered &&
         g_network_monitor_get_connectivity (network) == connectivity;
}

static void
count_cb (GObject    *object,
          GParamSpec *pspec,
          guint      *count)
{
  (*count)++;
}

static void
test_scheduler_table (void)
{
  g_autoptr(GSettingsBackend) backend = g_memory_settings_backend_new ();
  g_autoptr(GSettings) settings = g_settings_new_with_backend (APP_ID, backend);
  g_autoptr(GPowerProfileMonitor) power = g_power_profile_monitor_dup_default ();
  GNetworkMonitor *network = g_network_monitor_get_default ();
  g_autoptr(TrbScheduler) scheduler = NULL;
  const Row *before = &rows[0];
  guint n_decisions = 0;

  assert_glib_chose_portals ();

  /* The portal's starting state, which is also the first row's. */
  fake_portal_set_power_saver (portal, FALSE);
  fake_portal_set_network (portal, TRUE, FALSE, FULL);
  TEST_WAIT_UNTIL (!g_power_profile_monitor_get_power_saver_enabled (power) &&
                   network_is (network, TRUE, FALSE, FULL));

  /* The scheduler the app makes: GLib's monitors, GNOME's idle monitor or logind (neither is
   * on this bus), UPower (no system bus). */
  scheduler = trb_scheduler_new_for_system (settings);
  g_signal_connect (scheduler, "notify::decision", G_CALLBACK (count_cb), &n_decisions);
  TEST_WAIT_UNTIL (trb_scheduler_decision_get_verdict (decision_of (scheduler)) == RUN);

  for (guint i = 0; i < G_N_ELEMENTS (rows); i++)
    {
      const Row *row = &rows[i];
      TrbSchedulerDecision *decision;
      guint n_before = n_decisions;
      gboolean changed;

      g_test_message ("Row %u: %s", i, row->what);

      g_settings_set_boolean (settings, "pause-in-power-saver", row->pause_in_power_saver);
      g_settings_set_boolean (settings, "pause-on-metered", row->pause_on_metered);

      if (row->power_saver != before->power_saver)
        {
          fake_portal_set_power_saver (portal, row->power_saver);
          TEST_WAIT_UNTIL (g_power_profile_monitor_get_power_saver_enabled (power) ==
                           row->power_saver);
        }
      if (row->available != before->available || row->metered != before->metered ||
          row->connectivity != before->connectivity)
        {
          guint n_calls = fake_portal_get_n_status_calls (portal);

          fake_portal_set_network (portal, row->available, row->metered, row->connectivity);
          TEST_WAIT_UNTIL (fake_portal_get_n_status_calls (portal) > n_calls &&
                           network_is (network, row->available, row->metered,
                                       row->connectivity));
        }

      /* GLib's monitors notify at once, so the decision is already made. */
      decision = decision_of (scheduler);
      g_assert_cmpint (trb_scheduler_decision_get_verdict (decision), ==, row->verdict);
      g_assert_cmpint (trb_scheduler_decision_get_reason (decision), ==, row->reason);
      g_assert_cmpstr (trb_scheduler_decision_get_message (decision), ==, row->message);
      g_assert_cmpint (trb_scheduler_decision_may_start (decision), ==, row->verdict == RUN);

      /* Announced once when it changes, and not at all when it does not. */
      changed = row->verdict != before->verdict || row->reason != before->reason;
      g_assert_cmpuint (n_decisions - n_before, ==, changed ? 1 : 0);

      before = row;
    }
}

/* In a sandbox neither GNOME's idle monitor nor logind nor UPower can be reached; only the
 * portal is there. Nothing may then hold training back forever. */
static void
test_sandbox_without_idle_or_battery (void)
{
  g_autoptr(GSettingsBackend) backend = g_memory_settings_backend_new ();
  g_autoptr(GSettings) settings = g_settings_new_with_backend (APP_ID, backend);
  g_autoptr(GDBusConnection) session_bus = NULL;
  g_autoptr(GDBusConnection) system_bus = NULL;
  g_autoptr(TrbIdleMonitor) idle = NULL;
  g_autoptr(TrbScheduler) scheduler = NULL;
  g_autoptr(GError) error = NULL;

  assert_glib_chose_portals ();
  fake_portal_set_power_saver (portal, FALSE);
  fake_portal_set_network (portal, TRUE, FALSE, FULL);
  g_assert_true (g_settings_get_boolean (settings, "only-when-idle"));
  g_assert_true (g_settings_get_boolean (settings, "pause-on-battery"));

  system_bus = g_bus_get_sync (G_BUS_TYPE_SYSTEM, NULL, &error);
  g_assert_null (system_bus);
  g_assert_nonnull (error);
  session_bus = g_bus_get_sync (G_BUS_TYPE_SESSION, NULL, NULL);
  g_assert_nonnull (session_bus);

  /* Until GNOME's idle monitor has turned out to be absent the computer counts as in use;
   * then as idle, since nothing can tell. */
  idle = trb_idle_monitor_new (session_bus, NULL, 300);
  g_assert_false (trb_monitor_get_active (TRB_MONITOR (idle)));
  TEST_WAIT_UNTIL (trb_monitor_get_active (TRB_MONITOR (idle)));
  g_assert_cmpint (trb_idle_monitor_get_source (idle), ==, TRB_IDLE_SOURCE_NONE);

  /* The whole scheduler settles on running: the wait for the idle monitor is one round trip
   * to the bus, well within the five seconds TEST_WAIT_UNTIL allows. */
  scheduler = trb_scheduler_new_for_system (settings);
  TEST_WAIT_UNTIL (trb_scheduler_decision_get_verdict (decision_of (scheduler)) == RUN);
  g_assert_cmpstr (trb_scheduler_decision_get_message (decision_of (scheduler)), ==, READY);
  /* Preferences asks this to say that idle and battery rules cannot take effect here. */
  TEST_WAIT_UNTIL (!trb_scheduler_can_tell_idle (scheduler));
  g_assert_false (trb_scheduler_can_tell_battery (scheduler));

  /* And the rules the portal can tell about still work there. */
  fake_portal_set_power_saver (portal, TRUE);
  TEST_WAIT_UNTIL (trb_scheduler_decision_get_reason (decision_of (scheduler)) ==
                   TRB_SCHEDULER_REASON_POWER_SAVER);
  fake_portal_set_power_saver (portal, FALSE);
  TEST_WAIT_UNTIL (trb_scheduler_decision_get_reason (decision_of (scheduler)) ==
                   TRB_SCHEDULER_REASON_NONE);
}

static void
ping_replied_cb (GObject      *object,
                 GAsyncResult *result,
                 gpointer      user_data)
{
  gboolean *done = user_data;
  g_autoptr(GVariant) reply = NULL;
  g_autoptr(GError) error = NULL;

  reply = g_dbus_connection_call_finish (G_DBUS_CONNECTION (object), result, &error);
  g_assert_no_error (error);
  *done = TRUE;
}

/* Everything the portal sent the app before now has been handled: the portal's messages arrive
 * in order, and the app's main context runs their handlers in order. */
static void
flush_portal (void)
{
  g_autoptr(GDBusConnection) session_bus = g_bus_get_sync (G_BUS_TYPE_SESSION, NULL, NULL);
  gboolean done = FALSE;

  g_dbus_connection_call (session_bus, "org.freedesktop.portal.Desktop",
                          "/org/freedesktop/portal/desktop", "org.freedesktop.DBus.Properties",
                          "Get",
                          g_variant_new ("(ss)", "org.freedesktop.portal.Background", "version"),
                          G_VARIANT_TYPE ("(v)"), G_DBUS_CALL_FLAGS_NONE, -1, NULL,
                          ping_replied_cb, &done);
  TEST_WAIT_UNTIL (done);
  test_spin (20);
}

static void
problem_cb (TrbBackground *background,
            const char    *message,
            GPtrArray     *problems)
{
  g_ptr_array_add (problems, g_strdup (message));
}

typedef struct
{
  GSettingsBackend *backend;
  GSettings        *settings;
  GApplication     *application;
  TrbBackground    *background;
  GPtrArray        *problems;
  char             *autostart_path;
} Fixture;

static void
fixture_set_up (Fixture       *fixture,
                gconstpointer  data)
{
  const FakePortalAnswer *answer = data;

  fake_portal_set_background_answer (portal, answer);
  fixture->backend = g_memory_settings_backend_new ();
  fixture->settings = g_settings_new_with_backend (APP_ID, fixture->backend);
  fixture->application = g_application_new (TEST_APP_ID, G_APPLICATION_NON_UNIQUE);
  fixture->problems = g_ptr_array_new_with_free_func (g_free);
  fixture->autostart_path = trb_background_get_autostart_path (TEST_APP_ID);
}

static void
fixture_tear_down (Fixture       *fixture,
                   gconstpointer  data)
{
  if (fixture->background != NULL)
    g_assert_finalize_object (g_steal_pointer (&fixture->background));
  g_clear_object (&fixture->application);
  g_clear_object (&fixture->settings);
  g_clear_object (&fixture->backend);
  g_clear_pointer (&fixture->problems, g_ptr_array_unref);
  g_clear_pointer (&fixture->autostart_path, g_free);
}

static void
make_background (Fixture *fixture)
{
  fixture->background = trb_background_new (fixture->application, fixture->settings,
                                             "/usr/bin/tributary");
  g_signal_connect (fixture->background, "problem", G_CALLBACK (problem_cb), fixture->problems);
}

/* Turns the setting on or off and waits until the portal has answered and the app has heard
 * the answer. */
static void
switch_background (Fixture  *fixture,
                   gboolean  enabled)
{
  guint n_responses = fake_portal_get_n_background_responses (portal);

  g_settings_set_boolean (fixture->settings, "run-in-background", enabled);
  TEST_WAIT_UNTIL (fake_portal_get_n_background_responses (portal) > n_responses);
  flush_portal ();
}

static void
assert_request (gboolean autostart)
{
  g_autoptr(GVariant) options = fake_portal_dup_last_background_options (portal);
  g_autofree const char **commandline = NULL;
  const char *reason = NULL;
  const char *token = NULL;
  gboolean requested_autostart = !autostart;
  gboolean activatable = TRUE;

  g_assert_nonnull (options);
  g_assert_true (g_variant_lookup (options, "handle_token", "&s", &token));
  g_assert_true (g_variant_lookup (options, "autostart", "b", &requested_autostart));
  g_assert_cmpint (requested_autostart, ==, autostart);
  g_assert_true (g_variant_lookup (options, "dbus-activatable", "b", &activatable));
  g_assert_false (activatable);
  g_assert_true (g_variant_lookup (options, "reason", "&s", &reason));
  g_assert_cmpstr (reason, ==,
                   "Keep contributing to learning networks after the window is closed");
  /* Started at login without a window, by the command the sandbox knows. */
  g_assert_true (g_variant_lookup (options, "commandline", "^a&s", &commandline));
  g_assert_cmpuint (g_strv_length ((char **) commandline), ==, 2);
  g_assert_cmpstr (commandline[0], ==, PACKAGE_NAME);
  g_assert_cmpstr (commandline[1], ==, "--gapplication-service");
}

static void
test_background_granted (Fixture       *fixture,
                         gconstpointer  data)
{
  guint n_requests = fake_portal_get_n_background_requests (portal);

  /* Nobody who never turned it on is asked. */
  make_background (fixture);
  flush_portal ();
  g_assert_cmpuint (fake_portal_get_n_background_requests (portal), ==, n_requests);
  g_assert_false (trb_background_get_holding (fixture->background));

  switch_background (fixture, TRUE);
  g_assert_cmpuint (fake_portal_get_n_background_requests (portal), ==, n_requests + 1);
  assert_request (TRUE);
  g_assert_true (g_settings_get_boolean (fixture->settings, "run-in-background"));
  g_assert_true (trb_background_get_enabled (fixture->background));
  g_assert_true (trb_background_get_holding (fixture->background));
  g_assert_cmpuint (fixture->problems->len, ==, 0);
  /* The portal, not a file of the app's own, starts it at login. */
  g_assert_false (g_file_test (fixture->autostart_path, G_FILE_TEST_EXISTS));

  /* Turning it off tells the portal, so that it removes its autostart entry. */
  switch_background (fixture, FALSE);
  g_assert_cmpuint (fake_portal_get_n_background_requests (portal), ==, n_requests + 2);
  assert_request (FALSE);
  g_assert_false (trb_background_get_enabled (fixture->background));
  g_assert_false (trb_background_get_holding (fixture->background));
  g_assert_cmpuint (fixture->problems->len, ==, 0);

  /* Already on at start: asked at once. */
  g_assert_finalize_object (g_steal_pointer (&fixture->background));
  g_settings_set_boolean (fixture->settings, "run-in-background", TRUE);
  make_background (fixture);
  g_assert_true (trb_background_get_holding (fixture->background));
  TEST_WAIT_UNTIL (fake_portal_get_n_background_requests (portal) == n_requests + 3);
  flush_portal ();
  assert_request (TRUE);
  g_assert_true (g_settings_get_boolean (fixture->settings, "run-in-background"));
  g_assert_cmpuint (fixture->problems->len, ==, 0);
}

static void
test_background_refused (Fixture       *fixture,
                         gconstpointer  data)
{
  guint n_requests = fake_portal_get_n_background_requests (portal);

  make_background (fixture);
  switch_background (fixture, TRUE);
  g_assert_cmpuint (fake_portal_get_n_background_requests (portal), ==, n_requests + 1);
  assert_request (TRUE);

  /* Said once, in plain words, and the switch goes back off to show what really happens. */
  g_assert_cmpuint (fixture->problems->len, ==, 1);
  g_assert_cmpstr (g_ptr_array_index (fixture->problems, 0), ==,
                   "Tributary was not allowed to run in the background. You can allow it in "
                   "the Apps page of Settings.");
  g_assert_false (g_settings_get_boolean (fixture->settings, "run-in-background"));
  g_assert_false (trb_background_get_enabled (fixture->background));
  g_assert_false (trb_background_get_holding (fixture->background));
  g_assert_false (g_file_test (fixture->autostart_path, G_FILE_TEST_EXISTS));

  /* The switch going back off is no new request, which would only be refused again. */
  flush_portal ();
  g_assert_cmpuint (fake_portal_get_n_background_requests (portal), ==, n_requests + 1);
  g_assert_cmpuint (fixture->problems->len, ==, 1);
}

int
main (int    argc,
      char **argv)
{
  static const FakePortalAnswer granted = { 0, TRUE, TRUE };
  static const FakePortalAnswer refused = { 1, FALSE, FALSE };
  /* Running in the background allowed, but not starting at login, which the switch promises
   * too: libportal reports that as not granted. */
  static const FakePortalAnswer no_autostart = { 0, TRUE, FALSE };
  GTestDBus *bus;
  g_autoptr(GDBusConnection) session_bus = NULL;
  g_autofree char *no_system_bus = NULL;
  int status;

  /* What a sandbox looks like to GLib 2.74: portals wanted, and no GIO module forced. The
   * app's background mode is told to take its sandbox path too. */
  g_setenv ("GTK_USE_PORTAL", "1", TRUE);
  g_setenv ("TRB_USE_BACKGROUND_PORTAL", "1", TRUE);
  g_unsetenv ("GIO_USE_POWER_PROFILE_MONITOR");
  g_unsetenv ("GIO_USE_NETWORK_MONITOR");

  g_test_init (&argc, &argv, G_TEST_OPTION_ISOLATE_DIRS, NULL);

  /* No system bus, as in a sandbox without --system-talk-name: no UPower, no logind. */
  no_system_bus = g_strconcat ("unix:path=", g_get_user_runtime_dir (), "/no-system-bus", NULL);
  g_setenv ("DBUS_SYSTEM_BUS_ADDRESS", no_system_bus, TRUE);

  bus = g_test_dbus_new (G_TEST_DBUS_NONE);
  g_test_dbus_up (bus);
  portal = fake_portal_new (g_test_dbus_get_bus_address (bus));

  g_test_add_func ("/portals/glib-chose-portals", test_glib_chose_portals);
  g_test_add_func ("/portals/scheduler-table", test_scheduler_table);
  g_test_add_func ("/portals/sandbox-without-idle-or-battery",
                   test_sandbox_without_idle_or_battery);
  g_test_add ("/portals/background-granted", Fixture, &granted, fixture_set_up,
              test_background_granted, fixture_tear_down);
  g_test_add ("/portals/background-refused", Fixture, &refused, fixture_set_up,
              test_background_refused, fixture_tear_down);
  g_test_add ("/portals/background-without-autostart", Fixture, &no_autostart, fixture_set_up,
              test_background_refused, fixture_tear_down);

  status = g_test_run ();

  /* GLib's monitors keep the session bus connection to the end, so the bus is stopped without
   * waiting for that connection to go, and without the program leaving when it closes. */
  session_bus = g_bus_get_sync (G_BUS_TYPE_SESSION, NULL, NULL);
  g_dbus_connection_set_exit_on_close (session_bus, FALSE);
  g_clear_pointer (&portal, fake_portal_free);
  /* The bus object is left behind: letting it go would wait for that connection. */
  g_test_dbus_stop (bus);

  return status;
}
