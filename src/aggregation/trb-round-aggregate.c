/* trb-round-aggregate.c
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * One round's aggregation, from the stored updates to the new model and what the reward rule
 * needs of each update. The node closes a round with it and a participant that recomputes the
 * round calls it too: the same code on the same updates in the same order gives the same float
 * operations, so the new model is bit-identical and its hash comparable.
 */

#define G_LOG_DOMAIN "trb-aggregation"

#include "config.h"

#include "trb-round-aggregate.h"

#include <string.h>

#include "net/trb-protocol.h"

void
trb_round_aggregate_clear (TrbRoundAggregate *aggregate)
{
  g_clear_object (&aggregate->params);
  g_clear_object (&aggregate->state);
  g_clear_pointer (&aggregate->norms, g_array_unref);
  g_clear_pointer (&aggregate->used, g_array_unref);
}

/* Reads weights (a model or an update) and checks them against the task's model. */
static TrbWeights *
read_weights (TrbModelSpec  *spec,
              GBytes        *bytes,
              GError       **error)
{
  g_autoptr(TrbWeights) weights = trb_weights_new_from_safetensors (bytes, error);

  if (weights == NULL)
    return NULL;
  return trb_model_spec_conform_weights (spec, weights, error);
}

/* Which updates the finished @aggregator used, for the reward rule: an update is used when the
 * aggregator accepted it and kept at least half as much of it as of the average accepted one
 * (trb_protocol_reward_used()). @index maps each update to its index in the aggregator: -1 for
 * one that did not read, -2 for one the aggregator refused. */
static void
judge_used (TrbRoundAggregate *aggregate,
            TrbAggregator     *aggregator,
            GArray            *index)
{
  double sum = 0;
  guint n_accepted = 0;

  for (guint u = 0; u < index->len; u++)
    {
      int at = g_array_index (index, int, u);

      if (at >= 0)
        {
          sum += trb_aggregator_get_kept_share (aggregator, at);
          n_accepted++;
        }
    }
  for (guint u = 0; u < index->len; u++)
    {
      int at = g_array_index (index, int, u);

      g_array_index (aggregate->used, gboolean, u) =
        at >= 0 && trb_protocol_reward_used (TRUE, trb_aggregator_get_kept_share (aggregator, at),
                                             sum / MAX (n_accepted, 1));
    }
}

/**
 * trb_round_aggregate:
 * @config: the task's aggregation
 * @spec: the task's model
 * @params: the model the round started from
 * @state: (nullable): the server optimizer's state from the previous round
 * @blobs: (element-type GBytes): the round's accepted updates, as stored, in the order they
 *   were accepted (their ledger order)
 * @samples: (element-type gint64): the samples each update claimed, as its ledger entry says
 * @cancellable: (nullable): checked between updates
 * @aggregate: (out caller-allocates): the result
 * @error: return location for a #GError
 *
 * Aggregates one round. An update that no longer reads, or that the norm bound refuses, is left
 * out; a round whose aggregate is empty or not finite keeps the model it started from, and then
 * no update counts as used.
 *
 * Returns: %FALSE only when cancelled or when the updates cannot be combined at all
 */
gboolean
trb_round_aggregate (const TrbAggregationConfig *config,
                     TrbModelSpec               *spec,
                     TrbWeights                 *params,
                     TrbWeights                 *state,
                     GPtrArray                  *blobs,
                     GArray                     *samples,
                     GCancellable               *cancellable,
                     TrbRoundAggregate          *aggregate,
                     GError                    **error)
{
  g_autoptr(TrbAggregator) aggregator = trb_aggregator_new (config);
  /* Each update's index in the aggregator; -1 for one that did not read, -2 for one the
   * aggregator refused. */
  g_autoptr(GArray) index = g_array_new (FALSE, FALSE, sizeof (int));
  g_autoptr(GError) local_error = NULL;

  g_return_val_if_fail (blobs->len == samples->len, FALSE);

  memset (aggregate, 0, sizeof *aggregate);
  aggregate->params = g_object_ref (params);
  aggregate->state = state != NULL ? g_object_ref (state) : NULL;
  aggregate->norms = g_array_new (FALSE, TRUE, sizeof (double));
  aggregate->used = g_array_new (FALSE, TRUE, sizeof (gboolean));
  g_array_set_size (aggregate->used, blobs->len);

  /* The updates are read one at a time and handed to the strategy: FedAvg keeps one running
   * sum, the robust strategies keep what they must. */
  for (guint u = 0; u < blobs->len; u++)
    {
      g_autoptr(GError) update_error = NULL;
      g_autoptr(TrbWeights) delta = NULL;
      int at;
      double norm;

      if (g_cancellable_set_error_if_cancelled (cancellable, error))
        return FALSE;
      delta = read_weights (spec, g_ptr_array_index (blobs, u), &update_error);
      at = delta != NULL ? (int) trb_aggregator_get_n_updates (aggregator) : -1;
      norm = delta != NULL ? trb_weights_l2_norm (delta) : 0;

      g_array_append_val (index, at);
      g_array_append_val (aggregate->norms, norm);

      /* Updates were checked when accepted; one that no longer reads, or that the norm bound
       * refuses, is left out. */
      if (delta == NULL ||
          !trb_aggregator_add_update (aggregator, delta, g_array_index (samples, gint64, u),
                                      &update_error))
        {
          g_message ("Update %u of the round is left out: %s", u, update_error->message);
          g_array_index (index, int, u) = -1 - (delta != NULL);
        }
    }

  if (blobs->len > 0)
    {
      g_autoptr(TrbWeights) next_state = state != NULL ? g_object_ref (state) : NULL;
      g_autoptr(TrbWeights) next = trb_aggregator_finish (aggregator, params, &next_state,
                                                          &local_error);

      if (next == NULL && !g_error_matches (local_error, TRB_AGGREGATION_ERROR,
                                            TRB_AGGREGATION_ERROR_EMPTY))
        {
          g_propagate_error (error, g_steal_pointer (&local_error));
          return FALSE;
        }
      aggregate->n_used = trb_aggregator_get_n_used (aggregator);
      /* A model that is not finite would refuse every honest update after it and could never
       * be aggregated again: such an aggregate is never kept. So does a round none of whose
       * updates could be used. */
      if (next == NULL || !trb_weights_all_finite (next) ||
          (next_state != NULL && !trb_weights_all_finite (next_state)))
        {
          g_warning ("The aggregate is not finite or empty; the round keeps its previous model");
          aggregate->kept_previous = TRUE;
        }
      else
        {
          g_set_object (&aggregate->params, next);
          g_set_object (&aggregate->state, next_state);
          judge_used (aggregate, aggregator, index);
        }
    }
  return TRUE;
}
