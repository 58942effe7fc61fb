/* trb-fingerprint.c
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * The salted Merkle commitment over a dataset's samples. The streaming construction keeps a
 * stack of the roots of complete subtrees, merging equal sizes as leaves arrive; folding the
 * stack from the right at the end gives exactly the RFC 9162 tree head over all leaves.
 */

#define G_LOG_DOMAIN "trb-fingerprint"

#include "config.h"

#include "trb-fingerprint.h"

#include <sodium.h>
#include <string.h>

/* 2^64 leaves at most: one stack slot per bit. */
#define MAX_DEPTH 64

struct _TrbFingerprint
{
  guint8  *salt;
  gsize    salt_len;
  guint64  count;
  guint    depth;
  guint8   hashes[MAX_DEPTH + 1][TRB_FINGERPRINT_SIZE];
  guint64  sizes[MAX_DEPTH + 1];
};

TrbFingerprint *
trb_fingerprint_new (const guint8 *salt,
                     gsize         salt_len)
{
  TrbFingerprint *self;

  g_return_val_if_fail (salt != NULL || salt_len == 0, NULL);

  self = g_new0 (TrbFingerprint, 1);
  self->salt = g_memdup2 (salt, salt_len);
  self->salt_len = salt_len;
  return self;
}

void
trb_fingerprint_free (TrbFingerprint *self)
{
  if (self == NULL)
    return;

  if (self->salt != NULL)
    sodium_memzero (self->salt, self->salt_len);
  g_free (self->salt);
  g_free (self);
}

void
trb_fingerprint_leaf_hash (const guint8 *salt,
                           gsize         salt_len,
                           guint64       index,
                           int           label,
                           const void   *sample,
                           gsize         len,
                           guint8        out[TRB_FINGERPRINT_SIZE])
{
  crypto_hash_sha256_state state;
  guint8 prefix = 0x00;
  guint64 index_be = GUINT64_TO_BE (index);
  guint32 label_be = GUINT32_TO_BE ((guint32)label);

  crypto_hash_sha256_init (&state);
  crypto_hash_sha256_update (&state, &prefix, 1);
  crypto_hash_sha256_update (&state, salt, salt_len);
  crypto_hash_sha256_update (&state, (const guint8 *)&index_be, sizeof index_be);
  crypto_hash_sha256_update (&state, (const guint8 *)&label_be, sizeof label_be);
  crypto_hash_sha256_update (&state, sample, len);
  crypto_hash_sha256_final (&state, out);
}

void
trb_fingerprint_node_hash (const guint8 *left,
                           const guint8 *right,
                           guint8        out[TRB_FINGERPRINT_SIZE])
{
  crypto_hash_sha256_state state;
  guint8 prefix = 0x01;

  crypto_hash_sha256_init (&state);
  crypto_hash_sha256_update (&state, &prefix, 1);
  crypto_hash_sha256_update (&state, left, TRB_FINGERPRINT_SIZE);
  crypto_hash_sha256_update (&state, right, TRB_FINGERPRINT_SIZE);
  crypto_hash_sha256_final (&state, out);
}

/**
 * trb_fingerprint_add:
 * @sample: the sample's values as the trainer receives them
 * @len: their size in bytes
 * @label: the sample's class
 *
 * Adds the next sample, in reading order.
 */
void
trb_fingerprint_add (TrbFingerprint *self,
                     const void     *sample,
                     gsize           len,
                     int             label)
{
  g_return_if_fail (self != NULL);

  trb_fingerprint_leaf_hash (self->salt, self->salt_len, self->count, label, sample, len,
                             self->hashes[self->depth]);
  self->sizes[self->depth] = 1;
  self->depth++;
  self->count++;

  while (self->depth >= 2 && self->sizes[self->depth - 1] == self->sizes[self->depth - 2])
    {
      trb_fingerprint_node_hash (self->hashes[self->depth - 2], self->hashes[self->depth - 1],
                                 self->hashes[self->depth - 2]);
      self->sizes[self->depth - 2] *= 2;
      self->depth--;
    }
}

guint64
trb_fingerprint_get_count (TrbFingerprint *self)
{
  g_return_val_if_fail (self != NULL, 0);

  return self->count;
}

/**
 * trb_fingerprint_finish:
 * @root: (out caller-allocates): the Merkle tree head; SHA-256 of nothing when empty
 *
 * Computes the root over the samples added so far. More samples may be added afterwards.
 */
void
trb_fingerprint_finish (TrbFingerprint *self,
                        guint8          root[TRB_FINGERPRINT_SIZE])
{
  guint8 acc[TRB_FINGERPRINT_SIZE];

  g_return_if_fail (self != NULL);

  if (self->depth == 0)
    {
      crypto_hash_sha256 (root, NULL, 0);
      return;
    }

  memcpy (acc, self->hashes[self->depth - 1], TRB_FINGERPRINT_SIZE);
  for (guint i = self->depth - 1; i > 0; i--)
    trb_fingerprint_node_hash (self->hashes[i - 1], acc, acc);
  memcpy (root, acc, TRB_FINGERPRINT_SIZE);
}

char *
trb_fingerprint_to_hex (const guint8 *root)
{
  char *hex = g_malloc (TRB_FINGERPRINT_SIZE * 2 + 1);

  sodium_bin2hex (hex, TRB_FINGERPRINT_SIZE * 2 + 1, root, TRB_FINGERPRINT_SIZE);
  return hex;
}

void
trb_fingerprint_make_salt (guint8 salt[TRB_FINGERPRINT_SALT_SIZE])
{
  if (sodium_init () < 0)
    g_error ("The system's random number generator is unavailable");
  randombytes_buf (salt, TRB_FINGERPRINT_SALT_SIZE);
}
