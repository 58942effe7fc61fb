/* trb-store-net.c
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * Reads of the protocol client's tables (component "net", migrated by
 * trb_contributor_migrate()): the networks joined and the receipts kept.
 */

#define G_LOG_DOMAIN "trb-store-net"

#include "config.h"

#include "trb-store-net.h"
#include "trb-store-sql.h"

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
  g_autoptr(GPtrArray) networks = NULL;
  sqlite3_stmt *stmt;
  int rc;

  g_return_val_if_fail (TRB_IS_STORE (store), NULL);

  stmt = trb_store_begin_statement (store,
                                    "SELECT origin, name, url, ledger_key, address, task, "
                                    "compromised FROM net_networks WHERE joined IS NOT NULL "
                                    "ORDER BY origin", error);
  if (stmt == NULL)
    return NULL;
  networks = g_ptr_array_new_with_free_func ((GDestroyNotify) trb_store_net_network_free);
  while ((rc = trb_store_step (store, stmt, error)) == SQLITE_ROW)
    {
      TrbStoreNetNetwork *network = g_new0 (TrbStoreNetNetwork, 1);

      network->origin = g_strdup ((const char *) sqlite3_column_text (stmt, 0));
      network->name = g_strdup ((const char *) sqlite3_column_text (stmt, 1));
      network->url = g_strdup ((const char *) sqlite3_column_text (stmt, 2));
      network->ledger_key = g_strdup ((const char *) sqlite3_column_text (stmt, 3));
      network->address = g_strdup ((const char *) sqlite3_column_text (stmt, 4));
      network->task = g_strdup ((const char *) sqlite3_column_text (stmt, 5));
      network->compromised = sqlite3_column_int (stmt, 6) != 0;
      g_ptr_array_add (networks, network);
    }
  if (rc < 0)
    return NULL;
  trb_store_end_statement (store, stmt);
  return g_steal_pointer (&networks);
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
