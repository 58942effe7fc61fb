/* wallet-test-util.c
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * Scenarios shared by the keyring tests, so that each keyring backend (gnome-keyring on a
 * private bus, libsecret's file backend) is put through exactly the same steps.
 */

#include "config.h"

#include "wallet-test-util.h"

#include <glib/gstdio.h>
#include <string.h>

#include "wallet/trb-bip39.h"
#include "wallet/trb-keypair.h"
#include "wallet/trb-slip10.h"
#include "wallet/trb-wallet-error.h"
#include "wallet/trb-wallet-keyring.h"
#include "store/trb-store-sql.h"

void
wallet_test_got_result (GObject      *object,
                        GAsyncResult *result,
                        gpointer      user_data)
{
  *(GAsyncResult **)user_data = g_object_ref (result);
}

/* Runs the default main context until the result arrives, for at most 30 seconds. */
GAsyncResult *
wallet_test_wait (GAsyncResult **slot)
{
  gint64 deadline = g_get_monotonic_time () + 30 * G_USEC_PER_SEC;

  while (*slot == NULL)
    {
      g_assert_cmpint (g_get_monotonic_time (), <, deadline);
      g_main_context_iteration (NULL, FALSE);
      g_usleep (1000);
    }
  return *slot;
}

TrbWalletManager *
wallet_test_new_manager (TrbStore **store_out)
{
  g_autofree char *path = trb_store_default_path ();
  g_autoptr(GError) error = NULL;
  g_autoptr(TrbStore) store = trb_store_new_for_path (path, &error);
  TrbWalletManager *manager;

  g_assert_no_error (error);
  manager = trb_wallet_manager_new (store, &error);
  g_assert_no_error (error);
  if (store_out != NULL)
    *store_out = g_object_ref (store);
  return manager;
}

static TrbWallet *
create (TrbWalletManager  *manager,
        const char        *label,
        GError           **error)
{
  g_autoptr(GAsyncResult) result = NULL;

  trb_wallet_manager_create_async (manager, label, TRB_BIP39_DEFAULT_WORDS, NULL,
                                   wallet_test_got_result, &result);
  return trb_wallet_manager_create_finish (manager, wallet_test_wait (&result), error);
}

static TrbWallet *
import (TrbWalletManager  *manager,
        const char        *label,
        const char        *phrase,
        const char        *passphrase,
        GError           **error)
{
  g_autoptr(GAsyncResult) result = NULL;

  trb_wallet_manager_import_async (manager, label, phrase, passphrase, NULL,
                                   wallet_test_got_result, &result);
  return trb_wallet_manager_import_finish (manager, wallet_test_wait (&result), error);
}

static GBytes *
sign (TrbWalletManager  *manager,
      TrbWallet         *wallet,
      GBytes            *data,
      GError           **error)
{
  g_autoptr(GAsyncResult) result = NULL;

  trb_wallet_manager_sign_async (manager, wallet, data, NULL, wallet_test_got_result, &result);
  return trb_wallet_manager_sign_finish (manager, wallet_test_wait (&result), error);
}

static TrbSecret *
reveal (TrbWalletManager  *manager,
        TrbWallet         *wallet,
        GError           **error)
{
  g_autoptr(GAsyncResult) result = NULL;

  trb_wallet_manager_reveal_phrase_async (manager, wallet, NULL, wallet_test_got_result,
                                          &result);
  return trb_wallet_manager_reveal_phrase_finish (manager, wallet_test_wait (&result), error);
}

static gboolean
remove_wallet (TrbWalletManager  *manager,
               TrbWallet         *wallet,
               GError           **error)
{
  g_autoptr(GAsyncResult) result = NULL;

  trb_wallet_manager_remove_async (manager, wallet, NULL, wallet_test_got_result, &result);
  return trb_wallet_manager_remove_finish (manager, wallet_test_wait (&result), error);
}

void
wallet_test_round_trip (TrbWalletManager *manager)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(TrbWallet) created = NULL;
  g_autoptr(TrbWallet) imported = NULL;
  g_autoptr(TrbWallet) again = NULL;
  g_autoptr(TrbSecret) phrase = NULL;
  g_autoptr(TrbSecret) imported_phrase = NULL;
  g_autoptr(TrbKeypair) pair = NULL;
  g_autoptr(GBytes) message = g_bytes_new_static ("contribution", 12);
  g_autoptr(GBytes) signature = NULL;
  g_autoptr(TrbWalletManager) reopened = NULL;
  GListModel *wallets = trb_wallet_manager_get_wallets (manager);

  g_assert_cmpuint (g_list_model_get_n_items (wallets), ==, 0);

  created = create (manager, "Savings", &error);
  g_assert_no_error (error);
  g_assert_nonnull (created);
  g_assert_true (trb_wallet_get_is_default (created));
  g_assert_false (trb_wallet_get_backed_up (created));

  /* The phrase kept in the keyring is 24 words and gives back the wallet's address. */
  phrase = reveal (manager, created, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (trb_bip39_count_words (trb_secret_get_string (phrase)), ==, 24);
  pair = trb_keypair_new_from_phrase (trb_secret_get_string (phrase), NULL, &error);
  g_assert_no_error (error);
  g_assert_cmpstr (trb_keypair_get_address (pair), ==, trb_wallet_get_address (created));

  /* Sign with the key from the keyring; the signature verifies against the address only. */
  signature = sign (manager, created, message, &error);
  g_assert_no_error (error);
  g_assert_true (trb_wallet_verify_with_address (trb_wallet_get_address (created),
                                                 g_bytes_get_data (message, NULL), 12,
                                                 g_bytes_get_data (signature, NULL),
                                                 g_bytes_get_size (signature), &error));
  g_assert_no_error (error);

  /* Import with a passphrase: a different address than the same phrase without one. */
  imported = import (manager, "Work", TEST_PHRASE, "TREZOR", &error);
  g_assert_no_error (error);
  g_assert_false (trb_wallet_get_is_default (imported));
  {
    g_autoptr(TrbKeypair) with_pass = trb_keypair_new_from_phrase (TEST_PHRASE, "TREZOR", NULL);
    g_autoptr(TrbKeypair) without = trb_keypair_new_from_phrase (TEST_PHRASE, NULL, NULL);
    g_assert_cmpstr (trb_wallet_get_address (imported), ==, trb_keypair_get_address (with_pass));
    g_assert_cmpstr (trb_wallet_get_address (imported), !=, trb_keypair_get_address (without));
  }
  imported_phrase = reveal (manager, imported, &error);
  g_assert_no_error (error);
  g_assert_cmpstr (trb_secret_get_string (imported_phrase), ==, TEST_PHRASE);

  /* The same key again is refused, and so is a name already used (in any case). */
  again = import (manager, "Other", TEST_PHRASE, "TREZOR", &error);
  g_assert_null (again);
  g_assert_error (error, TRB_WALLET_ERROR, TRB_WALLET_ERROR_EXISTS);
  g_clear_error (&error);
  again = create (manager, "savings", &error);
  g_assert_null (again);
  g_assert_error (error, TRB_WALLET_ERROR, TRB_WALLET_ERROR_INVALID_LABEL);
  g_clear_error (&error);
  again = import (manager, "Bad", "zoo zoo zoo", NULL, &error);
  g_assert_null (again);
  g_assert_error (error, TRB_WALLET_ERROR, TRB_WALLET_ERROR_WORD_COUNT);
  g_clear_error (&error);

  /* Rename, default, per-network choice, backed up: all kept in the store. */
  g_assert_true (trb_wallet_manager_rename (manager, imported, "Work laptop", &error));
  g_assert_no_error (error);
  g_assert_false (trb_wallet_manager_rename (manager, imported, "Savings", &error));
  g_assert_error (error, TRB_WALLET_ERROR, TRB_WALLET_ERROR_INVALID_LABEL);
  g_clear_error (&error);
  g_assert_true (trb_wallet_manager_set_default (manager, imported, &error));
  g_assert_true (trb_wallet_manager_set_for_network (manager, "demo.example", created, &error));
  g_assert_true (trb_wallet_manager_mark_backed_up (manager, created, &error));
  g_assert_no_error (error);

  {
    g_autoptr(TrbStore) store = NULL;
    TrbWallet *w;

    reopened = wallet_test_new_manager (&store);
    g_assert_cmpuint (g_list_model_get_n_items (trb_wallet_manager_get_wallets (reopened)), ==,
                      2);
    w = trb_wallet_manager_lookup (reopened, "Work laptop");
    g_assert_nonnull (w);
    g_assert_true (trb_wallet_get_is_default (w));
    w = trb_wallet_manager_lookup (reopened, trb_wallet_get_address (created));
    g_assert_nonnull (w);
    g_assert_true (trb_wallet_get_backed_up (w));
    g_assert_false (trb_wallet_get_is_default (w));
    g_assert_true (trb_wallet_manager_get_for_network (reopened, "demo.example", NULL) == w);
    g_assert_true (trb_wallet_manager_get_for_network (reopened, "other.example", NULL) ==
                   trb_wallet_manager_get_default (reopened));
  }

  /* Remove: gone from the list, and its key gone from the keyring. */
  g_assert_true (remove_wallet (manager, imported, &error));
  g_assert_no_error (error);
  g_assert_cmpuint (g_list_model_get_n_items (wallets), ==, 1);
  g_assert_true (trb_wallet_get_is_default (created));
  {
    g_autoptr(GAsyncResult) result = NULL;
    g_autoptr(TrbSecret) gone = NULL;

    trb_wallet_keyring_lookup_async (trb_wallet_get_address (imported), NULL,
                                     wallet_test_got_result, &result);
    gone = trb_wallet_keyring_lookup_finish (wallet_test_wait (&result), &error);
    g_assert_null (gone);
    g_assert_error (error, TRB_WALLET_ERROR, TRB_WALLET_ERROR_KEY_MISSING);
    g_clear_error (&error);
  }
}

void
wallet_test_key_deleted (TrbWalletManager *manager)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(TrbWallet) wallet = NULL;
  g_autoptr(GBytes) message = g_bytes_new_static ("x", 1);
  g_autoptr(GBytes) signature = NULL;
  g_autoptr(TrbSecret) phrase = NULL;
  g_autoptr(GAsyncResult) result = NULL;

  wallet = create (manager, NULL, &error);
  g_assert_no_error (error);

  /* Another app deletes the item. */
  trb_wallet_keyring_clear_async (trb_wallet_get_address (wallet), NULL, wallet_test_got_result,
                                  &result);
  g_assert_true (trb_wallet_keyring_clear_finish (wallet_test_wait (&result), &error));
  g_assert_no_error (error);

  signature = sign (manager, wallet, message, &error);
  g_assert_null (signature);
  g_assert_error (error, TRB_WALLET_ERROR, TRB_WALLET_ERROR_KEY_MISSING);
  g_assert_true (strstr (error->message, "backup phrase") != NULL);
  g_clear_error (&error);
  phrase = reveal (manager, wallet, &error);
  g_assert_null (phrase);
  g_assert_error (error, TRB_WALLET_ERROR, TRB_WALLET_ERROR_KEY_MISSING);
  g_clear_error (&error);

  /* Something else stored under the wallet's address is not taken for its key. */
  g_clear_object (&result);
  {
    g_autoptr(TrbSecret) junk = trb_secret_new_from_string ("not a wallet");

    trb_wallet_keyring_store_async (trb_wallet_get_address (wallet), "junk", junk, NULL,
                                    wallet_test_got_result, &result);
    g_assert_true (trb_wallet_keyring_store_finish (wallet_test_wait (&result), &error));
    g_assert_no_error (error);
    signature = sign (manager, wallet, message, &error);
    g_assert_null (signature);
    g_assert_error (error, TRB_WALLET_ERROR, TRB_WALLET_ERROR_CORRUPT);
    g_clear_error (&error);
  }

  /* A wallet whose key is gone can still be removed. */
  g_assert_true (remove_wallet (manager, wallet, &error));
  g_assert_no_error (error);
  g_assert_cmpuint (g_list_model_get_n_items (trb_wallet_manager_get_wallets (manager)), ==, 0);
}

/* Leak check --------------------------------------------------------------------------- */

typedef struct
{
  const char *what;
  GBytes     *needle;
} Needle;

static void
add_encodings (GArray       *needles,
               const char   *what,
               const guint8 *data,
               gsize         len)
{
  GString *hex_lower = g_string_new (NULL);
  GString *hex_upper = g_string_new (NULL);
  char *b64 = g_base64_encode (data, len);
  Needle n;

  for (gsize i = 0; i < len; i++)
    {
      g_string_append_printf (hex_lower, "%02x", data[i]);
      g_string_append_printf (hex_upper, "%02X", data[i]);
    }

  n.what = what;
  n.needle = g_bytes_new (data, len);
  g_array_append_val (needles, n);
  n.needle = g_string_free_to_bytes (hex_lower);
  g_array_append_val (needles, n);
  n.needle = g_string_free_to_bytes (hex_upper);
  g_array_append_val (needles, n);
  /* Without the padding, which depends on what follows in a longer encoding. */
  while (strlen (b64) > 0 && b64[strlen (b64) - 1] == '=')
    b64[strlen (b64) - 1] = '\0';
  n.needle = g_bytes_new_take (b64, strlen (b64));
  g_array_append_val (needles, n);
}

static void
add_secret_needles (GArray     *needles,
                    const char *phrase,
                    const char *passphrase)
{
  g_autoptr(TrbSecret) seed = trb_bip39_phrase_to_seed (phrase, passphrase, NULL);
  guint32 indices[TRB_SLIP10_MAX_DEPTH];
  guint n = 0;
  guint8 key[32];
  g_autoptr(TrbSecret) first_word = trb_bip39_get_word (phrase, 0);
  g_autoptr(TrbSecret) second_word = trb_bip39_get_word (phrase, 1);
  g_autofree char *two_words = g_strdup_printf ("%s %s", trb_secret_get_string (first_word),
                                                trb_secret_get_string (second_word));

  g_assert_nonnull (seed);
  g_assert_true (trb_slip10_parse_path (TRB_WALLET_DERIVATION_PATH, indices, &n, NULL));
  g_assert_true (trb_slip10_derive_ed25519 (seed->data, seed->len, indices, n, key, NULL, NULL));

  add_encodings (needles, "phrase", (const guint8 *)phrase, strlen (phrase));
  add_encodings (needles, "seed", seed->data, seed->len);
  add_encodings (needles, "private key", key, sizeof key);
  if (passphrase != NULL)
    add_encodings (needles, "passphrase", (const guint8 *)passphrase, strlen (passphrase));
  {
    Needle w = { "two first words", g_bytes_new (two_words, strlen (two_words)) };
    g_array_append_val (needles, w);
  }
}

static gboolean
contains (const char *haystack,
          gsize       haystack_len,
          const void *needle,
          gsize       needle_len)
{
  if (needle_len == 0 || needle_len > haystack_len)
    return FALSE;
  for (gsize i = 0; i + needle_len <= haystack_len; i++)
    if (haystack[i] == *(const char *)needle && memcmp (haystack + i, needle, needle_len) == 0)
      return TRUE;
  return FALSE;
}

static guint
scan_dir (const char *path,
          GArray     *needles,
          GPtrArray  *scanned)
{
  g_autoptr(GDir) dir = g_dir_open (path, 0, NULL);
  const char *name;
  guint found = 0;

  if (dir == NULL)
    return 0;
  while ((name = g_dir_read_name (dir)) != NULL)
    {
      g_autofree char *child = g_build_filename (path, name, NULL);
      g_autofree char *contents = NULL;
      gsize len = 0;

      if (g_file_test (child, G_FILE_TEST_IS_SYMLINK))
        continue;
      if (g_file_test (child, G_FILE_TEST_IS_DIR))
        {
          found += scan_dir (child, needles, scanned);
          continue;
        }
      if (g_ptr_array_find_with_equal_func (scanned, child, g_str_equal, NULL))
        continue;
      g_ptr_array_add (scanned, g_strdup (child));
      if (!g_file_get_contents (child, &contents, &len, NULL))
        continue;
      for (guint i = 0; i < needles->len; i++)
        {
          Needle *n = &g_array_index (needles, Needle, i);
          gsize nlen;
          const void *ndata = g_bytes_get_data (n->needle, &nlen);

          if (contains (contents, len, ndata, nlen))
            {
              g_test_message ("The %s was found in %s", n->what, child);
              found++;
            }
        }
    }
  return found;
}

static void
clear_needle (gpointer data)
{
  g_bytes_unref (((Needle *)data)->needle);
}

/* After create, import, sign and back up, no file under HOME, the XDG folders or the store
 * holds the seed, the private key, the phrase or the passphrase, raw, hex or base64. */
void
wallet_test_leaks (TrbWalletManager *manager,
                   TrbStore         *store,
                   const char       *keyring_home)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(TrbWallet) created = NULL;
  g_autoptr(TrbWallet) imported = NULL;
  g_autoptr(TrbSecret) phrase = NULL;
  g_autoptr(TrbSecret) shown = NULL;
  g_autoptr(GBytes) signature = NULL;
  g_autoptr(GBytes) message = g_bytes_new_static ("round 1 update", 14);
  g_autoptr(GArray) needles = g_array_new (FALSE, FALSE, sizeof (Needle));
  g_autoptr(GPtrArray) scanned = g_ptr_array_new_with_free_func (g_free);
  g_autofree char *store_dir = g_path_get_dirname (trb_store_get_path (store));
  const char *dirs[] = {
    g_get_home_dir (), g_get_user_data_dir (), g_get_user_config_dir (),
    g_get_user_cache_dir (), g_get_user_state_dir (), g_get_user_runtime_dir (), store_dir,
  };
  guint found = 0;

  g_array_set_clear_func (needles, clear_needle);

  created = create (manager, "Leak test", &error);
  g_assert_no_error (error);
  imported = import (manager, "Imported", TEST_PHRASE, "correct horse", &error);
  g_assert_no_error (error);
  signature = sign (manager, created, message, &error);
  g_assert_no_error (error);
  g_clear_pointer (&signature, g_bytes_unref);
  signature = sign (manager, imported, message, &error);
  g_assert_no_error (error);

  /* Back up: show the phrase, check three words, mark it. */
  phrase = reveal (manager, created, &error);
  g_assert_no_error (error);
  {
    guint positions[TRB_WALLET_BACKUP_CHECKS];

    trb_wallet_backup_pick_positions (24, positions);
    for (guint i = 0; i < TRB_WALLET_BACKUP_CHECKS; i++)
      {
        g_autoptr(TrbSecret) word = trb_bip39_get_word (trb_secret_get_string (phrase),
                                                        positions[i]);
        g_assert_true (trb_wallet_backup_check_word (phrase, positions[i],
                                                     trb_secret_get_string (word)));
        g_assert_false (trb_wallet_backup_check_word (phrase, positions[i], "notaword"));
      }
  }
  g_assert_true (trb_wallet_manager_mark_backed_up (manager, created, &error));
  g_assert_no_error (error);

  /* Make sure the store has written everything it will write. */
  g_assert_true (trb_store_exec (store, "PRAGMA wal_checkpoint(FULL)", &error));
  g_assert_no_error (error);

  add_secret_needles (needles, trb_secret_get_string (phrase), NULL);
  add_secret_needles (needles, TEST_PHRASE, "correct horse");

  for (guint i = 0; i < G_N_ELEMENTS (dirs); i++)
    found += scan_dir (dirs[i], needles, scanned);
  if (keyring_home != NULL)
    found += scan_dir (keyring_home, needles, scanned);

  /* The scan must have seen the store and the keyring file, or it proves nothing. */
  g_assert_true (g_ptr_array_find_with_equal_func (scanned, trb_store_get_path (store),
                                                   g_str_equal, NULL));
  g_assert_cmpuint (scanned->len, >=, 2);
  g_assert_cmpuint (found, ==, 0);

  /* And the scan finds what it looks for: the public address is in the store. */
  {
    g_autoptr(GArray) control = g_array_new (FALSE, FALSE, sizeof (Needle));
    g_autoptr(GPtrArray) again = g_ptr_array_new_with_free_func (g_free);
    const char *address = trb_wallet_get_address (created);
    Needle n = { "address", g_bytes_new (address, strlen (address)) };

    g_array_set_clear_func (control, clear_needle);
    g_array_append_val (control, n);
    g_assert_cmpuint (scan_dir (store_dir, control, again), >=, 1);
  }
}
