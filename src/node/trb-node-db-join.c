/* trb-node-db-join.c
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * The node's store layer for the join policy (component "node-join"): the policy, the
 * invitation codes made and revoked, and which wallet used each. Apart from trb-node-db.c
 * because these take the store rather than the node: `tributary-node invite` runs them
 * without one, and the policy's tests build them alone.
 */

#define G_LOG_DOMAIN "trb-node"

#include "config.h"

#include "trb-node-db.h"

#include <sqlite3.h>

#include "store/trb-store-sql.h"

static char *
column_dup (sqlite3_stmt *stmt,
            int           column)
{
  return g_strdup ((const char *) sqlite3_column_text (stmt, column));
}

static const char * const join_schema[] = {
  "CREATE TABLE join_policy (id INTEGER PRIMARY KEY CHECK (id = 1), kind TEXT NOT NULL,"
  "  bits INTEGER NOT NULL);"
  "CREATE TABLE join_invitations (id TEXT PRIMARY KEY, address TEXT NOT NULL,"
  "  used INTEGER NOT NULL);",
  /* The codes made, and when each was revoked. A code made before this table existed has a
   * row only once it is revoked, with no time of making. */
  "CREATE TABLE join_codes (id TEXT PRIMARY KEY, created INTEGER, revoked INTEGER);",
};

/* Every code made, used or revoked: a code made before codes were recorded shows once used. */
#define INVITATIONS_SQL \
  "SELECT * FROM (SELECT c.id AS id, c.created AS created, i.address AS address, i.used AS used," \
  "                      c.revoked AS revoked, c.rowid AS made" \
  "               FROM join_codes c LEFT JOIN join_invitations i ON i.id = c.id" \
  "               UNION ALL" \
  "               SELECT id, NULL, address, used, NULL, NULL FROM join_invitations" \
  "               WHERE id NOT IN (SELECT id FROM join_codes))"

gboolean
trb_node_db_migrate_join (TrbStore  *store,
                          GError   **error)
{
  return trb_store_migrate (store, "node-join", join_schema, G_N_ELEMENTS (join_schema), error);
}

gboolean
trb_node_db_begin_store (TrbStore  *store,
                         GError   **error)
{
  return trb_store_exec (store, "BEGIN IMMEDIATE", error);
}

gboolean
trb_node_db_commit_store (TrbStore  *store,
                          GError   **error)
{
  return trb_store_exec (store, "COMMIT", error);
}

/* As trb_node_db_rollback(): the caller has the error that made it roll back; one of the
 * rollback itself is logged, not dropped. */
void
trb_node_db_rollback_store (TrbStore *store)
{
  g_autoptr(GError) error = NULL;

  if (!trb_store_exec (store, "ROLLBACK", &error))
    g_warning ("Could not roll back a change of the store: %s", error->message);
}

/* The stored policy: @kind is %NULL (and @bits untouched) when none was stored. */
gboolean
trb_node_db_load_join_policy (TrbStore  *store,
                              char     **kind,
                              int       *bits,
                              GError   **error)
{
  sqlite3_stmt *stmt;
  int rc;

  *kind = NULL;
  stmt = trb_store_begin_statement (store, "SELECT kind, bits FROM join_policy", error);
  if (stmt == NULL)
    return FALSE;
  rc = trb_store_step (store, stmt, error);
  if (rc < 0)
    return FALSE;
  if (rc == SQLITE_ROW)
    {
      *kind = column_dup (stmt, 0);
      *bits = sqlite3_column_int (stmt, 1);
    }
  trb_store_end_statement (store, stmt);
  return TRUE;
}

gboolean
trb_node_db_save_join_policy (TrbStore    *store,
                              const char  *kind,
                              int          bits,
                              GError     **error)
{
  sqlite3_stmt *stmt;

  stmt = trb_store_begin_statement (store, "INSERT OR REPLACE INTO join_policy (id, kind, bits) "
                                    "VALUES (1, ?, ?)", error);
  if (stmt == NULL)
    return FALSE;
  sqlite3_bind_text (stmt, 1, kind, -1, SQLITE_TRANSIENT);
  sqlite3_bind_int (stmt, 2, bits);
  return trb_store_step_done (store, stmt, error);
}

/* Runs @sql, a write, with the code's @id and a time bound. */
static gboolean
write_code (TrbStore    *store,
            const char  *sql,
            const char  *id,
            gint64       time,
            GError     **error)
{
  sqlite3_stmt *stmt;

  stmt = trb_store_begin_statement (store, sql, error);
  if (stmt == NULL)
    return FALSE;
  sqlite3_bind_text (stmt, 1, id, -1, SQLITE_TRANSIENT);
  sqlite3_bind_int64 (stmt, 2, time);
  return trb_store_step_done (store, stmt, error);
}

gboolean
trb_node_db_add_join_code (TrbStore    *store,
                           const char  *id,
                           gint64       created,
                           GError     **error)
{
  return write_code (store, "INSERT INTO join_codes (id, created) VALUES (?, ?)", id, created,
                     error);
}

gboolean
trb_node_db_revoke_join_code (TrbStore    *store,
                              const char  *id,
                              gint64       revoked,
                              GError     **error)
{
  return write_code (store, "INSERT INTO join_codes (id, revoked) VALUES (?, ?) "
                     "ON CONFLICT (id) DO UPDATE SET revoked = excluded.revoked", id, revoked,
                     error);
}

gboolean
trb_node_db_record_invitation_use (TrbStore    *store,
                                   const char  *id,
                                   const char  *address,
                                   gint64       used,
                                   GError     **error)
{
  sqlite3_stmt *stmt;

  stmt = trb_store_begin_statement (store, "INSERT INTO join_invitations (id, address, used) "
                                    "VALUES (?, ?, ?)", error);
  if (stmt == NULL)
    return FALSE;
  sqlite3_bind_text (stmt, 1, id, -1, SQLITE_TRANSIENT);
  sqlite3_bind_text (stmt, 2, address, -1, SQLITE_TRANSIENT);
  sqlite3_bind_int64 (stmt, 3, used);
  return trb_store_step_done (store, stmt, error);
}

void
trb_node_invitation_row_free (TrbNodeInvitationRow *row)
{
  if (row == NULL)
    return;
  g_free (row->id);
  g_free (row->address);
  g_free (row);
}

static TrbNodeInvitationRow *
invitation_row (sqlite3_stmt *stmt)
{
  TrbNodeInvitationRow *row = g_new0 (TrbNodeInvitationRow, 1);

  row->id = column_dup (stmt, 0);
  row->created = sqlite3_column_int64 (stmt, 1);
  row->address = column_dup (stmt, 2);
  row->used = sqlite3_column_int64 (stmt, 3);
  row->revoked = sqlite3_column_int64 (stmt, 4);
  return row;
}

/* What is known of the code @id: @row is %NULL when nothing is. */
gboolean
trb_node_db_load_invitation (TrbStore               *store,
                             const char             *id,
                             TrbNodeInvitationRow  **row,
                             GError                **error)
{
  sqlite3_stmt *stmt;
  int rc;

  *row = NULL;
  stmt = trb_store_begin_statement (store, INVITATIONS_SQL " WHERE id = ?", error);
  if (stmt == NULL)
    return FALSE;
  sqlite3_bind_text (stmt, 1, id, -1, SQLITE_TRANSIENT);
  rc = trb_store_step (store, stmt, error);
  if (rc < 0)
    return FALSE;
  if (rc == SQLITE_ROW)
    *row = invitation_row (stmt);
  trb_store_end_statement (store, stmt);
  return TRUE;
}

/* Every code made, used or revoked, oldest first; %NULL on a storage error. */
GPtrArray *
trb_node_db_list_invitations (TrbStore  *store,
                              GError   **error)
{
  g_autoptr(GPtrArray) rows = NULL;
  sqlite3_stmt *stmt;
  int rc;

  stmt = trb_store_begin_statement (store, INVITATIONS_SQL " ORDER BY COALESCE (created, used, "
                                    "revoked), made, id", error);
  if (stmt == NULL)
    return NULL;
  rows = g_ptr_array_new_with_free_func ((GDestroyNotify) trb_node_invitation_row_free);
  while ((rc = trb_store_step (store, stmt, error)) == SQLITE_ROW)
    g_ptr_array_add (rows, invitation_row (stmt));
  if (rc < 0)
    return NULL;
  trb_store_end_statement (store, stmt);
  return g_steal_pointer (&rows);
}
