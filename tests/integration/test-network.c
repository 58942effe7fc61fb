/* test-network.c
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * A real tributary-node on 127.0.0.1 (port 0) and headless participants over real HTTP.
 */

#include "config.h"

#include <glib/gstdio.h>
#include <libsoup/soup.h>
#include <sodium.h>
#include <string.h>

#include "ledger/trb-ledger-entry.h"
#include "net/trb-fl-model.h"
#include "net/trb-http-signature.h"
#include "trb-test-network.h"

#define N_PARTICIPANTS 5
#define SAMPLES_EACH   600

static const char task_template[] =
  "{\"id\": \"fashion-mnist\", \"title\": \"Clothing\","
  " \"model\": {\"input\": 784, \"layers\": [{\"type\": \"dense\", \"units\": 32, "
  "\"activation\": \"relu\"}, {\"type\": \"dense\", \"units\": 10}]},"
  " \"data_schema\": {\"kind\": \"image-classification\", \"width\": 28, \"height\": 28,"
  " \"channels\": 1, \"classes\": 10},"
  " \"hyper_parameters\": {\"local_epochs\": 1, \"batch_size\": 16, \"learning_rate\": 0.1},"
  " \"round_policy\": {\"duration_seconds\": 120, \"min_updates\": %d, \"max_updates\": %d},"
  " \"reward_policy\": {\"points_per_sample_epoch\": 0.01, \"cap_per_round\": 5},"
  " \"privacy_policy\": {\"clip_norm\": 0, \"noise_multiplier\": 0},"
  " \"initial_weights\": {\"seed\": 7},"
  " \"evaluation\": {\"path\": \"%s\", \"max_samples\": 1000}}";

static char *
make_task (int min_updates,
           int max_updates)
{
  g_autofree char *holdout = test_dataset_path ("t10k-images-idx3-ubyte.gz");

  return g_strdup_printf (task_template, min_updates, max_updates, holdout);
}

typedef struct
{
  TestNode         node;
  TestParticipant *participants[N_PARTICIPANTS];
} Fixture;

static void
fixture_setup (Fixture    *f,
               const char *task_json,
               const char *extra_arg,
               gsize       samples)
{
  g_autoptr(GError) error = NULL;

  test_node_init (&f->node, task_json);
  test_node_start (&f->node, extra_arg);
  for (guint i = 0; i < N_PARTICIPANTS; i++)
    {
      TestParticipant *p = test_participant_new (&f->node, i, N_PARTICIPANTS, samples);

      f->participants[i] = p;
      g_assert_true (trb_contributor_connect (p->contributor, &error));
      g_assert_no_error (error);
      g_assert_true (trb_contributor_join (p->contributor, &error));
      g_assert_no_error (error);
    }
}

static void
fixture_teardown (Fixture *f)
{
  for (guint i = 0; i < N_PARTICIPANTS; i++)
    g_clear_pointer (&f->participants[i], test_participant_free);
  test_node_clear (&f->node);
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

static double
initial_accuracy (TestParticipant *p)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(JsonObject) round = test_get_json (p->client, "/v1/tasks/fashion-mnist/round",
                                               &error);
  g_autoptr(JsonObject) task = test_get_json (p->client, "/v1/tasks/fashion-mnist", &error);
  g_autoptr(TrbFlModel) model = NULL;
  g_autoptr(TrbIdxSet) holdout = NULL;
  g_autoptr(GBytes) blob = NULL;
  g_autofree float *params = NULL;
  g_autofree char *path = test_dataset_path ("t10k-images-idx3-ubyte.gz");
  double loss, accuracy;

  g_assert_no_error (error);
  model = trb_fl_model_new_from_spec (json_object_get_object_member (task, "model"), &error);
  g_assert_no_error (error);
  blob = test_download (p->client, json_object_get_string_member (round, "model"), &error);
  g_assert_no_error (error);
  params = trb_fl_model_from_safetensors (model, blob, NULL, &error);
  g_assert_no_error (error);
  holdout = trb_idx_set_load (path, 0, 1, 1000, &error);
  g_assert_no_error (error);
  trb_fl_model_evaluate (model, params, holdout->inputs, holdout->labels, holdout->n_samples,
                         &loss, &accuracy);
  return accuracy;
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

int
main (int    argc,
      char **argv)
{
  /* Loopback only: no proxy lookup (which would need the desktop's settings schemas). */
  g_setenv ("GIO_USE_PROXY_RESOLVER", "dummy", TRUE);
  g_test_init (&argc, &argv, G_TEST_OPTION_ISOLATE_DIRS, NULL);
  g_assert_cmpint (sodium_init (), >=, 0);

  g_test_add_func ("/integration/three-rounds", test_three_rounds);

  return g_test_run ();
}
