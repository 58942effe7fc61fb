/* trb-fingerprint.h
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#pragma once

#include <glib.h>

G_BEGIN_DECLS

/**
 * SECTION:trb-fingerprint
 * @title: Dataset fingerprint
 *
 * A dataset's fingerprint is a commitment to its exact contents that reveals nothing about
 * them: the root of an RFC 9162-shaped Merkle tree (SHA-256, leaf prefix 0x00, node prefix
 * 0x01) over one leaf per sample, in reading order:
 *
 *     leaf(i) = SHA-256 (0x00 || salt || uint64_be (i) || int32_be (label) || sample bytes)
 *
 * where the sample bytes are the values exactly as the trainer receives them (u8, or f32
 * little-endian). The salt is 32 random bytes made when the dataset is first picked; it stays
 * in the local store and is never sent, so nobody can test guesses of the data against the
 * fingerprint. Later the contributor can prove that a given sample was part of what a model
 * learnt from by revealing the salt, that sample and its audit path, and nothing else.
 *
 * The tree is built in a single pass with O(log n) memory.
 */

#define TRB_FINGERPRINT_SIZE      32
#define TRB_FINGERPRINT_SALT_SIZE 32

typedef struct _TrbFingerprint TrbFingerprint;

TrbFingerprint *trb_fingerprint_new       (const guint8   *salt,
                                           gsize           salt_len);
void            trb_fingerprint_add       (TrbFingerprint *self,
                                           const void     *sample,
                                           gsize           len,
                                           int             label);
guint64         trb_fingerprint_get_count (TrbFingerprint *self);
void            trb_fingerprint_finish    (TrbFingerprint *self,
                                           guint8          root[TRB_FINGERPRINT_SIZE]);
void            trb_fingerprint_free      (TrbFingerprint *self);

void            trb_fingerprint_leaf_hash (const guint8   *salt,
                                           gsize           salt_len,
                                           guint64         index,
                                           int             label,
                                           const void     *sample,
                                           gsize           len,
                                           guint8          out[TRB_FINGERPRINT_SIZE]);
void            trb_fingerprint_node_hash (const guint8   *left,
                                           const guint8   *right,
                                           guint8          out[TRB_FINGERPRINT_SIZE]);
char           *trb_fingerprint_to_hex    (const guint8   *root);
void            trb_fingerprint_make_salt (guint8          salt[TRB_FINGERPRINT_SALT_SIZE]);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (TrbFingerprint, trb_fingerprint_free)

G_END_DECLS
