/* trb-merkle.c
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * RFC 9162 section 2.1: leaf hash SHA-256(0x00 || entry), interior node hash
 * SHA-256(0x01 || left || right), and the verification algorithms of sections 2.1.3.2 and
 * 2.1.4.2.
 */

#define G_LOG_DOMAIN "trb-merkle"

#include "config.h"

#include "trb-merkle.h"

#include <glib/gi18n.h>
#include <sodium.h>
#include <string.h>

#include "trb-ledger-error.h"

void
trb_merkle_hash_leaf (const guint8 *entry,
                      gsize         length,
                      guint8        out[TRB_MERKLE_HASH_SIZE])
{
  crypto_hash_sha256_state state;
  static const guint8 prefix = 0x00;

  g_return_if_fail (entry != NULL || length == 0);
  g_return_if_fail (out != NULL);

  crypto_hash_sha256_init (&state);
  crypto_hash_sha256_update (&state, &prefix, 1);
  if (length > 0)
    crypto_hash_sha256_update (&state, entry, length);
  crypto_hash_sha256_final (&state, out);
}

void
trb_merkle_hash_children (const guint8 left[TRB_MERKLE_HASH_SIZE],
                          const guint8 right[TRB_MERKLE_HASH_SIZE],
                          guint8       out[TRB_MERKLE_HASH_SIZE])
{
  guint8 buf[1 + 2 * TRB_MERKLE_HASH_SIZE];

  g_return_if_fail (left != NULL && right != NULL && out != NULL);

  /* Copied first so that @out may alias @left or @right. */
  buf[0] = 0x01;
  memcpy (buf + 1, left, TRB_MERKLE_HASH_SIZE);
  memcpy (buf + 1 + TRB_MERKLE_HASH_SIZE, right, TRB_MERKLE_HASH_SIZE);
  crypto_hash_sha256 (out, buf, sizeof buf);
}

/**
 * trb_merkle_empty_root:
 *
 * The root of the empty tree: SHA-256 of the empty string.
 */
void
trb_merkle_empty_root (guint8 out[TRB_MERKLE_HASH_SIZE])
{
  g_return_if_fail (out != NULL);

  crypto_hash_sha256 (out, NULL, 0);
}

/* The largest power of two strictly smaller than @n (n ≥ 2). */
static guint64
split_point (guint64 n)
{
  guint64 k = 1;

  g_assert (n >= 2);
  while (k << 1 < n)
    k <<= 1;
  return k;
}

static void
root_of_range (const guint8 *leaf_hashes,
               guint64       n,
               guint8        out[TRB_MERKLE_HASH_SIZE])
{
  guint8 left[TRB_MERKLE_HASH_SIZE];
  guint8 right[TRB_MERKLE_HASH_SIZE];
  guint64 k;

  if (n == 1)
    {
      memcpy (out, leaf_hashes, TRB_MERKLE_HASH_SIZE);
      return;
    }

  k = split_point (n);
  root_of_range (leaf_hashes, k, left);
  root_of_range (leaf_hashes + k * TRB_MERKLE_HASH_SIZE, n - k, right);
  trb_merkle_hash_children (left, right, out);
}

/**
 * trb_merkle_root_from_leaves:
 * @leaf_hashes: (array): @n_leaves leaf hashes, 32 bytes each
 *
 * Computes the tree head of a list of leaf hashes held in memory (RFC 9162, section 2.1.1).
 */
void
trb_merkle_root_from_leaves (const guint8 *leaf_hashes,
                             guint64       n_leaves,
                             guint8        out[TRB_MERKLE_HASH_SIZE])
{
  g_return_if_fail (leaf_hashes != NULL || n_leaves == 0);
  g_return_if_fail (out != NULL);

  if (n_leaves == 0)
    trb_merkle_empty_root (out);
  else
    root_of_range (leaf_hashes, n_leaves, out);
}

/**
 * trb_merkle_frontier_append:
 * @frontier: a frontier
 * @leaf_hash: the next leaf's hash
 *
 * Adds a leaf: two subtrees of the same size are joined as soon as they are, so the frontier
 * holds at most one subtree of each power of two, largest first.
 */
void
trb_merkle_frontier_append (TrbMerkleFrontier *frontier,
                            const guint8       leaf_hash[TRB_MERKLE_HASH_SIZE])
{
  g_return_if_fail (frontier != NULL && leaf_hash != NULL);
  g_return_if_fail (frontier->n < G_N_ELEMENTS (frontier->sizes));

  memcpy (frontier->hashes[frontier->n], leaf_hash, TRB_MERKLE_HASH_SIZE);
  frontier->sizes[frontier->n] = 1;
  frontier->n++;
  frontier->n_leaves++;
  while (frontier->n >= 2 &&
         frontier->sizes[frontier->n - 2] == frontier->sizes[frontier->n - 1])
    {
      guint top = frontier->n - 1;

      trb_merkle_hash_children (frontier->hashes[top - 1], frontier->hashes[top],
                                frontier->hashes[top - 1]);
      frontier->sizes[top - 1] *= 2;
      frontier->n--;
    }
}

/**
 * trb_merkle_frontier_get_root:
 * @frontier: a frontier
 * @out: the root of the tree of the leaves appended so far
 *
 * RFC 9162 splits a tree at the largest power of two below its size, so its root is the
 * subtrees joined from the smallest (rightmost) to the largest.
 */
void
trb_merkle_frontier_get_root (const TrbMerkleFrontier *frontier,
                              guint8                   out[TRB_MERKLE_HASH_SIZE])
{
  guint8 acc[TRB_MERKLE_HASH_SIZE];

  g_return_if_fail (frontier != NULL && out != NULL);

  if (frontier->n == 0)
    {
      trb_merkle_empty_root (out);
      return;
    }
  memcpy (acc, frontier->hashes[frontier->n - 1], sizeof acc);
  for (guint i = frontier->n - 1; i > 0; i--)
    trb_merkle_hash_children (frontier->hashes[i - 1], acc, acc);
  memcpy (out, acc, sizeof acc);
}

static gboolean
set_bad_proof (GError **error)
{
  g_set_error (error, TRB_LEDGER_ERROR, TRB_LEDGER_ERROR_BAD_PROOF,
               _("The network’s proof that an entry is in its ledger is not valid."));
  return FALSE;
}

/**
 * trb_merkle_root_from_inclusion:
 * @index: the leaf's index
 * @tree_size: the size of the tree the proof is for
 * @leaf_hash: the leaf's hash
 * @proof: (array): @n_hashes hashes of 32 bytes
 * @out: the root the proof leads to
 *
 * Runs the RFC 9162 section 2.1.3.2 algorithm up to the final comparison.
 *
 * Returns: %FALSE with %TRB_LEDGER_ERROR_BAD_PROOF when the proof has the wrong shape
 */
gboolean
trb_merkle_root_from_inclusion (guint64       index,
                                guint64       tree_size,
                                const guint8  leaf_hash[TRB_MERKLE_HASH_SIZE],
                                const guint8 *proof,
                                gsize         n_hashes,
                                guint8        out[TRB_MERKLE_HASH_SIZE],
                                GError      **error)
{
  guint8 r[TRB_MERKLE_HASH_SIZE];
  guint64 fn;
  guint64 sn;

  g_return_val_if_fail (leaf_hash != NULL, FALSE);
  g_return_val_if_fail (proof != NULL || n_hashes == 0, FALSE);
  g_return_val_if_fail (out != NULL, FALSE);

  if (index >= tree_size || n_hashes > TRB_MERKLE_MAX_PROOF_HASHES)
    return set_bad_proof (error);

  fn = index;
  sn = tree_size - 1;
  memcpy (r, leaf_hash, TRB_MERKLE_HASH_SIZE);

  for (gsize i = 0; i < n_hashes; i++)
    {
      const guint8 *p = proof + i * TRB_MERKLE_HASH_SIZE;

      if (sn == 0)
        return set_bad_proof (error);

      if ((fn & 1) || fn == sn)
        {
          trb_merkle_hash_children (p, r, r);
          if (!(fn & 1))
            {
              while (fn != 0 && !(fn & 1))
                {
                  fn >>= 1;
                  sn >>= 1;
                }
            }
        }
      else
        {
          trb_merkle_hash_children (r, p, r);
        }

      fn >>= 1;
      sn >>= 1;
    }

  if (sn != 0)
    return set_bad_proof (error);

  memcpy (out, r, TRB_MERKLE_HASH_SIZE);
  return TRUE;
}

/**
 * trb_merkle_verify_inclusion:
 *
 * Checks that the leaf with hash @leaf_hash is at @index in the tree of @tree_size leaves
 * whose root is @root (RFC 9162, section 2.1.3.2).
 *
 * Returns: %TRUE when it is; %FALSE with %TRB_LEDGER_ERROR_BAD_PROOF otherwise
 */
gboolean
trb_merkle_verify_inclusion (guint64       index,
                             guint64       tree_size,
                             const guint8  leaf_hash[TRB_MERKLE_HASH_SIZE],
                             const guint8 *proof,
                             gsize         n_hashes,
                             const guint8  root[TRB_MERKLE_HASH_SIZE],
                             GError      **error)
{
  guint8 computed[TRB_MERKLE_HASH_SIZE];

  g_return_val_if_fail (root != NULL, FALSE);

  if (!trb_merkle_root_from_inclusion (index, tree_size, leaf_hash, proof, n_hashes, computed,
                                       error))
    return FALSE;

  if (sodium_memcmp (computed, root, TRB_MERKLE_HASH_SIZE) != 0)
    return set_bad_proof (error);

  return TRUE;
}

static gboolean
set_inconsistent (GError **error)
{
  g_set_error (error, TRB_LEDGER_ERROR, TRB_LEDGER_ERROR_INCONSISTENT,
               _("The network showed two versions of its ledger that do not agree: its history "
                 "was rewritten or forked."));
  return FALSE;
}

/* Hashes the consistency proof of a non-empty tree of @size1 leaves into the two roots it
 * implies (RFC 9162, section 2.1.4.2, steps 3 to 6) and compares them with @root1 and @root2.
 * @n_hashes is at least one. */
static gboolean
consistency_path_matches (guint64       size1,
                          guint64       size2,
                          const guint8  root1[TRB_MERKLE_HASH_SIZE],
                          const guint8  root2[TRB_MERKLE_HASH_SIZE],
                          const guint8 *proof,
                          gsize         n_hashes)
{
  guint8 fr[TRB_MERKLE_HASH_SIZE];
  guint8 sr[TRB_MERKLE_HASH_SIZE];
  const guint8 *first;
  gsize start;
  guint64 fn;
  guint64 sn;

  /* When size1 is a power of two, its root is the first node of the path and is not sent. */
  if ((size1 & (size1 - 1)) == 0)
    {
      first = root1;
      start = 0;
    }
  else
    {
      first = proof;
      start = 1;
    }

  fn = size1 - 1;
  sn = size2 - 1;
  while (fn & 1)
    {
      fn >>= 1;
      sn >>= 1;
    }

  memcpy (fr, first, TRB_MERKLE_HASH_SIZE);
  memcpy (sr, first, TRB_MERKLE_HASH_SIZE);

  for (gsize i = start; i < n_hashes; i++)
    {
      const guint8 *c = proof + i * TRB_MERKLE_HASH_SIZE;

      if (sn == 0)
        return FALSE;

      if ((fn & 1) || fn == sn)
        {
          trb_merkle_hash_children (c, fr, fr);
          trb_merkle_hash_children (c, sr, sr);
          if (!(fn & 1))
            {
              while (fn != 0 && !(fn & 1))
                {
                  fn >>= 1;
                  sn >>= 1;
                }
            }
        }
      else
        {
          trb_merkle_hash_children (sr, c, sr);
        }

      fn >>= 1;
      sn >>= 1;
    }

  return sn == 0 &&
         sodium_memcmp (fr, root1, TRB_MERKLE_HASH_SIZE) == 0 &&
         sodium_memcmp (sr, root2, TRB_MERKLE_HASH_SIZE) == 0;
}

/**
 * trb_merkle_verify_consistency:
 * @size1: the size of the older tree
 * @size2: the size of the newer tree
 * @root1: the older root
 * @root2: the newer root
 * @proof: (array): @n_hashes hashes of 32 bytes
 *
 * Checks that the tree of @size2 leaves with root @root2 extends the tree of @size1 leaves with
 * root @root1 (RFC 9162, section 2.1.4.2).
 *
 * Returns: %TRUE when it does; %FALSE with %TRB_LEDGER_ERROR_INCONSISTENT otherwise
 */
gboolean
trb_merkle_verify_consistency (guint64       size1,
                               guint64       size2,
                               const guint8  root1[TRB_MERKLE_HASH_SIZE],
                               const guint8  root2[TRB_MERKLE_HASH_SIZE],
                               const guint8 *proof,
                               gsize         n_hashes,
                               GError      **error)
{
  g_return_val_if_fail (root1 != NULL && root2 != NULL, FALSE);
  g_return_val_if_fail (proof != NULL || n_hashes == 0, FALSE);

  if (size2 < size1 || n_hashes > TRB_MERKLE_MAX_PROOF_HASHES)
    return set_inconsistent (error);

  if (size1 == size2)
    {
      if (n_hashes != 0 || sodium_memcmp (root1, root2, TRB_MERKLE_HASH_SIZE) != 0)
        return set_inconsistent (error);
      return TRUE;
    }

  /* Every tree extends the empty tree. */
  if (size1 == 0)
    {
      if (n_hashes != 0)
        return set_inconsistent (error);
      return TRUE;
    }

  if (n_hashes == 0)
    return set_inconsistent (error);

  if (!consistency_path_matches (size1, size2, root1, root2, proof, n_hashes))
    return set_inconsistent (error);

  return TRUE;
}
