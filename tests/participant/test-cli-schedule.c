/* test-cli-schedule.c
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * `tributary-cli schedule`: pauses and resumes through the same settings as the app, and turns
 * bad input away with a message and exit status 2.
 */

#include "config.h"

#include <glib.h>
#include <string.h>
#include <sys/wait.h>

typedef struct
{
  int   status;
  char *out;
  char *err;
} Result;

static void
result_clear (Result *result)
{
  g_clear_pointer (&result->out, g_free);
  g_clear_pointer (&result->err, g_free);
}

/* Runs the CLI with a settings key file under the test's own config folder, so that one run
 * sees what the previous one wrote. */
static void
run_cli (Result      *result,
         const char  *first_arg,
         ...)
{
  g_autoptr(GPtrArray) argv = g_ptr_array_new_with_free_func (g_free);
  g_autoptr(GError) error = NULL;
  g_auto(GStrv) envp = g_get_environ ();
  const char *build_root = g_getenv ("TRB_BUILD_ROOT");
  const char *arg;
  va_list args;
  int wait_status = 0;

  g_assert_nonnull (build_root);
  g_ptr_array_add (argv, g_build_filename (build_root, "src", "cli", "tributary-cli", NULL));
  g_ptr_array_add (argv, g_strdup ("schedule"));
  va_start (args, first_arg);
  for (arg = first_arg; arg != NULL; arg = va_arg (args, const char *))
    g_ptr_array_add (argv, g_strdup (arg));
  va_end (args);
  g_ptr_array_add (argv, NULL);

  envp = g_environ_setenv (envp, "GSETTINGS_BACKEND", "keyfile", TRUE);
  envp = g_environ_setenv (envp, "XDG_CONFIG_HOME", g_get_user_config_dir (), TRUE);
  envp = g_environ_setenv (envp, "LC_ALL", "C.UTF-8", TRUE);
  envp = g_environ_setenv (envp, "LANGUAGE", "", TRUE);
  envp = g_environ_setenv (envp, "TZ", "UTC", TRUE);

  result_clear (result);
  g_spawn_sync (NULL, (char **) argv->pdata, envp, G_SPAWN_DEFAULT, NULL, NULL,
                &result->out, &result->err, &wait_status, &error);
  g_assert_no_error (error);
  g_assert_true (WIFEXITED (wait_status));
  result->status = WEXITSTATUS (wait_status);
}

static void
test_cli_schedule_pause_and_resume (void)
{
  Result result = { 0 };

  run_cli (&result, "--machine", NULL);
  g_assert_cmpint (result.status, ==, 0);
  g_assert_false (g_str_has_prefix (result.out, "paused"));

  run_cli (&result, "--pause", NULL);
  g_assert_cmpint (result.status, ==, 0);
  g_assert_true (g_str_has_prefix (result.out, "Paused\n"));

  /* The pause was saved: a new run still sees it. */
  run_cli (&result, "--machine", NULL);
  g_assert_cmpstr (result.out, ==, "paused\tpaused\n");

  run_cli (&result, "--pause-for", "90", "--machine", NULL);
  g_assert_cmpstr (result.out, ==, "paused\tpaused-until\n");
  run_cli (&result, NULL);
  g_assert_true (g_str_has_prefix (result.out, "Paused until "));

  run_cli (&result, "--resume", "--machine", NULL);
  g_assert_cmpint (result.status, ==, 0);
  g_assert_false (g_str_has_prefix (result.out, "paused"));

  result_clear (&result);
}

static void
test_cli_schedule_unwritable_settings (void)
{
  g_autofree char *dir = g_build_filename (g_get_user_config_dir (), "glib-2.0", NULL);
  g_autoptr(GError) error = NULL;
  Result result = { 0 };

  /* A file where the settings folder should be: the pause cannot be saved, and says so. */
  g_assert_cmpint (g_mkdir_with_parents (g_get_user_config_dir (), 0700), ==, 0);
  g_file_set_contents (dir, "", 0, &error);
  g_assert_no_error (error);

  run_cli (&result, "--pause", NULL);
  g_assert_cmpint (result.status, ==, 1);
  g_assert_nonnull (strstr (result.err, "tributary-cli: could not save"));

  result_clear (&result);
}

static void
test_cli_schedule_bad_input (void)
{
  static const char * const bad[][3] = {
    { "--pause", "--resume", NULL },
    { "--pause-for", "-5", NULL },
    { "--pause-for", "99999999", NULL },
    { "--pause-for", "soon", NULL },
    { "--frobnicate", NULL, NULL },
    { "extra", NULL, NULL },
  };
  Result result = { 0 };

  for (guint i = 0; i < G_N_ELEMENTS (bad); i++)
    {
      run_cli (&result, bad[i][0], bad[i][1], NULL);
      g_assert_cmpint (result.status, ==, 2);
      g_assert_true (g_str_has_prefix (result.err, "tributary-cli: "));
      g_assert_cmpstr (result.out, ==, "");
    }

  /* Nothing bad was applied. */
  run_cli (&result, "--machine", NULL);
  g_assert_false (g_str_has_prefix (result.out, "paused"));

  result_clear (&result);
}

int
main (int    argc,
      char **argv)
{
  g_test_init (&argc, &argv, G_TEST_OPTION_ISOLATE_DIRS, NULL);

  g_test_add_func ("/cli/schedule/pause-and-resume", test_cli_schedule_pause_and_resume);
  g_test_add_func ("/cli/schedule/bad-input", test_cli_schedule_bad_input);
  g_test_add_func ("/cli/schedule/unwritable-settings", test_cli_schedule_unwritable_settings);

  return g_test_run ();
}
