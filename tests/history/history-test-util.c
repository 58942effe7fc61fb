/* history-test-util.c
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#include "config.h"

#include "history-test-util.h"

#include <glib/gstdio.h>
#include <sqlite3.h>
#include <string.h>

#include "ledger/trb-ledger-entry.h"
#include "store/trb-store-sql.h"

static const char task_template[] =
  "{\"id\": \"" TASK_ID "\", \"title\": \"Clothing\","
  " \"model\": {\"format\": \"tributary-model\", \"version\": 1,"
  " \"input\": {\"shape\": [784], \"dtype\": \"u8\"}, \"layers\": [{\"type\": \"dense\","
  " \"units\": 16}, {\"type\": \"relu\"}, {\"type\": \"dense\", \"units\": 10}],"
  " \"loss\": \"softmax_cross_entropy\"},"
  " \"data_schema\": {\"kind\": \"image-classification\", \"width\": 28, \"height\": 28,"
  " \"channels\": 1, \"classes\": 10},"
  " \"hyper_parameters\": {\"local_epochs\": 2, \"batch_size\": 16, \"learning_rate\": 0.1},"
  " \"round_policy\": {\"duration_seconds\": 120, \"min_updates\": %d, \"max_updates\": %d},"
  " \"reward_policy\": {\"points_per_sample_epoch\": %s, \"cap_per_round\": 5},"
  " \"privacy_policy\": {\"clip_norm\": 0, \"noise_multiplier\": 0},"
  " \"publish_updates\": true,"
  " \"initial_weights\": {\"seed\": 7},"
  " \"evaluation\": {\"path\": \"%s\", \"max_samples\": 300}}";



void
fixture_setup (Fixture    *f,
               const char *points_per_sample_epoch)
{
  g_autofree char *holdout = test_dataset_path ("t10k-images-idx3-ubyte.gz");
  g_autofree char *task = g_strdup_printf (task_template, N_PARTICIPANTS, N_PARTICIPANTS,
                                           points_per_sample_epoch, holdout);
  g_autoptr(GError) error = NULL;

  test_node_init (&f->node, task);
  test_node_start (&f->node, NULL);
  for (guint i = 0; i < N_PARTICIPANTS; i++)
    {
      TestParticipant *p = test_participant_new (&f->node, i, N_PARTICIPANTS, SAMPLES_EACH);

      f->participants[i] = p;
      g_assert_true (trb_contributor_connect (p->contributor, &error));
      g_assert_no_error (error);
      g_assert_true (trb_contributor_join (p->contributor, &error));
      g_assert_no_error (error);
    }
  f->history = trb_history_new (f->participants[0]->store, &error);
  g_assert_no_error (error);
}

void
fixture_teardown (Fixture *f)
{
  g_clear_object (&f->history);
  for (guint i = 0; i < N_PARTICIPANTS; i++)
    g_clear_pointer (&f->participants[i], test_participant_free);
  test_node_clear (&f->node);
}

gint64
current_round (TestParticipant *p)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(JsonObject) round = test_get_json (p->client, "/v1/tasks/" TASK_ID "/round",
                                               &error);

  g_assert_no_error (error);
  return json_object_get_int_member (round, "round");
}

/* Every participant contributes to round @r; waits until it has closed. */
void
contribute_round (Fixture *f,
                  gint64   r)
{
  g_autoptr(GError) error = NULL;
  gint64 deadline = g_get_monotonic_time () + 60 * G_USEC_PER_SEC;

  for (guint i = 0; i < N_PARTICIPANTS; i++)
    {
      TestParticipant *p = f->participants[i];

      g_assert_cmpint (trb_contributor_contribute (p->contributor, TASK_ID, p->data, r - 1, 60,
                                                   &error), ==, r);
      g_assert_no_error (error);
    }
  while (current_round (f->participants[0]) <= r)
    {
      g_assert_cmpint (g_get_monotonic_time (), <, deadline);
      g_usleep (50000);
    }
}

const char *
origin_of (Fixture *f)
{
  return trb_contributor_get_origin (f->participants[0]->contributor);
}

gboolean
sync_history (Fixture  *f,
              gboolean  witness,
              GError  **error)
{
  return trb_history_sync (f->history, f->participants[0]->client, origin_of (f), witness, NULL,
                           error);
}

/* The reward entries the node holds for @address, read from its own database. */
GPtrArray *
node_rewards (TestNode   *node,
              const char *address)
{
  g_autofree char *path = g_build_filename (node->data_dir, "node.db", NULL);
  GPtrArray *rewards = g_ptr_array_new_with_free_func (g_object_unref);
  sqlite3 *db = NULL;
  sqlite3_stmt *stmt = NULL;

  g_assert_cmpint (sqlite3_open_v2 (path, &db, SQLITE_OPEN_READONLY, NULL), ==, SQLITE_OK);
  g_assert_cmpint (sqlite3_prepare_v2 (db, "SELECT data FROM ledger_log_entries ORDER BY idx",
                                       -1, &stmt, NULL), ==, SQLITE_OK);
  while (sqlite3_step (stmt) == SQLITE_ROW)
    {
      const char *data = sqlite3_column_blob (stmt, 0);
      int len = sqlite3_column_bytes (stmt, 0);
      TrbLedgerEntry *entry = trb_ledger_entry_parse (data, len, NULL);

      g_assert_nonnull (entry);
      if (trb_ledger_entry_get_entry_type (entry) == TRB_LEDGER_ENTRY_REWARD &&
          g_strcmp0 (trb_ledger_entry_get_participant (entry), address) == 0)
        g_ptr_array_add (rewards, entry);
      else
        g_object_unref (entry);
    }
  sqlite3_finalize (stmt);
  sqlite3_close (db);
  return rewards;
}

gint64
sum_points (GPtrArray *entries)
{
  gint64 sum = 0;

  for (guint i = 0; i < entries->len; i++)
    sum += trb_ledger_entry_get_points (g_ptr_array_index (entries, i));
  return sum;
}

/* The node (stopped) rewrites the bytes of one reward entry: the served entry is no longer the
 * one in its Merkle tree. */
void
forge_reward (TestNode   *node,
              const char *address,
              gint64      round)
{
  g_autofree char *path = g_build_filename (node->data_dir, "node.db", NULL);
  sqlite3 *db = NULL;
  sqlite3_stmt *stmt = NULL;
  gint64 idx = -1;
  g_autofree char *forged = NULL;
  gsize len = 0;

  g_assert_cmpint (sqlite3_open (path, &db), ==, SQLITE_OK);
  g_assert_cmpint (sqlite3_prepare_v2 (db, "SELECT idx, data FROM ledger_log_entries", -1,
                                       &stmt, NULL), ==, SQLITE_OK);
  while (sqlite3_step (stmt) == SQLITE_ROW)
    {
      g_autoptr(TrbLedgerEntry) e = trb_ledger_entry_parse (sqlite3_column_blob (stmt, 1),
                                                            sqlite3_column_bytes (stmt, 1), NULL);

      if (trb_ledger_entry_get_entry_type (e) == TRB_LEDGER_ENTRY_REWARD &&
          g_str_equal (trb_ledger_entry_get_participant (e), address) &&
          trb_ledger_entry_get_round (e) == round)
        {
          idx = sqlite3_column_int64 (stmt, 0);
          forged = trb_ledger_entry_build_reward (trb_ledger_entry_get_task (e), round, address,
                                                  trb_ledger_entry_get_points (e) * 10 + 7,
                                                  trb_ledger_entry_get_time (e), &len, NULL);
        }
    }
  sqlite3_finalize (stmt);
  g_assert_cmpint (idx, >=, 0);
  g_assert_nonnull (forged);
  g_assert_cmpint (sqlite3_prepare_v2 (db, "UPDATE ledger_log_entries SET data = ? WHERE idx = ?",
                                       -1, &stmt, NULL), ==, SQLITE_OK);
  sqlite3_bind_blob (stmt, 1, forged, len, SQLITE_TRANSIENT);
  sqlite3_bind_int64 (stmt, 2, idx);
  g_assert_cmpint (sqlite3_step (stmt), ==, SQLITE_DONE);
  g_assert_cmpint (sqlite3_changes (db), ==, 1);
  sqlite3_finalize (stmt);
  sqlite3_close (db);
}

char *
receipt_update (TestParticipant *p,
                gint64           round)
{
  sqlite3_stmt *stmt = NULL;
  char *hash = NULL;

  g_assert_cmpint (sqlite3_prepare_v2 (trb_store_get_db (p->store),
                                       "SELECT update_hash FROM net_receipts WHERE round = ?", -1,
                                       &stmt, NULL), ==, SQLITE_OK);
  sqlite3_bind_int64 (stmt, 1, round);
  if (sqlite3_step (stmt) == SQLITE_ROW)
    hash = g_strdup ((const char *) sqlite3_column_text (stmt, 0));
  sqlite3_finalize (stmt);
  g_assert_nonnull (hash);
  return hash;
}

void
copy_file (const char *from_dir,
           const char *to_dir,
           const char *name)
{
  g_autofree char *from = g_build_filename (from_dir, name, NULL);
  g_autofree char *to = g_build_filename (to_dir, name, NULL);
  g_autoptr(GFile) src = g_file_new_for_path (from);
  g_autoptr(GFile) dest = g_file_new_for_path (to);

  if (g_file_query_exists (src, NULL))
    g_assert_true (g_file_copy (src, dest, G_FILE_COPY_OVERWRITE, NULL, NULL, NULL, NULL));
}

void
join_extra (TestNode *node)
{
  g_autoptr(GError) error = NULL;
  TestParticipant *extra = test_participant_new (node, 0, 1, 0);

  g_assert_true (trb_contributor_connect (extra->contributor, &error));
  g_assert_true (trb_contributor_join (extra->contributor, &error));
  g_assert_no_error (error);
  test_participant_free (extra);
}

