/* test-aggregation.c
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * A real tributary-node on 127.0.0.1 enforces its task's `aggregation` whatever the clients
 * send: claimed sample counts capped, updates beyond the norm bound clipped or refused, and a
 * task it cannot run refused with a plain message.
 */

#include "config.h"

#include <glib/gstdio.h>
#include <math.h>
#include <sodium.h>
#include <string.h>

#include "compute/trb-model-spec.h"
#include "compute/trb-weights.h"
#include "ledger/trb-ledger-entry.h"
#include "trb-test-network.h"

#define N_PARTICIPANTS 2
#define MAX_PARTICIPANTS 5

static const char task_template[] =
  "{\"id\": \"fashion-mnist\", \"title\": \"Clothing\","
  " \"model\": {\"format\": \"tributary-model\", \"version\": 1,"
  " \"input\": {\"shape\": [784], \"dtype\": \"u8\"}, \"layers\": [{\"type\": \"dense\","
  " \"units\": 32}, {\"type\": \"relu\"}, {\"type\": \"dense\", \"units\": 10}],"
  " \"loss\": \"softmax_cross_entropy\"},"
  " \"data_schema\": {\"kind\": \"image-classification\", \"width\": 28, \"height\": 28,"
  " \"channels\": 1, \"classes\": 10},"
  " \"hyper_parameters\": {\"local_epochs\": 1, \"batch_size\": 16, \"learning_rate\": 0.1},"
  " \"round_policy\": {\"duration_seconds\": 120, \"min_updates\": %d, \"max_updates\": %d},"
  " \"reward_policy\": {\"points_per_sample_epoch\": 0.01, \"cap_per_round\": 5},"
  " \"aggregation\": %s,"
  " \"initial_weights\": {\"seed\": 7}}";

typedef struct
{
  TestNode         node;
  TestParticipant *participants[MAX_PARTICIPANTS];
  guint            n;
} Fixture;

/* A node whose rounds take @n updates, and @n participants. */
static void
fixture_setup_n (Fixture    *f,
                 const char *aggregation,
                 guint       n)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *task = g_strdup_printf (task_template, n, n, aggregation);

  f->n = n;
  test_node_init (&f->node, task);
  test_node_start (&f->node, NULL);
  for (guint i = 0; i < n; i++)
    {
      TestParticipant *p = test_participant_new (&f->node, i, n, 0);

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
               const char *aggregation)
{
  fixture_setup_n (f, aggregation, N_PARTICIPANTS);
}

static void
fixture_teardown (Fixture *f)
{
  for (guint i = 0; i < f->n; i++)
    g_clear_pointer (&f->participants[i], test_participant_free);
  test_node_clear (&f->node);
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

static TrbWeights *
current_model (TestParticipant *p,
               char           **hash)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(JsonObject) round = test_round_state (p);
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

/* A small step (a hundredth of a fresh initialisation, L2 norm about 0.1), scaled by @scale. */
static TrbWeights *
crafted_delta (TrbModelSpec *spec,
               guint64       seed,
               const char   *base,
               const char   *samples,
               double        scale)
{
  TrbWeights *delta = trb_model_spec_init_weights (spec, seed);
  g_autoptr(GError) error = NULL;

  g_assert_true (trb_weights_add_scaled (delta, delta, 0.01 * scale - 1, &error));
  g_assert_no_error (error);
  trb_weights_set_metadata (delta, "base_model", base);
  trb_weights_set_metadata (delta, "samples", samples);
  trb_weights_set_metadata (delta, "epochs", "1");
  trb_weights_set_metadata (delta, "dataset_commitment",
                            "00000000000000000000000000000000000000000000000000000000000000ab");
  return delta;
}

static void
upload (TestParticipant *p,
        gint64           round,
        TrbWeights      *delta)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GBytes) bytes = trb_weights_to_safetensors (delta);
  g_autoptr(JsonObject) receipt = test_upload (p->client, "fashion-mnist", round, bytes, &error);

  g_assert_no_error (error);
  g_assert_nonnull (receipt);
}

/* The last round_closed entry's metric @name, or NAN. */
static double
last_closed_metric (TrbClient  *client,
                    const char *name)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(JsonObject) page = test_get_json (client, "/v1/ledger/entries?start=0&end=1000",
                                              &error);
  JsonArray *entries;
  double found = NAN;

  g_assert_no_error (error);
  entries = json_object_get_array_member (page, "entries");
  for (guint i = 0; i < json_array_get_length (entries); i++)
    {
      const char *text = json_array_get_string_element (entries, i);
      g_autoptr(TrbLedgerEntry) entry = trb_ledger_entry_parse (text, strlen (text), &error);

      g_assert_no_error (error);
      if (trb_ledger_entry_get_entry_type (entry) != TRB_LEDGER_ENTRY_ROUND_CLOSED)
        continue;
      found = NAN;
      for (guint m = 0; m < trb_ledger_entry_get_n_metrics (entry); m++)
        {
          double value;
          const char *metric = trb_ledger_entry_get_metric (entry, m, &value);

          if (g_str_equal (metric, name))
            found = value;
        }
    }
  return found;
}

/* The new model is the old one plus the mean of @a and @b with equal weights. */
static void
assert_model_is_equal_mean (TrbWeights *before,
                            TrbWeights *after,
                            TrbWeights *a,
                            TrbWeights *b)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(TrbWeights) expected = trb_weights_copy (before);
  g_autoptr(TrbWeights) mean = NULL;
  TrbWeights *pair[2] = { a, b };
  const double equal[2] = { 1, 1 };

  mean = trb_weights_weighted_average (pair, equal, 2, &error);
  g_assert_no_error (error);
  g_assert_true (trb_weights_add_scaled (expected, mean, 1.0, &error));
  g_assert_no_error (error);
  g_test_message ("largest difference from the expected model: %g",
                  trb_weights_max_abs_difference (after, expected));
  g_assert_cmpfloat (trb_weights_max_abs_difference (after, expected), <, 1e-6);
}

/* A claim of 10⁹ samples weighs what max_samples_per_update allows, and an update of norm ≫
 * max_update_norm enters the aggregate at the bound's length. */
static void
test_cap_and_clip (void)
{
  g_autoptr(TrbModelSpec) spec = NULL;
  Fixture f = { 0 };

  fixture_setup (&f, "{\"strategy\": \"fedavg\", \"max_samples_per_update\": 100,"
                     " \"max_update_norm\": 1, \"norm_bound\": \"clip\"}");
  spec = task_spec (f.participants[0]->client);

  /* Round 1: the claim is capped; both updates are within the bound. */
  {
    g_autofree char *base = NULL;
    g_autoptr(TrbWeights) before = current_model (f.participants[0], &base);
    g_autoptr(TrbWeights) inflated = crafted_delta (spec, 101, base, "1000000000", -1);
    g_autoptr(TrbWeights) honest = crafted_delta (spec, 102, base, "100", 1);
    g_autoptr(TrbWeights) after = NULL;
    g_autoptr(TrbWeights) step = NULL;
    g_autoptr(GError) error = NULL;

    g_assert_cmpfloat (trb_weights_l2_norm (inflated), <, 1);
    upload (f.participants[0], 1, inflated);
    upload (f.participants[1], 1, honest);
    test_wait_for_round (f.participants[0], 2);
    after = current_model (f.participants[0], NULL);
    assert_model_is_equal_mean (before, after, inflated, honest);
    /* The inflated update did not take the model where it pointed. */
    step = trb_weights_subtract (after, before, &error);
    g_assert_no_error (error);
    g_assert_cmpfloat (trb_weights_max_abs_difference (step, inflated), >, 1e-4);
    g_assert_cmpfloat (last_closed_metric (f.participants[0]->client, "updates_used"), ==, 2);
  }

  /* Round 2: an update of norm about 37 is clipped to 1. */
  {
    g_autofree char *base = NULL;
    g_autoptr(TrbWeights) before = current_model (f.participants[0], &base);
    g_autoptr(TrbWeights) scaled = crafted_delta (spec, 201, base, "100", 1000);
    g_autoptr(TrbWeights) honest = crafted_delta (spec, 202, base, "100", 1);
    g_autoptr(TrbWeights) clipped = NULL;
    g_autoptr(TrbWeights) after = NULL;
    g_autoptr(TrbWeights) step = NULL;
    g_autoptr(GError) error = NULL;

    g_test_message ("norm of the scaled update: %g", trb_weights_l2_norm (scaled));
    g_assert_cmpfloat (trb_weights_l2_norm (scaled), >, 20);
    upload (f.participants[0], 2, scaled);
    upload (f.participants[1], 2, honest);
    test_wait_for_round (f.participants[0], 3);
    after = current_model (f.participants[0], NULL);
    clipped = trb_weights_copy (scaled);
    trb_weights_clip_norm (clipped, 1);
    assert_model_is_equal_mean (before, after, clipped, honest);
    step = trb_weights_subtract (after, before, &error);
    g_assert_no_error (error);
    g_assert_cmpfloat (trb_weights_l2_norm (step), <=, 1.0 + 1e-4);
  }

  fixture_teardown (&f);
}

/* In mode refuse, an update beyond refuse_factor × max_update_norm is refused at upload with
 * norm-too-large and never reaches the round. */
static void
test_refused (void)
{
  g_autoptr(TrbModelSpec) spec = NULL;
  g_autofree char *base = NULL;
  g_autoptr(TrbWeights) model = NULL;
  g_autoptr(TrbWeights) scaled = NULL;
  g_autoptr(TrbWeights) honest = NULL;
  g_autoptr(GBytes) bytes = NULL;
  g_autoptr(JsonObject) receipt = NULL;
  g_autoptr(JsonObject) round = NULL;
  g_autoptr(GError) error = NULL;
  Fixture f = { 0 };

  fixture_setup (&f, "{\"max_update_norm\": 1, \"norm_bound\": \"refuse\","
                     " \"refuse_factor\": 2}");
  spec = task_spec (f.participants[0]->client);
  model = current_model (f.participants[0], &base);
  scaled = crafted_delta (spec, 301, base, "100", 1000);
  bytes = trb_weights_to_safetensors (scaled);
  receipt = test_upload (f.participants[0]->client, "fashion-mnist", 1, bytes, &error);
  g_assert_null (receipt);
  g_assert_error (error, TRB_CLIENT_ERROR, TRB_CLIENT_ERROR_REJECTED);
  g_assert_cmpstr (trb_client_error_get_problem (error), ==, "norm-too-large");
  g_clear_error (&error);

  /* The refused update does not count: the round still waits for two. */
  honest = crafted_delta (spec, 302, base, "100", 1);
  upload (f.participants[1], 1, honest);
  round = test_round_state (f.participants[0]);
  g_assert_cmpint (json_object_get_int_member (round, "round"), ==, 1);

  fixture_teardown (&f);
}

/* FedAdam on the node, with a restart between rounds: the model after two rounds is Reddi et
 * al.'s rule applied twice, so m and v were kept across the restart (computed here in double
 * precision from m = 0, v = τ²). */
static void
test_fedadam_across_restart (void)
{
  const double eta = 0.01, beta1 = 0.9, beta2 = 0.99, tau = 1e-3;
  g_autoptr(TrbModelSpec) spec = NULL;
  g_autoptr(TrbWeights) expected = NULL;
  g_autoptr(GError) error = NULL;
  GArray *m = g_array_new (FALSE, TRUE, sizeof (double));
  GArray *v = g_array_new (FALSE, TRUE, sizeof (double));
  Fixture f = { 0 };

  fixture_setup (&f, "{\"server_optimizer\": \"fedadam\", \"server_lr\": 0.01,"
                     " \"beta1\": 0.9, \"beta2\": 0.99, \"tau\": 0.001}");
  spec = task_spec (f.participants[0]->client);
  expected = current_model (f.participants[0], NULL);
  g_array_set_size (m, trb_weights_get_total_elements (expected));
  g_array_set_size (v, trb_weights_get_total_elements (expected));
  for (guint k = 0; k < v->len; k++)
    g_array_index (v, double, k) = tau * tau;

  for (gint64 r = 1; r <= 2; r++)
    {
      g_autofree char *base = NULL;
      g_autoptr(TrbWeights) model = current_model (f.participants[0], &base);
      g_autoptr(TrbWeights) a = crafted_delta (spec, 400 + 10 * r, base, "100", 1);
      g_autoptr(TrbWeights) b = crafted_delta (spec, 401 + 10 * r, base, "300", -0.5);
      g_autoptr(TrbWeights) mean = NULL;
      g_autoptr(TrbWeights) got = NULL;
      TrbWeights *pair[2] = { a, b };
      const double weights[2] = { 100, 300 };
      gsize at = 0;

      g_assert_cmpfloat (trb_weights_max_abs_difference (model, expected), <, 1e-5);
      upload (f.participants[0], r, a);
      upload (f.participants[1], r, b);
      test_wait_for_round (f.participants[0], r + 1);

      mean = trb_weights_weighted_average (pair, weights, 2, &error);
      g_assert_no_error (error);
      for (guint i = 0; i < trb_weights_get_n_tensors (expected); i++)
        {
          float *x = trb_weights_get_data (expected, i);
          const float *d = trb_weights_get_data (mean, i);

          for (gsize k = 0; k < trb_weights_get_n_elements (expected, i); k++, at++)
            {
              double *mk = &g_array_index (m, double, at), *vk = &g_array_index (v, double, at);

              *mk = beta1 * *mk + (1 - beta1) * d[k];
              *vk = beta2 * *vk + (1 - beta2) * (double) d[k] * d[k];
              x[k] = (float) (x[k] + eta * *mk / (sqrt (*vk) + tau));
            }
        }
      got = current_model (f.participants[0], NULL);
      g_test_message ("round %" G_GINT64_FORMAT ": largest difference from FedAdam's rule %g", r,
                      trb_weights_max_abs_difference (got, expected));
      g_assert_cmpfloat (trb_weights_max_abs_difference (got, expected), <, 1e-5);
      /* A step, not nothing (far more than the tolerance above). */
      g_assert_cmpfloat (trb_weights_max_abs_difference (got, model), >, 1e-4);

      if (r == 1)
        {
          test_node_kill (&f.node);
          test_node_start (&f.node, NULL);
          for (guint i = 0; i < f.n; i++)
            {
              test_participant_reconnect (f.participants[i], &f.node);
              g_assert_true (trb_contributor_connect (f.participants[i]->contributor, &error));
              g_assert_no_error (error);
            }
        }
    }

  g_array_unref (m);
  g_array_unref (v);
  fixture_teardown (&f);
}

static int
compare_float (const void *a,
               const void *b)
{
  float x = *(const float *) a, y = *(const float *) b;

  return x < y ? -1 : x > y;
}

/* The robust strategies on the node, against references computed here: the coordinate-wise
 * median of three updates, one of them scaled ×1000 (no norm bound); Multi-Krum with f = 1 over
 * four honest updates and one sign-flipped ×10, which must be the plain mean of the four. */
static void
test_robust_strategies (void)
{
  for (guint krum = 0; krum < 2; krum++)
    {
      guint n = krum ? 5 : 3;
      g_autoptr(TrbModelSpec) spec = NULL;
      g_autoptr(GPtrArray) deltas = g_ptr_array_new_with_free_func (g_object_unref);
      g_autoptr(TrbWeights) before = NULL;
      g_autoptr(TrbWeights) after = NULL;
      g_autoptr(TrbWeights) expected = NULL;
      g_autoptr(GError) error = NULL;
      g_autofree char *base = NULL;
      Fixture f = { 0 };

      fixture_setup_n (&f, krum ? "{\"strategy\": \"multi_krum\", \"attackers\": 1}"
                                : "{\"strategy\": \"median\"}", n);
      spec = task_spec (f.participants[0]->client);
      before = current_model (f.participants[0], &base);
      for (guint i = 0; i < n; i++)
        {
          /* The attacker is the last, and claims a billion samples. */
          gboolean attacker = i == n - 1;
          TrbWeights *delta = crafted_delta (spec, 500 + i, base,
                                             attacker ? "1000000000" : "100",
                                             attacker ? (krum ? -10 : 1000) : 1);

          g_ptr_array_add (deltas, delta);
          upload (f.participants[i], 1, delta);
        }
      test_wait_for_round (f.participants[0], 2);
      after = current_model (f.participants[0], NULL);

      expected = trb_weights_copy (before);
      for (guint t = 0; t < trb_weights_get_n_tensors (expected); t++)
        {
          float *x = trb_weights_get_data (expected, t);

          for (gsize k = 0; k < trb_weights_get_n_elements (expected, t); k++)
            {
              float column[MAX_PARTICIPANTS];
              double sum = 0;

              for (guint i = 0; i < n; i++)
                column[i] = trb_weights_get_data (deltas->pdata[i], t)[k];
              if (krum)
                {
                  for (guint i = 0; i < n - 1; i++)
                    sum += column[i];
                  x[k] = (float) ((double) x[k] + (float) (sum / (n - 1)));
                }
              else
                {
                  qsort (column, n, sizeof (float), compare_float);
                  x[k] = (float) ((double) x[k] + column[1]);
                }
            }
        }
      g_test_message ("%s: largest difference from the reference %g", krum ? "multi-krum"
                                                                          : "median",
                      trb_weights_max_abs_difference (after, expected));
      g_assert_cmpfloat (trb_weights_max_abs_difference (after, expected), <, 1e-6);
      g_assert_cmpfloat (last_closed_metric (f.participants[0]->client, "updates_used"), ==,
                         krum ? n - 1 : n);
      g_assert_no_error (error);
      fixture_teardown (&f);
    }
}

typedef struct
{
  gint64 round;
  guint  calls;
} HookSeen;

/* What `tributary-bench robustness` does to play an attacker: a zero update claiming 10⁹
 * samples. */
static void
zero_update_hook (TrbWeights *update,
                  gint64      round,
                  gpointer    user_data)
{
  HookSeen *seen = user_data;
  g_autoptr(GError) error = NULL;

  seen->round = round;
  seen->calls++;
  g_assert_true (trb_weights_add_scaled (update, update, -1.0, &error));
  g_assert_no_error (error);
  trb_weights_set_metadata (update, "samples", "1000000000");
}

/* A contributor's update hook changes the update it signs and uploads: the node receives the
 * tensors and the claim the hook left (the ledger records the claim, the model does not move),
 * and the receipt matches it. */
static void
test_update_hook (void)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *images = test_dataset_path ("train-images-idx3-ubyte.gz");
  g_autoptr(TrbWeights) before = NULL;
  g_autoptr(TrbWeights) after = NULL;
  g_autoptr(JsonObject) page = NULL;
  TestParticipant *p;
  HookSeen seen = { 0 };
  JsonArray *entries;
  gint64 claimed = 0;
  Fixture f = { 0 };

  fixture_setup_n (&f, "{\"strategy\": \"fedavg\"}", 1);
  p = f.participants[0];
  p->data = trb_training_set_load (images, 0, 1, 200, NULL, &error);
  g_assert_no_error (error);
  before = current_model (p, NULL);
  trb_contributor_set_update_hook (p->contributor, zero_update_hook, &seen);
  g_assert_cmpint (trb_contributor_contribute (p->contributor, "fashion-mnist", p->data, 0, 60,
                                               &error), ==, 1);
  g_assert_no_error (error);
  g_assert_cmpuint (seen.calls, ==, 1);
  g_assert_cmpint (seen.round, ==, 1);

  test_wait_for_round (p, 2);
  after = current_model (p, NULL);
  g_assert_cmpfloat (trb_weights_max_abs_difference (after, before), ==, 0);
  page = test_get_json (p->client, "/v1/ledger/entries?start=0&end=1000", &error);
  g_assert_no_error (error);
  entries = json_object_get_array_member (page, "entries");
  for (guint i = 0; i < json_array_get_length (entries); i++)
    {
      const char *text = json_array_get_string_element (entries, i);
      g_autoptr(TrbLedgerEntry) entry = trb_ledger_entry_parse (text, strlen (text), &error);

      g_assert_no_error (error);
      if (trb_ledger_entry_get_entry_type (entry) == TRB_LEDGER_ENTRY_UPDATE_ACCEPTED)
        claimed = trb_ledger_entry_get_samples (entry);
    }
  g_assert_cmpint (claimed, ==, 1000000000);
  fixture_teardown (&f);
}

/* A task whose aggregation the node cannot run is refused at init with a message naming the
 * member. */
static void
test_invalid_task (void)
{
  const struct { const char *aggregation; const char *expected; } cases[] = {
    { "{\"strategy\": \"average\"}", "strategy" },
    { "{\"strategy\": \"trimmed_mean\", \"trim_fraction\": 0.5}", "trim_fraction" },
    { "{\"strategy\": \"multi_krum\", \"attackers\": 1}", "attackers" },
    { "{\"max_update_norm\": -3}", "max_update_norm" },
  };
  g_autofree char *binary = g_build_filename (g_getenv ("TRB_BUILD_ROOT"), "src", "node",
                                              "tributary-node", NULL);

  for (guint i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_autoptr(GError) error = NULL;
      g_autoptr(GSubprocess) init = NULL;
      g_autofree char *task = g_strdup_printf (task_template, 2, 2, cases[i].aggregation);
      g_autofree char *dir = g_build_filename (g_get_user_data_dir (), "invalid-XXXXXX", NULL);
      g_autofree char *task_path = NULL;
      g_autofree char *data_dir = NULL;
      g_autofree char *err = NULL;

      g_mkdir_with_parents (g_get_user_data_dir (), 0700);
      g_assert_nonnull (g_mkdtemp (dir));
      task_path = g_build_filename (dir, "task.json", NULL);
      data_dir = g_build_filename (dir, "data", NULL);
      g_assert_true (g_file_set_contents (task_path, task, -1, &error));
      init = g_subprocess_new (G_SUBPROCESS_FLAGS_STDOUT_SILENCE | G_SUBPROCESS_FLAGS_STDERR_PIPE,
                               &error, binary, "init", "--data", data_dir, "--name", "Invalid",
                               "--task", task_path, NULL);
      g_assert_no_error (error);
      g_assert_true (g_subprocess_communicate_utf8 (init, NULL, NULL, NULL, &err, &error));
      g_assert_no_error (error);
      g_test_message ("%s: %s", cases[i].aggregation, err);
      g_assert_false (g_subprocess_get_if_exited (init) &&
                      g_subprocess_get_exit_status (init) == 0);
      g_assert_nonnull (strstr (err, cases[i].expected));
    }
}

int
main (int    argc,
      char **argv)
{
  /* Loopback only: no proxy lookup (which would need the desktop's settings schemas). */
  g_setenv ("GIO_USE_PROXY_RESOLVER", "dummy", TRUE);
  g_test_init (&argc, &argv, G_TEST_OPTION_ISOLATE_DIRS, NULL);
  g_assert_cmpint (sodium_init (), >=, 0);

  g_test_add_func ("/aggregation/cap-and-clip", test_cap_and_clip);
  g_test_add_func ("/aggregation/refused", test_refused);
  g_test_add_func ("/aggregation/fedadam-across-restart", test_fedadam_across_restart);
  g_test_add_func ("/aggregation/robust-strategies", test_robust_strategies);
  g_test_add_func ("/aggregation/invalid-task", test_invalid_task);
  g_test_add_func ("/aggregation/update-hook", test_update_hook);

  return g_test_run ();
}
