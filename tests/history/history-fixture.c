/* history-fixture.c
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * Prepares the stores the History display test opens: a real node, two participants, two
 * contributed rounds (OUT/rounds), then a third round whose reward the node forges, which
 * halts the network with the evidence of an edited entry (OUT/forged), then, with the honest
 * ledger back and the network kept, a fork of the ledger (OUT/inconsistent). Each store is at
 * OUT/<case>/tributary/tributary.db, where the app finds it with XDG_DATA_HOME=OUT/<case>.
 *
 * With --serve it stops after OUT/rounds and keeps the node running until its standard input
 * closes, for tests that need the network alive (evaluating a model version downloads it).
 */

#include "config.h"

#include <glib/gstdio.h>
#include <sodium.h>
#include <sqlite3.h>
#include <stdio.h>
#include <string.h>

#include "history-test-util.h"
#include "store/trb-store-sql.h"

static void
snapshot_store (Fixture    *f,
                const char *out,
                const char *name)
{
  g_autofree char *dir = g_build_filename (out, name, "tributary", NULL);
  g_autofree char *path = g_build_filename (dir, "tributary.db", NULL);
  char *sql;
  char *message = NULL;

  g_assert_cmpint (g_mkdir_with_parents (dir, 0700), ==, 0);
  g_unlink (path);
  sql = sqlite3_mprintf ("VACUUM INTO %Q", path);
  if (sqlite3_exec (trb_store_get_db (f->participants[0]->store), sql, NULL, NULL, &message) !=
      SQLITE_OK)
    g_error ("Cannot copy the store: %s", message);
  sqlite3_free (sql);
  g_print ("store: %s\n", path);
}

static void
reconnect (Fixture *f)
{
  g_autoptr(GError) error = NULL;

  test_participant_reconnect (f->participants[0], &f->node);
  g_assert_true (trb_contributor_connect (f->participants[0]->contributor, &error));
  g_assert_no_error (error);
}

int
main (int    argc,
      char **argv)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *fork_dir = NULL;
  g_autofree char *honest_dir = NULL;
  g_autofree char *key_path = NULL;
  Fixture f = { 0 };
  const char *me;
  gboolean serve = argc == 3 && g_str_equal (argv[2], "--serve");

  if (argc != 2 && !serve)
    {
      g_printerr ("Usage: history-fixture OUT_DIR [--serve]\n");
      return 2;
    }
  g_setenv ("GIO_USE_PROXY_RESOLVER", "dummy", TRUE);
  g_assert_cmpint (sodium_init (), >=, 0);

  fixture_setup (&f, "0.01");
  me = trb_client_get_address (f.participants[0]->client);
  for (gint64 r = 1; r <= 2; r++)
    {
      g_autofree char *update = NULL;

      contribute_round (&f, r);
      update = receipt_update (f.participants[0], r);
      g_assert_true (trb_history_record_dataset (f.history, origin_of (&f), update,
                                                 r == 1 ? "Clothing photos"
                                                        : "Clothing photos (new)", NULL));
      g_assert_true (sync_history (&f, TRUE, &error));
      g_assert_no_error (error);
    }
  g_assert_true (sync_history (&f, TRUE, &error));
  g_assert_no_error (error);
  snapshot_store (&f, argv[1], "rounds");
  if (serve)
    {
      char buffer[64];

      g_print ("serving\n");
      fflush (stdout);
      while (fread (buffer, 1, sizeof buffer, stdin) > 0)
        ;
      fixture_teardown (&f);
      return 0;
    }

  /* Round 3, whose reward entry the node rewrites: the network is halted for an edited entry,
   * with its evidence. */
  contribute_round (&f, 3);
  test_node_kill (&f.node);
  honest_dir = g_strconcat (f.node.data_dir, "-honest", NULL);
  g_assert_cmpint (g_mkdir (honest_dir, 0700), ==, 0);
  copy_file (f.node.data_dir, honest_dir, "node.db");
  copy_file (f.node.data_dir, honest_dir, "node.db-wal");
  forge_reward (&f.node, me, 3);
  test_node_start (&f.node, NULL);
  reconnect (&f);
  g_assert_false (sync_history (&f, FALSE, &error));
  g_assert_error (error, TRB_HISTORY_ERROR, TRB_HISTORY_ERROR_INCONSISTENT);
  g_clear_error (&error);
  snapshot_store (&f, argv[1], "forged");

  /* The node's honest ledger back, and the person's decision to keep the network. */
  test_node_kill (&f.node);
  copy_file (honest_dir, f.node.data_dir, "node.db");
  copy_file (honest_dir, f.node.data_dir, "node.db-wal");
  test_node_start (&f.node, NULL);
  g_assert_true (trb_history_resume (f.history, origin_of (&f), &error));
  g_assert_no_error (error);
  reconnect (&f);
  g_assert_true (sync_history (&f, FALSE, &error));
  g_assert_no_error (error);

  /* A fork: the real ledger grows one way, a copy of it another. */
  test_node_kill (&f.node);
  fork_dir = g_strconcat (f.node.data_dir, "-fork", NULL);
  g_assert_cmpint (g_mkdir (fork_dir, 0700), ==, 0);
  copy_file (f.node.data_dir, fork_dir, "node.db");
  copy_file (f.node.data_dir, fork_dir, "node.db-wal");
  copy_file (f.node.data_dir, fork_dir, "ledger.key");
  key_path = g_build_filename (fork_dir, "ledger.key", NULL);
  g_assert_cmpint (g_chmod (key_path, 0600), ==, 0);
  test_node_start (&f.node, NULL);
  join_extra (&f.node);
  reconnect (&f);
  g_assert_true (sync_history (&f, FALSE, &error));
  g_assert_no_error (error);
  test_node_kill (&f.node);
  g_free (f.node.data_dir);
  f.node.data_dir = g_strdup (fork_dir);
  test_node_start (&f.node, NULL);
  join_extra (&f.node);
  join_extra (&f.node);
  reconnect (&f);
  g_assert_false (sync_history (&f, FALSE, &error));
  g_assert_error (error, TRB_HISTORY_ERROR, TRB_HISTORY_ERROR_INCONSISTENT);
  snapshot_store (&f, argv[1], "inconsistent");

  fixture_teardown (&f);
  return 0;
}
