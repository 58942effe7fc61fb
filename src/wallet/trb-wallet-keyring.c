/* trb-wallet-keyring.c
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#define G_LOG_DOMAIN "trb-wallet-keyring"

#include "config.h"

#include "trb-wallet-keyring.h"

#include <glib/gi18n.h>
#include <sodium.h>
#include <string.h>

#include "trb-wallet-error.h"

#define MATERIAL_HEADER   "tributary-wallet 1\n"
/* Far more than a 24-word phrase and the longest passphrase accepted. */
#define MATERIAL_MAX_LEN  4096

const SecretSchema *
trb_wallet_keyring_get_schema (void)
{
  static const SecretSchema schema = {
    "io.github.tributary.Wallet", SECRET_SCHEMA_NONE,
    {
      { "address", SECRET_SCHEMA_ATTRIBUTE_STRING },
      { "kind", SECRET_SCHEMA_ATTRIBUTE_STRING },
      { NULL, 0 },
    }
  };

  return &schema;
}

/**
 * trb_wallet_material_encode:
 * @phrase: the normalised phrase
 * @passphrase: (nullable): the passphrase
 *
 * Returns: (transfer full): the text kept in the keyring
 */
TrbSecret *
trb_wallet_material_encode (const char *phrase,
                            const char *passphrase)
{
  gsize header_len = strlen (MATERIAL_HEADER);
  gsize phrase_len;
  gsize pass_len;
  TrbSecret *material;

  g_return_val_if_fail (phrase != NULL, NULL);
  g_return_val_if_fail (strchr (phrase, '\n') == NULL, NULL);

  phrase_len = strlen (phrase);
  pass_len = passphrase ? strlen (passphrase) : 0;
  material = trb_secret_new (header_len + phrase_len + 1 + pass_len);
  memcpy (material->data, MATERIAL_HEADER, header_len);
  memcpy (material->data + header_len, phrase, phrase_len);
  material->data[header_len + phrase_len] = '\n';
  if (pass_len > 0)
    memcpy (material->data + header_len + phrase_len + 1, passphrase, pass_len);
  return material;
}

/**
 * trb_wallet_material_decode:
 * @phrase: (out) (transfer full): the phrase
 * @passphrase: (out) (transfer full): the passphrase, possibly empty
 */
gboolean
trb_wallet_material_decode (const TrbSecret  *material,
                            TrbSecret       **phrase,
                            TrbSecret       **passphrase,
                            GError          **error)
{
  gsize header_len = strlen (MATERIAL_HEADER);
  const char *start;
  const char *newline;

  g_return_val_if_fail (material != NULL && phrase != NULL && passphrase != NULL, FALSE);

  if (material->len > MATERIAL_MAX_LEN || material->len < header_len ||
      memcmp (material->data, MATERIAL_HEADER, header_len) != 0 ||
      memchr (material->data, '\0', material->len) != NULL)
    goto corrupt;

  start = (const char *)material->data + header_len;
  newline = memchr (start, '\n', material->len - header_len);
  if (newline == NULL)
    goto corrupt;

  *phrase = trb_secret_new_from_data (start, newline - start);
  start = newline + 1;
  *passphrase = trb_secret_new_from_data (start,
                                          material->len - (start - (const char *)material->data));
  return TRUE;

corrupt:
  g_set_error (error, TRB_WALLET_ERROR, TRB_WALLET_ERROR_CORRUPT,
               _("The keyring holds something for this wallet that is not a wallet key. "
                 "Import the wallet again from its backup phrase."));
  return FALSE;
}

/**
 * trb_wallet_keyring_translate_error:
 *
 * Turns libsecret's and D-Bus's errors into ones a person can act on.
 *
 * Returns: (transfer full): the translated error
 */
GError *
trb_wallet_keyring_translate_error (const GError *error,
                                    GCancellable *cancellable)
{
  g_return_val_if_fail (error != NULL, NULL);

  if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    {
      if (g_cancellable_is_cancelled (cancellable))
        return g_error_copy (error);
      /* A cancelled prompt: the person dismissed the unlock dialog. */
      return g_error_new (TRB_WALLET_ERROR, TRB_WALLET_ERROR_UNLOCK_REFUSED,
                          _("The keyring stayed locked, so the wallet key could not be used. "
                            "Unlock the keyring when asked, then try again."));
    }
  if (g_error_matches (error, SECRET_ERROR, SECRET_ERROR_IS_LOCKED))
    return g_error_new (TRB_WALLET_ERROR, TRB_WALLET_ERROR_LOCKED,
                        _("The keyring is locked. Unlock it (for example in the Passwords and "
                          "Keys app, or by logging in again), then try again."));
  if (g_error_matches (error, SECRET_ERROR, SECRET_ERROR_NO_SUCH_OBJECT))
    return g_error_new (TRB_WALLET_ERROR, TRB_WALLET_ERROR_KEY_MISSING,
                        _("The wallet key is no longer in the keyring. It may have been "
                          "deleted with another app. Import the wallet again from its backup "
                          "phrase."));
  if (error->domain == G_DBUS_ERROR || error->domain == G_IO_ERROR ||
      error->domain == G_SPAWN_ERROR ||
      g_error_matches (error, SECRET_ERROR, SECRET_ERROR_PROTOCOL))
    return g_error_new (TRB_WALLET_ERROR, TRB_WALLET_ERROR_NO_KEYRING,
                        _("No keyring is available to keep the wallet key safe. Make sure a "
                          "keyring service such as GNOME Keyring is running, then try "
                          "again."));
  return g_error_new (TRB_WALLET_ERROR, TRB_WALLET_ERROR_KEYRING,
                      _("The keyring could not be used: %s"), error->message);
}

static void
return_translated (GTask  *task,
                   GError *error)
{
  g_task_return_error (task, trb_wallet_keyring_translate_error (error,
                                                                  g_task_get_cancellable (task)));
  g_error_free (error);
}

static void
stored_cb (GObject      *object,
           GAsyncResult *result,
           gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  GError *error = NULL;

  if (!secret_password_store_finish (result, &error))
    return_translated (task, error);
  else
    g_task_return_boolean (task, TRUE);
}

/**
 * trb_wallet_keyring_store_async:
 * @address: the wallet's address, the item's key
 * @label: the item's label, as keyring apps show it
 * @material: from trb_wallet_material_encode()
 */
void
trb_wallet_keyring_store_async (const char          *address,
                                const char          *label,
                                const TrbSecret     *material,
                                GCancellable        *cancellable,
                                GAsyncReadyCallback  callback,
                                gpointer             user_data)
{
  g_autoptr(GTask) task = NULL;

  g_return_if_fail (address != NULL && label != NULL && material != NULL);

  task = g_task_new (NULL, cancellable, callback, user_data);
  g_task_set_source_tag (task, trb_wallet_keyring_store_async);

  /* libsecret copies the text into its own non-pageable memory. */
  secret_password_store (trb_wallet_keyring_get_schema (), SECRET_COLLECTION_DEFAULT, label,
                         trb_secret_get_string (material), cancellable, stored_cb,
                         g_steal_pointer (&task),
                         "address", address,
                         "kind", "bip39",
                         NULL);
}

gboolean
trb_wallet_keyring_store_finish (GAsyncResult  *result,
                                 GError       **error)
{
  g_return_val_if_fail (g_task_is_valid (result, NULL), FALSE);

  return g_task_propagate_boolean (G_TASK (result), error);
}

static void
searched_cb (GObject      *object,
             GAsyncResult *result,
             gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  GError *error = NULL;
  GList *items;

  items = secret_password_search_finish (result, &error);
  if (error != NULL)
    {
      return_translated (task, error);
      return;
    }

  if (items == NULL)
    g_task_return_new_error (task, TRB_WALLET_ERROR, TRB_WALLET_ERROR_KEY_MISSING,
                             _("The wallet key is no longer in the keyring. It may have been "
                               "deleted with another app. Import the wallet again from its "
                               "backup phrase."));
  else
    g_task_return_new_error (task, TRB_WALLET_ERROR, TRB_WALLET_ERROR_LOCKED,
                             _("The keyring is locked and was not unlocked, so the wallet key "
                               "could not be used. Unlock the keyring when asked (or in the "
                               "Passwords and Keys app), then try again."));
  g_list_free_full (items, g_object_unref);
}

static void
looked_up_cb (GObject      *object,
              GAsyncResult *result,
              gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  GError *error = NULL;
  char *text;

  text = secret_password_lookup_nonpageable_finish (result, &error);
  if (error != NULL)
    {
      return_translated (task, error);
      return;
    }
  if (text == NULL)
    {
      /* libsecret answers "nothing" both for a deleted item and for one in a keyring that
       * stayed locked (prompt dismissed or impossible). Listing the items without unlocking
       * tells the two apart. */
      secret_password_search (trb_wallet_keyring_get_schema (), SECRET_SEARCH_ALL,
                              g_task_get_cancellable (task), searched_cb,
                              g_object_ref (task),
                              "address", (const char *)g_task_get_task_data (task),
                              NULL);
      return;
    }

  g_task_return_pointer (task, trb_secret_new_from_string (text),
                         (GDestroyNotify)trb_secret_free);
  secret_password_free (text);
}

void
trb_wallet_keyring_lookup_async (const char          *address,
                                 GCancellable        *cancellable,
                                 GAsyncReadyCallback  callback,
                                 gpointer             user_data)
{
  g_autoptr(GTask) task = NULL;

  g_return_if_fail (address != NULL);

  task = g_task_new (NULL, cancellable, callback, user_data);
  g_task_set_source_tag (task, trb_wallet_keyring_lookup_async);
  g_task_set_task_data (task, g_strdup (address), g_free);

  secret_password_lookup (trb_wallet_keyring_get_schema (), cancellable, looked_up_cb,
                          g_steal_pointer (&task),
                          "address", address,
                          NULL);
}

/**
 * trb_wallet_keyring_lookup_finish:
 *
 * Returns: (transfer full): the stored material, or %NULL with @error set (the error is
 *   %TRB_WALLET_ERROR_KEY_MISSING when the item was deleted)
 */
TrbSecret *
trb_wallet_keyring_lookup_finish (GAsyncResult  *result,
                                  GError       **error)
{
  g_return_val_if_fail (g_task_is_valid (result, NULL), NULL);

  return g_task_propagate_pointer (G_TASK (result), error);
}

static void
cleared_cb (GObject      *object,
            GAsyncResult *result,
            gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  GError *error = NULL;
  gboolean removed;

  removed = secret_password_clear_finish (result, &error);
  if (error != NULL)
    return_translated (task, error);
  else
    g_task_return_boolean (task, removed);
}

void
trb_wallet_keyring_clear_async (const char          *address,
                                GCancellable        *cancellable,
                                GAsyncReadyCallback  callback,
                                gpointer             user_data)
{
  g_autoptr(GTask) task = NULL;

  g_return_if_fail (address != NULL);

  task = g_task_new (NULL, cancellable, callback, user_data);
  g_task_set_source_tag (task, trb_wallet_keyring_clear_async);

  secret_password_clear (trb_wallet_keyring_get_schema (), cancellable, cleared_cb,
                         g_steal_pointer (&task),
                         "address", address,
                         NULL);
}

/**
 * trb_wallet_keyring_clear_finish:
 *
 * Returns: %TRUE when an item was removed, %FALSE when there was none (@error unset) or on
 *   failure (@error set)
 */
gboolean
trb_wallet_keyring_clear_finish (GAsyncResult  *result,
                                 GError       **error)
{
  g_return_val_if_fail (g_task_is_valid (result, NULL), FALSE);

  return g_task_propagate_boolean (G_TASK (result), error);
}
