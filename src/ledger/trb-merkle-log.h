/* trb-merkle-log.h
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * A storage-backed, append-only RFC 9162 log (the node side): entries and the hashes of all
 * complete subtrees live in SQLite, so that append is O(log n) and proofs are O(log n) reads.
 */

#pragma once

#include <gio/gio.h>

#include "ledger/trb-merkle.h"
#include "store/trb-store.h"

G_BEGIN_DECLS

/* The largest entry the log accepts. */
#define TRB_MERKLE_LOG_MAX_ENTRY_SIZE (1024 * 1024)

#define TRB_TYPE_MERKLE_LOG (trb_merkle_log_get_type ())

G_DECLARE_FINAL_TYPE (TrbMerkleLog, trb_merkle_log, TRB, MERKLE_LOG, GObject)

TrbMerkleLog *trb_merkle_log_new_for_store         (TrbStore      *store,
                                                    GError       **error);
gboolean      trb_merkle_log_get_size              (TrbMerkleLog  *self,
                                                    guint64       *size,
                                                    GError       **error);
gboolean      trb_merkle_log_append                (TrbMerkleLog  *self,
                                                    const guint8  *entry,
                                                    gsize          length,
                                                    guint64       *index,
                                                    GError       **error);
GBytes       *trb_merkle_log_get_entry             (TrbMerkleLog  *self,
                                                    guint64        index,
                                                    GError       **error);
gboolean      trb_merkle_log_get_root              (TrbMerkleLog  *self,
                                                    guint64        tree_size,
                                                    guint8         out[TRB_MERKLE_HASH_SIZE],
                                                    GError       **error);
GByteArray   *trb_merkle_log_get_inclusion_proof   (TrbMerkleLog  *self,
                                                    guint64        index,
                                                    guint64        tree_size,
                                                    GError       **error);
GByteArray   *trb_merkle_log_get_consistency_proof (TrbMerkleLog  *self,
                                                    guint64        size1,
                                                    guint64        size2,
                                                    GError       **error);

G_END_DECLS
