/* trb-store-datasets.c
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * The datasets' tables (component "datasets"): each dataset ever checked, with the salt of
 * its fingerprints, its last check and whether the person added it to the list; and which
 * networks learn from which dataset. Every write announces itself as
 * `TrbStore::changed::datasets`.
 */

#define G_LOG_DOMAIN "trb-store-datasets"

#include "config.h"

#include "trb-store-datasets.h"
#include "trb-store-sql.h"

#include <glib/gi18n.h>

static const char * const datasets_schema[] = {
  "CREATE TABLE datasets ("
  "  id INTEGER PRIMARY KEY,"
  "  path TEXT NOT NULL UNIQUE,"
  "  format TEXT NOT NULL,"
  "  label_column TEXT,"
  "  salt BLOB NOT NULL,"
  "  added INTEGER NOT NULL DEFAULT 0,"
  "  paused INTEGER NOT NULL DEFAULT 0,"
  "  stamp TEXT,"
  "  fingerprint TEXT,"
  "  report TEXT,"
  "  problem TEXT,"
  "  added_at INTEGER,"
  "  checked_at INTEGER"
  ");"
  "CREATE TABLE dataset_networks ("
  "  dataset_id INTEGER NOT NULL REFERENCES datasets (id) ON DELETE CASCADE,"
  "  network TEXT NOT NULL,"
  "  PRIMARY KEY (dataset_id, network)"
  ");",
};

#define ROW_COLUMNS "id, path, format, paused, report, problem"

void
trb_store_dataset_row_free (TrbStoreDatasetRow *row)
{
  if (row == NULL)
    return;
  g_free (row->path);
  g_free (row->format);
  g_free (row->report);
  g_free (row->problem);
  g_free (row);
}

static char *
dup_column (sqlite3_stmt *stmt,
            int           column)
{
  return g_strdup ((const char *) sqlite3_column_text (stmt, column));
}

static GBytes *
bytes_column (sqlite3_stmt *stmt,
              int           column)
{
  return g_bytes_new (sqlite3_column_blob (stmt, column), sqlite3_column_bytes (stmt, column));
}

static gpointer
row_from_statement (sqlite3_stmt *stmt,
                    gpointer      user_data)
{
  TrbStoreDatasetRow *row = g_new0 (TrbStoreDatasetRow, 1);

  row->id = sqlite3_column_int64 (stmt, 0);
  row->path = dup_column (stmt, 1);
  row->format = dup_column (stmt, 2);
  row->paused = sqlite3_column_int (stmt, 3) != 0;
  row->report = dup_column (stmt, 4);
  row->problem = dup_column (stmt, 5);
  return row;
}

/* Runs a write on row @id with an optional text second parameter, and announces it. */
static gboolean
write_row (TrbStore    *store,
           const char  *sql,
           gint64       id,
           const char  *text,
           GError     **error)
{
  sqlite3_stmt *stmt;

  stmt = trb_store_begin_statement (store, sql, error);
  if (stmt == NULL)
    return FALSE;
  sqlite3_bind_int64 (stmt, 1, id);
  if (text != NULL)
    sqlite3_bind_text (stmt, 2, text, -1, SQLITE_TRANSIENT);
  if (!trb_store_step_done (store, stmt, error))
    return FALSE;
  trb_store_emit_changed (store, TRB_STORE_CHANGE_DATASETS, NULL);
  return TRUE;
}

/**
 * trb_store_datasets_migrate:
 *
 * Creates or updates the tables of component "datasets".
 */
gboolean
trb_store_datasets_migrate (TrbStore  *store,
                            GError   **error)
{
  return trb_store_migrate (store, "datasets", datasets_schema,
                            G_N_ELEMENTS (datasets_schema), error);
}

/**
 * trb_store_datasets_list_added:
 *
 * Returns: (transfer container) (element-type TrbStoreDatasetRow): the datasets in the
 *   person's list, oldest first, or %NULL with @error set
 */
GPtrArray *
trb_store_datasets_list_added (TrbStore  *store,
                               GError   **error)
{
  sqlite3_stmt *stmt;

  g_return_val_if_fail (TRB_IS_STORE (store), NULL);

  stmt = trb_store_begin_statement (store, "SELECT " ROW_COLUMNS " FROM datasets "
                                    "WHERE added = 1 ORDER BY id", error);
  if (stmt == NULL)
    return NULL;
  return trb_store_collect_rows (store, stmt, row_from_statement, NULL,
                                 (GDestroyNotify) trb_store_dataset_row_free, error);
}

/**
 * trb_store_datasets_get:
 *
 * Returns: (transfer full): the row of @id, or %NULL with @error set (also when there is none)
 */
TrbStoreDatasetRow *
trb_store_datasets_get (TrbStore  *store,
                        gint64     id,
                        GError   **error)
{
  TrbStoreDatasetRow *row = NULL;
  sqlite3_stmt *stmt;
  int rc;

  g_return_val_if_fail (TRB_IS_STORE (store), NULL);

  stmt = trb_store_begin_statement (store, "SELECT " ROW_COLUMNS " FROM datasets "
                                    "WHERE id = ?1", error);
  if (stmt == NULL)
    return NULL;
  sqlite3_bind_int64 (stmt, 1, id);
  rc = trb_store_step (store, stmt, error);
  if (rc < 0)
    return NULL;
  if (rc == SQLITE_ROW)
    row = row_from_statement (stmt, NULL);
  trb_store_end_statement (store, stmt);
  if (row == NULL)
    g_set_error_literal (error, TRB_STORE_ERROR, TRB_STORE_ERROR_QUERY,
                         _("The dataset is no longer in the local database"));
  return row;
}

/**
 * trb_store_datasets_list_networks:
 *
 * Returns: (transfer full): the networks that learn from dataset @id, by name, or %NULL with
 *   @error set
 */
GStrv
trb_store_datasets_list_networks (TrbStore  *store,
                                  gint64     id,
                                  GError   **error)
{
  sqlite3_stmt *stmt;

  g_return_val_if_fail (TRB_IS_STORE (store), NULL);

  stmt = trb_store_begin_statement (store, "SELECT network FROM dataset_networks "
                                    "WHERE dataset_id = ?1 ORDER BY network", error);
  if (stmt == NULL)
    return NULL;
  sqlite3_bind_int64 (stmt, 1, id);
  return trb_store_collect_texts (store, stmt, error);
}

/**
 * trb_store_datasets_find_path:
 * @path: a canonical path
 * @id: (out): the row's id, 0 when there is none
 * @salt: (out) (transfer full): its salt, %NULL when there is no row
 * @stamp: (out) (optional) (transfer full) (nullable): the last check's stamp
 * @fingerprint: (out) (optional) (transfer full) (nullable): the last check's fingerprint
 *
 * Returns: %TRUE on success (found or not), else %FALSE with @error set
 */
gboolean
trb_store_datasets_find_path (TrbStore    *store,
                              const char  *path,
                              gint64      *id,
                              GBytes     **salt,
                              char       **stamp,
                              char       **fingerprint,
                              GError     **error)
{
  sqlite3_stmt *stmt;
  int rc;

  g_return_val_if_fail (TRB_IS_STORE (store), FALSE);
  g_return_val_if_fail (path != NULL && id != NULL && salt != NULL, FALSE);

  *id = 0;
  *salt = NULL;
  stmt = trb_store_begin_statement (store, "SELECT id, salt, stamp, fingerprint FROM datasets "
                                    "WHERE path = ?1", error);
  if (stmt == NULL)
    return FALSE;
  sqlite3_bind_text (stmt, 1, path, -1, SQLITE_TRANSIENT);
  rc = trb_store_step (store, stmt, error);
  if (rc < 0)
    return FALSE;
  if (rc == SQLITE_ROW)
    {
      *id = sqlite3_column_int64 (stmt, 0);
      *salt = bytes_column (stmt, 1);
      if (stamp != NULL)
        *stamp = dup_column (stmt, 2);
      if (fingerprint != NULL)
        *fingerprint = dup_column (stmt, 3);
    }
  trb_store_end_statement (store, stmt);
  return TRUE;
}

/**
 * trb_store_datasets_insert:
 * @format: the format's name
 * @label_column: (nullable): the CSV label column
 * @salt: the salt of the dataset's fingerprints
 * @id: (out): the new row's id
 *
 * Writes down a dataset met for the first time, not in the list yet.
 */
gboolean
trb_store_datasets_insert (TrbStore    *store,
                           const char  *path,
                           const char  *format,
                           const char  *label_column,
                           GBytes      *salt,
                           gint64      *id,
                           GError     **error)
{
  sqlite3_stmt *stmt;
  gsize salt_size;
  gconstpointer salt_data;

  g_return_val_if_fail (TRB_IS_STORE (store), FALSE);
  g_return_val_if_fail (path != NULL && format != NULL && salt != NULL && id != NULL, FALSE);

  stmt = trb_store_begin_statement (store, "INSERT INTO datasets (path, format, label_column, "
                                    "salt) VALUES (?1, ?2, ?3, ?4)", error);
  if (stmt == NULL)
    return FALSE;
  salt_data = g_bytes_get_data (salt, &salt_size);
  sqlite3_bind_text (stmt, 1, path, -1, SQLITE_TRANSIENT);
  sqlite3_bind_text (stmt, 2, format, -1, SQLITE_TRANSIENT);
  if (label_column != NULL)
    sqlite3_bind_text (stmt, 3, label_column, -1, SQLITE_TRANSIENT);
  sqlite3_bind_blob (stmt, 4, salt_data, (int) salt_size, SQLITE_TRANSIENT);
  if (trb_store_step (store, stmt, error) < 0)
    return FALSE;
  /* Read while the statement still holds the store, so that no other thread's insert comes
   * between. */
  *id = sqlite3_last_insert_rowid (trb_store_get_db (store));
  trb_store_end_statement (store, stmt);
  trb_store_emit_changed (store, TRB_STORE_CHANGE_DATASETS, NULL);
  return TRUE;
}

/**
 * trb_store_datasets_mark_added:
 * @label_column: (nullable): the CSV label column
 *
 * Puts dataset @id in the person's list, not paused.
 */
gboolean
trb_store_datasets_mark_added (TrbStore    *store,
                               gint64       id,
                               const char  *label_column,
                               GError     **error)
{
  sqlite3_stmt *stmt;

  g_return_val_if_fail (TRB_IS_STORE (store), FALSE);

  stmt = trb_store_begin_statement (store, "UPDATE datasets SET added = 1, paused = 0, "
                                    "added_at = ?2, label_column = ?3 WHERE id = ?1", error);
  if (stmt == NULL)
    return FALSE;
  sqlite3_bind_int64 (stmt, 1, id);
  sqlite3_bind_int64 (stmt, 2, g_get_real_time () / G_USEC_PER_SEC);
  if (label_column != NULL)
    sqlite3_bind_text (stmt, 3, label_column, -1, SQLITE_TRANSIENT);
  if (!trb_store_step_done (store, stmt, error))
    return FALSE;
  trb_store_emit_changed (store, TRB_STORE_CHANGE_DATASETS, NULL);
  return TRUE;
}

/**
 * trb_store_datasets_save_report:
 * @report: the check's report, as JSON
 *
 * Writes down a check that succeeded.
 */
gboolean
trb_store_datasets_save_report (TrbStore    *store,
                                gint64       id,
                                const char  *report,
                                const char  *fingerprint,
                                const char  *stamp,
                                GError     **error)
{
  sqlite3_stmt *stmt;

  g_return_val_if_fail (TRB_IS_STORE (store), FALSE);
  g_return_val_if_fail (report != NULL, FALSE);

  stmt = trb_store_begin_statement (store, "UPDATE datasets SET report = ?2, fingerprint = ?3, "
                                    "stamp = ?4, problem = NULL, checked_at = ?5 WHERE id = ?1",
                                    error);
  if (stmt == NULL)
    return FALSE;
  sqlite3_bind_int64 (stmt, 1, id);
  sqlite3_bind_text (stmt, 2, report, -1, SQLITE_TRANSIENT);
  sqlite3_bind_text (stmt, 3, fingerprint, -1, SQLITE_TRANSIENT);
  sqlite3_bind_text (stmt, 4, stamp, -1, SQLITE_TRANSIENT);
  sqlite3_bind_int64 (stmt, 5, g_get_real_time () / G_USEC_PER_SEC);
  if (!trb_store_step_done (store, stmt, error))
    return FALSE;
  trb_store_emit_changed (store, TRB_STORE_CHANGE_DATASETS, NULL);
  return TRUE;
}

/**
 * trb_store_datasets_save_problem:
 * @problem: (nullable): why the check failed
 *
 * Writes down a check that failed; the last good report stays.
 */
gboolean
trb_store_datasets_save_problem (TrbStore    *store,
                                 gint64       id,
                                 const char  *problem,
                                 GError     **error)
{
  sqlite3_stmt *stmt;

  g_return_val_if_fail (TRB_IS_STORE (store), FALSE);

  stmt = trb_store_begin_statement (store, "UPDATE datasets SET problem = ?2, checked_at = ?3 "
                                    "WHERE id = ?1", error);
  if (stmt == NULL)
    return FALSE;
  sqlite3_bind_int64 (stmt, 1, id);
  sqlite3_bind_text (stmt, 2, problem, -1, SQLITE_TRANSIENT);
  sqlite3_bind_int64 (stmt, 3, g_get_real_time () / G_USEC_PER_SEC);
  if (!trb_store_step_done (store, stmt, error))
    return FALSE;
  trb_store_emit_changed (store, TRB_STORE_CHANGE_DATASETS, NULL);
  return TRUE;
}

/**
 * trb_store_datasets_get_salt:
 * @salt: (out) (transfer full): the salt of dataset @id, %NULL when there is no such row
 * @label_column: (out) (optional) (transfer full) (nullable): its CSV label column
 *
 * Returns: %TRUE on success (found or not), else %FALSE with @error set
 */
gboolean
trb_store_datasets_get_salt (TrbStore  *store,
                             gint64     id,
                             GBytes   **salt,
                             char     **label_column,
                             GError   **error)
{
  sqlite3_stmt *stmt;
  int rc;

  g_return_val_if_fail (TRB_IS_STORE (store), FALSE);
  g_return_val_if_fail (salt != NULL, FALSE);

  *salt = NULL;
  stmt = trb_store_begin_statement (store, "SELECT salt, label_column FROM datasets "
                                    "WHERE id = ?1", error);
  if (stmt == NULL)
    return FALSE;
  sqlite3_bind_int64 (stmt, 1, id);
  rc = trb_store_step (store, stmt, error);
  if (rc < 0)
    return FALSE;
  if (rc == SQLITE_ROW)
    {
      *salt = bytes_column (stmt, 0);
      if (label_column != NULL)
        *label_column = dup_column (stmt, 1);
    }
  trb_store_end_statement (store, stmt);
  return TRUE;
}

/**
 * trb_store_datasets_delete:
 *
 * Forgets dataset @id, its salt included.
 */
gboolean
trb_store_datasets_delete (TrbStore  *store,
                           gint64     id,
                           GError   **error)
{
  g_return_val_if_fail (TRB_IS_STORE (store), FALSE);

  return write_row (store, "DELETE FROM datasets WHERE id = ?1", id, NULL, error);
}

gboolean
trb_store_datasets_set_paused (TrbStore  *store,
                               gint64     id,
                               gboolean   paused,
                               GError   **error)
{
  g_return_val_if_fail (TRB_IS_STORE (store), FALSE);

  return write_row (store,
                    paused ? "UPDATE datasets SET paused = 1 WHERE id = ?1"
                           : "UPDATE datasets SET paused = 0 WHERE id = ?1",
                    id, NULL, error);
}

/**
 * trb_store_datasets_set_used_by:
 * @used: whether @network now learns from dataset @id
 */
gboolean
trb_store_datasets_set_used_by (TrbStore    *store,
                                gint64       id,
                                const char  *network,
                                gboolean     used,
                                GError     **error)
{
  g_return_val_if_fail (TRB_IS_STORE (store), FALSE);
  g_return_val_if_fail (network != NULL, FALSE);

  return write_row (store,
                    used ? "INSERT OR IGNORE INTO dataset_networks (dataset_id, network) "
                           "VALUES (?1, ?2)"
                         : "DELETE FROM dataset_networks WHERE dataset_id = ?1 AND network = ?2",
                    id, network, error);
}
