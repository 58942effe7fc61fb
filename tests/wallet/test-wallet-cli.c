/* test-wallet-cli.c
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * tributary-cli wallet as a script uses it, against libsecret's file backend in an isolated
 * HOME: import from standard input, address, list, sign and verify, and the refusals.
 */

#include "config.h"

#include <gio/gio.h>
#include <signal.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#define ABANDON_PHRASE "abandon abandon abandon abandon abandon abandon abandon abandon " \
                       "abandon abandon abandon about"
/* The address Solana wallets show for this phrase at m/44'/501'/0'/0'. */
#define ABANDON_ADDRESS "HAgk14JpMQLgt6rVgv7cBQFJWFto5Dqxi472uT3DKpqk"

typedef struct
{
  int   status;
  char *out;
  char *err;
} Run;

static void
run_clear (Run *run)
{
  g_clear_pointer (&run->out, g_free);
  g_clear_pointer (&run->err, g_free);
}

static GSubprocess *
spawn_cliv (va_list   args,
            GError  **error)
{
  g_autoptr(GSubprocessLauncher) launcher = NULL;
  g_autoptr(GPtrArray) argv = g_ptr_array_new_with_free_func (g_free);
  g_autofree char *keyring = g_build_filename (g_get_home_dir (), "cli.keyring", NULL);
  const char *arg;

  g_ptr_array_add (argv, g_build_filename (g_getenv ("TRB_BUILD_ROOT"), "src", "cli",
                                           "tributary-cli", NULL));
  g_ptr_array_add (argv, g_strdup ("wallet"));
  while ((arg = va_arg (args, const char *)) != NULL)
    g_ptr_array_add (argv, g_strdup (arg));
  g_ptr_array_add (argv, NULL);

  launcher = g_subprocess_launcher_new (G_SUBPROCESS_FLAGS_STDIN_PIPE |
                                        G_SUBPROCESS_FLAGS_STDOUT_PIPE |
                                        G_SUBPROCESS_FLAGS_STDERR_PIPE);
  g_subprocess_launcher_setenv (launcher, "HOME", g_get_home_dir (), TRUE);
  g_subprocess_launcher_setenv (launcher, "XDG_DATA_HOME", g_get_user_data_dir (), TRUE);
  g_subprocess_launcher_setenv (launcher, "SECRET_BACKEND", "file", TRUE);
  g_subprocess_launcher_setenv (launcher, "SECRET_FILE_TEST_PATH", keyring, TRUE);
  g_subprocess_launcher_setenv (launcher, "SECRET_FILE_TEST_PASSWORD", "cli test", TRUE);
  g_subprocess_launcher_setenv (launcher, "LC_ALL", "C.UTF-8", TRUE);
  return g_subprocess_launcher_spawnv (launcher, (const char * const *)argv->pdata, error);
}

static GSubprocess *
spawn_cli (GError **error,
           ...)
{
  GSubprocess *process;
  va_list args;

  va_start (args, error);
  process = spawn_cliv (args, error);
  va_end (args);
  return process;
}

/* Runs `tributary-cli wallet …` with @input on standard input, to the end. */
static void
run_cli (Run        *run,
         const char *input,
         ...)
{
  g_autoptr(GSubprocess) process = NULL;
  g_autoptr(GError) error = NULL;
  va_list args;

  va_start (args, input);
  process = spawn_cliv (args, &error);
  va_end (args);
  g_assert_no_error (error);
  g_subprocess_communicate_utf8 (process, input ? input : "", NULL, &run->out, &run->err,
                                 &error);
  if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_BROKEN_PIPE))
    {
      /* The command finished without reading its input, as refusals may: collect the rest. */
      g_clear_error (&error);
      g_subprocess_communicate_utf8 (process, NULL, NULL, &run->out, &run->err, &error);
    }
  g_assert_no_error (error);
  run->status = g_subprocess_get_exit_status (process);
}

static void
test_import_and_address (void)
{
  Run run = { 0 };

  /* The example, without a final newline. */
  run_cli (&run, ABANDON_PHRASE, "import", "--label", "a", NULL);
  g_assert_cmpint (run.status, ==, 0);
  g_assert_cmpstr (run.out, ==, ABANDON_ADDRESS "\n");
  run_clear (&run);

  run_cli (&run, NULL, "address", "a", NULL);
  g_assert_cmpint (run.status, ==, 0);
  g_assert_cmpstr (run.out, ==, ABANDON_ADDRESS "\n");
  run_clear (&run);

  /* With a passphrase on the second line: another address. */
  run_cli (&run, ABANDON_PHRASE "\nTREZOR\n", "import", "--label", "b", "--passphrase", NULL);
  g_assert_cmpint (run.status, ==, 0);
  g_assert_cmpstr (run.out, !=, ABANDON_ADDRESS "\n");
  g_assert_true (g_str_has_suffix (run.out, "\n"));
  run_clear (&run);

  run_cli (&run, NULL, "list", NULL);
  g_assert_cmpint (run.status, ==, 0);
  g_assert_nonnull (strstr (run.out, "a\t" ABANDON_ADDRESS "\tdefault"));
  g_assert_nonnull (strstr (run.out, "\nb\t"));
  run_clear (&run);

  /* Sign standard input, and verify with the address alone. */
  run_cli (&run, "round 7 update", "sign", "a", NULL);
  g_assert_cmpint (run.status, ==, 0);
  {
    g_autofree char *signature = g_strstrip (g_strdup (run.out));
    Run check = { 0 };

    run_cli (&check, "round 7 update", "verify", ABANDON_ADDRESS, signature, NULL);
    g_assert_cmpint (check.status, ==, 0);
    run_clear (&check);
    run_cli (&check, "round 8 update", "verify", ABANDON_ADDRESS, signature, NULL);
    g_assert_cmpint (check.status, ==, 1);
    g_assert_nonnull (strstr (check.err, "does not match"));
    run_clear (&check);
    run_cli (&check, "x", "verify", "not-an-address", signature, NULL);
    g_assert_cmpint (check.status, ==, 1);
    run_clear (&check);
    run_cli (&check, NULL, "verify", ABANDON_ADDRESS, "%%%", NULL);
    g_assert_cmpint (check.status, ==, 1);
    run_clear (&check);
  }
  run_clear (&run);

  /* Nothing of the phrase reaches the output of list or address. */
  run_cli (&run, NULL, "list", NULL);
  g_assert_null (strstr (run.out, "abandon"));
  run_clear (&run);
}

static void
test_refusals (void)
{
  Run run = { 0 };

  /* A phrase on the command line is refused, before anything is stored. */
  run_cli (&run, NULL, "import", "abandon", "abandon", NULL);
  g_assert_cmpint (run.status, ==, 2);
  g_assert_nonnull (strstr (run.err, "standard input"));
  run_clear (&run);

  run_cli (&run, "abandon abandon abandon", "import", NULL);
  g_assert_cmpint (run.status, ==, 1);
  g_assert_nonnull (strstr (run.err, "12, 15, 18, 21 or 24 words"));
  run_clear (&run);

  run_cli (&run, "\xff\xfe", "import", NULL);
  g_assert_cmpint (run.status, ==, 1);
  run_clear (&run);

  run_cli (&run, NULL, "address", "nobody", NULL);
  g_assert_cmpint (run.status, ==, 1);
  g_assert_nonnull (strstr (run.err, "no wallet named"));
  run_clear (&run);

  run_cli (&run, NULL, "frobnicate", NULL);
  g_assert_cmpint (run.status, ==, 2);
  run_clear (&run);

  /* Remove asks for the name; a wrong one removes nothing. */
  run_cli (&run, ABANDON_PHRASE, "import", "--label", "keep me", NULL);
  g_assert_cmpint (run.status, ==, 0);
  run_clear (&run);
  run_cli (&run, "keep", "remove", "keep me", NULL);
  g_assert_cmpint (run.status, ==, 1);
  run_clear (&run);
  run_cli (&run, NULL, "address", "keep me", NULL);
  g_assert_cmpint (run.status, ==, 0);
  run_clear (&run);
  run_cli (&run, "keep me\n", "remove", "keep me", NULL);
  g_assert_cmpint (run.status, ==, 0);
  run_clear (&run);
  run_cli (&run, NULL, "address", "keep me", NULL);
  g_assert_cmpint (run.status, ==, 1);
  run_clear (&run);
}

/* Reads from @stream until @text has been seen; returns what was read. */
static char *
read_until (GInputStream *stream,
            const char   *text)
{
  GString *seen = g_string_new (NULL);
  char c;

  while (strstr (seen->str, text) == NULL)
    {
      g_autoptr(GError) error = NULL;
      gssize n = g_input_stream_read (stream, &c, 1, NULL, &error);

      g_assert_no_error (error);
      g_assert_cmpint (n, ==, 1);
      g_string_append_c (seen, c);
    }
  return g_string_free (seen, FALSE);
}

/* Back up as a person at a terminal would: read the phrase, answer the three words asked. */
static int
back_up (gboolean answer_right)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GSubprocess) process = spawn_cli (&error, "backup", "fresh", NULL);
  GInputStream *out, *err;
  GOutputStream *in;
  g_autofree char *phrase = NULL;
  g_auto(GStrv) words = NULL;

  g_assert_no_error (error);
  out = g_subprocess_get_stdout_pipe (process);
  err = g_subprocess_get_stderr_pipe (process);
  in = g_subprocess_get_stdin_pipe (process);

  phrase = read_until (out, "\n");
  words = g_strsplit (g_strstrip (phrase), " ", -1);
  g_assert_cmpuint (g_strv_length (words), ==, 12);

  for (int i = 0; i < 3; i++)
    {
      g_autofree char *prompt = read_until (err, ": ");
      const char *number = strstr (prompt, "Word ");
      g_autofree char *answer = NULL;
      guint position;

      g_assert_nonnull (number);
      position = (guint)g_ascii_strtoull (number + 5, NULL, 10);
      g_assert_cmpuint (position, >=, 1);
      g_assert_cmpuint (position, <=, 12);
      answer = g_strdup_printf ("%s\n", answer_right ? words[position - 1] : "wrong");
      g_output_stream_write_all (in, answer, strlen (answer), NULL, NULL, &error);
      g_assert_no_error (error);
      if (!answer_right)
        break;
    }
  g_output_stream_close (in, NULL, NULL);
  g_subprocess_wait (process, NULL, &error);
  g_assert_no_error (error);
  return g_subprocess_get_exit_status (process);
}

static void
test_create_and_backup (void)
{
  Run run = { 0 };

  run_cli (&run, NULL, "create", "--label", "fresh", "--words", "12", NULL);
  g_assert_cmpint (run.status, ==, 0);
  g_assert_true (g_str_has_suffix (run.out, "\n"));
  /* The new phrase is not printed by create. */
  g_assert_cmpuint (strlen (run.out), <, 46);
  run_clear (&run);

  /* A wrong word: not backed up. */
  g_assert_cmpint (back_up (FALSE), ==, 1);
  run_cli (&run, NULL, "list", NULL);
  g_assert_nonnull (strstr (run.out, "not backed up"));
  run_clear (&run);

  /* The three right words: backed up. */
  g_assert_cmpint (back_up (TRUE), ==, 0);
  run_cli (&run, NULL, "list", NULL);
  g_assert_nonnull (strstr (run.out, "fresh\t"));
  g_assert_null (strstr (run.out, "not backed up"));
  run_clear (&run);
}

int
main (int   argc,
      char *argv[])
{
  g_test_init (&argc, &argv, G_TEST_OPTION_ISOLATE_DIRS, NULL);

  /* A command that exits before reading its input must not take the test down with it. */
  signal (SIGPIPE, SIG_IGN);

  g_test_add_func ("/wallet/cli/import-and-address", test_import_and_address);
  g_test_add_func ("/wallet/cli/refusals", test_refusals);
  g_test_add_func ("/wallet/cli/create", test_create_and_backup);

  return g_test_run ();
}
