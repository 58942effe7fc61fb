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

/**
 * TrbStoreHistoryEntry:
 * @origin: the network
 * @network: (nullable): the network's name, where the operation reads it
 * @leaf_index: the entry's place in the ledger
 * @data: the entry as the network served it
 * @verified: whether its inclusion was checked against a signed checkpoint
 * @verified_size: the size of that checkpoint, 0 when not verified
 * @problem: (nullable): why it is not verified, when a check failed
 *
 * A ledger entry as History keeps it.
 */
typedef struct
{
  char     *origin, *network;
  guint64   leaf_index;
  char     *data;
  gboolean  verified;
  guint64   verified_size;
  char     *problem;
} TrbStoreHistoryEntry;

/**
 * TrbStoreHistoryNewEntry:
 * @leaf_index: the entry's place in the ledger
 * @type: the entry's type, as trb_ledger_entry_type_to_string() names it
 * @data: the entry as served
 * @task: (nullable): its task, for the entries of a round
 * @round: its round, when @task is set
 * @participant: (nullable): the wallet it concerns
 * @time: its time, seconds since the epoch
 *
 * An entry to keep, for trb_store_history_save_entries().
 */
typedef struct
{
  guint64     leaf_index;
  const char *type, *data, *task;
  gint64      round;
  const char *participant;
  gint64      time;
} TrbStoreHistoryNewEntry;

void       trb_store_evaluation_free              (TrbStoreEvaluation  *evaluation);
void       trb_store_history_entry_free           (TrbStoreHistoryEntry *entry);
gboolean   trb_store_history_migrate              (TrbStore            *store,
                                                   GError             **error);

/* Each network's state: how far its ledger was fetched, and whether it is halted. */
GStrv      trb_store_history_list_origins         (TrbStore            *store,
                                                   GError             **error);
gboolean   trb_store_history_get_fetched_size     (TrbStore            *store,
                                                   const char          *origin,
                                                   guint64             *size,
                                                   GError             **error);
gboolean   trb_store_history_set_fetched_size     (TrbStore            *store,
                                                   const char          *origin,
                                                   guint64              size,
                                                   GError             **error);
gboolean   trb_store_history_get_witnessed_size   (TrbStore            *store,
                                                   const char          *origin,
                                                   guint64             *size,
                                                   GError             **error);
gboolean   trb_store_history_set_witnessed_size   (TrbStore            *store,
                                                   const char          *origin,
                                                   guint64              size,
                                                   GError             **error);
gboolean   trb_store_history_is_halted            (TrbStore            *store,
                                                   const char          *origin,
                                                   gboolean            *halted,
                                                   GError             **error);
gboolean   trb_store_history_halt                 (TrbStore            *store,
                                                   const char          *origin,
                                                   GError             **error);
gboolean   trb_store_history_resume               (TrbStore            *store,
                                                   const char          *origin,
                                                   GError             **error);
GStrv      trb_store_history_list_halted          (TrbStore            *store,
                                                   GError             **error);

/* The ledger's entries, and what a sync checks and fetches with them. */
gboolean   trb_store_history_save_entries         (TrbStore            *store,
                                                   const char          *origin,
                                                   const TrbStoreHistoryNewEntry *entries,
                                                   guint                n_entries,
                                                   GError             **error);
GArray    *trb_store_history_list_unverified      (TrbStore            *store,
                                                   const char          *origin,
                                                   guint64              below,
                                                   GError             **error);
gboolean   trb_store_history_mark_verified        (TrbStore            *store,
                                                   const char          *origin,
                                                   guint64              leaf_index,
                                                   guint64              size,
                                                   GError             **error);
gboolean   trb_store_history_mark_unverified      (TrbStore            *store,
                                                   const char          *origin,
                                                   guint64              leaf_index,
                                                   const char          *problem,
                                                   GError             **error);
GStrv      trb_store_history_list_entry_tasks     (TrbStore            *store,
                                                   const char          *origin,
                                                   GError             **error);
gboolean   trb_store_history_save_task            (TrbStore            *store,
                                                   const char          *origin,
                                                   const char          *task,
                                                   const char          *json,
                                                   GError             **error);
gboolean   trb_store_history_save_cosigners       (TrbStore            *store,
                                                   const char          *origin,
                                                   guint64              size,
                                                   guint                cosigners,
                                                   GError             **error);
gboolean   trb_store_history_get_cosigners        (TrbStore            *store,
                                                   const char          *origin,
                                                   guint64              size,
                                                   guint               *cosigners,
                                                   GError             **error);
gboolean   trb_store_history_count_checkpoints_before (TrbStore        *store,
                                                       const char      *origin,
                                                       guint64          size,
                                                       guint           *count,
                                                       GError         **error);
gboolean   trb_store_history_save_dataset         (TrbStore            *store,
                                                   const char          *origin,
                                                   const char          *update_hash,
                                                   const char          *dataset,
                                                   GError             **error);

/* Reading the entries: each gives a GPtrArray of TrbStoreHistoryEntry, or NULL with @error. */
GPtrArray *trb_store_history_list_mine            (TrbStore            *store,
                                                   const char          *origin,
                                                   const char          *type,
                                                   GError             **error);
GPtrArray *trb_store_history_list_round_entries   (TrbStore            *store,
                                                   const char          *origin,
                                                   const char          *type,
                                                   const char          *task,
                                                   gint64               round,
                                                   const char          *participant,
                                                   GError             **error);
GPtrArray *trb_store_history_list_closed_rounds   (TrbStore            *store,
                                                   const char          *origin,
                                                   const char          *task,
                                                   GError             **error);
GPtrArray *trb_store_history_list_my_verified_updates (TrbStore        *store,
                                                       const char      *origin,
                                                       const char      *task,
                                                       gint64           round,
                                                       GError         **error);
GPtrArray *trb_store_history_list_verified_rounds (TrbStore            *store,
                                                   const char          *origin,
                                                   GError             **error);

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

gboolean   trb_store_history_set_recomputed       (TrbStore            *store,
                                                   const char          *origin,
                                                   const char          *model,
                                                   GError             **error);
gboolean   trb_store_history_is_recomputed        (TrbStore            *store,
                                                   const char          *origin,
                                                   const char          *model,
                                                   gboolean            *recomputed,
                                                   GError             **error);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (TrbStoreHistoryEntry, trb_store_history_entry_free)

G_END_DECLS
