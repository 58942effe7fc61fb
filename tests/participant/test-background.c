/* test-background.c
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * Background mode outside Flatpak, without a display: the XDG autostart file follows the
 * setting, starts the right program with the right arguments, and the application is held.
 */

#include "config.h"

#define G_SETTINGS_ENABLE_BACKEND
#include <gio/gdesktopappinfo.h>
#include <gio/gsettingsbackend.h>
#include <glib/gstdio.h>

#include "fake-dbus-service.h"
#include "desktop/trb-background.h"

#define TEST_APP_ID "io.github.tributary.Tributary.Test"

static char *
autostart_path (void)
{
  return trb_background_get_autostart_path (TEST_APP_ID);
}

static void
test_quote_exec_argument (void)
{
  static const struct {
    const char *argument;
    const char *quoted;
  } cases[] = {
    { "/usr/bin/tributary", "/usr/bin/tributary" },
    { "/home/ann/my apps/tributary", "\"/home/ann/my apps/tributary\"" },
    { "/a/$HOME", "\"/a/\\$HOME\"" },
    { "/a/say \"hi\"", "\"/a/say \\\"hi\\\"\"" },
    { "/a/back\\slash", "\"/a/back\\\\slash\"" },
    { "/a/`tick`", "\"/a/\\`tick\\`\"" },
    { "/a/100%", "\"/a/100%%\"" },
    { "/a/x=y", "\"/a/x=y\"" },
    { "", "\"\"" },
  };

  for (guint i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_autofree char *quoted = trb_background_quote_exec_argument (cases[i].argument);

      g_assert_cmpstr (quoted, ==, cases[i].quoted);
    }
}

/* Reads the Exec line back as a launcher would: key-file unescaping, then the specification's
 * quoting rules (those of the shell's double quotes), then "%%" to "%". */
static char **
read_exec_argv (const char *path)
{
  g_autoptr(GKeyFile) key_file = g_key_file_new ();
  g_autoptr(GError) error = NULL;
  g_autofree char *exec = NULL;
  char **argv = NULL;

  g_key_file_load_from_file (key_file, path, G_KEY_FILE_NONE, &error);
  g_assert_no_error (error);
  exec = g_key_file_get_string (key_file, G_KEY_FILE_DESKTOP_GROUP, "Exec", &error);
  g_assert_no_error (error);
  g_shell_parse_argv (exec, NULL, &argv, &error);
  g_assert_no_error (error);

  for (guint i = 0; argv[i] != NULL; i++)
    {
      g_auto(GStrv) parts = g_strsplit (argv[i], "%%", -1);

      g_free (argv[i]);
      argv[i] = g_strjoinv ("%", parts);
    }
  return argv;
}

static void
test_autostart_file (void)
{
  g_autofree char *path = autostart_path ();
  g_autofree char *dir = g_build_filename (g_get_user_data_dir (), "my apps", NULL);
  g_autofree char *program = g_build_filename (dir, "tri$bu\"t`a\\ry =x", NULL);
  g_autofree char *marker = g_build_filename (g_get_user_data_dir (), "launched", NULL);
  g_autofree char *script = NULL;
  g_autofree char *launched = NULL;
  g_autofree char *expected = NULL;
  g_autofree char *type = NULL;
  g_autofree char *icon = NULL;
  g_autoptr(GKeyFile) key_file = g_key_file_new ();
  g_autoptr(GDesktopAppInfo) info = NULL;
  g_autoptr(GError) error = NULL;
  g_auto(GStrv) argv = NULL;
  GStatBuf st;

  /* A program with every awkward character in its path, which notes how it was started. */
  g_assert_cmpint (g_mkdir_with_parents (dir, 0700), ==, 0);
  script = g_strdup_printf ("#!/bin/sh\nprintf '%%s|' \"$0\" \"$@\" > '%s'\n", marker);
  g_file_set_contents_full (program, script, -1, G_FILE_SET_CONTENTS_NONE, 0755, &error);
  g_assert_no_error (error);

  g_assert_false (g_file_test (path, G_FILE_TEST_EXISTS));
  g_assert_true (trb_background_write_autostart (TEST_APP_ID, program, &error));
  g_assert_no_error (error);

  g_assert_true (g_str_has_prefix (path, g_get_user_config_dir ()));
  g_assert_true (g_str_has_suffix (path, "/autostart/" TEST_APP_ID ".desktop"));
  g_assert_cmpint (g_stat (path, &st), ==, 0);
  g_assert_cmpint (st.st_mode & 0777, ==, 0644);

  g_key_file_load_from_file (key_file, path, G_KEY_FILE_NONE, &error);
  g_assert_no_error (error);
  type = g_key_file_get_string (key_file, "Desktop Entry", "Type", NULL);
  g_assert_cmpstr (type, ==, "Application");
  g_assert_true (g_key_file_get_boolean (key_file, "Desktop Entry", "X-GNOME-Autostart-enabled",
                                         NULL));
  icon = g_key_file_get_string (key_file, "Desktop Entry", "Icon", NULL);
  g_assert_cmpstr (icon, ==, TEST_APP_ID);

  argv = read_exec_argv (path);
  g_assert_cmpuint (g_strv_length (argv), ==, 2);
  g_assert_cmpstr (argv[0], ==, program);
  g_assert_cmpstr (argv[1], ==, "--gapplication-service");

  /* And GLib's own launcher, as the session uses, starts exactly that. */
  info = g_desktop_app_info_new_from_filename (path);
  g_assert_nonnull (info);
  g_app_info_launch (G_APP_INFO (info), NULL, NULL, &error);
  g_assert_no_error (error);
  TEST_WAIT_UNTIL (g_file_get_contents (marker, &launched, NULL, NULL) &&
                   g_str_has_suffix (launched, "|"));
  expected = g_strconcat (program, "|--gapplication-service|", NULL);
  g_assert_cmpstr (launched, ==, expected);

  /* Writing again replaces the file; removing twice is fine. */
  g_assert_true (trb_background_write_autostart (TEST_APP_ID, "/usr/bin/tributary", &error));
  g_clear_pointer (&argv, g_strfreev);
  argv = read_exec_argv (path);
  g_assert_cmpstr (argv[0], ==, "/usr/bin/tributary");
  g_assert_true (trb_background_remove_autostart (TEST_APP_ID, &error));
  g_assert_no_error (error);
  g_assert_false (g_file_test (path, G_FILE_TEST_EXISTS));
  g_assert_true (trb_background_remove_autostart (TEST_APP_ID, &error));
  g_assert_no_error (error);
}

static void
test_autostart_refuses_bad_paths (void)
{
  g_autofree char *path = autostart_path ();
  g_autoptr(GError) error = NULL;

  g_assert_false (trb_background_write_autostart (TEST_APP_ID, "tributary", &error));
  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT);
  g_clear_error (&error);
  g_assert_false (trb_background_write_autostart (TEST_APP_ID, "/usr/bin/\xff\xfe", &error));
  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT);
  g_assert_false (g_file_test (path, G_FILE_TEST_EXISTS));
}

static void
count_cb (GObject    *object,
          GParamSpec *pspec,
          guint      *count)
{
  (*count)++;
}

static void
problem_cb (TrbBackground *background,
            const char    *message,
            char         **out)
{
  g_free (*out);
  *out = g_strdup (message);
}

static void
test_background_follows_setting (void)
{
  g_autoptr(GSettingsBackend) backend = g_memory_settings_backend_new ();
  g_autoptr(GSettings) settings = g_settings_new_with_backend (APP_ID, backend);
  g_autoptr(GApplication) app = g_application_new (TEST_APP_ID, G_APPLICATION_NON_UNIQUE);
  g_autoptr(TrbBackground) background = NULL;
  g_autofree char *path = autostart_path ();
  g_autofree char *problem = NULL;
  g_auto(GStrv) argv = NULL;
  guint n_notified = 0;

  background = trb_background_new (app, settings, "/usr/bin/tributary");
  g_signal_connect (background, "notify::enabled", G_CALLBACK (count_cb), &n_notified);
  g_signal_connect (background, "problem", G_CALLBACK (problem_cb), &problem);
  g_assert_false (trb_background_get_enabled (background));
  g_assert_false (trb_background_get_holding (background));
  g_assert_false (g_file_test (path, G_FILE_TEST_EXISTS));

  g_settings_set_boolean (settings, "run-in-background", TRUE);
  g_assert_true (trb_background_get_enabled (background));
  g_assert_true (trb_background_get_holding (background));
  g_assert_cmpuint (n_notified, ==, 1);
  argv = read_exec_argv (path);
  g_assert_cmpstr (argv[0], ==, "/usr/bin/tributary");
  g_assert_cmpstr (argv[1], ==, "--gapplication-service");

  g_settings_set_boolean (settings, "run-in-background", FALSE);
  g_assert_false (trb_background_get_enabled (background));
  g_assert_false (trb_background_get_holding (background));
  g_assert_cmpuint (n_notified, ==, 2);
  g_assert_false (g_file_test (path, G_FILE_TEST_EXISTS));
  g_assert_null (problem);

  /* Already on at start: the file is (re)written at once and the app held. */
  g_clear_object (&background);
  g_settings_set_boolean (settings, "run-in-background", TRUE);
  background = trb_background_new (app, settings, "/opt/tributary/bin/tributary");
  g_assert_true (trb_background_get_holding (background));
  g_clear_pointer (&argv, g_strfreev);
  argv = read_exec_argv (path);
  g_assert_cmpstr (argv[0], ==, "/opt/tributary/bin/tributary");

  /* Going away releases the hold it took. */
  g_assert_finalize_object (g_steal_pointer (&background));
}

static void
test_background_reports_problems (void)
{
  g_autoptr(GSettingsBackend) backend = g_memory_settings_backend_new ();
  g_autoptr(GSettings) settings = g_settings_new_with_backend (APP_ID, backend);
  g_autoptr(GApplication) app = g_application_new (TEST_APP_ID, G_APPLICATION_NON_UNIQUE);
  g_autoptr(TrbBackground) background = NULL;
  g_autofree char *dir = g_build_filename (g_get_user_config_dir (), "autostart", NULL);
  g_autofree char *problem = NULL;
  g_autoptr(GError) error = NULL;

  /* Something that is not a folder stands where the autostart folder should be. */
  g_assert_cmpint (g_mkdir_with_parents (g_get_user_config_dir (), 0700), ==, 0);
  g_file_set_contents (dir, "not a folder", -1, &error);
  g_assert_no_error (error);

  background = trb_background_new (app, settings, "/usr/bin/tributary");
  g_signal_connect (background, "problem", G_CALLBACK (problem_cb), &problem);
  g_settings_set_boolean (settings, "run-in-background", TRUE);

  g_assert_nonnull (problem);
  g_assert_true (g_str_has_prefix (problem, "Could not set up starting at login"));
  /* Keeping the app running after the window closes still works. */
  g_assert_true (trb_background_get_holding (background));
}

int
main (int    argc,
      char **argv)
{
  g_test_init (&argc, &argv, G_TEST_OPTION_ISOLATE_DIRS, NULL);

  g_test_add_func ("/background/quote-exec-argument", test_quote_exec_argument);
  g_test_add_func ("/background/autostart-file", test_autostart_file);
  g_test_add_func ("/background/autostart-refuses-bad-paths", test_autostart_refuses_bad_paths);
  g_test_add_func ("/background/follows-setting", test_background_follows_setting);
  g_test_add_func ("/background/reports-problems", test_background_reports_problems);

  return g_test_run ();
}
