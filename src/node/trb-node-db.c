/* trb-node-db.c
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * The node's data layer: its SQLite schema and the statements it runs.
 */

#define G_LOG_DOMAIN "trb-node"

#include "config.h"

#include "trb-node-db.h"

#include <errno.h>
#include <fcntl.h>
#include <glib/gi18n.h>
#include <glib/gstdio.h>
#include <json-glib/json-glib.h>
#include <math.h>
#include <sodium.h>
#include <string.h>
#include <unistd.h>

#include "compute/trb-model-spec.h"
#include "compute/trb-trainer.h"
#include "compute/trb-weights.h"
#include "ledger/trb-canonical-json.h"
#include "ledger/trb-checkpoint.h"
#include "ledger/trb-ledger-entry.h"
#include "ledger/trb-merkle-log.h"
#include "ledger/trb-note-signer.h"
#include "net/trb-client.h"
#include "net/trb-http-signature.h"
#include "net/trb-training-set.h"
#include "store/trb-store.h"
#include "trb-json.h"

#include "trb-node-private.h"

static const char * const node_schema[] = {
  "CREATE TABLE network (id INTEGER PRIMARY KEY CHECK (id = 1), name TEXT NOT NULL,"
  "  origin TEXT NOT NULL, created INTEGER NOT NULL);"
  "CREATE TABLE tasks (id TEXT PRIMARY KEY, json TEXT NOT NULL, evaluation TEXT);"
  "CREATE TABLE blobs (hash TEXT PRIMARY KEY, data BLOB NOT NULL);"
  "CREATE TABLE participants (address TEXT PRIMARY KEY, display_name TEXT,"
  "  joined INTEGER NOT NULL, leaf_index INTEGER NOT NULL);"
  "CREATE TABLE rounds (task TEXT NOT NULL, round INTEGER NOT NULL, state TEXT NOT NULL,"
  "  model TEXT NOT NULL, deadline INTEGER NOT NULL, PRIMARY KEY (task, round));"
  "CREATE TABLE updates (task TEXT NOT NULL, round INTEGER NOT NULL, participant TEXT NOT NULL,"
  "  hash TEXT NOT NULL, samples INTEGER NOT NULL, epochs INTEGER NOT NULL,"
  "  leaf_index INTEGER NOT NULL, data BLOB NOT NULL, PRIMARY KEY (task, round, participant));"
  "CREATE TABLE nonces (nonce TEXT PRIMARY KEY, expires INTEGER NOT NULL);"
  "CREATE TABLE checkpoints (tree_size INTEGER PRIMARY KEY, note TEXT NOT NULL);"
  "CREATE TABLE cosignatures (tree_size INTEGER NOT NULL, participant TEXT NOT NULL,"
  "  line TEXT NOT NULL, PRIMARY KEY (tree_size, participant));",
  /* The server momentum of each task, as safetensors. */
  "CREATE TABLE momentum (task TEXT PRIMARY KEY, data BLOB NOT NULL);",
};

/* ---- storage helpers ---------------------------------------------------------------------- */

sqlite3_stmt *
trb_node_db_prepare (TrbNode     *self,
                     const char  *sql)
{
  sqlite3_stmt *stmt = NULL;

  if (sqlite3_prepare_v2 (trb_store_get_db (self->store), sql, -1, &stmt, NULL) != SQLITE_OK)
    g_error ("Statement does not compile: %s (%s)", sql,
             sqlite3_errmsg (trb_store_get_db (self->store)));
  return stmt;
}

gboolean
trb_node_db_step_done (TrbNode       *self,
                       sqlite3_stmt  *stmt,
                       GError       **error)
{
  if (sqlite3_step (stmt) != SQLITE_DONE)
    return trb_store_set_error_from_db (self->store, error);
  return TRUE;
}

gboolean
trb_node_db_begin (TrbNode  *self,
                   GError  **error)
{
  return trb_store_exec (self->store, "BEGIN IMMEDIATE", error);
}

gboolean
trb_node_db_commit (TrbNode  *self,
                    GError  **error)
{
  return trb_store_exec (self->store, "COMMIT", error);
}

void
trb_node_db_rollback (TrbNode *self)
{
  trb_store_exec (self->store, "ROLLBACK", NULL);
}

gboolean
trb_node_db_store_blob (TrbNode     *self,
                        const char  *hash,
                        GBytes      *bytes,
                        GError     **error)
{
  g_autoptr(sqlite3_stmt) stmt = trb_node_db_prepare (self,
                                                      "INSERT OR IGNORE INTO blobs (hash, data) "
                                                      "VALUES (?, ?)");
  gsize len;
  const void *data = g_bytes_get_data (bytes, &len);

  sqlite3_bind_text (stmt, 1, hash, -1, SQLITE_TRANSIENT);
  sqlite3_bind_blob64 (stmt, 2, data, len, SQLITE_STATIC);
  return trb_node_db_step_done (self, stmt, error);
}

GBytes *
trb_node_db_load_blob (TrbNode    *self,
                       const char *hash)
{
  g_autoptr(sqlite3_stmt) stmt = trb_node_db_prepare (self,
                                                      "SELECT data FROM blobs WHERE hash = ?");

  sqlite3_bind_text (stmt, 1, hash, -1, SQLITE_TRANSIENT);
  if (sqlite3_step (stmt) != SQLITE_ROW)
    return NULL;
  return g_bytes_new (sqlite3_column_blob (stmt, 0), sqlite3_column_bytes (stmt, 0));
}

gboolean
trb_node_db_append_entry (TrbNode     *self,
                          char        *entry,
                          gsize        length,
                          guint64     *index,
                          GError     **error)
{
  g_autofree char *owned = entry;

  if (owned == NULL)
    return FALSE;
  return trb_merkle_log_append (self->log, (const guint8 *)owned, length, index, error);
}

/* ---- tasks and rounds --------------------------------------------------------------------- */

gboolean
trb_node_db_save_round (TrbNode  *self,
                        Task     *task,
                        GError  **error)
{
  g_autoptr(sqlite3_stmt) stmt = trb_node_db_prepare (self, "INSERT OR REPLACE INTO rounds "
                                                            "(task, round, state, model, deadline) "
                                                            "VALUES (?, ?, ?, ?, ?)");

  sqlite3_bind_text (stmt, 1, task->id, -1, SQLITE_TRANSIENT);
  sqlite3_bind_int64 (stmt, 2, task->round);
  sqlite3_bind_text (stmt, 3, trb_node_round_state_names[task->state], -1, SQLITE_STATIC);
  sqlite3_bind_text (stmt, 4, task->model_hash, -1, SQLITE_TRANSIENT);
  sqlite3_bind_int64 (stmt, 5, task->deadline);
  return trb_node_db_step_done (self, stmt, error);
}

TrbStore *
trb_node_db_open_store (const char  *data_dir,
                        GError     **error)
{
  g_autofree char *db_path = g_build_filename (data_dir, "node.db", NULL);
  g_autoptr(TrbStore) store = trb_store_new_for_path (db_path, error);

  if (store == NULL)
    return NULL;
  if (!trb_store_migrate (store, "node", node_schema, G_N_ELEMENTS (node_schema), error))
    return NULL;
  return g_steal_pointer (&store);
}

gboolean
trb_node_db_record_nonce (TrbNode     *self,
                          const char  *nonce,
                          GError     **error)
{
  g_autoptr(sqlite3_stmt) stmt = trb_node_db_prepare (self,
                                                      "INSERT OR IGNORE INTO nonces (nonce, "
                                                      "expires) "
                                                      "VALUES (?, ?)");

  sqlite3_bind_text (stmt, 1, nonce, -1, SQLITE_TRANSIENT);
  sqlite3_bind_int64 (stmt, 2, g_get_real_time () / G_USEC_PER_SEC + 2 * TRB_HTTP_SIGNATURE_SKEW);
  return trb_node_db_step_done (self, stmt, error);
}

gboolean
trb_node_db_is_joined (TrbNode    *self,
                       const char *address)
{
  g_autoptr(sqlite3_stmt) stmt = trb_node_db_prepare (self,
                                                      "SELECT 1 FROM participants WHERE address = "
                                                      "?");

  sqlite3_bind_text (stmt, 1, address, -1, SQLITE_TRANSIENT);
  return sqlite3_step (stmt) == SQLITE_ROW;
}
