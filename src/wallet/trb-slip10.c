/* trb-slip10.c
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * SLIP-0010 key derivation for Ed25519: the master key is HMAC-SHA512 keyed with
 * "ed25519 seed" over the BIP39 seed; each child is HMAC-SHA512 keyed with the parent's chain
 * code over 0x00 || key || index (big-endian). Ed25519 allows hardened children only.
 */

#define G_LOG_DOMAIN "trb-slip10"

#include "config.h"

#include "trb-slip10.h"

#include <glib/gi18n.h>
#include <sodium.h>
#include <stdlib.h>
#include <string.h>

#include "trb-wallet-error.h"

/**
 * trb_slip10_parse_path:
 * @path: such as "m/44'/501'/0'/0'" ("H" or "h" may stand for "'")
 * @indices: (out caller-allocates) (array fixed-size=16): the indices
 * @n_indices: (out): how many
 */
gboolean
trb_slip10_parse_path (const char  *path,
                       guint32     *indices,
                       guint       *n_indices,
                       GError     **error)
{
  g_auto(GStrv) parts = NULL;
  guint n = 0;

  g_return_val_if_fail (path != NULL && indices != NULL && n_indices != NULL, FALSE);

  parts = g_strsplit (path, "/", -1);
  if (parts[0] == NULL || !g_str_equal (parts[0], "m"))
    goto invalid;

  for (guint i = 1; parts[i] != NULL; i++)
    {
      const char *part = parts[i];
      gsize len = strlen (part);
      guint64 value;
      char *end = NULL;

      if (n >= TRB_SLIP10_MAX_DEPTH || len < 2)
        goto invalid;
      if (part[len - 1] != '\'' && part[len - 1] != 'H' && part[len - 1] != 'h')
        {
          g_set_error (error, TRB_WALLET_ERROR, TRB_WALLET_ERROR_INVALID_PATH,
                       _("Ed25519 keys can only be derived along hardened steps, such as "
                         "“44'”."));
          return FALSE;
        }
      if (!g_ascii_isdigit (part[0]))
        goto invalid;
      value = g_ascii_strtoull (part, &end, 10);
      if (end != part + len - 1 || value >= TRB_SLIP10_HARDENED)
        goto invalid;
      indices[n++] = (guint32)value | TRB_SLIP10_HARDENED;
    }

  *n_indices = n;
  return TRUE;

invalid:
  g_set_error (error, TRB_WALLET_ERROR, TRB_WALLET_ERROR_INVALID_PATH,
               _("“%s” is not a key derivation path."), path);
  return FALSE;
}

/**
 * trb_slip10_derive_ed25519:
 * @key: (out caller-allocates): 32 bytes, the Ed25519 secret key (RFC 8032 seed)
 * @chain_code: (out caller-allocates) (nullable): 32 bytes
 */
gboolean
trb_slip10_derive_ed25519 (const guint8   *seed,
                           gsize           seed_len,
                           const guint32  *indices,
                           guint           n_indices,
                           guint8         *key,
                           guint8         *chain_code,
                           GError        **error)
{
  static const char curve[] = "ed25519 seed";
  guint8 *i_buf;
  guint8 *data;

  g_return_val_if_fail (seed != NULL && key != NULL, FALSE);
  g_return_val_if_fail (indices != NULL || n_indices == 0, FALSE);

  if (seed_len < 16 || seed_len > 64)
    {
      g_set_error (error, TRB_WALLET_ERROR, TRB_WALLET_ERROR_INVALID_PATH,
                   _("A key seed has 16 to 64 bytes."));
      return FALSE;
    }
  for (guint i = 0; i < n_indices; i++)
    {
      if ((indices[i] & TRB_SLIP10_HARDENED) == 0)
        {
          g_set_error (error, TRB_WALLET_ERROR, TRB_WALLET_ERROR_INVALID_PATH,
                       _("Ed25519 keys can only be derived along hardened steps, such as "
                         "“44'”."));
          return FALSE;
        }
    }

  trb_wallet_crypto_init ();

  /* I = IL || IR: IL is the key, IR the chain code. */
  i_buf = sodium_malloc (crypto_auth_hmacsha512_BYTES);
  data = sodium_malloc (1 + 32 + 4);
  g_assert (i_buf != NULL && data != NULL);

  crypto_auth_hmacsha512_state state;
  crypto_auth_hmacsha512_init (&state, (const guint8 *)curve, strlen (curve));
  crypto_auth_hmacsha512_update (&state, seed, seed_len);
  crypto_auth_hmacsha512_final (&state, i_buf);

  for (guint i = 0; i < n_indices; i++)
    {
      guint32 index = indices[i];

      data[0] = 0;
      memcpy (data + 1, i_buf, 32);
      data[33] = index >> 24;
      data[34] = index >> 16;
      data[35] = index >> 8;
      data[36] = index;
      crypto_auth_hmacsha512_init (&state, i_buf + 32, 32);
      crypto_auth_hmacsha512_update (&state, data, 37);
      crypto_auth_hmacsha512_final (&state, i_buf);
    }

  memcpy (key, i_buf, 32);
  if (chain_code != NULL)
    memcpy (chain_code, i_buf + 32, 32);

  sodium_memzero (&state, sizeof state);
  sodium_free (i_buf);
  sodium_free (data);
  return TRUE;
}
