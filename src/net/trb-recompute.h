/* trb-recompute.h
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#pragma once

#include <gio/gio.h>
#include <json-glib/json-glib.h>

G_BEGIN_DECLS

/**
 * TrbRecomputeOutcome:
 * @TRB_RECOMPUTE_MATCHED: the model and the rewards recomputed are the ledger's
 * @TRB_RECOMPUTE_SERVER_STATE: not recomputed: the strategy keeps server state (FedAvgM with
 *   momentum, FedAdagrad, FedYogi, FedAdam), which the network does not publish
 *
 * What recomputing a round found, when it found nothing wrong.
 */
typedef enum
{
  TRB_RECOMPUTE_MATCHED,
  TRB_RECOMPUTE_SERVER_STATE,
} TrbRecomputeOutcome;

gboolean trb_recompute_is_stateless (JsonObject           *task);
gboolean trb_recompute_round        (JsonObject           *task,
                                     gint64                round,
                                     GPtrArray            *entries,
                                     GArray               *indexes,
                                     GBytes               *base_model,
                                     JsonObject           *published,
                                     GHashTable           *blobs,
                                     TrbRecomputeOutcome  *outcome,
                                     GError              **error);

G_END_DECLS
