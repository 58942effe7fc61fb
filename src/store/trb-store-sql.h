/* trb-store-sql.h
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * For the files of the store layer only (src/store/, and the node's src/node/trb-node-db.c):
 * the SQLite connection, the prepared-statement cache and the one error policy.
 */

#pragma once

#include <sqlite3.h>

#include "store/trb-store.h"

G_BEGIN_DECLS

sqlite3      *trb_store_get_db            (TrbStore      *self);
gboolean      trb_store_exec              (TrbStore      *self,
                                           const char    *sql,
                                           GError       **error);
sqlite3_stmt *trb_store_begin_statement   (TrbStore      *self,
                                           const char    *sql,
                                           GError       **error);
void          trb_store_end_statement     (TrbStore      *self,
                                           sqlite3_stmt  *stmt);
gboolean      trb_store_step_done         (TrbStore      *self,
                                           sqlite3_stmt  *stmt,
                                           GError       **error);
int           trb_store_step              (TrbStore      *self,
                                           sqlite3_stmt  *stmt,
                                           GError       **error);
gboolean      trb_store_set_error_from_db (TrbStore      *self,
                                           GError       **error);

/* Makes the item of the row @stmt is on, for trb_store_collect_rows(). */
typedef gpointer (*TrbStoreBuildRowFunc) (sqlite3_stmt *stmt,
                                          gpointer      user_data);

GPtrArray    *trb_store_collect_rows      (TrbStore              *self,
                                           sqlite3_stmt          *stmt,
                                           TrbStoreBuildRowFunc   build_row,
                                           gpointer               user_data,
                                           GDestroyNotify         free_row,
                                           GError               **error);
GStrv         trb_store_collect_texts     (TrbStore              *self,
                                           sqlite3_stmt          *stmt,
                                           GError               **error);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (sqlite3_stmt, sqlite3_finalize)

G_END_DECLS
