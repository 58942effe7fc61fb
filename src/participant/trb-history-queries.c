/* trb-history-queries.c
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * What the History area lists, read from the verified ledger copy: the networks, each one's
 * rewards and totals, the model versions with this computer's contributions and the witnesses,
 * and the items (GListStore rows) made of them.
 */

#define G_LOG_DOMAIN "trb-history"

#include "config.h"

#include "trb-history-private.h"

#include <glib/gi18n.h>
#include <math.h>
#include <string.h>

/**
 * trb_history_list_origins:
 * @self: the history
 * @error: return location for an error
 *
 * Returns: (transfer full): the networks joined, by origin, or %NULL on error
 */
GStrv
trb_history_list_origins (TrbHistory  *self,
                          GError     **error)
{
  g_return_val_if_fail (TRB_IS_HISTORY (self), NULL);

  return trb_store_history_list_origins (self->store, error);
}

/**
 * trb_history_dup_network_name:
 * @self: the history
 * @origin: a network
 * @error: return location for an error
 *
 * Returns: (transfer full): the network's name, its origin for a network never connected to,
 *   or %NULL on error
 */
char *
trb_history_dup_network_name (TrbHistory  *self,
                              const char  *origin,
                              GError     **error)
{
  g_autoptr(Network) network = NULL;

  g_return_val_if_fail (TRB_IS_HISTORY (self), NULL);
  g_return_val_if_fail (origin != NULL, NULL);

  if (!trb_store_net_lookup_network (self->store, origin, &network, error))
    return NULL;
  return network != NULL ? g_strdup (network->name) : g_strdup (origin);
}

TrbLedgerEntry *
trb_history_parse_entry (const TrbStoreHistoryEntry *row)
{
  return row->data != NULL ? trb_ledger_entry_parse (row->data, strlen (row->data), NULL) : NULL;
}

/**
 * trb_history_list_rewards:
 * @self: the history
 * @origin: (nullable): a network, or %NULL for all
 * @error: return location for an error
 *
 * Returns: (transfer full) (element-type TrbRewardRecord): the reward entries of this
 *   computer's wallets that credit points, oldest first, verified or not, or %NULL on error
 */
GPtrArray *
trb_history_list_rewards (TrbHistory  *self,
                          const char  *origin,
                          GError     **error)
{
  g_autoptr(GPtrArray) records = NULL;
  g_autoptr(GPtrArray) rows = NULL;

  g_return_val_if_fail (TRB_IS_HISTORY (self), NULL);

  rows = trb_store_history_list_mine (self->store, origin, "reward", error);
  if (rows == NULL)
    return NULL;
  records = g_ptr_array_new_with_free_func ((GDestroyNotify) trb_reward_record_free);
  for (guint i = 0; i < rows->len; i++)
    {
      TrbStoreHistoryEntry *row = g_ptr_array_index (rows, i);
      g_autoptr(TrbLedgerEntry) entry = trb_history_parse_entry (row);
      TrbRewardRecord *record;

      /* An entry of no points credits nothing: the reconciliation of its round says why (an
       * update the aggregate did not use, one that did not change the model). */
      if (entry == NULL || trb_ledger_entry_get_points (entry) == 0)
        continue;
      record = g_new0 (TrbRewardRecord, 1);
      record->origin = g_strdup (row->origin);
      record->network = g_strdup (row->network);
      record->wallet = g_strdup (trb_ledger_entry_get_participant (entry));
      record->task = g_strdup (trb_ledger_entry_get_task (entry));
      record->round = trb_ledger_entry_get_round (entry);
      record->points = trb_ledger_entry_get_points (entry);
      record->time = trb_ledger_entry_get_time (entry);
      record->leaf_index = row->leaf_index;
      record->verified = row->verified;
      record->problem = record->verified ? NULL : g_strdup (row->problem);
      if (!record->verified && record->problem == NULL)
        record->problem = g_strdup (_("Not yet checked against a verified checkpoint."));
      g_ptr_array_add (records, record);
    }
  return g_steal_pointer (&records);
}

/**
 * trb_history_list_totals:
 * @self: the history
 * @error: return location for an error
 *
 * Returns: (transfer full) (element-type TrbRewardTotal): the verified points per network and
 *   wallet (unverified entries are counted apart and never added), or %NULL on error
 */
GPtrArray *
trb_history_list_totals (TrbHistory  *self,
                         GError     **error)
{
  g_autoptr(GPtrArray) totals = NULL;
  g_autoptr(GPtrArray) records = NULL;

  g_return_val_if_fail (TRB_IS_HISTORY (self), NULL);

  records = trb_history_list_rewards (self, NULL, error);
  if (records == NULL)
    return NULL;
  totals = g_ptr_array_new_with_free_func ((GDestroyNotify) trb_reward_total_free);
  for (guint i = 0; i < records->len; i++)
    {
      TrbRewardRecord *r = g_ptr_array_index (records, i);
      TrbRewardTotal *total = NULL;

      for (guint j = 0; j < totals->len && total == NULL; j++)
        {
          TrbRewardTotal *t = g_ptr_array_index (totals, j);

          if (g_str_equal (t->origin, r->origin) && g_str_equal (t->wallet, r->wallet))
            total = t;
        }
      if (total == NULL)
        {
          total = g_new0 (TrbRewardTotal, 1);
          total->origin = g_strdup (r->origin);
          total->network = g_strdup (r->network);
          total->wallet = g_strdup (r->wallet);
          g_ptr_array_add (totals, total);
        }
      if (r->verified)
        {
          total->points += r->points;
          total->n_rewards++;
        }
      else
        total->n_unverified++;
    }
  return g_steal_pointer (&totals);
}

/* A model version from the entry that closed its round: what the entry itself says. */
static TrbModelVersion *
version_from_entry (const char                  *origin,
                    const TrbStoreHistoryEntry  *row,
                    TrbLedgerEntry              *entry)
{
  TrbModelVersion *version = g_new0 (TrbModelVersion, 1);
  const char * const *updates = trb_ledger_entry_get_updates (entry);

  version->origin = g_strdup (origin);
  version->task = g_strdup (trb_ledger_entry_get_task (entry));
  version->round = trb_ledger_entry_get_round (entry);
  version->model = g_strdup (trb_ledger_entry_get_model (entry));
  version->time = trb_ledger_entry_get_time (entry);
  version->leaf_index = row->leaf_index;
  version->verified = row->verified;
  version->checkpoint_size = row->verified_size;
  version->problem = version->verified ? NULL : g_strdup (row->problem);
  version->n_contributions = updates != NULL ? g_strv_length ((char **) updates) : 0;
  for (guint m = 0; m < trb_ledger_entry_get_n_metrics (entry); m++)
    {
      double value;
      const char *name = trb_ledger_entry_get_metric (entry, m, &value);

      if (g_str_equal (name, "eval_accuracy") || g_str_equal (name, "accuracy"))
        {
          version->has_accuracy = TRUE;
          version->accuracy = value;
        }
      else if (g_str_equal (name, "eval_samples") && value <= 0)
        version->has_accuracy = FALSE;
    }
  return version;
}

/* This wallet's verified updates that the version was made of, and the data each was trained
 * on. */
static gboolean
add_my_contributions (TrbHistory       *self,
                      TrbModelVersion  *version,
                      TrbLedgerEntry   *closed,
                      GError          **error)
{
  const char * const *updates = trb_ledger_entry_get_updates (closed);
  g_autoptr(GString) datasets = g_string_new (NULL);
  g_autoptr(GPtrArray) rows = NULL;

  rows = trb_store_history_list_my_verified_updates (self->store, version->origin,
                                                     version->task, version->round, error);
  if (rows == NULL)
    return FALSE;
  for (guint i = 0; i < rows->len; i++)
    {
      g_autoptr(TrbLedgerEntry) update = trb_history_parse_entry (g_ptr_array_index (rows, i));
      g_autofree char *dataset = NULL;

      if (update == NULL || !trb_history_strv_has (updates, trb_ledger_entry_get_update (update)))
        continue;
      if (!trb_store_history_lookup_dataset (self->store, version->origin,
                                             trb_ledger_entry_get_update (update), &dataset,
                                             error))
        return FALSE;
      version->n_mine++;
      if (datasets->len > 0)
        g_string_append (datasets, ", ");
      g_string_append (datasets, dataset != NULL ? dataset : _("a dataset not recorded"));
    }
  version->my_datasets = version->n_mine > 0 ? g_strdup (datasets->str) : NULL;
  return TRUE;
}

/* Who vouches for a verified version: the checkpoints before the one its proof was checked
 * against, and the most cosigners of that one or a later one (any later checkpoint is
 * consistent with it, so its cosigners vouch for this entry too). */
static gboolean
add_witnesses (TrbHistory       *self,
               TrbModelVersion  *version,
               GError          **error)
{
  if (!version->verified)
    return TRUE;
  return trb_store_history_count_checkpoints_before (self->store, version->origin,
                                                     version->checkpoint_size,
                                                     &version->n_earlier_checkpoints, error) &&
         trb_store_history_get_cosigners (self->store, version->origin,
                                          version->checkpoint_size, &version->n_cosigners,
                                          error);
}

/**
 * trb_history_list_versions:
 * @self: the history
 * @origin: a network
 * @task: (nullable): a task, or %NULL for all
 * @error: return location for an error
 *
 * The model versions of a network's tasks, one per closed round, with this wallet's
 * contributions to each and the verification of the entry that records it.
 *
 * Returns: (transfer full) (element-type TrbModelVersion): by task, then round, or %NULL on
 *   error
 */
GPtrArray *
trb_history_list_versions (TrbHistory  *self,
                           const char  *origin,
                           const char  *task,
                           GError     **error)
{
  g_autoptr(GPtrArray) versions = NULL;
  g_autoptr(GPtrArray) rows = NULL;

  g_return_val_if_fail (TRB_IS_HISTORY (self), NULL);
  g_return_val_if_fail (origin != NULL, NULL);

  rows = trb_store_history_list_closed_rounds (self->store, origin, task, error);
  if (rows == NULL)
    return NULL;
  versions = g_ptr_array_new_with_free_func ((GDestroyNotify) trb_model_version_free);
  for (guint i = 0; i < rows->len; i++)
    {
      TrbStoreHistoryEntry *row = g_ptr_array_index (rows, i);
      g_autoptr(TrbLedgerEntry) entry = trb_history_parse_entry (row);
      g_autoptr(TrbLedgerEntry) opened = NULL;
      g_autoptr(TrbModelVersion) version = NULL;

      if (entry == NULL)
        continue;
      version = version_from_entry (origin, row, entry);
      if (!trb_history_lookup_round_entry (self, origin, "round_opened", version->task,
                                           version->round, &opened, NULL, error) ||
          !add_my_contributions (self, version, entry, error) ||
          !add_witnesses (self, version, error) ||
          !trb_store_history_is_recomputed (self->store, origin, version->model,
                                            &version->recomputed, error))
        return NULL;
      version->parent = g_strdup (opened != NULL ? trb_ledger_entry_get_model (opened) : NULL);
      g_ptr_array_add (versions, g_steal_pointer (&version));
    }
  return g_steal_pointer (&versions);
}

static char *
version_fingerprint (const TrbModelVersion *v)
{
  return g_strdup_printf ("%s|%s|%u|%d|%.17g|%" G_GINT64_FORMAT "|%d|%" G_GUINT64_FORMAT
                          "|%u|%u|%u|%s|%s|%d", v->model, v->parent ? v->parent : "",
                          v->n_contributions, v->has_accuracy, v->accuracy, v->time, v->verified,
                          v->checkpoint_size, v->n_earlier_checkpoints, v->n_cosigners,
                          v->n_mine, v->my_datasets ? v->my_datasets : "",
                          v->problem ? v->problem : "", v->recomputed);
}

/**
 * trb_history_list_version_items:
 * @self: the history
 * @origin: a network
 * @task: a task of it
 *
 * The model versions of a task, newest first, each followed by the results of evaluating it
 * on this computer's data, as items for trb_history_item_update_store(): a version's data is
 * a #TrbModelVersion, an evaluation's a #TrbEvaluationResult.
 *
 * Returns: (transfer container) (element-type TrbHistoryItem): the items, or %NULL on error
 */
GPtrArray *
trb_history_list_version_items (TrbHistory  *self,
                                const char  *origin,
                                const char  *task,
                                GError     **error)
{
  g_autoptr(GPtrArray) items = NULL;
  g_autoptr(GPtrArray) versions = NULL;

  g_return_val_if_fail (TRB_IS_HISTORY (self), NULL);
  g_return_val_if_fail (origin != NULL && task != NULL, NULL);

  versions = trb_history_list_versions (self, origin, task, error);
  if (versions == NULL)
    return NULL;
  items = g_ptr_array_new_with_free_func (g_object_unref);
  for (guint i = versions->len; i > 0; i--)
    {
      g_autoptr(GPtrArray) results = NULL;
      TrbModelVersion *v = g_ptr_array_index (versions, i - 1);
      g_autofree char *key = g_strdup_printf ("%" G_GINT64_FORMAT "/%" G_GUINT64_FORMAT,
                                              v->round, v->leaf_index);
      g_autofree char *fingerprint = version_fingerprint (v);

      results = trb_history_list_evaluations (self, origin, v->model, error);
      if (results == NULL)
        return NULL;
      g_ptr_array_add (items, trb_history_item_new (TRB_HISTORY_ITEM_VERSION, key, fingerprint,
                                                    g_ptr_array_steal_index (versions, i - 1),
                                                    (GDestroyNotify) trb_model_version_free));
      while (results->len > 0)
        {
          TrbEvaluationResult *result = g_ptr_array_steal_index (results, 0);
          g_autofree char *result_key = g_strdup_printf ("%s/evaluation/%s", key,
                                                         result->dataset);
          g_autofree char *result_fingerprint = g_strdup_printf ("%.17g|%" G_GINT64_FORMAT,
                                                                 result->accuracy,
                                                                 result->time);

          g_ptr_array_add (items, trb_history_item_new (TRB_HISTORY_ITEM_EVALUATION, result_key,
                                                        result_fingerprint, result,
                                                        (GDestroyNotify)
                                                        trb_evaluation_result_free));
        }
    }
  return g_steal_pointer (&items);
}

/**
 * trb_history_list_reward_items:
 * @self: the history
 *
 * The reward entries of every network, newest first, as items for
 * trb_history_item_update_store(); each item's data is a #TrbRewardRecord.
 *
 * Returns: (transfer container) (element-type TrbHistoryItem): the items, or %NULL on error
 */
GPtrArray *
trb_history_list_reward_items (TrbHistory  *self,
                               GError     **error)
{
  GPtrArray *items;
  g_autoptr(GPtrArray) records = NULL;

  g_return_val_if_fail (TRB_IS_HISTORY (self), NULL);

  records = trb_history_list_rewards (self, NULL, error);
  if (records == NULL)
    return NULL;
  items = g_ptr_array_new_with_free_func (g_object_unref);
  for (guint i = records->len; i > 0; i--)
    {
      TrbRewardRecord *r = g_ptr_array_index (records, i - 1);
      g_autofree char *key = g_strdup_printf ("%s/%" G_GUINT64_FORMAT, r->origin, r->leaf_index);
      g_autofree char *fingerprint = g_strdup_printf ("%s|%s|%s|%" G_GINT64_FORMAT "|%"
                                                      G_GINT64_FORMAT "|%" G_GINT64_FORMAT
                                                      "|%d|%s", r->network ? r->network : "",
                                                      r->task ? r->task : "",
                                                      r->wallet ? r->wallet : "", r->round,
                                                      r->points, r->time, r->verified,
                                                      r->problem ? r->problem : "");

      g_ptr_array_add (items, trb_history_item_new (TRB_HISTORY_ITEM_REWARD, key, fingerprint,
                                                    trb_reward_record_copy (r),
                                                    (GDestroyNotify) trb_reward_record_free));
    }
  return items;
}
