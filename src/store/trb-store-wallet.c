/* trb-store-wallet.c
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * The wallets' tables (component "wallet"): each wallet's name and states, and which wallet
 * takes part in which network. Never a key: those stay in the keyring. Every write announces
 * itself as `TrbStore::changed::wallet`.
 */

#define G_LOG_DOMAIN "trb-store-wallet"

#include "config.h"

#include "trb-store-wallet.h"
#include "trb-store-sql.h"

static const char * const wallet_schema[] = {
  "CREATE TABLE wallets ("
  "  address TEXT PRIMARY KEY,"
  "  label TEXT NOT NULL UNIQUE,"
  "  created INTEGER NOT NULL,"
  "  backed_up INTEGER NOT NULL DEFAULT 0,"
  "  is_default INTEGER NOT NULL DEFAULT 0"
  ");"
  "CREATE TABLE wallet_networks ("
  "  network TEXT PRIMARY KEY,"
  "  address TEXT NOT NULL REFERENCES wallets (address) ON DELETE CASCADE"
  ");",
};

void
trb_store_wallet_row_free (TrbStoreWalletRow *row)
{
  if (row == NULL)
    return;
  g_free (row->address);
  g_free (row->label);
  g_free (row);
}

/**
 * trb_store_wallet_migrate:
 *
 * Creates or updates the tables of component "wallet".
 *
 * Returns: %TRUE on success, else %FALSE with @error set
 */
gboolean
trb_store_wallet_migrate (TrbStore  *store,
                          GError   **error)
{
  return trb_store_migrate (store, "wallet", wallet_schema, G_N_ELEMENTS (wallet_schema),
                            error);
}

static gpointer
wallet_from_row (sqlite3_stmt *stmt,
                 gpointer      user_data)
{
  TrbStoreWalletRow *row = g_new0 (TrbStoreWalletRow, 1);

  row->address = g_strdup ((const char *) sqlite3_column_text (stmt, 0));
  row->label = g_strdup ((const char *) sqlite3_column_text (stmt, 1));
  row->backed_up = sqlite3_column_int (stmt, 2) != 0;
  row->is_default = sqlite3_column_int (stmt, 3) != 0;
  row->created = sqlite3_column_int64 (stmt, 4);
  return row;
}

/**
 * trb_store_wallet_list:
 *
 * Returns: (transfer container) (element-type TrbStoreWalletRow): the wallets, oldest first,
 *   or %NULL with @error set
 */
GPtrArray *
trb_store_wallet_list (TrbStore  *store,
                       GError   **error)
{
  sqlite3_stmt *stmt;

  g_return_val_if_fail (TRB_IS_STORE (store), NULL);

  stmt = trb_store_begin_statement (store,
                                    "SELECT address, label, backed_up, is_default, created "
                                    "FROM wallets ORDER BY created, rowid", error);
  if (stmt == NULL)
    return NULL;
  return trb_store_collect_rows (store, stmt, wallet_from_row, NULL,
                                 (GDestroyNotify) trb_store_wallet_row_free, error);
}

/* Runs @sql, a write with one or two text parameters, and announces the change. */
static gboolean
write_texts (TrbStore    *store,
             const char  *sql,
             const char  *first,
             const char  *second,
             GError     **error)
{
  sqlite3_stmt *stmt;

  stmt = trb_store_begin_statement (store, sql, error);
  if (stmt == NULL)
    return FALSE;
  sqlite3_bind_text (stmt, 1, first, -1, SQLITE_TRANSIENT);
  if (second != NULL)
    sqlite3_bind_text (stmt, 2, second, -1, SQLITE_TRANSIENT);
  if (!trb_store_step_done (store, stmt, error))
    return FALSE;
  trb_store_emit_changed (store, TRB_STORE_CHANGE_WALLET, NULL);
  return TRUE;
}

/**
 * trb_store_wallet_insert:
 *
 * Writes down a new wallet, not yet backed up.
 *
 * Returns: %TRUE on success, else %FALSE with @error set (a label or address already taken
 *   included)
 */
gboolean
trb_store_wallet_insert (TrbStore    *store,
                         const char  *address,
                         const char  *label,
                         gint64       created,
                         gboolean     is_default,
                         GError     **error)
{
  sqlite3_stmt *stmt;

  g_return_val_if_fail (TRB_IS_STORE (store), FALSE);
  g_return_val_if_fail (address != NULL && label != NULL, FALSE);

  stmt = trb_store_begin_statement (store,
                                    "INSERT INTO wallets (address, label, created, backed_up, "
                                    "is_default) VALUES (?, ?, ?, 0, ?)", error);
  if (stmt == NULL)
    return FALSE;
  sqlite3_bind_text (stmt, 1, address, -1, SQLITE_TRANSIENT);
  sqlite3_bind_text (stmt, 2, label, -1, SQLITE_TRANSIENT);
  sqlite3_bind_int64 (stmt, 3, created);
  sqlite3_bind_int (stmt, 4, is_default ? 1 : 0);
  if (!trb_store_step_done (store, stmt, error))
    return FALSE;
  trb_store_emit_changed (store, TRB_STORE_CHANGE_WALLET, NULL);
  return TRUE;
}

/**
 * trb_store_wallet_delete:
 *
 * Forgets a wallet, and with it the networks it was chosen for.
 */
gboolean
trb_store_wallet_delete (TrbStore    *store,
                         const char  *address,
                         GError     **error)
{
  g_return_val_if_fail (TRB_IS_STORE (store), FALSE);
  g_return_val_if_fail (address != NULL, FALSE);

  return write_texts (store, "DELETE FROM wallets WHERE address = ?", address, NULL, error);
}

gboolean
trb_store_wallet_mark_backed_up (TrbStore    *store,
                                 const char  *address,
                                 GError     **error)
{
  g_return_val_if_fail (TRB_IS_STORE (store), FALSE);
  g_return_val_if_fail (address != NULL, FALSE);

  return write_texts (store, "UPDATE wallets SET backed_up = 1 WHERE address = ?", address,
                      NULL, error);
}

gboolean
trb_store_wallet_rename (TrbStore    *store,
                         const char  *address,
                         const char  *label,
                         GError     **error)
{
  g_return_val_if_fail (TRB_IS_STORE (store), FALSE);
  g_return_val_if_fail (address != NULL && label != NULL, FALSE);

  /* Parameters in the order they are bound: the label first. */
  return write_texts (store, "UPDATE wallets SET label = ?1 WHERE address = ?2", label, address,
                      error);
}

/**
 * trb_store_wallet_set_default:
 *
 * Makes @address the default wallet, and every other one not.
 */
gboolean
trb_store_wallet_set_default (TrbStore    *store,
                              const char  *address,
                              GError     **error)
{
  g_return_val_if_fail (TRB_IS_STORE (store), FALSE);
  g_return_val_if_fail (address != NULL, FALSE);

  return write_texts (store, "UPDATE wallets SET is_default = (address = ?)", address, NULL,
                      error);
}

/**
 * trb_store_wallet_set_for_network:
 * @address: (nullable): the wallet to use in @network, or %NULL for the default one
 */
gboolean
trb_store_wallet_set_for_network (TrbStore    *store,
                                  const char  *network,
                                  const char  *address,
                                  GError     **error)
{
  g_return_val_if_fail (TRB_IS_STORE (store), FALSE);
  g_return_val_if_fail (network != NULL, FALSE);

  if (address == NULL)
    return write_texts (store, "DELETE FROM wallet_networks WHERE network = ?", network, NULL,
                        error);
  return write_texts (store,
                      "INSERT INTO wallet_networks (network, address) VALUES (?, ?) "
                      "ON CONFLICT (network) DO UPDATE SET address = excluded.address",
                      network, address, error);
}

/**
 * trb_store_wallet_get_for_network:
 * @address: (out) (transfer full) (nullable): the wallet chosen for @network, %NULL when
 *   none was
 *
 * Returns: %TRUE on success (chosen or not), else %FALSE with @error set
 */
gboolean
trb_store_wallet_get_for_network (TrbStore    *store,
                                  const char  *network,
                                  char       **address,
                                  GError     **error)
{
  sqlite3_stmt *stmt;
  int rc;

  g_return_val_if_fail (TRB_IS_STORE (store), FALSE);
  g_return_val_if_fail (network != NULL && address != NULL, FALSE);

  *address = NULL;
  stmt = trb_store_begin_statement (store,
                                    "SELECT address FROM wallet_networks WHERE network = ?",
                                    error);
  if (stmt == NULL)
    return FALSE;
  sqlite3_bind_text (stmt, 1, network, -1, SQLITE_TRANSIENT);
  rc = trb_store_step (store, stmt, error);
  if (rc < 0)
    return FALSE;
  if (rc == SQLITE_ROW)
    *address = g_strdup ((const char *) sqlite3_column_text (stmt, 0));
  trb_store_end_statement (store, stmt);
  return TRUE;
}
