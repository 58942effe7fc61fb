/* trb-contributor-round.c
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * One round of headless participation, as named steps: read the task, wait for a round, download
 * the model, train, build the update (clipping, noise, the dataset commitment), upload it and
 * check its receipt.
 */

#define G_LOG_DOMAIN "trb-contributor"

#include "config.h"

#include "trb-contributor-private.h"

#include <glib/gi18n.h>
#include <math.h>
#include <sodium.h>
#include <string.h>

/**
 * trb_contributor_read_privacy_policy:
 * @task: the task's description
 * @clip_norm: (out): the L2 norm updates are clipped to, 0 for none
 * @noise_multiplier: (out): the noise's standard deviation as a multiple of @clip_norm
 *
 * The task's privacy policy, within sane bounds.
 */
void
trb_contributor_read_privacy_policy (JsonObject *task,
                                     double     *clip_norm,
                                     double     *noise_multiplier)
{
  *clip_norm = CLAMP (trb_client_task_number (task, "privacy_policy", "clip_norm", 0), 0, 1e6);
  *noise_multiplier = CLAMP (trb_client_task_number (task, "privacy_policy", "noise_multiplier",
                                                     0), 0, 100);
}

/* The update is clipped to an L2 norm of @clip, then Gaussian noise of standard deviation
 * @noise × @clip is added to every value. */
static void
apply_privacy_policy (double      clip,
                      double      noise,
                      TrbWeights *update)
{
  guint64 seed;

  if (clip <= 0)
    return;
  trb_weights_clip_norm (update, clip);
  if (noise > 0)
    {
      randombytes_buf (&seed, sizeof seed);
      trb_weights_add_gaussian_noise (update, noise * clip, seed);
    }
}

static char *
dataset_commitment (TrbTrainingSet *data)
{
  g_autofree char *fp = NULL;
  g_autofree char *salt_hex = NULL;
  g_autofree char *material = NULL;
  guint8 salt[16];

  /* A salted commitment to the data's fingerprint: binds the update to the data without
   * revealing anything about it. */
  fp = trb_training_set_compute_digest (data);
  randombytes_buf (salt, sizeof salt);
  salt_hex = g_compute_checksum_for_data (G_CHECKSUM_SHA256, salt, sizeof salt);
  material = g_strconcat (salt_hex, fp, NULL);
  return g_compute_checksum_for_string (G_CHECKSUM_SHA256, material, -1);
}

/* The update as weights with its metadata, not yet serialised. */
static TrbWeights *
build_update_weights (double           clip_norm,
                      double           noise_multiplier,
                      TrbWeights      *trained,
                      TrbWeights      *base,
                      const char      *base_model,
                      TrbTrainingSet  *data,
                      guint            epochs,
                      double           train_loss,
                      GError         **error)
{
  g_autoptr(TrbWeights) delta = NULL;
  g_autofree char *commitment = NULL;
  g_autofree char *samples = NULL;
  g_autofree char *epochs_text = NULL;
  char loss_text[G_ASCII_DTOSTR_BUF_SIZE];

  delta = trb_weights_subtract (trained, base, error);
  if (delta == NULL)
    return NULL;
  apply_privacy_policy (clip_norm, noise_multiplier, delta);

  commitment = dataset_commitment (data);
  samples = g_strdup_printf ("%" G_GSIZE_FORMAT, trb_training_set_get_n_samples (data));
  epochs_text = g_strdup_printf ("%u", epochs);
  g_ascii_formatd (loss_text, sizeof loss_text, "%.6f", train_loss);
  trb_weights_set_metadata (delta, "base_model", base_model);
  trb_weights_set_metadata (delta, "samples", samples);
  trb_weights_set_metadata (delta, "epochs", epochs_text);
  trb_weights_set_metadata (delta, "train_loss", loss_text);
  trb_weights_set_metadata (delta, "dataset_commitment", commitment);
  return g_steal_pointer (&delta);
}

/**
 * trb_contributor_build_update:
 * @clip_norm: the privacy policy's clipping norm (see trb_contributor_read_privacy_policy())
 * @noise_multiplier: and its noise multiplier
 * @trained: the weights after local training
 * @base: the round's model they were trained from
 * @base_model: the content address of @base
 * @data: the data trained on
 * @epochs: the local epochs run
 * @train_loss: the last training loss
 * @error: return location for a #GError
 *
 * What a contributor sends: update = trained − base, clipped and noised by the task's privacy
 * policy, with the base model, sample count, epochs, loss and a salted commitment to the data
 * as metadata, as safetensors. The app's participation loop and the headless contributor both
 * build their updates here. It hashes the whole dataset: call it from a worker thread where a
 * main loop must stay responsive.
 *
 * Returns: (transfer full): the update's bytes, or %NULL when @trained does not match @base
 */
GBytes *
trb_contributor_build_update (double           clip_norm,
                              double           noise_multiplier,
                              TrbWeights      *trained,
                              TrbWeights      *base,
                              const char      *base_model,
                              TrbTrainingSet  *data,
                              guint            epochs,
                              double           train_loss,
                              GError         **error)
{
  g_autoptr(TrbWeights) delta = build_update_weights (clip_norm, noise_multiplier, trained, base,
                                                      base_model, data, epochs, train_loss,
                                                      error);

  return delta != NULL ? trb_weights_to_safetensors (delta) : NULL;
}

static gboolean
save_receipt (TrbContributor  *self,
              JsonObject      *receipt,
              GError         **error)
{
  return trb_store_participation_add_receipt (self->store, self->origin,
                                              json_object_get_int_member (receipt, "leaf_index"),
                                              json_object_get_string_member (receipt, "task"),
                                              json_object_get_int_member (receipt, "round"),
                                              json_object_get_string_member (receipt,
                                                                             "participant"),
                                              json_object_get_string_member (receipt, "update"),
                                              error);
}

/* The task's model and training configuration, with @data checked against the model. */
static JsonObject *
read_task (TrbContributor    *self,
           const char        *task,
           TrbTrainingSet    *data,
           TrbModelSpec     **spec_out,
           TrbTrainerConfig  *config,
           GError           **error)
{
  g_autoptr(JsonObject) task_obj = NULL;
  g_autoptr(TrbModelSpec) spec = NULL;
  g_autofree char *spec_json = NULL;
  TrbDataSource source;
  JsonNode *model_node;

  task_obj = trb_client_get_task_sync (self->client, task, self->cancellable, error);
  if (task_obj == NULL)
    return NULL;
  model_node = json_object_get_member (task_obj, "model");
  if (model_node == NULL || !JSON_NODE_HOLDS_OBJECT (model_node))
    {
      g_set_error_literal (error, TRB_CLIENT_ERROR, TRB_CLIENT_ERROR_PROTOCOL,
                           _("The task does not describe its model."));
      return NULL;
    }
  spec_json = json_to_string (model_node, FALSE);
  spec = trb_model_spec_new_from_json (spec_json, -1, error);
  if (spec == NULL)
    return NULL;
  trb_training_set_get_source (data, &source);
  if (!trb_data_source_check (&source, spec, error) ||
      !trb_task_training_config (task_obj, config, error))
    return NULL;
  *spec_out = g_steal_pointer (&spec);
  return g_steal_pointer (&task_obj);
}

/* Polls the task's round until one later than @after_round accepts updates and asks this
 * participant, for at most @timeout_s. */
static JsonObject *
wait_for_round (TrbContributor  *self,
                const char      *task,
                gint64           after_round,
                guint            timeout_s,
                GError         **error)
{
  gint64 deadline = g_get_monotonic_time () + (gint64) timeout_s * G_USEC_PER_SEC;

  for (;;)
    {
      g_autoptr(JsonObject) round = NULL;
      gint64 round_number;
      const char *state;

      round = trb_client_get_round_sync (self->client, task, self->cancellable, error);
      if (round == NULL)
        return NULL;
      round_number = json_object_get_int_member_with_default (round, "round", 0);
      state = trb_json_get_string (round, "state", "");
      if (round_number > after_round &&
          (g_str_equal (state, "open") || g_str_equal (state, "collecting")))
        {
          /* A round that does not ask this participant is not trained for: the node would
           * refuse the update as `not-selected`. It is asked again, since a round that asks
           * too few to close asks those who joined since (docs/protocol.md, "Who a round
           * asks"). */
          if (trb_client_round_asks (round, trb_client_get_address (self->client)))
            return g_steal_pointer (&round);
        }
      if (g_get_monotonic_time () > deadline)
        {
          g_set_error_literal (error, TRB_CLIENT_ERROR, TRB_CLIENT_ERROR_NETWORK,
                               _("No round opened in time."));
          return NULL;
        }
      if (!trb_client_sleep (200, self->cancellable, error))
        return NULL;
    }
}

/* The round's model, downloaded and made to fit @spec. */
static TrbWeights *
download_model (TrbContributor  *self,
                TrbModelSpec    *spec,
                const char      *model_hash,
                GError         **error)
{
  g_autoptr(GBytes) model_blob = NULL;
  g_autoptr(TrbWeights) downloaded = NULL;

  model_blob = trb_client_download_blob_sync (self->client, model_hash,
                                              trb_model_spec_get_n_parameters (spec) * 4 +
                                              2 * 1024 * 1024, self->cancellable, error);
  if (model_blob == NULL)
    return NULL;
  downloaded = trb_weights_new_from_safetensors (model_blob, error);
  if (downloaded == NULL)
    return NULL;
  return trb_model_spec_conform_weights (spec, downloaded, error);
}

/* Trains on @data from @base with the compute engine and makes the update to upload for round
 * @round_number. */
static GBytes *
train_update (TrbContributor   *self,
              JsonObject       *task_obj,
              TrbModelSpec     *spec,
              TrbTrainerConfig *config,
              TrbWeights       *base,
              const char       *model_hash,
              gint64            round_number,
              TrbTrainingSet   *data,
              GError          **error)
{
  g_autoptr(TrbExecutor) executor = NULL;
  g_autoptr(TrbTrainer) trainer = NULL;
  g_autoptr(TrbWeights) trained = NULL;
  g_autoptr(TrbWeights) update = NULL;
  g_autofree char *cache = trb_executor_choice_dup_cache_path ();
  TrbDataSource source;
  double loss, clip_norm, noise_multiplier;

  executor = trb_executor_new_for_task (spec, config->batch_size, self->device, cache, error);
  if (executor == NULL)
    return NULL;
  if (self->training_seed != 0)
    config->seed = self->training_seed ^
                   ((guint64) round_number * G_GUINT64_CONSTANT (0x9e3779b97f4a7c15));
  else
    config->seed = g_random_int ();
  config->low_priority = TRUE;
  trainer = trb_trainer_new (executor, spec, config);
  trb_training_set_get_source (data, &source);
  trained = trb_trainer_run (trainer, base, &source, self->cancellable, error);
  if (trained == NULL)
    return NULL;
  loss = trb_trainer_get_last_progress (trainer)->loss;
  trb_contributor_read_privacy_policy (task_obj, &clip_norm, &noise_multiplier);
  update = build_update_weights (clip_norm, noise_multiplier, trained, base, model_hash, data,
                                 (guint) config->epochs, loss, error);
  if (update == NULL)
    return NULL;
  if (self->update_hook != NULL)
    self->update_hook (update, round_number, self->update_hook_data);
  return trb_weights_to_safetensors (update);
}

/* Uploads @update and checks the node's signed receipt for it; on `duplicate`, fetches and
 * checks the receipt of the update the node holds already. */
static gboolean
upload_update (TrbContributor  *self,
               const char      *task,
               gint64           round_number,
               GBytes          *update,
               GError         **error)
{
  g_autofree char *hash = g_compute_checksum_for_bytes (G_CHECKSUM_SHA256, update);
  g_autoptr(JsonObject) receipt = NULL;
  g_autoptr(GError) local_error = NULL;

  receipt = trb_client_upload_update_sync (self->client, task, round_number, update,
                                           self->cancellable, &local_error);
  if (receipt == NULL && trb_client_error_get_duplicate_update (local_error) != NULL)
    {
      /* The node holds an update of ours for this round already: one whose receipt was lost
       * (the process was stopped after the node stored it). Its receipt, fetched again, is
       * checked as any other. */
      g_free (hash);
      hash = g_strdup (trb_client_error_get_duplicate_update (local_error));
      g_clear_error (&local_error);
      receipt = trb_client_get_receipt_sync (self->client, task, round_number, hash,
                                             self->cancellable, &local_error);
    }
  if (receipt == NULL)
    {
      g_propagate_error (error, g_steal_pointer (&local_error));
      return FALSE;
    }
  if (!trb_client_verify_receipt (receipt, self->ledger_public_key, error))
    return trb_contributor_mark_compromised (self, error, _("a receipt was not signed by its key"));
  if (g_strcmp0 (json_object_get_string_member (receipt, "update"), hash) != 0 ||
      g_strcmp0 (json_object_get_string_member (receipt, "participant"),
                 trb_client_get_address (self->client)) != 0 ||
      g_strcmp0 (trb_json_get_string (receipt, "task", NULL), task) != 0 ||
      json_object_get_int_member_with_default (receipt, "round", 0) != round_number)
    return trb_contributor_mark_compromised (self, error, _("a receipt names another update"));
  return save_receipt (self, receipt, error);
}

/**
 * trb_contributor_contribute:
 * @self: a contributor that joined
 * @task: the task
 * @data: the local data set
 * @after_round: only take part in a round later than this one
 * @timeout_s: give up waiting for such a round after this many seconds
 * @error: return location for an error
 *
 * Waits for a round open to updates, trains on @data from the round's model, uploads the update
 * and checks the node's signed receipt. It blocks, and ends with %G_IO_ERROR_CANCELLED soon after
 * the contributor's cancellable is cancelled.
 *
 * Returns: the round contributed to, or 0 with @error set
 */
gint64
trb_contributor_contribute (TrbContributor  *self,
                            const char      *task,
                            TrbTrainingSet  *data,
                            gint64           after_round,
                            guint            timeout_s,
                            GError         **error)
{
  g_autoptr(JsonObject) task_obj = NULL;
  g_autoptr(JsonObject) round = NULL;
  g_autoptr(TrbModelSpec) spec = NULL;
  g_autoptr(TrbWeights) base = NULL;
  g_autoptr(GBytes) update = NULL;
  TrbTrainerConfig config = { 0 };
  const char *model_hash;
  gint64 round_number;

  g_return_val_if_fail (TRB_IS_CONTRIBUTOR (self), 0);
  g_return_val_if_fail (task != NULL && data != NULL, 0);

  if (self->compromised)
    {
      trb_contributor_mark_compromised (self, error, trb_contributor_caught_before (self));
      return 0;
    }
  task_obj = read_task (self, task, data, &spec, &config, error);
  if (task_obj == NULL)
    return 0;
  round = wait_for_round (self, task, after_round, timeout_s, error);
  if (round == NULL)
    return 0;
  round_number = json_object_get_int_member_with_default (round, "round", 0);
  model_hash = trb_json_get_string (round, "model", "");
  base = download_model (self, spec, model_hash, error);
  if (base == NULL)
    return 0;
  update = train_update (self, task_obj, spec, &config, base, model_hash, round_number, data,
                         error);
  if (update == NULL ||
      g_cancellable_set_error_if_cancelled (self->cancellable, error) ||
      !upload_update (self, task, round_number, update, error))
    return 0;
  return round_number;
}
