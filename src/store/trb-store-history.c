/* trb-store-history.c
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * History's tables (component "history", created by trb_history_migrate()): so far the
 * results of "Evaluate on My Data", kept until the person removes them, the names of the data
 * each update was trained on, and the tasks' descriptions.
 */

#define G_LOG_DOMAIN "trb-store-history"

#include "config.h"

#include "trb-store-history.h"
#include "trb-store-sql.h"

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
  g_autoptr(GPtrArray) results = NULL;
  sqlite3_stmt *stmt;
  int rc;

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
  results = g_ptr_array_new_with_free_func ((GDestroyNotify) trb_store_evaluation_free);
  while ((rc = trb_store_step (store, stmt, error)) == SQLITE_ROW)
    {
      TrbStoreEvaluation *result = g_new0 (TrbStoreEvaluation, 1);

      result->origin = g_strdup (origin);
      result->task = g_strdup ((const char *) sqlite3_column_text (stmt, 0));
      result->model = g_strdup ((const char *) sqlite3_column_text (stmt, 1));
      result->dataset = g_strdup ((const char *) sqlite3_column_text (stmt, 2));
      result->accuracy = sqlite3_column_double (stmt, 3);
      result->time = sqlite3_column_int64 (stmt, 4);
      g_ptr_array_add (results, result);
    }
  if (rc < 0)
    return NULL;
  trb_store_end_statement (store, stmt);
  return g_steal_pointer (&results);
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
