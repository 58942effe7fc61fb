/* trb-history.c
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * TrbHistory, each joined network's verified ledger kept on this computer: the object and its
 * signals, a network's halt (a tampered ledger) and the person's decision to resume it with the
 * evidence exported, the dataset each contribution used, and the results of "Evaluate on My
 * Data". Synchronising with a network is in trb-history-sync.c, what the History area lists in
 * trb-history-queries.c, the rewards checked round by round in trb-history-reconcile.c.
 */

#define G_LOG_DOMAIN "trb-history"

#include "config.h"

#include "trb-history-private.h"

#include <glib/gi18n.h>
#include <math.h>
#include <string.h>

G_DEFINE_FINAL_TYPE (TrbHistory, trb_history, G_TYPE_OBJECT)

enum {
  CHANGED,
  HALTED,
  N_SIGNALS
};

static guint signals[N_SIGNALS];

G_DEFINE_QUARK (trb-history-error-quark, trb_history_error)

/* Emits TrbHistory::changed; for the history's files, which do not see the signal table. */
void
trb_history_emit_changed (TrbHistory *self)
{
  g_signal_emit (self, signals[CHANGED], 0);
}

/* Emits TrbHistory::halted for @origin. */
void
trb_history_emit_halted (TrbHistory *self,
                         const char *origin)
{
  g_signal_emit (self, signals[HALTED], 0, origin);
}

void
trb_reward_total_free (TrbRewardTotal *total)
{
  if (total == NULL)
    return;
  g_free (total->origin);
  g_free (total->network);
  g_free (total->wallet);
  g_free (total);
}

void
trb_round_reconciliation_free (TrbRoundReconciliation *item)
{
  if (item == NULL)
    return;
  g_free (item->origin);
  g_free (item->network);
  g_free (item->wallet);
  g_free (item->task);
  g_free (item->update);
  g_free (item->dataset);
  g_free (item->reason);
  g_free (item);
}

void
trb_model_version_free (TrbModelVersion *version)
{
  if (version == NULL)
    return;
  g_free (version->origin);
  g_free (version->task);
  g_free (version->model);
  g_free (version->parent);
  g_free (version->my_datasets);
  g_free (version->problem);
  g_free (version);
}

static void
trb_history_finalize (GObject *object)
{
  TrbHistory *self = TRB_HISTORY (object);

  g_clear_object (&self->store);
  g_mutex_clear (&self->lock);

  G_OBJECT_CLASS (trb_history_parent_class)->finalize (object);
}

static void
trb_history_class_init (TrbHistoryClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->finalize = trb_history_finalize;

  /**
   * TrbHistory::changed:
   *
   * Emitted on the main context after a synchronisation changed what the history holds.
   */
  signals[CHANGED] = g_signal_new ("changed", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST, 0,
                                   NULL, NULL, NULL, G_TYPE_NONE, 0);
  /**
   * TrbHistory::halted:
   * @origin: the network
   *
   * Emitted when a network showed inconsistent histories: participation in it stops until the
   * user decides.
   */
  signals[HALTED] = g_signal_new ("halted", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST, 0,
                                  NULL, NULL, NULL, G_TYPE_NONE, 1, G_TYPE_STRING);
}

static void
trb_history_init (TrbHistory *self)
{
  g_mutex_init (&self->lock);
}

/**
 * trb_history_migrate:
 * @store: the local store
 * @error: return location for an error
 *
 * Creates the tables of component "history" (and those of "net" and "ledger" it reads).
 *
 * Returns: %TRUE on success
 */
gboolean
trb_history_migrate (TrbStore  *store,
                     GError   **error)
{
  g_return_val_if_fail (TRB_IS_STORE (store), FALSE);

  return trb_contributor_migrate (store, error) &&
         trb_store_history_migrate (store, error);
}

/**
 * trb_history_new:
 * @store: the local store
 * @error: return location for an error
 *
 * Returns: (transfer full): the history kept in @store, or %NULL on error
 */
TrbHistory *
trb_history_new (TrbStore  *store,
                 GError   **error)
{
  TrbHistory *self;

  g_return_val_if_fail (TRB_IS_STORE (store), NULL);

  if (!trb_history_migrate (store, error))
    return NULL;
  self = g_object_new (TRB_TYPE_HISTORY, NULL);
  self->store = g_object_ref (store);
  return self;
}

/* The network, or %NULL with @error set: %TRB_HISTORY_ERROR_NOT_JOINED when this computer
 * never connected to it, else the store's error. */
Network *
trb_history_lookup_network (TrbHistory *self,
                            const char *origin,
                            GError    **error)
{
  Network *network = NULL;

  if (!trb_store_net_lookup_network (self->store, origin, &network, error))
    return NULL;
  if (network == NULL)
    g_set_error_literal (error, TRB_HISTORY_ERROR, TRB_HISTORY_ERROR_NOT_JOINED,
                         _("This computer has not joined that network."));
  return network;
}

/* Participation stops (trb_store_history_halt()). Always %FALSE, with @error saying why; when
 * the stop could not be written down, the store's error, which says that too. */
gboolean
trb_history_halt (TrbHistory *self,
                  const char *origin,
                  const char *why,
                  GError    **error)
{
  g_autoptr(GError) store_error = NULL;

  g_clear_error (error);
  if (!trb_store_history_halt (self->store, origin, &store_error))
    {
      g_propagate_prefixed_error (error, g_steal_pointer (&store_error), "%s ", why);
      return FALSE;
    }
  /* Translators: the first %s is a sentence saying what was found. */
  g_set_error (error, TRB_HISTORY_ERROR, TRB_HISTORY_ERROR_INCONSISTENT,
               _("%s Tributary stopped taking part in this network until you decide what to "
                 "do."), why);
  return FALSE;
}

/* Halts the network for what the ledger history recorded (its evidence is kept there), in the
 * same plain words as every other path. */
gboolean
trb_history_halt_for_evidence (TrbHistory *self,
                               const char *origin,
                               GError    **error)
{
  TrbLedgerTamper kind = trb_ledger_tamper_lookup (self->store, origin);

  return trb_history_halt (self, origin, trb_ledger_tamper_describe (kind != TRB_LEDGER_TAMPER_NONE
                           ? kind : TRB_LEDGER_TAMPER_FORK),
                           error);
}

/**
 * trb_history_record_dataset:
 * @self: the history
 * @origin: the network
 * @update: the hash of an update this computer sent
 * @dataset: the name of the local dataset it was trained on
 * @error: return location for an error
 *
 * Remembers, on this computer only, which dataset an update used.
 *
 * Returns: %TRUE once written down
 */
gboolean
trb_history_record_dataset (TrbHistory  *self,
                            const char  *origin,
                            const char  *update,
                            const char  *dataset,
                            GError     **error)
{
  g_return_val_if_fail (TRB_IS_HISTORY (self), FALSE);
  g_return_val_if_fail (origin != NULL && update != NULL && dataset != NULL, FALSE);

  return trb_store_history_save_dataset (self->store, origin, update, dataset, error);
}

void
trb_evaluation_result_free (TrbEvaluationResult *result)
{
  if (result == NULL)
    return;
  g_free (result->origin);
  g_free (result->task);
  g_free (result->model);
  g_free (result->dataset);
  g_free (result);
}

/**
 * trb_history_save_evaluation:
 * @self: the history
 * @origin: the network
 * @task: the task of the model version
 * @model: the model version's hash
 * @dataset: the name of the data it was evaluated on, as the person knows it
 * @accuracy: the share of samples classified right, 0…1
 * @error: return location for an error
 *
 * Keeps the result of evaluating a model version on local data, replacing an earlier result
 * for the same version and data, until trb_history_remove_evaluation().
 *
 * Returns: %TRUE when stored
 */
gboolean
trb_history_save_evaluation (TrbHistory  *self,
                             const char  *origin,
                             const char  *task,
                             const char  *model,
                             const char  *dataset,
                             double       accuracy,
                             GError     **error)
{
  g_return_val_if_fail (TRB_IS_HISTORY (self), FALSE);
  g_return_val_if_fail (origin != NULL && task != NULL && model != NULL && dataset != NULL,
                        FALSE);

  return trb_store_history_save_evaluation (self->store, origin, task, model, dataset, accuracy,
                                            error);
}

/**
 * trb_history_list_evaluations:
 * @self: the history
 * @origin: the network
 * @model: (nullable): a model version's hash, or %NULL for all of the network's
 * @error: return location for an error
 *
 * Returns: (transfer container) (element-type TrbEvaluationResult): the results kept, oldest
 *   first, or %NULL on error
 */
GPtrArray *
trb_history_list_evaluations (TrbHistory  *self,
                              const char  *origin,
                              const char  *model,
                              GError     **error)
{
  GPtrArray *results;
  g_autoptr(GPtrArray) kept = NULL;

  g_return_val_if_fail (TRB_IS_HISTORY (self), NULL);
  g_return_val_if_fail (origin != NULL, NULL);

  kept = trb_store_history_list_evaluations (self->store, origin, model, error);
  if (kept == NULL)
    return NULL;
  results = g_ptr_array_new_with_free_func ((GDestroyNotify) trb_evaluation_result_free);
  for (guint i = 0; i < kept->len; i++)
    {
      TrbStoreEvaluation *row = g_ptr_array_index (kept, i);
      TrbEvaluationResult *result = g_new0 (TrbEvaluationResult, 1);

      result->origin = g_steal_pointer (&row->origin);
      result->task = g_steal_pointer (&row->task);
      result->model = g_steal_pointer (&row->model);
      result->dataset = g_steal_pointer (&row->dataset);
      result->accuracy = row->accuracy;
      result->time = row->time;
      g_ptr_array_add (results, result);
    }
  return results;
}

/**
 * trb_history_remove_evaluation:
 * @self: the history
 * @origin: the network
 * @model: the model version's hash
 * @dataset: the data's name
 * @error: return location for an error
 *
 * Forgets a result kept by trb_history_save_evaluation().
 *
 * Returns: %TRUE when done
 */
gboolean
trb_history_remove_evaluation (TrbHistory  *self,
                               const char  *origin,
                               const char  *model,
                               const char  *dataset,
                               GError     **error)
{
  g_return_val_if_fail (TRB_IS_HISTORY (self), FALSE);
  g_return_val_if_fail (origin != NULL && model != NULL && dataset != NULL, FALSE);

  return trb_store_history_remove_evaluation (self->store, origin, model, dataset, error);
}

/**
 * trb_history_is_halted:
 * @self: the history
 * @origin: a network
 *
 * Whether participation in the network is stopped because it showed inconsistent histories
 * and the user has not decided yet. The participation loop must not contribute while it is.
 *
 * Returns: %TRUE when halted; also %TRUE, the safe answer, with @error set when the local
 *   store could not be read
 */
gboolean
trb_history_is_halted (TrbHistory  *self,
                       const char  *origin,
                       GError     **error)
{
  gboolean halted;

  g_return_val_if_fail (TRB_IS_HISTORY (self), TRUE);
  g_return_val_if_fail (origin != NULL, TRUE);

  if (!trb_store_history_is_halted (self->store, origin, &halted, error))
    return TRUE;
  /* Evidence kept by a participant (this app's or the command line's) halts it too. */
  return halted || trb_ledger_tamper_lookup (self->store, origin) != TRB_LEDGER_TAMPER_NONE;
}

/**
 * trb_history_get_tamper:
 * @self: the history
 * @origin: a network
 *
 * What was found in the network's ledger, for the alert's words.
 *
 * Returns: the kind of tampering that halted the network, %TRB_LEDGER_TAMPER_NONE when it is
 *   not halted or, with @error set, when the local store could not be read
 */
TrbLedgerTamper
trb_history_get_tamper (TrbHistory  *self,
                        const char  *origin,
                        GError     **error)
{
  TrbLedgerTamper kind;
  gboolean halted;

  g_return_val_if_fail (TRB_IS_HISTORY (self), TRB_LEDGER_TAMPER_NONE);
  g_return_val_if_fail (origin != NULL, TRB_LEDGER_TAMPER_NONE);

  kind = trb_ledger_tamper_lookup (self->store, origin);
  if (kind != TRB_LEDGER_TAMPER_NONE)
    return kind;
  if (!trb_store_history_is_halted (self->store, origin, &halted, error))
    return TRB_LEDGER_TAMPER_NONE;
  return halted ? TRB_LEDGER_TAMPER_FORK : TRB_LEDGER_TAMPER_NONE;
}

/**
 * trb_history_list_halted:
 * @self: the history
 *
 * @error: return location for an error
 *
 * Returns: (transfer full): the origins of the halted networks, or %NULL on error
 */
GStrv
trb_history_list_halted (TrbHistory  *self,
                         GError     **error)
{
  g_return_val_if_fail (TRB_IS_HISTORY (self), NULL);

  return trb_store_history_list_halted (self->store, error);
}

/**
 * trb_history_resume:
 * @self: the history
 * @origin: a halted network
 * @error: return location for an error
 *
 * Records the user's decision to keep the network despite the alert: it is no longer halted.
 * The evidence stays.
 *
 * Returns: %TRUE on success
 */
gboolean
trb_history_resume (TrbHistory  *self,
                    const char  *origin,
                    GError     **error)
{
  g_autoptr(Network) network = NULL;
  g_autoptr(TrbNoteVerifier) verifier = NULL;
  g_autoptr(TrbLedgerHistory) ledger = NULL;

  g_return_val_if_fail (TRB_IS_HISTORY (self), FALSE);
  g_return_val_if_fail (origin != NULL, FALSE);

  network = trb_history_lookup_network (self, origin, error);
  if (network == NULL)
    return FALSE;

  /* The ledger copy keeps the evidence but takes the network's next checkpoint as a new base;
   * without this the next check would stop the network again. */
  verifier = trb_note_verifier_new_from_string (network->ledger_key, error);
  if (verifier == NULL)
    return FALSE;
  ledger = trb_ledger_history_new (self->store, origin, verifier, error);
  if (ledger == NULL || !trb_ledger_history_trust_again (ledger, error))
    return FALSE;

  if (!trb_store_history_resume (self->store, origin, error))
    return FALSE;
  trb_history_emit_changed (self);
  return TRUE;
}

/**
 * trb_history_export_evidence:
 * @self: the history
 * @origin: a network
 * @error: return location for an error
 *
 * Returns: (transfer full): the pairs of conflicting signed checkpoints kept for the network,
 *   as text anyone can check with the network's public key, or %NULL when there are none
 */
char *
trb_history_export_evidence (TrbHistory  *self,
                             const char  *origin,
                             GError     **error)
{
  g_autoptr(Network) network = NULL;
  g_autoptr(TrbNoteVerifier) verifier = NULL;
  g_autoptr(TrbLedgerHistory) ledger = NULL;
  g_autoptr(GPtrArray) evidence = NULL;
  GString *out;

  g_return_val_if_fail (TRB_IS_HISTORY (self), NULL);
  g_return_val_if_fail (origin != NULL, NULL);

  network = trb_history_lookup_network (self, origin, error);
  if (network == NULL)
    return NULL;
  verifier = trb_note_verifier_new_from_string (network->ledger_key, error);
  if (verifier == NULL)
    return NULL;
  ledger = trb_ledger_history_new (self->store, origin, verifier, NULL);
  evidence = ledger != NULL ? trb_ledger_history_list_evidence (ledger, error) : NULL;
  if (evidence == NULL || evidence->len == 0)
    {
      if (error != NULL && *error == NULL)
        g_set_error_literal (error, TRB_HISTORY_ERROR, TRB_HISTORY_ERROR_PROTOCOL,
                             _("There is no evidence of inconsistent histories for this "
                               "network."));
      return NULL;
    }
  out = g_string_new (NULL);
  g_string_append_printf (out, "# Tributary ledger evidence\n# network: %s\n# origin: %s\n"
                               "# ledger key: %s\n", network->name, origin, network->ledger_key);
  for (guint i = 0; i < evidence->len; i++)
    {
      TrbLedgerEvidence *e = g_ptr_array_index (evidence, i);
      g_autoptr(GDateTime) when = g_date_time_new_from_unix_utc (e->detected_at);
      g_autofree char *stamp = when != NULL ? g_date_time_format_iso8601 (when) : g_strdup ("");

      /* Plain text that anyone can check: the kind's name, and for each kind what shows it. */
      g_string_append_printf (out, "\n# found: %s\n# %s\n# detected: %s\n"
                                   "# checkpoint verified earlier:\n%s\n",
                              trb_ledger_tamper_to_string (e->kind),
                              trb_ledger_tamper_describe (e->kind), stamp, e->verified_note);
      if (e->conflicting_note != NULL && *e->conflicting_note != '\0')
        g_string_append_printf (out, "# conflicting checkpoint:\n%s\n", e->conflicting_note);
      if (e->verified_key != NULL)
        g_string_append_printf (out, "# key pinned when joining:\n%s\n", e->verified_key);
      if (e->conflicting_key != NULL)
        g_string_append_printf (out, "# key the network signs with now:\n%s\n",
                                e->conflicting_key);
      if (e->entry != NULL)
        g_string_append_printf (out, "# entry %" G_GUINT64_FORMAT " as served:\n%s\n",
                                e->entry_index, e->entry);
      if (e->proof != NULL)
        {
          g_autofree char *proof = g_base64_encode (g_bytes_get_data (e->proof, NULL),
                                                    g_bytes_get_size (e->proof));

          g_string_append_printf (out, "# proof given by the network (base64):\n%s\n", proof);
        }
    }
  return g_string_free (out, FALSE);
}

/* Whether @model is named by a verified round entry of @origin. */
gboolean
trb_history_is_verified_model (TrbHistory  *self,
                               const char  *origin,
                               const char  *model,
                               gboolean    *verified,
                               GError     **error)
{
  g_autoptr(GPtrArray) rows = NULL;

  *verified = FALSE;
  rows = trb_store_history_list_verified_rounds (self->store, origin, error);
  if (rows == NULL)
    return FALSE;
  for (guint i = 0; i < rows->len && !*verified; i++)
    {
      g_autoptr(TrbLedgerEntry) entry = trb_history_parse_entry (g_ptr_array_index (rows, i));

      *verified = entry != NULL && g_strcmp0 (trb_ledger_entry_get_model (entry), model) == 0;
    }
  return TRUE;
}

/* The task's description as last fetched by a sync, or %NULL in @json. */
gboolean
trb_history_dup_task_json (TrbHistory  *self,
                           const char  *origin,
                           const char  *task,
                           char       **json,
                           GError     **error)
{
  return trb_store_history_lookup_task (self->store, origin, task, json, error);
}

/* The URL of a joined network, or %NULL with @error set. */
char *
trb_history_dup_network_url (TrbHistory  *self,
                             const char  *origin,
                             GError     **error)
{
  g_autoptr(Network) network = trb_history_lookup_network (self, origin, error);

  return network != NULL ? g_strdup (network->url) : NULL;
}
