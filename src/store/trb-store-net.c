/* trb-store-net.c
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * The protocol client's tables (component "net", created by trb_store_net_migrate()): the
 * networks connected to and joined, and the receipts kept for accepted updates.
 */

#define G_LOG_DOMAIN "trb-store-net"

#include "config.h"

#include "trb-store-net.h"
#include "trb-store-sql.h"

static const char * const net_schema[] = {
  "CREATE TABLE net_networks (origin TEXT PRIMARY KEY, url TEXT NOT NULL, name TEXT NOT NULL,"
  "  ledger_key TEXT NOT NULL, address TEXT, task TEXT, joined INTEGER, compromised INTEGER"
  "  NOT NULL DEFAULT 0);"
  "CREATE TABLE net_receipts (origin TEXT NOT NULL, leaf_index INTEGER NOT NULL,"
  "  task TEXT NOT NULL, round INTEGER NOT NULL, participant TEXT NOT NULL, update_hash TEXT"
  "  NOT NULL, verified_size INTEGER, PRIMARY KEY (origin, leaf_index));",
};

void
trb_store_net_network_free (TrbStoreNetNetwork *network)
{
  if (network == NULL)
    return;
  g_free (network->origin);
  g_free (network->name);
  g_free (network->url);
  g_free (network->ledger_key);
  g_free (network->address);
  g_free (network->task);
  g_free (network);
}

static gpointer
read_network (sqlite3_stmt *stmt,
              gpointer      user_data)
{
  TrbStoreNetNetwork *network = g_new0 (TrbStoreNetNetwork, 1);

  network->origin = g_strdup ((const char *) sqlite3_column_text (stmt, 0));
  network->name = g_strdup ((const char *) sqlite3_column_text (stmt, 1));
  network->url = g_strdup ((const char *) sqlite3_column_text (stmt, 2));
  network->ledger_key = g_strdup ((const char *) sqlite3_column_text (stmt, 3));
  network->address = g_strdup ((const char *) sqlite3_column_text (stmt, 4));
  network->task = g_strdup ((const char *) sqlite3_column_text (stmt, 5));
  network->compromised = sqlite3_column_int (stmt, 6) != 0;
  return network;
}

/**
 * trb_store_net_lookup_network:
 * @network: (out) (transfer full) (nullable): the network as written down when connecting to
 *   it, joined or not, or %NULL when this computer never connected to @origin
 *
 * Returns: %TRUE on success (found or not), else %FALSE with @error set
 */
gboolean
trb_store_net_lookup_network (TrbStore            *store,
                              const char          *origin,
                              TrbStoreNetNetwork **network,
                              GError             **error)
{
  sqlite3_stmt *stmt;
  int rc;

  g_return_val_if_fail (TRB_IS_STORE (store), FALSE);
  g_return_val_if_fail (origin != NULL && network != NULL, FALSE);

  *network = NULL;
  stmt = trb_store_begin_statement (store,
                                    "SELECT origin, name, url, ledger_key, address, task, "
                                    "compromised FROM net_networks WHERE origin = ?", error);
  if (stmt == NULL)
    return FALSE;
  sqlite3_bind_text (stmt, 1, origin, -1, SQLITE_TRANSIENT);
  rc = trb_store_step (store, stmt, error);
  if (rc < 0)
    return FALSE;
  if (rc == SQLITE_ROW)
    *network = read_network (stmt, NULL);
  trb_store_end_statement (store, stmt);
  return TRUE;
}

/**
 * trb_store_net_list_joined:
 *
 * Returns: (transfer container) (element-type TrbStoreNetNetwork): the networks joined, by
 *   origin, or %NULL with @error set
 */
GPtrArray *
trb_store_net_list_joined (TrbStore  *store,
                           GError   **error)
{
  sqlite3_stmt *stmt;

  g_return_val_if_fail (TRB_IS_STORE (store), NULL);

  stmt = trb_store_begin_statement (store,
                                    "SELECT origin, name, url, ledger_key, address, task, "
                                    "compromised FROM net_networks WHERE joined IS NOT NULL "
                                    "ORDER BY origin", error);
  if (stmt == NULL)
    return NULL;
  return trb_store_collect_rows (store, stmt, read_network, NULL,
                                 (GDestroyNotify) trb_store_net_network_free, error);
}

/**
 * trb_store_net_count_receipts:
 * @verified_only: count only the receipts whose inclusion in the ledger was verified
 * @count: (out): the count
 *
 * Returns: %TRUE on success, else %FALSE with @error set
 */
gboolean
trb_store_net_count_receipts (TrbStore    *store,
                              const char  *origin,
                              gboolean     verified_only,
                              guint       *count,
                              GError     **error)
{
  sqlite3_stmt *stmt;
  int rc;

  g_return_val_if_fail (TRB_IS_STORE (store), FALSE);
  g_return_val_if_fail (origin != NULL && count != NULL, FALSE);

  stmt = trb_store_begin_statement (store,
                                    verified_only
                                      ? "SELECT count(*) FROM net_receipts WHERE origin = ? AND "
                                        "verified_size IS NOT NULL"
                                      : "SELECT count(*) FROM net_receipts WHERE origin = ?",
                                    error);
  if (stmt == NULL)
    return FALSE;
  sqlite3_bind_text (stmt, 1, origin, -1, SQLITE_TRANSIENT);
  rc = trb_store_step (store, stmt, error);
  if (rc < 0)
    return FALSE;
  *count = rc == SQLITE_ROW ? (guint) sqlite3_column_int64 (stmt, 0) : 0;
  trb_store_end_statement (store, stmt);
  return TRUE;
}

void
trb_store_net_receipt_free (TrbStoreNetReceipt *receipt)
{
  if (receipt == NULL)
    return;
  g_free (receipt->update_hash);
  g_free (receipt->participant);
  g_free (receipt);
}

/**
 * trb_store_net_migrate:
 *
 * Creates or updates the tables of component "net".
 *
 * Returns: %TRUE on success, else %FALSE with @error set
 */
gboolean
trb_store_net_migrate (TrbStore  *store,
                       GError   **error)
{
  return trb_store_migrate (store, "net", net_schema, G_N_ELEMENTS (net_schema), error);
}

/**
 * trb_store_net_save_network:
 * @task: (nullable): the network's first task
 *
 * Writes down a network connected to, keeping its address, join time and mark when it is
 * known already, and announces it (`TrbStore::changed::networks`).
 *
 * Returns: %TRUE on success, else %FALSE with @error set
 */
gboolean
trb_store_net_save_network (TrbStore    *store,
                            const char  *origin,
                            const char  *url,
                            const char  *name,
                            const char  *ledger_key,
                            const char  *task,
                            GError     **error)
{
  sqlite3_stmt *stmt;

  g_return_val_if_fail (TRB_IS_STORE (store), FALSE);
  g_return_val_if_fail (origin != NULL, FALSE);

  stmt = trb_store_begin_statement (store,
                                    "INSERT INTO net_networks (origin, url, name, ledger_key, "
                                    "task) VALUES (?, ?, ?, ?, ?) ON CONFLICT (origin) DO UPDATE "
                                    "SET url = excluded.url, name = excluded.name, "
                                    "task = excluded.task", error);
  if (stmt == NULL)
    return FALSE;
  sqlite3_bind_text (stmt, 1, origin, -1, SQLITE_TRANSIENT);
  sqlite3_bind_text (stmt, 2, url, -1, SQLITE_TRANSIENT);
  sqlite3_bind_text (stmt, 3, name, -1, SQLITE_TRANSIENT);
  sqlite3_bind_text (stmt, 4, ledger_key, -1, SQLITE_TRANSIENT);
  sqlite3_bind_text (stmt, 5, task, -1, SQLITE_TRANSIENT);
  if (!trb_store_step_done (store, stmt, error))
    return FALSE;

  trb_store_emit_changed (store, TRB_STORE_CHANGE_NETWORKS, origin);
  return TRUE;
}

/**
 * trb_store_net_set_joined:
 * @address: the address the network registered
 *
 * Writes down that @address joined the network now, and announces it
 * (`TrbStore::changed::networks`).
 *
 * Returns: %TRUE on success, else %FALSE with @error set
 */
gboolean
trb_store_net_set_joined (TrbStore    *store,
                          const char  *origin,
                          const char  *address,
                          GError     **error)
{
  sqlite3_stmt *stmt;

  g_return_val_if_fail (TRB_IS_STORE (store), FALSE);
  g_return_val_if_fail (origin != NULL, FALSE);

  stmt = trb_store_begin_statement (store,
                                    "UPDATE net_networks SET address = ?, joined = ? "
                                    "WHERE origin = ?", error);
  if (stmt == NULL)
    return FALSE;
  sqlite3_bind_text (stmt, 1, address, -1, SQLITE_TRANSIENT);
  sqlite3_bind_int64 (stmt, 2, g_get_real_time () / G_USEC_PER_SEC);
  sqlite3_bind_text (stmt, 3, origin, -1, SQLITE_TRANSIENT);
  if (!trb_store_step_done (store, stmt, error))
    return FALSE;

  trb_store_emit_changed (store, TRB_STORE_CHANGE_NETWORKS, origin);
  return TRUE;
}

/* Whether @sql, on one or two text parameters, returns a row. */
static gboolean
has_row (TrbStore    *store,
         const char  *sql,
         const char  *first,
         const char  *second,
         gboolean    *found,
         GError     **error)
{
  sqlite3_stmt *stmt;
  int rc;

  stmt = trb_store_begin_statement (store, sql, error);
  if (stmt == NULL)
    return FALSE;
  sqlite3_bind_text (stmt, 1, first, -1, SQLITE_TRANSIENT);
  if (second != NULL)
    sqlite3_bind_text (stmt, 2, second, -1, SQLITE_TRANSIENT);
  rc = trb_store_step (store, stmt, error);
  if (rc < 0)
    return FALSE;
  *found = rc == SQLITE_ROW;
  trb_store_end_statement (store, stmt);
  return TRUE;
}

/**
 * trb_store_net_is_joined:
 * @joined: (out): whether @address joined the network @origin
 *
 * Returns: %TRUE on success, else %FALSE with @error set
 */
gboolean
trb_store_net_is_joined (TrbStore    *store,
                         const char  *origin,
                         const char  *address,
                         gboolean    *joined,
                         GError     **error)
{
  g_return_val_if_fail (TRB_IS_STORE (store), FALSE);
  g_return_val_if_fail (origin != NULL && joined != NULL, FALSE);

  return has_row (store,
                  "SELECT 1 FROM net_networks WHERE origin = ? AND address = ? AND "
                  "joined IS NOT NULL", origin, address, joined, error);
}

/**
 * trb_store_net_mark_compromised:
 *
 * Marks the network as caught tampering with its ledger, and announces it
 * (`TrbStore::changed::networks`).
 *
 * Returns: %TRUE on success, else %FALSE with @error set
 */
gboolean
trb_store_net_mark_compromised (TrbStore    *store,
                                const char  *origin,
                                GError     **error)
{
  sqlite3_stmt *stmt;

  g_return_val_if_fail (TRB_IS_STORE (store), FALSE);
  g_return_val_if_fail (origin != NULL, FALSE);

  stmt = trb_store_begin_statement (store,
                                    "UPDATE net_networks SET compromised = 1 WHERE origin = ?",
                                    error);
  if (stmt == NULL)
    return FALSE;
  sqlite3_bind_text (stmt, 1, origin, -1, SQLITE_TRANSIENT);
  if (!trb_store_step_done (store, stmt, error))
    return FALSE;

  trb_store_emit_changed (store, TRB_STORE_CHANGE_NETWORKS, origin);
  return TRUE;
}

/**
 * trb_store_net_is_compromised:
 * @compromised: (out): whether the network is marked (%FALSE for one never connected to)
 *
 * Returns: %TRUE on success, else %FALSE with @error set
 */
gboolean
trb_store_net_is_compromised (TrbStore    *store,
                              const char  *origin,
                              gboolean    *compromised,
                              GError     **error)
{
  g_return_val_if_fail (TRB_IS_STORE (store), FALSE);
  g_return_val_if_fail (origin != NULL && compromised != NULL, FALSE);

  return has_row (store, "SELECT 1 FROM net_networks WHERE origin = ? AND compromised != 0",
                  origin, NULL, compromised, error);
}

static gpointer
receipt_from_row (sqlite3_stmt *stmt,
                  gpointer      user_data)
{
  TrbStoreNetReceipt *receipt = g_new0 (TrbStoreNetReceipt, 1);

  receipt->leaf_index = (guint64) sqlite3_column_int64 (stmt, 0);
  receipt->update_hash = g_strdup ((const char *) sqlite3_column_text (stmt, 1));
  receipt->participant = g_strdup ((const char *) sqlite3_column_text (stmt, 2));
  return receipt;
}

/**
 * trb_store_net_list_unverified_receipts:
 * @below: only the receipts for leaves below this index (a tree size)
 *
 * The receipts whose inclusion in the ledger is not verified yet. They are read in full
 * before the caller verifies them over the network, so that the store is not held meanwhile.
 *
 * Returns: (transfer container) (element-type TrbStoreNetReceipt): the receipts, or %NULL
 *   with @error set
 */
GPtrArray *
trb_store_net_list_unverified_receipts (TrbStore    *store,
                                        const char  *origin,
                                        guint64      below,
                                        GError     **error)
{
  sqlite3_stmt *stmt;

  g_return_val_if_fail (TRB_IS_STORE (store), NULL);
  g_return_val_if_fail (origin != NULL, NULL);

  stmt = trb_store_begin_statement (store,
                                    "SELECT leaf_index, update_hash, participant FROM "
                                    "net_receipts WHERE origin = ? AND verified_size IS NULL "
                                    "AND leaf_index < ?", error);
  if (stmt == NULL)
    return NULL;
  sqlite3_bind_text (stmt, 1, origin, -1, SQLITE_TRANSIENT);
  sqlite3_bind_int64 (stmt, 2, (gint64) MIN (below, (guint64) G_MAXINT64));
  return trb_store_collect_rows (store, stmt, receipt_from_row, NULL,
                                 (GDestroyNotify) trb_store_net_receipt_free, error);
}

/**
 * trb_store_net_set_receipt_verified:
 * @tree_size: the size of the verified tree that holds the receipt's entry
 *
 * Writes down that the receipt's entry was found in the ledger, and announces it
 * (`TrbStore::changed::ledger`).
 *
 * Returns: %TRUE on success, else %FALSE with @error set
 */
gboolean
trb_store_net_set_receipt_verified (TrbStore    *store,
                                    const char  *origin,
                                    guint64      leaf_index,
                                    guint64      tree_size,
                                    GError     **error)
{
  sqlite3_stmt *stmt;

  g_return_val_if_fail (TRB_IS_STORE (store), FALSE);
  g_return_val_if_fail (origin != NULL, FALSE);

  stmt = trb_store_begin_statement (store,
                                    "UPDATE net_receipts SET verified_size = ? WHERE origin = ? "
                                    "AND leaf_index = ?", error);
  if (stmt == NULL)
    return FALSE;
  sqlite3_bind_int64 (stmt, 1, (gint64) tree_size);
  sqlite3_bind_text (stmt, 2, origin, -1, SQLITE_TRANSIENT);
  sqlite3_bind_int64 (stmt, 3, (gint64) leaf_index);
  if (!trb_store_step_done (store, stmt, error))
    return FALSE;

  trb_store_emit_changed (store, TRB_STORE_CHANGE_LEDGER, origin);
  return TRUE;
}
