/* test-store.c
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#include "config.h"

#include <glib/gstdio.h>

#include "store/trb-store.h"

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

  return g_test_run ();
}
