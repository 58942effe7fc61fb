/* test-rewards.c
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * A real tributary-node on 127.0.0.1 pays only what it can check (reward rule 2,
 * docs/ledger-format.md): claimed samples and epochs are capped, an update that does not
 * change the model earns nothing, nor does one the aggregation set aside or refused, and an
 * honest update is paid as under rule 1 when no cap binds.
 */

#include "config.h"

#include <math.h>
#include <sodium.h>
#include <string.h>

#include "compute/trb-model-spec.h"
#include "compute/trb-weights.h"
#include "ledger/trb-ledger-entry.h"
#include "net/trb-protocol.h"
#include "trb-test-network.h"

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
  " \"round_policy\": {\"duration_seconds\": 120, \"min_updates\": %u, \"max_updates\": %u},"
  " \"reward_policy\": {\"points_per_sample_epoch\": 0.01, \"cap_per_round\": %s},"
  " \"aggregation\": %s,"
  " \"initial_weights\": {\"seed\": 7}}";

typedef struct
{
  TestNode         node;
  TestParticipant *participants[MAX_PARTICIPANTS];
  guint            n;
  TrbModelSpec    *spec;
} Fixture;

/* A node whose rounds take @n updates, with the reward cap @cap and the aggregation
 * @aggregation, and @n participants. */
static void
fixture_setup (Fixture    *f,
               const char *cap,
               const char *aggregation,
               guint       n)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *task = g_strdup_printf (task_template, n, n, cap, aggregation);
  g_autoptr(JsonObject) public_task = NULL;
  g_autoptr(JsonNode) model = NULL;
  g_autofree char *model_json = NULL;

  g_assert_cmpuint (n, <=, MAX_PARTICIPANTS);
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
    }
  /* The first round opened before anyone joined: it asks them when it widens. */
  for (guint i = 0; i < n; i++)
    test_wait_asked (f->participants[i]->client, "fashion-mnist");

  public_task = test_get_json (f->participants[0]->client, "/v1/tasks/fashion-mnist", &error);
  g_assert_no_error (error);
  model = json_node_init_object (json_node_alloc (),
                                 json_object_get_object_member (public_task, "model"));
  model_json = json_to_string (model, FALSE);
  f->spec = trb_model_spec_new_from_json (model_json, -1, &error);
  g_assert_no_error (error);
}

static void
fixture_teardown (Fixture *f)
{
  for (guint i = 0; i < f->n; i++)
    g_clear_pointer (&f->participants[i], test_participant_free);
  g_clear_object (&f->spec);
  test_node_clear (&f->node);
}

static char *
current_model_hash (TestParticipant *p)
{
  g_autoptr(JsonObject) round = test_round_state (p);

  return g_strdup (json_object_get_string_member (round, "model"));
}

/* A small step (a hundredth of a fresh initialisation), scaled by @scale: 0 gives an update
 * of zeros. */
static TrbWeights *
crafted_delta (Fixture    *f,
               guint64     seed,
               const char *base,
               const char *samples,
               const char *epochs,
               double      scale)
{
  TrbWeights *delta = trb_model_spec_init_weights (f->spec, seed);
  g_autoptr(GError) error = NULL;

  g_assert_true (trb_weights_add_scaled (delta, delta, 0.01 * scale - 1, &error));
  g_assert_no_error (error);
  trb_weights_set_metadata (delta, "base_model", base);
  trb_weights_set_metadata (delta, "samples", samples);
  trb_weights_set_metadata (delta, "epochs", epochs);
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

/* The reward entries of the ledger for @p's wallet. */
static GPtrArray *
rewards_of (Fixture         *f,
            TestParticipant *p)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(JsonObject) page = test_get_json (f->participants[0]->client,
                                              "/v1/ledger/entries?start=0&end=1000", &error);
  GPtrArray *rewards = g_ptr_array_new_with_free_func (g_object_unref);
  JsonArray *entries;

  g_assert_no_error (error);
  entries = json_object_get_array_member (page, "entries");
  for (guint i = 0; i < json_array_get_length (entries); i++)
    {
      const char *text = json_array_get_string_element (entries, i);
      g_autoptr(TrbLedgerEntry) entry = trb_ledger_entry_parse (text, strlen (text), &error);

      g_assert_no_error (error);
      if (trb_ledger_entry_get_entry_type (entry) == TRB_LEDGER_ENTRY_REWARD &&
          g_str_equal (trb_ledger_entry_get_participant (entry),
                       trb_client_get_address (p->client)))
        g_ptr_array_add (rewards, g_steal_pointer (&entry));
    }
  return rewards;
}

/* The points the ledger gives @p in all, with the number of its reward entries in @n. */
static gint64
points_of (Fixture         *f,
           TestParticipant *p,
           guint           *n)
{
  g_autoptr(GPtrArray) rewards = rewards_of (f, p);
  gint64 points = 0;

  for (guint i = 0; i < rewards->len; i++)
    points += trb_ledger_entry_get_points (g_ptr_array_index (rewards, i));
  if (n != NULL)
    *n = rewards->len;
  return points;
}

/* @p's only reward entry, which must be under rule 2. */
static TrbLedgerEntry *
checked_reward_of (Fixture         *f,
                   TestParticipant *p)
{
  g_autoptr(GPtrArray) rewards = rewards_of (f, p);

  g_assert_cmpuint (rewards->len, ==, 1);
  g_assert_cmpint (trb_ledger_entry_get_reward_rule (rewards->pdata[0]), ==,
                   TRB_REWARD_RULE_CHECKED);
  return g_object_ref (rewards->pdata[0]);
}

/* With max_samples_per_update = 100 and one local epoch, 100 samples earn 1 point, far below
 * the cap of 1000 points a round: a claim of 10⁹ samples or of 1000 epochs earns that 1 point,
 * an update of zeros nothing, and the honest update its 1 point, as under rule 1. */
static void
test_claims_capped (void)
{
  g_autofree char *base = NULL;
  g_autoptr(TrbWeights) inflated_samples = NULL;
  g_autoptr(TrbWeights) inflated_epochs = NULL;
  g_autoptr(TrbWeights) zero = NULL;
  g_autoptr(TrbWeights) honest = NULL;
  g_autoptr(TrbLedgerEntry) entry = NULL;
  gint64 honest_points;
  Fixture f = { 0 };

  fixture_setup (&f, "1000", "{\"strategy\": \"fedavg\", \"max_samples_per_update\": 100}", 4);
  base = current_model_hash (f.participants[0]);
  inflated_samples = crafted_delta (&f, 101, base, "1000000000", "1", 1);
  inflated_epochs = crafted_delta (&f, 102, base, "100", "1000", 1);
  zero = crafted_delta (&f, 103, base, "100", "1", 0);
  honest = crafted_delta (&f, 104, base, "100", "1", 1);
  g_assert_cmpfloat (trb_weights_l2_norm (zero), ==, 0);
  upload (f.participants[0], 1, inflated_samples);
  upload (f.participants[1], 1, inflated_epochs);
  upload (f.participants[2], 1, zero);
  upload (f.participants[3], 1, honest);
  test_wait_for_round (f.participants[0], 2);

  honest_points = points_of (&f, f.participants[3], NULL);
  g_test_message ("points: inflated samples %" G_GINT64_FORMAT ", inflated epochs %"
                  G_GINT64_FORMAT ", zero %" G_GINT64_FORMAT ", honest %" G_GINT64_FORMAT,
                  points_of (&f, f.participants[0], NULL), points_of (&f, f.participants[1], NULL),
                  points_of (&f, f.participants[2], NULL), honest_points);
  /* Rule 1 paid 100 × 1 × 0.01 points for this update too. */
  g_assert_cmpint (honest_points, ==, trb_protocol_reward (100, 1, 0.01, 1000));
  g_assert_cmpint (honest_points, ==, 1000);
  g_assert_cmpint (points_of (&f, f.participants[0], NULL), ==, 1000);
  g_assert_cmpint (points_of (&f, f.participants[1], NULL), ==, 1000);
  g_assert_cmpint (points_of (&f, f.participants[2], NULL), ==, 0);

  /* The entries carry the rule's inputs: the counted samples and epochs, the verdict, the
   * norm. */
  entry = checked_reward_of (&f, f.participants[0]);
  g_assert_cmpint (trb_ledger_entry_get_samples (entry), ==, 100);
  g_assert_cmpint (trb_ledger_entry_get_epochs (entry), ==, 1);
  g_assert_true (trb_ledger_entry_get_used (entry));
  g_assert_cmpfloat_with_epsilon (trb_ledger_entry_get_norm (entry),
                                  trb_weights_l2_norm (inflated_samples), 1e-9);
  g_clear_object (&entry);
  entry = checked_reward_of (&f, f.participants[1]);
  g_assert_cmpint (trb_ledger_entry_get_epochs (entry), ==, 1);
  g_clear_object (&entry);
  entry = checked_reward_of (&f, f.participants[2]);
  g_assert_cmpint (trb_ledger_entry_get_points (entry), ==, 0);
  g_assert_cmpfloat (trb_ledger_entry_get_norm (entry), ==, 0);
  g_assert_true (trb_ledger_entry_get_used (entry));

  fixture_teardown (&f);
}

/* A task that sets no max_samples_per_update: a claim of 10⁹ samples is counted as
 * TRB_REWARD_DEFAULT_MAX_SAMPLES, below a cap a round set very high. */
static void
test_default_cap (void)
{
  g_autofree char *base = NULL;
  g_autoptr(TrbWeights) inflated = NULL;
  g_autoptr(TrbWeights) honest = NULL;
  g_autoptr(TrbLedgerEntry) entry = NULL;
  Fixture f = { 0 };

  fixture_setup (&f, "1000000", "{\"strategy\": \"fedavg\"}", 2);
  base = current_model_hash (f.participants[0]);
  inflated = crafted_delta (&f, 201, base, "1000000000", "1", 1);
  honest = crafted_delta (&f, 202, base, "2000", "1", 1);
  upload (f.participants[0], 1, inflated);
  upload (f.participants[1], 1, honest);
  test_wait_for_round (f.participants[0], 2);

  g_assert_cmpint (points_of (&f, f.participants[0], NULL), ==,
                   TRB_REWARD_DEFAULT_MAX_SAMPLES * 0.01 * TRB_POINTS_SCALE);
  g_assert_cmpint (points_of (&f, f.participants[1], NULL), ==, 20 * TRB_POINTS_SCALE);
  entry = checked_reward_of (&f, f.participants[0]);
  g_assert_cmpint (trb_ledger_entry_get_samples (entry), ==, TRB_REWARD_DEFAULT_MAX_SAMPLES);

  fixture_teardown (&f);
}

/* Multi-Krum (f = 1) sets a sign-flipped update aside, and the median and the trimmed mean
 * (β = 0.25) keep nothing of an update scaled ×1000: none of them earns a point, and the honest
 * updates are paid. */
static void
test_set_aside (void)
{
  static const char * const strategies[] = {
    "{\"strategy\": \"median\"}",
    "{\"strategy\": \"multi_krum\", \"attackers\": 1}",
    "{\"strategy\": \"trimmed_mean\", \"trim_fraction\": 0.25}",
  };
  static const guint n_updates[] = { 3, 5, 4 };

  for (guint s = 0; s < G_N_ELEMENTS (strategies); s++)
    {
      gboolean krum = s == 1;
      guint n = n_updates[s];
      g_autofree char *base = NULL;
      g_autoptr(TrbLedgerEntry) entry = NULL;
      Fixture f = { 0 };

      fixture_setup (&f, "1000", strategies[s], n);
      base = current_model_hash (f.participants[0]);
      for (guint i = 0; i < n; i++)
        {
          gboolean attacker = i == n - 1;
          g_autoptr(TrbWeights) delta = crafted_delta (&f, 300 + i, base, "100", "1",
                                                       attacker ? (krum ? -10 : 1000) : 1);

          upload (f.participants[i], 1, delta);
        }
      test_wait_for_round (f.participants[0], 2);

      for (guint i = 0; i < n; i++)
        {
          gint64 points = points_of (&f, f.participants[i], NULL);

          g_test_message ("%s: participant %u earned %" G_GINT64_FORMAT, strategies[s], i,
                          points);
          g_assert_cmpint (points, ==, i == n - 1 ? 0 : 1000);
        }
      entry = checked_reward_of (&f, f.participants[n - 1]);
      g_assert_false (trb_ledger_entry_get_used (entry));
      g_assert_cmpint (trb_ledger_entry_get_samples (entry), ==, 100);
      fixture_teardown (&f);
    }
}

/* An update beyond the norm bound's refusal threshold is refused when it is sent, so it is
 * never in a round and earns nothing; the honest update of the round is paid. */
static void
test_refused (void)
{
  g_autofree char *base = NULL;
  g_autoptr(TrbWeights) scaled = NULL;
  g_autoptr(TrbWeights) honest = NULL;
  g_autoptr(TrbWeights) honest2 = NULL;
  g_autoptr(GBytes) bytes = NULL;
  g_autoptr(JsonObject) receipt = NULL;
  g_autoptr(GError) error = NULL;
  guint n_rewards = 0;
  Fixture f = { 0 };

  fixture_setup (&f, "1000", "{\"max_update_norm\": 1, \"norm_bound\": \"refuse\","
                             " \"refuse_factor\": 2}", 2);
  base = current_model_hash (f.participants[0]);
  scaled = crafted_delta (&f, 401, base, "100", "1", 1000);
  bytes = trb_weights_to_safetensors (scaled);
  receipt = test_upload (f.participants[0]->client, "fashion-mnist", 1, bytes, &error);
  g_assert_null (receipt);
  g_assert_error (error, TRB_CLIENT_ERROR, TRB_CLIENT_ERROR_REJECTED);
  g_clear_error (&error);

  /* The attacker sends an honest update after all, so that the round closes. */
  honest = crafted_delta (&f, 402, base, "100", "1", 1);
  honest2 = crafted_delta (&f, 403, base, "100", "1", 1);
  upload (f.participants[0], 1, honest);
  upload (f.participants[1], 1, honest2);
  test_wait_for_round (f.participants[0], 2);
  g_assert_cmpint (points_of (&f, f.participants[0], &n_rewards), ==, 1000);
  g_assert_cmpuint (n_rewards, ==, 1);
  g_assert_cmpint (points_of (&f, f.participants[1], NULL), ==, 1000);

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

  g_test_add_func ("/rewards/claims-capped", test_claims_capped);
  g_test_add_func ("/rewards/default-cap", test_default_cap);
  g_test_add_func ("/rewards/set-aside", test_set_aside);
  g_test_add_func ("/rewards/refused", test_refused);
  return g_test_run ();
}
