/* trb-merkle.h
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * RFC 9162 Merkle tree hashing and proof verification (the client side). Hashes are 32-byte
 * SHA-256 values; proofs are flat arrays of n_hashes × 32 bytes, first hash first.
 */

#pragma once

#include <glib.h>

G_BEGIN_DECLS

#define TRB_MERKLE_HASH_SIZE 32
/* No valid proof in a tree of at most 2^63 leaves is longer than this. */
#define TRB_MERKLE_MAX_PROOF_HASHES 128

void     trb_merkle_hash_leaf          (const guint8 *entry,
                                        gsize         length,
                                        guint8        out[TRB_MERKLE_HASH_SIZE]);
void     trb_merkle_hash_children      (const guint8  left[TRB_MERKLE_HASH_SIZE],
                                        const guint8  right[TRB_MERKLE_HASH_SIZE],
                                        guint8        out[TRB_MERKLE_HASH_SIZE]);
void     trb_merkle_empty_root         (guint8        out[TRB_MERKLE_HASH_SIZE]);
void     trb_merkle_root_from_leaves   (const guint8 *leaf_hashes,
                                        guint64       n_leaves,
                                        guint8        out[TRB_MERKLE_HASH_SIZE]);
/**
 * TrbMerkleFrontier:
 *
 * The root of a tree built one leaf at a time in memory that grows with log2 of the size, not
 * the size: the hashes of the perfect subtrees that RFC 9162 splits the tree into. Fill with
 * zeros (or `TrbMerkleFrontier f = { 0 };`) to start.
 */
typedef struct
{
  guint8  hashes[64][TRB_MERKLE_HASH_SIZE];
  guint64 sizes[64];
  guint   n;
  guint64 n_leaves;
} TrbMerkleFrontier;

void     trb_merkle_frontier_append    (TrbMerkleFrontier *frontier,
                                        const guint8       leaf_hash[TRB_MERKLE_HASH_SIZE]);
void     trb_merkle_frontier_get_root  (const TrbMerkleFrontier *frontier,
                                        guint8                   out[TRB_MERKLE_HASH_SIZE]);
gboolean trb_merkle_root_from_inclusion (guint64      index,
                                        guint64       tree_size,
                                        const guint8  leaf_hash[TRB_MERKLE_HASH_SIZE],
                                        const guint8 *proof,
                                        gsize         n_hashes,
                                        guint8        out[TRB_MERKLE_HASH_SIZE],
                                        GError      **error);
gboolean trb_merkle_verify_inclusion   (guint64       index,
                                        guint64       tree_size,
                                        const guint8  leaf_hash[TRB_MERKLE_HASH_SIZE],
                                        const guint8 *proof,
                                        gsize         n_hashes,
                                        const guint8  root[TRB_MERKLE_HASH_SIZE],
                                        GError      **error);
gboolean trb_merkle_verify_consistency (guint64       size1,
                                        guint64       size2,
                                        const guint8  root1[TRB_MERKLE_HASH_SIZE],
                                        const guint8  root2[TRB_MERKLE_HASH_SIZE],
                                        const guint8 *proof,
                                        gsize         n_hashes,
                                        GError      **error);

G_END_DECLS
