/* test-network.c
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * A real tributary-node on 127.0.0.1 (port 0) and headless participants over real HTTP.
 */

#include "config.h"

#include <glib/gstdio.h>
#include <libsoup/soup.h>
#include <math.h>
#include <sodium.h>
#include <string.h>

#include "ledger/trb-checkpoint.h"
#include "ledger/trb-ledger-entry.h"
#include "ledger/trb-ledger-history.h"
#include "compute/trb-model-spec.h"
#include "compute/trb-trainer.h"
#include "compute/trb-weights.h"
#include "net/trb-http-signature.h"
#include "trb-test-network.h"
#include "store/trb-store-sql.h"

#define N_PARTICIPANTS 5
#define SAMPLES_EACH   600

static const char task_template[] =
  "{\"id\": \"fashion-mnist\", \"title\": \"Clothing\","
  " \"model\": {\"format\": \"tributary-model\", \"version\": 1,"
  " \"input\": {\"shape\": [784], \"dtype\": \"u8\"}, \"layers\": [{\"type\": \"dense\","
  " \"units\": 32}, {\"type\": \"relu\"}, {\"type\": \"dense\", \"units\": 10}],"
  " \"loss\": \"softmax_cross_entropy\"},"
  " \"data_schema\": {\"kind\": \"image-classification\", \"width\": 28, \"height\": 28,"
  " \"channels\": 1, \"classes\": 10},"
  " \"hyper_parameters\": {\"local_epochs\": 1, \"batch_size\": 16, \"learning_rate\": 0.1},"
  " \"round_policy\": {\"duration_seconds\": 120, \"min_updates\": %d, \"max_updates\": %d,"
  " \"server_momentum\": %s, \"fraction\": %s},"
  " \"reward_policy\": {\"points_per_sample_epoch\": 0.01, \"cap_per_round\": 5},"
  " \"privacy_policy\": {\"clip_norm\": 0, \"noise_multiplier\": 0},"
  " \"initial_weights\": {\"seed\": 7},"
  " \"evaluation\": {\"path\": \"%s\", \"max_samples\": 1000}}";

static char *
make_task_full (int         min_updates,
                int         max_updates,
                const char *momentum,
                const char *fraction)
{
  g_autofree char *holdout = test_dataset_path ("t10k-images-idx3-ubyte.gz");

  return g_strdup_printf (task_template, min_updates, max_updates, momentum, fraction, holdout);
}

static char *
make_task_with_momentum (int         min_updates,
                         int         max_updates,
                         const char *momentum)
{
  return make_task_full (min_updates, max_updates, momentum, "1");
}

static char *
make_task (int min_updates,
           int max_updates)
{
  return make_task_with_momentum (min_updates, max_updates, "0");
}

typedef struct
{
  TestNode         node;
  TestParticipant *participants[N_PARTICIPANTS];
} Fixture;

static void
fixture_setup_args (Fixture            *f,
                    const char         *task_json,
                    const char * const *extra_args,
                    gsize               samples)
{
  g_autoptr(GError) error = NULL;

  test_node_init (&f->node, task_json);
  test_node_start_args (&f->node, extra_args);
  for (guint i = 0; i < N_PARTICIPANTS; i++)
    {
      TestParticipant *p = test_participant_new (&f->node, i, N_PARTICIPANTS, samples);

      f->participants[i] = p;
      g_assert_true (trb_contributor_connect (p->contributor, &error));
      g_assert_no_error (error);
      g_assert_true (trb_contributor_join (p->contributor, &error));
      g_assert_no_error (error);
      /* Round 1 opened before anyone joined; it asks those who join, in order, until it asks
       * enough to close. */
      test_wait_asked (p->client, "fashion-mnist");
    }
}

static void
fixture_setup (Fixture    *f,
               const char *task_json,
               const char *extra_arg,
               gsize       samples)
{
  const char * const args[] = { extra_arg, NULL };

  fixture_setup_args (f, task_json, args, samples);
}

/* The first @n participants, in the fixture's order, that the current round asks: a round
 * after the first asks those with the lowest ranks, whichever they are. */
static void
asked_participants (Fixture          *f,
                    TestParticipant **asked,
                    guint             n)
{
  guint found = 0;

  for (guint i = 0; i < N_PARTICIPANTS && found < n; i++)
    if (test_round_asks (f->participants[i]->client, "fashion-mnist"))
      asked[found++] = f->participants[i];
  g_assert_cmpuint (found, ==, n);
}

static void
fixture_teardown (Fixture *f)
{
  for (guint i = 0; i < N_PARTICIPANTS; i++)
    g_clear_pointer (&f->participants[i], test_participant_free);
  test_node_clear (&f->node);
}

static void
store_result_cb (GObject      *source,
                 GAsyncResult *result,
                 gpointer      user_data)
{
  *(GAsyncResult **) user_data = g_object_ref (result);
}

static JsonObject *
round_state (TestParticipant *p)
{
  g_autoptr(GError) error = NULL;
  JsonObject *round = test_get_json (p->client, "/v1/tasks/fashion-mnist/round", &error);

  g_assert_no_error (error);
  return round;
}

/* The metrics of the round_closed entries, in ledger order. */
static GArray *
closed_accuracies (TrbClient *client,
                   GPtrArray *updates_per_round)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(JsonObject) page = test_get_json (client, "/v1/ledger/entries?start=0&end=1000",
                                              &error);
  GArray *accuracies = g_array_new (FALSE, FALSE, sizeof (double));
  JsonArray *entries;

  g_assert_no_error (error);
  entries = json_object_get_array_member (page, "entries");
  for (guint i = 0; i < json_array_get_length (entries); i++)
    {
      const char *text = json_array_get_string_element (entries, i);
      g_autoptr(TrbLedgerEntry) entry = trb_ledger_entry_parse (text, strlen (text), &error);

      g_assert_no_error (error);
      if (trb_ledger_entry_get_entry_type (entry) != TRB_LEDGER_ENTRY_ROUND_CLOSED)
        continue;
      for (guint m = 0; m < trb_ledger_entry_get_n_metrics (entry); m++)
        {
          double value;
          const char *name = trb_ledger_entry_get_metric (entry, m, &value);

          if (g_str_equal (name, "eval_accuracy"))
            g_array_append_val (accuracies, value);
        }
      if (updates_per_round != NULL)
        g_ptr_array_add (updates_per_round,
                         g_strdupv ((char **) trb_ledger_entry_get_updates (entry)));
    }
  return accuracies;
}

static TrbModelSpec *
task_spec (TrbClient *client)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(JsonObject) task = test_get_json (client, "/v1/tasks/fashion-mnist", &error);
  g_autoptr(JsonNode) node = NULL;
  g_autofree char *json = NULL;
  TrbModelSpec *spec;

  g_assert_no_error (error);
  node = json_node_init_object (json_node_alloc (), json_object_get_object_member (task, "model"));
  json = json_to_string (node, FALSE);
  spec = trb_model_spec_new_from_json (json, -1, &error);
  g_assert_no_error (error);
  return spec;
}

static double
initial_accuracy (TestParticipant *p)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(JsonObject) round = test_get_json (p->client, "/v1/tasks/fashion-mnist/round",
                                               &error);
  g_autoptr(TrbModelSpec) spec = task_spec (p->client);
  g_autoptr(TrbTrainingSet) holdout = NULL;
  g_autoptr(GBytes) blob = NULL;
  g_autoptr(TrbWeights) weights = NULL;
  g_autofree char *path = test_dataset_path ("t10k-images-idx3-ubyte.gz");
  TrbDataSource source;
  TrbEvaluation evaluation;

  g_assert_no_error (error);
  blob = test_download (p->client, json_object_get_string_member (round, "model"), &error);
  g_assert_no_error (error);
  weights = trb_weights_new_from_safetensors (blob, &error);
  g_assert_no_error (error);
  holdout = trb_training_set_load (path, 0, 1, 1000, NULL, &error);
  g_assert_no_error (error);
  trb_training_set_get_source (holdout, &source);
  g_assert_true (trb_evaluate_on_cpu (spec, weights, &source, &evaluation, NULL, &error));
  g_assert_no_error (error);
  return evaluation.accuracy;
}

static void
test_three_rounds (void)
{
  g_autofree char *task = make_task (N_PARTICIPANTS, N_PARTICIPANTS);
  g_autoptr(GArray) accuracies = NULL;
  g_autoptr(GPtrArray) updates = g_ptr_array_new_with_free_func ((GDestroyNotify) g_strfreev);
  g_autoptr(GError) error = NULL;
  Fixture f = { 0 };
  double start;

  fixture_setup (&f, task, NULL, SAMPLES_EACH);
  start = initial_accuracy (f.participants[0]);

  for (gint64 r = 1; r <= 3; r++)
    {
      for (guint i = 0; i < N_PARTICIPANTS; i++)
        {
          gint64 done = trb_contributor_contribute (f.participants[i]->contributor,
                                                    "fashion-mnist", f.participants[i]->data,
                                                    r - 1, 60, &error);

          g_assert_no_error (error);
          g_assert_cmpint (done, ==, r);
        }
      /* Every participant verifies its receipts and the new checkpoint, and cosigns it. */
      for (guint i = 0; i < N_PARTICIPANTS; i++)
        {
          g_assert_true (trb_contributor_sync (f.participants[i]->contributor, TRUE, &error));
          g_assert_no_error (error);
        }
    }

  /* Wait for round 3 to close: round 4 open. */
  for (;;)
    {
      g_autoptr(JsonObject) round = round_state (f.participants[0]);

      if (json_object_get_int_member (round, "round") == 4)
        break;
      g_usleep (50000);
    }

  for (guint i = 0; i < N_PARTICIPANTS; i++)
    {
      TrbContributor *c = f.participants[i]->contributor;

      g_assert_true (trb_contributor_sync (c, TRUE, &error));
      g_assert_no_error (error);
      g_assert_cmpuint (trb_contributor_count_receipts (c, FALSE), ==, 3);
      g_assert_cmpuint (trb_contributor_count_receipts (c, TRUE), ==, 3);
    }

  accuracies = closed_accuracies (f.participants[0]->client, updates);
  g_assert_cmpuint (accuracies->len, ==, 3);
  g_test_message ("hold-out accuracy: initial %.4f, rounds %.4f %.4f %.4f", start,
                  g_array_index (accuracies, double, 0), g_array_index (accuracies, double, 1),
                  g_array_index (accuracies, double, 2));
  /* FedAvg of five 600-sample shards must beat the random initial model by far, and the third
   * round must not be worse than the first (tolerance 0.02 for the noise of SGD). */
  g_assert_cmpfloat (g_array_index (accuracies, double, 0), >, start + 0.2);
  g_assert_cmpfloat (g_array_index (accuracies, double, 2), >,
                     g_array_index (accuracies, double, 0) - 0.02);
  g_assert_cmpfloat (g_array_index (accuracies, double, 2), >, 0.6);
  for (guint r = 0; r < 3; r++)
    g_assert_cmpuint (g_strv_length (g_ptr_array_index (updates, r)), ==, N_PARTICIPANTS);

  fixture_teardown (&f);
}


static void
wait_for_round (TestParticipant *p,
                gint64           round,
                const char      *state)
{
  gint64 deadline = g_get_monotonic_time () + 60 * G_USEC_PER_SEC;

  for (;;)
    {
      g_autoptr(JsonObject) r = round_state (p);

      if (json_object_get_int_member (r, "round") == round &&
          (state == NULL || g_str_equal (json_object_get_string_member (r, "state"), state)))
        return;
      g_assert_cmpint (g_get_monotonic_time (), <, deadline);
      g_usleep (20000);
    }
}

static void
reconnect_all (Fixture *f)
{
  g_autoptr(GError) error = NULL;

  for (guint i = 0; i < N_PARTICIPANTS; i++)
    {
      test_participant_reconnect (f->participants[i], &f->node);
      g_assert_true (trb_contributor_connect (f->participants[i]->contributor, &error));
      g_assert_no_error (error);
    }
}

static char **
receipt_hashes (TestParticipant *p)
{
  g_autoptr(sqlite3_stmt) stmt = NULL;
  g_autoptr(GStrvBuilder) builder = g_strv_builder_new ();

  g_assert_cmpint (sqlite3_prepare_v2 (trb_store_get_db (p->store),
                                       "SELECT update_hash FROM net_receipts ORDER BY round", -1,
                                       &stmt, NULL), ==, SQLITE_OK);
  while (sqlite3_step (stmt) == SQLITE_ROW)
    g_strv_builder_add (builder, (const char *)sqlite3_column_text (stmt, 0));
  return g_strv_builder_end (builder);
}

/* SIGKILL while collecting and while aggregating: every acknowledged update survives, the ledger
 * stays consistent with what participants verified before, and the rounds carry on. */
static void
test_kill_and_restart (void)
{
  g_autofree char *task = make_task (N_PARTICIPANTS, N_PARTICIPANTS);
  g_autoptr(GPtrArray) updates = g_ptr_array_new_with_free_func ((GDestroyNotify) g_strfreev);
  g_autoptr(GArray) accuracies = NULL;
  g_autoptr(GError) error = NULL;
  Fixture f = { 0 };

  fixture_setup (&f, task, "--aggregation-delay=3000", 200);

  for (guint i = 0; i < 3; i++)
    {
      g_assert_cmpint (trb_contributor_contribute (f.participants[i]->contributor,
                                                   "fashion-mnist", f.participants[i]->data, 0,
                                                   30, &error), ==, 1);
      g_assert_no_error (error);
      g_assert_true (trb_contributor_sync (f.participants[i]->contributor, FALSE, &error));
      g_assert_no_error (error);
    }

  /* Killed while collecting. */
  test_node_kill (&f.node);
  test_node_start (&f.node, "--aggregation-delay=3000");
  reconnect_all (&f);
  {
    g_autoptr(JsonObject) r = round_state (f.participants[0]);

    g_assert_cmpint (json_object_get_int_member (r, "round"), ==, 1);
    g_assert_cmpint (json_object_get_int_member (r, "updates"), ==, 3);
    g_assert_cmpstr (json_object_get_string_member (r, "state"), ==, "collecting");
  }
  for (guint i = 0; i < N_PARTICIPANTS; i++)
    {
      g_assert_true (trb_contributor_sync (f.participants[i]->contributor, FALSE, &error));
      g_assert_no_error (error);
    }

  /* The last two updates fill the round; the node is killed while it aggregates. */
  for (guint i = 3; i < N_PARTICIPANTS; i++)
    {
      g_assert_cmpint (trb_contributor_contribute (f.participants[i]->contributor,
                                                   "fashion-mnist", f.participants[i]->data, 0,
                                                   30, &error), ==, 1);
      g_assert_no_error (error);
    }
  wait_for_round (f.participants[0], 1, "aggregating");
  test_node_kill (&f.node);
  test_node_start (&f.node, NULL);
  reconnect_all (&f);
  wait_for_round (f.participants[0], 2, NULL);

  /* Round 1 closed with all five acknowledged updates. */
  accuracies = closed_accuracies (f.participants[0]->client, updates);
  g_assert_cmpuint (updates->len, ==, 1);
  for (guint i = 0; i < N_PARTICIPANTS; i++)
    {
      g_auto(GStrv) mine = receipt_hashes (f.participants[i]);

      g_assert_cmpuint (g_strv_length (mine), ==, 1);
      g_assert_true (g_strv_contains ((const char * const *) g_ptr_array_index (updates, 0),
                                      mine[0]));
      g_assert_true (trb_contributor_sync (f.participants[i]->contributor, TRUE, &error));
      g_assert_no_error (error);
      g_assert_cmpuint (trb_contributor_count_receipts (f.participants[i]->contributor, TRUE),
                        ==, 1);
    }

  /* And the participants carry on with round 2. */
  for (guint i = 0; i < N_PARTICIPANTS; i++)
    {
      g_assert_cmpint (trb_contributor_contribute (f.participants[i]->contributor,
                                                   "fashion-mnist", f.participants[i]->data, 1,
                                                   30, &error), ==, 2);
      g_assert_no_error (error);
    }
  wait_for_round (f.participants[0], 3, NULL);
  for (guint i = 0; i < N_PARTICIPANTS; i++)
    {
      g_assert_true (trb_contributor_sync (f.participants[i]->contributor, FALSE, &error));
      g_assert_no_error (error);
    }

  fixture_teardown (&f);
}

static void
assert_tampered (TestParticipant *p,
                 gboolean         at_connect)
{
  g_autoptr(GError) error = NULL;

  if (at_connect)
    g_assert_false (trb_contributor_connect (p->contributor, &error));
  else
    {
      g_assert_true (trb_contributor_connect (p->contributor, &error));
      g_assert_no_error (error);
      g_assert_false (trb_contributor_sync (p->contributor, FALSE, &error));
    }
  g_assert_error (error, TRB_CLIENT_ERROR, TRB_CLIENT_ERROR_TAMPERED);
  g_test_message ("detected: %s", error->message);
  g_clear_error (&error);
  g_assert_true (trb_contributor_is_compromised (p->contributor));

  /* It stops contributing to that network. */
  g_assert_cmpint (trb_contributor_contribute (p->contributor, "fashion-mnist", p->data, 0, 5,
                                               &error), ==, 0);
  g_assert_error (error, TRB_CLIENT_ERROR, TRB_CLIENT_ERROR_TAMPERED);
}

static void
exec_sql (const char *db_path,
          const char *sql,
          const char *arg1,
          const char *arg2)
{
  sqlite3 *db = NULL;
  sqlite3_stmt *stmt = NULL;

  g_assert_cmpint (sqlite3_open (db_path, &db), ==, SQLITE_OK);
  g_assert_cmpint (sqlite3_prepare_v2 (db, sql, -1, &stmt, NULL), ==, SQLITE_OK);
  if (arg1 != NULL)
    sqlite3_bind_text (stmt, 1, arg1, -1, SQLITE_TRANSIENT);
  if (arg2 != NULL)
    sqlite3_bind_text (stmt, 2, arg2, -1, SQLITE_TRANSIENT);
  g_assert_cmpint (sqlite3_step (stmt), ==, SQLITE_DONE);
  g_assert_cmpint (sqlite3_changes (db), >=, 1);
  sqlite3_finalize (stmt);
  sqlite3_close (db);
}

/* The evidence of @kind kept in the participant's store, for its network: what shows it, and
 * the same plain sentence in the error of every later connection (a restart). */
static void
assert_evidence (TestParticipant *p,
                 TestNode        *node,
                 TrbLedgerTamper  kind)
{
  g_autoptr(sqlite3_stmt) stmt = NULL;
  g_autoptr(GError) error = NULL;
  const char *origin;

  origin = trb_contributor_get_origin (p->contributor);
  g_assert_nonnull (origin);
  g_assert_cmpint (trb_ledger_tamper_lookup (p->store, origin), ==, kind);
  g_assert_cmpint (sqlite3_prepare_v2 (trb_store_get_db (p->store),
                                       "SELECT kind, verified_note, conflicting_note, entry, "
                                       "entry_index, length (proof), verified_key, "
                                       "conflicting_key FROM ledger_evidence WHERE origin = ?",
                                       -1, &stmt, NULL), ==, SQLITE_OK);
  sqlite3_bind_text (stmt, 1, origin, -1, SQLITE_TRANSIENT);
  g_assert_cmpint (sqlite3_step (stmt), ==, SQLITE_ROW);
  g_assert_cmpstr ((const char *) sqlite3_column_text (stmt, 0), ==,
                   trb_ledger_tamper_to_string (kind));
  /* The checkpoint verified before is always part of it. */
  g_assert_true (g_str_has_prefix ((const char *) sqlite3_column_text (stmt, 1), origin));
  switch (kind)
    {
    case TRB_LEDGER_TAMPER_EDITED_ENTRY:
      /* The entry as served, where, and the inclusion proof the node gave for it. */
      g_assert_cmpint (sqlite3_column_bytes (stmt, 3), >, 0);
      g_assert_cmpint (sqlite3_column_int64 (stmt, 5), >, 0);
      g_test_message ("edited entry %" G_GINT64_FORMAT ": %s",
                      (gint64) sqlite3_column_int64 (stmt, 4), sqlite3_column_text (stmt, 3));
      break;
    case TRB_LEDGER_TAMPER_SHRUNK:
    case TRB_LEDGER_TAMPER_FORK:
      g_assert_true (g_str_has_prefix ((const char *) sqlite3_column_text (stmt, 2), origin));
      g_assert_cmpstr ((const char *) sqlite3_column_text (stmt, 1), !=,
                       (const char *) sqlite3_column_text (stmt, 2));
      break;
    case TRB_LEDGER_TAMPER_KEY_CHANGED:
      /* Both keys, with the checkpoints each signed. */
      g_assert_true (g_str_has_prefix ((const char *) sqlite3_column_text (stmt, 2), origin));
      g_assert_nonnull (sqlite3_column_text (stmt, 6));
      g_assert_nonnull (sqlite3_column_text (stmt, 7));
      g_assert_cmpstr ((const char *) sqlite3_column_text (stmt, 6), !=,
                       (const char *) sqlite3_column_text (stmt, 7));
      break;
    case TRB_LEDGER_TAMPER_NONE:
    default:
      g_assert_not_reached ();
    }
  g_assert_cmpint (sqlite3_step (stmt), ==, SQLITE_DONE);

  /* After a restart: refused at once, in the same words, and still not contributing. */
  test_participant_reconnect (p, node);
  g_assert_false (trb_contributor_connect (p->contributor, &error));
  g_assert_error (error, TRB_CLIENT_ERROR, TRB_CLIENT_ERROR_TAMPERED);
  g_assert_nonnull (strstr (error->message, trb_ledger_tamper_describe (kind)));
  g_clear_error (&error);
  if (p->data != NULL)
    {
      g_assert_cmpint (trb_contributor_contribute (p->contributor, "fashion-mnist", p->data, 0,
                                                   5, &error), ==, 0);
      g_assert_error (error, TRB_CLIENT_ERROR, TRB_CLIENT_ERROR_TAMPERED);
    }
}

/* The node rewrites the entry of an update it acknowledged. */
static void
test_tampered_entry (void)
{
  g_autofree char *task = make_task (N_PARTICIPANTS, N_PARTICIPANTS);
  g_autofree char *db = NULL;
  g_auto(GStrv) mine = NULL;
  g_autoptr(GError) error = NULL;
  Fixture f = { 0 };
  TestParticipant *p;

  fixture_setup (&f, task, NULL, 100);
  p = f.participants[0];
  g_assert_true (trb_contributor_sync (p->contributor, FALSE, &error));
  g_assert_cmpint (trb_contributor_contribute (p->contributor, "fashion-mnist", p->data, 0, 30,
                                               &error), ==, 1);
  g_assert_no_error (error);
  mine = receipt_hashes (p);

  test_node_kill (&f.node);
  db = g_build_filename (f.node.data_dir, "node.db", NULL);
  exec_sql (db, "UPDATE ledger_log_entries SET data = CAST(replace(CAST(data AS TEXT), ?1, ?2) "
                "AS BLOB) WHERE instr(CAST(data AS TEXT), ?1) > 0",
            mine[0], "0000000000000000000000000000000000000000000000000000000000000000");
  test_node_start (&f.node, NULL);
  test_participant_reconnect (p, &f.node);
  assert_tampered (p, FALSE);
  assert_evidence (p, &f.node, TRB_LEDGER_TAMPER_EDITED_ENTRY);

  fixture_teardown (&f);
}

/* The node rewrites an entry that is none of this participant's (another one's joining), with
 * its tree's stored hashes left alone: only hashing every entry served catches it. */
static void
test_tampered_other_entry (void)
{
  g_autofree char *task = make_task (N_PARTICIPANTS, N_PARTICIPANTS);
  g_autofree char *db = NULL;
  g_autofree char *forged = NULL;
  g_autoptr(GError) error = NULL;
  Fixture f = { 0 };
  TestParticipant *p;
  const char *other;

  fixture_setup (&f, task, NULL, 50);
  p = f.participants[0];
  g_assert_true (trb_contributor_sync (p->contributor, FALSE, &error));
  g_assert_no_error (error);
  other = trb_client_get_address (f.participants[1]->client);
  g_assert_nonnull (other);
  forged = g_strnfill (strlen (other), 'f');

  test_node_kill (&f.node);
  db = g_build_filename (f.node.data_dir, "node.db", NULL);
  exec_sql (db, "UPDATE ledger_log_entries SET data = CAST(replace(CAST(data AS TEXT), ?1, ?2) "
                "AS BLOB) WHERE instr(CAST(data AS TEXT), ?1) > 0", other, forged);
  test_node_start (&f.node, NULL);
  test_participant_reconnect (p, &f.node);
  assert_tampered (p, FALSE);
  assert_evidence (p, &f.node, TRB_LEDGER_TAMPER_EDITED_ENTRY);

  fixture_teardown (&f);
}

static void
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

/* The node shows one participant a history and later a fork of it. */
static void
test_tampered_fork (void)
{
  g_autofree char *task = make_task (N_PARTICIPANTS, N_PARTICIPANTS);
  g_autofree char *fork_dir = NULL;
  g_autofree char *fork_key = NULL;
  g_autofree char *real_dir = NULL;
  g_autoptr(GError) error = NULL;
  Fixture f = { 0 };
  TestParticipant *p;
  TestParticipant *extra[3];

  fixture_setup (&f, task, NULL, 50);
  p = f.participants[0];
  g_assert_true (trb_contributor_sync (p->contributor, FALSE, &error));
  g_assert_no_error (error);

  /* A copy of the node as it is now, with its key. */
  test_node_kill (&f.node);
  fork_dir = g_strconcat (f.node.data_dir, "-fork", NULL);
  g_assert_cmpint (g_mkdir (fork_dir, 0700), ==, 0);
  copy_file (f.node.data_dir, fork_dir, "node.db");
  copy_file (f.node.data_dir, fork_dir, "node.db-wal");
  copy_file (f.node.data_dir, fork_dir, "ledger.key");
  fork_key = g_build_filename (fork_dir, "ledger.key", NULL);
  g_assert_cmpint (g_chmod (fork_key, 0600), ==, 0);

  /* The real history grows by one entry, which the participant verifies. */
  test_node_start (&f.node, NULL);
  extra[0] = test_participant_new (&f.node, 0, 1, 0);
  g_assert_true (trb_contributor_connect (extra[0]->contributor, &error));
  g_assert_true (trb_contributor_join (extra[0]->contributor, &error));
  g_assert_no_error (error);
  test_participant_reconnect (p, &f.node);
  g_assert_true (trb_contributor_connect (p->contributor, &error));
  g_assert_true (trb_contributor_sync (p->contributor, FALSE, &error));
  g_assert_no_error (error);
  test_node_kill (&f.node);

  /* The fork grows differently, past the size the participant verified. */
  real_dir = g_steal_pointer (&f.node.data_dir);
  f.node.data_dir = g_strdup (fork_dir);
  test_node_start (&f.node, NULL);
  for (guint i = 1; i < 3; i++)
    {
      extra[i] = test_participant_new (&f.node, 0, 1, 0);
      g_assert_true (trb_contributor_connect (extra[i]->contributor, &error));
      g_assert_true (trb_contributor_join (extra[i]->contributor, &error));
      g_assert_no_error (error);
    }
  test_participant_reconnect (p, &f.node);
  assert_tampered (p, FALSE);
  assert_evidence (p, &f.node, TRB_LEDGER_TAMPER_FORK);

  for (guint i = 0; i < 3; i++)
    test_participant_free (extra[i]);
  fixture_teardown (&f);
}

/* The node drops the newest entry of its ledger, rebuilds its tree and signs the smaller
 * checkpoint: not "an older version", since it cannot prove that it is a prefix of the one the
 * participant verified. */
static void
test_tampered_shrunk (void)
{
  g_autofree char *task = make_task (N_PARTICIPANTS, N_PARTICIPANTS);
  g_autofree char *db = NULL;
  g_autofree char *last = NULL;
  g_autoptr(GError) error = NULL;
  Fixture f = { 0 };
  TestParticipant *p;
  guint64 size;

  fixture_setup (&f, task, NULL, 50);
  p = f.participants[0];
  g_assert_true (trb_contributor_sync (p->contributor, FALSE, &error));
  g_assert_no_error (error);
  size = trb_contributor_get_verified_size (p->contributor);
  g_assert_cmpuint (size, >, 2);

  test_node_kill (&f.node);
  db = g_build_filename (f.node.data_dir, "node.db", NULL);
  last = g_strdup_printf ("%" G_GUINT64_FORMAT, size - 1);
  exec_sql (db, "DELETE FROM ledger_log_entries WHERE idx >= CAST(?1 AS INTEGER)", last, NULL);
  exec_sql (db, "DELETE FROM ledger_log_nodes WHERE ((idx + 1) << level) > CAST(?1 AS INTEGER)",
            last, NULL);
  exec_sql (db, "DELETE FROM checkpoints WHERE tree_size > CAST(?1 AS INTEGER)", last, NULL);
  test_node_start (&f.node, NULL);
  test_participant_reconnect (p, &f.node);
  assert_tampered (p, FALSE);
  assert_evidence (p, &f.node, TRB_LEDGER_TAMPER_SHRUNK);

  fixture_teardown (&f);
}

/* The node's ledger key is swapped for another. */
static void
test_tampered_key (void)
{
  g_autofree char *task = make_task (N_PARTICIPANTS, N_PARTICIPANTS);
  g_autofree char *key_path = NULL;
  g_autoptr(GError) error = NULL;
  Fixture f = { 0 };
  guint8 seed[32];
  char hex[65];

  fixture_setup (&f, task, NULL, 50);
  g_assert_true (trb_contributor_sync (f.participants[0]->contributor, FALSE, &error));
  g_assert_no_error (error);

  test_node_kill (&f.node);
  key_path = g_build_filename (f.node.data_dir, "ledger.key", NULL);
  randombytes_buf (seed, sizeof seed);
  sodium_bin2hex (hex, sizeof hex, seed, sizeof seed);
  g_assert_cmpint (g_unlink (key_path), ==, 0);
  g_assert_true (g_file_set_contents_full (key_path, hex, 64, G_FILE_SET_CONTENTS_NONE, 0600,
                                           &error));
  test_node_start (&f.node, NULL);
  test_participant_reconnect (f.participants[0], &f.node);
  assert_tampered (f.participants[0], TRUE);
  assert_evidence (f.participants[0], &f.node, TRB_LEDGER_TAMPER_KEY_CHANGED);

  fixture_teardown (&f);
}

/* A checkpoint carries at most TRB_PROTOCOL_MAX_COSIGNATURES cosignatures: the next one is
 * refused with cosignatures-full (and the participant's sync still succeeds), never acknowledged
 * and then left out of what the node serves. */
static void
test_cosignatures_bounded (void)
{
  g_autofree char *task = make_task (N_PARTICIPANTS, N_PARTICIPANTS);
  g_autoptr(GPtrArray) extra = g_ptr_array_new_with_free_func ((GDestroyNotify) test_participant_free);
  g_autoptr(GError) error = NULL;
  g_autofree char *note = NULL;
  guint n = TRB_PROTOCOL_MAX_COSIGNATURES + 1;
  guint lines = 0;
  Fixture f = { 0 };

  fixture_setup (&f, task, NULL, 0);
  for (guint i = 0; i < n; i++)
    {
      TestParticipant *p = test_participant_new (&f.node, 0, 1, 0);

      g_assert_true (trb_contributor_connect (p->contributor, &error));
      g_assert_true (trb_contributor_join (p->contributor, &error));
      g_assert_no_error (error);
      g_ptr_array_add (extra, p);
    }
  /* Everyone has joined: the ledger no longer changes, and all cosign one checkpoint. */
  for (guint i = 0; i < n; i++)
    {
      TestParticipant *p = g_ptr_array_index (extra, i);

      g_assert_true (trb_contributor_sync (p->contributor, TRUE, &error));
      g_assert_no_error (error);
    }
  {
    g_autoptr(GAsyncResult) result = NULL;
    TestParticipant *p = g_ptr_array_index (extra, 0);

    trb_client_get_checkpoint_async (p->client, NULL, store_result_cb, &result);
    while (result == NULL)
      g_main_context_iteration (NULL, TRUE);
    note = trb_client_get_checkpoint_finish (p->client, result, &error);
    g_assert_no_error (error);
  }
  /* After the blank line: the node's own signature line, then the cosignatures. */
  g_assert_nonnull (strstr (note, "\n\n"));
  for (const char *l = strstr (note, "\n\n") + 1; (l = strstr (l, "\n\u2014 ")) != NULL; l++)
    lines++;
  g_assert_cmpuint (lines - 1, ==, TRB_PROTOCOL_MAX_COSIGNATURES);

  {
    /* The one past the bound, asked directly: refused with its problem type. */
    TestParticipant *last = g_ptr_array_index (extra, n - 1);
    g_autoptr(GAsyncResult) posted = NULL;
    g_autoptr(JsonObject) answer = NULL;
    g_autoptr(TrbNoteSigner) cosigner = trb_client_make_cosigner (last->client, &error);
    g_autofree char *line = NULL;
    gsize size = 0;

    g_assert_no_error (error);
    {
      const char *second = strchr (note, '\n');

      size = g_ascii_strtoull (second + 1, NULL, 10);
    }
    line = trb_checkpoint_cosign (note, strlen (note), cosigner,
                                  g_get_real_time () / G_USEC_PER_SEC, &error);
    g_assert_no_error (error);
    trb_client_post_cosignature_async (last->client, size, line, NULL, store_result_cb, &posted);
    while (posted == NULL)
      g_main_context_iteration (NULL, TRUE);
    answer = trb_client_json_finish (last->client, posted, &error);
    g_assert_null (answer);
    g_assert_cmpstr (trb_client_error_get_problem (error), ==, "cosignatures-full");
  }
  fixture_teardown (&f);
}

/* ---- rejections --------------------------------------------------------------------------- */

static guint
post_raw (const char  *url,
          const char  *path,
          const char  *body,
          gsize        body_len,
          const char  *digest,
          const char  *input,
          const char  *signature,
          char       **problem)
{
  g_autoptr(SoupSession) session = soup_session_new ();
  g_autofree char *full = g_strconcat (url, path, NULL);
  g_autoptr(SoupMessage) msg = soup_message_new ("POST", full);
  g_autoptr(GBytes) request = g_bytes_new (body, body_len);
  g_autoptr(GBytes) response = NULL;
  g_autoptr(GError) error = NULL;
  SoupMessageHeaders *headers = soup_message_get_request_headers (msg);

  soup_message_set_request_body_from_bytes (msg, "application/json", request);
  if (digest != NULL)
    soup_message_headers_replace (headers, "Content-Digest", digest);
  if (input != NULL)
    soup_message_headers_replace (headers, "Signature-Input", input);
  if (signature != NULL)
    soup_message_headers_replace (headers, "Signature", signature);
  response = soup_session_send_and_read (session, msg, NULL, &error);
  g_assert_no_error (error);

  if (problem != NULL)
    {
      g_autoptr(JsonNode) node = json_from_string (g_bytes_get_data (response, NULL), NULL);
      const char *type;

      *problem = NULL;
      if (node != NULL && JSON_NODE_HOLDS_OBJECT (node) && soup_message_get_status (msg) >= 400)
        {
          type = json_object_get_string_member_with_default (json_node_get_object (node), "type",
                                                             "");
          g_assert_cmpstr (soup_message_headers_get_content_type (
                             soup_message_get_response_headers (msg), NULL), ==,
                           "application/problem+json");
          *problem = g_strdup (strrchr (type, '/') + 1);
        }
    }
  return soup_message_get_status (msg);
}

static void
assert_post (const char *url,
             const char *body,
             gsize       len,
             gint64      created,
             guint8     *sk,
             guint       expected_status,
             const char *expected_problem)
{
  g_autofree char *target = g_strconcat (url, "/v1/participants", NULL);
  g_autofree char *digest = NULL, *input = NULL, *signature = NULL, *problem = NULL;

  trb_http_signature_sign ("POST", target, (const guint8 *)body, len, sk, created, &digest,
                           &input, &signature);
  g_assert_cmpuint (post_raw (url, "/v1/participants", body, len, digest, input, signature,
                              &problem), ==, expected_status);
  g_assert_cmpstr (problem, ==, expected_problem);
}

static void
assert_upload_rejected (TestParticipant *p,
                        gint64           round,
                        GBytes          *update,
                        const char      *problem)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(JsonObject) receipt = test_upload (p->client, "fashion-mnist", round, update, &error);

  g_assert_null (receipt);
  g_assert_error (error, TRB_CLIENT_ERROR, TRB_CLIENT_ERROR_REJECTED);
  g_assert_cmpstr (trb_client_error_get_problem (error), ==, problem);
}

static GBytes *
make_update (TrbModelSpec *spec,
             const char   *base,
             const char   *samples,
             guint64       seed,
             gboolean      nan)
{
  g_autoptr(TrbWeights) weights = trb_model_spec_init_weights (spec, seed);

  if (nan)
    trb_weights_get_data (weights, 0)[3] = NAN;
  if (base != NULL)
    trb_weights_set_metadata (weights, "base_model", base);
  trb_weights_set_metadata (weights, "samples", samples);
  trb_weights_set_metadata (weights, "epochs", "1");
  trb_weights_set_metadata (weights, "dataset_commitment",
                            "5e1f0e0000000000000000000000000000000000000000000000000000000000");
  return trb_weights_to_safetensors (weights);
}

static void
test_rejections (void)
{
  g_autofree char *task = make_task (2, 2);
  g_autoptr(GError) error = NULL;
  g_autoptr(JsonObject) round = NULL;
  g_autoptr(TrbModelSpec) model = NULL;
  g_autoptr(TrbModelSpec) other = NULL;
  g_autofree char *big = NULL;
  g_autofree char *problem = NULL;
  const char *base;
  Fixture f = { 0 };
  TestParticipant *stranger;
  gint64 now = g_get_real_time () / G_USEC_PER_SEC;
  guint8 pk[32];
  guint8 *sk = sodium_malloc (64);
  static const char body[] = "{\"display_name\":\"Ada\"}";

  fixture_setup (&f, task, NULL, 0);
  crypto_sign_keypair (pk, sk);

  /* Unsigned. */
  g_assert_cmpuint (post_raw (f.node.url, "/v1/participants", body, strlen (body), NULL, NULL,
                              NULL, &problem), ==, 401);
  g_assert_cmpstr (problem, ==, "unsigned");
  g_clear_pointer (&problem, g_free);

  /* Signed for another body, or with a damaged signature. */
  {
    g_autofree char *target = g_strconcat (f.node.url, "/v1/participants", NULL);
    g_autofree char *digest = NULL, *input = NULL, *signature = NULL;
    static const char other_body[] = "{\"display_name\":\"Eve\"}";

    trb_http_signature_sign ("POST", target, (const guint8 *)body, strlen (body), sk, now,
                             &digest, &input, &signature);
    g_assert_cmpuint (post_raw (f.node.url, "/v1/participants", other_body, strlen (other_body),
                                digest, input, signature, &problem), ==, 401);
    g_assert_cmpstr (problem, ==, "bad-signature");
    g_clear_pointer (&problem, g_free);
    signature[10] = signature[10] == 'A' ? 'B' : 'A';
    g_assert_cmpuint (post_raw (f.node.url, "/v1/participants", body, strlen (body), digest,
                                input, signature, &problem), ==, 401);
    g_assert_cmpstr (problem, ==, "bad-signature");
    g_clear_pointer (&problem, g_free);
  }

  /* Replayed: the same signed request twice. */
  {
    g_autofree char *target = g_strconcat (f.node.url, "/v1/participants", NULL);
    g_autofree char *digest = NULL, *input = NULL, *signature = NULL;

    trb_http_signature_sign ("POST", target, (const guint8 *)body, strlen (body), sk, now,
                             &digest, &input, &signature);
    g_assert_cmpuint (post_raw (f.node.url, "/v1/participants", body, strlen (body), digest,
                                input, signature, &problem), ==, 200);
    g_assert_null (problem);
    g_assert_cmpuint (post_raw (f.node.url, "/v1/participants", body, strlen (body), digest,
                                input, signature, &problem), ==, 409);
    g_assert_cmpstr (problem, ==, "replayed");
    g_clear_pointer (&problem, g_free);
  }

  /* Expired, and from the future. */
  assert_post (f.node.url, body, strlen (body), now - 1000, sk, 401, "expired");
  assert_post (f.node.url, body, strlen (body), now + 1000, sk, 401, "expired");

  /* Oversized: 100 KiB where 64 KiB is the limit. */
  big = g_malloc (100 * 1024);
  memset (big, ' ', 100 * 1024);
  big[0] = '{';
  big[100 * 1024 - 1] = '}';
  assert_post (f.node.url, big, 100 * 1024, now, sk, 413, "too-large");

  /* Updates: checked one by one. */
  round = round_state (f.participants[0]);
  base = json_object_get_string_member (round, "model");
  model = task_spec (f.participants[0]->client);
  other = trb_model_spec_new_from_json ("{\"format\":\"tributary-model\",\"version\":1,"
                                        "\"input\":{\"shape\":[784],\"dtype\":\"u8\"},"
                                        "\"layers\":[{\"type\":\"dense\",\"units\":10}],"
                                        "\"loss\":\"softmax_cross_entropy\"}", -1, &error);
  g_assert_no_error (error);
  {
    g_autoptr(GBytes) good = make_update (model, base, "10", 1, FALSE);
    g_autoptr(GBytes) good2 = make_update (model, base, "10", 2, FALSE);
    g_autoptr(GBytes) nan = make_update (model, base, "10", 3, TRUE);
    g_autoptr(GBytes) shape = make_update (other, base, "10", 4, FALSE);
    g_autoptr(GBytes) stale = make_update (model, "1111111111111111111111111111111111111111111111"
                                                  "111111111111111111", "10", 5, FALSE);
    g_autoptr(GBytes) no_samples = make_update (model, base, "0", 6, FALSE);
    g_autoptr(GBytes) garbage = g_bytes_new_static ("not a tensor file", 17);
    g_autoptr(JsonObject) first = NULL;
    g_autoptr(JsonObject) again = NULL;
    TestParticipant *p = f.participants[0];

    stranger = test_participant_new (&f.node, 0, 1, 0);
    assert_upload_rejected (stranger, 1, good, "not-joined");
    assert_upload_rejected (p, 7, good, "wrong-round");
    assert_upload_rejected (p, 1, stale, "wrong-round");
    assert_upload_rejected (p, 1, nan, "non-finite");
    assert_upload_rejected (p, 1, shape, "wrong-shape");
    assert_upload_rejected (p, 1, garbage, "bad-update");
    {
      /* A safetensors header of 2 MiB, over the 1 MiB limit. */
      gsize header_len = 2 * 1024 * 1024;
      guint8 *raw = g_malloc (8 + header_len);
      guint64 le = GUINT64_TO_LE ((guint64) header_len);
      g_autoptr(GBytes) huge = NULL;

      memcpy (raw, &le, 8);
      memset (raw + 8, ' ', header_len);
      raw[8] = '{';
      raw[8 + header_len - 1] = '}';
      huge = g_bytes_new_take (raw, 8 + header_len);
      assert_upload_rejected (p, 1, huge, "too-large");
    }
    assert_upload_rejected (p, 1, no_samples, "bad-update");
    {
      /* Finite, but past the task's bound (100 by default): 3.4e38 once made the aggregate
       * infinite. */
      g_autoptr(TrbWeights) weights = trb_model_spec_init_weights (model, 8);
      g_autoptr(GBytes) huge_values = NULL;

      trb_weights_get_data (weights, 0)[3] = 3.4e38f;
      trb_weights_set_metadata (weights, "base_model", base);
      trb_weights_set_metadata (weights, "samples", "10");
      trb_weights_set_metadata (weights, "epochs", "1");
      trb_weights_set_metadata (weights, "dataset_commitment",
                                "5e1f0e0000000000000000000000000000000000000000000000000000000000");
      huge_values = trb_weights_to_safetensors (weights);
      assert_upload_rejected (p, 1, huge_values, "out-of-range");
    }

    /* Idempotent: the same bytes again get the same receipt. */
    first = test_upload (p->client, "fashion-mnist", 1, good, &error);
    g_assert_no_error (error);
    again = test_upload (p->client, "fashion-mnist", 1, good, &error);
    g_assert_no_error (error);
    g_assert_cmpint (json_object_get_int_member (first, "leaf_index"), ==,
                     json_object_get_int_member (again, "leaf_index"));
    g_assert_cmpstr (json_object_get_string_member (first, "signature"), ==,
                     json_object_get_string_member (again, "signature"));
    assert_upload_rejected (p, 1, good2, "duplicate");

    /* The second participant fills the round; round 1 is then closed to everyone. */
    g_clear_pointer (&first, json_object_unref);
    first = test_upload (f.participants[1]->client, "fashion-mnist", 1, good2, &error);
    g_assert_no_error (error);
    wait_for_round (p, 2, NULL);
    {
      g_autoptr(GBytes) late = make_update (model, base, "10", 7, FALSE);

      assert_upload_rejected (f.participants[2], 1, late, "late");
    }
    test_participant_free (stranger);
  }

  sodium_free (sk);
  fixture_teardown (&f);
}


/* ---- the main loop keeps answering -------------------------------------------------------- */

typedef struct
{
  char   *url;
  gint    stop;
  GArray *sent;      /* gint64, monotonic µs */
  GArray *answered;
} Poller;

/* GET /v1/network every 20 ms from its own thread and session, until told to stop. */
static gpointer
poll_network_thread (gpointer data)
{
  Poller *poller = data;
  g_autoptr(SoupSession) session = soup_session_new ();
  g_autofree char *url = g_strconcat (poller->url, "/v1/network", NULL);

  while (!g_atomic_int_get (&poller->stop))
    {
      g_autoptr(SoupMessage) msg = soup_message_new ("GET", url);
      g_autoptr(GBytes) body = NULL;
      gint64 sent = g_get_monotonic_time ();
      gint64 answered;

      body = soup_session_send_and_read (session, msg, NULL, NULL);
      answered = g_get_monotonic_time ();
      g_assert_cmpuint (soup_message_get_status (msg), ==, 200);
      g_array_append_val (poller->sent, sent);
      g_array_append_val (poller->answered, answered);
      g_usleep (20000);
    }
  return NULL;
}

/* An update is checked on a worker: while one takes 1.5 s to check, other requests are answered
 * at once, before the update's own reply. */
static void
test_upload_off_main_loop (void)
{
  g_autofree char *task = make_task (2, 2);
  g_autoptr(GError) error = NULL;
  g_autoptr(JsonObject) round = NULL;
  g_autoptr(TrbModelSpec) model = NULL;
  g_autoptr(GBytes) update = NULL;
  g_autoptr(JsonObject) receipt = NULL;
  g_autoptr(GArray) sent = g_array_new (FALSE, FALSE, sizeof (gint64));
  g_autoptr(GArray) answered = g_array_new (FALSE, FALSE, sizeof (gint64));
  Poller poller = { NULL, 0, sent, answered };
  Fixture f = { 0 };
  GThread *thread;
  gint64 start, end, worst = 0;
  guint during = 0;

  fixture_setup (&f, task, "--upload-check-delay=1500", 0);
  round = round_state (f.participants[0]);
  model = task_spec (f.participants[0]->client);
  update = make_update (model, json_object_get_string_member (round, "model"), "10", 1, FALSE);

  poller.url = f.node.url;
  thread = g_thread_new ("poller", poll_network_thread, &poller);
  g_usleep (100000);
  start = g_get_monotonic_time ();
  receipt = test_upload (f.participants[0]->client, "fashion-mnist", 1, update, &error);
  end = g_get_monotonic_time ();
  g_atomic_int_set (&poller.stop, 1);
  g_thread_join (thread);
  g_assert_no_error (error);
  g_assert_true (json_object_has_member (receipt, "signature"));

  for (guint i = 0; i < sent->len; i++)
    {
      gint64 s = g_array_index (sent, gint64, i);
      gint64 a = g_array_index (answered, gint64, i);

      worst = MAX (worst, a - s);
      if (s > start && a < end)
        during++;
    }
  g_test_message ("upload answered in %" G_GINT64_FORMAT " ms; %u requests answered meanwhile, "
                  "the slowest in %" G_GINT64_FORMAT " ms", (end - start) / 1000, during,
                  worst / 1000);
  g_assert_cmpint (end - start, >=, 1500 * 1000);
  g_assert_cmpuint (during, >=, 10);
  g_assert_cmpint (worst, <, 500 * 1000);
  fixture_teardown (&f);
}

typedef struct
{
  guint n_done;
  guint n_busy;
  guint n_other;
} BusyCount;

static void
busy_sent_cb (GObject      *source,
              GAsyncResult *result,
              gpointer      user_data)
{
  BusyCount *count = user_data;
  SoupMessage *msg = soup_session_get_async_result_message (SOUP_SESSION (source), result);
  g_autoptr(GBytes) body = soup_session_send_and_read_finish (SOUP_SESSION (source), result,
                                                              NULL);
  guint status = soup_message_get_status (msg);

  if (status == 503)
    {
      g_assert_nonnull (body);
      g_assert_nonnull (g_strstr_len (g_bytes_get_data (body, NULL), g_bytes_get_size (body),
                                      "/problems/busy"));
      g_assert_cmpstr (soup_message_headers_get_one (soup_message_get_response_headers (msg),
                                                     "Retry-After"), ==, "1");
      count->n_busy++;
    }
  else
    {
      /* The first update checked is stored; the others from the same participant are
       * duplicates. */
      g_assert_true (status == 200 || status == 409);
      count->n_other++;
    }
  count->n_done++;
}

/* Updates waiting for their check are bounded: past 64 the node answers 503 busy at once. */
static void
test_upload_busy (void)
{
  g_autofree char *task = make_task (2, 2);
  g_autoptr(JsonObject) round = NULL;
  g_autoptr(TrbModelSpec) model = NULL;
  g_autoptr(SoupSession) session = soup_session_new_with_options ("max-conns", 200,
                                                                   "max-conns-per-host", 200,
                                                                   "timeout", 120, NULL);
  g_autofree char *target = NULL;
  BusyCount count = { 0 };
  Fixture f = { 0 };
  const guint n = 80;
  const char *base;

  /* The 80 uploads come at once from one address, past its default cap on connections. */
  const char * const args[] = { "--upload-check-delay=500", "--max-connections-per-address=200",
                                NULL };

  fixture_setup_args (&f, task, args, 0);
  round = round_state (f.participants[0]);
  base = json_object_get_string_member (round, "model");
  model = task_spec (f.participants[0]->client);
  target = g_strconcat (f.node.url, "/v1/tasks/fashion-mnist/rounds/1/updates", NULL);
  for (guint i = 0; i < n; i++)
    {
      g_autoptr(GBytes) update = make_update (model, base, "10", 100 + i, FALSE);
      g_autoptr(SoupMessage) msg = soup_message_new ("POST", target);
      SoupMessageHeaders *headers = soup_message_get_request_headers (msg);
      g_autofree char *digest = NULL, *input = NULL, *signature = NULL;

      trb_http_signature_sign ("POST", target, g_bytes_get_data (update, NULL),
                               g_bytes_get_size (update), f.participants[0]->secret_key,
                               g_get_real_time () / G_USEC_PER_SEC, &digest, &input, &signature);
      soup_message_set_request_body_from_bytes (msg, "application/vnd.safetensors", update);
      soup_message_headers_replace (headers, "Content-Digest", digest);
      soup_message_headers_replace (headers, "Signature-Input", input);
      soup_message_headers_replace (headers, "Signature", signature);
      soup_session_send_and_read_async (session, msg, G_PRIORITY_DEFAULT, NULL, busy_sent_cb,
                                        &count);
    }
  while (count.n_done < n)
    g_main_context_iteration (NULL, TRUE);
  g_test_message ("%u uploads at once: %u busy, %u checked", n, count.n_busy, count.n_other);
  g_assert_cmpuint (count.n_busy, >=, 1);
  g_assert_cmpuint (count.n_busy, <=, n - 64);
  fixture_teardown (&f);
}

/* ---- signatures bound to the node --------------------------------------------------------- */

/* POSTs a join by hand, with @host as the Host header; returns the status and the problem. */
static guint
post_join_with_host (const char  *url,
                     const char  *host,
                     const char  *signed_for,
                     guint8      *sk,
                     const char  *path,
                     char       **problem)
{
  static const char body[] = "{\"display_name\":\"Ada\"}";
  g_autoptr(GSocketClient) client = g_socket_client_new ();
  g_autoptr(GSocketConnection) connection = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *digest = NULL, *input = NULL, *signature = NULL, *request = NULL;
  g_autofree char *target = g_strconcat (signed_for, "/v1/participants", NULL);
  GString *reply = g_string_new (NULL);
  g_autofree char *text = NULL;
  const char *type;
  char buffer[4096];
  gssize n;
  guint status = 0;

  trb_http_signature_sign ("POST", target, (const guint8 *) body, strlen (body), sk,
                           g_get_real_time () / G_USEC_PER_SEC, &digest, &input, &signature);
  request = g_strdup_printf ("POST %s HTTP/1.1\r\nHost: %s\r\nContent-Type: application/json\r\n"
                             "Content-Length: %zu\r\nContent-Digest: %s\r\n"
                             "Signature-Input: %s\r\nSignature: %s\r\nConnection: close\r\n\r\n%s",
                             path, host, strlen (body), digest, input, signature, body);
  connection = g_socket_client_connect_to_uri (client, url, 0, NULL, &error);
  g_assert_no_error (error);
  g_output_stream_write_all (g_io_stream_get_output_stream (G_IO_STREAM (connection)), request,
                             strlen (request), NULL, NULL, &error);
  g_assert_no_error (error);
  while ((n = g_input_stream_read (g_io_stream_get_input_stream (G_IO_STREAM (connection)),
                                   buffer, sizeof buffer, NULL, NULL)) > 0)
    g_string_append_len (reply, buffer, n);
  text = g_string_free (reply, FALSE);
  sscanf (text, "HTTP/1.1 %u", &status);
  type = strstr (text, "/problems/");
  *problem = type != NULL ? g_strndup (type + 10, strcspn (type + 10, "\"")) : NULL;
  return status;
}

/* @target-uri is checked against the node's public URL, never rebuilt from Host: a request
 * signed for another node is refused even when it says Host: other.example. */
static void
test_signature_bound_to_node (void)
{
  g_autofree char *task = make_task (2, 2);
  g_autofree char *problem = NULL;
  TestNode node = { 0 };
  guint8 pk[32];
  guint8 *sk = sodium_malloc (64);

  crypto_sign_keypair (pk, sk);
  test_node_init (&node, task);
  test_node_start (&node, NULL);

  /* Signed for another node and sent with its Host: refused. */
  g_assert_cmpuint (post_join_with_host (node.url, "other.example", "http://other.example", sk,
                                         "/v1/participants", &problem), ==, 401);
  g_assert_cmpstr (problem, ==, "bad-signature");
  g_clear_pointer (&problem, g_free);
  /* Signed for this node: the Host header plays no part. */
  g_assert_cmpuint (post_join_with_host (node.url, "other.example", node.url, sk,
                                         "/v1/participants", &problem), ==, 200);
  g_assert_null (problem);
  test_node_kill (&node);

  /* Behind a proxy: signed for the public URL and its path prefix, or refused. */
  test_node_start (&node, "--public-url=https://tributary.example:8443/net/");
  g_assert_cmpuint (post_join_with_host (node.url, "tributary.example:8443",
                                         "https://tributary.example:8443/net", sk,
                                         "/v1/participants", &problem), ==, 200);
  g_assert_null (problem);
  g_assert_cmpuint (post_join_with_host (node.url, "tributary.example:8443",
                                         "https://tributary.example:8443/other", sk,
                                         "/v1/participants", &problem), ==, 401);
  g_assert_cmpstr (problem, ==, "bad-signature");
  g_clear_pointer (&problem, g_free);
  g_assert_cmpuint (post_join_with_host (node.url, "tributary.example:8443",
                                         "http://tributary.example:8443/net", sk,
                                         "/v1/participants", &problem), ==, 401);
  g_assert_cmpstr (problem, ==, "bad-signature");
  g_clear_pointer (&problem, g_free);
  g_assert_cmpuint (post_join_with_host (node.url, "127.0.0.1", node.url, sk,
                                         "/v1/participants", &problem), ==, 401);
  g_assert_cmpstr (problem, ==, "bad-signature");
  g_clear_pointer (&problem, g_free);

  test_node_kill (&node);

  /* Listening on every address, as Host a Network does: the loopback address and this
   * computer's own addresses are the node's, other names are not. */
  test_node_start (&node, "--listen=0.0.0.0:0");
  {
    g_autofree char *port = g_strdup (strrchr (node.url, ':'));
    g_autofree char *loopback = g_strconcat ("http://127.0.0.1", port, NULL);

    g_assert_cmpuint (post_join_with_host (loopback, "127.0.0.1", loopback, sk,
                                           "/v1/participants", &problem), ==, 200);
    g_assert_null (problem);
    g_assert_cmpuint (post_join_with_host (loopback, "other.example", "http://other.example",
                                           sk, "/v1/participants", &problem), ==, 401);
    g_assert_cmpstr (problem, ==, "bad-signature");
    g_clear_pointer (&problem, g_free);
  }

  sodium_free (sk);
  test_node_clear (&node);
}

static void
message_cb (SoupWebsocketConnection *ws,
            SoupWebsocketDataType    type,
            GBytes                  *message,
            gpointer                 user_data)
{
  GPtrArray *states = user_data;
  g_autoptr(GError) error = NULL;
  g_autoptr(JsonObject) event = trb_client_parse_event (g_bytes_get_data (message, NULL),
                                                        g_bytes_get_size (message), &error);

  g_assert_no_error (error);
  g_ptr_array_add (states, g_strdup_printf ("%" G_GINT64_FORMAT ":%s",
                                            json_object_get_int_member (event, "round"),
                                            json_object_get_string_member (event, "state")));
}

/* Round changes arrive over the WebSocket, and the same events by polling. */
static void
test_events (void)
{
  g_autofree char *task = make_task (2, 2);
  g_autoptr(GPtrArray) states = g_ptr_array_new_with_free_func (g_free);
  g_autoptr(SoupWebsocketConnection) ws = NULL;
  g_autoptr(GAsyncResult) result = NULL;
  g_autoptr(JsonObject) polled = NULL;
  g_autoptr(JsonObject) none = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *after = NULL;
  Fixture f = { 0 };
  JsonArray *events;
  gint64 deadline;

  fixture_setup (&f, task, NULL, 50);
  trb_client_connect_events_async (f.participants[0]->client, NULL, store_result_cb, &result);
  while (result == NULL)
    g_main_context_iteration (NULL, TRUE);
  ws = trb_client_connect_events_finish (f.participants[0]->client, result, &error);
  g_assert_no_error (error);
  g_signal_connect (ws, "message", G_CALLBACK (message_cb), states);

  for (guint i = 0; i < 2; i++)
    {
      g_assert_cmpint (trb_contributor_contribute (f.participants[i]->contributor,
                                                   "fashion-mnist", f.participants[i]->data, 0,
                                                   30, &error), ==, 1);
      g_assert_no_error (error);
    }
  deadline = g_get_monotonic_time () + 30 * G_USEC_PER_SEC;
  while (states->len < 3)
    {
      g_assert_cmpint (g_get_monotonic_time (), <, deadline);
      g_main_context_iteration (NULL, TRUE);
    }
  g_assert_cmpstr (g_ptr_array_index (states, 0), ==, "1:collecting");
  g_assert_cmpstr (g_ptr_array_index (states, 1), ==, "1:aggregating");
  g_assert_cmpstr (g_ptr_array_index (states, 2), ==, "2:open");

  /* Polling: the same three events, then nothing after the last. */
  polled = test_get_json (f.participants[1]->client, "/v1/events?after=0", &error);
  g_assert_no_error (error);
  events = json_object_get_array_member (polled, "events");
  g_assert_cmpuint (json_array_get_length (events), ==, 3);
  g_assert_cmpstr (json_object_get_string_member (json_array_get_object_element (events, 2),
                                                  "state"), ==, "open");
  after = g_strdup_printf ("/v1/events?after=%" G_GINT64_FORMAT,
                           json_object_get_int_member (polled, "next"));
  none = test_get_json (f.participants[1]->client, after, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (json_array_get_length (json_object_get_array_member (none, "events")), ==, 0);

  soup_websocket_connection_close (ws, SOUP_WEBSOCKET_CLOSE_NORMAL, NULL);
  fixture_teardown (&f);
}


static TrbWeights *
crafted_delta (TrbModelSpec *spec,
               guint64       seed,
               const char   *base,
               const char   *samples)
{
  TrbWeights *delta = trb_model_spec_init_weights (spec, seed);
  g_autoptr(GError) error = NULL;

  /* Small steps: a hundredth of a fresh initialisation. */
  g_assert_true (trb_weights_add_scaled (delta, delta, -0.99, &error));
  g_assert_no_error (error);
  trb_weights_set_metadata (delta, "base_model", base);
  trb_weights_set_metadata (delta, "samples", samples);
  trb_weights_set_metadata (delta, "epochs", "1");
  trb_weights_set_metadata (delta, "dataset_commitment",
                            "00000000000000000000000000000000000000000000000000000000000000ab");
  return delta;
}

static TrbWeights *
current_model (TestParticipant *p,
               char           **hash)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(JsonObject) round = round_state (p);
  g_autoptr(GBytes) blob = test_download (p->client, json_object_get_string_member (round, "model"),
                                          &error);
  TrbWeights *weights;

  g_assert_no_error (error);
  weights = trb_weights_new_from_safetensors (blob, &error);
  g_assert_no_error (error);
  if (hash != NULL)
    *hash = g_strdup (json_object_get_string_member (round, "model"));
  return weights;
}

/* The aggregate is exactly FedAvg weighted by sample counts, with server momentum: for β = 0.5,
 * v1 = mean1, w1 = w0 + v1; v2 = β v1 + mean2, w2 = w1 + v2 (tolerance 1e-6 per value). */
static void
test_fedavg_with_momentum (void)
{
  g_autofree char *task = make_task_with_momentum (2, 2, "0.5");
  g_autoptr(TrbModelSpec) spec = NULL;
  g_autoptr(TrbWeights) expected = NULL;
  g_autoptr(TrbWeights) velocity = NULL;
  g_autoptr(GError) error = NULL;
  const char *samples[2][2] = { { "10", "30" }, { "5", "15" } };
  const double weights[2][2] = { { 10, 30 }, { 5, 15 } };
  Fixture f = { 0 };

  fixture_setup (&f, task, NULL, 0);
  spec = task_spec (f.participants[0]->client);
  expected = current_model (f.participants[0], NULL);

  for (gint64 r = 1; r <= 2; r++)
    {
      g_autofree char *base = NULL;
      g_autoptr(TrbWeights) model = current_model (f.participants[0], &base);
      g_autoptr(TrbWeights) mean = NULL;
      g_autoptr(TrbWeights) got = NULL;
      TrbWeights *deltas[2];
      TestParticipant *asked[2];

      g_assert_cmpfloat (trb_weights_max_abs_difference (model, expected), <, 1e-6);
      asked_participants (&f, asked, 2);
      for (guint i = 0; i < 2; i++)
        {
          g_autoptr(GBytes) bytes = NULL;
          g_autoptr(JsonObject) receipt = NULL;

          deltas[i] = crafted_delta (spec, 100 * r + i, base, samples[r - 1][i]);
          bytes = trb_weights_to_safetensors (deltas[i]);
          receipt = test_upload (asked[i]->client, "fashion-mnist", r, bytes, &error);
          g_assert_no_error (error);
        }
      wait_for_round (f.participants[0], r + 1, NULL);

      mean = trb_weights_weighted_average (deltas, weights[r - 1], 2, &error);
      g_assert_no_error (error);
      if (velocity != NULL)
        g_assert_true (trb_weights_add_scaled (mean, velocity, 0.5, &error));
      g_clear_object (&velocity);
      velocity = g_object_ref (mean);
      g_assert_true (trb_weights_add_scaled (expected, velocity, 1.0, &error));
      g_assert_no_error (error);

      got = current_model (f.participants[0], NULL);
      g_test_message ("round %" G_GINT64_FORMAT ": largest difference from the expected model %g",
                      r, trb_weights_max_abs_difference (got, expected));
      g_assert_cmpfloat (trb_weights_max_abs_difference (got, expected), <, 1e-6);
      for (guint i = 0; i < 2; i++)
        g_object_unref (deltas[i]);
    }

  fixture_teardown (&f);
}

/* A task that lets huge values through (max_update_value 3.4e38) still cannot be wedged: round 1
 * takes the model to 3e38 in one value, round 2 would take it to infinity, so round 2 keeps the
 * model it started from, says so in its round_closed entry, and round 3 opens and takes an
 * honest update. */
static void
test_aggregate_never_wedges (void)
{
  g_autofree char *task = make_task_with_momentum (1, 1, "0, \"max_update_value\": 3.4e38");
  g_autoptr(TrbModelSpec) spec = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *after_round_1 = NULL;
  Fixture f = { 0 };
  TestParticipant *p;

  fixture_setup (&f, task, NULL, 0);
  p = f.participants[0];
  spec = task_spec (p->client);
  for (gint64 r = 1; r <= 3; r++)
    {
      g_autofree char *base = NULL;
      g_autoptr(TrbWeights) model = current_model (p, &base);
      g_autoptr(TrbWeights) delta = crafted_delta (spec, 300 + r, base, "10");
      g_autoptr(GBytes) bytes = NULL;
      g_autoptr(JsonObject) receipt = NULL;
      TestParticipant *asked;

      if (r == 2)
        g_assert_cmpstr (base, ==, after_round_1);
      if (r == 3)
        {
          /* Round 2 kept round 1's model. */
          g_assert_cmpstr (base, ==, after_round_1);
          g_assert_true (trb_weights_all_finite (model));
        }
      if (r < 3)
        trb_weights_get_data (delta, 0)[0] = 3e38f;
      bytes = trb_weights_to_safetensors (delta);
      asked_participants (&f, &asked, 1);
      receipt = test_upload (asked->client, "fashion-mnist", r, bytes, &error);
      g_assert_no_error (error);
      wait_for_round (p, r + 1, NULL);
      if (r == 1)
        {
          g_autoptr(TrbWeights) next = current_model (p, &after_round_1);

          g_assert_true (trb_weights_all_finite (next));
        }
    }
  fixture_teardown (&f);
}

/* With fraction 0.5, a round asks only the participants its selection rule picks; the others
 * are refused with not-selected, and the rule is the one clients compute. */
static void
test_fraction (void)
{
  g_autofree char *task = make_task_full (1, 100, "0", "0.5");
  g_autoptr(TrbModelSpec) spec = NULL;
  g_autoptr(JsonObject) round = NULL;
  g_autoptr(GPtrArray) extra = g_ptr_array_new_with_free_func ((GDestroyNotify) test_participant_free);
  g_autoptr(GError) error = NULL;
  gboolean seen_selected = FALSE, seen_unselected = FALSE;
  const char *base;
  Fixture f = { 0 };

  fixture_setup (&f, task, NULL, 0);
  spec = task_spec (f.participants[0]->client);
  round = round_state (f.participants[0]);
  base = json_object_get_string_member (round, "model");
  g_assert_cmpfloat (json_object_get_double_member (round, "fraction"), ==, 0.5);

  for (guint i = 0; i < 40 && !(seen_selected && seen_unselected); i++)
    {
      TestParticipant *p;
      g_autoptr(TrbWeights) delta = NULL;
      g_autoptr(GBytes) bytes = NULL;
      g_autoptr(JsonObject) receipt = NULL;
      gboolean selected;

      if (i < N_PARTICIPANTS)
        p = f.participants[i];
      else
        {
          p = test_participant_new (&f.node, 0, 1, 0);
          g_ptr_array_add (extra, p);
          g_assert_true (trb_contributor_connect (p->contributor, &error));
          g_assert_true (trb_contributor_join (p->contributor, &error));
          g_assert_no_error (error);
        }
      /* The round asks only participants the fraction keeps; of those, the ones it asked when
       * it opened or while it asked too few to close (section 5b of the protocol). */
      selected = test_round_asks (p->client, "fashion-mnist");
      if (!trb_client_is_selected (base, trb_client_get_address (p->client), 0.5))
        g_assert_false (selected);
      delta = crafted_delta (spec, 500 + i, base, "10");
      bytes = trb_weights_to_safetensors (delta);
      receipt = test_upload (p->client, "fashion-mnist", 1, bytes, &error);
      if (selected)
        {
          g_assert_no_error (error);
          g_assert_nonnull (receipt);
          seen_selected = TRUE;
        }
      else
        {
          g_assert_error (error, TRB_CLIENT_ERROR, TRB_CLIENT_ERROR_REJECTED);
          g_assert_cmpstr (trb_client_error_get_problem (error), ==, "not-selected");
          g_clear_error (&error);
          seen_unselected = TRUE;
        }
    }
  g_assert_true (seen_selected);
  g_assert_true (seen_unselected);

  g_clear_pointer (&extra, g_ptr_array_unref);
  fixture_teardown (&f);
}


typedef struct
{
  TestParticipant *participant;
  GBytes          *update;
  char            *hash;
  JsonObject      *receipt;
  gboolean         done;
} Upload;

static void
upload_free (Upload *u)
{
  g_clear_pointer (&u->participant, test_participant_free);
  g_clear_pointer (&u->update, g_bytes_unref);
  g_free (u->hash);
  g_clear_pointer (&u->receipt, json_object_unref);
  g_free (u);
}

static void
upload_done_cb (GObject      *source,
                GAsyncResult *result,
                gpointer      user_data)
{
  Upload *u = user_data;

  u->receipt = trb_client_json_finish (TRB_CLIENT (source), result, NULL);
  u->done = TRUE;
}

static gboolean
kill_node_cb (gpointer user_data)
{
  test_node_kill (user_data);
  return G_SOURCE_REMOVE;
}

/* SIGKILL at random moments while updates stream in: every update acknowledged before a kill is
 * in the ledger after the restart, a retry of one that was not gets a receipt, no update is in
 * twice, and an observer sees every restart's ledger consistent with the one before. */
static void
test_kill_at_random_moments (void)
{
  g_autofree char *task = make_task (1000, 1000);
  g_autoptr(GPtrArray) uploads = g_ptr_array_new_with_free_func ((GDestroyNotify) upload_free);
  g_autoptr(TrbModelSpec) spec = NULL;
  g_autoptr(JsonObject) round = NULL;
  g_autoptr(JsonObject) page = NULL;
  g_autoptr(GHashTable) in_ledger = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  g_autoptr(GError) error = NULL;
  g_autofree char *base = NULL;
  GRand *rand = g_rand_new_with_seed (g_test_rand_int ());
  TestParticipant *observer;
  guint acknowledged_before_kill = 0;
  Fixture f = { 0 };
  JsonArray *entries;

  fixture_setup (&f, task, NULL, 0);
  observer = f.participants[0];
  spec = task_spec (observer->client);
  round = round_state (observer);
  base = g_strdup (json_object_get_string_member (round, "model"));
  g_assert_true (trb_contributor_sync (observer->contributor, FALSE, &error));
  g_assert_no_error (error);

  for (guint iteration = 0; iteration < 4; iteration++)
    {
      guint first = uploads->len;

      for (guint i = 0; i < 6; i++)
        {
          Upload *u = g_new0 (Upload, 1);
          g_autoptr(TrbWeights) delta = crafted_delta (spec, 1000 + uploads->len, base, "10");

          u->participant = test_participant_new (&f.node, 0, 1, 0);
          trb_client_set_retry_policy (u->participant->client, 1, 10);
          g_assert_true (trb_contributor_connect (u->participant->contributor, &error));
          g_assert_true (trb_contributor_join (u->participant->contributor, &error));
          g_assert_no_error (error);
          /* A round that asks too few to close asks those who joined since at the next tick. */
          test_wait_asked (u->participant->client, "fashion-mnist");
          u->update = trb_weights_to_safetensors (delta);
          u->hash = g_compute_checksum_for_bytes (G_CHECKSUM_SHA256, u->update);
          g_ptr_array_add (uploads, u);
        }
      for (guint i = first; i < uploads->len; i++)
        {
          Upload *u = g_ptr_array_index (uploads, i);

          trb_client_upload_update_async (u->participant->client, "fashion-mnist", 1, u->update,
                                          NULL, upload_done_cb, u);
        }
      g_timeout_add (g_rand_int_range (rand, 0, 120), kill_node_cb, &f.node);
      for (guint i = first; i < uploads->len; i++)
        while (!((Upload *) g_ptr_array_index (uploads, i))->done || f.node.process != NULL)
          g_main_context_iteration (NULL, TRUE);
      for (guint i = first; i < uploads->len; i++)
        if (((Upload *) g_ptr_array_index (uploads, i))->receipt != NULL)
          acknowledged_before_kill++;

      test_node_start (&f.node, NULL);
      test_participant_reconnect (observer, &f.node);
      g_assert_true (trb_contributor_connect (observer->contributor, &error));
      g_assert_true (trb_contributor_sync (observer->contributor, FALSE, &error));
      g_assert_no_error (error);

      /* Retries of what was not acknowledged. */
      for (guint i = first; i < uploads->len; i++)
        {
          Upload *u = g_ptr_array_index (uploads, i);

          test_participant_reconnect (u->participant, &f.node);
          if (u->receipt == NULL)
            {
              u->receipt = test_upload (u->participant->client, "fashion-mnist", 1, u->update,
                                        &error);
              g_assert_no_error (error);
            }
        }
    }
  g_test_message ("%u of %u updates acknowledged before a kill", acknowledged_before_kill,
                  uploads->len);

  page = test_get_json (observer->client, "/v1/ledger/entries?start=0&end=1000", &error);
  g_assert_no_error (error);
  entries = json_object_get_array_member (page, "entries");
  for (guint i = 0; i < json_array_get_length (entries); i++)
    {
      const char *text = json_array_get_string_element (entries, i);
      g_autoptr(TrbLedgerEntry) entry = trb_ledger_entry_parse (text, strlen (text), &error);

      g_assert_no_error (error);
      if (trb_ledger_entry_get_entry_type (entry) != TRB_LEDGER_ENTRY_UPDATE_ACCEPTED)
        continue;
      g_assert_false (g_hash_table_contains (in_ledger, trb_ledger_entry_get_update (entry)));
      g_hash_table_add (in_ledger, g_strdup (trb_ledger_entry_get_update (entry)));
    }
  g_assert_cmpuint (g_hash_table_size (in_ledger), ==, uploads->len);
  for (guint i = 0; i < uploads->len; i++)
    {
      Upload *u = g_ptr_array_index (uploads, i);
      const char *text;

      g_assert_true (g_hash_table_contains (in_ledger, u->hash));
      text = json_array_get_string_element (entries,
                                            json_object_get_int_member (u->receipt, "leaf_index"));
      g_assert_nonnull (strstr (text, u->hash));
    }

  g_rand_free (rand);
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

  g_test_add_func ("/integration/three-rounds", test_three_rounds);
  g_test_add_func ("/integration/kill-and-restart", test_kill_and_restart);
  g_test_add_func ("/integration/tampered/entry", test_tampered_entry);
  g_test_add_func ("/integration/tampered/other-entry", test_tampered_other_entry);
  g_test_add_func ("/integration/tampered/fork", test_tampered_fork);
  g_test_add_func ("/integration/tampered/key", test_tampered_key);
  g_test_add_func ("/integration/tampered/shrunk", test_tampered_shrunk);
  g_test_add_func ("/integration/cosignatures-bounded", test_cosignatures_bounded);
  g_test_add_func ("/integration/rejections", test_rejections);
  g_test_add_func ("/integration/upload-off-main-loop", test_upload_off_main_loop);
  g_test_add_func ("/integration/upload-busy", test_upload_busy);
  g_test_add_func ("/integration/signature-bound-to-node", test_signature_bound_to_node);
  g_test_add_func ("/integration/events", test_events);
  g_test_add_func ("/integration/fedavg-momentum", test_fedavg_with_momentum);
  g_test_add_func ("/integration/fraction", test_fraction);
  g_test_add_func ("/integration/aggregate-never-wedges", test_aggregate_never_wedges);
  g_test_add_func ("/integration/kill-at-random-moments", test_kill_at_random_moments);

  return g_test_run ();
}
