/* test-store.c
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#include "config.h"

#include <glib/gstdio.h>
#include <string.h>

#include "participant/trb-history.h"
#include "store/trb-store.h"
#include "store/trb-store-history.h"
#include "store/trb-store-net.h"
#include "store/trb-store-participation.h"
#include "store/trb-store-sql.h"

static char *
make_store_path (void)
{
  return g_build_filename (g_get_user_data_dir (), "tributary", "test.db", NULL);
}

static int
count_rows (TrbStore   *store,
            const char *table)
{
  g_autoptr(sqlite3_stmt) stmt = NULL;
  g_autofree char *sql = g_strdup_printf ("SELECT count(*) FROM %s", table);

  g_assert_cmpint (sqlite3_prepare_v2 (trb_store_get_db (store), sql, -1, &stmt, NULL), ==,
                   SQLITE_OK);
  g_assert_cmpint (sqlite3_step (stmt), ==, SQLITE_ROW);
  return sqlite3_column_int (stmt, 0);
}

static void
test_store_opens_in_wal_mode (void)
{
  g_autofree char *path = make_store_path ();
  g_autoptr(GError) error = NULL;
  g_autoptr(TrbStore) store = trb_store_new_for_path (path, &error);
  g_autoptr(sqlite3_stmt) stmt = NULL;
  GStatBuf st;

  g_assert_no_error (error);
  g_assert_nonnull (store);
  g_assert_cmpint (sqlite3_prepare_v2 (trb_store_get_db (store), "PRAGMA journal_mode", -1,
                                       &stmt, NULL), ==, SQLITE_OK);
  g_assert_cmpint (sqlite3_step (stmt), ==, SQLITE_ROW);
  g_assert_cmpstr ((const char *)sqlite3_column_text (stmt, 0), ==, "wal");

  g_assert_cmpint (g_stat (path, &st), ==, 0);
  g_assert_cmpint (st.st_mode & 0777, ==, 0600);
}

static void
test_store_migrates_once (void)
{
  static const char * const steps[] = {
    "CREATE TABLE things (id INTEGER PRIMARY KEY, name TEXT NOT NULL);",
    "ALTER TABLE things ADD COLUMN colour TEXT;",
  };
  g_autofree char *path = make_store_path ();
  g_autoptr(GError) error = NULL;
  g_autoptr(TrbStore) store = trb_store_new_for_path (path, &error);

  g_assert_no_error (error);
  g_assert_cmpint (trb_store_get_schema_version (store, "things"), ==, 0);

  g_assert_true (trb_store_migrate (store, "things", steps, 1, &error));
  g_assert_no_error (error);
  g_assert_cmpint (trb_store_get_schema_version (store, "things"), ==, 1);
  g_assert_true (trb_store_exec (store, "INSERT INTO things (name) VALUES ('a')", &error));

  /* The second step only; the first must not run again (it would fail: the table exists). */
  g_assert_true (trb_store_migrate (store, "things", steps, 2, &error));
  g_assert_no_error (error);
  g_assert_cmpint (trb_store_get_schema_version (store, "things"), ==, 2);
  g_assert_true (trb_store_exec (store, "UPDATE things SET colour = 'blue'", &error));
  g_assert_cmpint (count_rows (store, "things"), ==, 1);

  /* Running again is a no-op. */
  g_assert_true (trb_store_migrate (store, "things", steps, 2, &error));
  g_assert_no_error (error);
}

static void
test_store_failed_migration_rolls_back (void)
{
  static const char * const steps[] = {
    "CREATE TABLE pairs (a INTEGER);",
    "CREATE TABLE half (b INTEGER); THIS IS NOT SQL;",
  };
  g_autofree char *path = make_store_path ();
  g_autoptr(GError) error = NULL;
  g_autoptr(TrbStore) store = trb_store_new_for_path (path, &error);

  g_assert_false (trb_store_migrate (store, "pairs", steps, 2, &error));
  g_assert_error (error, TRB_STORE_ERROR, TRB_STORE_ERROR_QUERY);
  g_clear_error (&error);

  /* Nothing of either step remains: the whole migration was one transaction. */
  g_assert_cmpint (trb_store_get_schema_version (store, "pairs"), ==, 0);
  g_assert_false (trb_store_exec (store, "SELECT * FROM pairs", NULL));
  g_assert_false (trb_store_exec (store, "SELECT * FROM half", NULL));
}

static void
test_store_refuses_newer_schema (void)
{
  static const char * const steps[] = {
    "CREATE TABLE future (a INTEGER);",
    "CREATE TABLE future2 (a INTEGER);",
  };
  g_autofree char *path = make_store_path ();
  g_autoptr(GError) error = NULL;
  g_autoptr(TrbStore) store = trb_store_new_for_path (path, &error);

  g_assert_true (trb_store_migrate (store, "future", steps, 2, &error));
  g_assert_false (trb_store_migrate (store, "future", steps, 1, &error));
  g_assert_error (error, TRB_STORE_ERROR, TRB_STORE_ERROR_TOO_NEW);
}

static void
test_store_reports_unwritable_folder (void)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *blocker = g_build_filename (g_get_user_data_dir (), "blocker", NULL);
  g_autofree char *path = g_build_filename (blocker, "sub", "x.db", NULL);
  TrbStore *store;

  /* A regular file where a folder should be. */
  g_assert_cmpint (g_mkdir_with_parents (g_get_user_data_dir (), 0700), ==, 0);
  g_assert_true (g_file_set_contents (blocker, "x", 1, NULL));
  store = trb_store_new_for_path (path, &error);
  g_assert_null (store);
  g_assert_error (error, TRB_STORE_ERROR, TRB_STORE_ERROR_OPEN);
}

typedef struct
{
  GPtrArray *seen;
  GThread   *thread;
} Changes;

static void
changed_cb (TrbStore   *store,
            const char *kind,
            const char *origin,
            Changes    *changes)
{
  g_ptr_array_add (changes->seen, g_strdup_printf ("%s %s", kind, origin ? origin : "-"));
  changes->thread = g_thread_self ();
}

static TrbStoreParticipationRow state_row = {
  .state = (char *) "waiting-round",
  .round = 3,
  .last_round = 2,
};

static gpointer
save_in_thread (gpointer data)
{
  g_autoptr(GError) error = NULL;

  g_assert_true (trb_store_participation_save (data, "https://b.example", &state_row, &error));
  g_assert_no_error (error);
  return NULL;
}

/* One store, shared: a write made through it (by the loop, from any thread) is heard by every
 * area listening, on the thread that opened the store, and only for the kind it listens to. */
static void
test_store_announces_changes (void)
{
  g_autofree char *path = make_store_path ();
  g_autoptr(GError) error = NULL;
  g_autoptr(TrbStore) store = trb_store_new_for_path (path, &error);
  g_autoptr(GPtrArray) all = g_ptr_array_new_with_free_func (g_free);
  g_autoptr(GPtrArray) participation = g_ptr_array_new_with_free_func (g_free);
  Changes all_changes = { all, NULL };
  Changes participation_changes = { participation, NULL };
  TrbStoreParticipationRow row = { 0 };
  gboolean found = FALSE;
  GThread *thread;

  g_assert_no_error (error);
  g_assert_true (trb_store_participation_migrate (store, &error));
  g_assert_no_error (error);
  g_signal_connect (store, "changed", G_CALLBACK (changed_cb), &all_changes);
  g_signal_connect (store, "changed::participation", G_CALLBACK (changed_cb),
                    &participation_changes);

  g_assert_true (trb_store_participation_save (store, "https://a.example", &state_row, &error));
  g_assert_no_error (error);
  g_assert_true (trb_store_participation_log_event (store, "https://a.example", "round",
                                                    "Round 3 opened", &error));
  g_assert_no_error (error);
  g_assert_cmpuint (all->len, ==, 2);
  g_assert_cmpstr (g_ptr_array_index (all, 0), ==, "participation https://a.example");
  g_assert_cmpstr (g_ptr_array_index (all, 1), ==, "events https://a.example");
  g_assert_cmpuint (participation->len, ==, 1);

  /* From a worker: heard once the main context runs, on this thread. */
  thread = g_thread_new ("save", save_in_thread, store);
  g_thread_join (thread);
  g_assert_cmpuint (participation->len, ==, 1);
  while (participation->len < 2)
    g_main_context_iteration (NULL, TRUE);
  g_assert_cmpstr (g_ptr_array_index (participation, 1), ==, "participation https://b.example");
  g_assert_true (participation_changes.thread == g_thread_self ());

  /* What was written is what is read back, through the same cached statements. */
  g_assert_true (trb_store_participation_load (store, "https://b.example", &row, &found,
                                               &error));
  g_assert_no_error (error);
  g_assert_true (found);
  g_assert_cmpstr (row.state, ==, "waiting-round");
  g_assert_cmpint (row.round, ==, 3);
  trb_store_participation_row_clear (&row);
  g_assert_true (trb_store_participation_load (store, "https://c.example", &row, &found,
                                               &error));
  g_assert_false (found);
}

/* Every failure reaches the caller as a TRB_STORE_ERROR: a write refused by the database, and
 * a write to a store closed under its user. */
static void
test_store_reports_failed_writes (void)
{
  g_autofree char *path = make_store_path ();
  g_autoptr(GError) error = NULL;
  g_autoptr(TrbStore) store = trb_store_new_for_path (path, &error);
  g_autoptr(GPtrArray) all = g_ptr_array_new_with_free_func (g_free);
  Changes changes = { all, NULL };

  g_assert_no_error (error);
  g_assert_true (trb_store_participation_migrate (store, &error));
  g_assert_true (trb_store_exec (store, "CREATE TRIGGER full BEFORE INSERT ON participation "
                                 "BEGIN SELECT RAISE (FAIL, 'database or disk is full'); END",
                                 &error));
  g_assert_no_error (error);
  g_signal_connect (store, "changed", G_CALLBACK (changed_cb), &changes);

  g_assert_false (trb_store_participation_save (store, "https://a.example", &state_row,
                                                &error));
  g_assert_error (error, TRB_STORE_ERROR, TRB_STORE_ERROR_QUERY);
  g_assert_nonnull (strstr (error->message, "database or disk is full"));
  g_clear_error (&error);
  /* The statement is usable again after a failure (it was reset and the store released). */
  g_assert_true (trb_store_participation_log_event (store, "https://a.example", "round", "x",
                                                    &error));
  g_assert_no_error (error);

  trb_store_close (store);
  g_assert_true (trb_store_is_closed (store));
  g_assert_false (trb_store_participation_log_event (store, "https://a.example", "round", "x",
                                                     &error));
  g_assert_error (error, TRB_STORE_ERROR, TRB_STORE_ERROR_CLOSED);
  /* Nothing announced that was not written. */
  g_assert_cmpuint (all->len, ==, 1);
  g_assert_cmpstr (g_ptr_array_index (all, 0), ==, "events https://a.example");
}

typedef struct
{
  TrbStore *store;
  GMutex    lock;
  GCond     cond;
  gboolean  begun;
} Txn;

static gpointer
roll_back_in_thread (gpointer data)
{
  Txn *txn = data;

  g_assert_true (trb_store_exec (txn->store, "BEGIN", NULL));
  g_mutex_lock (&txn->lock);
  txn->begun = TRUE;
  g_cond_signal (&txn->cond);
  g_mutex_unlock (&txn->lock);
  g_usleep (200 * 1000);
  g_assert_true (trb_store_exec (txn->store, "ROLLBACK", NULL));
  return NULL;
}

/* Shared by threads, the one connection must not put one thread's write inside another's
 * transaction: a History sync rolled back would take the loop's state with it. */
static void
test_store_keeps_transactions_apart (void)
{
  g_autofree char *path = make_store_path ();
  g_autoptr(GError) error = NULL;
  g_autoptr(TrbStore) store = trb_store_new_for_path (path, &error);
  TrbStoreParticipationRow row = { 0 };
  gboolean found = FALSE;
  Txn txn = { store };
  GThread *thread;

  g_assert_no_error (error);
  g_assert_true (trb_store_participation_migrate (store, &error));
  g_mutex_init (&txn.lock);
  g_cond_init (&txn.cond);
  thread = g_thread_new ("txn", roll_back_in_thread, &txn);
  g_mutex_lock (&txn.lock);
  while (!txn.begun)
    g_cond_wait (&txn.cond, &txn.lock);
  g_mutex_unlock (&txn.lock);

  g_assert_true (trb_store_participation_save (store, "https://a.example", &state_row, &error));
  g_assert_no_error (error);
  g_thread_join (thread);

  g_assert_true (trb_store_participation_load (store, "https://a.example", &row, &found,
                                               &error));
  g_assert_true (found);
  trb_store_participation_row_clear (&row);
  g_mutex_clear (&txn.lock);
  g_cond_clear (&txn.cond);
}

/* The protocol client's operations: a network connected to, joined and marked, and its
 * receipts checked; each write announced, and a failed one reported, never dropped. */
static void
test_store_net_operations (void)
{
  g_autofree char *path = make_store_path ();
  g_autoptr(GError) error = NULL;
  g_autoptr(TrbStore) store = trb_store_new_for_path (path, &error);
  g_autoptr(GPtrArray) all = g_ptr_array_new_with_free_func (g_free);
  g_autoptr(GPtrArray) receipts = NULL;
  Changes changes = { all, NULL };
  const char *origin = "net.example/ledger";
  gboolean yes = TRUE;
  guint count = 0;

  g_assert_no_error (error);
  g_assert_true (trb_store_net_migrate (store, &error));
  g_assert_no_error (error);
  g_signal_connect (store, "changed", G_CALLBACK (changed_cb), &changes);

  g_assert_true (trb_store_net_save_network (store, origin, "https://net.example", "Net",
                                             "key", NULL, &error));
  g_assert_no_error (error);
  g_assert_true (trb_store_net_is_joined (store, origin, "addr", &yes, &error));
  g_assert_false (yes);
  g_assert_true (trb_store_net_set_joined (store, origin, "addr", &error));
  g_assert_true (trb_store_net_is_joined (store, origin, "addr", &yes, &error));
  g_assert_true (yes);
  g_assert_true (trb_store_net_is_joined (store, origin, "other", &yes, &error));
  g_assert_false (yes);
  g_assert_true (trb_store_net_is_compromised (store, origin, &yes, &error));
  g_assert_false (yes);
  g_assert_true (trb_store_net_mark_compromised (store, origin, &error));
  g_assert_true (trb_store_net_is_compromised (store, origin, &yes, &error));
  g_assert_true (yes);
  /* Connecting again keeps the join and the mark. */
  g_assert_true (trb_store_net_save_network (store, origin, "https://net.example", "Net 2",
                                             "key", "task", &error));
  g_assert_true (trb_store_net_is_compromised (store, origin, &yes, &error));
  g_assert_true (yes);
  g_assert_true (trb_store_net_is_joined (store, origin, "addr", &yes, &error));
  g_assert_true (yes);
  g_assert_no_error (error);

  /* Only the receipts below the tree size are listed, and a verified one no more. */
  g_assert_true (trb_store_participation_add_receipt (store, origin, 4, "task", 1, "addr", "u4",
                                                      &error));
  g_assert_true (trb_store_participation_add_receipt (store, origin, 9, "task", 2, "addr", "u9",
                                                      &error));
  g_assert_no_error (error);
  receipts = trb_store_net_list_unverified_receipts (store, origin, 8, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (receipts->len, ==, 1);
  g_assert_cmpuint (((TrbStoreNetReceipt *) g_ptr_array_index (receipts, 0))->leaf_index, ==, 4);
  g_assert_cmpstr (((TrbStoreNetReceipt *) g_ptr_array_index (receipts, 0))->update_hash, ==,
                   "u4");
  g_clear_pointer (&receipts, g_ptr_array_unref);
  g_assert_true (trb_store_net_set_receipt_verified (store, origin, 4, 8, &error));
  g_assert_no_error (error);
  receipts = trb_store_net_list_unverified_receipts (store, origin, 10, &error);
  g_assert_cmpuint (receipts->len, ==, 1);
  g_assert_true (trb_store_net_count_receipts (store, origin, TRUE, &count, &error));
  g_assert_cmpuint (count, ==, 1);
  g_assert_true (trb_store_net_count_receipts (store, origin, FALSE, &count, &error));
  g_assert_cmpuint (count, ==, 2);

  g_assert_cmpuint (all->len, ==, 7);
  g_assert_cmpstr (g_ptr_array_index (all, 0), ==, "networks net.example/ledger");
  g_assert_cmpstr (g_ptr_array_index (all, 2), ==, "networks net.example/ledger");
  g_assert_cmpstr (g_ptr_array_index (all, 6), ==, "ledger net.example/ledger");

  /* A refused write reaches the caller. */
  g_assert_true (trb_store_exec (store, "CREATE TRIGGER full BEFORE UPDATE ON net_networks "
                                 "BEGIN SELECT RAISE (FAIL, 'database or disk is full'); END",
                                 &error));
  g_assert_false (trb_store_net_mark_compromised (store, origin, &error));
  g_assert_error (error, TRB_STORE_ERROR, TRB_STORE_ERROR_QUERY);
  g_assert_cmpuint (all->len, ==, 7);
}

/* History's network state behind the store's operations: a halt sets History's flag and the
 * protocol client's together or neither, and is announced; a page of entries is kept whole or
 * not at all; and once the store fails, History's reads give the error instead of an empty
 * history. */
static void
test_store_history_operations (void)
{
  static const char origin[] = "https://h.example";
  g_autofree char *path = make_store_path ();
  g_autoptr(GError) error = NULL;
  g_autoptr(TrbStore) store = trb_store_new_for_path (path, &error);
  g_autoptr(TrbHistory) history = NULL;
  g_autoptr(GPtrArray) all = g_ptr_array_new_with_free_func (g_free);
  g_autoptr(GArray) unverified = NULL;
  g_autoptr(GPtrArray) rewards = NULL;
  g_auto(GStrv) origins = NULL;
  g_auto(GStrv) halted = NULL;
  Changes changes = { all, NULL };
  TrbStoreHistoryNewEntry entries[] = {
    { .leaf_index = 0, .type = "round_opened", .data = "{}", .task = "t", .round = 1, .time = 1 },
    { .leaf_index = 1, .type = "round_closed", .data = "{}", .task = "t", .round = 1, .time = 2 },
  };
  gboolean flag = FALSE;

  g_assert_no_error (error);
  history = trb_history_new (store, &error);
  g_assert_no_error (error);
  g_assert_true (trb_store_net_save_network (store, origin, "https://h.example", "H", "key", "t",
                                             &error));
  g_assert_true (trb_store_net_set_joined (store, origin, "wallet", &error));
  g_assert_no_error (error);
  origins = trb_history_list_origins (history, &error);
  g_assert_no_error (error);
  g_assert_cmpstrv (origins, ((const char * const[]) { origin, NULL }));
  g_signal_connect (store, "changed", G_CALLBACK (changed_cb), &changes);

  g_assert_true (trb_store_history_halt (store, origin, &error));
  g_assert_no_error (error);
  g_assert_true (trb_history_is_halted (history, origin, &error));
  g_assert_true (trb_store_net_is_compromised (store, origin, &flag, &error) && flag);
  g_assert_no_error (error);
  halted = trb_history_list_halted (history, &error);
  g_assert_cmpstrv (halted, ((const char * const[]) { origin, NULL }));
  g_assert_cmpuint (all->len, ==, 2);
  g_assert_cmpstr (g_ptr_array_index (all, 0), ==, "history https://h.example");
  g_assert_cmpstr (g_ptr_array_index (all, 1), ==, "networks https://h.example");
  g_assert_true (trb_store_history_resume (store, origin, &error));
  g_assert_false (trb_history_is_halted (history, origin, &error));
  g_assert_no_error (error);
  g_assert_true (trb_store_net_is_compromised (store, origin, &flag, &error));
  g_assert_false (flag);

  /* A page that cannot be kept whole is not kept at all. */
  g_assert_true (trb_store_exec (store, "CREATE TRIGGER full BEFORE INSERT ON history_entries "
                                 "WHEN NEW.leaf_index = 1 BEGIN SELECT RAISE (FAIL, "
                                 "'database or disk is full'); END", &error));
  g_assert_false (trb_store_history_save_entries (store, origin, entries, 2, &error));
  g_assert_error (error, TRB_STORE_ERROR, TRB_STORE_ERROR_QUERY);
  g_clear_error (&error);
  unverified = trb_store_history_list_unverified (store, origin, 10, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (unverified->len, ==, 0);

  trb_store_close (store);
  rewards = trb_history_list_rewards (history, NULL, &error);
  g_assert_null (rewards);
  g_assert_error (error, TRB_STORE_ERROR, TRB_STORE_ERROR_CLOSED);
  g_clear_error (&error);
  /* Unreadable, a network reads as halted: the loop must not contribute on a guess. */
  g_assert_true (trb_history_is_halted (history, origin, &error));
  g_assert_error (error, TRB_STORE_ERROR, TRB_STORE_ERROR_CLOSED);
}

int
main (int    argc,
      char **argv)
{
  g_test_init (&argc, &argv, G_TEST_OPTION_ISOLATE_DIRS, NULL);

  g_test_add_func ("/store/wal", test_store_opens_in_wal_mode);
  g_test_add_func ("/store/migrate", test_store_migrates_once);
  g_test_add_func ("/store/migrate-rollback", test_store_failed_migration_rolls_back);
  g_test_add_func ("/store/too-new", test_store_refuses_newer_schema);
  g_test_add_func ("/store/unwritable", test_store_reports_unwritable_folder);
  g_test_add_func ("/store/changed", test_store_announces_changes);
  g_test_add_func ("/store/failed-writes", test_store_reports_failed_writes);
  g_test_add_func ("/store/transactions", test_store_keeps_transactions_apart);
  g_test_add_func ("/store/net", test_store_net_operations);
  g_test_add_func ("/store/history", test_store_history_operations);

  return g_test_run ();
}
