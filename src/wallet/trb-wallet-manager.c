/* trb-wallet-manager.c
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * The wallets of this person: a GListModel of TrbWallet for the UI, their non-secret metadata
 * in the local store (component "wallet"), their keys in the keyring. Every keyring call is
 * asynchronous; key derivation and signing run on a worker thread. Store writes are single
 * small statements and run where they are called.
 */

#define G_LOG_DOMAIN "trb-wallet-manager"

#include "config.h"

#include "trb-wallet-manager.h"

#include <glib/gi18n.h>
#include <sodium.h>
#include <string.h>

#include "trb-bip39.h"
#include "trb-keypair.h"
#include "trb-wallet-error.h"
#include "trb-wallet-keyring.h"
#include "trb-wallet-private.h"
#include "store/trb-store-wallet.h"

struct _TrbWalletManager
{
  GObject     parent_instance;

  TrbStore   *store;
  GListStore *wallets;
};

G_DEFINE_FINAL_TYPE (TrbWalletManager, trb_wallet_manager, G_TYPE_OBJECT)

static void
trb_wallet_manager_dispose (GObject *object)
{
  TrbWalletManager *self = (TrbWalletManager *)object;

  g_clear_object (&self->wallets);
  g_clear_object (&self->store);

  G_OBJECT_CLASS (trb_wallet_manager_parent_class)->dispose (object);
}

static void
trb_wallet_manager_class_init (TrbWalletManagerClass *klass)
{
  G_OBJECT_CLASS (klass)->dispose = trb_wallet_manager_dispose;
}

static void
trb_wallet_manager_init (TrbWalletManager *self)
{
  self->wallets = g_list_store_new (TRB_TYPE_WALLET);
}

static gboolean
load_wallets (TrbWalletManager  *self,
              GError           **error)
{
  g_autoptr(GPtrArray) rows = trb_store_wallet_list (self->store, error);

  if (rows == NULL)
    return FALSE;
  for (guint i = 0; i < rows->len; i++)
    {
      const TrbStoreWalletRow *row = g_ptr_array_index (rows, i);
      g_autoptr(TrbWallet) wallet = NULL;

      wallet = trb_wallet_new (row->address, row->label, row->backed_up, row->is_default,
                               row->created);
      g_list_store_append (self->wallets, wallet);
    }
  return TRUE;
}
/**
 * trb_wallet_manager_new:
 * @store: the local store, for the wallets' names and states (never their keys)
 *
 * Returns: (transfer full): the manager, with the known wallets loaded
 */
TrbWalletManager *
trb_wallet_manager_new (TrbStore  *store,
                        GError   **error)
{
  g_autoptr(TrbWalletManager) self = NULL;

  g_return_val_if_fail (TRB_IS_STORE (store), NULL);

  trb_wallet_crypto_init ();

  self = g_object_new (TRB_TYPE_WALLET_MANAGER, NULL);
  self->store = g_object_ref (store);

  if (!trb_store_wallet_migrate (store, error))
    return NULL;
  if (!load_wallets (self, error))
    return NULL;
  return g_steal_pointer (&self);
}

/**
 * trb_wallet_manager_get_wallets:
 *
 * Returns: (transfer none): a #GListModel of #TrbWallet, oldest first
 */
GListModel *
trb_wallet_manager_get_wallets (TrbWalletManager *self)
{
  g_return_val_if_fail (TRB_IS_WALLET_MANAGER (self), NULL);

  return G_LIST_MODEL (self->wallets);
}

/**
 * trb_wallet_manager_lookup:
 *
 * Returns: (transfer none) (nullable): the wallet with that name or address
 */
TrbWallet *
trb_wallet_manager_lookup (TrbWalletManager *self,
                           const char       *label_or_address)
{
  guint n;

  g_return_val_if_fail (TRB_IS_WALLET_MANAGER (self), NULL);
  g_return_val_if_fail (label_or_address != NULL, NULL);

  n = g_list_model_get_n_items (G_LIST_MODEL (self->wallets));
  for (guint i = 0; i < n; i++)
    {
      g_autoptr(TrbWallet) wallet = g_list_model_get_item (G_LIST_MODEL (self->wallets), i);

      if (g_str_equal (trb_wallet_get_label (wallet), label_or_address) ||
          g_str_equal (trb_wallet_get_address (wallet), label_or_address))
        return wallet;
    }
  return NULL;
}

/**
 * trb_wallet_manager_get_default:
 *
 * Returns: (transfer none) (nullable): the wallet used where no other is chosen
 */
TrbWallet *
trb_wallet_manager_get_default (TrbWalletManager *self)
{
  guint n;

  g_return_val_if_fail (TRB_IS_WALLET_MANAGER (self), NULL);

  n = g_list_model_get_n_items (G_LIST_MODEL (self->wallets));
  for (guint i = 0; i < n; i++)
    {
      g_autoptr(TrbWallet) wallet = g_list_model_get_item (G_LIST_MODEL (self->wallets), i);

      if (trb_wallet_get_is_default (wallet))
        return wallet;
    }
  return NULL;
}

static gboolean
label_taken (TrbWalletManager *self,
             const char       *label,
             TrbWallet        *except)
{
  g_autofree char *folded = g_utf8_casefold (label, -1);
  guint n = g_list_model_get_n_items (G_LIST_MODEL (self->wallets));

  for (guint i = 0; i < n; i++)
    {
      g_autoptr(TrbWallet) wallet = g_list_model_get_item (G_LIST_MODEL (self->wallets), i);
      g_autofree char *other = NULL;

      if (wallet == except)
        continue;
      other = g_utf8_casefold (trb_wallet_get_label (wallet), -1);
      if (g_str_equal (folded, other))
        return TRUE;
    }
  return FALSE;
}

/**
 * trb_wallet_manager_suggest_label:
 *
 * Returns: (transfer full): a free name such as “Wallet 2”
 */
char *
trb_wallet_manager_suggest_label (TrbWalletManager *self)
{
  g_return_val_if_fail (TRB_IS_WALLET_MANAGER (self), NULL);

  if (!label_taken (self, _("My Wallet"), NULL))
    return g_strdup (_("My Wallet"));
  for (guint i = 2;; i++)
    {
      /* Translators: the name given to a new wallet; %u is a number */
      g_autofree char *label = g_strdup_printf (_("Wallet %u"), i);

      if (!label_taken (self, label, NULL))
        return g_steal_pointer (&label);
    }
}

/**
 * trb_wallet_manager_check_label:
 * @except: (nullable): a wallet whose own name does not count as taken (for renames)
 */
gboolean
trb_wallet_manager_check_label (TrbWalletManager  *self,
                                const char        *label,
                                TrbWallet         *except,
                                GError           **error)
{
  g_return_val_if_fail (TRB_IS_WALLET_MANAGER (self), FALSE);

  if (label == NULL || !g_utf8_validate (label, -1, NULL))
    {
      g_set_error (error, TRB_WALLET_ERROR, TRB_WALLET_ERROR_INVALID_LABEL,
                   _("The wallet name is not valid text."));
      return FALSE;
    }
  if (*label == '\0' || g_unichar_isspace (g_utf8_get_char (label)) ||
      g_unichar_isspace (g_utf8_get_char (g_utf8_find_prev_char (label, label + strlen (label)))))
    {
      g_set_error (error, TRB_WALLET_ERROR, TRB_WALLET_ERROR_INVALID_LABEL,
                   _("Give the wallet a name, without spaces at its start or end."));
      return FALSE;
    }
  if (g_utf8_strlen (label, -1) > TRB_WALLET_LABEL_MAX_CHARS)
    {
      g_set_error (error, TRB_WALLET_ERROR, TRB_WALLET_ERROR_INVALID_LABEL,
                   g_dngettext (GETTEXT_PACKAGE,
                                "The wallet name is too long: keep it under %d character.",
                                "The wallet name is too long: keep it under %d characters.",
                                TRB_WALLET_LABEL_MAX_CHARS),
                   TRB_WALLET_LABEL_MAX_CHARS);
      return FALSE;
    }
  for (const char *p = label; *p != '\0'; p = g_utf8_next_char (p))
    {
      if (g_unichar_iscntrl (g_utf8_get_char (p)))
        {
          g_set_error (error, TRB_WALLET_ERROR, TRB_WALLET_ERROR_INVALID_LABEL,
                       _("The wallet name cannot contain line breaks or tabs."));
          return FALSE;
        }
    }
  if (label_taken (self, label, except))
    {
      g_set_error (error, TRB_WALLET_ERROR, TRB_WALLET_ERROR_INVALID_LABEL,
                   _("There is already a wallet named “%s”. Choose another name."), label);
      return FALSE;
    }
  return TRUE;
}

/* Adding a wallet (create or import) ---------------------------------------------------- */

typedef struct
{
  char      *label;
  guint      n_words;
  TrbSecret *input_phrase;   /* import only */
  TrbSecret *passphrase;     /* import only, may be NULL */
  char      *address;
  TrbSecret *material;
} AddData;

static void
add_data_free (AddData *data)
{
  g_clear_pointer (&data->label, g_free);
  g_clear_pointer (&data->input_phrase, trb_secret_free);
  g_clear_pointer (&data->passphrase, trb_secret_free);
  g_clear_pointer (&data->address, g_free);
  g_clear_pointer (&data->material, trb_secret_free);
  g_free (data);
}

static void
derive_thread (GTask        *task,
               gpointer      source_object,
               gpointer      task_data,
               GCancellable *cancellable)
{
  AddData *data = task_data;
  g_autoptr(TrbSecret) phrase = NULL;
  g_autoptr(TrbKeypair) pair = NULL;
  const char *passphrase;
  GError *error = NULL;

  /* Two steps, the phrase then the key (a slow derivation): cancelled, it stops between them. */
  if (g_task_return_error_if_cancelled (task))
    return;
  if (data->input_phrase != NULL)
    phrase = trb_bip39_check (trb_secret_get_string (data->input_phrase), &error);
  else
    phrase = trb_bip39_generate (data->n_words, &error);
  if (phrase == NULL)
    {
      g_task_return_error (task, error);
      return;
    }

  if (g_task_return_error_if_cancelled (task))
    return;
  passphrase = data->passphrase ? trb_secret_get_string (data->passphrase) : NULL;
  pair = trb_keypair_new_from_phrase (trb_secret_get_string (phrase), passphrase, &error);
  if (pair == NULL)
    {
      g_task_return_error (task, error);
      return;
    }

  data->address = g_strdup (trb_keypair_get_address (pair));
  data->material = trb_wallet_material_encode (trb_secret_get_string (phrase), passphrase);
  g_task_return_boolean (task, TRUE);
}

static gboolean
insert_wallet (TrbWalletManager  *self,
               TrbWallet         *wallet,
               GError           **error)
{
  return trb_store_wallet_insert (self->store, trb_wallet_get_address (wallet),
                                  trb_wallet_get_label (wallet), trb_wallet_get_created (wallet),
                                  trb_wallet_get_is_default (wallet), error);
}
static void
add_stored_cb (GObject      *object,
               GAsyncResult *result,
               gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  TrbWalletManager *self = g_task_get_source_object (task);
  AddData *data = g_task_get_task_data (task);
  g_autoptr(TrbWallet) wallet = NULL;
  GError *error = NULL;
  gboolean first;

  if (!trb_wallet_keyring_store_finish (result, &error))
    {
      g_task_return_error (task, error);
      return;
    }

  first = g_list_model_get_n_items (G_LIST_MODEL (self->wallets)) == 0;
  wallet = trb_wallet_new (data->address, data->label, FALSE, first,
                           g_get_real_time () / G_USEC_PER_SEC);
  if (!insert_wallet (self, wallet, &error))
    {
      /* Leave nothing half-made: the key goes again from the keyring. */
      trb_wallet_keyring_clear_async (data->address, NULL, NULL, NULL);
      g_task_return_error (task, error);
      return;
    }

  g_list_store_append (self->wallets, wallet);
  g_task_return_pointer (task, g_steal_pointer (&wallet), g_object_unref);
}

static void
add_derived_cb (GObject      *object,
                GAsyncResult *result,
                gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  TrbWalletManager *self = g_task_get_source_object (task);
  AddData *data = g_task_get_task_data (task);
  g_autofree char *item_label = NULL;
  TrbWallet *existing;
  GError *error = NULL;

  if (!g_task_propagate_boolean (G_TASK (result), &error))
    {
      g_task_return_error (task, error);
      return;
    }

  existing = trb_wallet_manager_lookup (self, data->address);
  if (existing != NULL)
    {
      g_task_return_new_error (task, TRB_WALLET_ERROR, TRB_WALLET_ERROR_EXISTS,
                               _("This wallet is already here, named “%s”."),
                               trb_wallet_get_label (existing));
      return;
    }
  /* A name may have been taken while the key was derived. */
  if (!trb_wallet_manager_check_label (self, data->label, NULL, &error))
    {
      g_task_return_error (task, error);
      return;
    }

  /* Translators: how the wallet's key is named in keyring apps; %s is its address */
  item_label = g_strdup_printf (_("Tributary wallet key %s"), data->address);
  trb_wallet_keyring_store_async (data->address, item_label, data->material,
                                  g_task_get_cancellable (task), add_stored_cb,
                                  g_object_ref (task));
}

static void
add_wallet_async (TrbWalletManager    *self,
                  gpointer             source_tag,
                  AddData             *data,
                  GCancellable        *cancellable,
                  GAsyncReadyCallback  callback,
                  gpointer             user_data)
{
  g_autoptr(GTask) task = NULL;
  g_autoptr(GTask) derive = NULL;
  GError *error = NULL;

  task = g_task_new (self, cancellable, callback, user_data);
  g_task_set_source_tag (task, source_tag);
  g_task_set_task_data (task, data, (GDestroyNotify)add_data_free);

  if (data->label == NULL)
    data->label = trb_wallet_manager_suggest_label (self);
  if (!trb_wallet_manager_check_label (self, data->label, NULL, &error))
    {
      g_task_return_error (task, error);
      return;
    }

  derive = g_task_new (self, cancellable, add_derived_cb, g_object_ref (task));
  g_task_set_task_data (derive, data, NULL);
  g_task_run_in_thread (derive, derive_thread);
}

/**
 * trb_wallet_manager_create_async:
 * @label: (nullable): the new wallet's name; a free one is chosen when %NULL
 * @n_words: the length of its phrase, normally %TRB_BIP39_DEFAULT_WORDS
 *
 * Creates a wallet with a new random phrase and keeps its key in the keyring. The first wallet
 * becomes the default one.
 */
void
trb_wallet_manager_create_async (TrbWalletManager    *self,
                                 const char          *label,
                                 guint                n_words,
                                 GCancellable        *cancellable,
                                 GAsyncReadyCallback  callback,
                                 gpointer             user_data)
{
  AddData *data;

  g_return_if_fail (TRB_IS_WALLET_MANAGER (self));

  data = g_new0 (AddData, 1);
  data->label = g_strdup (label);
  data->n_words = n_words;
  add_wallet_async (self, trb_wallet_manager_create_async, data, cancellable, callback,
                    user_data);
}

/**
 * trb_wallet_manager_create_finish:
 *
 * Returns: (transfer full): the new wallet
 */
TrbWallet *
trb_wallet_manager_create_finish (TrbWalletManager  *self,
                                  GAsyncResult      *result,
                                  GError           **error)
{
  g_return_val_if_fail (g_task_is_valid (result, self), NULL);

  return g_task_propagate_pointer (G_TASK (result), error);
}

/**
 * trb_wallet_manager_import_async:
 * @label: (nullable): the wallet's name
 * @phrase: the backup phrase as typed; it is copied into locked memory at once
 * @passphrase: (nullable): its optional passphrase
 */
void
trb_wallet_manager_import_async (TrbWalletManager    *self,
                                 const char          *label,
                                 const char          *phrase,
                                 const char          *passphrase,
                                 GCancellable        *cancellable,
                                 GAsyncReadyCallback  callback,
                                 gpointer             user_data)
{
  AddData *data;

  g_return_if_fail (TRB_IS_WALLET_MANAGER (self));
  g_return_if_fail (phrase != NULL);

  data = g_new0 (AddData, 1);
  data->label = g_strdup (label);
  data->input_phrase = trb_secret_new_from_data (phrase,
                                                 strnlen (phrase, TRB_BIP39_MAX_TEXT + 1));
  if (passphrase != NULL && *passphrase != '\0')
    data->passphrase = trb_secret_new_from_data (passphrase,
                                                 strnlen (passphrase, TRB_BIP39_MAX_TEXT + 1));
  add_wallet_async (self, trb_wallet_manager_import_async, data, cancellable, callback,
                    user_data);
}

/**
 * trb_wallet_manager_import_finish:
 *
 * Returns: (transfer full): the imported wallet
 */
TrbWallet *
trb_wallet_manager_import_finish (TrbWalletManager  *self,
                                  GAsyncResult      *result,
                                  GError           **error)
{
  g_return_val_if_fail (g_task_is_valid (result, self), NULL);

  return g_task_propagate_pointer (G_TASK (result), error);
}

/* Using a key (sign, reveal) -------------------------------------------------------------- */

typedef struct
{
  char      *address;
  GBytes    *data;
  TrbSecret *material;
} KeyData;

static void
key_data_free (KeyData *data)
{
  g_clear_pointer (&data->address, g_free);
  g_clear_pointer (&data->data, g_bytes_unref);
  g_clear_pointer (&data->material, trb_secret_free);
  g_free (data);
}

static TrbKeypair *
keypair_from_material (const TrbSecret  *material,
                       const char       *address,
                       GError          **error)
{
  g_autoptr(TrbSecret) phrase = NULL;
  g_autoptr(TrbSecret) passphrase = NULL;
  g_autoptr(TrbKeypair) pair = NULL;

  if (!trb_wallet_material_decode (material, &phrase, &passphrase, error))
    return NULL;
  pair = trb_keypair_new_from_phrase (trb_secret_get_string (phrase),
                                      trb_secret_get_string (passphrase), error);
  if (pair == NULL)
    return NULL;
  if (!g_str_equal (trb_keypair_get_address (pair), address))
    {
      g_set_error (error, TRB_WALLET_ERROR, TRB_WALLET_ERROR_CORRUPT,
                   _("The key in the keyring does not belong to this wallet. Import the "
                     "wallet again from its backup phrase."));
      return NULL;
    }
  return g_steal_pointer (&pair);
}

static void
sign_thread (GTask        *task,
             gpointer      source_object,
             gpointer      task_data,
             GCancellable *cancellable)
{
  KeyData *data = task_data;
  g_autoptr(TrbKeypair) pair = NULL;
  GError *error = NULL;
  gsize len;
  const guint8 *bytes;

  if (g_task_return_error_if_cancelled (task))
    return;
  pair = keypair_from_material (data->material, data->address, &error);
  if (pair == NULL)
    {
      g_task_return_error (task, error);
      return;
    }
  if (g_task_return_error_if_cancelled (task))
    return;
  bytes = g_bytes_get_data (data->data, &len);
  g_task_return_pointer (task, trb_keypair_sign (pair, bytes, len),
                         (GDestroyNotify)g_bytes_unref);
}

static void
sign_looked_up_cb (GObject      *object,
                   GAsyncResult *result,
                   gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  KeyData *data = g_task_get_task_data (task);
  GError *error = NULL;

  data->material = trb_wallet_keyring_lookup_finish (result, &error);
  if (data->material == NULL)
    {
      g_task_return_error (task, error);
      return;
    }
  g_task_run_in_thread (task, sign_thread);
}

/**
 * trb_wallet_manager_sign_async:
 * @data: the bytes to sign
 *
 * Reads the wallet's key from the keyring (which may ask to unlock it) and signs @data with
 * Ed25519 on a worker thread.
 */
void
trb_wallet_manager_sign_async (TrbWalletManager    *self,
                               TrbWallet           *wallet,
                               GBytes              *data,
                               GCancellable        *cancellable,
                               GAsyncReadyCallback  callback,
                               gpointer             user_data)
{
  g_autoptr(GTask) task = NULL;
  KeyData *key_data;

  g_return_if_fail (TRB_IS_WALLET_MANAGER (self));
  g_return_if_fail (TRB_IS_WALLET (wallet));
  g_return_if_fail (data != NULL);

  task = g_task_new (self, cancellable, callback, user_data);
  g_task_set_source_tag (task, trb_wallet_manager_sign_async);
  key_data = g_new0 (KeyData, 1);
  key_data->address = g_strdup (trb_wallet_get_address (wallet));
  key_data->data = g_bytes_ref (data);
  g_task_set_task_data (task, key_data, (GDestroyNotify)key_data_free);

  trb_wallet_keyring_lookup_async (key_data->address, cancellable, sign_looked_up_cb,
                                   g_steal_pointer (&task));
}

/**
 * trb_wallet_manager_sign_finish:
 *
 * Returns: (transfer full): the 64-byte signature
 */
GBytes *
trb_wallet_manager_sign_finish (TrbWalletManager  *self,
                                GAsyncResult      *result,
                                GError           **error)
{
  g_return_val_if_fail (g_task_is_valid (result, self), NULL);

  return g_task_propagate_pointer (G_TASK (result), error);
}

static void
reveal_looked_up_cb (GObject      *object,
                     GAsyncResult *result,
                     gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  g_autoptr(TrbSecret) material = NULL;
  g_autoptr(TrbSecret) phrase = NULL;
  g_autoptr(TrbSecret) passphrase = NULL;
  GError *error = NULL;

  material = trb_wallet_keyring_lookup_finish (result, &error);
  if (material == NULL || !trb_wallet_material_decode (material, &phrase, &passphrase, &error))
    {
      g_task_return_error (task, error);
      return;
    }
  g_task_return_pointer (task, g_steal_pointer (&phrase), (GDestroyNotify)trb_secret_free);
}

/**
 * trb_wallet_manager_reveal_phrase_async:
 *
 * Reads the wallet's backup phrase from the keyring, for the backup flow.
 */
void
trb_wallet_manager_reveal_phrase_async (TrbWalletManager    *self,
                                        TrbWallet           *wallet,
                                        GCancellable        *cancellable,
                                        GAsyncReadyCallback  callback,
                                        gpointer             user_data)
{
  g_autoptr(GTask) task = NULL;

  g_return_if_fail (TRB_IS_WALLET_MANAGER (self));
  g_return_if_fail (TRB_IS_WALLET (wallet));

  task = g_task_new (self, cancellable, callback, user_data);
  g_task_set_source_tag (task, trb_wallet_manager_reveal_phrase_async);
  trb_wallet_keyring_lookup_async (trb_wallet_get_address (wallet), cancellable,
                                   reveal_looked_up_cb, g_steal_pointer (&task));
}

/**
 * trb_wallet_manager_reveal_phrase_finish:
 *
 * Returns: (transfer full): the phrase; free it as soon as it is no longer shown
 */
TrbSecret *
trb_wallet_manager_reveal_phrase_finish (TrbWalletManager  *self,
                                         GAsyncResult      *result,
                                         GError           **error)
{
  g_return_val_if_fail (g_task_is_valid (result, self), NULL);

  return g_task_propagate_pointer (G_TASK (result), error);
}

/* Removing -------------------------------------------------------------------------------- */

static gboolean
find_position (TrbWalletManager *self,
               TrbWallet        *wallet,
               guint            *position)
{
  return g_list_store_find (self->wallets, wallet, position);
}

static void
removed_cb (GObject      *object,
            GAsyncResult *result,
            gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  TrbWalletManager *self = g_task_get_source_object (task);
  TrbWallet *wallet = g_task_get_task_data (task);
  gboolean was_default = trb_wallet_get_is_default (wallet);
  GError *error = NULL;
  guint position;

  trb_wallet_keyring_clear_finish (result, &error);
  /* A key already gone from the keyring is no reason to keep the wallet listed. */
  if (error != NULL && !g_error_matches (error, TRB_WALLET_ERROR, TRB_WALLET_ERROR_KEY_MISSING))
    {
      g_task_return_error (task, error);
      return;
    }
  g_clear_error (&error);

  if (!trb_store_wallet_delete (self->store, trb_wallet_get_address (wallet), &error))
    {
      g_task_return_error (task, error);
      return;
    }
  if (find_position (self, wallet, &position))
    g_list_store_remove (self->wallets, position);

  if (was_default && g_list_model_get_n_items (G_LIST_MODEL (self->wallets)) > 0)
    {
      g_autoptr(TrbWallet) first = g_list_model_get_item (G_LIST_MODEL (self->wallets), 0);

      trb_wallet_manager_set_default (self, first, NULL);
    }
  g_task_return_boolean (task, TRUE);
}

/**
 * trb_wallet_manager_remove_async:
 *
 * Deletes the wallet's key from the keyring and forgets the wallet. The caller warns first
 * when the wallet was not backed up: this cannot be undone.
 */
void
trb_wallet_manager_remove_async (TrbWalletManager    *self,
                                 TrbWallet           *wallet,
                                 GCancellable        *cancellable,
                                 GAsyncReadyCallback  callback,
                                 gpointer             user_data)
{
  g_autoptr(GTask) task = NULL;

  g_return_if_fail (TRB_IS_WALLET_MANAGER (self));
  g_return_if_fail (TRB_IS_WALLET (wallet));

  task = g_task_new (self, cancellable, callback, user_data);
  g_task_set_source_tag (task, trb_wallet_manager_remove_async);
  g_task_set_task_data (task, g_object_ref (wallet), g_object_unref);
  trb_wallet_keyring_clear_async (trb_wallet_get_address (wallet), cancellable, removed_cb,
                                  g_steal_pointer (&task));
}

gboolean
trb_wallet_manager_remove_finish (TrbWalletManager  *self,
                                  GAsyncResult      *result,
                                  GError           **error)
{
  g_return_val_if_fail (g_task_is_valid (result, self), FALSE);

  return g_task_propagate_boolean (G_TASK (result), error);
}

/* Metadata -------------------------------------------------------------------------------- */

gboolean
trb_wallet_manager_mark_backed_up (TrbWalletManager  *self,
                                   TrbWallet         *wallet,
                                   GError           **error)
{
  g_return_val_if_fail (TRB_IS_WALLET_MANAGER (self), FALSE);
  g_return_val_if_fail (TRB_IS_WALLET (wallet), FALSE);

  if (!trb_store_wallet_mark_backed_up (self->store, trb_wallet_get_address (wallet), error))
    return FALSE;
  trb_wallet_set_backed_up (wallet, TRUE);
  return TRUE;
}

gboolean
trb_wallet_manager_rename (TrbWalletManager  *self,
                           TrbWallet         *wallet,
                           const char        *label,
                           GError           **error)
{
  g_return_val_if_fail (TRB_IS_WALLET_MANAGER (self), FALSE);
  g_return_val_if_fail (TRB_IS_WALLET (wallet), FALSE);

  if (!trb_wallet_manager_check_label (self, label, wallet, error))
    return FALSE;
  if (!trb_store_wallet_rename (self->store, trb_wallet_get_address (wallet), label, error))
    return FALSE;
  trb_wallet_set_label (wallet, label);
  return TRUE;
}

gboolean
trb_wallet_manager_set_default (TrbWalletManager  *self,
                                TrbWallet         *wallet,
                                GError           **error)
{
  guint n;

  g_return_val_if_fail (TRB_IS_WALLET_MANAGER (self), FALSE);
  g_return_val_if_fail (TRB_IS_WALLET (wallet), FALSE);

  if (!trb_store_wallet_set_default (self->store, trb_wallet_get_address (wallet), error))
    return FALSE;

  n = g_list_model_get_n_items (G_LIST_MODEL (self->wallets));
  for (guint i = 0; i < n; i++)
    {
      g_autoptr(TrbWallet) other = g_list_model_get_item (G_LIST_MODEL (self->wallets), i);

      trb_wallet_set_is_default (other, other == wallet);
    }
  return TRUE;
}

/**
 * trb_wallet_manager_set_for_network:
 * @network: the network's identifier
 * @wallet: (nullable): the wallet to use there, or %NULL for the default one
 */
gboolean
trb_wallet_manager_set_for_network (TrbWalletManager  *self,
                                    const char        *network,
                                    TrbWallet         *wallet,
                                    GError           **error)
{
  g_return_val_if_fail (TRB_IS_WALLET_MANAGER (self), FALSE);
  g_return_val_if_fail (network != NULL, FALSE);
  g_return_val_if_fail (wallet == NULL || TRB_IS_WALLET (wallet), FALSE);

  return trb_store_wallet_set_for_network (self->store, network,
                                           wallet != NULL ? trb_wallet_get_address (wallet)
                                                          : NULL,
                                           error);
}

/**
 * trb_wallet_manager_get_for_network:
 *
 * Returns: (transfer none) (nullable): the wallet chosen for @network, else the default one;
 *   %NULL when there is none, or with @error set when the store could not be read
 */
TrbWallet *
trb_wallet_manager_get_for_network (TrbWalletManager  *self,
                                    const char        *network,
                                    GError           **error)
{
  g_autofree char *address = NULL;
  TrbWallet *wallet = NULL;

  g_return_val_if_fail (TRB_IS_WALLET_MANAGER (self), NULL);
  g_return_val_if_fail (network != NULL, NULL);

  if (!trb_store_wallet_get_for_network (self->store, network, &address, error))
    return NULL;
  if (address != NULL)
    wallet = trb_wallet_manager_lookup (self, address);
  return wallet ? wallet : trb_wallet_manager_get_default (self);
}

/* Backup check ---------------------------------------------------------------------------- */

/**
 * trb_wallet_backup_pick_positions:
 * @positions: (out caller-allocates) (array fixed-size=3): three different 0-based positions,
 *   in increasing order
 *
 * Picks the words a person is asked for to show that the phrase was written down.
 */
void
trb_wallet_backup_pick_positions (guint  n_words,
                                  guint *positions)
{
  guint n = 0;

  g_return_if_fail (n_words >= TRB_WALLET_BACKUP_CHECKS);

  trb_wallet_crypto_init ();

  while (n < TRB_WALLET_BACKUP_CHECKS)
    {
      guint candidate = randombytes_uniform (n_words);
      gboolean seen = FALSE;

      for (guint i = 0; i < n; i++)
        seen |= positions[i] == candidate;
      if (!seen)
        positions[n++] = candidate;
    }
  for (guint i = 0; i < n; i++)
    for (guint j = i + 1; j < n; j++)
      if (positions[j] < positions[i])
        {
          guint t = positions[i];
          positions[i] = positions[j];
          positions[j] = t;
        }
}

/**
 * trb_wallet_backup_check_word:
 * @position: 0-based
 * @typed: what the person typed; normalised like a phrase
 */
gboolean
trb_wallet_backup_check_word (const TrbSecret *phrase,
                              guint            position,
                              const char      *typed)
{
  g_autoptr(TrbSecret) expected = NULL;
  g_autoptr(TrbSecret) given = NULL;

  g_return_val_if_fail (phrase != NULL, FALSE);

  if (typed == NULL)
    return FALSE;
  expected = trb_bip39_get_word (trb_secret_get_string (phrase), position);
  given = trb_bip39_normalize (typed, NULL);
  if (expected == NULL || given == NULL)
    return FALSE;
  return trb_secret_equal (expected, given);
}
