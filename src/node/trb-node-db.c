/* trb-node-db.c
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * The node's data layer: its SQLite schema and every statement the node runs. Nothing else in
 * the node speaks SQL, so a change of schema stays in this file.
 */

#define G_LOG_DOMAIN "trb-node"

#include "config.h"

#include "trb-node-db.h"

#include <sqlite3.h>

#include "net/trb-http-signature.h"
#include "store/trb-store.h"

#include "trb-node-private.h"
#include "store/trb-store-sql.h"

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
  /* Whom each round asks, one row per period (docs/protocol.md, "Who a round asks"). */
  "CREATE TABLE round_periods (task TEXT NOT NULL, round INTEGER NOT NULL,"
  "  joined_after INTEGER NOT NULL, joined_before INTEGER NOT NULL, asked INTEGER NOT NULL,"
  "  cutoff TEXT NOT NULL, PRIMARY KEY (task, round, joined_after));",
};

/* Every statement is a constant, prepared on first use and kept by the store
 * (trb_store_begin_statement()). One that does not compile (a database whose tables are not
 * what this version expects) or does not run is a failure of the store like any other: it goes
 * to the caller as a GError, and the node stays up. A read that fails is never "nothing there". */
#define begin_statement(self, sql, error) trb_store_begin_statement ((self)->store, (sql), (error))

static char *
column_dup (sqlite3_stmt *stmt,
            int           column)
{
  return g_strdup ((const char *) sqlite3_column_text (stmt, column));
}

static GBytes *
column_bytes (sqlite3_stmt *stmt,
              int           column)
{
  return g_bytes_new (sqlite3_column_blob (stmt, column), sqlite3_column_bytes (stmt, column));
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

/* ---- transactions ------------------------------------------------------------------------- */

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

/* A rollback that fails leaves nothing to undo in the caller, which already has the error that
 * made it roll back: it is logged here, not dropped. */
void
trb_node_db_rollback (TrbNode *self)
{
  g_autoptr(GError) error = NULL;

  if (!trb_store_exec (self->store, "ROLLBACK", &error))
    g_warning ("Could not roll back a change of the store: %s", error->message);
}

/* Appends @entry (taken) to the ledger; %FALSE when it is %NULL (building it failed). */
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
  return trb_merkle_log_append (self->log, (const guint8 *) owned, length, index, error);
}

/* ---- network and tasks -------------------------------------------------------------------- */

gboolean
trb_node_db_add_network (TrbNode     *self,
                         const char  *name,
                         const char  *origin,
                         gint64       created,
                         GError     **error)
{
  sqlite3_stmt *stmt = begin_statement (self, "INSERT INTO network (id, name, origin, created) "
                                              "VALUES (1, ?, ?, ?)", error);

  if (stmt == NULL)
    return FALSE;
  sqlite3_bind_text (stmt, 1, name, -1, SQLITE_TRANSIENT);
  sqlite3_bind_text (stmt, 2, origin, -1, SQLITE_TRANSIENT);
  sqlite3_bind_int64 (stmt, 3, created);
  return trb_store_step_done (self->store, stmt, error);
}

/* The network's name and origin: both %NULL when the store has none. */
gboolean
trb_node_db_load_network (TrbNode  *self,
                          char    **name,
                          char    **origin,
                          GError  **error)
{
  sqlite3_stmt *stmt = begin_statement (self, "SELECT name, origin FROM network WHERE id = 1",
                                        error);
  int rc;

  *name = *origin = NULL;
  if (stmt == NULL)
    return FALSE;
  rc = trb_store_step (self->store, stmt, error);
  if (rc < 0)
    return FALSE;
  if (rc == SQLITE_ROW)
    {
      *name = column_dup (stmt, 0);
      *origin = column_dup (stmt, 1);
    }
  trb_store_end_statement (self->store, stmt);
  return TRUE;
}

gboolean
trb_node_db_add_task (TrbNode     *self,
                      const char  *id,
                      const char  *json,
                      const char  *evaluation,
                      GError     **error)
{
  sqlite3_stmt *stmt = begin_statement (self, "INSERT INTO tasks (id, json, evaluation) "
                                              "VALUES (?, ?, ?)", error);

  if (stmt == NULL)
    return FALSE;
  sqlite3_bind_text (stmt, 1, id, -1, SQLITE_TRANSIENT);
  sqlite3_bind_text (stmt, 2, json, -1, SQLITE_TRANSIENT);
  if (evaluation != NULL)
    sqlite3_bind_text (stmt, 3, evaluation, -1, SQLITE_TRANSIENT);
  return trb_store_step_done (self->store, stmt, error);
}

/* Fills @json and @evaluation (an entry may be %NULL) with every task, in the same order. */
gboolean
trb_node_db_list_tasks (TrbNode    *self,
                        GPtrArray  *json,
                        GPtrArray  *evaluation,
                        GError    **error)
{
  sqlite3_stmt *stmt = begin_statement (self, "SELECT json, evaluation FROM tasks", error);
  int rc;

  if (stmt == NULL)
    return FALSE;
  while ((rc = trb_store_step (self->store, stmt, error)) == SQLITE_ROW)
    {
      g_ptr_array_add (json, column_dup (stmt, 0));
      g_ptr_array_add (evaluation, column_dup (stmt, 1));
    }
  if (rc < 0)
    return FALSE;
  trb_store_end_statement (self->store, stmt);
  return TRUE;
}

/* ---- rounds ------------------------------------------------------------------------------- */

gboolean
trb_node_db_save_round (TrbNode  *self,
                        Task     *task,
                        GError  **error)
{
  sqlite3_stmt *stmt = begin_statement (self, "INSERT OR REPLACE INTO rounds "
                                              "(task, round, state, model, deadline) "
                                              "VALUES (?, ?, ?, ?, ?)", error);

  if (stmt == NULL)
    return FALSE;
  sqlite3_bind_text (stmt, 1, task->id, -1, SQLITE_TRANSIENT);
  sqlite3_bind_int64 (stmt, 2, task->round);
  sqlite3_bind_text (stmt, 3, trb_node_round_state_names[task->state], -1, SQLITE_STATIC);
  sqlite3_bind_text (stmt, 4, task->model_hash, -1, SQLITE_TRANSIENT);
  sqlite3_bind_int64 (stmt, 5, task->deadline);
  return trb_store_step_done (self->store, stmt, error);
}

/* Loads @task's latest round (number, state, model, deadline and updates so far); @found is
 * %FALSE, and @task untouched, when the store has no round of it. */
gboolean
trb_node_db_load_round (TrbNode   *self,
                        Task      *task,
                        gboolean  *found,
                        GError   **error)
{
  sqlite3_stmt *stmt = begin_statement (self, "SELECT round, state, model, deadline FROM rounds "
                                              "WHERE task = ? ORDER BY round DESC LIMIT 1", error);
  g_autofree char *state = NULL;
  g_autofree char *model = NULL;
  gint64 round, deadline, n_updates;
  int rc;

  *found = FALSE;
  if (stmt == NULL)
    return FALSE;
  sqlite3_bind_text (stmt, 1, task->id, -1, SQLITE_TRANSIENT);
  rc = trb_store_step (self->store, stmt, error);
  if (rc < 0)
    return FALSE;
  if (rc != SQLITE_ROW)
    {
      trb_store_end_statement (self->store, stmt);
      return TRUE;
    }
  round = sqlite3_column_int64 (stmt, 0);
  state = column_dup (stmt, 1);
  model = column_dup (stmt, 2);
  deadline = sqlite3_column_int64 (stmt, 3);
  trb_store_end_statement (self->store, stmt);

  stmt = begin_statement (self, "SELECT count(*) FROM updates WHERE task = ? AND round = ?",
                          error);
  if (stmt == NULL)
    return FALSE;
  sqlite3_bind_text (stmt, 1, task->id, -1, SQLITE_TRANSIENT);
  sqlite3_bind_int64 (stmt, 2, round);
  rc = trb_store_step (self->store, stmt, error);
  if (rc < 0)
    return FALSE;
  n_updates = rc == SQLITE_ROW ? sqlite3_column_int64 (stmt, 0) : 0;
  trb_store_end_statement (self->store, stmt);

  /* Only a complete read changes the task. */
  task->round = round;
  task->state = ROUND_OPEN;
  for (guint i = 0; i < G_N_ELEMENTS (trb_node_round_state_names); i++)
    if (g_strcmp0 (trb_node_round_state_names[i], state) == 0)
      task->state = i;
  g_free (task->model_hash);
  task->model_hash = g_steal_pointer (&model);
  task->deadline = deadline;
  task->n_updates = n_updates;
  *found = TRUE;
  return TRUE;
}

gboolean
trb_node_db_add_round_period (TrbNode            *self,
                              const char         *task_id,
                              gint64              round,
                              const RoundPeriod  *period,
                              GError            **error)
{
  sqlite3_stmt *stmt = begin_statement (self, "INSERT OR REPLACE INTO round_periods "
                                              "(task, round, joined_after, joined_before, asked,"
                                              " cutoff) VALUES (?, ?, ?, ?, ?, ?)", error);

  if (stmt == NULL)
    return FALSE;
  sqlite3_bind_text (stmt, 1, task_id, -1, SQLITE_TRANSIENT);
  sqlite3_bind_int64 (stmt, 2, round);
  sqlite3_bind_int64 (stmt, 3, period->joined_after);
  sqlite3_bind_int64 (stmt, 4, period->joined_before);
  sqlite3_bind_int64 (stmt, 5, period->asked);
  sqlite3_bind_text (stmt, 6, period->cutoff, -1, SQLITE_TRANSIENT);
  return trb_store_step_done (self->store, stmt, error);
}

/* Appends the periods of @round of @task_id to @periods (RoundPeriod), oldest first. */
gboolean
trb_node_db_load_round_periods (TrbNode     *self,
                                const char  *task_id,
                                gint64       round,
                                GArray      *periods,
                                GError     **error)
{
  sqlite3_stmt *stmt = begin_statement (self, "SELECT joined_after, joined_before, asked, cutoff "
                                              "FROM round_periods WHERE task = ? AND round = ? "
                                              "ORDER BY joined_after", error);
  int rc;

  if (stmt == NULL)
    return FALSE;
  sqlite3_bind_text (stmt, 1, task_id, -1, SQLITE_TRANSIENT);
  sqlite3_bind_int64 (stmt, 2, round);
  while ((rc = trb_store_step (self->store, stmt, error)) == SQLITE_ROW)
    {
      RoundPeriod period = { 0 };
      const char *cutoff = (const char *) sqlite3_column_text (stmt, 3);

      period.joined_after = sqlite3_column_int64 (stmt, 0);
      period.joined_before = sqlite3_column_int64 (stmt, 1);
      period.asked = sqlite3_column_int64 (stmt, 2);
      g_strlcpy (period.cutoff, cutoff != NULL ? cutoff : "", sizeof period.cutoff);
      g_array_append_val (periods, period);
    }
  if (rc < 0)
    return FALSE;
  trb_store_end_statement (self->store, stmt);
  return TRUE;
}

/* ---- blobs and momentum ------------------------------------------------------------------- */

gboolean
trb_node_db_store_blob (TrbNode     *self,
                        const char  *hash,
                        GBytes      *bytes,
                        GError     **error)
{
  sqlite3_stmt *stmt = begin_statement (self, "INSERT OR IGNORE INTO blobs (hash, data) "
                                              "VALUES (?, ?)", error);
  gsize len;
  const void *data = g_bytes_get_data (bytes, &len);

  if (stmt == NULL)
    return FALSE;
  sqlite3_bind_text (stmt, 1, hash, -1, SQLITE_TRANSIENT);
  sqlite3_bind_blob64 (stmt, 2, data, len, SQLITE_STATIC);
  return trb_store_step_done (self->store, stmt, error);
}

/* The stored file @hash: @blob is %NULL when there is none. */
gboolean
trb_node_db_load_blob (TrbNode     *self,
                      const char  *hash,
                      GBytes     **blob,
                      GError     **error)
{
  sqlite3_stmt *stmt = begin_statement (self, "SELECT data FROM blobs WHERE hash = ?", error);
  int rc;

  *blob = NULL;
  if (stmt == NULL)
    return FALSE;
  sqlite3_bind_text (stmt, 1, hash, -1, SQLITE_TRANSIENT);
  rc = trb_store_step (self->store, stmt, error);
  if (rc < 0)
    return FALSE;
  if (rc == SQLITE_ROW)
    *blob = column_bytes (stmt, 0);
  trb_store_end_statement (self->store, stmt);
  return TRUE;
}

/* The stored update @hash when a task that publishes its updates accepted it in a round that is
 * closed (docs/protocol.md, "Verifiable aggregation"); @blob is %NULL when there is none. */
gboolean
trb_node_db_load_published_update (TrbNode     *self,
                                   const char  *hash,
                                   GBytes     **blob,
                                   GError     **error)
{
  sqlite3_stmt *stmt = begin_statement (self, "SELECT task, round, data FROM updates "
                                              "WHERE hash = ?", error);
  int rc;

  *blob = NULL;
  if (stmt == NULL)
    return FALSE;
  sqlite3_bind_text (stmt, 1, hash, -1, SQLITE_TRANSIENT);
  while ((rc = trb_store_step (self->store, stmt, error)) == SQLITE_ROW)
    {
      Task *task = g_hash_table_lookup (self->tasks, sqlite3_column_text (stmt, 0));

      if (task != NULL && task->publish_updates && sqlite3_column_int64 (stmt, 1) < task->round)
        {
          *blob = column_bytes (stmt, 2);
          break;
        }
    }
  if (rc < 0)
    return FALSE;
  trb_store_end_statement (self->store, stmt);
  return TRUE;
}

gboolean
trb_node_db_save_momentum (TrbNode     *self,
                           const char  *task_id,
                           GBytes      *velocity,
                           GError     **error)
{
  sqlite3_stmt *stmt = begin_statement (self, "INSERT OR REPLACE INTO momentum (task, data) "
                                              "VALUES (?, ?)", error);

  if (stmt == NULL)
    return FALSE;
  sqlite3_bind_text (stmt, 1, task_id, -1, SQLITE_TRANSIENT);
  sqlite3_bind_blob64 (stmt, 2, g_bytes_get_data (velocity, NULL), g_bytes_get_size (velocity),
                       SQLITE_STATIC);
  return trb_store_step_done (self->store, stmt, error);
}

/* The server momentum of @task_id: @velocity is %NULL when there is none. */
gboolean
trb_node_db_load_momentum (TrbNode     *self,
                          const char  *task_id,
                          GBytes     **velocity,
                          GError     **error)
{
  sqlite3_stmt *stmt = begin_statement (self, "SELECT data FROM momentum WHERE task = ?", error);
  int rc;

  *velocity = NULL;
  if (stmt == NULL)
    return FALSE;
  sqlite3_bind_text (stmt, 1, task_id, -1, SQLITE_TRANSIENT);
  rc = trb_store_step (self->store, stmt, error);
  if (rc < 0)
    return FALSE;
  if (rc == SQLITE_ROW)
    *velocity = column_bytes (stmt, 0);
  trb_store_end_statement (self->store, stmt);
  return TRUE;
}

/* ---- participants and nonces -------------------------------------------------------------- */

/* Whether @address has joined (@found), and its ledger index when it has. */
gboolean
trb_node_db_find_participant (TrbNode     *self,
                              const char  *address,
                              gboolean    *found,
                              guint64     *leaf_index,
                              GError     **error)
{
  sqlite3_stmt *stmt = begin_statement (self, "SELECT leaf_index FROM participants "
                                              "WHERE address = ?", error);
  int rc;

  *found = FALSE;
  if (stmt == NULL)
    return FALSE;
  sqlite3_bind_text (stmt, 1, address, -1, SQLITE_TRANSIENT);
  rc = trb_store_step (self->store, stmt, error);
  if (rc < 0)
    return FALSE;
  if (rc == SQLITE_ROW)
    {
      *found = TRUE;
      if (leaf_index != NULL)
        *leaf_index = sqlite3_column_int64 (stmt, 0);
    }
  trb_store_end_statement (self->store, stmt);
  return TRUE;
}

gboolean
trb_node_db_is_joined (TrbNode     *self,
                       const char  *address,
                       gboolean    *joined,
                       GError     **error)
{
  return trb_node_db_find_participant (self, address, joined, NULL, error);
}

/* Appends to @addresses the participants whose join is at a ledger index in [@after, @before),
 * in the order they joined. */
gboolean
trb_node_db_list_participants (TrbNode     *self,
                               guint64      after,
                               guint64      before,
                               GPtrArray   *addresses,
                               GError     **error)
{
  sqlite3_stmt *stmt = begin_statement (self, "SELECT address FROM participants "
                                              "WHERE leaf_index >= ? AND leaf_index < ? "
                                              "ORDER BY leaf_index", error);
  int rc;

  if (stmt == NULL)
    return FALSE;
  sqlite3_bind_int64 (stmt, 1, (sqlite3_int64) after);
  sqlite3_bind_int64 (stmt, 2, (sqlite3_int64) before);
  while ((rc = trb_store_step (self->store, stmt, error)) == SQLITE_ROW)
    g_ptr_array_add (addresses, column_dup (stmt, 0));
  if (rc < 0)
    return FALSE;
  trb_store_end_statement (self->store, stmt);
  return TRUE;
}

gboolean
trb_node_db_add_participant (TrbNode     *self,
                             const char  *address,
                             const char  *display_name,
                             gint64       joined,
                             guint64      leaf_index,
                             GError     **error)
{
  sqlite3_stmt *stmt = begin_statement (self, "INSERT INTO participants "
                                              "(address, display_name, joined, leaf_index) "
                                              "VALUES (?, ?, ?, ?)", error);

  if (stmt == NULL)
    return FALSE;
  sqlite3_bind_text (stmt, 1, address, -1, SQLITE_TRANSIENT);
  sqlite3_bind_text (stmt, 2, display_name, -1, SQLITE_TRANSIENT);
  sqlite3_bind_int64 (stmt, 3, joined);
  sqlite3_bind_int64 (stmt, 4, leaf_index);
  return trb_store_step_done (self->store, stmt, error);
}

gboolean
trb_node_db_record_nonce (TrbNode     *self,
                          const char  *nonce,
                          GError     **error)
{
  sqlite3_stmt *stmt = begin_statement (self, "INSERT OR IGNORE INTO nonces (nonce, expires) "
                                              "VALUES (?, ?)", error);

  if (stmt == NULL)
    return FALSE;
  sqlite3_bind_text (stmt, 1, nonce, -1, SQLITE_TRANSIENT);
  sqlite3_bind_int64 (stmt, 2,
                      g_get_real_time () / G_USEC_PER_SEC + 2 * TRB_PROTOCOL_SIGNATURE_SKEW);
  return trb_store_step_done (self->store, stmt, error);
}

/* Forgets the nonces past their expiry: their signatures are refused as expired anyway. */
gboolean
trb_node_db_prune_nonces (TrbNode  *self,
                          GError  **error)
{
  sqlite3_stmt *stmt = begin_statement (self, "DELETE FROM nonces "
                                              "WHERE expires < strftime('%s','now')", error);

  if (stmt == NULL)
    return FALSE;
  return trb_store_step_done (self->store, stmt, error);
}

/* Forgets the nonces past their expiry and puts the others in @nonces (nonce → expiry). */
gboolean
trb_node_db_load_nonces (TrbNode     *self,
                         GHashTable  *nonces,
                         GError     **error)
{
  sqlite3_stmt *stmt;
  int rc;

  if (!trb_node_db_prune_nonces (self, error))
    return FALSE;
  stmt = begin_statement (self, "SELECT nonce, expires FROM nonces", error);
  if (stmt == NULL)
    return FALSE;
  while ((rc = trb_store_step (self->store, stmt, error)) == SQLITE_ROW)
    g_hash_table_insert (nonces, column_dup (stmt, 0),
                         GSIZE_TO_POINTER ((gsize) sqlite3_column_int64 (stmt, 1)));
  if (rc < 0)
    return FALSE;
  trb_store_end_statement (self->store, stmt);
  return TRUE;
}

/* ---- updates ------------------------------------------------------------------------------ */

void
trb_node_update_row_free (TrbNodeUpdateRow *row)
{
  g_free (row->hash);
  g_free (row->participant);
  g_clear_pointer (&row->data, g_bytes_unref);
  g_free (row);
}

/* The update @participant sent in @round of @task, if any: its hash (%NULL when there is none)
 * and ledger index. */
gboolean
trb_node_db_find_update (TrbNode     *self,
                         const char  *task_id,
                         gint64       round,
                         const char  *participant,
                         char       **hash,
                         guint64     *leaf_index,
                         GError     **error)
{
  sqlite3_stmt *stmt = begin_statement (self, "SELECT hash, leaf_index FROM updates "
                                              "WHERE task = ? AND round = ? AND participant = ?",
                                        error);
  int rc;

  *hash = NULL;
  if (stmt == NULL)
    return FALSE;
  sqlite3_bind_text (stmt, 1, task_id, -1, SQLITE_TRANSIENT);
  sqlite3_bind_int64 (stmt, 2, round);
  sqlite3_bind_text (stmt, 3, participant, -1, SQLITE_TRANSIENT);
  rc = trb_store_step (self->store, stmt, error);
  if (rc < 0)
    return FALSE;
  if (rc == SQLITE_ROW)
    {
      *hash = column_dup (stmt, 0);
      *leaf_index = sqlite3_column_int64 (stmt, 1);
    }
  trb_store_end_statement (self->store, stmt);
  return TRUE;
}

gboolean
trb_node_db_add_update (TrbNode                *self,
                        const TrbNodeUpdateRow *row,
                        const char             *task_id,
                        gint64                  round,
                        GError                **error)
{
  sqlite3_stmt *stmt = begin_statement (self, "INSERT INTO updates (task, round, participant, "
                                              "hash, samples, epochs, leaf_index, data) "
                                              "VALUES (?, ?, ?, ?, ?, ?, ?, ?)", error);

  if (stmt == NULL)
    return FALSE;
  sqlite3_bind_text (stmt, 1, task_id, -1, SQLITE_TRANSIENT);
  sqlite3_bind_int64 (stmt, 2, round);
  sqlite3_bind_text (stmt, 3, row->participant, -1, SQLITE_TRANSIENT);
  sqlite3_bind_text (stmt, 4, row->hash, -1, SQLITE_TRANSIENT);
  sqlite3_bind_int64 (stmt, 5, row->samples);
  sqlite3_bind_int64 (stmt, 6, row->epochs);
  sqlite3_bind_int64 (stmt, 7, row->leaf_index);
  sqlite3_bind_blob64 (stmt, 8, g_bytes_get_data (row->data, NULL), g_bytes_get_size (row->data),
                       SQLITE_STATIC);
  return trb_store_step_done (self->store, stmt, error);
}

/* The updates of @round of @task in the order they were accepted (their ledger order; the
 * round_closed entry lists their hashes sorted); with their bytes when @with_data. %NULL with
 * @error set when they could not all be read: a part of them is never given. */
GPtrArray *
trb_node_db_list_updates (TrbNode     *self,
                          const char  *task_id,
                          gint64       round,
                          gboolean     with_data,
                          GError     **error)
{
  g_autoptr(GPtrArray) rows = NULL;
  sqlite3_stmt *stmt;
  int rc;

  stmt = begin_statement (self, with_data
                                  ? "SELECT hash, participant, samples, epochs, leaf_index, data "
                                    "FROM updates WHERE task = ? AND round = ? ORDER BY leaf_index"
                                  : "SELECT hash, participant, samples, epochs, leaf_index "
                                    "FROM updates WHERE task = ? AND round = ? ORDER BY leaf_index",
                          error);
  if (stmt == NULL)
    return NULL;
  rows = g_ptr_array_new_with_free_func ((GDestroyNotify) trb_node_update_row_free);
  sqlite3_bind_text (stmt, 1, task_id, -1, SQLITE_TRANSIENT);
  sqlite3_bind_int64 (stmt, 2, round);
  while ((rc = trb_store_step (self->store, stmt, error)) == SQLITE_ROW)
    {
      TrbNodeUpdateRow *row = g_new0 (TrbNodeUpdateRow, 1);

      row->hash = column_dup (stmt, 0);
      row->participant = column_dup (stmt, 1);
      row->samples = sqlite3_column_int64 (stmt, 2);
      row->epochs = sqlite3_column_int64 (stmt, 3);
      row->leaf_index = sqlite3_column_int64 (stmt, 4);
      if (with_data)
        row->data = column_bytes (stmt, 5);
      g_ptr_array_add (rows, row);
    }
  if (rc < 0)
    return NULL;
  trb_store_end_statement (self->store, stmt);
  return g_steal_pointer (&rows);
}

/* ---- checkpoints and cosignatures --------------------------------------------------------- */

/* The node's signed checkpoint of @tree_size: @note is %NULL when it signed none. */
gboolean
trb_node_db_load_checkpoint (TrbNode  *self,
                             guint64   tree_size,
                             char    **note,
                             GError  **error)
{
  sqlite3_stmt *stmt = begin_statement (self, "SELECT note FROM checkpoints "
                                              "WHERE tree_size = ?", error);
  int rc;

  *note = NULL;
  if (stmt == NULL)
    return FALSE;
  sqlite3_bind_int64 (stmt, 1, tree_size);
  rc = trb_store_step (self->store, stmt, error);
  if (rc < 0)
    return FALSE;
  if (rc == SQLITE_ROW)
    *note = column_dup (stmt, 0);
  trb_store_end_statement (self->store, stmt);
  return TRUE;
}

gboolean
trb_node_db_add_checkpoint (TrbNode     *self,
                            guint64      tree_size,
                            const char  *note,
                            GError     **error)
{
  sqlite3_stmt *stmt = begin_statement (self, "INSERT OR IGNORE INTO checkpoints "
                                              "(tree_size, note) VALUES (?, ?)", error);

  if (stmt == NULL)
    return FALSE;
  sqlite3_bind_int64 (stmt, 1, tree_size);
  sqlite3_bind_text (stmt, 2, note, -1, SQLITE_TRANSIENT);
  return trb_store_step_done (self->store, stmt, error);
}

/* Appends to @out the cosignature lines for @tree_size, at most @limit, ordered by cosigner. */
gboolean
trb_node_db_append_cosignatures (TrbNode  *self,
                                 guint64   tree_size,
                                 guint     limit,
                                 GString  *out,
                                 GError  **error)
{
  sqlite3_stmt *stmt = begin_statement (self, "SELECT line FROM cosignatures "
                                              "WHERE tree_size = ? ORDER BY participant LIMIT ?",
                                        error);
  int rc;

  if (stmt == NULL)
    return FALSE;
  sqlite3_bind_int64 (stmt, 1, tree_size);
  sqlite3_bind_int (stmt, 2, limit);
  while ((rc = trb_store_step (self->store, stmt, error)) == SQLITE_ROW)
    g_string_append (out, (const char *) sqlite3_column_text (stmt, 0));
  if (rc < 0)
    return FALSE;
  trb_store_end_statement (self->store, stmt);
  return TRUE;
}

/* How many cosignatures @tree_size has from others than @participant. */
gboolean
trb_node_db_count_cosignatures (TrbNode     *self,
                                guint64      tree_size,
                                const char  *participant,
                                gint64      *count,
                                GError     **error)
{
  sqlite3_stmt *stmt = begin_statement (self, "SELECT count(*) FROM cosignatures "
                                              "WHERE tree_size = ? AND participant != ?", error);
  int rc;

  *count = 0;
  if (stmt == NULL)
    return FALSE;
  sqlite3_bind_int64 (stmt, 1, tree_size);
  sqlite3_bind_text (stmt, 2, participant, -1, SQLITE_TRANSIENT);
  rc = trb_store_step (self->store, stmt, error);
  if (rc < 0)
    return FALSE;
  if (rc == SQLITE_ROW)
    *count = sqlite3_column_int64 (stmt, 0);
  trb_store_end_statement (self->store, stmt);
  return TRUE;
}

gboolean
trb_node_db_save_cosignature (TrbNode     *self,
                              guint64      tree_size,
                              const char  *participant,
                              const char  *line,
                              GError     **error)
{
  sqlite3_stmt *stmt = begin_statement (self, "INSERT OR REPLACE INTO cosignatures "
                                              "(tree_size, participant, line) VALUES (?, ?, ?)",
                                        error);

  if (stmt == NULL)
    return FALSE;
  sqlite3_bind_int64 (stmt, 1, tree_size);
  sqlite3_bind_text (stmt, 2, participant, -1, SQLITE_TRANSIENT);
  sqlite3_bind_text (stmt, 3, line, -1, SQLITE_TRANSIENT);
  return trb_store_step_done (self->store, stmt, error);
}
