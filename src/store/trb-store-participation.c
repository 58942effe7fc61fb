/* trb-store-participation.c
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * The participation loop's tables (component "participation"): the joined networks, each
 * loop's state, the event log; and the receipts a contribution earns. Written by the loop on
 * every change of state: a failure here is what would make a loop resume from a stale state
 * after a crash, so it always goes back to the loop as an error.
 */

#define G_LOG_DOMAIN "trb-store-participation"

#include "config.h"

#include "trb-store-participation.h"
#include "trb-store-sql.h"

static const char * const participation_schema[] = {
  "CREATE TABLE participation_networks (origin TEXT PRIMARY KEY, url TEXT NOT NULL,"
  "  name TEXT NOT NULL, ledger_key TEXT NOT NULL, task TEXT NOT NULL, dataset TEXT NOT NULL,"
  "  wallet TEXT, joined INTEGER NOT NULL);"
  "CREATE TABLE participation (origin TEXT PRIMARY KEY, state TEXT NOT NULL,"
  "  round INTEGER NOT NULL DEFAULT 0, model TEXT, seed INTEGER NOT NULL DEFAULT 0,"
  "  update_hash TEXT, last_round INTEGER NOT NULL DEFAULT 0, problem TEXT,"
  "  retry_at INTEGER NOT NULL DEFAULT 0, failures INTEGER NOT NULL DEFAULT 0);"
  "CREATE TABLE participation_events (id INTEGER PRIMARY KEY AUTOINCREMENT,"
  "  time INTEGER NOT NULL, origin TEXT NOT NULL, kind TEXT NOT NULL, message TEXT NOT NULL);",
  /* How far the ledger was read for this address's rewards. */
  "ALTER TABLE participation ADD COLUMN ledger_scanned INTEGER NOT NULL DEFAULT 0;",
  /* Updates refused in a row for a reason that does not go away (trb_problem_kind()). */
  "ALTER TABLE participation ADD COLUMN refusals INTEGER NOT NULL DEFAULT 0;",
};

void
trb_store_participation_row_clear (TrbStoreParticipationRow *row)
{
  g_return_if_fail (row != NULL);

  g_clear_pointer (&row->state, g_free);
  g_clear_pointer (&row->model, g_free);
  g_clear_pointer (&row->update_hash, g_free);
  g_clear_pointer (&row->problem, g_free);
}

/**
 * trb_store_participation_migrate:
 *
 * Creates or updates the tables of component "participation". The receipts' table belongs
 * to component "net" (trb_contributor_migrate()).
 *
 * Returns: %TRUE on success
 */
gboolean
trb_store_participation_migrate (TrbStore  *store,
                                 GError   **error)
{
  return trb_store_migrate (store, "participation", participation_schema,
                            G_N_ELEMENTS (participation_schema), error);
}

/**
 * trb_store_participation_save:
 * @origin: the network
 * @row: the loop's state
 *
 * Writes down the loop's state for @origin and announces it
 * (`TrbStore::changed::participation`).
 *
 * Returns: %TRUE once written, else %FALSE with @error set
 */
gboolean
trb_store_participation_save (TrbStore                        *store,
                              const char                      *origin,
                              const TrbStoreParticipationRow  *row,
                              GError                         **error)
{
  sqlite3_stmt *stmt;

  g_return_val_if_fail (TRB_IS_STORE (store), FALSE);
  g_return_val_if_fail (origin != NULL, FALSE);
  g_return_val_if_fail (row != NULL && row->state != NULL, FALSE);

  stmt = trb_store_begin_statement (store,
                                    "INSERT OR REPLACE INTO participation (origin, state, round, "
                                    "model, seed, update_hash, last_round, problem, retry_at, "
                                    "failures, ledger_scanned, refusals) "
                                    "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)", error);
  if (stmt == NULL)
    return FALSE;
  sqlite3_bind_text (stmt, 1, origin, -1, SQLITE_TRANSIENT);
  sqlite3_bind_text (stmt, 2, row->state, -1, SQLITE_TRANSIENT);
  sqlite3_bind_int64 (stmt, 3, row->round);
  sqlite3_bind_text (stmt, 4, row->model, -1, SQLITE_TRANSIENT);
  sqlite3_bind_int64 (stmt, 5, (gint64) row->seed);
  sqlite3_bind_text (stmt, 6, row->update_hash, -1, SQLITE_TRANSIENT);
  sqlite3_bind_int64 (stmt, 7, row->last_round);
  sqlite3_bind_text (stmt, 8, row->problem, -1, SQLITE_TRANSIENT);
  sqlite3_bind_int64 (stmt, 9, row->retry_at);
  sqlite3_bind_int (stmt, 10, row->failures);
  sqlite3_bind_int64 (stmt, 11, (gint64) row->ledger_scanned);
  sqlite3_bind_int (stmt, 12, row->refusals);
  if (!trb_store_step_done (store, stmt, error))
    return FALSE;

  trb_store_emit_changed (store, TRB_STORE_CHANGE_PARTICIPATION, origin);
  return TRUE;
}

static char *
dup_column (sqlite3_stmt *stmt,
            int           column)
{
  return g_strdup ((const char *) sqlite3_column_text (stmt, column));
}

/**
 * trb_store_participation_load:
 * @origin: the network
 * @row: (out caller-allocates): filled when a state was written down
 * @found: (out): whether one was
 *
 * Returns: %TRUE on success (found or not), else %FALSE with @error set
 */
gboolean
trb_store_participation_load (TrbStore                  *store,
                              const char                *origin,
                              TrbStoreParticipationRow  *row,
                              gboolean                  *found,
                              GError                   **error)
{
  sqlite3_stmt *stmt;
  int rc;

  g_return_val_if_fail (TRB_IS_STORE (store), FALSE);
  g_return_val_if_fail (origin != NULL, FALSE);
  g_return_val_if_fail (row != NULL && found != NULL, FALSE);

  *found = FALSE;
  stmt = trb_store_begin_statement (store,
                                    "SELECT state, round, model, seed, update_hash, last_round, "
                                    "problem, retry_at, failures, ledger_scanned, refusals "
                                    "FROM participation WHERE origin = ?", error);
  if (stmt == NULL)
    return FALSE;
  sqlite3_bind_text (stmt, 1, origin, -1, SQLITE_TRANSIENT);
  rc = trb_store_step (store, stmt, error);
  if (rc < 0)
    return FALSE;
  if (rc == SQLITE_ROW)
    {
      *found = TRUE;
      row->state = dup_column (stmt, 0);
      row->round = sqlite3_column_int64 (stmt, 1);
      row->model = dup_column (stmt, 2);
      row->seed = (guint64) sqlite3_column_int64 (stmt, 3);
      row->update_hash = dup_column (stmt, 4);
      row->last_round = sqlite3_column_int64 (stmt, 5);
      row->problem = dup_column (stmt, 6);
      row->retry_at = sqlite3_column_int64 (stmt, 7);
      row->failures = sqlite3_column_int (stmt, 8);
      row->ledger_scanned = (guint64) sqlite3_column_int64 (stmt, 9);
      row->refusals = sqlite3_column_int (stmt, 10);
    }
  trb_store_end_statement (store, stmt);
  return TRUE;
}

/**
 * trb_store_participation_log_event:
 * @origin: the network
 * @kind: the event's kind ("contributed", "problem", …)
 * @message: what happened, in words
 *
 * Appends to the event log and announces it (`TrbStore::changed::events`).
 *
 * Returns: %TRUE on success, else %FALSE with @error set
 */
gboolean
trb_store_participation_log_event (TrbStore    *store,
                                   const char  *origin,
                                   const char  *kind,
                                   const char  *message,
                                   GError     **error)
{
  sqlite3_stmt *stmt;

  g_return_val_if_fail (TRB_IS_STORE (store), FALSE);
  g_return_val_if_fail (origin != NULL && kind != NULL && message != NULL, FALSE);

  stmt = trb_store_begin_statement (store,
                                    "INSERT INTO participation_events (time, origin, kind, "
                                    "message) VALUES (?, ?, ?, ?)", error);
  if (stmt == NULL)
    return FALSE;
  sqlite3_bind_int64 (stmt, 1, g_get_real_time () / G_USEC_PER_SEC);
  sqlite3_bind_text (stmt, 2, origin, -1, SQLITE_TRANSIENT);
  sqlite3_bind_text (stmt, 3, kind, -1, SQLITE_TRANSIENT);
  sqlite3_bind_text (stmt, 4, message, -1, SQLITE_TRANSIENT);
  if (!trb_store_step_done (store, stmt, error))
    return FALSE;

  trb_store_emit_changed (store, TRB_STORE_CHANGE_EVENTS, origin);
  return TRUE;
}

/**
 * trb_store_participation_add_receipt:
 *
 * Keeps the receipt of an accepted update (once per leaf).
 *
 * Returns: %TRUE on success, else %FALSE with @error set
 */
gboolean
trb_store_participation_add_receipt (TrbStore    *store,
                                     const char  *origin,
                                     gint64       leaf_index,
                                     const char  *task,
                                     gint64       round,
                                     const char  *participant,
                                     const char  *update_hash,
                                     GError     **error)
{
  sqlite3_stmt *stmt;

  g_return_val_if_fail (TRB_IS_STORE (store), FALSE);

  stmt = trb_store_begin_statement (store,
                                    "INSERT OR IGNORE INTO net_receipts (origin, leaf_index, "
                                    "task, round, participant, update_hash) "
                                    "VALUES (?, ?, ?, ?, ?, ?)", error);
  if (stmt == NULL)
    return FALSE;
  sqlite3_bind_text (stmt, 1, origin, -1, SQLITE_TRANSIENT);
  sqlite3_bind_int64 (stmt, 2, leaf_index);
  sqlite3_bind_text (stmt, 3, task, -1, SQLITE_TRANSIENT);
  sqlite3_bind_int64 (stmt, 4, round);
  sqlite3_bind_text (stmt, 5, participant, -1, SQLITE_TRANSIENT);
  sqlite3_bind_text (stmt, 6, update_hash, -1, SQLITE_TRANSIENT);
  if (!trb_store_step_done (store, stmt, error))
    return FALSE;

  trb_store_emit_changed (store, TRB_STORE_CHANGE_LEDGER, origin);
  return TRUE;
}

/* ---- joined networks ------------------------------------------------------------------------ */

void
trb_store_network_free (TrbStoreNetwork *network)
{
  if (network == NULL)
    return;
  g_free (network->url);
  g_free (network->origin);
  g_free (network->name);
  g_free (network->ledger_key);
  g_free (network->task);
  g_free (network->dataset);
  g_free (network->wallet);
  g_free (network);
}

void
trb_store_event_free (TrbStoreEvent *event)
{
  if (event == NULL)
    return;
  g_free (event->origin);
  g_free (event->kind);
  g_free (event->message);
  g_free (event);
}

static gpointer
network_from_row (sqlite3_stmt *stmt,
                  gpointer      user_data)
{
  TrbStoreNetwork *network = g_new0 (TrbStoreNetwork, 1);

  network->url = dup_column (stmt, 0);
  network->origin = dup_column (stmt, 1);
  network->name = dup_column (stmt, 2);
  network->ledger_key = dup_column (stmt, 3);
  network->task = dup_column (stmt, 4);
  network->dataset = dup_column (stmt, 5);
  network->wallet = dup_column (stmt, 6);
  return network;
}

/**
 * trb_store_participation_list_networks:
 *
 * Returns: (transfer container) (element-type TrbStoreNetwork): the joined networks, in the
 *   order they were joined, or %NULL with @error set
 */
GPtrArray *
trb_store_participation_list_networks (TrbStore  *store,
                                       GError   **error)
{
  sqlite3_stmt *stmt;

  g_return_val_if_fail (TRB_IS_STORE (store), NULL);

  stmt = trb_store_begin_statement (store,
                                    "SELECT url, origin, name, ledger_key, task, dataset, wallet "
                                    "FROM participation_networks ORDER BY joined", error);
  if (stmt == NULL)
    return NULL;
  return trb_store_collect_rows (store, stmt, network_from_row, NULL,
                                 (GDestroyNotify) trb_store_network_free, error);
}

/**
 * trb_store_participation_add_network:
 * @network: the network joined, with the wallet that takes part
 *
 * Writes down a joined network (again, when it was joined before) and announces it
 * (`TrbStore::changed::networks`).
 *
 * Returns: %TRUE on success, else %FALSE with @error set
 */
gboolean
trb_store_participation_add_network (TrbStore               *store,
                                     const TrbStoreNetwork  *network,
                                     GError                **error)
{
  sqlite3_stmt *stmt;

  g_return_val_if_fail (TRB_IS_STORE (store), FALSE);
  g_return_val_if_fail (network != NULL && network->origin != NULL, FALSE);

  stmt = trb_store_begin_statement (store,
                                    "INSERT OR REPLACE INTO participation_networks (origin, url, "
                                    "name, ledger_key, task, dataset, wallet, joined) "
                                    "VALUES (?, ?, ?, ?, ?, ?, ?, ?)", error);
  if (stmt == NULL)
    return FALSE;
  sqlite3_bind_text (stmt, 1, network->origin, -1, SQLITE_TRANSIENT);
  sqlite3_bind_text (stmt, 2, network->url, -1, SQLITE_TRANSIENT);
  sqlite3_bind_text (stmt, 3, network->name, -1, SQLITE_TRANSIENT);
  sqlite3_bind_text (stmt, 4, network->ledger_key, -1, SQLITE_TRANSIENT);
  sqlite3_bind_text (stmt, 5, network->task, -1, SQLITE_TRANSIENT);
  sqlite3_bind_text (stmt, 6, network->dataset, -1, SQLITE_TRANSIENT);
  sqlite3_bind_text (stmt, 7, network->wallet, -1, SQLITE_TRANSIENT);
  sqlite3_bind_int64 (stmt, 8, g_get_real_time () / G_USEC_PER_SEC);
  if (!trb_store_step_done (store, stmt, error))
    return FALSE;

  trb_store_emit_changed (store, TRB_STORE_CHANGE_NETWORKS, network->origin);
  return TRUE;
}

/**
 * trb_store_participation_remove_network:
 *
 * Forgets a network left, with its loop's state, in one transaction.
 *
 * Returns: %TRUE on success, else %FALSE with @error set
 */
gboolean
trb_store_participation_remove_network (TrbStore    *store,
                                        const char  *origin,
                                        GError     **error)
{
  static const char * const statements[] = {
    "DELETE FROM participation_networks WHERE origin = ?",
    "DELETE FROM participation WHERE origin = ?",
  };

  g_return_val_if_fail (TRB_IS_STORE (store), FALSE);
  g_return_val_if_fail (origin != NULL, FALSE);

  if (!trb_store_exec (store, "SAVEPOINT trb_remove_network", error))
    return FALSE;
  for (guint i = 0; i < G_N_ELEMENTS (statements); i++)
    {
      sqlite3_stmt *stmt = trb_store_begin_statement (store, statements[i], error);

      if (stmt != NULL)
        sqlite3_bind_text (stmt, 1, origin, -1, SQLITE_TRANSIENT);
      if (stmt == NULL || !trb_store_step_done (store, stmt, error))
        {
          trb_store_exec (store, "ROLLBACK TO trb_remove_network", NULL);
          trb_store_exec (store, "RELEASE trb_remove_network", NULL);
          return FALSE;
        }
    }
  if (!trb_store_exec (store, "RELEASE trb_remove_network", error))
    return FALSE;

  trb_store_emit_changed (store, TRB_STORE_CHANGE_NETWORKS, origin);
  return TRUE;
}

/**
 * trb_store_participation_set_dataset:
 * @dataset: the path of the data the network trains on from now
 *
 * Returns: %TRUE on success, else %FALSE with @error set
 */
gboolean
trb_store_participation_set_dataset (TrbStore    *store,
                                     const char  *origin,
                                     const char  *dataset,
                                     GError     **error)
{
  sqlite3_stmt *stmt;

  g_return_val_if_fail (TRB_IS_STORE (store), FALSE);
  g_return_val_if_fail (origin != NULL && dataset != NULL, FALSE);

  stmt = trb_store_begin_statement (store,
                                    "UPDATE participation_networks SET dataset = ? "
                                    "WHERE origin = ?", error);
  if (stmt == NULL)
    return FALSE;
  sqlite3_bind_text (stmt, 1, dataset, -1, SQLITE_TRANSIENT);
  sqlite3_bind_text (stmt, 2, origin, -1, SQLITE_TRANSIENT);
  if (!trb_store_step_done (store, stmt, error))
    return FALSE;

  trb_store_emit_changed (store, TRB_STORE_CHANGE_NETWORKS, origin);
  return TRUE;
}

static gpointer
event_from_row (sqlite3_stmt *stmt,
                gpointer      user_data)
{
  TrbStoreEvent *event = g_new0 (TrbStoreEvent, 1);

  event->time = sqlite3_column_int64 (stmt, 0);
  event->origin = dup_column (stmt, 1);
  event->kind = dup_column (stmt, 2);
  event->message = dup_column (stmt, 3);
  return event;
}

/**
 * trb_store_participation_list_events:
 * @origin: (nullable): only this network's
 * @limit: at most this many (and never more than 100,000), newest first
 *
 * Returns: (transfer container) (element-type TrbStoreEvent): the event log, or %NULL with
 *   @error set
 */
GPtrArray *
trb_store_participation_list_events (TrbStore    *store,
                                     const char  *origin,
                                     guint        limit,
                                     GError     **error)
{
  sqlite3_stmt *stmt;

  g_return_val_if_fail (TRB_IS_STORE (store), NULL);

  stmt = trb_store_begin_statement (store,
                                    "SELECT time, origin, kind, message FROM participation_events "
                                    "WHERE (?1 IS NULL OR origin = ?1) ORDER BY id DESC LIMIT ?2",
                                    error);
  if (stmt == NULL)
    return NULL;
  sqlite3_bind_text (stmt, 1, origin, -1, SQLITE_TRANSIENT);
  sqlite3_bind_int (stmt, 2, (int) MIN (limit, 100000));
  return trb_store_collect_rows (store, stmt, event_from_row, NULL,
                                 (GDestroyNotify) trb_store_event_free, error);
}
