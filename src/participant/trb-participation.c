/* trb-participation.c
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * One joined network's participation loop: the object, its properties and settings, starting and
 * stopping it, and what it tells of itself. Every step is asynchronous; every state change is
 * written to the store (component "participation") before the step it announces starts, so
 * that a participant killed at any point resumes where it was: a half-trained round continues
 * from the trainer's checkpoint, and an update whose receipt never arrived is sent again (the
 * node answers a repeated update, keyed by its hash, with the same receipt). The loop's parts:
 * trb-participation-state.c (what is written down), trb-participation-round.c (waiting for a
 * round, downloading, training), trb-participation-upload.c (the update built, sent and
 * confirmed), trb-participation-problems.c (failures and refusals), trb-participation-status.c
 * (the loop in plain words).
 */

#define G_LOG_DOMAIN "trb-participation"

#include "config.h"

#include "trb-participation-private.h"

#include <glib/gi18n.h>
#include <glib/gstdio.h>
#include <string.h>

G_DEFINE_FINAL_TYPE (TrbParticipation, trb_participation, G_TYPE_OBJECT)

enum {
  SIGNAL_EVENT,
  N_SIGNALS
};

static GParamSpec *properties[N_PROPS];
static guint signals[N_SIGNALS];

G_DEFINE_QUARK (trb-participation-error-quark, trb_participation_error)

/* Tells that @prop changed; for the loop's files, which do not see the property table. */
void
trb_participation_notify (TrbParticipation    *self,
                          TrbParticipationProp prop)
{
  g_object_notify_by_pspec (G_OBJECT (self), properties[prop]);
}

/* Emits TrbParticipation::event. */
void
trb_participation_emit_event (TrbParticipation *self,
                              const char       *kind,
                              const char       *message)
{
  g_signal_emit (self, signals[SIGNAL_EVENT], 0, kind, message);
}

static void
trb_participation_dispose (GObject *object)
{
  TrbParticipation *self = TRB_PARTICIPATION (object);

  self->running = FALSE;
  g_cancellable_cancel (self->cancellable);
  g_clear_handle_id (&self->timeout_id, g_source_remove);
  if (self->queue != NULL)
    trb_device_queue_withdraw (self->queue, self);
  if (self->scheduler != NULL)
    {
      g_clear_signal_handler (&self->decision_id, self->scheduler);
      g_clear_signal_handler (&self->preset_id, self->scheduler);
    }
  g_clear_object (&self->scheduler);
  g_clear_object (&self->queue);
  g_clear_object (&self->trainer);
  g_clear_object (&self->executor);

  G_OBJECT_CLASS (trb_participation_parent_class)->dispose (object);
}

static void
trb_participation_finalize (GObject *object)
{
  TrbParticipation *self = TRB_PARTICIPATION (object);

  g_clear_object (&self->store);
  g_clear_error (&self->store_error);
  g_clear_object (&self->history);
  g_clear_object (&self->client);
  g_clear_object (&self->keypair);
  g_clear_object (&self->cancellable);
  g_clear_object (&self->spec);
  g_clear_object (&self->base);
  g_clear_pointer (&self->task_obj, json_object_unref);
  g_clear_object (&self->data);
  g_free (self->origin);
  g_free (self->task);
  g_free (self->dataset_path);
  g_free (self->data_path);
  g_free (self->trained_on);
  g_free (self->device);
  g_free (self->work_dir);
  g_free (self->model);
  g_free (self->update_hash);
  g_free (self->problem);

  G_OBJECT_CLASS (trb_participation_parent_class)->finalize (object);
}

static void
trb_participation_get_property (GObject    *object,
                                guint       prop_id,
                                GValue     *value,
                                GParamSpec *pspec)
{
  TrbParticipation *self = TRB_PARTICIPATION (object);

  switch (prop_id)
    {
    case PROP_STATE:
      g_value_set_int (value, self->state);
      break;
    case PROP_ROUND:
      g_value_set_int64 (value, self->round);
      break;
    case PROP_PROGRESS:
      g_value_set_double (value, self->progress);
      break;
    case PROP_LAST_CONTRIBUTED:
      g_value_set_int64 (value, self->last_round);
      break;
    case PROP_STATUS:
      g_value_take_string (value, trb_participation_dup_status (self));
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
trb_participation_class_init (TrbParticipationClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->dispose = trb_participation_dispose;
  object_class->finalize = trb_participation_finalize;
  object_class->get_property = trb_participation_get_property;

  properties[PROP_STATE] =
    g_param_spec_int ("state", NULL, NULL, 0, TRB_PARTICIPATION_STATE_STOPPED, 0,
                      G_PARAM_READABLE | G_PARAM_STATIC_STRINGS);
  properties[PROP_ROUND] =
    g_param_spec_int64 ("round", NULL, NULL, 0, G_MAXINT64, 0,
                        G_PARAM_READABLE | G_PARAM_STATIC_STRINGS);
  properties[PROP_PROGRESS] =
    g_param_spec_double ("progress", NULL, NULL, 0, 1, 0,
                         G_PARAM_READABLE | G_PARAM_STATIC_STRINGS);
  properties[PROP_LAST_CONTRIBUTED] =
    g_param_spec_int64 ("last-contributed", NULL, NULL, 0, G_MAXINT64, 0,
                        G_PARAM_READABLE | G_PARAM_STATIC_STRINGS);
  properties[PROP_STATUS] =
    g_param_spec_string ("status", NULL, NULL, NULL, G_PARAM_READABLE | G_PARAM_STATIC_STRINGS);
  g_object_class_install_properties (object_class, N_PROPS, properties);

  /**
   * TrbParticipation::event:
   * @kind: "round", "contributed", "round-missed" or "problem"
   * @message: plain words, already logged in the store
   */
  signals[SIGNAL_EVENT] =
    g_signal_new ("event", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST, 0, NULL, NULL, NULL,
                  G_TYPE_NONE, 2, G_TYPE_STRING, G_TYPE_STRING);
}

static void
trb_participation_init (TrbParticipation *self)
{
  self->cancellable = g_cancellable_new ();
  self->device = g_strdup ("cpu");
  self->poll_ms = 2000;
  self->retry_base_s = 30;
  self->eta_seconds = -1;
  self->resumed_epoch = -1;
  self->seen_counts.updates = -1;
  self->seen_counts.min_updates = -1;
  self->seen_counts.max_updates = -1;
}

/**
 * trb_participation_new:
 * @store: the local store, migrated with trb_participation_migrate()
 * @client: a client for the network, with the wallet's key set
 * @origin: the network's origin (its ledger name)
 * @ledger_key: (nullable): the pinned ledger key (a note verifier key); receipts are checked
 *   against it
 * @task: the task to train
 * @dataset_path: the local data (an IDX image file)
 *
 * Returns: (transfer full): a participation, stopped; its state is read from the store
 */
TrbParticipation *
trb_participation_new (TrbStore   *store,
                       TrbClient  *client,
                       const char *origin,
                       const char *ledger_key,
                       const char *task,
                       const char *dataset_path)
{
  TrbParticipation *self;
  g_autofree char *origin_hash = NULL;
  g_autofree char *store_dir = NULL;

  g_return_val_if_fail (TRB_IS_STORE (store), NULL);
  g_return_val_if_fail (TRB_IS_CLIENT (client), NULL);
  g_return_val_if_fail (origin != NULL && task != NULL && dataset_path != NULL, NULL);

  self = g_object_new (TRB_TYPE_PARTICIPATION, NULL);
  self->store = g_object_ref (store);
  self->client = g_object_ref (client);
  self->origin = g_strdup (origin);
  self->task = g_strdup (task);
  self->dataset_path = g_strdup (dataset_path);

  if (ledger_key != NULL)
    {
      g_autoptr(TrbNoteVerifier) verifier = trb_note_verifier_new_from_string (ledger_key, NULL);

      if (verifier != NULL && trb_note_verifier_get_key_type (verifier) == TRB_NOTE_KEY_ED25519)
        {
          memcpy (self->ledger_public_key, trb_note_verifier_get_public_key (verifier), 32);
          self->have_key = TRUE;
        }
    }

  origin_hash = g_compute_checksum_for_string (G_CHECKSUM_SHA256, origin, -1);
  store_dir = g_path_get_dirname (trb_store_get_path (store));
  self->work_dir = g_build_filename (store_dir, "participation", origin_hash, NULL);
  g_mkdir_with_parents (self->work_dir, 0700);

  {
    g_autoptr(GError) error = NULL;

    if (!trb_participation_load_state (self, &error))
      {
        self->load_failed = TRUE;
        trb_participation_store_failed (self, error);
      }
  }
  return self;
}

void
trb_participation_set_scheduler (TrbParticipation *self,
                                 TrbScheduler     *scheduler)
{
  g_return_if_fail (TRB_IS_PARTICIPATION (self));

  if (self->scheduler != NULL)
    {
      g_clear_signal_handler (&self->decision_id, self->scheduler);
      g_clear_signal_handler (&self->preset_id, self->scheduler);
    }
  g_set_object (&self->scheduler, scheduler);
  if (scheduler != NULL)
    {
      self->decision_id =
        g_signal_connect_swapped (scheduler, "notify::decision",
                                  G_CALLBACK (trb_participation_decision_changed_cb), self);
      self->preset_id =
        g_signal_connect_swapped (scheduler, "notify::preset",
                                  G_CALLBACK (trb_participation_apply_preset), self);
    }
  trb_participation_apply_preset (self);
}

void
trb_participation_set_device_queue (TrbParticipation *self,
                                    TrbDeviceQueue   *queue)
{
  g_return_if_fail (TRB_IS_PARTICIPATION (self));
  g_set_object (&self->queue, queue);
}

/**
 * trb_participation_set_device:
 * @self: a participation
 * @device: (nullable): "cpu" (the default), "auto" or "vulkan:N"
 */
void
trb_participation_set_device (TrbParticipation *self,
                              const char       *device)
{
  g_return_if_fail (TRB_IS_PARTICIPATION (self));
  g_free (self->device);
  self->device = g_strdup (device != NULL ? device : "cpu");
}

/**
 * trb_participation_set_verification:
 * @self: a participation
 * @keypair: (nullable): the wallet's key, to check the ledger after each round with a client of
 *   its own; %NULL checks only the receipt's signature
 * @cosign: whether to cosign each checkpoint verified (witness)
 */
void
trb_participation_set_verification (TrbParticipation *self,
                                    TrbKeypair       *keypair,
                                    gboolean          cosign)
{
  g_return_if_fail (TRB_IS_PARTICIPATION (self));
  g_set_object (&self->keypair, keypair);
  self->cosign = cosign;
}

void
trb_participation_set_poll_interval (TrbParticipation *self,
                                     guint             ms)
{
  g_return_if_fail (TRB_IS_PARTICIPATION (self));
  self->poll_ms = CLAMP (ms, 10, 60 * 60 * 1000);
}

void
trb_participation_set_retry_base (TrbParticipation *self,
                                  guint             seconds)
{
  g_return_if_fail (TRB_IS_PARTICIPATION (self));
  self->retry_base_s = CLAMP (seconds, 1, TRB_PARTICIPATION_MAX_RETRY_SECONDS);
}

/**
 * trb_participation_set_max_samples:
 * @self: a participation
 * @max_samples: train on at most this many samples; 0 for all
 */
void
trb_participation_set_max_samples (TrbParticipation *self,
                                   gsize             max_samples)
{
  g_return_if_fail (TRB_IS_PARTICIPATION (self));
  self->max_samples = max_samples;
}

/**
 * trb_participation_request_round_now:
 * @self: a participation
 *
 * Joining is a request to contribute now: the next round this network takes part in runs even
 * where the scheduler would wait for the computer to be idle or for the training hours, at the
 * Light preset while it would. Pauses (the person's, on battery, in power-saver mode, on a
 * metered connection) still hold. Rounds after it follow the scheduler again.
 */
void
trb_participation_request_round_now (TrbParticipation *self)
{
  g_return_if_fail (TRB_IS_PARTICIPATION (self));

  self->round_now = TRUE;
  if (self->running && self->state == TRB_PARTICIPATION_STATE_WAITING_SCHEDULER &&
      trb_participation_scheduler_allows (self))
    trb_participation_step_later (self, 0);
}

/**
 * trb_participation_get_round_now:
 * @self: a participation
 *
 * Returns: whether the round asked for by trb_participation_request_round_now() is still to
 *   be contributed
 */
gboolean
trb_participation_get_round_now (TrbParticipation *self)
{
  g_return_val_if_fail (TRB_IS_PARTICIPATION (self), FALSE);
  return self->round_now;
}

/**
 * trb_participation_start:
 * @self: a participation
 *
 * Starts or resumes the loop from the state in the store.
 */
void
trb_participation_start (TrbParticipation *self)
{
  g_return_if_fail (TRB_IS_PARTICIPATION (self));

  if (self->running)
    return;
  if (g_cancellable_is_cancelled (self->cancellable))
    {
      g_clear_object (&self->cancellable);
      self->cancellable = g_cancellable_new ();
    }
  /* After a failed write, starting again tries again; after a failed read, only once the
   * state written down can be read. */
  if (self->load_failed)
    {
      g_autoptr(GError) error = NULL;

      if (!trb_participation_load_state (self, &error))
        {
          trb_participation_store_failed (self, error);
          return;
        }
      self->load_failed = FALSE;
    }
  g_clear_error (&self->store_error);
  self->running = TRUE;
  if (self->state == TRB_PARTICIPATION_STATE_PROBLEM)
    {
      gint64 wait = self->retry_at - g_get_real_time () / G_USEC_PER_SEC;

      trb_participation_step_later (self, (guint) CLAMP (wait, 0,
                                                         TRB_PARTICIPATION_MAX_RETRY_SECONDS)
                                          * 1000);
      return;
    }
  trb_participation_step_later (self, 0);
}

/**
 * trb_participation_stop:
 * @self: a participation
 *
 * Stops the loop; what was in progress is kept (the trainer's checkpoint, the update not yet
 * confirmed) and goes on at the next trb_participation_start().
 */
void
trb_participation_stop (TrbParticipation *self)
{
  g_return_if_fail (TRB_IS_PARTICIPATION (self));

  self->running = FALSE;
  g_cancellable_cancel (self->cancellable);
  g_clear_handle_id (&self->timeout_id, g_source_remove);
  if (self->queue != NULL)
    trb_device_queue_withdraw (self->queue, self);
  self->holds_device = FALSE;
  g_clear_object (&self->trainer);
  g_clear_object (&self->executor);
  trb_participation_notify_status (self);
}

const char *
trb_participation_get_origin (TrbParticipation *self)
{
  g_return_val_if_fail (TRB_IS_PARTICIPATION (self), NULL);
  return self->origin;
}

const char *
trb_participation_get_task (TrbParticipation *self)
{
  g_return_val_if_fail (TRB_IS_PARTICIPATION (self), NULL);
  return self->task;
}

const char *
trb_participation_get_dataset_path (TrbParticipation *self)
{
  g_return_val_if_fail (TRB_IS_PARTICIPATION (self), NULL);
  return self->dataset_path;
}

/**
 * trb_participation_set_dataset_path:
 * @self: a participation
 * @dataset_path: the local data to train on from the next round
 *
 * A round already training goes on with the data it read; the next one reads @dataset_path.
 * Recording the choice in the store is trb_participation_manager_change_dataset_async()'s part.
 */
void
trb_participation_set_dataset_path (TrbParticipation *self,
                                    const char       *dataset_path)
{
  g_return_if_fail (TRB_IS_PARTICIPATION (self));
  g_return_if_fail (dataset_path != NULL);

  g_free (self->dataset_path);
  self->dataset_path = g_strdup (dataset_path);
}

TrbParticipationState
trb_participation_get_state (TrbParticipation *self)
{
  g_return_val_if_fail (TRB_IS_PARTICIPATION (self), TRB_PARTICIPATION_STATE_STOPPED);
  return self->state;
}

gint64
trb_participation_get_round (TrbParticipation *self)
{
  g_return_val_if_fail (TRB_IS_PARTICIPATION (self), 0);
  return self->round;
}

gint64
trb_participation_get_last_contributed (TrbParticipation *self)
{
  g_return_val_if_fail (TRB_IS_PARTICIPATION (self), 0);
  return self->last_round;
}

double
trb_participation_get_progress (TrbParticipation *self)
{
  g_return_val_if_fail (TRB_IS_PARTICIPATION (self), 0);
  return self->progress;
}

/**
 * trb_participation_get_resumed_epoch:
 * @self: a participation
 *
 * Returns: the epoch (0-based) the last training resumed at from its checkpoint, or -1
 */
int
trb_participation_get_resumed_epoch (TrbParticipation *self)
{
  g_return_val_if_fail (TRB_IS_PARTICIPATION (self), -1);
  return self->resumed_epoch;
}

const char *
trb_participation_get_problem (TrbParticipation *self)
{
  g_return_val_if_fail (TRB_IS_PARTICIPATION (self), NULL);
  return self->problem;
}

/**
 * trb_participation_get_n_uploads:
 * @self: a participation
 *
 * Returns: how many times this object sent an update (a repeat after a lost reply counts)
 */
guint
trb_participation_get_n_uploads (TrbParticipation *self)
{
  g_return_val_if_fail (TRB_IS_PARTICIPATION (self), 0);
  return self->n_uploads;
}

/**
 * trb_participation_get_credited_points:
 * @self: a participation
 *
 * The reward points the ledger credited to this participant and this object verified since
 * it was made, in thousandths of a point; a "reward" event follows each increase.
 *
 * Returns: the points credited, in thousandths
 */
gint64
trb_participation_get_credited_points (TrbParticipation *self)
{
  g_return_val_if_fail (TRB_IS_PARTICIPATION (self), 0);
  return self->credited_points;
}

/**
 * trb_participation_get_job_device:
 * @self: a participation
 * @vulkan_name: (out) (optional) (transfer none): the Vulkan device's name, or %NULL when the
 *   job runs on the processor
 *
 * Says where this network's training runs now, for "Training on the processor".
 *
 * Returns: %TRUE while training runs, %FALSE otherwise
 */
gboolean
trb_participation_get_job_device (TrbParticipation  *self,
                                  const char       **vulkan_name)
{
  const char *name = NULL;

  g_return_val_if_fail (TRB_IS_PARTICIPATION (self), FALSE);

  if (self->executor == NULL)
    return FALSE;
  if (TRB_IS_VULKAN_EXECUTOR (self->executor))
    {
      TrbVulkanExecutor *vk = TRB_VULKAN_EXECUTOR (self->executor);

      name = trb_vulkan_context_get_info (trb_vulkan_executor_get_context (vk))->name;
    }
  if (vulkan_name != NULL)
    *vulkan_name = name;
  return TRUE;
}

/**
 * trb_participation_get_last_job_device:
 * @self: a participation
 * @vulkan_name: (out) (optional) (transfer none): the Vulkan device's name, or %NULL when the
 *   last round trained on the processor
 *
 * Says where this network's last round trained, for "Contributed to round 3 on the processor".
 *
 * Returns: %TRUE once a round trained since the loop started
 */
gboolean
trb_participation_get_last_job_device (TrbParticipation  *self,
                                       const char       **vulkan_name)
{
  g_return_val_if_fail (TRB_IS_PARTICIPATION (self), FALSE);

  if (vulkan_name != NULL)
    *vulkan_name = self->trained_on;
  return self->trained_here;
}

/**
 * trb_participation_get_model_spec:
 * @self: a participation
 *
 * Returns: (transfer none) (nullable): the model of the network's task, once it was read
 */
TrbModelSpec *
trb_participation_get_model_spec (TrbParticipation *self)
{
  g_return_val_if_fail (TRB_IS_PARTICIPATION (self), NULL);
  return self->spec;
}

/**
 * trb_participation_get_batch_size:
 * @self: a participation
 *
 * Returns: the batch size of the network's task (32 until the task was read)
 */
int
trb_participation_get_batch_size (TrbParticipation *self)
{
  TrbTrainerConfig config = { 0 };

  g_return_val_if_fail (TRB_IS_PARTICIPATION (self), TRB_TASK_DEFAULT_BATCH_SIZE);
  if (self->task_obj == NULL ||
      !trb_task_training_config (self->task_obj, &config, NULL))
    return TRB_TASK_DEFAULT_BATCH_SIZE;
  return config.batch_size;
}
