/* trb-proof-of-work.c
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#define G_LOG_DOMAIN "trb-proof-of-work"

#include "config.h"

#include "trb-proof-of-work.h"

#include <glib/gi18n.h>
#include <sodium.h>
#include <string.h>

static guint
leading_zero_bits (const guint8 *hash)
{
  guint bits = 0;

  for (guint i = 0; i < crypto_hash_sha256_BYTES; i++)
    {
      guint8 byte = hash[i];

      if (byte == 0)
        {
          bits += 8;
          continue;
        }
      while ((byte & 0x80) == 0)
        {
          bits++;
          byte <<= 1;
        }
      break;
    }
  return bits;
}

static gboolean
valid_nonce (const char *nonce)
{
  gsize len = strlen (nonce);

  if (len == 0 || len > TRB_PROOF_OF_WORK_MAX_NONCE)
    return FALSE;
  for (gsize i = 0; i < len; i++)
    if (!g_ascii_isdigit (nonce[i]))
      return FALSE;
  return TRUE;
}

/**
 * trb_proof_of_work_check:
 * @challenge: the challenge the node gave
 * @address: the participant's address
 * @nonce: the decimal nonce found (at most 20 digits)
 * @bits: the leading zero bits required
 *
 * Returns: whether SHA-256(@challenge || @address || @nonce) starts with @bits zero bits
 */
gboolean
trb_proof_of_work_check (const char *challenge,
                         const char *address,
                         const char *nonce,
                         guint       bits)
{
  crypto_hash_sha256_state state;
  guint8 hash[crypto_hash_sha256_BYTES];

  g_return_val_if_fail (challenge != NULL && address != NULL && nonce != NULL, FALSE);

  if (!valid_nonce (nonce) || bits > TRB_PROOF_OF_WORK_MAX_BITS)
    return FALSE;
  crypto_hash_sha256_init (&state);
  crypto_hash_sha256_update (&state, (const guint8 *)challenge, strlen (challenge));
  crypto_hash_sha256_update (&state, (const guint8 *)address, strlen (address));
  crypto_hash_sha256_update (&state, (const guint8 *)nonce, strlen (nonce));
  crypto_hash_sha256_final (&state, hash);
  return leading_zero_bits (hash) >= bits;
}

/**
 * trb_proof_of_work_solve:
 * @challenge: the challenge the node gave
 * @address: the participant's address
 * @bits: the leading zero bits required (at most %TRB_PROOF_OF_WORK_MAX_BITS)
 * @cancellable: (nullable): checked now and then
 * @error: return location for an error
 *
 * Tries nonces 0, 1, 2, … until one passes trb_proof_of_work_check(); about 2^@bits hashes.
 *
 * Returns: (transfer full): the nonce, or %NULL with @error set
 */
char *
trb_proof_of_work_solve (const char    *challenge,
                         const char    *address,
                         guint          bits,
                         GCancellable  *cancellable,
                         GError       **error)
{
  crypto_hash_sha256_state prefix;

  g_return_val_if_fail (challenge != NULL && address != NULL, NULL);

  if (bits > TRB_PROOF_OF_WORK_MAX_BITS)
    {
      g_set_error_literal (error, G_IO_ERROR, G_IO_ERROR_NOT_SUPPORTED,
                           _("The network asks for a join puzzle far too hard to solve."));
      return NULL;
    }

  /* The challenge and the address are hashed once; each try hashes only its nonce. */
  crypto_hash_sha256_init (&prefix);
  crypto_hash_sha256_update (&prefix, (const guint8 *)challenge, strlen (challenge));
  crypto_hash_sha256_update (&prefix, (const guint8 *)address, strlen (address));

  for (guint64 n = 0;; n++)
    {
      crypto_hash_sha256_state state = prefix;
      guint8 hash[crypto_hash_sha256_BYTES];
      char nonce[TRB_PROOF_OF_WORK_MAX_NONCE + 1];
      int len = g_snprintf (nonce, sizeof nonce, "%" G_GUINT64_FORMAT, n);

      crypto_hash_sha256_update (&state, (const guint8 *)nonce, len);
      crypto_hash_sha256_final (&state, hash);
      if (leading_zero_bits (hash) >= bits)
        return g_strdup (nonce);
      if ((n & 0xffff) == 0 && g_cancellable_set_error_if_cancelled (cancellable, error))
        return NULL;
    }
}
