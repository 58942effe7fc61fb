/* trb-participation-upload.c
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * The end of a round: the update built from what was trained (on a worker thread) and written
 * before it is sent, the upload and its receipt, the check of the ledger in a worker thread with
 * a client of its own (checkpoint, inclusion of every receipt, rewards, the cosignature), and
 * the round written down as contributed.
 */

#define G_LOG_DOMAIN "trb-participation"

#include "config.h"

#include "trb-participation-private.h"

#include <glib/gi18n.h>
#include <glib/gstdio.h>
#include <string.h>

void
trb_participation_contributed (TrbParticipation *self)
{
  g_autofree char *message = NULL;

  self->last_round = self->round;
  self->failures = 0;
  self->refusals = 0;
  /* The receipt says the network has this update: count it before the next poll says so. */
  if (self->seen_round == self->round && self->seen_counts.updates >= 0 &&
      self->seen_counts.updates < TRB_CLIENT_MAX_ROUND_UPDATES)
    self->seen_counts.updates++;
  g_clear_pointer (&self->problem, g_free);
  g_clear_pointer (&self->update_hash, g_free);
  if (!trb_participation_set_state (self, TRB_PARTICIPATION_STATE_CONTRIBUTED))
    return;
  /* Only once the round is written down as done: until then, the update may be sent again. */
  trb_participation_remove_round_files (self);
  trb_participation_notify (self, PROP_LAST_CONTRIBUTED);
  /* Translators: an event of the Activity area; %lld is the round's number. */
  message = g_strdup_printf (_("Round %lld contributed"), (long long) self->round);
  trb_participation_log_event (self, "contributed", message);
  /* The round Join asked for is done: later ones wait for the rules in Preferences. */
  self->round_now = FALSE;
  trb_participation_apply_preset (self);
  trb_participation_update_pause (self);
  if (self->scheduler != NULL)
    trb_scheduler_round_finished (self->scheduler);
  trb_participation_step_later (self, self->poll_ms);
}

/* Checks the ledger as the contributor does: the checkpoint against the pinned key and the last
 * one verified, and every receipt's entry included. It blocks on the client's _sync calls, so it
 * runs in a worker thread with a client of its own, and stops when the loop's cancellable is
 * cancelled. */
typedef struct
{
  guint64 scan_from;
  guint64 scanned_to;
  gint64  points;
  gint64  round;
} VerifyData;

/* The reward entries for this address in the verified part of the ledger not read yet. */
static void
scan_rewards (TrbClient    *client,
              VerifyData   *data,
              guint64       size,
              GCancellable *cancellable)
{
  guint64 start = data->scan_from;

  while (start < size && !g_cancellable_is_cancelled (cancellable))
    {
      guint64 end = MIN (size, start + TRB_PROTOCOL_LEDGER_PAGE);
      g_autoptr(JsonObject) page = NULL;
      JsonNode *entries;
      JsonArray *array;

      page = trb_client_get_entries_sync (client, start, end, cancellable, NULL);
      entries = page != NULL ? json_object_get_member (page, "entries") : NULL;
      if (entries == NULL || !JSON_NODE_HOLDS_ARRAY (entries))
        return;
      array = json_node_get_array (entries);
      if (json_array_get_length (array) == 0)
        return;
      for (guint i = 0; i < json_array_get_length (array); i++)
        {
          const char *text = json_array_get_string_element (array, i);
          g_autoptr(TrbLedgerEntry) entry = NULL;

          if (text != NULL)
            entry = trb_ledger_entry_parse (text, strlen (text), NULL);
          if (entry != NULL &&
              trb_ledger_entry_get_entry_type (entry) == TRB_LEDGER_ENTRY_REWARD &&
              g_strcmp0 (trb_ledger_entry_get_participant (entry),
                         trb_client_get_address (client)) == 0)
            {
              data->points += trb_ledger_entry_get_points (entry);
              data->round = MAX (data->round, trb_ledger_entry_get_round (entry));
            }
        }
      start += json_array_get_length (array);
      data->scanned_to = start;
    }
}

static void
verify_thread (GTask        *task,
               gpointer      source_object,
               gpointer      task_data,
               GCancellable *cancellable)
{
  TrbParticipation *self = source_object;
  g_autoptr(TrbClient) client = NULL;
  g_autoptr(TrbContributor) contributor = NULL;
  g_autoptr(GError) error = NULL;
  gboolean ok;

  if (g_task_return_error_if_cancelled (task))
    return;
  client = trb_client_new (trb_client_get_base_url (self->client));
  trb_client_set_keypair (client, self->keypair);
  contributor = trb_contributor_new (client, self->store);
  trb_contributor_set_cancellable (contributor, cancellable);
  ok = trb_contributor_connect (contributor, &error) &&
       trb_contributor_sync (contributor, self->cosign, &error);
  if (ok)
    scan_rewards (client, task_data, trb_contributor_get_verified_size (contributor),
                  cancellable);
  g_clear_object (&contributor);
  g_clear_object (&client);
  if (ok && g_task_return_error_if_cancelled (task))
    return;
  if (ok)
    g_task_return_boolean (task, TRUE);
  else
    g_task_return_error (task, g_steal_pointer (&error));
}


static void
verified_cb (GObject      *source,
             GAsyncResult *result,
             gpointer      user_data)
{
  g_autoptr(TrbParticipation) self = user_data;
  g_autoptr(GError) error = NULL;
  VerifyData *data = g_task_get_task_data (G_TASK (result));

  if (data->scanned_to > self->ledger_scanned)
    self->ledger_scanned = data->scanned_to;
  if (data->points > 0)
    {
      g_autofree char *message = NULL;
      g_autofree char *points = trb_rewards_dup_points_text (data->points);

      self->credited_points += data->points;

      /* Translators: an event of the Activity area: an amount such as “1.5 points”, then the
       * last round the reward covers. */
      message = g_strdup_printf (_("Reward credited: %s, up to round %lld"), points,
                                 (long long) data->round);
      trb_participation_log_event (self, "reward", message);
    }
  if (!g_task_propagate_boolean (G_TASK (result), &error))
    {
      if (!self->running)
        return;
      /* A tampered ledger stops everything; a ledger that cannot be reached now is checked
       * again after the next round, and the update is in. */
      if (g_error_matches (error, TRB_CLIENT_ERROR, TRB_CLIENT_ERROR_TAMPERED))
        {
          trb_participation_fail (self, error);
          return;
        }
      trb_participation_log_event (self, "problem", error->message);
    }
  if (self->running)
    trb_participation_contributed (self);
}

static void
verify (TrbParticipation *self)
{
  g_autoptr(GTask) task = NULL;
  VerifyData *data;

  if (self->keypair == NULL)
    {
      trb_participation_contributed (self);
      return;
    }
  task = g_task_new (self, self->cancellable, verified_cb, g_object_ref (self));
  data = g_new0 (VerifyData, 1);
  data->scan_from = self->ledger_scanned;
  g_task_set_task_data (task, data, g_free);
  g_task_run_in_thread (task, verify_thread);
}

static void
upload_cb (GObject      *source,
           GAsyncResult *result,
           gpointer      user_data)
{
  g_autoptr(TrbParticipation) self = user_data;
  g_autoptr(GError) error = NULL;
  g_autoptr(JsonObject) receipt = NULL;

  receipt = trb_client_json_finish (self->client, result, &error);
  if (!self->running)
    return;
  if (receipt == NULL && trb_client_error_get_duplicate_update (error) != NULL)
    {
      /* The node already holds an update of ours for this round, whose receipt was lost (the
       * app stopped in between): fetch that receipt, checked below as any other. */
      g_free (self->update_hash);
      self->update_hash = g_strdup (trb_client_error_get_duplicate_update (error));
      trb_client_get_receipt_async (self->client, self->task, self->round, self->update_hash,
                                    self->cancellable, upload_cb, g_object_ref (self));
      return;
    }
  if (receipt == NULL)
    {
      trb_participation_fail (self, error);
      return;
    }
  trb_participation_set_state (self, TRB_PARTICIPATION_STATE_CONFIRMING);

  if (self->have_key &&
      !trb_client_verify_receipt (receipt, self->ledger_public_key, &error))
    {
      g_clear_error (&error);
      trb_participation_fail_literal (self, TRB_CLIENT_ERROR, TRB_CLIENT_ERROR_TAMPERED,
                                      _("The network’s receipt was not signed with its key. "
                                        "Tributary stopped contributing to it."));
      return;
    }
  if (g_strcmp0 (trb_json_get_string (receipt, "update", NULL),
                 self->update_hash) != 0 ||
      g_strcmp0 (trb_json_get_string (receipt, "participant", NULL),
                 trb_client_get_address (self->client)) != 0)
    {
      trb_participation_fail_literal (self, TRB_CLIENT_ERROR, TRB_CLIENT_ERROR_TAMPERED,
                                      _("The network’s receipt names another update. "
                                        "Tributary stopped contributing to it."));
      return;
    }
  if (!trb_participation_save_receipt (self, receipt, &error))
    {
      trb_participation_fail (self, error);
      return;
    }
  if (!trb_participation_record_dataset (self, &error))
    {
      trb_participation_store_failed (self, error);
      return;
    }
  verify (self);
}

void
trb_participation_upload (TrbParticipation *self)
{
  g_autofree char *path = trb_participation_update_path (self);
  g_autofree char *contents = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(GBytes) update = NULL;
  g_autofree char *hash = NULL;
  gsize length;

  if (!g_file_get_contents (path, &contents, &length, &error))
    {
      /* The update was lost with the files: train the round again if it is still open. */
      g_clear_pointer (&self->update_hash, g_free);
      trb_participation_set_state (self, TRB_PARTICIPATION_STATE_WAITING_ROUND);
      trb_participation_step_later (self, 0);
      return;
    }
  update = g_bytes_new_take (g_steal_pointer (&contents), length);
  hash = g_compute_checksum_for_bytes (G_CHECKSUM_SHA256, update);
  if (g_strcmp0 (hash, self->update_hash) != 0)
    {
      g_free (self->update_hash);
      self->update_hash = g_steal_pointer (&hash);
    }
  trb_participation_set_state (self, TRB_PARTICIPATION_STATE_UPLOADING);
  self->n_uploads++;
  trb_client_upload_update_async (self->client, self->task, self->round, update,
                                  self->cancellable, upload_cb, g_object_ref (self));
}

/* Building the update hashes the whole dataset for its commitment and writes the file: on a
 * worker thread, so that a large dataset never stalls the window. */
typedef struct
{
  double          clip_norm;
  double          noise_multiplier;
  TrbWeights     *trained;
  TrbWeights     *base;
  char           *model;
  TrbTrainingSet *data;
  guint           epochs;
  double          loss;
  char           *path;
} BuildData;

static void
build_data_free (BuildData *d)
{
  g_clear_object (&d->trained);
  g_clear_object (&d->base);
  g_free (d->model);
  g_clear_object (&d->data);
  g_free (d->path);
  g_free (d);
}

static void
build_update_thread (GTask        *task,
                     gpointer      source_object,
                     gpointer      task_data,
                     GCancellable *cancellable)
{
  BuildData *d = task_data;
  g_autoptr(GError) error = NULL;
  g_autoptr(GBytes) update = NULL;

  if (g_task_return_error_if_cancelled (task))
    return;
  update = trb_contributor_build_update (d->clip_norm, d->noise_multiplier, d->trained, d->base,
                                         d->model, d->data, d->epochs, d->loss, &error);
  /* Written before it is sent: an upload cut short is sent again byte for byte. */
  if (update == NULL ||
      !g_file_set_contents (d->path, g_bytes_get_data (update, NULL), g_bytes_get_size (update),
                            &error))
    g_task_return_error (task, g_steal_pointer (&error));
  else
    g_task_return_pointer (task, g_steal_pointer (&update), (GDestroyNotify) g_bytes_unref);
}

static void
update_built_cb (GObject      *source,
                 GAsyncResult *result,
                 gpointer      user_data)
{
  g_autoptr(TrbParticipation) self = user_data;
  g_autoptr(GError) error = NULL;
  g_autoptr(GBytes) update = g_task_propagate_pointer (G_TASK (result), &error);

  if (!self->running)
    return;
  if (update == NULL)
    {
      trb_participation_fail (self, error);
      return;
    }
  g_free (self->update_hash);
  self->update_hash = g_compute_checksum_for_bytes (G_CHECKSUM_SHA256, update);
  trb_participation_upload (self);
}

/* Builds the update of the round just trained, on a worker thread, writes it to its file and
 * sends it. Takes @trained. */
void
trb_participation_build_update (TrbParticipation *self,
                                TrbWeights       *trained,
                                double            loss,
                                guint             epochs)
{
  g_autoptr(GTask) task = NULL;
  BuildData *d = g_new0 (BuildData, 1);

  d->loss = loss;
  trb_contributor_read_privacy_policy (self->task_obj, &d->clip_norm, &d->noise_multiplier);
  d->trained = trained;
  d->base = g_object_ref (self->base);
  d->model = g_strdup (self->model);
  d->data = g_object_ref (self->data);
  d->epochs = epochs;
  d->path = trb_participation_update_path (self);
  /* The device is free for another network; what is left is sending. Should the app stop
   * before the file is written, trb_participation_upload() finds no file and the round is
   * trained again. */
  trb_participation_set_state (self, TRB_PARTICIPATION_STATE_UPLOADING);
  task = g_task_new (self, self->cancellable, update_built_cb, g_object_ref (self));
  g_task_set_task_data (task, d, (GDestroyNotify) build_data_free);
  g_task_run_in_thread (task, build_update_thread);
}
