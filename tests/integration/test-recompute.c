/* test-recompute.c
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * Verifiable aggregation on a real tributary-node on 127.0.0.1: a task with publish_updates
 * serves a closed round's updates; a participant that witnesses the ledger recomputes the round
 * with the node's own aggregation and cosigns only when the model and the rewards match. A node
 * whose model is not the one its updates give (its stored sample count of an update edited, so
 * that FedAvg weighs it otherwise than the ledger says) is caught, and not cosigned.
 */

#include "config.h"

#include <sodium.h>
#include <sqlite3.h>
#include <string.h>

#include "compute/trb-model-spec.h"
#include "compute/trb-weights.h"
#include "net/trb-protocol.h"
#include "trb-test-network.h"

#define N_PARTICIPANTS 2

static const char task_json[] =
  "{\"id\": \"fashion-mnist\", \"title\": \"Clothing\","
  " \"model\": {\"format\": \"tributary-model\", \"version\": 1,"
  " \"input\": {\"shape\": [784], \"dtype\": \"u8\"}, \"layers\": [{\"type\": \"dense\","
  " \"units\": 16}, {\"type\": \"relu\"}, {\"type\": \"dense\", \"units\": 10}],"
  " \"loss\": \"softmax_cross_entropy\"},"
  " \"data_schema\": {\"kind\": \"image-classification\", \"width\": 28, \"height\": 28,"
  " \"channels\": 1, \"classes\": 10},"
  " \"hyper_parameters\": {\"local_epochs\": 1, \"batch_size\": 16, \"learning_rate\": 0.1},"
  " \"round_policy\": {\"duration_seconds\": 120, \"min_updates\": 2, \"max_updates\": 2},"
  " \"reward_policy\": {\"points_per_sample_epoch\": 0.01, \"cap_per_round\": 1000},"
  " \"aggregation\": {\"strategy\": \"fedavg\", \"max_samples_per_update\": 1000},"
  " \"publish_updates\": true,"
  " \"initial_weights\": {\"seed\": 7}}";

typedef struct
{
  TestNode         node;
  TestParticipant *participants[N_PARTICIPANTS];
  TrbModelSpec    *spec;
} Fixture;

static void
fixture_setup (Fixture *f)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(JsonObject) public_task = NULL;
  g_autoptr(JsonNode) model = NULL;
  g_autofree char *model_json = NULL;

  test_node_init (&f->node, task_json);
  test_node_start (&f->node, NULL);
  for (guint i = 0; i < N_PARTICIPANTS; i++)
    {
      TestParticipant *p = test_participant_new (&f->node, i, N_PARTICIPANTS, 0);

      f->participants[i] = p;
      g_assert_true (trb_contributor_connect (p->contributor, &error));
      g_assert_no_error (error);
      g_assert_true (trb_contributor_join (p->contributor, &error));
      g_assert_no_error (error);
    }
  for (guint i = 0; i < N_PARTICIPANTS; i++)
    test_wait_asked (f->participants[i]->client, "fashion-mnist");

  public_task = test_get_json (f->participants[0]->client, "/v1/tasks/fashion-mnist", &error);
  g_assert_no_error (error);
  g_assert_true (json_object_get_boolean_member (public_task, "publish_updates"));
  model = json_node_init_object (json_node_alloc (),
                                 json_object_get_object_member (public_task, "model"));
  model_json = json_to_string (model, FALSE);
  f->spec = trb_model_spec_new_from_json (model_json, -1, &error);
  g_assert_no_error (error);
}

static void
fixture_teardown (Fixture *f)
{
  for (guint i = 0; i < N_PARTICIPANTS; i++)
    g_clear_pointer (&f->participants[i], test_participant_free);
  g_clear_object (&f->spec);
  test_node_clear (&f->node);
}

/* A small step (a hundredth of a fresh initialisation) on @base, claiming @samples. */
static GBytes *
crafted_update (Fixture    *f,
                guint64     seed,
                const char *base,
                const char *samples)
{
  g_autoptr(TrbWeights) delta = trb_model_spec_init_weights (f->spec, seed);
  g_autoptr(GError) error = NULL;

  g_assert_true (trb_weights_add_scaled (delta, delta, 0.01 - 1, &error));
  g_assert_no_error (error);
  trb_weights_set_metadata (delta, "base_model", base);
  trb_weights_set_metadata (delta, "samples", samples);
  trb_weights_set_metadata (delta, "epochs", "1");
  trb_weights_set_metadata (delta, "dataset_commitment",
                            "00000000000000000000000000000000000000000000000000000000000000ab");
  return trb_weights_to_safetensors (delta);
}

static void
upload (TestParticipant *p,
        GBytes          *update)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(JsonObject) receipt = test_upload (p->client, "fashion-mnist", 1, update, &error);

  g_assert_no_error (error);
  g_assert_nonnull (receipt);
}

/* The cosignatures on the network's latest checkpoint. */
static guint
count_cosignatures (TestParticipant *p)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GBytes) body = trb_client_request_sync (p->client, "GET", "/v1/ledger/checkpoint",
                                                    NULL, NULL, FALSE,
                                                    TRB_PROTOCOL_MAX_CHECKPOINT, NULL, &error);
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

static void
exec_sql (const char *db_path,
          const char *sql,
          const char *arg)
{
  sqlite3 *db = NULL;
  sqlite3_stmt *stmt = NULL;

  g_assert_cmpint (sqlite3_open (db_path, &db), ==, SQLITE_OK);
  g_assert_cmpint (sqlite3_prepare_v2 (db, sql, -1, &stmt, NULL), ==, SQLITE_OK);
  sqlite3_bind_text (stmt, 1, arg, -1, SQLITE_TRANSIENT);
  g_assert_cmpint (sqlite3_step (stmt), ==, SQLITE_DONE);
  g_assert_cmpint (sqlite3_changes (db), ==, 1);
  sqlite3_finalize (stmt);
  sqlite3_close (db);
}

/* An honest round: the published list names both updates in ledger order, and the witness
 * recomputes the round and cosigns. */
static void
test_honest_round (void)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(JsonObject) round = NULL;
  g_autoptr(JsonObject) listed = NULL;
  g_autoptr(GBytes) a = NULL;
  g_autoptr(GBytes) b = NULL;
  g_autofree char *a_hash = NULL;
  TestParticipant *witness;
  const char *base;
  JsonArray *updates;
  Fixture f = { 0 };

  fixture_setup (&f);
  witness = f.participants[0];
  round = test_round_state (witness);
  base = json_object_get_string_member (round, "model");
  /* Different claims, so that the weights of FedAvg matter. */
  a = crafted_update (&f, 11, base, "100");
  b = crafted_update (&f, 12, base, "300");
  a_hash = g_compute_checksum_for_bytes (G_CHECKSUM_SHA256, a);

  /* Not before the round is closed. */
  test_get_json (witness->client, "/v1/tasks/fashion-mnist/rounds/1/updates", &error);
  g_assert_error (error, TRB_CLIENT_ERROR, TRB_CLIENT_ERROR_REJECTED);
  g_clear_error (&error);

  upload (f.participants[0], a);
  /* Nor its files. */
  g_assert_null (test_download (witness->client, a_hash, &error));
  g_assert_nonnull (error);
  g_clear_error (&error);
  upload (f.participants[1], b);
  test_wait_for_round (witness, 2);

  listed = test_get_json (witness->client, "/v1/tasks/fashion-mnist/rounds/1/updates", &error);
  g_assert_no_error (error);
  updates = json_object_get_array_member (listed, "updates");
  g_assert_cmpuint (json_array_get_length (updates), ==, 2);
  g_assert_cmpstr (json_object_get_string_member (json_array_get_object_element (updates, 0),
                                                  "update"), ==, a_hash);
  {
    g_autoptr(GBytes) served = test_download (witness->client, a_hash, &error);

    g_assert_no_error (error);
    g_assert_true (g_bytes_equal (served, a));
  }

  g_assert_true (trb_contributor_sync (witness->contributor, TRUE, &error));
  g_assert_no_error (error);
  g_assert_cmpuint (trb_contributor_get_n_recomputed (witness->contributor), ==, 1);
  g_assert_cmpuint (count_cosignatures (witness), ==, 1);
  g_assert_false (trb_contributor_is_compromised (witness->contributor));

  fixture_teardown (&f);
}

/* The node aggregates the first update as if it claimed 900 samples where its ledger entry says
 * 100: its new model is not the one the published updates give. The witness says so, as
 * tampering, and does not cosign. */
static void
test_different_model (void)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(JsonObject) round = NULL;
  g_autoptr(GBytes) a = NULL;
  g_autoptr(GBytes) b = NULL;
  g_autofree char *db = NULL;
  g_autofree char *a_hash = NULL;
  TestParticipant *witness;
  const char *base;
  Fixture f = { 0 };

  fixture_setup (&f);
  witness = f.participants[0];
  round = test_round_state (witness);
  base = json_object_get_string_member (round, "model");
  a = crafted_update (&f, 21, base, "100");
  b = crafted_update (&f, 22, base, "300");
  a_hash = g_compute_checksum_for_bytes (G_CHECKSUM_SHA256, a);

  upload (f.participants[0], a);
  test_node_kill (&f.node);
  db = g_build_filename (f.node.data_dir, "node.db", NULL);
  exec_sql (db, "UPDATE updates SET samples = 900 WHERE hash = ?1", a_hash);
  test_node_start (&f.node, NULL);
  for (guint i = 0; i < N_PARTICIPANTS; i++)
    {
      test_participant_reconnect (f.participants[i], &f.node);
      g_assert_true (trb_contributor_connect (f.participants[i]->contributor, &error));
      g_assert_no_error (error);
    }
  upload (f.participants[1], b);
  test_wait_for_round (witness, 2);

  g_assert_false (trb_contributor_sync (witness->contributor, TRUE, &error));
  g_assert_error (error, TRB_CLIENT_ERROR, TRB_CLIENT_ERROR_TAMPERED);
  g_test_message ("%s", error->message);
  g_assert_nonnull (strstr (error->message, "new model"));
  g_assert_true (trb_contributor_is_compromised (witness->contributor));
  g_assert_cmpuint (trb_contributor_get_n_recomputed (witness->contributor), ==, 0);
  g_assert_cmpuint (count_cosignatures (f.participants[1]), ==, 0);

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

  g_test_add_func ("/recompute/honest-round", test_honest_round);
  g_test_add_func ("/recompute/different-model", test_different_model);
  return g_test_run ();
}
