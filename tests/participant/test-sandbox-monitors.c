/* test-sandbox-monitors.c
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * The scheduler inside a simulated Flatpak sandbox. Flatpak shows an app the session and system
 * buses only through xdg-dbus-proxy, which hides every name the manifest's finish-args do not
 * allow. Here the same proxy runs in front of a private bus with fakes of GNOME's idle monitor,
 * UPower and logind, allowing exactly the names of the manifest, and the scheduler made for
 * those filtered buses must learn when the computer is idle or on battery, as Preferences
 * promises.
 */

#include "config.h"

#include <glib-unix.h>
#include <glib/gstdio.h>
#include <json-glib/json-glib.h>
#include <unistd.h>

#define G_SETTINGS_ENABLE_BACKEND
#include <gio/gsettingsbackend.h>

#include "fake-dbus-service.h"
#include "participant/trb-idle-monitor.h"
#include "participant/trb-scheduler.h"

#define IDLE_WATCH_ID 1
#define ACTIVE_WATCH_ID 2

/* One filtered view of the private bus, as the sandbox would see it. */
typedef struct
{
  GSubprocess     *process;
  int              sync_fd;
  GDBusConnection *connection;
} Proxy;

typedef struct
{
  GTestDBus       *bus;
  const char      *address;
  char            *tmpdir;
  GSettings       *settings;
  Proxy            session;
  Proxy            system;
} Fixture;

/* Which manifest the test reads: the development one or Flathub's. */
typedef struct
{
  const char *manifest;
} TestData;

static GVariant *
mutter_method_cb (FakeDBusService  *service,
                  const char       *method,
                  GVariant         *parameters,
                  const char       *sender,
                  gpointer          user_data,
                  GError          **error)
{
  if (g_str_equal (method, "GetIdletime"))
    return g_variant_new ("(t)", (guint64) 0);
  if (g_str_equal (method, "AddIdleWatch"))
    return g_variant_new ("(u)", IDLE_WATCH_ID);
  if (g_str_equal (method, "AddUserActiveWatch"))
    return g_variant_new ("(u)", ACTIVE_WATCH_ID);
  if (g_str_equal (method, "RemoveWatch"))
    return g_variant_new ("()");

  g_set_error (error, G_DBUS_ERROR, G_DBUS_ERROR_UNKNOWN_METHOD, "No method %s", method);
  return NULL;
}

/* The names the manifest lets the app talk to, as xdg-dbus-proxy arguments: @option is
 * "--talk-name" for the session bus, "--system-talk-name" for the system bus. */
static GPtrArray *
talk_names_of (const char *manifest,
               const char *option)
{
  g_autoptr(JsonParser) parser = json_parser_new ();
  g_autoptr(GError) error = NULL;
  g_autofree char *path = g_build_filename (g_getenv ("TRB_SOURCE_ROOT"), "build-aux", "flatpak",
                                            manifest, NULL);
  g_autofree char *prefix = g_strconcat (option, "=", NULL);
  GPtrArray *names = g_ptr_array_new_with_free_func (g_free);
  JsonObject *root;
  JsonArray *args;

  json_parser_load_from_file (parser, path, &error);
  g_assert_no_error (error);
  root = json_node_get_object (json_parser_get_root (parser));
  args = json_object_get_array_member (root, "finish-args");
  for (guint i = 0; i < json_array_get_length (args); i++)
    {
      const char *arg = json_array_get_string_element (args, i);

      if (g_str_has_prefix (arg, prefix))
        g_ptr_array_add (names, g_strconcat ("--talk=", arg + strlen (prefix), NULL));
    }
  return names;
}

static void
proxy_start (Proxy      *proxy,
             Fixture    *fixture,
             const char *socket_name,
             GPtrArray  *talk_args)
{
  g_autoptr(GSubprocessLauncher) launcher = g_subprocess_launcher_new (G_SUBPROCESS_FLAGS_NONE);
  g_autoptr(GPtrArray) argv = g_ptr_array_new_with_free_func (g_free);
  g_autoptr(GError) error = NULL;
  g_autofree char *socket_path = g_build_filename (fixture->tmpdir, socket_name, NULL);
  g_autofree char *address = g_strconcat ("unix:path=", socket_path, NULL);
  int fds[2];
  char byte;

  /* The proxy writes a byte once it listens and exits when the other end is closed. */
  g_unix_open_pipe (fds, FD_CLOEXEC, &error);
  g_assert_no_error (error);
  g_subprocess_launcher_take_fd (launcher, fds[1], 3);

  g_ptr_array_add (argv, g_strdup ("xdg-dbus-proxy"));
  g_ptr_array_add (argv, g_strdup (fixture->address));
  g_ptr_array_add (argv, g_strdup (socket_path));
  g_ptr_array_add (argv, g_strdup ("--filter"));
  g_ptr_array_add (argv, g_strdup ("--fd=3"));
  for (guint i = 0; i < talk_args->len; i++)
    g_ptr_array_add (argv, g_strdup (talk_args->pdata[i]));
  g_ptr_array_add (argv, NULL);

  proxy->process = g_subprocess_launcher_spawnv (launcher, (const char * const *) argv->pdata,
                                                 &error);
  g_assert_no_error (error);
  g_clear_object (&launcher);
  proxy->sync_fd = fds[0];
  g_assert_cmpint (read (proxy->sync_fd, &byte, 1), ==, 1);

  proxy->connection = test_bus_connect (address);
}

static void
proxy_stop (Proxy *proxy)
{
  if (proxy->connection != NULL)
    g_dbus_connection_close_sync (proxy->connection, NULL, NULL);
  g_clear_object (&proxy->connection);
  if (proxy->sync_fd > 0)
    close (proxy->sync_fd);
  proxy->sync_fd = -1;
  if (proxy->process != NULL)
    g_subprocess_wait (proxy->process, NULL, NULL);
  g_clear_object (&proxy->process);
}

static void
fixture_set_up (Fixture       *fixture,
                gconstpointer  user_data)
{
  const TestData *data = user_data;
  g_autoptr(GSettingsBackend) backend = g_memory_settings_backend_new ();
  g_autoptr(GPtrArray) session_names = talk_names_of (data->manifest, "--talk-name");
  g_autoptr(GPtrArray) system_names = talk_names_of (data->manifest, "--system-talk-name");
  g_autoptr(GError) error = NULL;

  fixture->bus = g_test_dbus_new (G_TEST_DBUS_NONE);
  g_test_dbus_up (fixture->bus);
  fixture->address = g_test_dbus_get_bus_address (fixture->bus);
  fixture->settings = g_settings_new_with_backend (APP_ID, backend);
  fixture->tmpdir = g_dir_make_tmp ("trb-sandbox-XXXXXX", &error);
  g_assert_no_error (error);

  /* The one private bus stands for both the session and the system bus, each seen through
   * its own filter. */
  proxy_start (&fixture->session, fixture, "session-bus", session_names);
  proxy_start (&fixture->system, fixture, "system-bus", system_names);
}

static void
fixture_tear_down (Fixture       *fixture,
                   gconstpointer  data)
{
  g_autofree char *session_socket = g_build_filename (fixture->tmpdir, "session-bus", NULL);
  g_autofree char *system_socket = g_build_filename (fixture->tmpdir, "system-bus", NULL);

  proxy_stop (&fixture->session);
  proxy_stop (&fixture->system);
  g_unlink (session_socket);
  g_unlink (system_socket);
  g_rmdir (fixture->tmpdir);
  g_clear_pointer (&fixture->tmpdir, g_free);
  g_clear_object (&fixture->settings);
  g_test_dbus_down (fixture->bus);
  g_clear_object (&fixture->bus);
}

static TrbSchedulerReason
reason_of (TrbScheduler *scheduler)
{
  return trb_scheduler_decision_get_reason (trb_scheduler_get_decision (scheduler));
}

static gboolean
name_has_owner (GDBusConnection *connection,
                const char      *name)
{
  g_autoptr(GVariant) reply = NULL;
  g_autoptr(GError) error = NULL;
  gboolean has_owner = FALSE;

  reply = g_dbus_connection_call_sync (connection, "org.freedesktop.DBus",
                                       "/org/freedesktop/DBus", "org.freedesktop.DBus",
                                       "NameHasOwner", g_variant_new ("(s)", name),
                                       G_VARIANT_TYPE ("(b)"), G_DBUS_CALL_FLAGS_NONE, -1,
                                       NULL, &error);
  g_assert_no_error (error);
  g_variant_get (reply, "(b)", &has_owner);
  return has_owner;
}

/* The simulation hides what a sandbox hides: a name the manifest does not allow. */
static void
test_filter_hides (Fixture       *fixture,
                   gconstpointer  data)
{
  g_autoptr(FakeDBusService) other = NULL;

  other = fake_dbus_service_new (fixture->address, FAKE_UPOWER_XML, "/org/example/Other", NULL, NULL);
  fake_dbus_service_own_name (other, "org.example.NotInTheManifest");
  g_assert_true (name_has_owner (fake_dbus_service_get_connection (other),
                                 "org.example.NotInTheManifest"));
  g_assert_false (name_has_owner (fixture->session.connection, "org.example.NotInTheManifest"));
  g_assert_false (name_has_owner (fixture->system.connection, "org.example.NotInTheManifest"));
}

/* GNOME's idle monitor and UPower reach the scheduler through the filters. */
static void
test_idle_and_battery (Fixture       *fixture,
                       gconstpointer  data)
{
  g_autoptr(FakeDBusService) mutter = NULL;
  g_autoptr(FakeDBusService) upower = NULL;
  g_autoptr(TrbScheduler) scheduler = NULL;

  mutter = fake_dbus_service_new (fixture->address, FAKE_MUTTER_XML, FAKE_MUTTER_PATH,
                                  mutter_method_cb, NULL);
  fake_dbus_service_own_name (mutter, FAKE_MUTTER_NAME);
  upower = fake_dbus_service_new (fixture->address, FAKE_UPOWER_XML, "/org/freedesktop/UPower",
                                  NULL, NULL);
  fake_dbus_service_set_property (upower, "OnBattery", g_variant_new_boolean (FALSE), FALSE);
  fake_dbus_service_own_name (upower, "org.freedesktop.UPower");

  scheduler = trb_scheduler_new_for_buses (fixture->settings, fixture->session.connection,
                                           fixture->system.connection);
  TEST_WAIT_UNTIL (trb_scheduler_can_tell_idle (scheduler) &&
                   trb_scheduler_can_tell_battery (scheduler));

  /* Somebody is at the computer: "only when idle" waits. */
  g_assert_cmpint (reason_of (scheduler), ==, TRB_SCHEDULER_REASON_NOT_IDLE);

  /* Five minutes without input. */
  fake_dbus_service_emit (mutter, "WatchFired", g_variant_new ("(u)", IDLE_WATCH_ID));
  TEST_WAIT_UNTIL (reason_of (scheduler) == TRB_SCHEDULER_REASON_NONE);

  /* Unplugged: "pause on battery" holds. */
  fake_dbus_service_set_property (upower, "OnBattery", g_variant_new_boolean (TRUE), FALSE);
  TEST_WAIT_UNTIL (reason_of (scheduler) == TRB_SCHEDULER_REASON_ON_BATTERY);
}

/* Outside GNOME, logind on the system bus tells when the session is idle. */
static void
test_logind (Fixture       *fixture,
             gconstpointer  data)
{
  g_autoptr(FakeDBusService) logind = NULL;
  g_autoptr(TrbScheduler) scheduler = NULL;

  logind = fake_dbus_service_new (fixture->address, FAKE_LOGIND_XML,
                                  "/org/freedesktop/login1/session/auto", NULL, NULL);
  fake_dbus_service_set_property (logind, "IdleHint", g_variant_new_boolean (FALSE), FALSE);
  fake_dbus_service_own_name (logind, "org.freedesktop.login1");

  scheduler = trb_scheduler_new_for_buses (fixture->settings, fixture->session.connection,
                                           fixture->system.connection);
  TEST_WAIT_UNTIL (trb_scheduler_can_tell_idle (scheduler));
  g_assert_cmpint (reason_of (scheduler), ==, TRB_SCHEDULER_REASON_NOT_IDLE);

  fake_dbus_service_set_property (logind, "IdleHint", g_variant_new_boolean (TRUE), FALSE);
  TEST_WAIT_UNTIL (reason_of (scheduler) == TRB_SCHEDULER_REASON_NONE);
}

/* Where no service runs, the rules cannot work, and Preferences says so. */
static void
test_nothing_runs (Fixture       *fixture,
                   gconstpointer  data)
{
  g_autoptr(TrbScheduler) scheduler = NULL;

  scheduler = trb_scheduler_new_for_buses (fixture->settings, fixture->session.connection,
                                           fixture->system.connection);
  TEST_WAIT_UNTIL (reason_of (scheduler) == TRB_SCHEDULER_REASON_NONE);
  g_assert_false (trb_scheduler_can_tell_idle (scheduler));
  g_assert_false (trb_scheduler_can_tell_battery (scheduler));
}

int
main (int    argc,
      char **argv)
{
  static const TestData manifests[] = {
    { BASE_APP_ID ".json" },
    { "flathub/" BASE_APP_ID ".json" },
  };

  g_autofree char *proxy = NULL;

  g_test_init (&argc, &argv, G_TEST_OPTION_ISOLATE_DIRS, NULL);

  proxy = g_find_program_in_path ("xdg-dbus-proxy");
  if (proxy == NULL)
    {
      /* Flatpak depends on it; without it there is no sandbox to simulate. */
      g_printerr ("xdg-dbus-proxy is needed\n");
      return 1;
    }

  for (guint i = 0; i < G_N_ELEMENTS (manifests); i++)
    {
      const char *kind = i == 0 ? "development" : "flathub";
      g_autofree char *filter = g_strdup_printf ("/sandbox/%s/filter-hides", kind);
      g_autofree char *idle = g_strdup_printf ("/sandbox/%s/idle-and-battery", kind);
      g_autofree char *logind = g_strdup_printf ("/sandbox/%s/logind", kind);
      g_autofree char *nothing = g_strdup_printf ("/sandbox/%s/nothing-runs", kind);

      g_test_add (filter, Fixture, &manifests[i], fixture_set_up, test_filter_hides,
                  fixture_tear_down);
      g_test_add (idle, Fixture, &manifests[i], fixture_set_up, test_idle_and_battery,
                  fixture_tear_down);
      g_test_add (logind, Fixture, &manifests[i], fixture_set_up, test_logind,
                  fixture_tear_down);
      g_test_add (nothing, Fixture, &manifests[i], fixture_set_up, test_nothing_runs,
                  fixture_tear_down);
    }

  return g_test_run ();
}
