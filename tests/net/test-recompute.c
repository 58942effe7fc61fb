/* test-recompute.c
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * trb_recompute_round() on a small hand-made round: two updates of a tiny model, FedAvg with
 * sample weights, the ledger's entries written as a node writes them. What matches passes; a
 * different model, a wrong reward, a list out of ledger order, a missing or altered file, an
 * extra update are tampering; a strategy with server state is not recomputed.
 */

#include "config.h"

#include <math.h>
#include <string.h>

#include "aggregation/trb-round-aggregate.h"
#include "compute/trb-model-spec.h"
#include "ledger/trb-ledger-entry.h"
#include "net/trb-client.h"
#include "net/trb-protocol.h"
#include "net/trb-recompute.h"
#include "wallet/trb-keypair.h"

#define MODEL \
  "{\"format\": \"tributary-model\", \"version\": 1, \"input\": {\"shape\": [4], " \
  "\"dtype\": \"u8\"}, \"layers\": [{\"type\": \"dense\", \"units\": 3}], " \
  "\"loss\": \"softmax_cross_entropy\"}"

/* Two wallets' addresses, made in main(). */
static char *addresses[2];
static const char *const claims[] = { "100", "300" };

#define COMMITMENT "00000000000000000000000000000000000000000000000000000000000000ab"

typedef struct
{
  JsonObject   *task;
  TrbModelSpec *spec;
  GBytes       *base;
  char         *base_hash;
  GBytes       *updates[2];
  char         *hashes[2];
  GPtrArray    *entries;
  GArray       *indexes;
  GHashTable   *blobs;
  char         *model_hash;
} Round;

/* An entry as built (its text is NUL-terminated JSON). */
static TrbLedgerEntry *
parse (char    *text,
       GError **build_error)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *owned = text;
  TrbLedgerEntry *entry;

  g_assert_no_error (*build_error);
  g_assert_nonnull (owned);
  entry = trb_ledger_entry_parse (owned, strlen (owned), &error);

  g_assert_no_error (error);
  return entry;
}

static void
add_entry (Round          *r,
           TrbLedgerEntry *entry)
{
  guint64 index = 10 + r->entries->len;

  g_ptr_array_add (r->entries, entry);
  g_array_append_val (r->indexes, index);
}

static JsonObject *
make_task (const char *aggregation)
{
  g_autofree char *json = g_strdup_printf ("{\"id\": \"t\", \"model\": " MODEL ", "
                                           "\"hyper_parameters\": {\"local_epochs\": 2}, "
                                           "\"reward_policy\": {\"points_per_sample_epoch\": "
                                           "0.01, \"cap_per_round\": 5}, "
                                           "\"aggregation\": %s, \"publish_updates\": true}",
                                           aggregation);
  g_autoptr(JsonNode) node = json_from_string (json, NULL);

  return json_object_ref (json_node_get_object (node));
}

/* Round 4 of task "t", closed with @model_hash (or with the model the node's code gives when
 * %NULL), the rewards with @points_delta added to the first one's points. */
static void
round_init (Round      *r,
            const char *model_hash,
            gint64      points_delta)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(TrbWeights) base = NULL;
  g_autoptr(GPtrArray) blobs = g_ptr_array_new ();
  g_autoptr(GArray) samples = g_array_new (FALSE, FALSE, sizeof (gint64));
  g_auto(TrbRoundAggregate) aggregate = { 0 };
  TrbAggregationConfig config;
  const char *sorted[3];
  gsize len = 0;

  memset (r, 0, sizeof *r);
  r->task = make_task ("{\"strategy\": \"fedavg\", \"max_samples_per_update\": 200}");
  r->spec = trb_model_spec_new_from_json (MODEL, -1, &error);
  g_assert_no_error (error);
  base = trb_model_spec_init_weights (r->spec, 5);
  r->base = trb_weights_to_safetensors (base);
  r->base_hash = g_compute_checksum_for_bytes (G_CHECKSUM_SHA256, r->base);
  r->entries = g_ptr_array_new_with_free_func (g_object_unref);
  r->indexes = g_array_new (FALSE, FALSE, sizeof (guint64));
  r->blobs = g_hash_table_new_full (g_str_hash, g_str_equal, g_free,
                                    (GDestroyNotify) g_bytes_unref);

  add_entry (r, parse (trb_ledger_entry_build_round_opened ("t", 4, r->base_hash, 100, 1, &len,
                                                            &error), &error));
  for (guint i = 0; i < 2; i++)
    {
      g_autoptr(TrbWeights) delta = trb_model_spec_init_weights (r->spec, 20 + i);
      gint64 claimed = g_ascii_strtoll (claims[i], NULL, 10);

      trb_weights_set_metadata (delta, "base_model", r->base_hash);
      trb_weights_set_metadata (delta, "samples", claims[i]);
      r->updates[i] = trb_weights_to_safetensors (delta);
      r->hashes[i] = g_compute_checksum_for_bytes (G_CHECKSUM_SHA256, r->updates[i]);
      g_hash_table_insert (r->blobs, g_strdup (r->hashes[i]), g_bytes_ref (r->updates[i]));
      add_entry (r, parse (trb_ledger_entry_build_update_accepted ("t", 4, addresses[i],
                                                                   r->hashes[i], claimed,
                                                                   COMMITMENT, 2, &len,
                                                                   &error), &error));
      g_ptr_array_add (blobs, r->updates[i]);
      g_array_append_val (samples, claimed);
    }

  g_assert_true (trb_aggregation_config_parse (r->task, &config, &error));
  /* The model as the node reads it: from its file, conformed to the task's model. */
  {
    g_autoptr(TrbWeights) read = trb_weights_new_from_safetensors (r->base, &error);

    g_assert_no_error (error);
    g_clear_object (&base);
    base = trb_model_spec_conform_weights (r->spec, read, &error);
    g_assert_no_error (error);
  }
  g_assert_true (trb_round_aggregate (&config, r->spec, base, NULL, blobs, samples, NULL,
                                      &aggregate, &error));
  g_assert_no_error (error);
  /* By hand: FedAvg with the first weight capped at 100 of 300 and the second at 200. */
  {
    g_autoptr(TrbWeights) d0 = trb_weights_new_from_safetensors (r->updates[0], NULL);
    g_autoptr(TrbWeights) d1 = trb_weights_new_from_safetensors (r->updates[1], NULL);
    float expected = trb_weights_get_data (base, 0)[1] +
                     (100 * trb_weights_get_data (d0, 0)[1] +
                      200 * trb_weights_get_data (d1, 0)[1]) / 300;

    g_assert_cmpfloat_with_epsilon (trb_weights_get_data (aggregate.params, 0)[1], expected,
                                    1e-6);
  }
  {
    g_autoptr(GBytes) model = trb_weights_to_safetensors (aggregate.params);

    r->model_hash = model_hash != NULL ? g_strdup (model_hash)
                                       : g_compute_checksum_for_bytes (G_CHECKSUM_SHA256, model);
  }
  sorted[0] = strcmp (r->hashes[0], r->hashes[1]) < 0 ? r->hashes[0] : r->hashes[1];
  sorted[1] = sorted[0] == r->hashes[0] ? r->hashes[1] : r->hashes[0];
  sorted[2] = NULL;
  add_entry (r, parse (trb_ledger_entry_build_round_closed ("t", 4, r->model_hash, sorted, NULL,
                                                            NULL, 0, 3, &len, &error), &error));
  for (guint i = 0; i < 2; i++)
    {
      gint64 counted = trb_protocol_reward_samples (g_array_index (samples, gint64, i), 200);
      double norm = g_array_index (aggregate.norms, double, i);
      gboolean used = g_array_index (aggregate.used, gboolean, i);
      gint64 points = trb_protocol_reward_checked (counted, 2, used, norm, 0.01, 5);

      add_entry (r, parse (trb_ledger_entry_build_checked_reward ("t", 4, addresses[i],
                                                                  r->hashes[i],
                                                                  points + (i == 0 ? points_delta
                                                                                   : 0),
                                                                  counted, 2, used, norm, 3,
                                                                  &len, &error), &error));
    }
}

static void
round_clear (Round *r)
{
  json_object_unref (r->task);
  g_object_unref (r->spec);
  g_bytes_unref (r->base);
  g_free (r->base_hash);
  for (guint i = 0; i < 2; i++)
    {
      g_bytes_unref (r->updates[i]);
      g_free (r->hashes[i]);
    }
  g_ptr_array_unref (r->entries);
  g_array_unref (r->indexes);
  g_hash_table_unref (r->blobs);
  g_free (r->model_hash);
}

/* The list a node publishes: @order gives the ledger position of each element. */
static JsonObject *
published (Round       *r,
           const guint *order,
           guint        n)
{
  g_autoptr(JsonBuilder) b = json_builder_new ();
  g_autoptr(JsonNode) node = NULL;

  json_builder_begin_object (b);
  json_builder_set_member_name (b, "updates");
  json_builder_begin_array (b);
  for (guint i = 0; i < n; i++)
    {
      json_builder_begin_object (b);
      json_builder_set_member_name (b, "update");
      json_builder_add_string_value (b, r->hashes[order[i]]);
      json_builder_set_member_name (b, "participant");
      json_builder_add_string_value (b, addresses[order[i]]);
      json_builder_set_member_name (b, "leaf_index");
      /* The update entries are the second and third kept: indexes 11 and 12. */
      json_builder_add_int_value (b, 11 + order[i]);
      json_builder_end_object (b);
    }
  json_builder_end_array (b);
  json_builder_end_object (b);
  node = json_builder_get_root (b);
  return json_object_ref (json_node_get_object (node));
}

static const guint in_order[] = { 0, 1 };

static gboolean
recompute (Round       *r,
           JsonObject  *list,
           GError     **error)
{
  TrbRecomputeOutcome outcome = TRB_RECOMPUTE_SERVER_STATE;
  gboolean ok = trb_recompute_round (r->task, 4, r->entries, r->indexes, r->base, list, r->blobs,
                                     &outcome, error);

  if (ok)
    g_assert_cmpint (outcome, ==, TRB_RECOMPUTE_MATCHED);
  return ok;
}

static void
test_matches (void)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(JsonObject) list = NULL;
  Round r;

  round_init (&r, NULL, 0);
  list = published (&r, in_order, 2);
  g_assert_true (recompute (&r, list, &error));
  g_assert_no_error (error);
  round_clear (&r);
}

static void
assert_tampered (GError     *error,
                 const char *words)
{
  g_assert_error (error, TRB_CLIENT_ERROR, TRB_CLIENT_ERROR_TAMPERED);
  g_test_message ("%s", error->message);
  g_assert_nonnull (strstr (error->message, words));
}

static void
test_other_model (void)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(JsonObject) list = NULL;
  Round r;

  round_init (&r, "1111111111111111111111111111111111111111111111111111111111111111", 0);
  list = published (&r, in_order, 2);
  g_assert_false (recompute (&r, list, &error));
  assert_tampered (error, "new model");
  round_clear (&r);
}

static void
test_other_reward (void)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(JsonObject) list = NULL;
  Round r;

  round_init (&r, NULL, 1);
  list = published (&r, in_order, 2);
  g_assert_false (recompute (&r, list, &error));
  assert_tampered (error, "reward rule");
  round_clear (&r);
}

static void
test_bad_list (void)
{
  static const guint swapped[] = { 1, 0 };
  g_autoptr(GError) error = NULL;
  g_autoptr(JsonObject) reversed = NULL;
  g_autoptr(JsonObject) short_list = NULL;
  Round r;

  round_init (&r, NULL, 0);
  /* Out of ledger order: a different order would give different floats. */
  reversed = published (&r, swapped, 2);
  g_assert_false (recompute (&r, reversed, &error));
  assert_tampered (error, "does not publish");
  g_clear_error (&error);
  /* One missing. */
  short_list = published (&r, in_order, 1);
  g_assert_false (recompute (&r, short_list, &error));
  assert_tampered (error, "does not publish");
  g_clear_error (&error);
  /* A file that is not the one its hash names. */
  {
    g_autoptr(JsonObject) list = published (&r, in_order, 2);

    g_hash_table_insert (r.blobs, g_strdup (r.hashes[1]), g_bytes_ref (r.updates[0]));
    g_assert_false (recompute (&r, list, &error));
    assert_tampered (error, "does not publish");
  }
  round_clear (&r);
}

static void
test_server_state (void)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(JsonObject) list = NULL;
  TrbRecomputeOutcome outcome = TRB_RECOMPUTE_MATCHED;
  Round r;

  round_init (&r, "1111111111111111111111111111111111111111111111111111111111111111", 0);
  json_object_unref (r.task);
  r.task = make_task ("{\"strategy\": \"fedavg\", \"server_optimizer\": \"fedadam\"}");
  g_assert_false (trb_recompute_is_stateless (r.task));
  list = published (&r, in_order, 2);
  g_assert_true (trb_recompute_round (r.task, 4, r.entries, r.indexes, r.base, list, r.blobs,
                                      &outcome, &error));
  g_assert_no_error (error);
  g_assert_cmpint (outcome, ==, TRB_RECOMPUTE_SERVER_STATE);
  round_clear (&r);
}

int
main (int    argc,
      char **argv)
{
  g_test_init (&argc, &argv, NULL);
  for (guint i = 0; i < G_N_ELEMENTS (addresses); i++)
    {
      guint8 key[32];

      memset (key, 0x41 + i, sizeof key);
      addresses[i] = trb_wallet_address_from_public_key (key);
    }

  g_test_add_func ("/recompute/matches", test_matches);
  g_test_add_func ("/recompute/other-model", test_other_model);
  g_test_add_func ("/recompute/other-reward", test_other_reward);
  g_test_add_func ("/recompute/bad-list", test_bad_list);
  g_test_add_func ("/recompute/server-state", test_server_state);
  return g_test_run ();
}
