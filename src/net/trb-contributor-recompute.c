/* trb-contributor-recompute.c
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * A witness recomputes each closed round of a task that publishes its updates before it cosigns
 * (docs/protocol.md, "Verifiable aggregation"): the entries of the task's rounds are kept as they
 * are verified, and once a round is closed and the next one opened (its rewards are then in the
 * ledger), its published updates are fetched and the round recomputed (trb_recompute_round()).
 */

#define G_LOG_DOMAIN "trb-contributor"

#include "config.h"

#include "trb-contributor-private.h"

#include <glib/gi18n.h>
#include <string.h>

#include "net/trb-recompute.h"

/* Entries kept at most: a round's own entries are bounded by its max_updates (an update and a
 * reward each) and its few round_opened; past this the oldest are dropped, and their round is
 * not recomputed. */
#define MAX_ROUND_ENTRIES (4 * 10000)

/* Keeps @text, the verified ledger's entry at @index, in @kept when it is one of the task's
 * round entries. */
void
trb_contributor_filter_round_entry (TrbContributor *self,
                                    const char     *text,
                                    guint64         index,
                                    GPtrArray      *kept,
                                    GArray         *kept_indexes)
{
  g_autoptr(TrbLedgerEntry) entry = NULL;

  /* Most entries are of other tasks or are joins: not parsed. */
  if (self->task == NULL || strstr (text, self->task) == NULL)
    return;
  entry = trb_ledger_entry_parse (text, strlen (text), NULL);
  if (entry == NULL || g_strcmp0 (trb_ledger_entry_get_task (entry), self->task) != 0)
    return;
  switch (trb_ledger_entry_get_entry_type (entry))
    {
    case TRB_LEDGER_ENTRY_ROUND_OPENED:
    case TRB_LEDGER_ENTRY_UPDATE_ACCEPTED:
    case TRB_LEDGER_ENTRY_ROUND_CLOSED:
    case TRB_LEDGER_ENTRY_REWARD:
      g_ptr_array_add (kept, g_steal_pointer (&entry));
      g_array_append_val (kept_indexes, index);
      break;
    default:
      break;
    }
}

/* Adds the entries of a verified page to those kept. */
void
trb_contributor_keep_round_entries (TrbContributor *self,
                                    GPtrArray      *kept,
                                    GArray         *kept_indexes)
{
  for (guint i = 0; i < kept->len; i++)
    g_ptr_array_add (self->round_entries, g_object_ref (g_ptr_array_index (kept, i)));
  g_array_append_vals (self->round_indexes, kept_indexes->data, kept_indexes->len);
  if (self->round_entries->len > MAX_ROUND_ENTRIES)
    {
      guint drop = self->round_entries->len - MAX_ROUND_ENTRIES;

      g_ptr_array_remove_range (self->round_entries, 0, drop);
      g_array_remove_range (self->round_indexes, 0, drop);
    }
}

/* Forgets the kept entries of rounds up to @round. */
static void
forget_rounds (TrbContributor *self,
               gint64          round)
{
  for (guint i = self->round_entries->len; i > 0; i--)
    if (trb_ledger_entry_get_round (g_ptr_array_index (self->round_entries, i - 1)) <= round)
      {
        g_ptr_array_remove_index (self->round_entries, i - 1);
        g_array_remove_index (self->round_indexes, i - 1);
      }
}

/* The first round kept whose rewards are all in: closed, and the next round opened after it (the
 * node writes round_closed, the rewards and the next round_opened together). -1 when none. */
static gint64
complete_round (TrbContributor  *self,
                const char     **base_model)
{
  for (guint i = 0; i < self->round_entries->len; i++)
    {
      TrbLedgerEntry *closed = g_ptr_array_index (self->round_entries, i);
      gint64 round = trb_ledger_entry_get_round (closed);

      if (trb_ledger_entry_get_entry_type (closed) != TRB_LEDGER_ENTRY_ROUND_CLOSED)
        continue;
      for (guint j = i + 1; j < self->round_entries->len; j++)
        {
          TrbLedgerEntry *next = g_ptr_array_index (self->round_entries, j);

          if (trb_ledger_entry_get_entry_type (next) == TRB_LEDGER_ENTRY_ROUND_OPENED &&
              trb_ledger_entry_get_round (next) == round + 1)
            {
              *base_model = NULL;
              for (guint k = 0; k < i; k++)
                {
                  TrbLedgerEntry *opened = g_ptr_array_index (self->round_entries, k);

                  if (trb_ledger_entry_get_entry_type (opened) == TRB_LEDGER_ENTRY_ROUND_OPENED &&
                      trb_ledger_entry_get_round (opened) == round)
                    {
                      *base_model = trb_ledger_entry_get_model (opened);
                      break;
                    }
                }
              return round;
            }
        }
    }
  return -1;
}

static gboolean
recompute_one (TrbContributor  *self,
               JsonObject      *task,
               gint64           round,
               const char      *base_hash,
               GError         **error)
{
  g_autofree char *path = NULL;
  g_autoptr(JsonObject) published = NULL;
  g_autoptr(GBytes) base = NULL;
  g_autoptr(GHashTable) blobs = g_hash_table_new_full (g_str_hash, g_str_equal, g_free,
                                                       (GDestroyNotify) g_bytes_unref);
  g_autoptr(GError) local_error = NULL;
  g_autoptr(TrbModelSpec) spec = NULL;
  g_autofree char *spec_json = NULL;
  JsonNode *model = json_object_get_member (task, "model");
  JsonNode *member;
  TrbRecomputeOutcome outcome;
  gsize max_size;

  if (model == NULL || !JSON_NODE_HOLDS_OBJECT (model))
    {
      g_set_error_literal (error, TRB_CLIENT_ERROR, TRB_CLIENT_ERROR_PROTOCOL,
                           _("The task does not describe its model."));
      return FALSE;
    }
  spec_json = json_to_string (model, FALSE);
  spec = trb_model_spec_new_from_json (spec_json, -1, error);
  if (spec == NULL)
    return FALSE;
  /* A model or an update: the parameters as float32 and a header. */
  max_size = trb_model_spec_get_n_parameters (spec) * 4 + 2 * 1024 * 1024;

  path = g_strdup_printf ("/v1/tasks/%s/rounds/%" G_GINT64_FORMAT "/updates", self->task, round);
  published = trb_client_get_json_sync (self->client, path, self->cancellable, error);
  if (published == NULL)
    return FALSE;
  base = trb_client_download_blob_sync (self->client, base_hash, max_size, self->cancellable,
                                        error);
  if (base == NULL)
    return FALSE;
  member = json_object_get_member (published, "updates");
  if (member != NULL && JSON_NODE_HOLDS_ARRAY (member) &&
      json_array_get_length (json_node_get_array (member)) <= TRB_PROTOCOL_MAX_PUBLISHED_UPDATES)
    {
      JsonArray *array = json_node_get_array (member);

      for (guint i = 0; i < json_array_get_length (array); i++)
        {
          JsonNode *element = json_array_get_element (array, i);
          const char *update;
          GBytes *blob;

          if (!JSON_NODE_HOLDS_OBJECT (element))
            continue;
          update = trb_json_get_string (json_node_get_object (element), "update", NULL);
          if (update == NULL || g_hash_table_contains (blobs, update))
            continue;
          blob = trb_client_download_blob_sync (self->client, update, max_size,
                                                self->cancellable, &local_error);
          /* A file that does not match its hash is the network's doing: said as such below,
           * when the update it names is found missing. */
          if (blob == NULL &&
              !g_error_matches (local_error, TRB_CLIENT_ERROR, TRB_CLIENT_ERROR_PROTOCOL) &&
              !g_error_matches (local_error, TRB_CLIENT_ERROR, TRB_CLIENT_ERROR_REJECTED))
            {
              g_propagate_error (error, g_steal_pointer (&local_error));
              return FALSE;
            }
          g_clear_error (&local_error);
          if (blob != NULL)
            g_hash_table_insert (blobs, g_strdup (update), blob);
        }
    }

  if (!trb_recompute_round (task, round, self->round_entries, self->round_indexes, base,
                            published, blobs, &outcome, &local_error))
    {
      if (g_error_matches (local_error, TRB_CLIENT_ERROR, TRB_CLIENT_ERROR_TAMPERED))
        return trb_contributor_mark_compromised (self, error, local_error->message);
      g_propagate_error (error, g_steal_pointer (&local_error));
      return FALSE;
    }
  if (outcome == TRB_RECOMPUTE_MATCHED)
    {
      self->n_recomputed++;
      g_message ("Round %" G_GINT64_FORMAT " of %s recomputed on this computer: the model and "
                 "the rewards match", round, self->task);
    }
  return TRUE;
}

/**
 * trb_contributor_recompute:
 * @self: a contributor whose ledger was just verified
 * @error: %TRB_CLIENT_ERROR_TAMPERED when a round's model or rewards are not what its published
 *   updates give
 *
 * Recomputes the task's rounds closed since the last call, when the task publishes its updates
 * and its strategy keeps no server state (a round of one that does is "not recomputed: the
 * strategy keeps server state", and the checkpoint is still cosigned for what was verified).
 *
 * Returns: %TRUE when nothing was found wrong
 */
gboolean
trb_contributor_recompute (TrbContributor  *self,
                           GError         **error)
{
  g_autoptr(JsonObject) task = NULL;
  const char *base = NULL;
  gint64 round;

  while ((round = complete_round (self, &base)) >= 0)
    {
      JsonNode *publish;

      if (task == NULL)
        {
          task = trb_client_get_task_sync (self->client, self->task, self->cancellable, error);
          if (task == NULL)
            return FALSE;
        }
      publish = json_object_get_member (task, "publish_updates");
      if (publish == NULL || !JSON_NODE_HOLDS_VALUE (publish) ||
          json_node_get_value_type (publish) != G_TYPE_BOOLEAN || !json_node_get_boolean (publish))
        {
          /* Nothing to recompute from: the entries are not needed. */
          g_ptr_array_set_size (self->round_entries, 0);
          g_array_set_size (self->round_indexes, 0);
          return TRUE;
        }
      if (!trb_recompute_is_stateless (task))
        g_message ("Round %" G_GINT64_FORMAT " of %s not recomputed: the strategy keeps server "
                   "state", round, self->task);
      else if (base == NULL)
        g_message ("Round %" G_GINT64_FORMAT " of %s not recomputed: its start is not among "
                   "the entries verified in this session", round, self->task);
      else if (!recompute_one (self, task, round, base, error))
        return FALSE;
      forget_rounds (self, round);
    }
  return TRUE;
}

/**
 * trb_contributor_get_n_recomputed:
 * @self: a contributor
 *
 * Returns: how many rounds this contributor recomputed and found right
 */
guint
trb_contributor_get_n_recomputed (TrbContributor *self)
{
  g_return_val_if_fail (TRB_IS_CONTRIBUTOR (self), 0);
  return self->n_recomputed;
}
