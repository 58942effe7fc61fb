/* trb-aggregator.h
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#pragma once

#include <json-glib/json-glib.h>

#include "compute/trb-weights.h"

G_BEGIN_DECLS

#define TRB_AGGREGATION_ERROR (trb_aggregation_error_quark ())

/**
 * TrbAggregationError:
 * @TRB_AGGREGATION_ERROR_INVALID: the task's `aggregation` member is not valid
 * @TRB_AGGREGATION_ERROR_REFUSED: an update is beyond the norm bound's refusal threshold
 * @TRB_AGGREGATION_ERROR_LAYOUT: an update or the optimizer state does not fit the model
 * @TRB_AGGREGATION_ERROR_EMPTY: no update to aggregate
 */
typedef enum
{
  TRB_AGGREGATION_ERROR_INVALID,
  TRB_AGGREGATION_ERROR_REFUSED,
  TRB_AGGREGATION_ERROR_LAYOUT,
  TRB_AGGREGATION_ERROR_EMPTY,
} TrbAggregationError;

GQuark trb_aggregation_error_quark (void);

/**
 * TrbAggregationStrategy:
 * @TRB_AGGREGATION_FEDAVG: the sample-weighted mean, weights capped by the task
 * @TRB_AGGREGATION_MEDIAN: the coordinate-wise median
 * @TRB_AGGREGATION_TRIMMED_MEAN: the coordinate-wise mean of what is left once the lowest and
 *   the highest fraction β of values are set aside
 * @TRB_AGGREGATION_MULTI_KRUM: the mean of the m updates closest to their n − f − 2 nearest
 *   neighbours
 */
typedef enum
{
  TRB_AGGREGATION_FEDAVG,
  TRB_AGGREGATION_MEDIAN,
  TRB_AGGREGATION_TRIMMED_MEAN,
  TRB_AGGREGATION_MULTI_KRUM,
} TrbAggregationStrategy;

/**
 * TrbServerOptimizer:
 * @TRB_SERVER_OPTIMIZER_FEDAVGM: v ← μ v + Δ, x ← x + η v (plain FedAvg when μ = 0, η = 1)
 * @TRB_SERVER_OPTIMIZER_FEDADAGRAD: Reddi et al. 2021, Algorithm 2, FedAdagrad
 * @TRB_SERVER_OPTIMIZER_FEDYOGI: Reddi et al. 2021, Algorithm 2, FedYogi
 * @TRB_SERVER_OPTIMIZER_FEDADAM: Reddi et al. 2021, Algorithm 2, FedAdam
 */
typedef enum
{
  TRB_SERVER_OPTIMIZER_FEDAVGM,
  TRB_SERVER_OPTIMIZER_FEDADAGRAD,
  TRB_SERVER_OPTIMIZER_FEDYOGI,
  TRB_SERVER_OPTIMIZER_FEDADAM,
} TrbServerOptimizer;

/**
 * TrbNormBound:
 * @TRB_NORM_BOUND_CLIP: an update longer than the bound is scaled down to it
 * @TRB_NORM_BOUND_REFUSE: an update longer than `refuse_factor` × the bound is refused; one
 *   between the bound and that is scaled down to the bound
 */
typedef enum
{
  TRB_NORM_BOUND_CLIP,
  TRB_NORM_BOUND_REFUSE,
} TrbNormBound;

/**
 * TrbAggregationConfig:
 * @strategy: how the updates are combined
 * @max_samples_per_update: FedAvg's cap on an update's weight; 0 for none
 * @trim_fraction: β of the trimmed mean, in [0, 0.5)
 * @attackers: f of Multi-Krum
 * @selected: m of Multi-Krum; 0 for n − f
 * @max_update_norm: the L2 bound on one update; 0 for none
 * @norm_bound: what happens to an update beyond @max_update_norm
 * @refuse_factor: the multiple of @max_update_norm beyond which an update is refused
 * @optimizer: the server optimizer
 * @server_lr: η
 * @momentum: μ of FedAvgM
 * @beta1: β₁ of the adaptive optimizers
 * @beta2: β₂ of FedAdam and FedYogi
 * @tau: τ, the adaptivity of the adaptive optimizers
 *
 * A task's `aggregation` member, read and checked (docs/protocol.md, "Aggregation").
 */
typedef struct
{
  TrbAggregationStrategy strategy;
  gint64                 max_samples_per_update;
  double                 trim_fraction;
  gint64                 attackers;
  gint64                 selected;
  double                 max_update_norm;
  TrbNormBound           norm_bound;
  double                 refuse_factor;
  TrbServerOptimizer     optimizer;
  double                 server_lr;
  double                 momentum;
  double                 beta1;
  double                 beta2;
  double                 tau;
} TrbAggregationConfig;

gboolean    trb_aggregation_config_parse        (JsonObject                 *task,
                                                 TrbAggregationConfig       *config,
                                                 GError                    **error);
const char *trb_aggregation_strategy_to_string  (TrbAggregationStrategy      strategy);
const char *trb_server_optimizer_to_string      (TrbServerOptimizer          optimizer);
gboolean    trb_aggregation_config_refuses      (const TrbAggregationConfig *config,
                                                 double                      norm);

typedef struct _TrbAggregator TrbAggregator;

TrbAggregator *trb_aggregator_new           (const TrbAggregationConfig *config);
void           trb_aggregator_free          (TrbAggregator              *self);
gboolean       trb_aggregator_add_update    (TrbAggregator              *self,
                                             TrbWeights                 *delta,
                                             gint64                      samples,
                                             GError                    **error);
guint          trb_aggregator_get_n_updates (TrbAggregator              *self);
TrbWeights    *trb_aggregator_finish        (TrbAggregator              *self,
                                             TrbWeights                 *params,
                                             TrbWeights                **state,
                                             GError                    **error);
gboolean       trb_aggregator_is_used       (TrbAggregator              *self,
                                             guint                       index);
double         trb_aggregator_get_kept_share (TrbAggregator             *self,
                                              guint                      index);
guint          trb_aggregator_get_n_used    (TrbAggregator              *self);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (TrbAggregator, trb_aggregator_free)

G_END_DECLS
