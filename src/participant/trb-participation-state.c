/* trb-participation-state.c
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * What the participation loop writes down, and where: its state in the store (announced, then
 * written; a write that fails stops the loop), its events, receipts and the dataset each
 * contribution used, and the files of a round in progress (the trainer's checkpoint, the
 * update as sent).
 */

#define G_LOG_DOMAIN "trb-participation"

#include "config.h"

#include "trb-participation-private.h"

#include <glib/gi18n.h>
#include <glib/gstdio.h>
#include <string.h>

static const char * const state_names[] = {
  "waiting-round", "waiting-scheduler", "waiting-device", "downloading", "training", "uploading",
  "confirming", "contributed", "problem", "stopped",
};

const char *
trb_participation_state_to_string (TrbParticipationState state)
{
  g_return_val_if_fail (state <= TRB_PARTICIPATION_STATE_STOPPED, NULL);
  return state_names[state];
}

static TrbParticipationState
state_from_string (const char *name)
{
  for (guint i = 0; i < G_N_ELEMENTS (state_names); i++)
    if (g_strcmp0 (name, state_names[i]) == 0)
      return i;
  return TRB_PARTICIPATION_STATE_WAITING_ROUND;
}

/**
 * trb_participation_migrate:
 * @store: the local store
 * @error: return location for an error
 *
 * Creates the tables of component "participation" (joined networks, loop states, event log)
 * and those of component "net" that receipts go to.
 *
 * Returns: %TRUE on success
 */
gboolean
trb_participation_migrate (TrbStore  *store,
                           GError   **error)
{
  g_return_val_if_fail (TRB_IS_STORE (store), FALSE);

  return trb_contributor_migrate (store, error) &&
         trb_store_participation_migrate (store, error);
}

static gboolean
save_state (TrbParticipation  *self,
            GError           **error)
{
  TrbStoreParticipationRow row = {
    .state = (char *) state_names[self->state],
    .round = self->round,
    .model = self->model,
    .seed = self->seed,
    .update_hash = self->update_hash,
    .last_round = self->last_round,
    .problem = self->problem,
    .retry_at = self->retry_at,
    .failures = self->failures,
    .ledger_scanned = self->ledger_scanned,
    .refusals = self->refusals,
  };

  return trb_store_participation_save (self->store, self->origin, &row, error);
}

gboolean
trb_participation_load_state (TrbParticipation *self,
                              GError          **error)
{
  TrbStoreParticipationRow row = { 0 };
  gboolean found;

  if (!trb_store_participation_load (self->store, self->origin, &row, &found, error))
    return FALSE;
  if (!found)
    return TRUE;
  self->state = state_from_string (row.state);
  self->round = row.round;
  g_free (self->model);
  self->model = g_steal_pointer (&row.model);
  self->seed = row.seed;
  g_free (self->update_hash);
  self->update_hash = g_steal_pointer (&row.update_hash);
  self->last_round = row.last_round;
  g_free (self->problem);
  self->problem = g_steal_pointer (&row.problem);
  self->retry_at = row.retry_at;
  self->failures = row.failures;
  self->ledger_scanned = row.ledger_scanned;
  self->refusals = row.refusals;
  trb_store_participation_row_clear (&row);
  return TRUE;
}

/* Logs the event, then tells of it (TrbParticipation::event), so that a listener reading the
 * log finds it there. The event is told even when the log cannot be written, and then the
 * failure too: whoever listens still hears of both. */
void
trb_participation_log_event (TrbParticipation *self,
                             const char       *kind,
                             const char       *message)
{
  g_autoptr(GError) error = NULL;
  gboolean logged;

  logged = trb_store_participation_log_event (self->store, self->origin, kind, message, &error);
  trb_participation_emit_event (self, kind, message);
  if (!logged)
    trb_participation_emit_event (self, "problem", error->message);
}

gboolean
trb_participation_save_receipt (TrbParticipation *self,
                                JsonObject       *receipt,
                                GError          **error)
{
  return trb_store_participation_add_receipt (self->store, self->origin,
                                              json_object_get_int_member_with_default (
                                                receipt, "leaf_index", 0),
                                              self->task, self->round,
                                              trb_client_get_address (self->client),
                                              self->update_hash, error);
}

/* The history of the store, kept for the loop's life; NULL when it cannot be opened. */
TrbHistory *
trb_participation_get_history (TrbParticipation *self)
{
  g_autoptr(GError) error = NULL;

  if (self->history == NULL && (self->history = trb_history_new (self->store, &error)) == NULL)
    g_debug ("The history cannot be opened: %s", error->message);
  return self->history;
}

/* The History says which of this computer's datasets each of its contributions used; only
 * this computer knows. */
gboolean
trb_participation_record_dataset (TrbParticipation *self,
                                  GError          **error)
{
  g_autoptr(TrbDatasetRegistry) registry = NULL;
  g_autofree char *name = NULL;

  if (self->update_hash == NULL || trb_participation_get_history (self) == NULL)
    return TRUE;
  /* Read afresh: the Datasets area may have added or renamed it since. */
  registry = trb_dataset_registry_new (self->store, NULL);
  name = trb_dataset_dup_display_name (registry, self->dataset_path);
  return trb_history_record_dataset (self->history, self->origin, self->update_hash, name,
                                     error);
}

char *
trb_participation_checkpoint_path (TrbParticipation *self)
{
  g_autofree char *name = g_strdup_printf ("round-%" G_GINT64_FORMAT ".checkpoint", self->round);

  return g_build_filename (self->work_dir, name, NULL);
}

char *
trb_participation_update_path (TrbParticipation *self)
{
  g_autofree char *name = g_strdup_printf ("round-%" G_GINT64_FORMAT ".update", self->round);

  return g_build_filename (self->work_dir, name, NULL);
}

void
trb_participation_remove_round_files (TrbParticipation *self)
{
  g_autoptr(GDir) dir = g_dir_open (self->work_dir, 0, NULL);
  const char *name;

  while (dir != NULL && (name = g_dir_read_name (dir)) != NULL)
    if (g_str_has_prefix (name, "round-"))
      {
        g_autofree char *path = g_build_filename (self->work_dir, name, NULL);

        g_unlink (path);
      }
}

void
trb_participation_notify_status (TrbParticipation *self)
{
  trb_participation_notify (self, PROP_STATUS);
}

/* The loop's state could not be written down: going on would let a crash resume from a stale
 * state (send an update twice, or count a round as done that is not written down), so the loop
 * stops here, keeps the state in memory only, and says why. */
void
trb_participation_store_failed (TrbParticipation *self,
                                const GError     *error)
{
  g_autofree char *message = NULL;

  g_clear_error (&self->store_error);
  self->store_error = g_error_copy (error);
  self->running = FALSE;
  g_cancellable_cancel (self->cancellable);
  g_clear_handle_id (&self->timeout_id, g_source_remove);
  self->state = TRB_PARTICIPATION_STATE_STOPPED;
  /* Translators: the reason follows, as the database library words it. */
  message = g_strdup_printf (_("Tributary stopped contributing to this network because it could "
                               "not write down its progress: %s"), error->message);
  g_free (self->problem);
  self->problem = g_steal_pointer (&message);
  trb_participation_notify (self, PROP_STATE);
  trb_participation_notify_status (self);
  /* Not logged: the log is in the store that just failed. */
  trb_participation_emit_event (self, "problem", self->problem);
}

/* Announces the state, then writes it down: a participant killed in between resumes from the
 * state before, which repeats at most the step that was starting. Returns %FALSE when it could
 * not be written down; then the loop has stopped (trb_participation_store_failed()). */
gboolean
trb_participation_set_state (TrbParticipation     *self,
                             TrbParticipationState state)
{
  g_autoptr(GError) error = NULL;

  if (self->store_error != NULL)
    return FALSE;

  if (self->state != state)
    {
      self->state = state;
      if (state != TRB_PARTICIPATION_STATE_TRAINING)
        {
          self->progress = 0;
          self->eta_seconds = -1;
        }
      trb_participation_notify (self, PROP_STATE);
      trb_participation_notify_status (self);
    }
  if (!save_state (self, &error))
    {
      trb_participation_store_failed (self, error);
      return FALSE;
    }
  return TRUE;
}
