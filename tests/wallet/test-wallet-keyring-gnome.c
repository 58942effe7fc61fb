/* test-wallet-keyring-gnome.c
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * The wallet against a real gnome-keyring-daemon on a private session bus (GTestDBus), its
 * login keyring created and unlocked with a password fed on standard input in the test's
 * isolated HOME. Also: no Secret Service on the bus, and a locked keyring whose unlock prompt
 * cannot be shown. The wallet code runs in a subprocess, so that libsecret's per-process
 * connection to the service starts fresh in each test.
 */

#include "config.h"

#include <glib/gstdio.h>
#include <libsecret/secret.h>
#include <signal.h>
#include <string.h>
#include <sys/prctl.h>

#include "wallet-test-util.h"
#include "wallet/trb-bip39.h"
#include "wallet/trb-wallet-error.h"

#define SECRETS_NAME "org.freedesktop.secrets"

typedef struct
{
  GTestDBus   *bus;
  GSubprocess *daemon;
} Fixture;

static gboolean
name_has_owner (GDBusConnection *connection,
                const char      *name)
{
  g_autoptr(GVariant) reply = NULL;
  gboolean owned = FALSE;

  reply = g_dbus_connection_call_sync (connection, "org.freedesktop.DBus",
                                       "/org/freedesktop/DBus", "org.freedesktop.DBus",
                                       "NameHasOwner", g_variant_new ("(s)", name),
                                       G_VARIANT_TYPE ("(b)"), G_DBUS_CALL_FLAGS_NONE, 5000,
                                       NULL, NULL);
  if (reply != NULL)
    g_variant_get (reply, "(b)", &owned);
  return owned;
}

static GDBusConnection *
connect_to_test_bus (Fixture *fixture)
{
  g_autoptr(GError) error = NULL;
  GDBusConnection *connection;

  connection = g_dbus_connection_new_for_address_sync (
    g_test_dbus_get_bus_address (fixture->bus),
    G_DBUS_CONNECTION_FLAGS_AUTHENTICATION_CLIENT | G_DBUS_CONNECTION_FLAGS_MESSAGE_BUS_CONNECTION,
    NULL, NULL, &error);
  g_assert_no_error (error);
  return connection;
}

static void
start_bus (Fixture *fixture)
{
  fixture->bus = g_test_dbus_new (G_TEST_DBUS_NONE);
  g_test_dbus_up (fixture->bus);
}

/* The daemon goes when the test process goes, even when an assertion aborts it. */
static void
die_with_parent (gpointer user_data)
{
  prctl (PR_SET_PDEATHSIG, SIGTERM);
}

static void
start_keyring (Fixture *fixture)
{
  g_autoptr(GSubprocessLauncher) launcher = NULL;
  g_autoptr(GDBusConnection) connection = NULL;
  g_autoptr(GError) error = NULL;
  GOutputStream *input;
  gint64 deadline;
  static const char password[] = "login password";

  g_assert_true (g_file_test ("/usr/bin/gnome-keyring-daemon", G_FILE_TEST_IS_EXECUTABLE));

  /* GLib names the isolated folders but does not create them; the daemon needs them. */
  g_assert_cmpint (g_mkdir_with_parents (g_get_user_runtime_dir (), 0700), ==, 0);
  g_assert_cmpint (g_mkdir_with_parents (g_get_user_data_dir (), 0700), ==, 0);
  g_assert_cmpint (g_mkdir_with_parents (g_get_home_dir (), 0700), ==, 0);

  launcher = g_subprocess_launcher_new (G_SUBPROCESS_FLAGS_STDIN_PIPE |
                                        G_SUBPROCESS_FLAGS_STDOUT_SILENCE);
  g_subprocess_launcher_set_child_setup (launcher, die_with_parent, NULL, NULL);
  g_subprocess_launcher_setenv (launcher, "HOME", g_get_home_dir (), TRUE);
  g_subprocess_launcher_setenv (launcher, "XDG_DATA_HOME", g_get_user_data_dir (), TRUE);
  g_subprocess_launcher_setenv (launcher, "XDG_CONFIG_HOME", g_get_user_config_dir (), TRUE);
  g_subprocess_launcher_setenv (launcher, "XDG_CACHE_HOME", g_get_user_cache_dir (), TRUE);
  g_subprocess_launcher_setenv (launcher, "XDG_RUNTIME_DIR", g_get_user_runtime_dir (), TRUE);
  /* The daemon keeps its keyrings in this test's isolated XDG_DATA_HOME and its control
   * socket in the isolated XDG_RUNTIME_DIR. */
  g_subprocess_launcher_setenv (launcher, "DBUS_SESSION_BUS_ADDRESS",
                                g_test_dbus_get_bus_address (fixture->bus), TRUE);
  fixture->daemon = g_subprocess_launcher_spawn (launcher, &error, "/usr/bin/gnome-keyring-daemon",
                                                 "--unlock", "--components=secrets",
                                                 "--foreground", NULL);
  g_assert_no_error (error);

  input = g_subprocess_get_stdin_pipe (fixture->daemon);
  g_output_stream_write_all (input, password, strlen (password), NULL, NULL, &error);
  g_assert_no_error (error);
  g_output_stream_close (input, NULL, &error);
  g_assert_no_error (error);

  connection = connect_to_test_bus (fixture);
  deadline = g_get_monotonic_time () + 20 * G_USEC_PER_SEC;
  while (!name_has_owner (connection, SECRETS_NAME))
    {
      g_assert_cmpint (g_get_monotonic_time (), <, deadline);
      g_usleep (50 * 1000);
    }
}

static void
fixture_tear_down (Fixture *fixture)
{
  if (fixture->daemon != NULL)
    {
      g_subprocess_send_signal (fixture->daemon, SIGTERM);
      g_subprocess_wait (fixture->daemon, NULL, NULL);
      g_clear_object (&fixture->daemon);
    }
  if (fixture->bus != NULL)
    {
      g_test_dbus_down (fixture->bus);
      g_clear_object (&fixture->bus);
    }
}

/* Runs the child, stops the daemon and the bus, and only then checks the child's result, so
 * that a failure does not leave a daemon behind. */
static void
run_subprocess (Fixture    *fixture,
                const char *path)
{
  g_test_trap_subprocess (path, 50 * G_USEC_PER_SEC, G_TEST_SUBPROCESS_INHERIT_STDERR);
  fixture_tear_down (fixture);
  g_test_trap_assert_passed ();
}

/* The tests: each parent sets up the bus (and the daemon), then runs its child. ------- */

static void
test_round_trip (void)
{
  Fixture fixture = { 0 };

  start_bus (&fixture);
  start_keyring (&fixture);
  run_subprocess (&fixture, "/wallet/keyring-gnome/round-trip/subprocess");
}

static void
child_round_trip (void)
{
  g_autoptr(TrbWalletManager) manager = wallet_test_new_manager (NULL);

  wallet_test_round_trip (manager);
}

static void
test_key_deleted (void)
{
  Fixture fixture = { 0 };

  start_bus (&fixture);
  start_keyring (&fixture);
  run_subprocess (&fixture, "/wallet/keyring-gnome/key-deleted/subprocess");
}

static void
child_key_deleted (void)
{
  g_autoptr(TrbWalletManager) manager = wallet_test_new_manager (NULL);

  wallet_test_key_deleted (manager);
}

static void
test_leaks (void)
{
  Fixture fixture = { 0 };

  start_bus (&fixture);
  start_keyring (&fixture);
  /* The daemon's keyring files are in this process's data folder; the child scans them too. */
  g_setenv ("TRB_TEST_KEYRING_HOME", g_get_user_data_dir (), TRUE);
  run_subprocess (&fixture, "/wallet/keyring-gnome/leaks/subprocess");
  g_unsetenv ("TRB_TEST_KEYRING_HOME");
}

static void
child_leaks (void)
{
  g_autoptr(TrbStore) store = NULL;
  g_autoptr(TrbWalletManager) manager = wallet_test_new_manager (&store);
  const char *keyring_home = g_getenv ("TRB_TEST_KEYRING_HOME");
  g_autofree char *login = NULL;

  g_assert_nonnull (keyring_home);
  wallet_test_leaks (manager, store, keyring_home);
  /* The scan covered the daemon's encrypted keyring file. */
  login = g_build_filename (keyring_home, "keyrings", "login.keyring", NULL);
  g_assert_true (g_file_test (login, G_FILE_TEST_EXISTS));
}

static void
test_absent (void)
{
  Fixture fixture = { 0 };

  start_bus (&fixture);
  run_subprocess (&fixture, "/wallet/keyring-gnome/absent/subprocess");
}

static void
child_absent (void)
{
  g_autoptr(TrbWalletManager) manager = wallet_test_new_manager (NULL);
  g_autoptr(GAsyncResult) result = NULL;
  g_autoptr(TrbWallet) wallet = NULL;
  g_autoptr(GError) error = NULL;

  trb_wallet_manager_create_async (manager, "No keyring", TRB_BIP39_DEFAULT_WORDS, NULL,
                                   wallet_test_got_result, &result);
  wallet = trb_wallet_manager_create_finish (manager, wallet_test_wait (&result), &error);
  g_assert_null (wallet);
  g_assert_error (error, TRB_WALLET_ERROR, TRB_WALLET_ERROR_NO_KEYRING);
  g_test_message ("%s", error->message);
  /* Nothing half-made is left behind. */
  g_assert_cmpuint (g_list_model_get_n_items (trb_wallet_manager_get_wallets (manager)), ==, 0);
}

static void
test_locked (void)
{
  Fixture fixture = { 0 };

  start_bus (&fixture);
  start_keyring (&fixture);
  run_subprocess (&fixture, "/wallet/keyring-gnome/locked/subprocess");
}

static void
child_locked (void)
{
  static const char login_path[] = "/org/freedesktop/secrets/collection/login";
  g_autoptr(TrbWalletManager) manager = wallet_test_new_manager (NULL);
  g_autoptr(GAsyncResult) result = NULL;
  g_autoptr(TrbWallet) wallet = NULL;
  g_autoptr(GBytes) signature = NULL;
  g_autoptr(GBytes) message = g_bytes_new_static ("m", 1);
  g_autoptr(GDBusConnection) bus = NULL;
  g_autoptr(GVariant) reply = NULL;
  g_autoptr(GError) error = NULL;

  trb_wallet_manager_create_async (manager, "Locked", TRB_BIP39_DEFAULT_WORDS, NULL,
                                   wallet_test_got_result, &result);
  wallet = trb_wallet_manager_create_finish (manager, wallet_test_wait (&result), &error);
  g_assert_no_error (error);

  /* Lock the login keyring, as happens when a session is locked or the keyring times out. */
  bus = g_bus_get_sync (G_BUS_TYPE_SESSION, NULL, &error);
  g_assert_no_error (error);
  reply = g_dbus_connection_call_sync (bus, SECRETS_NAME, "/org/freedesktop/secrets",
                                       "org.freedesktop.Secret.Service", "Lock",
                                       g_variant_new_parsed ("([%o],)", login_path),
                                       NULL, G_DBUS_CALL_FLAGS_NONE, 10000, NULL, &error);
  g_assert_no_error (error);

  /* Using the key needs an unlock prompt, which no one can answer here: a plain error,
   * quickly, and no crash or hang. */
  g_clear_object (&result);
  trb_wallet_manager_sign_async (manager, wallet, message, NULL, wallet_test_got_result,
                                 &result);
  signature = trb_wallet_manager_sign_finish (manager, wallet_test_wait (&result), &error);
  g_assert_null (signature);
  g_assert_nonnull (error);
  g_assert_error (error, TRB_WALLET_ERROR, TRB_WALLET_ERROR_LOCKED);
  g_assert_nonnull (strstr (error->message, "Unlock"));
  g_clear_error (&error);

  /* Storing a new key in the locked keyring needs the same prompt. */
  {
    g_autoptr(GAsyncResult) created = NULL;
    g_autoptr(TrbWallet) second = NULL;

    trb_wallet_manager_create_async (manager, "Second", TRB_BIP39_DEFAULT_WORDS, NULL,
                                     wallet_test_got_result, &created);
    second = trb_wallet_manager_create_finish (manager, wallet_test_wait (&created), &error);
    g_assert_null (second);
    g_assert_error (error, TRB_WALLET_ERROR, TRB_WALLET_ERROR_LOCKED);
    g_assert_cmpuint (g_list_model_get_n_items (trb_wallet_manager_get_wallets (manager)), ==,
                      1);
  }
}

int
main (int   argc,
      char *argv[])
{
  g_test_init (&argc, &argv, G_TEST_OPTION_ISOLATE_DIRS, NULL);

  g_test_add_func ("/wallet/keyring-gnome/round-trip", test_round_trip);
  g_test_add_func ("/wallet/keyring-gnome/round-trip/subprocess", child_round_trip);
  g_test_add_func ("/wallet/keyring-gnome/key-deleted", test_key_deleted);
  g_test_add_func ("/wallet/keyring-gnome/key-deleted/subprocess", child_key_deleted);
  g_test_add_func ("/wallet/keyring-gnome/leaks", test_leaks);
  g_test_add_func ("/wallet/keyring-gnome/leaks/subprocess", child_leaks);
  g_test_add_func ("/wallet/keyring-gnome/absent", test_absent);
  g_test_add_func ("/wallet/keyring-gnome/absent/subprocess", child_absent);
  g_test_add_func ("/wallet/keyring-gnome/locked", test_locked);
  g_test_add_func ("/wallet/keyring-gnome/locked/subprocess", child_locked);

  return g_test_run ();
}
