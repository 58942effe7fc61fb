/* trb-round-aggregate.h
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#pragma once

#include <gio/gio.h>

#include "aggregation/trb-aggregator.h"
#include "compute/trb-model-spec.h"
#include "compute/trb-weights.h"

G_BEGIN_DECLS

/**
 * TrbRoundAggregate:
 * @params: the round's new model; the model it started from when @kept_previous
 * @state: the server optimizer's new state, or %NULL (unchanged when @kept_previous)
 * @norms: (element-type double): each update's L2 norm as read, 0 for one that did not read
 * @used: (element-type gboolean): whether the aggregate used each update (reward rule 2)
 * @n_used: how many updates the aggregate used, as the aggregator counts them
 * @kept_previous: the aggregate was empty or not finite: the model stays as it was
 *
 * What aggregating a round's accepted updates gives, in the order they were read.
 */
typedef struct
{
  TrbWeights *params;
  TrbWeights *state;
  GArray     *norms;
  GArray     *used;
  guint       n_used;
  gboolean    kept_previous;
} TrbRoundAggregate;

void     trb_round_aggregate_clear (TrbRoundAggregate          *aggregate);
gboolean trb_round_aggregate       (const TrbAggregationConfig *config,
                                    TrbModelSpec               *spec,
                                    TrbWeights                 *params,
                                    TrbWeights                 *state,
                                    GPtrArray                  *blobs,
                                    GArray                     *samples,
                                    GCancellable               *cancellable,
                                    TrbRoundAggregate          *aggregate,
                                    GError                    **error);

G_DEFINE_AUTO_CLEANUP_CLEAR_FUNC (TrbRoundAggregate, trb_round_aggregate_clear)

G_END_DECLS
