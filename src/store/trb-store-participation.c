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
#include "trb-store-private.h"

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
