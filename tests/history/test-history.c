/* test-history.c
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * The history built from a real tributary-node's ledger on 127.0.0.1, with real participants
 * contributing real rounds.
 */

#include "config.h"

#include <glib/gstdio.h>
#include <signal.h>
#include <sodium.h>
#include <sqlite3.h>
#include <string.h>

#include "history-test-util.h"
#include "compute/trb-model-spec.h"
#include "compute/trb-weights.h"
#include "ledger/trb-ledger-entry.h"
#include "net/trb-protocol.h"
#include "participant/trb-history-item.h"
#include "participant/trb-rewards.h"
#include "store/trb-store-sql.h"

static void
store_result_cb (GObject      *source,
                 GAsyncResult *result,
                 gpointer      user_data)
{
  *(GAsyncResult **) user_data = g_object_ref (result);
}

typedef struct
{
  guint n_signals;
  guint position;
  guint removed;
  guint added;
} Changes;

static void
items_changed_cb (GListModel *model,
                  guint       position,
                  guint       removed,
                  guint       added,
                  Changes    *changes)
{
  changes->n_signals++;
  changes->position = position;
  changes->removed = removed;
  changes->added = added;
}

static GPtrArray *
snapshot_items (GListModel *model)
{
  GPtrArray *objects = g_ptr_array_new_with_free_func (g_object_unref);

  for (guint i = 0; i < g_list_model_get_n_items (model); i++)
    g_ptr_array_add (objects, g_list_model_get_item (model, i));
  return objects;
}

/* What the History area does: its lists are stores updated in place after each sync. A sync
 * that finds nothing new must leave every item object as it was, so that no row is rebuilt; a
 * new round adds its own item only; an evaluation result is kept in the store with its model
 * version and dataset until removed. */
static void
test_items_updated_in_place (void)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GListStore) versions = g_list_store_new (TRB_TYPE_HISTORY_ITEM);
  g_autoptr(GListStore) rewards = g_list_store_new (TRB_TYPE_HISTORY_ITEM);
  g_autoptr(GPtrArray) before = NULL;
  g_autoptr(GPtrArray) items = NULL;
  g_autoptr(GPtrArray) results = NULL;
  g_autoptr(TrbStore) second_store = NULL;
  g_autoptr(TrbHistory) reopened = NULL;
  TrbModelVersion *newest;
  Changes changes = { 0 };
  Changes reward_changes = { 0 };
  Fixture f = { 0 };

  fixture_setup (&f, "0.01");
  contribute_round (&f, 1);
  g_assert_true (sync_history (&f, FALSE, &error));
  g_assert_no_error (error);

  items = trb_history_list_version_items (f.history, origin_of (&f), TASK_ID, NULL);
  g_assert_true (trb_history_item_update_store (versions, items));
  g_clear_pointer (&items, g_ptr_array_unref);
  items = trb_history_list_reward_items (f.history, NULL);
  trb_history_item_update_store (rewards, items);
  g_clear_pointer (&items, g_ptr_array_unref);
  g_assert_cmpuint (g_list_model_get_n_items (G_LIST_MODEL (versions)), ==, 1);
  g_assert_cmpuint (g_list_model_get_n_items (G_LIST_MODEL (rewards)), ==, 1);
  g_signal_connect (versions, "items-changed", G_CALLBACK (items_changed_cb), &changes);
  g_signal_connect (rewards, "items-changed", G_CALLBACK (items_changed_cb), &reward_changes);

  /* Nothing new in the ledger: no signal, the same objects. */
  before = snapshot_items (G_LIST_MODEL (versions));
  g_assert_true (sync_history (&f, FALSE, &error));
  g_assert_no_error (error);
  items = trb_history_list_version_items (f.history, origin_of (&f), TASK_ID, NULL);
  g_assert_false (trb_history_item_update_store (versions, items));
  g_clear_pointer (&items, g_ptr_array_unref);
  items = trb_history_list_reward_items (f.history, NULL);
  g_assert_false (trb_history_item_update_store (rewards, items));
  g_clear_pointer (&items, g_ptr_array_unref);
  g_assert_cmpuint (changes.n_signals, ==, 0);
  g_assert_cmpuint (reward_changes.n_signals, ==, 0);
  {
    g_autoptr(TrbHistoryItem) same = g_list_model_get_item (G_LIST_MODEL (versions), 0);

    g_assert_true (same == g_ptr_array_index (before, 0));
  }

  /* A new round: one insertion at the top, the older item untouched. */
  contribute_round (&f, 2);
  g_assert_true (sync_history (&f, FALSE, &error));
  g_assert_no_error (error);
  items = trb_history_list_version_items (f.history, origin_of (&f), TASK_ID, NULL);
  g_assert_true (trb_history_item_update_store (versions, items));
  g_clear_pointer (&items, g_ptr_array_unref);
  g_assert_cmpuint (changes.n_signals, ==, 1);
  g_assert_cmpuint (changes.position, ==, 0);
  g_assert_cmpuint (changes.removed, ==, 0);
  g_assert_cmpuint (changes.added, ==, 1);
  {
    g_autoptr(TrbHistoryItem) older = g_list_model_get_item (G_LIST_MODEL (versions), 1);
    g_autoptr(TrbHistoryItem) top = g_list_model_get_item (G_LIST_MODEL (versions), 0);

    g_assert_true (older == g_ptr_array_index (before, 0));
    newest = trb_history_item_get_data (top);
    g_assert_cmpint (newest->round, ==, 2);
  }
  items = trb_history_list_reward_items (f.history, NULL);
  trb_history_item_update_store (rewards, items);
  g_clear_pointer (&items, g_ptr_array_unref);
  g_assert_cmpuint (reward_changes.n_signals, ==, 1);
  g_assert_cmpuint (reward_changes.added, ==, 1);
  g_assert_cmpuint (reward_changes.removed, ==, 0);

  /* An evaluation result: kept with its version and data, shown right after the version, and
   * still there for a new connection to the store (a restart). */
  {
    g_autoptr(TrbHistoryItem) top = g_list_model_get_item (G_LIST_MODEL (versions), 0);

    newest = trb_history_item_get_data (top);
    g_assert_true (trb_history_save_evaluation (f.history, origin_of (&f), TASK_ID,
                                                newest->model, "Clothing photos", 0.875,
                                                &error));
    g_assert_no_error (error);
    changes.n_signals = 0;
    items = trb_history_list_version_items (f.history, origin_of (&f), TASK_ID, NULL);
    g_assert_true (trb_history_item_update_store (versions, items));
    g_clear_pointer (&items, g_ptr_array_unref);
    g_assert_cmpuint (changes.n_signals, ==, 1);
    g_assert_cmpuint (changes.position, ==, 1);
    g_assert_cmpuint (changes.added, ==, 1);
    g_assert_cmpuint (changes.removed, ==, 0);
  }
  {
    g_autoptr(TrbHistoryItem) result_item = g_list_model_get_item (G_LIST_MODEL (versions), 1);
    TrbEvaluationResult *result = trb_history_item_get_data (result_item);

    g_assert_cmpint (trb_history_item_get_kind (result_item), ==, TRB_HISTORY_ITEM_EVALUATION);
    g_assert_cmpstr (result->dataset, ==, "Clothing photos");
    g_assert_cmpfloat_with_epsilon (result->accuracy, 0.875, 1e-9);
  }
  second_store = trb_store_new_for_path (trb_store_get_path (f.participants[0]->store), &error);
  g_assert_no_error (error);
  reopened = trb_history_new (second_store, &error);
  g_assert_no_error (error);
  results = trb_history_list_evaluations (reopened, origin_of (&f), NULL, NULL);
  g_assert_cmpuint (results->len, ==, 1);
  g_assert_true (trb_history_remove_evaluation (reopened, origin_of (&f),
                                                ((TrbEvaluationResult *) results->pdata[0])->model,
                                                "Clothing photos", &error));
  g_assert_no_error (error);
  g_clear_pointer (&results, g_ptr_array_unref);
  results = trb_history_list_evaluations (f.history, origin_of (&f), NULL, NULL);
  g_assert_cmpuint (results->len, ==, 0);

  g_clear_object (&reopened);
  g_clear_object (&second_store);
  fixture_teardown (&f);
}

static void
test_rewards_and_provenance (void)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GPtrArray) rewards = NULL;
  g_autoptr(GPtrArray) from_node = NULL;
  g_autoptr(GPtrArray) totals = NULL;
  g_autoptr(GPtrArray) items = NULL;
  g_autoptr(GPtrArray) versions = NULL;
  g_autoptr(GPtrArray) back = NULL;
  g_autofree char *csv = NULL;
  Fixture f = { 0 };
  const char *me;
  gint64 total_before;
  guint n_before;

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
      /* As the app does after each round. */
      if (r == 1)
        {
          g_assert_true (sync_history (&f, TRUE, &error));
          g_assert_no_error (error);
        }
    }

  g_assert_true (sync_history (&f, TRUE, &error));
  g_assert_no_error (error);
  /* Witnessed: the second synchronisation sees this wallet's cosignature on the checkpoint. */
  g_assert_true (sync_history (&f, TRUE, &error));
  g_assert_no_error (error);

  /* Totals equal the node's own reward entries; every entry is verified. */
  from_node = node_rewards (&f.node, me);
  g_assert_cmpuint (from_node->len, ==, 2);
  rewards = trb_history_list_rewards (f.history, NULL, NULL);
  g_assert_cmpuint (rewards->len, ==, from_node->len);
  for (guint i = 0; i < rewards->len; i++)
    {
      TrbRewardRecord *r = g_ptr_array_index (rewards, i);

      g_assert_true (r->verified);
      g_assert_null (r->problem);
      g_assert_cmpstr (r->wallet, ==, me);
      g_assert_cmpint (r->points, ==,
                       trb_ledger_entry_get_points (g_ptr_array_index (from_node, i)));
    }
  totals = trb_history_list_totals (f.history, NULL);
  g_assert_cmpuint (totals->len, ==, 1);
  g_assert_cmpint (((TrbRewardTotal *) totals->pdata[0])->points, ==, sum_points (from_node));
  g_assert_cmpint (sum_points (from_node), >, 0);

  /* Reconciliation: 120 samples × 2 epochs × 0.01 = 2.4 points for each round. */
  items = trb_history_reconcile (f.history, NULL, NULL);
  g_assert_cmpuint (items->len, ==, 2);
  for (guint i = 0; i < items->len; i++)
    {
      TrbRoundReconciliation *item = g_ptr_array_index (items, i);

      g_assert_cmpint (item->round, ==, i + 1);
      g_assert_cmpint (item->status, ==, TRB_RECONCILE_PAID);
      g_assert_cmpint (item->expected, ==, 2400);
      g_assert_cmpint (item->credited, ==, item->expected);
      g_assert_nonnull (item->dataset);
    }

  /* Provenance: two versions, each with this wallet's update and its dataset, verified. */
  versions = trb_history_list_versions (f.history, origin_of (&f), TASK_ID, NULL);
  g_assert_cmpuint (versions->len, ==, 2);
  for (guint i = 0; i < versions->len; i++)
    {
      TrbModelVersion *v = g_ptr_array_index (versions, i);

      g_assert_cmpint (v->round, ==, i + 1);
      g_assert_true (v->verified);
      /* Witnessing recomputed each round from its published updates. */
      g_assert_true (v->recomputed);
      g_assert_cmpuint (v->n_contributions, ==, N_PARTICIPANTS);
      g_assert_cmpuint (v->n_mine, ==, 1);
      g_assert_cmpstr (v->my_datasets, ==, i == 0 ? "Clothing photos" : "Clothing photos (new)");
      g_assert_true (v->has_accuracy);
      g_assert_cmpfloat (v->accuracy, >, 0.0);
      g_assert_cmpfloat (v->accuracy, <=, 1.0);
      /* The second version's checkpoint came after the one verified after round 1. */
      g_assert_cmpuint (v->n_earlier_checkpoints, >=, i);
      g_assert_cmpuint (v->n_cosigners, >=, 1);
      g_assert_nonnull (v->parent);
      g_assert_cmpuint (strlen (v->model), ==, 64);
    }
  /* Each version's parent is the model before it. */
  g_assert_cmpstr (((TrbModelVersion *) versions->pdata[1])->parent, ==,
                   ((TrbModelVersion *) versions->pdata[0])->model);

  /* CSV round trip. */
  csv = trb_rewards_to_csv (rewards);
  back = trb_rewards_from_csv (csv, strlen (csv), &error);
  g_assert_no_error (error);
  g_assert_cmpuint (back->len, ==, rewards->len);
  for (guint i = 0; i < back->len; i++)
    g_assert_true (trb_reward_record_equal (g_ptr_array_index (back, i),
                                            g_ptr_array_index (rewards, i)));

  /* Your benefit: the verified model version, run on local data, gives the accuracy the ledger
   * records for the node's hold-out when run on the same 300 samples (same CPU executor). */
  {
    TrbModelVersion *v = g_ptr_array_index (versions, 1);
    g_autofree char *images = test_dataset_path ("t10k-images-idx3-ubyte.gz");
    g_autoptr(GBytes) weights = trb_history_download_model (f.history,
                                                            f.participants[0]->client,
                                                            origin_of (&f), v->model, NULL,
                                                            &error);
    g_autoptr(GAsyncResult) result = NULL;
    g_autoptr(GBytes) none = NULL;
    double accuracy = -1, async_accuracy;

    g_assert_no_error (error);
    g_assert_true (trb_history_evaluate (f.history, origin_of (&f), TASK_ID, weights, images,
                                         300, &accuracy, NULL, &error));
    g_assert_no_error (error);
    g_assert_cmpfloat_with_epsilon (accuracy, v->accuracy, 1e-9);

    /* Cancelled (the person left the area): it stops, with nothing measured. */
    {
      g_autoptr(GCancellable) cancellable = g_cancellable_new ();
      double cancelled_accuracy = -1;

      g_cancellable_cancel (cancellable);
      g_assert_false (trb_history_evaluate (f.history, origin_of (&f), TASK_ID, weights, images,
                                            300, &cancelled_accuracy, cancellable, &error));
      g_assert_error (error, G_IO_ERROR, G_IO_ERROR_CANCELLED);
      g_assert_cmpfloat (cancelled_accuracy, ==, -1);
      g_clear_error (&error);
    }

    /* Off the calling thread, on the whole local set. */
    trb_history_evaluate_async (f.history, origin_of (&f), TASK_ID, v->model, images, NULL,
                                store_result_cb, &result);
    while (result == NULL)
      g_main_context_iteration (NULL, TRUE);
    async_accuracy = trb_history_evaluate_finish (f.history, result, &error);
    g_assert_no_error (error);
    g_assert_cmpfloat (async_accuracy, >, 0.15);
    g_assert_cmpfloat (async_accuracy, <=, 1.0);
    g_test_message ("accuracy on 300 samples %.4f, on the local set %.4f", accuracy,
                    async_accuracy);

    /* A hash the ledger does not name is refused. */
    none = trb_history_download_model (f.history, f.participants[0]->client, origin_of (&f),
                                       "00000000000000000000000000000000"
                                       "00000000000000000000000000000000", NULL, &error);
    g_assert_null (none);
    g_assert_error (error, TRB_HISTORY_ERROR, TRB_HISTORY_ERROR_PROTOCOL);
    g_clear_error (&error);
  }

  /* Round 3, whose reward the node then forges: tampering at once (the network is halted with
   * the entry and its proof kept), and the forged reward shown unverified, never counted. */
  total_before = sum_points (from_node);
  n_before = rewards->len;
  contribute_round (&f, 3);
  test_node_kill (&f.node);
  forge_reward (&f.node, me, 3);
  test_node_start (&f.node, NULL);
  test_participant_reconnect (f.participants[0], &f.node);
  g_assert_true (trb_contributor_connect (f.participants[0]->contributor, &error));
  g_assert_no_error (error);
  g_assert_false (trb_history_is_halted (f.history, origin_of (&f), NULL));
  g_assert_false (sync_history (&f, FALSE, &error));
  g_assert_error (error, TRB_HISTORY_ERROR, TRB_HISTORY_ERROR_INCONSISTENT);
  g_assert_nonnull (strstr (error->message,
                            trb_ledger_tamper_describe (TRB_LEDGER_TAMPER_EDITED_ENTRY)));
  g_clear_error (&error);
  g_assert_true (trb_history_is_halted (f.history, origin_of (&f), NULL));
  g_assert_cmpint (trb_history_get_tamper (f.history, origin_of (&f), NULL), ==,
                   TRB_LEDGER_TAMPER_EDITED_ENTRY);
  {
    g_autofree char *evidence = trb_history_export_evidence (f.history, origin_of (&f), &error);

    g_assert_no_error (error);
    g_assert_nonnull (strstr (evidence, "# found: edited-entry"));
    g_assert_nonnull (strstr (evidence, "\"type\":\"reward\""));
    g_assert_nonnull (strstr (evidence, "# proof given by the network (base64):"));
  }

  g_clear_pointer (&rewards, g_ptr_array_unref);
  rewards = trb_history_list_rewards (f.history, NULL, NULL);
  g_assert_cmpuint (rewards->len, ==, n_before + 1);
  for (guint i = 0; i < rewards->len; i++)
    {
      TrbRewardRecord *r = g_ptr_array_index (rewards, i);

      g_assert_cmpint (r->verified, ==, r->round != 3);
      if (r->round == 3)
        g_assert_nonnull (r->problem);
    }
  g_clear_pointer (&totals, g_ptr_array_unref);
  totals = trb_history_list_totals (f.history, NULL);
  g_assert_cmpint (((TrbRewardTotal *) totals->pdata[0])->points, ==, total_before);
  g_assert_cmpuint (((TrbRewardTotal *) totals->pdata[0])->n_unverified, ==, 1);
  g_assert_cmpint (trb_rewards_total (rewards), ==, total_before);

  g_clear_pointer (&items, g_ptr_array_unref);
  items = trb_history_reconcile (f.history, NULL, NULL);
  g_assert_cmpuint (items->len, ==, 3);
  {
    TrbRoundReconciliation *item = g_ptr_array_index (items, 2);

    g_assert_cmpint (item->status, ==, TRB_RECONCILE_NOTHING);
    g_assert_cmpint (item->credited, ==, 0);
    g_assert_cmpint (item->expected, ==, 2400);
    g_assert_nonnull (strstr (item->reason, "not in its verified ledger"));
  }

  /* tributary-cli history --csv prints the app's export, and gives the same records read back
   * from it. */
  {
    g_autofree char *home = g_build_filename (g_get_user_data_dir (), "cli", NULL);
    g_autofree char *dir = g_build_filename (home, "tributary", NULL);
    g_autofree char *db = g_build_filename (dir, "tributary.db", NULL);
    g_autofree char *cli = g_build_filename (g_getenv ("TRB_BUILD_ROOT"), "src", "cli",
                                             "tributary-cli", NULL);
    g_autofree char *sql = g_strdup_printf ("VACUUM INTO '%s'", db);
    g_autoptr(GSubprocessLauncher) launcher = NULL;
    g_autoptr(GSubprocess) process = NULL;
    g_autoptr(GPtrArray) from_cli = NULL;
    g_autofree char *out = NULL;

    g_assert_cmpint (g_mkdir_with_parents (dir, 0700), ==, 0);
    g_assert_true (trb_store_exec (f.participants[0]->store, sql, &error));
    g_assert_no_error (error);
    launcher = g_subprocess_launcher_new (G_SUBPROCESS_FLAGS_STDOUT_PIPE);
    g_subprocess_launcher_setenv (launcher, "XDG_DATA_HOME", home, TRUE);
    process = g_subprocess_launcher_spawn (launcher, &error, cli, "history", "--csv",
                                           "--offline", NULL);
    g_assert_no_error (error);
    g_assert_true (g_subprocess_communicate_utf8 (process, NULL, NULL, &out, NULL, &error));
    g_assert_no_error (error);
    g_assert_cmpint (g_subprocess_get_exit_status (process), ==, 0);
    /* Byte for byte the file the History area's "Export as CSV" writes (both are
     * trb_rewards_to_csv() of trb_history_list_rewards()). */
    {
      g_autoptr(GPtrArray) app_records = trb_history_list_rewards (f.history, NULL, &error);
      g_autofree char *app_csv = NULL;

      g_assert_no_error (error);
      app_csv = trb_rewards_to_csv (app_records);
      g_assert_cmpstr (out, ==, app_csv);
    }
    from_cli = trb_rewards_from_csv (out, strlen (out), &error);
    g_assert_no_error (error);
    g_assert_cmpuint (from_cli->len, ==, rewards->len);
    for (guint i = 0; i < from_cli->len; i++)
      g_assert_true (trb_reward_record_equal (g_ptr_array_index (from_cli, i),
                                              g_ptr_array_index (rewards, i)));
  }

  fixture_teardown (&f);
}

/* A network whose policy pays nothing: the round is explained, not just empty. */
static void
test_round_paid_nothing (void)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GPtrArray) items = NULL;
  g_autoptr(GPtrArray) rewards = NULL;
  Fixture f = { 0 };
  TrbRoundReconciliation *item;

  fixture_setup (&f, "0");
  contribute_round (&f, 1);
  g_assert_true (sync_history (&f, FALSE, &error));
  g_assert_no_error (error);

  rewards = trb_history_list_rewards (f.history, NULL, NULL);
  g_assert_cmpuint (rewards->len, ==, 0);
  items = trb_history_reconcile (f.history, NULL, NULL);
  g_assert_cmpuint (items->len, ==, 1);
  item = g_ptr_array_index (items, 0);
  g_assert_cmpint (item->status, ==, TRB_RECONCILE_NOTHING);
  g_assert_cmpint (item->expected, ==, 0);
  g_assert_cmpint (item->credited, ==, 0);
  g_assert_nonnull (item->reason);
  g_assert_nonnull (strstr (item->reason, "pays nothing"));
  g_test_message ("reason: %s", item->reason);

  fixture_teardown (&f);
}

/* An update of zeros, sent by this computer's wallet for round @r on the round's model. */
static void
upload_zero_update (Fixture *f,
                    gint64   r)
{
  TestParticipant *p = f->participants[0];
  g_autoptr(GError) error = NULL;
  g_autoptr(JsonObject) task = test_get_json (p->client, "/v1/tasks/" TASK_ID, &error);
  g_autoptr(JsonObject) round = test_get_json (p->client, "/v1/tasks/" TASK_ID "/round", &error);
  g_autoptr(JsonNode) model = NULL;
  g_autofree char *model_json = NULL;
  g_autoptr(TrbModelSpec) spec = NULL;
  g_autoptr(TrbWeights) zero = NULL;
  g_autoptr(GBytes) bytes = NULL;
  g_autoptr(JsonObject) receipt = NULL;
  g_autofree char *samples = g_strdup_printf ("%d", SAMPLES_EACH);

  g_assert_no_error (error);
  g_assert_cmpint (json_object_get_int_member (round, "round"), ==, r);
  model = json_node_init_object (json_node_alloc (), json_object_get_object_member (task, "model"));
  model_json = json_to_string (model, FALSE);
  spec = trb_model_spec_new_from_json (model_json, -1, &error);
  g_assert_no_error (error);
  zero = trb_model_spec_init_weights (spec, 1);
  g_assert_true (trb_weights_add_scaled (zero, zero, -1, &error));
  g_assert_no_error (error);
  g_assert_cmpfloat (trb_weights_l2_norm (zero), ==, 0);
  trb_weights_set_metadata (zero, "base_model", json_object_get_string_member (round, "model"));
  trb_weights_set_metadata (zero, "samples", samples);
  trb_weights_set_metadata (zero, "epochs", "2");
  trb_weights_set_metadata (zero, "dataset_commitment",
                            "00000000000000000000000000000000000000000000000000000000000000ab");
  bytes = trb_weights_to_safetensors (zero);
  receipt = test_upload (p->client, TASK_ID, r, bytes, &error);
  g_assert_no_error (error);
  g_assert_nonnull (receipt);
}

/* Rewards under rule 2 recomputed on this computer: an honest round is paid as the rule says,
 * an update of zeros earns nothing and is explained, and a network that pays other than its
 * published policy gives (a task copy whose sample cap is lower than what it paid on) is
 * flagged. */
static void
test_reconcile_checked (void)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GPtrArray) items = NULL;
  g_autoptr(GPtrArray) from_node = NULL;
  g_autofree char *sql = NULL;
  Fixture f = { 0 };
  TrbRoundReconciliation *item;
  const char *me;

  fixture_setup (&f, "0.01");
  me = trb_client_get_address (f.participants[0]->client);
  contribute_round (&f, 1);

  /* Round 2: this wallet sends an update of zeros, the other trains. */
  upload_zero_update (&f, 2);
  g_assert_cmpint (trb_contributor_contribute (f.participants[1]->contributor, TASK_ID,
                                               f.participants[1]->data, 1, 60, &error), ==, 2);
  g_assert_no_error (error);
  while (current_round (f.participants[0]) <= 2)
    g_usleep (50000);
  g_assert_true (sync_history (&f, FALSE, &error));
  g_assert_no_error (error);

  from_node = node_rewards (&f.node, me);
  g_assert_cmpuint (from_node->len, ==, 2);
  g_assert_cmpint (trb_ledger_entry_get_reward_rule (from_node->pdata[0]), ==,
                   TRB_REWARD_RULE_CHECKED);
  g_assert_cmpint (trb_ledger_entry_get_samples (from_node->pdata[0]), ==, SAMPLES_EACH);
  g_assert_cmpint (trb_ledger_entry_get_epochs (from_node->pdata[0]), ==, 2);
  g_assert_true (trb_ledger_entry_get_used (from_node->pdata[0]));
  g_assert_cmpint (trb_ledger_entry_get_points (from_node->pdata[1]), ==, 0);

  items = trb_history_reconcile (f.history, NULL, NULL);
  g_assert_cmpuint (items->len, ==, 2);
  /* 120 samples × 2 epochs × 0.01 = 2.4 points. */
  item = g_ptr_array_index (items, 0);
  g_assert_cmpint (item->status, ==, TRB_RECONCILE_PAID);
  g_assert_cmpint (item->expected, ==, 2400);
  g_assert_cmpint (item->credited, ==, 2400);
  item = g_ptr_array_index (items, 1);
  g_test_message ("round 2: %s", item->reason);
  g_assert_cmpint (item->status, ==, TRB_RECONCILE_NOTHING);
  g_assert_cmpint (item->expected, ==, 0);
  g_assert_cmpint (item->credited, ==, 0);
  g_assert_nonnull (strstr (item->reason, "did not change the model"));
  /* The entry of no points is not in the list of rewards. */
  {
    g_autoptr(GPtrArray) rewards = trb_history_list_rewards (f.history, NULL, NULL);

    g_assert_cmpuint (rewards->len, ==, 1);
  }

  /* The task as this computer read it caps samples at 50: the network paid on 120. */
  sql = g_strdup_printf ("UPDATE history_tasks SET json = replace (json, '\"reward_policy\"', "
                         "'\"aggregation\":{\"max_samples_per_update\":50},\"reward_policy\"')");
  g_assert_true (trb_store_exec (f.participants[0]->store, sql, &error));
  g_assert_no_error (error);
  g_clear_pointer (&items, g_ptr_array_unref);
  items = trb_history_reconcile (f.history, NULL, NULL);
  item = g_ptr_array_index (items, 0);
  g_test_message ("round 1: %s", item->reason);
  g_assert_cmpint (item->status, ==, TRB_RECONCILE_DIFFERS);
  g_assert_cmpint (item->expected, ==, 1000);
  g_assert_cmpint (item->credited, ==, 2400);

  /* The same round in a ledger of an older node, whose reward has no rule member: rule 1,
   * which paid on the claim whatever the sample cap, still reconciles it. */
  {
    TrbLedgerEntry *checked = g_ptr_array_index (from_node, 0);
    g_autofree char *old_entry = trb_ledger_entry_build_reward (
      TASK_ID, 1, me, trb_ledger_entry_get_points (checked), trb_ledger_entry_get_time (checked),
      NULL, &error);
    g_autofree char *update = NULL;

    g_assert_no_error (error);
    update = g_strdup_printf ("UPDATE history_entries SET data = '%s' WHERE type = 'reward' AND "
                              "round = 1 AND participant = '%s'", old_entry, me);
    g_assert_true (trb_store_exec (f.participants[0]->store, update, &error));
    g_assert_no_error (error);
  }
  g_clear_pointer (&items, g_ptr_array_unref);
  items = trb_history_reconcile (f.history, NULL, NULL);
  item = g_ptr_array_index (items, 0);
  g_assert_cmpint (item->status, ==, TRB_RECONCILE_PAID);
  g_assert_cmpint (item->expected, ==, 2400);
  g_assert_cmpint (item->credited, ==, 2400);

  fixture_teardown (&f);
}

/* The cosignatures on the network's latest checkpoint. */
static guint
count_cosignatures (TestParticipant *p)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GBytes) body = trb_client_request_sync (p->client, "GET", "/v1/ledger/checkpoint",
                                                    NULL, NULL, FALSE, 16 * 1024, NULL,
                                                    &error);
  g_autofree char *note = NULL;
  guint lines = 0;

  g_assert_no_error (error);
  note = g_strndup (g_bytes_get_data (body, NULL), g_bytes_get_size (body));
  /* After the blank line: the node's own signature line, then the cosignatures. */
  g_assert_nonnull (strstr (note, "\n\n"));
  for (const char *l = strstr (note, "\n\n") + 1; (l = strstr (l, "\n\u2014 ")) != NULL; l++)
    lines++;
  g_assert_cmpuint (lines, >=, 1);
  return lines - 1;
}

/* The node aggregates this wallet's update as if it claimed seven times the samples its ledger
 * entry says: the model it reports is not the one the published updates give. Witnessing
 * recomputes the round, halts the network with the tampered-ledger alert and cosigns nothing. */
static void
test_recompute_mismatch (void)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *db_path = NULL;
  g_autoptr(GPtrArray) versions = NULL;
  gint64 deadline;
  sqlite3 *db = NULL;
  Fixture f = { 0 };

  fixture_setup (&f, "0.01");
  g_assert_cmpint (trb_contributor_contribute (f.participants[0]->contributor, TASK_ID,
                                               f.participants[0]->data, 0, 60, &error), ==, 1);
  g_assert_no_error (error);
  test_node_kill (&f.node);
  db_path = g_build_filename (f.node.data_dir, "node.db", NULL);
  g_assert_cmpint (sqlite3_open (db_path, &db), ==, SQLITE_OK);
  g_assert_cmpint (sqlite3_exec (db, "UPDATE updates SET samples = samples * 7", NULL, NULL,
                                 NULL), ==, SQLITE_OK);
  g_assert_cmpint (sqlite3_changes (db), ==, 1);
  sqlite3_close (db);
  test_node_start (&f.node, NULL);
  for (guint i = 0; i < N_PARTICIPANTS; i++)
    {
      test_participant_reconnect (f.participants[i], &f.node);
      g_assert_true (trb_contributor_connect (f.participants[i]->contributor, &error));
      g_assert_no_error (error);
    }
  g_assert_cmpint (trb_contributor_contribute (f.participants[1]->contributor, TASK_ID,
                                               f.participants[1]->data, 0, 60, &error), ==, 1);
  g_assert_no_error (error);
  deadline = g_get_monotonic_time () + 60 * G_USEC_PER_SEC;
  while (current_round (f.participants[0]) < 2)
    {
      g_assert_cmpint (g_get_monotonic_time (), <, deadline);
      g_usleep (50000);
    }

  g_assert_false (sync_history (&f, TRUE, &error));
  g_assert_error (error, TRB_HISTORY_ERROR, TRB_HISTORY_ERROR_INCONSISTENT);
  g_test_message ("alert: %s", error->message);
  g_assert_nonnull (strstr (error->message, "new model"));
  g_assert_true (trb_history_is_halted (f.history, origin_of (&f), NULL));
  g_assert_cmpuint (count_cosignatures (f.participants[1]), ==, 0);
  versions = trb_history_list_versions (f.history, origin_of (&f), TASK_ID, NULL);
  g_assert_cmpuint (versions->len, ==, 1);
  g_assert_false (((TrbModelVersion *) g_ptr_array_index (versions, 0))->recomputed);

  fixture_teardown (&f);
}

/* The node shows a history and later a fork of it: halted, with the evidence kept. */
static void
test_inconsistent_history (void)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *fork_dir = NULL;
  g_autofree char *evidence = NULL;
  g_autofree char *key_path = NULL;
  g_auto(GStrv) halted = NULL;
  Fixture f = { 0 };

  fixture_setup (&f, "0.01");
  g_assert_true (sync_history (&f, FALSE, &error));
  g_assert_no_error (error);

  test_node_kill (&f.node);
  fork_dir = g_strconcat (f.node.data_dir, "-fork", NULL);
  g_assert_cmpint (g_mkdir (fork_dir, 0700), ==, 0);
  copy_file (f.node.data_dir, fork_dir, "node.db");
  copy_file (f.node.data_dir, fork_dir, "node.db-wal");
  copy_file (f.node.data_dir, fork_dir, "ledger.key");
  key_path = g_build_filename (fork_dir, "ledger.key", NULL);
  g_assert_cmpint (g_chmod (key_path, 0600), ==, 0);

  /* The real history grows by one entry, which the history verifies. */
  test_node_start (&f.node, NULL);
  join_extra (&f.node);
  test_participant_reconnect (f.participants[0], &f.node);
  g_assert_true (trb_contributor_connect (f.participants[0]->contributor, &error));
  g_assert_true (sync_history (&f, FALSE, &error));
  g_assert_no_error (error);
  test_node_kill (&f.node);

  /* The fork grows differently, past that size. */
  g_free (f.node.data_dir);
  f.node.data_dir = g_strdup (fork_dir);
  test_node_start (&f.node, NULL);
  join_extra (&f.node);
  join_extra (&f.node);
  test_participant_reconnect (f.participants[0], &f.node);
  g_assert_true (trb_contributor_connect (f.participants[0]->contributor, &error));
  g_assert_no_error (error);

  g_assert_false (trb_history_is_halted (f.history, origin_of (&f), NULL));
  g_assert_false (sync_history (&f, FALSE, &error));
  g_assert_error (error, TRB_HISTORY_ERROR, TRB_HISTORY_ERROR_INCONSISTENT);
  g_test_message ("alert: %s", error->message);
  g_clear_error (&error);
  g_assert_true (trb_history_is_halted (f.history, origin_of (&f), NULL));
  halted = trb_history_list_halted (f.history, NULL);
  g_assert_cmpuint (g_strv_length (halted), ==, 1);
  g_assert_cmpstr (halted[0], ==, origin_of (&f));

  /* Participation stays stopped until the user decides. */
  g_assert_false (sync_history (&f, FALSE, &error));
  g_assert_error (error, TRB_HISTORY_ERROR, TRB_HISTORY_ERROR_HALTED);
  g_clear_error (&error);

  /* The evidence holds both signed checkpoints. */
  evidence = trb_history_export_evidence (f.history, origin_of (&f), &error);
  g_assert_no_error (error);
  g_assert_nonnull (strstr (evidence, "# checkpoint verified earlier:"));
  g_assert_nonnull (strstr (evidence, "# conflicting checkpoint:"));
  g_assert_cmpuint (g_strv_length (g_strsplit (evidence, "\n— ", -1)), >=, 3);

  g_assert_true (trb_history_resume (f.history, origin_of (&f), &error));
  g_assert_no_error (error);
  g_assert_false (trb_history_is_halted (f.history, origin_of (&f), NULL));

  /* The decision takes effect: the ledger copy accepts the network again, and the evidence is
   * still there to export. */
  g_assert_true (sync_history (&f, FALSE, &error));
  g_assert_no_error (error);
  g_assert_false (trb_history_is_halted (f.history, origin_of (&f), NULL));
  g_free (evidence);
  evidence = trb_history_export_evidence (f.history, origin_of (&f), &error);
  g_assert_no_error (error);
  g_assert_nonnull (strstr (evidence, "# conflicting checkpoint:"));

  fixture_teardown (&f);
}

static void
run_sql (TestNode   *node,
         const char *sql)
{
  g_autofree char *path = g_build_filename (node->data_dir, "node.db", NULL);
  sqlite3 *db = NULL;

  g_assert_cmpint (sqlite3_open (path, &db), ==, SQLITE_OK);
  g_assert_cmpint (sqlite3_exec (db, sql, NULL, NULL, NULL), ==, SQLITE_OK);
  sqlite3_close (db);
}

/* Waits until the node has appended nothing for a second (its tick, 200 ms, may still write a
 * round's widening after a join), so that the History's sync sees the ledger's newest entry
 * and the entry the test then drops is one it verified. */
static void
wait_ledger_settled (Fixture *f)
{
  gint64 until = g_get_monotonic_time () + 30 * G_USEC_PER_SEC;
  guint last = G_MAXUINT, same = 0;

  while (same < 5)
    {
      g_autoptr(GError) error = NULL;
      g_autoptr(JsonObject) page = test_get_json (f->participants[0]->client,
                                                  "/v1/ledger/entries?start=0&end=1000",
                                                  &error);
      guint n;

      g_assert_no_error (error);
      n = json_array_get_length (json_object_get_array_member (page, "entries"));
      g_assert_cmpuint (n, <, 1000);
      same = n == last ? same + 1 : 0;
      last = n;
      g_assert_cmpint (g_get_monotonic_time (), <, until);
      g_usleep (200 * 1000);
    }
}

/* The History's own sync, with no contributor before it: the node drops its newest entry and
 * signs the smaller tree, or swaps its ledger key. Each halts the network, named, with the
 * evidence to export. */
static void
test_tampered_history (gconstpointer data)
{
  gboolean key = GPOINTER_TO_INT (data);
  g_autoptr(GError) error = NULL;
  g_autofree char *evidence = NULL;
  Fixture f = { 0 };
  TrbLedgerTamper kind = key ? TRB_LEDGER_TAMPER_KEY_CHANGED : TRB_LEDGER_TAMPER_SHRUNK;

  g_autofree char *origin = NULL;

  fixture_setup (&f, "0.01");
  join_extra (&f.node);
  wait_ledger_settled (&f);
  g_assert_true (sync_history (&f, FALSE, &error));
  g_assert_no_error (error);
  origin = g_strdup (origin_of (&f));

  test_node_kill (&f.node);
  if (key)
    {
      g_autofree char *key_path = g_build_filename (f.node.data_dir, "ledger.key", NULL);
      guint8 seed[32];
      char hex[65];

      randombytes_buf (seed, sizeof seed);
      sodium_bin2hex (hex, sizeof hex, seed, sizeof seed);
      g_assert_cmpint (g_unlink (key_path), ==, 0);
      g_assert_true (g_file_set_contents_full (key_path, hex, 64, G_FILE_SET_CONTENTS_NONE,
                                               0600, &error));
    }
  else
    {
      run_sql (&f.node, "DELETE FROM ledger_log_entries WHERE idx = (SELECT max(idx) FROM "
                        "ledger_log_entries)");
      run_sql (&f.node, "DELETE FROM ledger_log_nodes WHERE ((idx + 1) << level) > "
                        "(SELECT count(*) FROM ledger_log_entries)");
      run_sql (&f.node, "DELETE FROM checkpoints WHERE tree_size > (SELECT count(*) FROM "
                        "ledger_log_entries)");
    }
  test_node_start (&f.node, NULL);
  test_participant_reconnect (f.participants[0], &f.node);

  /* The History's sync alone, as the app runs it: no contributor has seen the change. */
  g_assert_false (trb_history_sync (f.history, f.participants[0]->client, origin, FALSE, NULL,
                                    &error));
  g_assert_error (error, TRB_HISTORY_ERROR, TRB_HISTORY_ERROR_INCONSISTENT);
  g_assert_nonnull (strstr (error->message, trb_ledger_tamper_describe (kind)));
  g_clear_error (&error);
  g_assert_true (trb_history_is_halted (f.history, origin, NULL));
  g_assert_cmpint (trb_history_get_tamper (f.history, origin, NULL), ==, kind);

  evidence = trb_history_export_evidence (f.history, origin, &error);
  g_assert_no_error (error);
  g_assert_nonnull (strstr (evidence, trb_ledger_tamper_to_string (kind)));
  g_assert_nonnull (strstr (evidence, "# conflicting checkpoint:"));
  if (key)
    {
      g_assert_nonnull (strstr (evidence, "# key pinned when joining:"));
      g_assert_nonnull (strstr (evidence, "# key the network signs with now:"));
    }

  fixture_teardown (&f);
}

typedef struct
{
  guint         changed;
  guint         changed_at_callback;
  GAsyncResult *result;
} SyncOrder;

static void
count_changed_cb (TrbHistory *history,
                  SyncOrder  *order)
{
  order->changed++;
}

static void
sync_done_cb (GObject      *source,
              GAsyncResult *result,
              gpointer      user_data)
{
  SyncOrder *order = user_data;

  /* What a page's callback sees before it calls the finish function. */
  order->changed_at_callback = order->changed;
  order->result = g_object_ref (result);
}

/* The documented order: #TrbHistory::changed is emitted before the completion callback runs,
 * so that the callback sees the lists up to date. */
static void
test_signals_before_callback (void)
{
  g_autoptr(GError) error = NULL;
  SyncOrder order = { 0, };
  Fixture f = { 0 };

  fixture_setup (&f, "0.01");
  contribute_round (&f, 1);
  g_signal_connect (f.history, "changed", G_CALLBACK (count_changed_cb), &order);
  trb_history_sync_async (f.history, origin_of (&f), NULL, FALSE, NULL, sync_done_cb, &order);
  while (order.result == NULL)
    g_main_context_iteration (NULL, TRUE);
  g_assert_cmpuint (order.changed_at_callback, ==, 1);
  g_assert_true (trb_history_sync_finish (f.history, order.result, &error));
  g_assert_no_error (error);
  /* Finishing emits nothing more. */
  g_assert_cmpuint (order.changed, ==, 1);
  g_clear_object (&order.result);

  fixture_teardown (&f);
}

/* A sync cancelled while the node does not answer ends within a second, cancelled. */
static void
test_sync_cancelled (void)
{
  g_autoptr(GCancellable) cancellable = g_cancellable_new ();
  g_autoptr(GAsyncResult) result = NULL;
  g_autoptr(GError) error = NULL;
  Fixture f = { 0 };
  gint64 cancelled_at;
  gint64 until;

  fixture_setup (&f, "0.01");
  contribute_round (&f, 1);
  g_subprocess_send_signal (f.node.process, SIGSTOP);
  trb_history_sync_async (f.history, origin_of (&f), NULL, FALSE, cancellable, store_result_cb,
                          &result);
  /* Let the worker send its first request. */
  until = g_get_monotonic_time () + 300 * 1000;
  while (g_get_monotonic_time () < until)
    g_main_context_iteration (NULL, FALSE);
  g_assert_null (result);

  cancelled_at = g_get_monotonic_time ();
  g_cancellable_cancel (cancellable);
  while (result == NULL && g_get_monotonic_time () - cancelled_at < 5 * G_USEC_PER_SEC)
    g_main_context_iteration (NULL, FALSE);
  g_test_message ("the sync ended %.0f ms after the cancel",
                  (g_get_monotonic_time () - cancelled_at) / 1000.0);
  g_assert_nonnull (result);
  g_assert_cmpint (g_get_monotonic_time () - cancelled_at, <, G_USEC_PER_SEC);
  g_assert_false (trb_history_sync_finish (f.history, result, &error));
  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_CANCELLED);

  g_subprocess_send_signal (f.node.process, SIGCONT);
  fixture_teardown (&f);
}

int
main (int    argc,
      char **argv)
{
  /* Loopback only: no proxy lookup (which would need the desktop's settings schemas). */
  g_setenv ("GIO_USE_PROXY_RESOLVER", "dummy", TRUE);
  g_test_init (&argc, &argv, G_TEST_OPTION_ISOLATE_DIRS, NULL);
  g_assert_cmpint (sodium_init (), >=, 0);

  g_test_add_func ("/history/rewards-and-provenance", test_rewards_and_provenance);
  g_test_add_func ("/history/round-paid-nothing", test_round_paid_nothing);
  g_test_add_func ("/history/reconcile-checked", test_reconcile_checked);
  g_test_add_func ("/history/inconsistent", test_inconsistent_history);
  g_test_add_func ("/history/recompute-mismatch", test_recompute_mismatch);
  g_test_add_data_func ("/history/tampered/shrunk", GINT_TO_POINTER (FALSE),
                        test_tampered_history);
  g_test_add_data_func ("/history/tampered/key", GINT_TO_POINTER (TRUE), test_tampered_history);
  g_test_add_func ("/history/items-updated-in-place", test_items_updated_in_place);
  g_test_add_func ("/history/signals-before-callback", test_signals_before_callback);
  g_test_add_func ("/history/sync-cancelled", test_sync_cancelled);
  return g_test_run ();
}
