/* trb-recompute.c
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * Verifiable aggregation (docs/protocol.md, "Verifiable aggregation"): a participant recomputes
 * a closed round from the updates the network publishes, with the node's own aggregation code
 * (trb_round_aggregate()) in the node's order, and compares the model and the rewards with the
 * verified ledger.
 */

#define G_LOG_DOMAIN "trb-recompute"

#include "config.h"

#include "trb-recompute.h"

#include <glib/gi18n.h>
#include <math.h>

#include "aggregation/trb-round-aggregate.h"
#include "ledger/trb-ledger-entry.h"
#include "net/trb-client.h"
#include "net/trb-protocol.h"
#include "net/trb-task-config.h"
#include "trb-json.h"

static gboolean
set_protocol (GError    **error,
              const char *message)
{
  g_set_error_literal (error, TRB_CLIENT_ERROR, TRB_CLIENT_ERROR_PROTOCOL, message);
  return FALSE;
}

static gboolean
set_tampered (GError    **error,
              gint64      round,
              const char *what)
{
  g_autofree char *number = g_strdup_printf ("%" G_GINT64_FORMAT, round);

  g_set_error (error, TRB_CLIENT_ERROR, TRB_CLIENT_ERROR_TAMPERED,
               /* Translators: a round's number, then a sentence saying what did not match. */
               _("This computer recomputed round %s and found that the network’s record is "
                 "wrong: %s"), number, what);
  return FALSE;
}

/**
 * trb_recompute_is_stateless:
 * @task: a task as served
 *
 * Whether a round of @task can be recomputed from its updates alone: its server optimizer keeps
 * no state between rounds (FedAvgM without momentum, plain FedAvg). The adaptive optimizers and
 * FedAvgM with momentum carry state the network does not publish, so their rounds are not
 * recomputed.
 *
 * Returns: %TRUE when the strategy keeps no server state (or the task's aggregation does not
 *   read: then the recomputation says so)
 */
gboolean
trb_recompute_is_stateless (JsonObject *task)
{
  TrbAggregationConfig config;

  if (!trb_aggregation_config_parse (task, &config, NULL))
    return TRUE;
  return config.optimizer == TRB_SERVER_OPTIMIZER_FEDAVGM && config.momentum == 0;
}

static char *
weights_hash (TrbWeights *weights)
{
  g_autoptr(GBytes) blob = trb_weights_to_safetensors (weights);

  return g_compute_checksum_for_bytes (G_CHECKSUM_SHA256, blob);
}

/* The published list must be the round's `update` entries of the verified ledger, in ledger
 * order: each entry's update, participant and index, none missing, none extra. */
static gboolean
check_published (JsonObject  *published,
                 gint64       round,
                 GPtrArray   *updates,
                 GArray      *update_indexes,
                 GError     **error)
{
  JsonNode *member = json_object_get_member (published, "updates");
  JsonArray *array;

  if (member == NULL || !JSON_NODE_HOLDS_ARRAY (member) ||
      json_array_get_length ((array = json_node_get_array (member))) >
      TRB_PROTOCOL_MAX_PUBLISHED_UPDATES)
    return set_protocol (error, _("The network sent an unreadable list of a round’s updates."));
  if (json_array_get_length (array) != updates->len)
    return set_tampered (error, round,
                         _("it does not publish the updates its ledger says it accepted."));
  for (guint i = 0; i < updates->len; i++)
    {
      TrbLedgerEntry *entry = g_ptr_array_index (updates, i);
      JsonNode *element = json_array_get_element (array, i);
      JsonObject *obj;

      if (!JSON_NODE_HOLDS_OBJECT (element))
        return set_protocol (error,
                             _("The network sent an unreadable list of a round’s updates."));
      obj = json_node_get_object (element);
      if (g_strcmp0 (trb_json_get_string (obj, "update", NULL),
                     trb_ledger_entry_get_update (entry)) != 0 ||
          g_strcmp0 (trb_json_get_string (obj, "participant", NULL),
                     trb_ledger_entry_get_participant (entry)) != 0 ||
          json_object_get_int_member_with_default (obj, "leaf_index", -1) !=
          (gint64) g_array_index (update_indexes, guint64, i))
        return set_tampered (error, round,
                             _("it does not publish the updates its ledger says it accepted."));
    }
  return TRUE;
}

/* Every update's `reward` entry must carry the points rule 2 gives from what was recomputed. */
static gboolean
check_rewards (JsonObject              *task,
               const TrbAggregationConfig *config,
               gint64                   round,
               GPtrArray               *updates,
               GPtrArray               *rewards,
               const TrbRoundAggregate *aggregate,
               GError                 **error)
{
  TrbTaskRewards policy;

  trb_task_rewards (task, &policy);
  if (rewards->len != updates->len)
    return set_tampered (error, round, _("its rewards are not one for each update."));
  for (guint i = 0; i < updates->len; i++)
    {
      TrbLedgerEntry *update = g_ptr_array_index (updates, i);
      TrbLedgerEntry *reward = NULL;
      gint64 samples, epochs, points;
      gboolean used;
      double norm, written;

      for (guint r = 0; r < rewards->len && reward == NULL; r++)
        if (g_strcmp0 (trb_ledger_entry_get_update (g_ptr_array_index (rewards, r)),
                       trb_ledger_entry_get_update (update)) == 0)
          reward = g_ptr_array_index (rewards, r);
      if (reward == NULL ||
          g_strcmp0 (trb_ledger_entry_get_participant (reward),
                     trb_ledger_entry_get_participant (update)) != 0 ||
          trb_ledger_entry_get_reward_rule (reward) != TRB_REWARD_RULE_CHECKED)
        return set_tampered (error, round, _("its rewards are not one for each update."));

      samples = trb_protocol_reward_samples (trb_ledger_entry_get_samples (update),
                                             config->max_samples_per_update);
      /* The epochs trained are a claim no one can check: only the cap is. */
      epochs = trb_protocol_reward_epochs (trb_ledger_entry_get_epochs (reward),
                                           policy.local_epochs);
      used = g_array_index (aggregate->used, gboolean, i);
      norm = g_array_index (aggregate->norms, double, i);
      points = trb_protocol_reward_checked (samples, epochs, used, norm,
                                            policy.points_per_sample_epoch,
                                            policy.cap_per_round);
      written = trb_ledger_entry_get_norm (reward);
      /* The norm goes through the ledger's JSON: a relative difference of 10⁻⁹ is the text,
       * not the update. The points are compared exactly. */
      if (trb_ledger_entry_get_samples (reward) != samples ||
          trb_ledger_entry_get_epochs (reward) != epochs ||
          !trb_ledger_entry_get_used (reward) != !used ||
          fabs (written - norm) > 1e-9 * MAX (1.0, fabs (norm)) ||
          trb_ledger_entry_get_points (reward) != points)
        return set_tampered (error, round,
                             _("its rewards are not what the reward rule gives."));
    }
  return TRUE;
}

/**
 * trb_recompute_round:
 * @task: the task, as served
 * @round: the round to recompute
 * @entries: (element-type TrbLedgerEntry): the verified ledger's entries of @task and @round,
 *   in ledger order: its `round_opened`, `update`, `round_closed` and `reward` entries
 * @indexes: (element-type guint64): the ledger index of each of @entries
 * @base_model: the model the round started from (the first `round_opened`'s)
 * @published: the network's list of the round's updates
 *   (`GET /v1/tasks/{id}/rounds/{n}/updates`)
 * @blobs: (element-type utf8 GBytes): the published updates, by their sha256
 * @outcome: (out): what was found when nothing was wrong
 * @error: %TRB_CLIENT_ERROR_TAMPERED with a plain sentence when the network's record does not
 *   match what the updates give; another error when something could not be read
 *
 * Recomputes round @round from its published updates with the node's aggregation code in the
 * ledger's order, and compares the new model's hash with the `round_closed` entry's model and
 * the points with each `reward` entry (rule 2). Rounds of a strategy with server state are not
 * recomputed (@outcome %TRB_RECOMPUTE_SERVER_STATE).
 *
 * Returns: %TRUE when nothing was found wrong
 */
gboolean
trb_recompute_round (JsonObject           *task,
                     gint64                round,
                     GPtrArray            *entries,
                     GArray               *indexes,
                     GBytes               *base_model,
                     JsonObject           *published,
                     GHashTable           *blobs,
                     TrbRecomputeOutcome  *outcome,
                     GError              **error)
{
  TrbAggregationConfig config;
  g_autoptr(TrbModelSpec) spec = NULL;
  g_autoptr(TrbWeights) base = NULL;
  g_autoptr(TrbWeights) read = NULL;
  g_autoptr(GPtrArray) updates = g_ptr_array_new ();
  g_autoptr(GArray) update_indexes = g_array_new (FALSE, FALSE, sizeof (guint64));
  g_autoptr(GPtrArray) rewards = g_ptr_array_new ();
  g_autoptr(GPtrArray) update_blobs = g_ptr_array_new ();
  g_autoptr(GArray) samples = g_array_new (FALSE, FALSE, sizeof (gint64));
  g_auto(TrbRoundAggregate) aggregate = { 0 };
  g_autofree char *spec_json = NULL;
  g_autofree char *base_hash = NULL;
  g_autofree char *new_hash = NULL;
  TrbLedgerEntry *opened = NULL;
  TrbLedgerEntry *closed = NULL;
  JsonNode *model;

  g_return_val_if_fail (entries->len == indexes->len, FALSE);

  *outcome = TRB_RECOMPUTE_MATCHED;
  if (!trb_aggregation_config_parse (task, &config, error))
    return FALSE;
  if (!trb_recompute_is_stateless (task))
    {
      *outcome = TRB_RECOMPUTE_SERVER_STATE;
      return TRUE;
    }
  model = json_object_get_member (task, "model");
  if (model == NULL || !JSON_NODE_HOLDS_OBJECT (model))
    return set_protocol (error, _("The task does not describe its model."));
  spec_json = json_to_string (model, FALSE);
  spec = trb_model_spec_new_from_json (spec_json, -1, error);
  if (spec == NULL)
    return FALSE;

  for (guint i = 0; i < entries->len; i++)
    {
      TrbLedgerEntry *entry = g_ptr_array_index (entries, i);

      if (g_strcmp0 (trb_ledger_entry_get_task (entry), trb_json_get_string (task, "id", NULL))
          != 0 || trb_ledger_entry_get_round (entry) != round)
        continue;
      switch (trb_ledger_entry_get_entry_type (entry))
        {
        case TRB_LEDGER_ENTRY_ROUND_OPENED:
          if (opened == NULL)
            opened = entry;
          break;
        case TRB_LEDGER_ENTRY_UPDATE_ACCEPTED:
          g_ptr_array_add (updates, entry);
          g_array_append_val (update_indexes, g_array_index (indexes, guint64, i));
          break;
        case TRB_LEDGER_ENTRY_ROUND_CLOSED:
          closed = entry;
          break;
        case TRB_LEDGER_ENTRY_REWARD:
          g_ptr_array_add (rewards, entry);
          break;
        default:
          break;
        }
    }
  if (opened == NULL || closed == NULL)
    return set_protocol (error, _("The ledger does not hold this round from start to end."));

  if (!check_published (published, round, updates, update_indexes, error))
    return FALSE;

  base_hash = g_compute_checksum_for_bytes (G_CHECKSUM_SHA256, base_model);
  if (g_strcmp0 (base_hash, trb_ledger_entry_get_model (opened)) != 0)
    return set_tampered (error, round, _("it served another model than the round started from."));
  read = trb_weights_new_from_safetensors (base_model, error);
  if (read == NULL)
    return FALSE;
  base = trb_model_spec_conform_weights (spec, read, error);
  if (base == NULL)
    return FALSE;

  for (guint i = 0; i < updates->len; i++)
    {
      TrbLedgerEntry *entry = g_ptr_array_index (updates, i);
      GBytes *blob = g_hash_table_lookup (blobs, trb_ledger_entry_get_update (entry));
      g_autofree char *hash = NULL;
      gint64 claimed = trb_ledger_entry_get_samples (entry);

      if (blob != NULL)
        hash = g_compute_checksum_for_bytes (G_CHECKSUM_SHA256, blob);
      if (blob == NULL || g_strcmp0 (hash, trb_ledger_entry_get_update (entry)) != 0)
        return set_tampered (error, round,
                             _("it does not publish the updates its ledger says it accepted."));
      g_ptr_array_add (update_blobs, blob);
      g_array_append_val (samples, claimed);
    }

  /* The node's code on the node's inputs: the updates in ledger order, the samples the
   * ledger's entries claim, no server state. */
  if (!trb_round_aggregate (&config, spec, base, NULL, update_blobs, samples, NULL, &aggregate,
                            error))
    return FALSE;
  new_hash = weights_hash (aggregate.params);
  if (g_strcmp0 (new_hash, trb_ledger_entry_get_model (closed)) != 0)
    return set_tampered (error, round, _("its new model is not the one its updates give."));
  return check_rewards (task, &config, round, updates, rewards, &aggregate, error);
}
