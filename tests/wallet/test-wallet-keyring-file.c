/* test-wallet-keyring-file.c
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * The wallet against libsecret's file backend (SECRET_BACKEND=file, the backend Flatpak apps
 * get through the Secret portal), with its test variables SECRET_FILE_TEST_PATH and
 * SECRET_FILE_TEST_PASSWORD. libsecret picks its backend once per process, so every test runs
 * in a subprocess with its own isolated HOME and keyring file.
 */

#include "config.h"

#include <libsecret/secret.h>

#include "wallet-test-util.h"
#include "wallet/trb-wallet-error.h"
#include "wallet/trb-wallet-keyring.h"

static void
use_file_backend (void)
{
  g_autofree char *path = g_build_filename (g_get_home_dir (), ".local", "share", "keyrings",
                                            "file-test.keyring", NULL);

  g_setenv ("SECRET_BACKEND", "file", TRUE);
  g_setenv ("SECRET_FILE_TEST_PATH", path, TRUE);
  g_setenv ("SECRET_FILE_TEST_PASSWORD", "file backend test password", TRUE);
}

#define IN_SUBPROCESS()                                                    \
  G_STMT_START {                                                           \
    if (!g_test_subprocess ())                                             \
      {                                                                    \
        g_test_trap_subprocess (NULL, 60 * G_USEC_PER_SEC,                 \
                                G_TEST_SUBPROCESS_INHERIT_STDERR);         \
        g_test_trap_assert_passed ();                                      \
        return;                                                            \
      }                                                                    \
    use_file_backend ();                                                   \
  } G_STMT_END

static void
test_round_trip (void)
{
  g_autoptr(TrbWalletManager) manager = NULL;

  IN_SUBPROCESS ();
  manager = wallet_test_new_manager (NULL);
  wallet_test_round_trip (manager);
  /* The key went to the keyring file, nowhere else. */
  g_assert_true (g_file_test (g_getenv ("SECRET_FILE_TEST_PATH"), G_FILE_TEST_IS_REGULAR));
}

static void
test_key_deleted (void)
{
  g_autoptr(TrbWalletManager) manager = NULL;

  IN_SUBPROCESS ();
  manager = wallet_test_new_manager (NULL);
  wallet_test_key_deleted (manager);
}

static void
test_leaks (void)
{
  g_autoptr(TrbWalletManager) manager = NULL;
  g_autoptr(TrbStore) store = NULL;

  IN_SUBPROCESS ();
  manager = wallet_test_new_manager (&store);
  wallet_test_leaks (manager, store, NULL);
}

/* The errors libsecret gives for the keyring's states become plain words. */
static void
test_translate_errors (void)
{
  struct {
    GQuark domain;
    int code;
    int expected;
  } cases[] = {
    { SECRET_ERROR, SECRET_ERROR_IS_LOCKED, TRB_WALLET_ERROR_LOCKED },
    { SECRET_ERROR, SECRET_ERROR_NO_SUCH_OBJECT, TRB_WALLET_ERROR_KEY_MISSING },
    { SECRET_ERROR, SECRET_ERROR_PROTOCOL, TRB_WALLET_ERROR_NO_KEYRING },
    { G_DBUS_ERROR, G_DBUS_ERROR_SERVICE_UNKNOWN, TRB_WALLET_ERROR_NO_KEYRING },
    { G_DBUS_ERROR, G_DBUS_ERROR_NAME_HAS_NO_OWNER, TRB_WALLET_ERROR_NO_KEYRING },
    { G_IO_ERROR, G_IO_ERROR_NOT_FOUND, TRB_WALLET_ERROR_NO_KEYRING },
    /* A dismissed unlock prompt ends the call as cancelled although nobody cancelled it. */
    { G_IO_ERROR, G_IO_ERROR_CANCELLED, TRB_WALLET_ERROR_UNLOCK_REFUSED },
  };
  g_autoptr(GCancellable) cancelled = g_cancellable_new ();

  for (guint i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_autoptr(GError) in = g_error_new_literal (cases[i].domain, cases[i].code, "raw");
      g_autoptr(GError) out = trb_wallet_keyring_translate_error (in, NULL);

      g_assert_error (out, TRB_WALLET_ERROR, cases[i].expected);
      g_assert_cmpstr (out->message, !=, "raw");
    }

  /* A real cancellation stays a cancellation. */
  g_cancellable_cancel (cancelled);
  {
    g_autoptr(GError) in = g_error_new_literal (G_IO_ERROR, G_IO_ERROR_CANCELLED, "raw");
    g_autoptr(GError) out = trb_wallet_keyring_translate_error (in, cancelled);
    g_assert_error (out, G_IO_ERROR, G_IO_ERROR_CANCELLED);
  }
}

int
main (int   argc,
      char *argv[])
{
  g_test_init (&argc, &argv, G_TEST_OPTION_ISOLATE_DIRS, NULL);

  g_test_add_func ("/wallet/keyring-file/round-trip", test_round_trip);
  g_test_add_func ("/wallet/keyring-file/key-deleted", test_key_deleted);
  g_test_add_func ("/wallet/keyring-file/leaks", test_leaks);
  g_test_add_func ("/wallet/keyring/translate-errors", test_translate_errors);

  return g_test_run ();
}
