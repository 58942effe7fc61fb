/* trb-node-db.h
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * The node's data layer: every SQL statement the node runs is in trb-node-db.c. A change that
 * must be acknowledged runs between trb_node_db_begin() and trb_node_db_commit().
 */

#pragma once

#include <sqlite3.h>

#include "trb-node-private.h"

G_BEGIN_DECLS

sqlite3_stmt *trb_node_db_prepare (TrbNode     *self,
                                   const char  *sql);
gboolean trb_node_db_step_done (TrbNode       *self,
                                sqlite3_stmt  *stmt,
                                GError       **error);
gboolean trb_node_db_begin (TrbNode  *self,
                            GError  **error);
gboolean trb_node_db_commit (TrbNode  *self,
                             GError  **error);
void trb_node_db_rollback (TrbNode *self);
gboolean trb_node_db_store_blob (TrbNode     *self,
                                 const char  *hash,
                                 GBytes      *bytes,
                                 GError     **error);
GBytes *trb_node_db_load_blob (TrbNode    *self,
                               const char *hash);
gboolean trb_node_db_append_entry (TrbNode     *self,
                                   char        *entry,
                                   gsize        length,
                                   guint64     *index,
                                   GError     **error);
gboolean trb_node_db_save_round (TrbNode  *self,
                                 Task     *task,
                                 GError  **error);
TrbStore *trb_node_db_open_store (const char  *data_dir,
                                  GError     **error);
gboolean trb_node_db_record_nonce (TrbNode     *self,
                                   const char  *nonce,
                                   GError     **error);
gboolean trb_node_db_is_joined (TrbNode    *self,
                                const char *address);

G_END_DECLS
