/* trb-node-db.h
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * The node's data layer: every SQL statement the node runs is in trb-node-db.c, behind these
 * functions. A change that must be acknowledged runs between trb_node_db_begin() and
 * trb_node_db_commit(), on the main thread: SQLite and the ledger have one writer.
 *
 * One error policy: every function that reads or writes takes a GError and returns %FALSE (or
 * %NULL) with it set when the store failed. "Nothing there" is an answer through an out
 * argument (%NULL, or a @found flag), never a failure: a caller can always tell the two apart.
 */

#pragma once

#include "trb-node-private.h"

G_BEGIN_DECLS

/* One accepted update, as stored. */
typedef struct
{
  char   *hash;
  char   *participant;
  gint64  samples;
  gint64  epochs;
  guint64 leaf_index;
  GBytes *data;       /* only when asked for */
} TrbNodeUpdateRow;

void       trb_node_update_row_free        (TrbNodeUpdateRow       *row);

TrbStore  *trb_node_db_open_store          (const char             *data_dir,
                                            GError                **error);
gboolean   trb_node_db_begin               (TrbNode                *self,
                                            GError                **error);
gboolean   trb_node_db_commit              (TrbNode                *self,
                                            GError                **error);
void       trb_node_db_rollback            (TrbNode                *self);
gboolean   trb_node_db_append_entry        (TrbNode                *self,
                                            char                   *entry,
                                            gsize                   length,
                                            guint64                *index,
                                            GError                **error);

gboolean   trb_node_db_add_network         (TrbNode                *self,
                                            const char             *name,
                                            const char             *origin,
                                            gint64                  created,
                                            GError                **error);
gboolean   trb_node_db_load_network        (TrbNode                *self,
                                            char                  **name,
                                            char                  **origin,
                                            GError                **error);
gboolean   trb_node_db_add_task            (TrbNode                *self,
                                            const char             *id,
                                            const char             *json,
                                            const char             *evaluation,
                                            GError                **error);
gboolean   trb_node_db_list_tasks          (TrbNode                *self,
                                            GPtrArray              *json,
                                            GPtrArray              *evaluation,
                                            GError                **error);

gboolean   trb_node_db_save_round          (TrbNode                *self,
                                            Task                   *task,
                                            GError                **error);
gboolean   trb_node_db_load_round          (TrbNode                *self,
                                            Task                   *task,
                                            gboolean               *found,
                                            GError                **error);

gboolean   trb_node_db_add_round_period    (TrbNode                *self,
                                            const char             *task_id,
                                            gint64                  round,
                                            const RoundPeriod      *period,
                                            GError                **error);
gboolean   trb_node_db_load_round_periods  (TrbNode                *self,
                                            const char             *task_id,
                                            gint64                  round,
                                            GArray                 *periods,
                                            GError                **error);

gboolean   trb_node_db_store_blob          (TrbNode                *self,
                                            const char             *hash,
                                            GBytes                 *bytes,
                                            GError                **error);
gboolean   trb_node_db_load_published_update (TrbNode              *self,
                                              const char           *hash,
                                              GBytes              **blob,
                                              GError              **error);
gboolean   trb_node_db_load_blob           (TrbNode                *self,
                                            const char             *hash,
                                            GBytes                **blob,
                                            GError                **error);
gboolean   trb_node_db_save_momentum       (TrbNode                *self,
                                            const char             *task_id,
                                            GBytes                 *velocity,
                                            GError                **error);
gboolean   trb_node_db_load_momentum       (TrbNode                *self,
                                            const char             *task_id,
                                            GBytes                **velocity,
                                            GError                **error);

gboolean   trb_node_db_find_participant    (TrbNode                *self,
                                            const char             *address,
                                            gboolean               *found,
                                            guint64                *leaf_index,
                                            GError                **error);
gboolean   trb_node_db_is_joined           (TrbNode                *self,
                                            const char             *address,
                                            gboolean               *joined,
                                            GError                **error);
gboolean   trb_node_db_list_participants   (TrbNode                *self,
                                            guint64                 after,
                                            guint64                 before,
                                            GPtrArray              *addresses,
                                            GError                **error);
gboolean   trb_node_db_add_participant     (TrbNode                *self,
                                            const char             *address,
                                            const char             *display_name,
                                            gint64                  joined,
                                            guint64                 leaf_index,
                                            GError                **error);
gboolean   trb_node_db_record_nonce        (TrbNode                *self,
                                            const char             *nonce,
                                            GError                **error);
gboolean   trb_node_db_prune_nonces        (TrbNode                *self,
                                            GError                **error);
gboolean   trb_node_db_load_nonces         (TrbNode                *self,
                                            GHashTable             *nonces,
                                            GError                **error);

gboolean   trb_node_db_find_update         (TrbNode                *self,
                                            const char             *task_id,
                                            gint64                  round,
                                            const char             *participant,
                                            char                  **hash,
                                            guint64                *leaf_index,
                                            GError                **error);
gboolean   trb_node_db_add_update          (TrbNode                *self,
                                            const TrbNodeUpdateRow *row,
                                            const char             *task_id,
                                            gint64                  round,
                                            GError                **error);
GPtrArray *trb_node_db_list_updates        (TrbNode                *self,
                                            const char             *task_id,
                                            gint64                  round,
                                            gboolean                with_data,
                                            GError                **error);

gboolean   trb_node_db_load_checkpoint     (TrbNode                *self,
                                            guint64                 tree_size,
                                            char                  **note,
                                            GError                **error);
gboolean   trb_node_db_add_checkpoint      (TrbNode                *self,
                                            guint64                 tree_size,
                                            const char             *note,
                                            GError                **error);
gboolean   trb_node_db_append_cosignatures (TrbNode                *self,
                                            guint64                 tree_size,
                                            guint                   limit,
                                            GString                *out,
                                            GError                **error);
gboolean   trb_node_db_count_cosignatures  (TrbNode                *self,
                                            guint64                 tree_size,
                                            const char             *participant,
                                            gint64                 *count,
                                            GError                **error);
gboolean   trb_node_db_save_cosignature    (TrbNode                *self,
                                            guint64                 tree_size,
                                            const char             *participant,
                                            const char             *line,
                                            GError                **error);

/* One invitation code as stored: its id in hex, when it was made, used (by @address) and
 * revoked; 0 or %NULL for what did not happen or is not known. */
typedef struct
{
  char   *id;
  gint64  created;
  char   *address;
  gint64  used;
  gint64  revoked;
} TrbNodeInvitationRow;

void       trb_node_invitation_row_free      (TrbNodeInvitationRow   *row);
gboolean   trb_node_db_migrate_join          (TrbStore               *store,
                                              GError                **error);
gboolean   trb_node_db_begin_store           (TrbStore               *store,
                                              GError                **error);
gboolean   trb_node_db_commit_store          (TrbStore               *store,
                                              GError                **error);
void       trb_node_db_rollback_store        (TrbStore               *store);
gboolean   trb_node_db_load_join_policy      (TrbStore               *store,
                                              char                  **kind,
                                              int                    *bits,
                                              GError                **error);
gboolean   trb_node_db_save_join_policy      (TrbStore               *store,
                                              const char             *kind,
                                              int                     bits,
                                              GError                **error);
gboolean   trb_node_db_add_join_code         (TrbStore               *store,
                                              const char             *id,
                                              gint64                  created,
                                              GError                **error);
gboolean   trb_node_db_revoke_join_code      (TrbStore               *store,
                                              const char             *id,
                                              gint64                  revoked,
                                              GError                **error);
gboolean   trb_node_db_record_invitation_use (TrbStore               *store,
                                              const char             *id,
                                              const char             *address,
                                              gint64                  used,
                                              GError                **error);
gboolean   trb_node_db_load_invitation       (TrbStore               *store,
                                              const char             *id,
                                              TrbNodeInvitationRow  **row,
                                              GError                **error);
GPtrArray *trb_node_db_list_invitations      (TrbStore               *store,
                                              GError                **error);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (TrbNodeInvitationRow, trb_node_invitation_row_free)

G_END_DECLS
