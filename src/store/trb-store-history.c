/* trb-store-history.c
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * History's tables (component "history", created by trb_store_history_migrate()): each
 * network's state (how far its ledger was fetched, whether it is halted), the copy of the ledger
 * entries that concern this computer's wallets and every round, the cosigners seen per
 * checkpoint, the tasks' descriptions, the names of the data each update was trained on, and the
 * results of "Evaluate on My Data", kept until the person removes them. History reads the
 * joined networks (component "net") and the verified checkpoints (component "ledger") beside
 * them.
 */

#define G_LOG_DOMAIN "trb-store-history"

#include "config.h"

#include "trb-store-history.h"
#include "trb-store-sql.h"

static const char * const history_schema[] = {
  "CREATE TABLE history_networks (origin TEXT PRIMARY KEY, halted INTEGER NOT NULL DEFAULT 0,"
  "  halted_at INTEGER, decision TEXT, fetched_size INTEGER NOT NULL DEFAULT 0,"
  "  witnessed_size INTEGER NOT NULL DEFAULT 0);"
  "CREATE TABLE history_entries (origin TEXT NOT NULL, leaf_index INTEGER NOT NULL,"
  "  type TEXT NOT NULL, data TEXT NOT NULL, task TEXT, round INTEGER, participant TEXT,"
  "  time INTEGER NOT NULL, verified_size INTEGER, problem TEXT,"
  "  PRIMARY KEY (origin, leaf_index));"
  "CREATE INDEX history_entries_by_round ON history_entries (origin, task, round);"
  "CREATE TABLE history_tasks (origin TEXT NOT NULL, task TEXT NOT NULL, json TEXT NOT NULL,"
  "  PRIMARY KEY (origin, task));"
  "CREATE TABLE history_checkpoints (origin TEXT NOT NULL, size INTEGER NOT NULL,"
  "  cosigners INTEGER NOT NULL, PRIMARY KEY (origin, size));"
  "CREATE TABLE history_datasets (origin TEXT NOT NULL, update_hash TEXT NOT NULL,"
  "  dataset TEXT NOT NULL, PRIMARY KEY (origin, update_hash));",
  /* Results of "Evaluate on My Data", kept until the person removes them. */
  "CREATE TABLE history_evaluations (origin TEXT NOT NULL, task TEXT NOT NULL,"
  "  model TEXT NOT NULL, dataset TEXT NOT NULL, accuracy REAL NOT NULL, time INTEGER NOT NULL,"
  "  PRIMARY KEY (origin, model, dataset));",
  /* Model versions this computer recomputed from their published updates and found right
   * (docs/protocol.md, "Verifiable aggregation"). */
  "CREATE TABLE history_recomputed (origin TEXT NOT NULL, model TEXT NOT NULL,"
  "  PRIMARY KEY (origin, model));",
};

/**
 * trb_store_history_migrate:
 *
 * Creates or updates the tables of component "history". The tables of "net" and "ledger" it
 * reads are created by their own components.
 *
 * Returns: %TRUE on success, else %FALSE with @error set
 */
gboolean
trb_store_history_migrate (TrbStore  *store,
                           GError   **error)
{
  return trb_store_migrate (store, "history", history_schema, G_N_ELEMENTS (history_schema),
                            error);
}

void
trb_store_history_entry_free (TrbStoreHistoryEntry *entry)
{
  if (entry == NULL)
    return;
  g_free (entry->origin);
  g_free (entry->network);
  g_free (entry->data);
  g_free (entry->problem);
  g_free (entry);
}

static char *
dup_column (sqlite3_stmt *stmt,
            int           column)
{
  return g_strdup ((const char *) sqlite3_column_text (stmt, column));
}

/* Runs @stmt, a write bound by the caller, and announces the change to @origin's history. */
static gboolean
finish_write (TrbStore      *store,
              sqlite3_stmt  *stmt,
              const char    *origin,
              GError       **error)
{
  if (!trb_store_step_done (store, stmt, error))
    return FALSE;
  trb_store_emit_changed (store, TRB_STORE_CHANGE_HISTORY, origin);
  return TRUE;
}

/* The texts in the first column of every row of @sql, with @origin bound to ?1 (when not
 * %NULL). */
static GStrv
list_texts (TrbStore    *store,
            const char  *sql,
            const char  *origin,
            GError     **error)
{
  sqlite3_stmt *stmt = trb_store_begin_statement (store, sql, error);

  if (stmt == NULL)
    return NULL;
  if (origin != NULL)
    sqlite3_bind_text (stmt, 1, origin, -1, SQLITE_TRANSIENT);
  return trb_store_collect_texts (store, stmt, error);
}

/* The integer in the first column of the one row of @stmt (bound by the caller), or
 * @otherwise when there is none. */
static gboolean
step_int (TrbStore      *store,
          sqlite3_stmt  *stmt,
          gint64         otherwise,
          gint64        *value,
          GError       **error)
{
  int rc = trb_store_step (store, stmt, error);

  if (rc < 0)
    return FALSE;
  *value = rc == SQLITE_ROW && sqlite3_column_type (stmt, 0) != SQLITE_NULL
             ? sqlite3_column_int64 (stmt, 0) : otherwise;
  trb_store_end_statement (store, stmt);
  return TRUE;
}

/* ---- each network's state ----------------------------------------------------------------- */

/**
 * trb_store_history_list_origins:
 *
 * Returns: (transfer full): the networks joined, by name, or %NULL with @error set
 */
GStrv
trb_store_history_list_origins (TrbStore  *store,
                                GError   **error)
{
  g_return_val_if_fail (TRB_IS_STORE (store), NULL);

  return list_texts (store, "SELECT origin FROM net_networks WHERE address IS NOT NULL "
                     "ORDER BY name, origin", NULL, error);
}

static const char * const get_size_sql[] = {
  "SELECT fetched_size FROM history_networks WHERE origin = ?",
  "SELECT witnessed_size FROM history_networks WHERE origin = ?",
};

static const char * const set_size_sql[] = {
  "INSERT INTO history_networks (origin, fetched_size) VALUES (?1, ?2) ON CONFLICT (origin) "
  "DO UPDATE SET fetched_size = excluded.fetched_size",
  "INSERT INTO history_networks (origin, witnessed_size) VALUES (?1, ?2) ON CONFLICT (origin) "
  "DO UPDATE SET witnessed_size = excluded.witnessed_size",
};

static gboolean
get_size (TrbStore    *store,
          const char  *sql,
          const char  *origin,
          guint64     *size,
          GError     **error)
{
  sqlite3_stmt *stmt;
  gint64 value;

  g_return_val_if_fail (TRB_IS_STORE (store), FALSE);
  g_return_val_if_fail (origin != NULL && size != NULL, FALSE);

  stmt = trb_store_begin_statement (store, sql, error);
  if (stmt == NULL)
    return FALSE;
  sqlite3_bind_text (stmt, 1, origin, -1, SQLITE_TRANSIENT);
  if (!step_int (store, stmt, 0, &value, error))
    return FALSE;
  *size = (guint64) MAX (value, 0);
  return TRUE;
}

static gboolean
set_size (TrbStore    *store,
          const char  *sql,
          const char  *origin,
          guint64      size,
          GError     **error)
{
  sqlite3_stmt *stmt;

  g_return_val_if_fail (TRB_IS_STORE (store), FALSE);
  g_return_val_if_fail (origin != NULL, FALSE);

  stmt = trb_store_begin_statement (store, sql, error);
  if (stmt == NULL)
    return FALSE;
  sqlite3_bind_text (stmt, 1, origin, -1, SQLITE_TRANSIENT);
  sqlite3_bind_int64 (stmt, 2, (gint64) MIN (size, G_MAXINT64));
  return finish_write (store, stmt, origin, error);
}

/**
 * trb_store_history_get_fetched_size:
 * @size: (out): how many entries of the ledger were fetched, 0 for a network never synced
 *
 * Returns: %TRUE on success, else %FALSE with @error set
 */
gboolean
trb_store_history_get_fetched_size (TrbStore    *store,
                                    const char  *origin,
                                    guint64     *size,
                                    GError     **error)
{
  return get_size (store, get_size_sql[0], origin, size, error);
}

/**
 * trb_store_history_set_fetched_size:
 *
 * Writes down how far the ledger was fetched, and announces it
 * (`TrbStore::changed::history`).
 *
 * Returns: %TRUE on success, else %FALSE with @error set
 */
gboolean
trb_store_history_set_fetched_size (TrbStore    *store,
                                    const char  *origin,
                                    guint64      size,
                                    GError     **error)
{
  return set_size (store, set_size_sql[0], origin, size, error);
}

/**
 * trb_store_history_get_witnessed_size:
 * @size: (out): the size of the last checkpoint this computer cosigned, 0 for none
 *
 * Returns: %TRUE on success, else %FALSE with @error set
 */
gboolean
trb_store_history_get_witnessed_size (TrbStore    *store,
                                      const char  *origin,
                                      guint64     *size,
                                      GError     **error)
{
  return get_size (store, get_size_sql[1], origin, size, error);
}

/**
 * trb_store_history_set_witnessed_size:
 *
 * Writes down the last checkpoint cosigned, and announces it (`TrbStore::changed::history`).
 *
 * Returns: %TRUE on success, else %FALSE with @error set
 */
gboolean
trb_store_history_set_witnessed_size (TrbStore    *store,
                                      const char  *origin,
                                      guint64      size,
                                      GError     **error)
{
  return set_size (store, set_size_sql[1], origin, size, error);
}

/**
 * trb_store_history_is_halted:
 * @halted: (out): whether History halted the network and the person has not decided yet
 *
 * Returns: %TRUE on success, else %FALSE with @error set
 */
gboolean
trb_store_history_is_halted (TrbStore    *store,
                             const char  *origin,
                             gboolean    *halted,
                             GError     **error)
{
  sqlite3_stmt *stmt;
  gint64 value;

  g_return_val_if_fail (TRB_IS_STORE (store), FALSE);
  g_return_val_if_fail (origin != NULL && halted != NULL, FALSE);

  stmt = trb_store_begin_statement (store, "SELECT halted FROM history_networks WHERE "
                                    "origin = ?", error);
  if (stmt == NULL)
    return FALSE;
  sqlite3_bind_text (stmt, 1, origin, -1, SQLITE_TRANSIENT);
  if (!step_int (store, stmt, 0, &value, error))
    return FALSE;
  *halted = value != 0;
  return TRUE;
}

/* Runs @statements, each with @origin bound to ?1 and the time to ?2, in one savepoint. */
static gboolean
run_for_network (TrbStore            *store,
                 const char * const  *statements,
                 guint                n_statements,
                 const char          *origin,
                 GError             **error)
{
  if (!trb_store_exec (store, "SAVEPOINT trb_history_network", error))
    return FALSE;
  for (guint i = 0; i < n_statements; i++)
    {
      sqlite3_stmt *stmt = trb_store_begin_statement (store, statements[i], error);

      if (stmt != NULL)
        {
          sqlite3_bind_text (stmt, 1, origin, -1, SQLITE_TRANSIENT);
          if (sqlite3_bind_parameter_count (stmt) >= 2)
            sqlite3_bind_int64 (stmt, 2, g_get_real_time () / G_USEC_PER_SEC);
        }
      if (stmt == NULL || !trb_store_step_done (store, stmt, error))
        {
          trb_store_exec (store, "ROLLBACK TO trb_history_network", NULL);
          trb_store_exec (store, "RELEASE trb_history_network", NULL);
          return FALSE;
        }
    }
  if (!trb_store_exec (store, "RELEASE trb_history_network", error))
    return FALSE;

  trb_store_emit_changed (store, TRB_STORE_CHANGE_HISTORY, origin);
  trb_store_emit_changed (store, TRB_STORE_CHANGE_NETWORKS, origin);
  return TRUE;
}

/**
 * trb_store_history_halt:
 *
 * Stops participation in the network: History's own flag, which the participation loop reads,
 * and the protocol client's (`net_networks.compromised`), so that the command-line participant
 * stops too. A network the person already decided to keep is not halted again by History's
 * flag. Announces both (`TrbStore::changed::history`, `::networks`).
 *
 * Returns: %TRUE on success, else %FALSE with @error set
 */
gboolean
trb_store_history_halt (TrbStore    *store,
                        const char  *origin,
                        GError     **error)
{
  static const char * const statements[] = {
    "INSERT OR IGNORE INTO history_networks (origin) VALUES (?1)",
    "UPDATE history_networks SET halted = 1, halted_at = ?2, decision = NULL "
    "WHERE origin = ?1 AND halted = 0 AND decision IS NULL",
    "UPDATE net_networks SET compromised = 1 WHERE origin = ?1",
  };

  g_return_val_if_fail (TRB_IS_STORE (store), FALSE);
  g_return_val_if_fail (origin != NULL, FALSE);

  return run_for_network (store, statements, G_N_ELEMENTS (statements), origin, error);
}

/**
 * trb_store_history_resume:
 *
 * Writes down the person's decision to keep the network: neither flag of
 * trb_store_history_halt() is set any more. Announces it.
 *
 * Returns: %TRUE on success, else %FALSE with @error set
 */
gboolean
trb_store_history_resume (TrbStore    *store,
                          const char  *origin,
                          GError     **error)
{
  static const char * const statements[] = {
    "UPDATE history_networks SET halted = 0, decision = 'resume' WHERE origin = ?1",
    "UPDATE net_networks SET compromised = 0 WHERE origin = ?1",
  };

  g_return_val_if_fail (TRB_IS_STORE (store), FALSE);
  g_return_val_if_fail (origin != NULL, FALSE);

  return run_for_network (store, statements, G_N_ELEMENTS (statements), origin, error);
}

/**
 * trb_store_history_list_halted:
 *
 * Returns: (transfer full): the origins of the networks halted by History or by evidence that
 *   a participant kept and nobody dismissed, or %NULL with @error set
 */
GStrv
trb_store_history_list_halted (TrbStore  *store,
                               GError   **error)
{
  g_return_val_if_fail (TRB_IS_STORE (store), NULL);

  return list_texts (store, "SELECT origin FROM history_networks WHERE halted = 1 UNION "
                     "SELECT e.origin FROM ledger_evidence e JOIN net_networks n ON "
                     "n.origin = e.origin WHERE e.dismissed_at IS NULL AND n.address IS NOT "
                     "NULL ORDER BY 1", NULL, error);
}

/* ---- what a sync writes ------------------------------------------------------------------- */

/**
 * trb_store_history_save_entries:
 * @entries: (array length=n_entries): the entries
 *
 * Keeps the entries, replacing what was kept at the same places, all or none, and announces
 * it (`TrbStore::changed::history`).
 *
 * Returns: %TRUE on success, else %FALSE with @error set
 */
gboolean
trb_store_history_save_entries (TrbStore                       *store,
                                const char                     *origin,
                                const TrbStoreHistoryNewEntry  *entries,
                                guint                           n_entries,
                                GError                        **error)
{
  g_return_val_if_fail (TRB_IS_STORE (store), FALSE);
  g_return_val_if_fail (origin != NULL, FALSE);
  g_return_val_if_fail (entries != NULL || n_entries == 0, FALSE);

  if (n_entries == 0)
    return TRUE;
  if (!trb_store_exec (store, "SAVEPOINT trb_history_entries", error))
    return FALSE;
  for (guint i = 0; i < n_entries; i++)
    {
      const TrbStoreHistoryNewEntry *e = &entries[i];
      sqlite3_stmt *stmt;

      stmt = trb_store_begin_statement (store,
                                        "INSERT INTO history_entries (origin, leaf_index, type, "
                                        "data, task, round, participant, time) VALUES (?, ?, ?, "
                                        "?, ?, ?, ?, ?) ON CONFLICT (origin, leaf_index) DO "
                                        "UPDATE SET type = excluded.type, data = excluded.data, "
                                        "task = excluded.task, round = excluded.round, "
                                        "participant = excluded.participant, "
                                        "time = excluded.time", error);
      if (stmt != NULL)
        {
          sqlite3_bind_text (stmt, 1, origin, -1, SQLITE_TRANSIENT);
          sqlite3_bind_int64 (stmt, 2, (gint64) e->leaf_index);
          sqlite3_bind_text (stmt, 3, e->type, -1, SQLITE_TRANSIENT);
          sqlite3_bind_text (stmt, 4, e->data, -1, SQLITE_TRANSIENT);
          if (e->task != NULL)
            {
              sqlite3_bind_text (stmt, 5, e->task, -1, SQLITE_TRANSIENT);
              sqlite3_bind_int64 (stmt, 6, e->round);
            }
          sqlite3_bind_text (stmt, 7, e->participant, -1, SQLITE_TRANSIENT);
          sqlite3_bind_int64 (stmt, 8, e->time);
        }
      if (stmt == NULL || !trb_store_step_done (store, stmt, error))
        {
          trb_store_exec (store, "ROLLBACK TO trb_history_entries", NULL);
          trb_store_exec (store, "RELEASE trb_history_entries", NULL);
          return FALSE;
        }
    }
  if (!trb_store_exec (store, "RELEASE trb_history_entries", error))
    return FALSE;

  trb_store_emit_changed (store, TRB_STORE_CHANGE_HISTORY, origin);
  return TRUE;
}

/**
 * trb_store_history_list_unverified:
 * @below: the size of the checkpoint to check against
 *
 * Returns: (transfer full) (element-type guint64): the places of the entries kept and not
 *   verified, below @below, in order, or %NULL with @error set
 */
GArray *
trb_store_history_list_unverified (TrbStore    *store,
                                   const char  *origin,
                                   guint64      below,
                                   GError     **error)
{
  g_autoptr(GArray) indices = NULL;
  sqlite3_stmt *stmt;
  int rc;

  g_return_val_if_fail (TRB_IS_STORE (store), NULL);
  g_return_val_if_fail (origin != NULL, NULL);

  stmt = trb_store_begin_statement (store, "SELECT leaf_index FROM history_entries WHERE "
                                    "origin = ? AND verified_size IS NULL AND leaf_index < ? "
                                    "ORDER BY leaf_index", error);
  if (stmt == NULL)
    return NULL;
  sqlite3_bind_text (stmt, 1, origin, -1, SQLITE_TRANSIENT);
  sqlite3_bind_int64 (stmt, 2, (gint64) MIN (below, G_MAXINT64));
  indices = g_array_new (FALSE, FALSE, sizeof (guint64));
  while ((rc = trb_store_step (store, stmt, error)) == SQLITE_ROW)
    {
      guint64 index = (guint64) sqlite3_column_int64 (stmt, 0);

      g_array_append_val (indices, index);
    }
  if (rc < 0)
    return NULL;
  trb_store_end_statement (store, stmt);
  return g_steal_pointer (&indices);
}

/**
 * trb_store_history_mark_verified:
 * @size: the size of the checkpoint whose tree holds the entry
 *
 * Returns: %TRUE on success, else %FALSE with @error set
 */
gboolean
trb_store_history_mark_verified (TrbStore    *store,
                                 const char  *origin,
                                 guint64      leaf_index,
                                 guint64      size,
                                 GError     **error)
{
  sqlite3_stmt *stmt;

  g_return_val_if_fail (TRB_IS_STORE (store), FALSE);
  g_return_val_if_fail (origin != NULL, FALSE);

  stmt = trb_store_begin_statement (store, "UPDATE history_entries SET verified_size = ?3, "
                                    "problem = NULL WHERE origin = ?1 AND leaf_index = ?2",
                                    error);
  if (stmt == NULL)
    return FALSE;
  sqlite3_bind_text (stmt, 1, origin, -1, SQLITE_TRANSIENT);
  sqlite3_bind_int64 (stmt, 2, (gint64) leaf_index);
  sqlite3_bind_int64 (stmt, 3, (gint64) size);
  return finish_write (store, stmt, origin, error);
}

/**
 * trb_store_history_mark_unverified:
 * @problem: why the entry is not in the verified ledger, in plain words
 *
 * Returns: %TRUE on success, else %FALSE with @error set
 */
gboolean
trb_store_history_mark_unverified (TrbStore    *store,
                                   const char  *origin,
                                   guint64      leaf_index,
                                   const char  *problem,
                                   GError     **error)
{
  sqlite3_stmt *stmt;

  g_return_val_if_fail (TRB_IS_STORE (store), FALSE);
  g_return_val_if_fail (origin != NULL && problem != NULL, FALSE);

  stmt = trb_store_begin_statement (store, "UPDATE history_entries SET verified_size = NULL, "
                                    "problem = ?3 WHERE origin = ?1 AND leaf_index = ?2", error);
  if (stmt == NULL)
    return FALSE;
  sqlite3_bind_text (stmt, 1, origin, -1, SQLITE_TRANSIENT);
  sqlite3_bind_int64 (stmt, 2, (gint64) leaf_index);
  sqlite3_bind_text (stmt, 3, problem, -1, SQLITE_TRANSIENT);
  return finish_write (store, stmt, origin, error);
}

/**
 * trb_store_history_list_entry_tasks:
 *
 * Returns: (transfer full): the tasks named by the entries kept, or %NULL with @error set
 */
GStrv
trb_store_history_list_entry_tasks (TrbStore    *store,
                                    const char  *origin,
                                    GError     **error)
{
  g_return_val_if_fail (TRB_IS_STORE (store), NULL);
  g_return_val_if_fail (origin != NULL, NULL);

  return list_texts (store, "SELECT DISTINCT task FROM history_entries WHERE origin = ?1 AND "
                     "task IS NOT NULL", origin, error);
}

/* Runs @sql, which writes, with the three texts bound. */
static gboolean
write_texts (TrbStore    *store,
             const char  *sql,
             const char  *origin,
             const char  *second,
             const char  *third,
             GError     **error)
{
  sqlite3_stmt *stmt = trb_store_begin_statement (store, sql, error);

  if (stmt == NULL)
    return FALSE;
  sqlite3_bind_text (stmt, 1, origin, -1, SQLITE_TRANSIENT);
  sqlite3_bind_text (stmt, 2, second, -1, SQLITE_TRANSIENT);
  sqlite3_bind_text (stmt, 3, third, -1, SQLITE_TRANSIENT);
  return finish_write (store, stmt, origin, error);
}

/**
 * trb_store_history_save_task:
 * @json: the task's description as the network serves it
 *
 * Returns: %TRUE on success, else %FALSE with @error set
 */
gboolean
trb_store_history_save_task (TrbStore    *store,
                             const char  *origin,
                             const char  *task,
                             const char  *json,
                             GError     **error)
{
  g_return_val_if_fail (TRB_IS_STORE (store), FALSE);
  g_return_val_if_fail (origin != NULL && task != NULL && json != NULL, FALSE);

  return write_texts (store, "INSERT OR REPLACE INTO history_tasks (origin, task, json) "
                      "VALUES (?, ?, ?)", origin, task, json, error);
}

/**
 * trb_store_history_save_dataset:
 * @update_hash: an update this computer sent
 * @dataset: the name of the local data it was trained on
 *
 * Returns: %TRUE on success, else %FALSE with @error set
 */
gboolean
trb_store_history_save_dataset (TrbStore    *store,
                                const char  *origin,
                                const char  *update_hash,
                                const char  *dataset,
                                GError     **error)
{
  g_return_val_if_fail (TRB_IS_STORE (store), FALSE);
  g_return_val_if_fail (origin != NULL && update_hash != NULL && dataset != NULL, FALSE);

  return write_texts (store, "INSERT OR REPLACE INTO history_datasets (origin, update_hash, "
                      "dataset) VALUES (?, ?, ?)", origin, update_hash, dataset, error);
}

/**
 * trb_store_history_save_cosigners:
 * @size: a checkpoint's size
 * @cosigners: how many witnesses cosigned it; a smaller count than one seen before is kept
 *   out
 *
 * Returns: %TRUE on success, else %FALSE with @error set
 */
gboolean
trb_store_history_save_cosigners (TrbStore    *store,
                                  const char  *origin,
                                  guint64      size,
                                  guint        cosigners,
                                  GError     **error)
{
  sqlite3_stmt *stmt;

  g_return_val_if_fail (TRB_IS_STORE (store), FALSE);
  g_return_val_if_fail (origin != NULL, FALSE);

  stmt = trb_store_begin_statement (store, "INSERT INTO history_checkpoints (origin, size, "
                                    "cosigners) VALUES (?, ?, ?) ON CONFLICT (origin, size) DO "
                                    "UPDATE SET cosigners = MAX (cosigners, excluded.cosigners)",
                                    error);
  if (stmt == NULL)
    return FALSE;
  sqlite3_bind_text (stmt, 1, origin, -1, SQLITE_TRANSIENT);
  sqlite3_bind_int64 (stmt, 2, (gint64) size);
  sqlite3_bind_int64 (stmt, 3, cosigners);
  return finish_write (store, stmt, origin, error);
}

/* The integer @sql gives for @origin and @size, 0 when it gives none. */
static gboolean
count_for_size (TrbStore    *store,
                const char  *sql,
                const char  *origin,
                guint64      size,
                guint       *count,
                GError     **error)
{
  sqlite3_stmt *stmt = trb_store_begin_statement (store, sql, error);
  gint64 value;

  if (stmt == NULL)
    return FALSE;
  sqlite3_bind_text (stmt, 1, origin, -1, SQLITE_TRANSIENT);
  sqlite3_bind_int64 (stmt, 2, (gint64) MIN (size, G_MAXINT64));
  if (!step_int (store, stmt, 0, &value, error))
    return FALSE;
  *count = (guint) CLAMP (value, 0, G_MAXUINT);
  return TRUE;
}

/**
 * trb_store_history_get_cosigners:
 * @size: a checkpoint's size
 * @cosigners: (out): the most cosigners seen on a checkpoint of @size or later (any later one
 *   is consistent with it, so its cosigners vouch for it too)
 *
 * Returns: %TRUE on success, else %FALSE with @error set
 */
gboolean
trb_store_history_get_cosigners (TrbStore    *store,
                                 const char  *origin,
                                 guint64      size,
                                 guint       *cosigners,
                                 GError     **error)
{
  g_return_val_if_fail (TRB_IS_STORE (store), FALSE);
  g_return_val_if_fail (origin != NULL && cosigners != NULL, FALSE);

  return count_for_size (store, "SELECT MAX (cosigners) FROM history_checkpoints WHERE "
                         "origin = ? AND size >= ?", origin, size, cosigners, error);
}

/**
 * trb_store_history_count_checkpoints_before:
 * @count: (out): how many verified checkpoints smaller than @size were kept
 *
 * Returns: %TRUE on success, else %FALSE with @error set
 */
gboolean
trb_store_history_count_checkpoints_before (TrbStore    *store,
                                            const char  *origin,
                                            guint64      size,
                                            guint       *count,
                                            GError     **error)
{
  g_return_val_if_fail (TRB_IS_STORE (store), FALSE);
  g_return_val_if_fail (origin != NULL && count != NULL, FALSE);

  return count_for_size (store, "SELECT count(*) FROM ledger_checkpoints WHERE origin = ? AND "
                         "size < ?", origin, size, count, error);
}

/* ---- reading the entries ------------------------------------------------------------------
 *
 * Every query below selects the same columns, so that one reader makes the rows:
 * origin, network name (or NULL), leaf_index, data, verified_size, problem. */

static gpointer
entry_from_row (sqlite3_stmt *stmt,
                gpointer      user_data)
{
  TrbStoreHistoryEntry *entry = g_new0 (TrbStoreHistoryEntry, 1);

  entry->origin = dup_column (stmt, 0);
  entry->network = dup_column (stmt, 1);
  entry->leaf_index = (guint64) sqlite3_column_int64 (stmt, 2);
  entry->data = dup_column (stmt, 3);
  entry->verified = sqlite3_column_type (stmt, 4) != SQLITE_NULL;
  entry->verified_size = (guint64) sqlite3_column_int64 (stmt, 4);
  entry->problem = dup_column (stmt, 5);
  return entry;
}

#define ENTRY_COLUMNS "e.origin, n.name, e.leaf_index, e.data, e.verified_size, e.problem"

static GPtrArray *
read_entries (TrbStore      *store,
              sqlite3_stmt  *stmt,
              GError       **error)
{
  return trb_store_collect_rows (store, stmt, entry_from_row, NULL,
                                 (GDestroyNotify) trb_store_history_entry_free, error);
}

/**
 * trb_store_history_list_mine:
 * @origin: (nullable): a network, or %NULL for all
 * @type: an entry type, for example "reward" or "update_accepted"
 *
 * The entries of @type that concern the wallet this computer joined each network with, with
 * the network's name.
 *
 * Returns: (transfer container) (element-type TrbStoreHistoryEntry): oldest first, or %NULL
 *   with @error set
 */
GPtrArray *
trb_store_history_list_mine (TrbStore    *store,
                             const char  *origin,
                             const char  *type,
                             GError     **error)
{
  sqlite3_stmt *stmt;

  g_return_val_if_fail (TRB_IS_STORE (store), NULL);
  g_return_val_if_fail (type != NULL, NULL);

  stmt = trb_store_begin_statement (store, "SELECT " ENTRY_COLUMNS " FROM history_entries e "
                                    "JOIN net_networks n ON n.origin = e.origin WHERE e.type = "
                                    "?2 AND e.participant = n.address AND (?1 IS NULL OR "
                                    "e.origin = ?1) ORDER BY e.time, e.origin, e.leaf_index",
                                    error);
  if (stmt == NULL)
    return NULL;
  sqlite3_bind_text (stmt, 1, origin, -1, SQLITE_TRANSIENT);
  sqlite3_bind_text (stmt, 2, type, -1, SQLITE_TRANSIENT);
  return read_entries (store, stmt, error);
}

/**
 * trb_store_history_list_round_entries:
 * @type: an entry type, for example "round_closed" or "reward"
 * @participant: (nullable): only the entries of this wallet
 *
 * Returns: (transfer container) (element-type TrbStoreHistoryEntry): the entries of @type for
 *   a task's round, verified ones first, or %NULL with @error set
 */
GPtrArray *
trb_store_history_list_round_entries (TrbStore    *store,
                                      const char  *origin,
                                      const char  *type,
                                      const char  *task,
                                      gint64       round,
                                      const char  *participant,
                                      GError     **error)
{
  sqlite3_stmt *stmt;

  g_return_val_if_fail (TRB_IS_STORE (store), NULL);
  g_return_val_if_fail (origin != NULL && type != NULL && task != NULL, NULL);

  stmt = trb_store_begin_statement (store, "SELECT e.origin, NULL, e.leaf_index, e.data, "
                                    "e.verified_size, e.problem FROM history_entries e WHERE "
                                    "e.origin = ?1 AND e.type = ?2 AND e.task = ?3 AND "
                                    "e.round = ?4 AND (?5 IS NULL OR e.participant = ?5) "
                                    "ORDER BY e.verified_size IS NULL, e.leaf_index", error);
  if (stmt == NULL)
    return NULL;
  sqlite3_bind_text (stmt, 1, origin, -1, SQLITE_TRANSIENT);
  sqlite3_bind_text (stmt, 2, type, -1, SQLITE_TRANSIENT);
  sqlite3_bind_text (stmt, 3, task, -1, SQLITE_TRANSIENT);
  sqlite3_bind_int64 (stmt, 4, round);
  sqlite3_bind_text (stmt, 5, participant, -1, SQLITE_TRANSIENT);
  return read_entries (store, stmt, error);
}

/**
 * trb_store_history_list_closed_rounds:
 * @task: (nullable): a task, or %NULL for all
 *
 * Returns: (transfer container) (element-type TrbStoreHistoryEntry): the entries that close a
 *   round, by task, then round, or %NULL with @error set
 */
GPtrArray *
trb_store_history_list_closed_rounds (TrbStore    *store,
                                      const char  *origin,
                                      const char  *task,
                                      GError     **error)
{
  sqlite3_stmt *stmt;

  g_return_val_if_fail (TRB_IS_STORE (store), NULL);
  g_return_val_if_fail (origin != NULL, NULL);

  stmt = trb_store_begin_statement (store, "SELECT e.origin, NULL, e.leaf_index, e.data, "
                                    "e.verified_size, e.problem FROM history_entries e WHERE "
                                    "e.origin = ?1 AND e.type = 'round_closed' AND (?2 IS NULL "
                                    "OR e.task = ?2) ORDER BY e.task, e.round, e.leaf_index",
                                    error);
  if (stmt == NULL)
    return NULL;
  sqlite3_bind_text (stmt, 1, origin, -1, SQLITE_TRANSIENT);
  sqlite3_bind_text (stmt, 2, task, -1, SQLITE_TRANSIENT);
  return read_entries (store, stmt, error);
}

/**
 * trb_store_history_list_my_verified_updates:
 *
 * Returns: (transfer container) (element-type TrbStoreHistoryEntry): the verified entries of
 *   the updates this computer's wallet had accepted in a task's round, or %NULL with @error
 *   set
 */
GPtrArray *
trb_store_history_list_my_verified_updates (TrbStore    *store,
                                            const char  *origin,
                                            const char  *task,
                                            gint64       round,
                                            GError     **error)
{
  sqlite3_stmt *stmt;

  g_return_val_if_fail (TRB_IS_STORE (store), NULL);
  g_return_val_if_fail (origin != NULL && task != NULL, NULL);

  stmt = trb_store_begin_statement (store, "SELECT " ENTRY_COLUMNS " FROM history_entries e "
                                    "JOIN net_networks n ON n.origin = e.origin WHERE "
                                    "e.origin = ?1 AND e.type = 'update_accepted' AND "
                                    "e.task = ?2 AND e.round = ?3 AND e.participant = n.address "
                                    "AND e.verified_size IS NOT NULL ORDER BY e.leaf_index",
                                    error);
  if (stmt == NULL)
    return NULL;
  sqlite3_bind_text (stmt, 1, origin, -1, SQLITE_TRANSIENT);
  sqlite3_bind_text (stmt, 2, task, -1, SQLITE_TRANSIENT);
  sqlite3_bind_int64 (stmt, 3, round);
  return read_entries (store, stmt, error);
}

/**
 * trb_store_history_list_verified_rounds:
 *
 * Returns: (transfer container) (element-type TrbStoreHistoryEntry): the verified entries
 *   that open or close a round, or %NULL with @error set
 */
GPtrArray *
trb_store_history_list_verified_rounds (TrbStore    *store,
                                        const char  *origin,
                                        GError     **error)
{
  sqlite3_stmt *stmt;

  g_return_val_if_fail (TRB_IS_STORE (store), NULL);
  g_return_val_if_fail (origin != NULL, NULL);

  stmt = trb_store_begin_statement (store, "SELECT e.origin, NULL, e.leaf_index, e.data, "
                                    "e.verified_size, e.problem FROM history_entries e WHERE "
                                    "e.origin = ?1 AND e.type IN ('round_closed', "
                                    "'round_opened') AND e.verified_size IS NOT NULL ORDER BY "
                                    "e.leaf_index", error);
  if (stmt == NULL)
    return NULL;
  sqlite3_bind_text (stmt, 1, origin, -1, SQLITE_TRANSIENT);
  return read_entries (store, stmt, error);
}

void
trb_store_evaluation_free (TrbStoreEvaluation *evaluation)
{
  if (evaluation == NULL)
    return;
  g_free (evaluation->origin);
  g_free (evaluation->task);
  g_free (evaluation->model);
  g_free (evaluation->dataset);
  g_free (evaluation);
}

/**
 * trb_store_history_save_evaluation:
 * @accuracy: between 0 and 1 (clamped)
 *
 * Keeps a result, replacing an earlier one for the same version and data, and announces it
 * (`TrbStore::changed::history`).
 *
 * Returns: %TRUE on success, else %FALSE with @error set
 */
gboolean
trb_store_history_save_evaluation (TrbStore    *store,
                                   const char  *origin,
                                   const char  *task,
                                   const char  *model,
                                   const char  *dataset,
                                   double       accuracy,
                                   GError     **error)
{
  sqlite3_stmt *stmt;

  g_return_val_if_fail (TRB_IS_STORE (store), FALSE);
  g_return_val_if_fail (origin != NULL && task != NULL && model != NULL && dataset != NULL,
                        FALSE);

  stmt = trb_store_begin_statement (store,
                                    "INSERT OR REPLACE INTO history_evaluations (origin, task, "
                                    "model, dataset, accuracy, time) VALUES (?, ?, ?, ?, ?, ?)",
                                    error);
  if (stmt == NULL)
    return FALSE;
  sqlite3_bind_text (stmt, 1, origin, -1, SQLITE_TRANSIENT);
  sqlite3_bind_text (stmt, 2, task, -1, SQLITE_TRANSIENT);
  sqlite3_bind_text (stmt, 3, model, -1, SQLITE_TRANSIENT);
  sqlite3_bind_text (stmt, 4, dataset, -1, SQLITE_TRANSIENT);
  sqlite3_bind_double (stmt, 5, CLAMP (accuracy, 0, 1));
  sqlite3_bind_int64 (stmt, 6, g_get_real_time () / G_USEC_PER_SEC);
  if (!trb_store_step_done (store, stmt, error))
    return FALSE;

  trb_store_emit_changed (store, TRB_STORE_CHANGE_HISTORY, origin);
  return TRUE;
}

static gpointer
result_from_row (sqlite3_stmt *stmt,
                 gpointer      user_data)
{
  TrbStoreEvaluation *result = g_new0 (TrbStoreEvaluation, 1);

  result->origin = g_strdup (user_data);
  result->task = g_strdup ((const char *) sqlite3_column_text (stmt, 0));
  result->model = g_strdup ((const char *) sqlite3_column_text (stmt, 1));
  result->dataset = g_strdup ((const char *) sqlite3_column_text (stmt, 2));
  result->accuracy = sqlite3_column_double (stmt, 3);
  result->time = sqlite3_column_int64 (stmt, 4);
  return result;
}

/**
 * trb_store_history_list_evaluations:
 * @model: (nullable): a model version's hash, or %NULL for all of the network's
 *
 * Returns: (transfer container) (element-type TrbStoreEvaluation): the results kept, oldest
 *   first, or %NULL with @error set
 */
GPtrArray *
trb_store_history_list_evaluations (TrbStore    *store,
                                    const char  *origin,
                                    const char  *model,
                                    GError     **error)
{
  sqlite3_stmt *stmt;

  g_return_val_if_fail (TRB_IS_STORE (store), NULL);
  g_return_val_if_fail (origin != NULL, NULL);

  stmt = trb_store_begin_statement (store,
                                    "SELECT task, model, dataset, accuracy, time FROM "
                                    "history_evaluations WHERE origin = ?1 AND (?2 IS NULL OR "
                                    "model = ?2) ORDER BY time, dataset", error);
  if (stmt == NULL)
    return NULL;
  sqlite3_bind_text (stmt, 1, origin, -1, SQLITE_TRANSIENT);
  sqlite3_bind_text (stmt, 2, model, -1, SQLITE_TRANSIENT);
  return trb_store_collect_rows (store, stmt, result_from_row, (gpointer) origin,
                                 (GDestroyNotify) trb_store_evaluation_free, error);
}

/**
 * trb_store_history_remove_evaluation:
 *
 * Forgets a result kept by trb_store_history_save_evaluation(), and announces it
 * (`TrbStore::changed::history`).
 *
 * Returns: %TRUE on success, else %FALSE with @error set
 */
gboolean
trb_store_history_remove_evaluation (TrbStore    *store,
                                     const char  *origin,
                                     const char  *model,
                                     const char  *dataset,
                                     GError     **error)
{
  sqlite3_stmt *stmt;

  g_return_val_if_fail (TRB_IS_STORE (store), FALSE);
  g_return_val_if_fail (origin != NULL && model != NULL && dataset != NULL, FALSE);

  stmt = trb_store_begin_statement (store,
                                    "DELETE FROM history_evaluations WHERE origin = ? AND "
                                    "model = ? AND dataset = ?", error);
  if (stmt == NULL)
    return FALSE;
  sqlite3_bind_text (stmt, 1, origin, -1, SQLITE_TRANSIENT);
  sqlite3_bind_text (stmt, 2, model, -1, SQLITE_TRANSIENT);
  sqlite3_bind_text (stmt, 3, dataset, -1, SQLITE_TRANSIENT);
  if (!trb_store_step_done (store, stmt, error))
    return FALSE;

  trb_store_emit_changed (store, TRB_STORE_CHANGE_HISTORY, origin);
  return TRUE;
}

/* The text in the first column of the one row @sql returns for @first and @second, or %NULL
 * when there is none. */
static gboolean
lookup_text (TrbStore    *store,
             const char  *sql,
             const char  *first,
             const char  *second,
             char       **text,
             GError     **error)
{
  sqlite3_stmt *stmt;
  int rc;

  *text = NULL;
  stmt = trb_store_begin_statement (store, sql, error);
  if (stmt == NULL)
    return FALSE;
  sqlite3_bind_text (stmt, 1, first, -1, SQLITE_TRANSIENT);
  sqlite3_bind_text (stmt, 2, second, -1, SQLITE_TRANSIENT);
  rc = trb_store_step (store, stmt, error);
  if (rc < 0)
    return FALSE;
  if (rc == SQLITE_ROW)
    *text = g_strdup ((const char *) sqlite3_column_text (stmt, 0));
  trb_store_end_statement (store, stmt);
  return TRUE;
}

/**
 * trb_store_history_lookup_dataset:
 * @update_hash: an update's hash
 * @dataset: (out) (transfer full) (nullable): the name of the data it was trained on, or
 *   %NULL when none was written down
 *
 * Returns: %TRUE on success, else %FALSE with @error set
 */
gboolean
trb_store_history_lookup_dataset (TrbStore    *store,
                                  const char  *origin,
                                  const char  *update_hash,
                                  char       **dataset,
                                  GError     **error)
{
  g_return_val_if_fail (TRB_IS_STORE (store), FALSE);
  g_return_val_if_fail (dataset != NULL, FALSE);

  return lookup_text (store, "SELECT dataset FROM history_datasets WHERE origin = ? AND "
                      "update_hash = ?", origin, update_hash, dataset, error);
}

/**
 * trb_store_history_lookup_task:
 * @json: (out) (transfer full) (nullable): the task's description as the network served it,
 *   or %NULL when it was not fetched
 *
 * Returns: %TRUE on success, else %FALSE with @error set
 */
gboolean
trb_store_history_lookup_task (TrbStore    *store,
                               const char  *origin,
                               const char  *task,
                               char       **json,
                               GError     **error)
{
  g_return_val_if_fail (TRB_IS_STORE (store), FALSE);
  g_return_val_if_fail (json != NULL, FALSE);

  return lookup_text (store, "SELECT json FROM history_tasks WHERE origin = ? AND task = ?",
                      origin, task, json, error);
}

/**
 * trb_store_history_set_recomputed:
 * @model: a model version's hash
 *
 * Writes down that this computer recomputed @model from its round's published updates and
 * found the network's record right.
 *
 * Returns: %TRUE on success, else %FALSE with @error set
 */
gboolean
trb_store_history_set_recomputed (TrbStore    *store,
                                  const char  *origin,
                                  const char  *model,
                                  GError     **error)
{
  g_return_val_if_fail (TRB_IS_STORE (store), FALSE);
  g_return_val_if_fail (origin != NULL && model != NULL, FALSE);

  /* The third text is bound to no parameter: write_texts() binds three, this uses two. */
  return write_texts (store, "INSERT OR IGNORE INTO history_recomputed (origin, model) "
                      "VALUES (?, ?)", origin, model, NULL, error);
}

/**
 * trb_store_history_is_recomputed:
 * @model: a model version's hash
 * @recomputed: (out): whether this computer recomputed it and found it right
 *
 * Returns: %TRUE on success, else %FALSE with @error set
 */
gboolean
trb_store_history_is_recomputed (TrbStore    *store,
                                 const char  *origin,
                                 const char  *model,
                                 gboolean    *recomputed,
                                 GError     **error)
{
  g_autofree char *found = NULL;

  g_return_val_if_fail (TRB_IS_STORE (store), FALSE);
  g_return_val_if_fail (recomputed != NULL, FALSE);

  if (!lookup_text (store, "SELECT model FROM history_recomputed WHERE origin = ? AND model = ?",
                    origin, model, &found, error))
    return FALSE;
  *recomputed = found != NULL;
  return TRUE;
}
