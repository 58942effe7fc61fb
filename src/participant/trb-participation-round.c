/* trb-participation-round.c
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * The participation loop's round: step() reads the state written down and does what comes next;
 * waiting for a round (polls of the task and its round), for the scheduler and for the device,
 * downloading the round's model, loading the data and training it, with the scheduler's preset
 * and pause followed while it trains.
 */

#define G_LOG_DOMAIN "trb-participation"

#include "config.h"

#include "trb-participation-private.h"

#include <glib/gi18n.h>
#include <glib/gstdio.h>
#include <string.h>

static void step (TrbParticipation *self);

void
trb_participation_release_device (TrbParticipation *self)
{
  if (self->holds_device && self->queue != NULL)
    trb_device_queue_release (self->queue, self);
  self->holds_device = FALSE;
}

static gboolean
step_cb (gpointer user_data)
{
  TrbParticipation *self = user_data;

  self->timeout_id = 0;
  step (self);
  return G_SOURCE_REMOVE;
}

void
trb_participation_step_later (TrbParticipation *self,
                              guint             ms)
{
  g_clear_handle_id (&self->timeout_id, g_source_remove);
  if (self->running)
    self->timeout_id = g_timeout_add_full (G_PRIORITY_DEFAULT, ms, step_cb,
                                           g_object_ref (self), g_object_unref);
}

gboolean
trb_participation_is_cancelled (const GError *error)
{
  return g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED);
}

static void
trained_cb (GObject      *source,
            GAsyncResult *result,
            gpointer      user_data)
{
  g_autoptr(TrbParticipation) self = user_data;
  g_autoptr(GError) error = NULL;
  g_autoptr(TrbWeights) trained = NULL;
  TrbTrainerConfig config = { 0 };
  double loss;

  trained = trb_trainer_run_finish (TRB_TRAINER (source), result, &error);
  if (!self->running)
    return;
  /* The epochs the update says it was trained for: the task's, as train() read them. */
  if (trained == NULL || !trb_task_training_config (self->task_obj, &config, &error))
    {
      trb_participation_fail (self, error);
      return;
    }
  loss = trb_trainer_get_last_progress (self->trainer)->loss;
  self->resumed_epoch = trb_trainer_get_resumed_epoch (self->trainer);
  g_clear_object (&self->trainer);
  g_clear_object (&self->executor);
  trb_participation_release_device (self);
  trb_participation_build_update (self, g_steal_pointer (&trained), loss, (guint) config.epochs);
}

static void
training_progress_cb (const TrbTrainerProgress *progress,
                      gpointer                  user_data)
{
  TrbParticipation *self = user_data;

  if (progress->samples_total > 0)
    self->progress = (double) progress->samples_done / (double) progress->samples_total;
  self->eta_seconds = progress->eta_seconds;
  trb_participation_notify (self, PROP_PROGRESS);
  trb_participation_notify_status (self);
}

/* Whether the round Join asked for runs although the scheduler would wait: it waits only for
 * conditions that come by themselves (the computer being idle, the training hours). A pause
 * (the person's, on battery, in power-saver mode, on a metered connection, after this round)
 * still holds. */
static gboolean
overrides_wait (TrbParticipation *self)
{
  return self->round_now && self->scheduler != NULL &&
         trb_scheduler_decision_get_verdict (trb_scheduler_get_decision (self->scheduler)) ==
           TRB_SCHEDULER_VERDICT_WAIT;
}

/* The scheduler's preset (Light, Balanced, Full): processor threads and share of the device
 * for the executor training now, from its next step. */
void
trb_participation_apply_preset (TrbParticipation *self)
{
  TrbResourcePreset preset;

  if (self->executor == NULL || self->scheduler == NULL)
    return;
  preset = trb_scheduler_get_preset (self->scheduler);
  /* The round Join asked for, while the computer is in use, takes only a light share. */
  if (overrides_wait (self))
    preset = TRB_RESOURCE_PRESET_LIGHT;
  trb_executor_set_resource_share (self->executor,
                                   trb_resource_preset_get_cpu_threads (preset, 0),
                                   trb_resource_preset_get_device_share (preset));
}

void
trb_participation_update_pause (TrbParticipation *self)
{
  TrbSchedulerDecision *decision;

  if (self->trainer == NULL || self->scheduler == NULL)
    return;
  decision = trb_scheduler_get_decision (self->scheduler);
  if (trb_scheduler_decision_may_continue (decision) || overrides_wait (self))
    trb_trainer_resume (self->trainer);
  else
    trb_trainer_pause (self->trainer);
}

static void
load_data_thread (GTask        *task,
                  gpointer      source_object,
                  gpointer      task_data,
                  GCancellable *cancellable)
{
  TrbParticipation *self = source_object;
  const char *path = task_data;
  g_autoptr(GError) error = NULL;
  TrbTrainingSet *data;

  /* The path is the task's own copy: the choice may change while this thread reads. */
  data = trb_training_set_load (path, 0, 1, self->max_samples, cancellable, &error);
  if (data == NULL)
    g_task_return_error (task, g_steal_pointer (&error));
  else
    g_task_return_pointer (task, data, g_object_unref);
}

static void
train (TrbParticipation *self)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(TrbExecutor) executor = NULL;
  g_autofree char *ckpt = NULL;
  g_autofree char *cache = NULL;
  TrbTrainerConfig config = { 0 };
  TrbDataSource source;

  trb_training_set_get_source (self->data, &source);
  if (!trb_data_source_check (&source, self->spec, &error))
    {
      g_autoptr(GError) data_error =
        g_error_new (TRB_PARTICIPATION_ERROR, TRB_PARTICIPATION_ERROR_DATA,
                     _("The chosen data does not fit this network: %s"), error->message);

      trb_participation_fail (self, data_error);
      return;
    }

  if (!trb_task_training_config (self->task_obj, &config, &error))
    {
      trb_participation_fail (self, error);
      return;
    }
  cache = trb_executor_choice_dup_cache_path ();
  executor = trb_executor_new_for_task (self->spec, config.batch_size, self->device, cache,
                                        &error);
  if (executor == NULL)
    {
      trb_participation_fail (self, error);
      return;
    }
  config.seed = self->seed;
  config.low_priority = TRUE;
  ckpt = trb_participation_checkpoint_path (self);
  config.checkpoint_path = ckpt;
  g_clear_object (&self->trainer);
  g_set_object (&self->executor, executor);
  {
    const char *vulkan_name = NULL;

    trb_participation_get_job_device (self, &vulkan_name);
    self->trained_here = TRUE;
    g_free (self->trained_on);
    self->trained_on = g_strdup (vulkan_name);
  }
  trb_participation_apply_preset (self);
  self->trainer = trb_trainer_new (executor, self->spec, &config);
  trb_trainer_set_progress_func (self->trainer, training_progress_cb, self, NULL);
  trb_participation_set_state (self, TRB_PARTICIPATION_STATE_TRAINING);
  trb_participation_update_pause (self);
  trb_trainer_run_async (self->trainer, self->base, &source, self->cancellable, trained_cb,
                         g_object_ref (self));
}

static void
data_loaded_cb (GObject      *source,
                GAsyncResult *result,
                gpointer      user_data)
{
  g_autoptr(TrbParticipation) self = user_data;
  g_autoptr(GError) error = NULL;
  TrbTrainingSet *data;

  data = g_task_propagate_pointer (G_TASK (result), &error);
  if (!self->running)
    {
      g_clear_object (&data);
      return;
    }
  if (data == NULL)
    {
      g_autoptr(GError) data_error =
        g_error_new (TRB_PARTICIPATION_ERROR, TRB_PARTICIPATION_ERROR_DATA,
                     _("The chosen data could not be read: %s"), error->message);

      trb_participation_fail (self, data_error);
      return;
    }
  g_clear_object (&self->data);
  self->data = data;
  g_free (self->data_path);
  self->data_path = g_strdup (g_task_get_task_data (G_TASK (result)));
  train (self);
}

static void
downloaded_cb (GObject      *source,
               GAsyncResult *result,
               gpointer      user_data)
{
  g_autoptr(TrbParticipation) self = user_data;
  g_autoptr(GError) error = NULL;
  g_autoptr(GBytes) blob = NULL;
  g_autoptr(TrbWeights) weights = NULL;

  blob = trb_client_download_blob_finish (self->client, result, &error);
  if (!self->running)
    return;
  if (blob != NULL)
    weights = trb_weights_new_from_safetensors (blob, &error);
  if (weights != NULL)
    {
      g_clear_object (&self->base);
      self->base = trb_model_spec_conform_weights (self->spec, weights, &error);
    }
  if (blob == NULL || weights == NULL || self->base == NULL)
    {
      trb_participation_fail (self, error);
      return;
    }

  if (self->data != NULL && g_strcmp0 (self->data_path, self->dataset_path) == 0)
    train (self);
  else
    {
      g_autoptr(GTask) task = g_task_new (self, self->cancellable, data_loaded_cb,
                                          g_object_ref (self));

      g_task_set_task_data (task, g_strdup (self->dataset_path), g_free);
      g_task_run_in_thread (task, load_data_thread);
    }
}

static void
download (TrbParticipation *self)
{
  trb_participation_set_state (self, TRB_PARTICIPATION_STATE_DOWNLOADING);
  trb_client_download_blob_async (self->client, self->model,
                                  trb_model_spec_get_n_parameters (self->spec) * 4 +
                                    2 * 1024 * 1024,
                                  self->cancellable, downloaded_cb, g_object_ref (self));
}

static void
device_acquired_cb (GObject      *source,
                    GAsyncResult *result,
                    gpointer      user_data)
{
  g_autoptr(TrbParticipation) self = user_data;
  g_autoptr(GError) error = NULL;

  if (!trb_device_queue_acquire_finish (TRB_DEVICE_QUEUE (source), result, &error))
    {
      trb_participation_fail (self, error);
      return;
    }
  if (!self->running)
    {
      trb_device_queue_release (TRB_DEVICE_QUEUE (source), self);
      return;
    }
  self->holds_device = TRUE;
  download (self);
}

gboolean
trb_participation_scheduler_allows (TrbParticipation *self)
{
  return self->scheduler == NULL ||
         trb_scheduler_decision_may_start (trb_scheduler_get_decision (self->scheduler)) ||
         overrides_wait (self);
}

void
trb_participation_decision_changed_cb (TrbParticipation *self)
{
  trb_participation_apply_preset (self);
  trb_participation_update_pause (self);
  if (self->state == TRB_PARTICIPATION_STATE_WAITING_SCHEDULER)
    {
      if (trb_participation_scheduler_allows (self))
        trb_participation_step_later (self, 0);
      else
        trb_participation_notify_status (self);
    }
}

/* Whether the History halted this network after seeing two inconsistent histories of its
 * ledger, or a contributor (this app's or the headless one) caught it cheating. */
static gboolean
network_is_halted (TrbParticipation  *self,
                   GError           **error)
{
  return (trb_participation_get_history (self) != NULL &&
          trb_history_is_halted (self->history, self->origin, error)) ||
         trb_contributor_is_network_compromised (self->store, self->origin);
}

/* A round is open and ours to take part in: train when the scheduler and the device allow. */
static void
begin_round (TrbParticipation *self)
{
  g_autoptr(GError) error = NULL;
  gboolean stopped = network_is_halted (self, &error);

  /* Unreadable, the halt could not be honoured: the loop stops rather than contribute. */
  if (error != NULL)
    {
      trb_participation_store_failed (self, error);
      return;
    }
  if (stopped)
    {
      TrbLedgerTamper kind = trb_ledger_tamper_lookup (self->store, self->origin);
      /* Translators: %s is a sentence saying what was found in the network's ledger. */
      g_autoptr(GError) halted =
        g_error_new (TRB_CLIENT_ERROR, TRB_CLIENT_ERROR_TAMPERED,
                     _("%s Taking part in it has stopped. See History to save the evidence and "
                       "decide what to do."),
                     trb_ledger_tamper_describe (kind != TRB_LEDGER_TAMPER_NONE
                                                 ? kind : TRB_LEDGER_TAMPER_FORK));

      trb_participation_fail (self, halted);
      return;
    }
  if (!trb_participation_scheduler_allows (self))
    {
      trb_participation_set_state (self, TRB_PARTICIPATION_STATE_WAITING_SCHEDULER);
      return;
    }
  if (self->queue == NULL)
    {
      download (self);
      return;
    }
  if (trb_device_queue_get_holder (self->queue) != NULL &&
      trb_device_queue_get_holder (self->queue) != self)
    trb_participation_set_state (self, TRB_PARTICIPATION_STATE_WAITING_DEVICE);
  trb_device_queue_acquire_async (self->queue, self, self->cancellable, device_acquired_cb,
                                  g_object_ref (self));
}

/* Keeps what the network says of its round; a change in the counts or the deadline changes
 * what the person is told the loop waits for. */
static void
remember_round (TrbParticipation *self,
                JsonObject       *round,
                gint64            number,
                gboolean          open,
                gboolean          aggregating)
{
  TrbClientRoundCounts counts;

  trb_client_round_counts_from_json (round, g_get_real_time () / G_USEC_PER_SEC, &counts);
  if (number == self->seen_round && open == self->seen_open &&
      aggregating == self->seen_aggregating &&
      counts.deadline == self->seen_counts.deadline &&
      counts.updates == self->seen_counts.updates &&
      counts.min_updates == self->seen_counts.min_updates &&
      counts.max_updates == self->seen_counts.max_updates)
    return;
  self->seen_round = number;
  self->seen_open = open;
  self->seen_aggregating = aggregating;
  self->seen_counts = counts;
  trb_participation_notify_status (self);
}

static void
round_cb (GObject      *source,
          GAsyncResult *result,
          gpointer      user_data)
{
  g_autoptr(TrbParticipation) self = user_data;
  g_autoptr(GError) error = NULL;
  g_autoptr(JsonObject) round = NULL;
  const char *state, *model;
  gint64 number;
  gboolean open;

  round = trb_client_json_finish (self->client, result, &error);
  if (!self->running)
    return;
  if (round == NULL)
    {
      trb_participation_fail (self, error);
      return;
    }
  number = json_object_get_int_member_with_default (round, "round", 0);
  state = trb_json_get_string (round, "state", "");
  model = trb_json_get_string (round, "model", NULL);
  open = g_str_equal (state, "open") || g_str_equal (state, "collecting");
  remember_round (self, round, number, open, g_str_equal (state, "aggregating"));

  /* A round resumed after a restart: go on with it only while it is still open. */
  if (self->state >= TRB_PARTICIPATION_STATE_WAITING_SCHEDULER &&
      self->state <= TRB_PARTICIPATION_STATE_TRAINING && self->round > self->last_round)
    {
      if (number == self->round && open && g_strcmp0 (model, self->model) == 0)
        {
          begin_round (self);
          return;
        }
      trb_participation_remove_round_files (self);
      trb_participation_set_state (self, TRB_PARTICIPATION_STATE_WAITING_ROUND);
    }

  /* A round that does not ask this computer is not trained for: the node would refuse the
   * update. It is polled again, as a round that asks too few to close asks those who joined
   * since. */
  if (number > self->last_round && open && model != NULL && strlen (model) == 64 &&
      trb_client_round_asks (round, trb_client_get_address (self->client)))
    {
      g_autofree char *message = NULL;

      self->round = number;
      g_free (self->model);
      self->model = g_strdup (model);
      randombytes_buf (&self->seed, sizeof self->seed);
      self->seed &= G_MAXINT64;
      trb_participation_notify (self, PROP_ROUND);
      /* Translators: an event of the Activity area; %lld is the round's number. */
      message = g_strdup_printf (_("Round %lld opened"), (long long) number);
      trb_participation_log_event (self, "round", message);
      begin_round (self);
      return;
    }

  if (self->state != TRB_PARTICIPATION_STATE_CONTRIBUTED)
    trb_participation_set_state (self, TRB_PARTICIPATION_STATE_WAITING_ROUND);
  trb_participation_step_later (self, self->poll_ms);
}

static void
poll_round (TrbParticipation *self)
{
  /* Asked with this computer's address, so that the node says whether the round asks it. */
  trb_client_get_round_async (self->client, self->task, self->cancellable, round_cb,
                              g_object_ref (self));
}

static void
task_cb (GObject      *source,
         GAsyncResult *result,
         gpointer      user_data)
{
  g_autoptr(TrbParticipation) self = user_data;
  g_autoptr(GError) error = NULL;
  g_autoptr(JsonObject) task = NULL;
  g_autofree char *spec_json = NULL;
  TrbTrainerConfig config = { 0 };
  JsonNode *model;

  task = trb_client_json_finish (self->client, result, &error);
  if (!self->running)
    return;
  if (task == NULL)
    {
      trb_participation_fail (self, error);
      return;
    }
  model = json_object_get_member (task, "model");
  if (model == NULL || !JSON_NODE_HOLDS_OBJECT (model))
    {
      trb_participation_fail_literal (self, TRB_PARTICIPATION_ERROR, TRB_PARTICIPATION_ERROR_TASK,
                                      _("The network’s task does not describe its model."));
      return;
    }
  spec_json = json_to_string (model, FALSE);
  g_clear_object (&self->spec);
  self->spec = trb_model_spec_new_from_json (spec_json, -1, &error);
  /* Training settings this app would not apply are refused as soon as the task is read, with
   * the sentence the node gives its operator, before any model is fetched. */
  if (self->spec == NULL || !trb_task_training_config (task, &config, &error))
    {
      trb_participation_fail (self, error);
      return;
    }
  g_clear_pointer (&self->task_obj, json_object_unref);
  self->task_obj = g_steal_pointer (&task);
  step (self);
}

/* Picks up from the state last written. */
static void
step (TrbParticipation *self)
{
  g_autofree char *escaped = NULL;
  g_autofree char *path = NULL;

  if (!self->running)
    return;

  if (self->task_obj == NULL)
    {
      escaped = g_uri_escape_string (self->task, NULL, FALSE);
      path = g_strdup_printf ("/v1/tasks/%s", escaped);
      trb_client_get_json_async (self->client, path, self->cancellable, task_cb,
                                 g_object_ref (self));
      return;
    }

  switch (self->state)
    {
    case TRB_PARTICIPATION_STATE_UPLOADING:
    case TRB_PARTICIPATION_STATE_CONFIRMING:
      if (self->round > self->last_round && self->update_hash != NULL)
        {
          trb_participation_upload (self);
          return;
        }
      trb_participation_set_state (self, TRB_PARTICIPATION_STATE_WAITING_ROUND);
      poll_round (self);
      return;

    case TRB_PARTICIPATION_STATE_PROBLEM:
      /* After a problem, start again from the round's beginning or its upload. */
      if (self->update_hash != NULL && self->round > self->last_round)
        {
          trb_participation_upload (self);
          return;
        }
      poll_round (self);
      return;

    case TRB_PARTICIPATION_STATE_STOPPED:
      self->state = TRB_PARTICIPATION_STATE_WAITING_ROUND;
      poll_round (self);
      return;

    case TRB_PARTICIPATION_STATE_WAITING_ROUND:
    case TRB_PARTICIPATION_STATE_WAITING_SCHEDULER:
    case TRB_PARTICIPATION_STATE_WAITING_DEVICE:
    case TRB_PARTICIPATION_STATE_DOWNLOADING:
    case TRB_PARTICIPATION_STATE_TRAINING:
    case TRB_PARTICIPATION_STATE_CONTRIBUTED:
    default:
      poll_round (self);
      return;
    }
}
