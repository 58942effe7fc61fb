/* trb-history-reconcile.c
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * The reconciliation of each round this computer contributed to: what the ledger credited it
 * with against what the network's reward rule promised, round by round.
 */

#define G_LOG_DOMAIN "trb-history"

#include "config.h"

#include "trb-history-private.h"

#include <glib/gi18n.h>
#include <math.h>
#include <string.h>

#include "net/trb-protocol.h"

/* The node's verdict on this computer's update, from a verified `reward` entry under rule 2. */
typedef struct
{
  gboolean found;
  gboolean used;
  double   norm;
} CheckedReward;

/* The entry of @type for a task's round, the verified one first, in @entry (%NULL when there
 * is none). */
gboolean
trb_history_lookup_round_entry (TrbHistory      *self,
                                const char      *origin,
                                const char      *type,
                                const char      *task,
                                gint64           round,
                                TrbLedgerEntry **entry,
                                gboolean        *verified,
                                GError         **error)
{
  g_autoptr(GPtrArray) rows = NULL;

  *entry = NULL;
  rows = trb_store_history_list_round_entries (self->store, origin, type, task, round, NULL,
                                               error);
  if (rows == NULL)
    return FALSE;
  if (rows->len > 0)
    {
      TrbStoreHistoryEntry *row = g_ptr_array_index (rows, 0);

      *entry = trb_history_parse_entry (row);
      if (verified != NULL)
        *verified = row->verified;
    }
  return TRUE;
}

/* The task's reward policy in @policy, with @found %FALSE when the task was not fetched or
 * says none. */
static gboolean
lookup_policy (TrbHistory       *self,
               const char       *origin,
               const char       *task,
               TrbRewardPolicy  *policy,
               gboolean         *found,
               GError          **error)
{
  g_autofree char *json = NULL;

  if (!trb_store_history_lookup_task (self->store, origin, task, &json, error))
    return FALSE;
  *found = json != NULL && trb_reward_policy_from_task (json, policy, NULL);
  return TRUE;
}

gboolean
trb_history_strv_has (const char * const *strv,
                      const char         *value)
{
  return strv != NULL && g_strv_contains (strv, value);
}

/* The status of a contributed round and, when it is not simply paid, the reason in plain
 * words: from whether the update is in the verified ledger, the round's verified close and what
 * the verified ledger credited. */
static void
judge_reconciliation (TrbRoundReconciliation *item,
                      gboolean                in_verified_ledger,
                      TrbLedgerEntry         *closed,
                      gboolean                closed_verified,
                      gboolean                unverified_reward,
                      const CheckedReward    *checked,
                      const TrbRewardPolicy  *policy)
{
  if (!in_verified_ledger)
    {
      item->status = TRB_RECONCILE_NOTHING;
      item->reason = g_strdup (_("Your update is not yet in the verified ledger."));
    }
  else if (closed == NULL || !closed_verified)
    {
      item->status = TRB_RECONCILE_PENDING;
      item->reason = g_strdup (_("The round has not closed yet."));
    }
  else if (!trb_history_strv_has (trb_ledger_entry_get_updates (closed), item->update))
    {
      item->status = item->credited > 0 ? TRB_RECONCILE_DIFFERS : TRB_RECONCILE_NOTHING;
      item->expected = 0;
      item->reason = g_strdup (_("Your update was not used in the round’s new model, so "
                                 "the network’s policy pays nothing for it."));
    }
  else if (item->credited == item->expected && item->expected == 0 && checked->found &&
           !checked->used)
    {
      item->status = TRB_RECONCILE_NOTHING;
      item->reason = g_strdup (_("The network’s way of combining updates set yours aside this "
                                 "round, so its policy pays nothing for it."));
    }
  else if (item->credited == item->expected && item->expected == 0 && checked->found &&
           !(checked->norm >= TRB_REWARD_MIN_NORM))
    {
      item->status = TRB_RECONCILE_NOTHING;
      item->reason = g_strdup (_("Your update did not change the model, so the network’s "
                                 "policy pays nothing for it."));
    }
  else if (item->credited == item->expected)
    {
      item->status = item->expected > 0 ? TRB_RECONCILE_PAID : TRB_RECONCILE_NOTHING;
      if (item->expected == 0)
        item->reason = g_strdup_printf (
          /* Translators: the points per sample and epoch, then the most points a round can
           * give. */
          _("The network’s reward policy pays nothing for this round (%g points per "
            "sample and epoch, at most %g per round)."),
          policy->points_per_sample_epoch, policy->cap_per_round);
    }
  else if (item->credited == 0)
    {
      item->status = TRB_RECONCILE_NOTHING;
      item->reason = unverified_reward
                       ? g_strdup (_("The reward the network shows is not in its verified "
                                     "ledger, so it does not count."))
                       : g_strdup (_("The network credited nothing, although its policy "
                                     "promises a reward for this update."));
    }
  else
    {
      g_autofree char *expected = trb_rewards_dup_points_text (item->expected);
      g_autofree char *credited = trb_rewards_dup_points_text (item->credited);

      item->status = TRB_RECONCILE_DIFFERS;
      /* Translators: the points credited, then the points the policy promises; both are
       * amounts such as “2.4 points”. */
      item->reason = g_strdup_printf (_("The network credited %s where its policy "
                                        "promises %s."), credited, expected);
    }
}

/* What the verified ledger credited this wallet for @item's round: the points of the verified
 * rewards in @item->credited, whether an unverified one was seen, and the node's verdict on
 * the update in @checked when a verified reward under rule 2 names it. */
static gboolean
add_credited (TrbHistory              *self,
              TrbRoundReconciliation  *item,
              gboolean                *unverified_reward,
              CheckedReward           *checked,
              GError                 **error)
{
  g_autoptr(GPtrArray) rewards = NULL;

  rewards = trb_store_history_list_round_entries (self->store, item->origin, "reward",
                                                  item->task, item->round, item->wallet, error);
  if (rewards == NULL)
    return FALSE;
  for (guint i = 0; i < rewards->len; i++)
    {
      TrbStoreHistoryEntry *row = g_ptr_array_index (rewards, i);
      g_autoptr(TrbLedgerEntry) reward = trb_history_parse_entry (row);

      if (reward == NULL)
        continue;
      if (!row->verified)
        {
          *unverified_reward = TRUE;
          continue;
        }
      item->credited += trb_ledger_entry_get_points (reward);
      if (trb_ledger_entry_get_reward_rule (reward) == TRB_REWARD_RULE_CHECKED &&
          g_strcmp0 (trb_ledger_entry_get_update (reward), item->update) == 0)
        {
          checked->found = TRUE;
          checked->used = trb_ledger_entry_get_used (reward);
          checked->norm = trb_ledger_entry_get_norm (reward);
        }
    }
  return TRUE;
}

/* The reconciliation of one accepted update of this wallet, or %NULL with @error set. */
static TrbRoundReconciliation *
reconcile_update (TrbHistory                  *self,
                  const TrbStoreHistoryEntry  *row,
                  TrbLedgerEntry              *entry,
                  GError                     **error)
{
  g_autoptr(TrbRoundReconciliation) item = g_new0 (TrbRoundReconciliation, 1);
  g_autoptr(TrbLedgerEntry) closed = NULL;
  TrbRewardPolicy policy = { 0, };
  CheckedReward checked = { 0, };
  gboolean have_policy, closed_verified = FALSE, unverified_reward = FALSE;

  item->origin = g_strdup (row->origin);
  item->network = g_strdup (row->network);
  item->wallet = g_strdup (trb_ledger_entry_get_participant (entry));
  item->task = g_strdup (trb_ledger_entry_get_task (entry));
  item->round = trb_ledger_entry_get_round (entry);
  item->update = g_strdup (trb_ledger_entry_get_update (entry));
  item->samples = trb_ledger_entry_get_samples (entry);
  if (!trb_store_history_lookup_dataset (self->store, item->origin, item->update,
                                         &item->dataset, error) ||
      !lookup_policy (self, item->origin, item->task, &policy, &have_policy, error) ||
      !add_credited (self, item, &unverified_reward, &checked, error) ||
      !trb_history_lookup_round_entry (self, item->origin, "round_closed", item->task, item->round,
                                       &closed, &closed_verified, error))
    return NULL;
  /* A reward under rule 2 is recomputed with the node's function from this computer's claim and
   * the node's verdict on the update; a ledger written before it keeps rule 1. */
  if (!have_policy)
    item->expected = 0;
  else if (checked.found)
    item->expected = trb_reward_policy_recompute (&policy, item->samples, checked.used,
                                                  checked.norm);
  else
    item->expected = trb_reward_policy_expected (&policy, item->samples);
  judge_reconciliation (item, row->verified, closed, closed_verified, unverified_reward,
                        &checked, &policy);
  return g_steal_pointer (&item);
}

/**
 * trb_history_reconcile:
 * @self: the history
 * @origin: (nullable): a network, or %NULL for all
 * @error: return location for an error
 *
 * For every update this computer's wallets contributed, what the network's reward policy
 * promises and what the verified ledger credited, with the reason when it credited nothing or
 * something else.
 *
 * Returns: (transfer full) (element-type TrbRoundReconciliation): oldest first, or %NULL on
 *   error
 */
GPtrArray *
trb_history_reconcile (TrbHistory  *self,
                       const char  *origin,
                       GError     **error)
{
  g_autoptr(GPtrArray) items = NULL;
  g_autoptr(GPtrArray) rows = NULL;

  g_return_val_if_fail (TRB_IS_HISTORY (self), NULL);

  rows = trb_store_history_list_mine (self->store, origin, "update_accepted", error);
  if (rows == NULL)
    return NULL;
  items = g_ptr_array_new_with_free_func ((GDestroyNotify) trb_round_reconciliation_free);
  for (guint i = 0; i < rows->len; i++)
    {
      TrbStoreHistoryEntry *row = g_ptr_array_index (rows, i);
      g_autoptr(TrbLedgerEntry) entry = trb_history_parse_entry (row);
      TrbRoundReconciliation *item;

      if (entry == NULL)
        continue;
      item = reconcile_update (self, row, entry, error);
      if (item == NULL)
        return NULL;
      g_ptr_array_add (items, item);
    }
  return g_steal_pointer (&items);
}
