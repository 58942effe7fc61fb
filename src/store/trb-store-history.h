/* trb-store-history.h
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#pragma once

#include "store/trb-store.h"

G_BEGIN_DECLS

/**
 * TrbStoreEvaluation:
 *
 * A result of "Evaluate on My Data" as History keeps it: the accuracy of model version @model
 * of @task on the local data named @dataset, at @time (seconds since the epoch).
 */
typedef struct
{
  char   *origin, *task, *model, *dataset;
  double  accuracy;
  gint64  time;
} TrbStoreEvaluation;

void       trb_store_evaluation_free              (TrbStoreEvaluation  *evaluation);
gboolean   trb_store_history_save_evaluation      (TrbStore            *store,
                                                   const char          *origin,
                                                   const char          *task,
                                                   const char          *model,
                                                   const char          *dataset,
                                                   double               accuracy,
                                                   GError             **error);
GPtrArray *trb_store_history_list_evaluations     (TrbStore            *store,
                                                   const char          *origin,
                                                   const char          *model,
                                                   GError             **error);
gboolean   trb_store_history_remove_evaluation    (TrbStore            *store,
                                                   const char          *origin,
                                                   const char          *model,
                                                   const char          *dataset,
                                                   GError             **error);
gboolean   trb_store_history_lookup_dataset       (TrbStore            *store,
                                                   const char          *origin,
                                                   const char          *update_hash,
                                                   char               **dataset,
                                                   GError             **error);
gboolean   trb_store_history_lookup_task          (TrbStore            *store,
                                                   const char          *origin,
                                                   const char          *task,
                                                   char               **json,
                                                   GError             **error);

G_END_DECLS
