/* trb-base58.c
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * Base58 with the Bitcoin alphabet, as Solana and most Ed25519 wallets write addresses. Leading
 * zero bytes become leading '1' characters; the rest is a big-endian base conversion.
 */

#define G_LOG_DOMAIN "trb-base58"

#include "config.h"

#include "trb-base58.h"

#include <glib/gi18n.h>
#include <string.h>

#include "trb-wallet-error.h"

static const char alphabet[] = "123456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz";

/**
 * trb_base58_encode:
 * @data: (array length=len): the bytes, at most %TRB_BASE58_MAX_BYTES
 *
 * Returns: (transfer full): the base58 text
 */
char *
trb_base58_encode (const guint8 *data,
                   gsize         len)
{
  /* log(256) / log(58) < 1.37 */
  guint8 digits[TRB_BASE58_MAX_BYTES * 138 / 100 + 2] = { 0 };
  gsize n_digits = 0;
  gsize zeros = 0;
  GString *out;

  g_return_val_if_fail (data != NULL || len == 0, NULL);
  g_return_val_if_fail (len <= TRB_BASE58_MAX_BYTES, NULL);

  while (zeros < len && data[zeros] == 0)
    zeros++;

  for (gsize i = zeros; i < len; i++)
    {
      guint carry = data[i];

      for (gsize j = 0; j < n_digits; j++)
        {
          carry += (guint)digits[j] << 8;
          digits[j] = carry % 58;
          carry /= 58;
        }
      while (carry > 0)
        {
          g_assert (n_digits < G_N_ELEMENTS (digits));
          digits[n_digits++] = carry % 58;
          carry /= 58;
        }
    }

  out = g_string_sized_new (zeros + n_digits + 1);
  for (gsize i = 0; i < zeros; i++)
    g_string_append_c (out, '1');
  for (gsize i = n_digits; i > 0; i--)
    g_string_append_c (out, alphabet[digits[i - 1]]);
  return g_string_free (out, FALSE);
}

static int
digit_value (char c)
{
  const char *p;

  if (c == '\0')
    return -1;
  p = strchr (alphabet, c);
  return p ? (int)(p - alphabet) : -1;
}

/**
 * trb_base58_decode:
 * @text: base58 text
 * @data: (out) (transfer full): the bytes
 * @len: (out): their number
 *
 * Returns: %FALSE with @error set when @text has a character outside the alphabet or would
 *   decode to more than %TRB_BASE58_MAX_BYTES bytes
 */
gboolean
trb_base58_decode (const char  *text,
                   guint8     **data,
                   gsize       *len,
                   GError     **error)
{
  guint8 bytes[TRB_BASE58_MAX_BYTES] = { 0 };
  gsize n_bytes = 0;
  gsize zeros = 0;
  gsize text_len;
  guint8 *result;

  g_return_val_if_fail (text != NULL, FALSE);
  g_return_val_if_fail (data != NULL && len != NULL, FALSE);

  text_len = strlen (text);
  if (text_len > TRB_BASE58_MAX_BYTES * 138 / 100 + 1)
    {
      g_set_error (error, TRB_WALLET_ERROR, TRB_WALLET_ERROR_INVALID_TEXT,
                   _("The text is too long to be an address or a signature."));
      return FALSE;
    }

  while (text[zeros] == '1')
    zeros++;

  for (gsize i = zeros; i < text_len; i++)
    {
      int value = digit_value (text[i]);
      guint carry;

      if (value < 0)
        {
          g_set_error (error, TRB_WALLET_ERROR, TRB_WALLET_ERROR_INVALID_TEXT,
                       _("The text has a character that addresses and signatures never "
                         "contain (character %u)."), (guint)(i + 1));
          return FALSE;
        }

      carry = (guint)value;
      for (gsize j = 0; j < n_bytes; j++)
        {
          carry += (guint)bytes[j] * 58;
          bytes[j] = carry & 0xff;
          carry >>= 8;
        }
      while (carry > 0)
        {
          if (n_bytes + zeros >= TRB_BASE58_MAX_BYTES)
            {
              g_set_error (error, TRB_WALLET_ERROR, TRB_WALLET_ERROR_INVALID_TEXT,
                           _("The text is too long to be an address or a signature."));
              return FALSE;
            }
          bytes[n_bytes++] = carry & 0xff;
          carry >>= 8;
        }
    }

  if (zeros + n_bytes > TRB_BASE58_MAX_BYTES)
    {
      g_set_error (error, TRB_WALLET_ERROR, TRB_WALLET_ERROR_INVALID_TEXT,
                   _("The text is too long to be an address or a signature."));
      return FALSE;
    }

  result = g_malloc0 (zeros + n_bytes + 1);
  for (gsize i = 0; i < n_bytes; i++)
    result[zeros + i] = bytes[n_bytes - 1 - i];
  *data = result;
  *len = zeros + n_bytes;
  return TRUE;
}
