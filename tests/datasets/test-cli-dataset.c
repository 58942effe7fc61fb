/* test-cli-dataset.c
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * tributary-cli dataset, run as a user would: check the Fashion-MNIST test set twice, add,
 * list and remove a dataset, and get plain errors for bad input, a damaged store among them.
 */

#include "config.h"

#include "dataset-fixtures.h"

#define TRB_TEST_SCHEMA \
  "{\"type\":\"image\",\"input_shape\":[1,28,28],\"classes\":10}"

static char *
run_cli (int          *status,
         const char   *first,
         ...)
{
  g_autofree char *cli = g_build_filename (g_getenv ("TRB_BUILD_ROOT"), "src", "cli",
                                           "tributary-cli", NULL);
  g_autoptr(GPtrArray) argv = g_ptr_array_new ();
  g_autoptr(GSubprocessLauncher) launcher = NULL;
  g_autoptr(GSubprocess) process = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *out = NULL;
  g_autofree char *err = NULL;
  const char *arg;
  va_list args;

  g_ptr_array_add (argv, cli);
  va_start (args, first);
  for (arg = first; arg != NULL; arg = va_arg (args, const char *))
    g_ptr_array_add (argv, (gpointer)arg);
  va_end (args);
  g_ptr_array_add (argv, NULL);

  /* The child gets the isolated folders of this test, so its store is private. */
  launcher = g_subprocess_launcher_new (G_SUBPROCESS_FLAGS_STDOUT_PIPE |
                                        G_SUBPROCESS_FLAGS_STDERR_PIPE);
  g_subprocess_launcher_setenv (launcher, "XDG_DATA_HOME", g_get_user_data_dir (), TRUE);
  g_subprocess_launcher_setenv (launcher, "HOME", g_get_home_dir (), TRUE);
  g_subprocess_launcher_setenv (launcher, "LC_ALL", "C.UTF-8", TRUE);
  process = g_subprocess_launcher_spawnv (launcher, (const char * const *)argv->pdata, &error);
  g_assert_no_error (error);
  g_subprocess_communicate_utf8 (process, NULL, NULL, &out, &err, &error);
  g_assert_no_error (error);
  *status = g_subprocess_get_exit_status (process);
  g_test_message ("stdout: %s\nstderr: %s", out, err);
  return g_strconcat (out, err, NULL);
}

static char *
fingerprint_line (const char *output)
{
  const char *line = strstr (output, "Fingerprint: ");

  g_assert_nonnull (line);
  return g_strndup (line, strcspn (line, "\n"));
}

static void
test_cli_check_fashion_twice (void)
{
  g_autofree char *first = NULL;
  g_autofree char *second = NULL;
  g_autofree char *fp1 = NULL;
  g_autofree char *fp2 = NULL;
  int status = -1;

  first = run_cli (&status, "dataset", "check", FASHION_DIR "/t10k-images-idx3-ubyte.gz", NULL);
  g_assert_cmpint (status, ==, 0);
  g_assert_nonnull (strstr (first, "Samples: 10000\n"));
  g_assert_nonnull (strstr (first, "Classes: 10\n"));
  for (guint c = 0; c < 10; c++)
    {
      g_autofree char *row = g_strdup_printf ("  %-3u 1000\n", c);
      g_assert_nonnull (strstr (first, row));
    }
  g_assert_nonnull (strstr (first, "First check"));

  second = run_cli (&status, "dataset", "check", FASHION_DIR "/t10k-images-idx3-ubyte.gz",
                    NULL);
  g_assert_cmpint (status, ==, 0);
  fp1 = fingerprint_line (first);
  fp2 = fingerprint_line (second);
  g_assert_cmpuint (strlen (fp1), ==, strlen ("Fingerprint: ") + 64);
  g_assert_cmpstr (fp1, ==, fp2);
  g_assert_nonnull (strstr (second, "Same fingerprint as the last check"));
}

static void
test_cli_add_list_remove (void)
{
  g_autofree char *dir = test_dir ("cli");
  g_autofree char *images = write_idx_pair (dir, "c", TRUE, 30, 4, 4, 3);
  g_autofree char *schema = g_build_filename (dir, "schema.json", NULL);
  g_autofree char *out = NULL;
  int status = -1;

  out = run_cli (&status, "dataset", "list", NULL);
  g_assert_cmpint (status, ==, 0);
  g_assert_nonnull (strstr (out, "No datasets yet"));
  g_clear_pointer (&out, g_free);

  out = run_cli (&status, "dataset", "add", images, NULL);
  g_assert_cmpint (status, ==, 0);
  g_assert_nonnull (strstr (out, "Samples: 30\n"));
  g_clear_pointer (&out, g_free);

  out = run_cli (&status, "dataset", "list", NULL);
  g_assert_cmpint (status, ==, 0);
  g_assert_nonnull (strstr (out, "c-images-idx3-ubyte.gz"));
  g_assert_nonnull (strstr (out, "Ready"));
  g_clear_pointer (&out, g_free);

  /* Against a network's description: 4×4 pictures do not fit a 28×28 network. */
  g_assert_true (g_file_set_contents (schema, TRB_TEST_SCHEMA, -1, NULL));
  out = run_cli (&status, "dataset", "check", "--schema", schema, images, NULL);
  g_assert_cmpint (status, ==, 3);
  g_assert_nonnull (strstr (out, "Not usable"));
  g_assert_nonnull (strstr (out, "4×4; this network needs 28×28"));
  g_clear_pointer (&out, g_free);

  out = run_cli (&status, "dataset", "remove", images, NULL);
  g_assert_cmpint (status, ==, 0);
  g_clear_pointer (&out, g_free);

  out = run_cli (&status, "dataset", "list", NULL);
  g_assert_nonnull (strstr (out, "No datasets yet"));
}

static void
test_cli_errors (void)
{
  g_autofree char *dir = test_dir ("cli-errors");
  g_autofree char *garbage = g_build_filename (dir, "noise.bin", NULL);
  g_autofree char *out = NULL;
  int status = -1;

  out = run_cli (&status, "dataset", "check", "/nonexistent/data.csv", NULL);
  g_assert_cmpint (status, ==, 1);
  g_assert_nonnull (strstr (out, "does not exist"));
  g_clear_pointer (&out, g_free);

  g_assert_true (g_file_set_contents (garbage, "\x01\x02\x03garbage", -1, NULL));
  out = run_cli (&status, "dataset", "check", garbage, NULL);
  g_assert_cmpint (status, ==, 1);
  g_assert_nonnull (strstr (out, "is not a dataset Tributary can read"));
  g_clear_pointer (&out, g_free);

  out = run_cli (&status, "dataset", "frobnicate", NULL);
  g_assert_cmpint (status, ==, 2);
  g_clear_pointer (&out, g_free);

  out = run_cli (&status, "dataset", "--help", NULL);
  g_assert_cmpint (status, ==, 0);
  g_assert_nonnull (strstr (out, "add PATH"));
}

/* A local database that is not one: every command that needs it says which file it is and
 * why it cannot be used, and leaves it as it was. */
static void
test_cli_damaged_store (void)
{
  static const char * const commands[][3] = {
    { "dataset", "list", NULL }, { "wallet", "list", NULL }, { "networks", NULL, NULL },
  };
  g_autofree char *dir = g_build_filename (g_get_user_data_dir (), "tributary", NULL);
  g_autofree char *path = g_build_filename (dir, "tributary.db", NULL);
  g_autofree char *damaged = g_strnfill (4096, 'x');
  g_autofree char *after = NULL;

  g_assert_cmpint (g_mkdir_with_parents (dir, 0700), ==, 0);
  g_assert_true (g_file_set_contents (path, damaged, -1, NULL));
  for (guint i = 0; i < G_N_ELEMENTS (commands); i++)
    {
      g_autofree char *out = NULL;
      int status = -1;

      out = run_cli (&status, commands[i][0], commands[i][1], NULL);
      g_assert_cmpint (status, ==, 1);
      g_assert_nonnull (strstr (out, "cannot be used"));
      g_assert_nonnull (strstr (out, path));
      g_assert_nonnull (strstr (out, "not a database"));
    }
  g_assert_true (g_file_get_contents (path, &after, NULL, NULL));
  g_assert_cmpstr (after, ==, damaged);
}

int
main (int    argc,
      char **argv)
{
  g_test_init (&argc, &argv, G_TEST_OPTION_ISOLATE_DIRS, NULL);

  g_test_add_func ("/cli/dataset/check-twice", test_cli_check_fashion_twice);
  g_test_add_func ("/cli/dataset/add-list-remove", test_cli_add_list_remove);
  g_test_add_func ("/cli/dataset/errors", test_cli_errors);
  g_test_add_func ("/cli/damaged-store", test_cli_damaged_store);

  return g_test_run ();
}
