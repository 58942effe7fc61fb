/* trb-history-evaluation.c
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * "Evaluate on My Data": a model version named by the verified ledger is downloaded, checked
 * against the hash the ledger records, and run on local data with the compute engine's CPU
 * executor, in a worker thread. The ledger copy it reads is trb-history.c's.
 */

#define G_LOG_DOMAIN "trb-history"

#include "config.h"

#include "trb-history.h"

#include <glib/gi18n.h>

#include "compute/trb-model-spec.h"
#include "compute/trb-trainer.h"
#include "compute/trb-weights.h"
#include "net/trb-client.h"
#include "net/trb-training-set.h"
#include "participant/trb-history-private.h"
#include "trb-json.h"

/* ---- downloading a verified model version ------------------------------------------------------------------------- */

/* Limits on local evaluation. */
#define MAX_EVALUATION_SAMPLES 100000

/**
 * trb_history_download_model:
 * @self: the history
 * @client: a client for the network
 * @origin: the network
 * @model: the SHA-256 of a model version in the verified ledger
 * @cancellable: (nullable): a cancellable
 * @error: return location for an error
 *
 * Downloads a model version (safetensors) named by a verified ledger entry, and checks that its
 * SHA-256 is the one the ledger records. It blocks: call it from a worker thread.
 *
 * Returns: (transfer full): the weights, or %NULL on error
 */
GBytes *
trb_history_download_model (TrbHistory    *self,
                            TrbClient     *client,
                            const char    *origin,
                            const char    *model,
                            GCancellable  *cancellable,
                            GError       **error)
{
  g_autoptr(GBytes) blob = NULL;
  g_autofree char *digest = NULL;
  gboolean verified;

  g_return_val_if_fail (TRB_IS_HISTORY (self), NULL);
  g_return_val_if_fail (TRB_IS_CLIENT (client), NULL);
  g_return_val_if_fail (origin != NULL && model != NULL, NULL);

  if (!trb_history_is_verified_model (self, origin, model, &verified, error))
    return NULL;
  if (!verified)
    {
      g_set_error_literal (error, TRB_HISTORY_ERROR, TRB_HISTORY_ERROR_PROTOCOL,
                           _("This model version is not in the verified ledger."));
      return NULL;
    }
  blob = trb_client_download_blob_sync (client, model, TRB_CLIENT_MAX_BLOB, cancellable, error);
  if (blob == NULL)
    return NULL;
  digest = g_compute_checksum_for_bytes (G_CHECKSUM_SHA256, blob);
  if (!g_str_equal (digest, model))
    {
      g_set_error_literal (error, TRB_HISTORY_ERROR, TRB_HISTORY_ERROR_PROTOCOL,
                           _("The network sent a different file than the model version the "
                             "ledger records."));
      return NULL;
    }
  return g_steal_pointer (&blob);
}

/**
 * trb_history_evaluate:
 * @self: the history
 * @origin: the network
 * @task: the task the model belongs to
 * @weights: the model version (safetensors)
 * @idx_images: a local IDX images file, its labels beside it
 * @max_samples: the most samples to evaluate, 0 for the limit
 * @accuracy: (out): the share of samples classified right, 0…1
 * @cancellable: (nullable): a cancellable, checked while the data loads and between batches
 * @error: return location for an error
 *
 * Runs a model version on local data with the compute engine's CPU executor. Slow: call it
 * from a worker thread (see trb_history_evaluate_async()). Once @cancellable is cancelled it
 * ends within a batch, with %G_IO_ERROR_CANCELLED.
 *
 * Returns: %TRUE on success
 */
gboolean
trb_history_evaluate (TrbHistory   *self,
                      const char   *origin,
                      const char   *task,
                      GBytes       *weights,
                      const char   *idx_images,
                      gsize         max_samples,
                      double       *accuracy,
                      GCancellable *cancellable,
                      GError      **error)
{
  g_autofree char *task_json = NULL;
  g_autoptr(JsonParser) parser = json_parser_new ();
  g_autoptr(TrbModelSpec) spec = NULL;
  g_autoptr(TrbWeights) parsed = NULL;
  g_autoptr(TrbTrainingSet) data = NULL;
  g_autofree char *spec_json = NULL;
  TrbDataSource source;
  TrbEvaluation evaluation;
  JsonNode *root, *model;

  g_return_val_if_fail (TRB_IS_HISTORY (self), FALSE);
  g_return_val_if_fail (origin != NULL && task != NULL && weights != NULL, FALSE);
  g_return_val_if_fail (idx_images != NULL && accuracy != NULL, FALSE);

  if (!trb_history_dup_task_json (self, origin, task, &task_json, error))
    return FALSE;
  if (task_json == NULL || !trb_json_parser_load_bounded (parser, task_json, -1, NULL) ||
      (root = json_parser_get_root (parser)) == NULL || !JSON_NODE_HOLDS_OBJECT (root) ||
      (model = json_object_get_member (json_node_get_object (root), "model")) == NULL)
    {
      g_set_error_literal (error, TRB_HISTORY_ERROR, TRB_HISTORY_ERROR_PROTOCOL,
                           _("The task’s model description is not known yet."));
      return FALSE;
    }
  spec_json = json_to_string (model, FALSE);
  spec = trb_model_spec_new_from_json (spec_json, -1, error);
  if (spec == NULL)
    return FALSE;
  parsed = trb_weights_new_from_safetensors (weights, error);
  if (parsed == NULL)
    return FALSE;
  data = trb_training_set_load (idx_images, 0, 1,
                                max_samples > 0 ? MIN (max_samples, MAX_EVALUATION_SAMPLES)
                                                : MAX_EVALUATION_SAMPLES, cancellable, error);
  if (data == NULL)
    return FALSE;
  trb_training_set_get_source (data, &source);
  if (!trb_evaluate_on_cpu (spec, parsed, &source, &evaluation, cancellable, error))
    return FALSE;
  *accuracy = evaluation.accuracy;
  return TRUE;
}

typedef struct
{
  char *origin;
  char *task;
  char *model;
  char *images;
} BenefitData;

static void
benefit_data_free (BenefitData *data)
{
  g_free (data->origin);
  g_free (data->task);
  g_free (data->model);
  g_free (data->images);
  g_free (data);
}

static GBytes *
download_in_thread (TrbHistory    *self,
                    BenefitData   *data,
                    GCancellable  *cancellable,
                    GError       **error)
{
  g_autofree char *url = trb_history_dup_network_url (self, data->origin, error);
  g_autoptr(TrbClient) client = NULL;

  if (url == NULL)
    return NULL;
  client = trb_client_new (url);
  return trb_history_download_model (self, client, data->origin, data->model, cancellable, error);
}

static void
download_thread (GTask        *task,
                 gpointer      source_object,
                 gpointer      task_data,
                 GCancellable *cancellable)
{
  GError *error = NULL;
  GBytes *blob = download_in_thread (source_object, task_data, cancellable, &error);

  if (blob != NULL)
    g_task_return_pointer (task, blob, (GDestroyNotify) g_bytes_unref);
  else
    g_task_return_error (task, error);
}

/**
 * trb_history_download_model_async:
 *
 * Runs trb_history_download_model() in a worker thread.
 */
void
trb_history_download_model_async (TrbHistory          *self,
                                  const char          *origin,
                                  const char          *model,
                                  GCancellable        *cancellable,
                                  GAsyncReadyCallback  callback,
                                  gpointer             user_data)
{
  g_autoptr(GTask) task = NULL;
  BenefitData *data;

  g_return_if_fail (TRB_IS_HISTORY (self));

  data = g_new0 (BenefitData, 1);
  data->origin = g_strdup (origin);
  data->model = g_strdup (model);
  task = g_task_new (self, cancellable, callback, user_data);
  g_task_set_source_tag (task, trb_history_download_model_async);
  g_task_set_task_data (task, data, (GDestroyNotify) benefit_data_free);
  g_task_run_in_thread (task, download_thread);
}

GBytes *
trb_history_download_model_finish (TrbHistory    *self,
                                   GAsyncResult  *result,
                                   GError       **error)
{
  g_return_val_if_fail (g_task_is_valid (result, self), NULL);
  return g_task_propagate_pointer (G_TASK (result), error);
}

static void
evaluate_thread (GTask        *task,
                 gpointer      source_object,
                 gpointer      task_data,
                 GCancellable *cancellable)
{
  BenefitData *data = task_data;
  GError *error = NULL;
  g_autoptr(GBytes) blob = download_in_thread (source_object, data, cancellable, &error);
  double accuracy = 0;

  if (blob == NULL || g_cancellable_set_error_if_cancelled (cancellable, &error) ||
      !trb_history_evaluate (source_object, data->origin, data->task, blob, data->images, 0,
                             &accuracy, cancellable, &error))
    {
      g_task_return_error (task, error);
      return;
    }
  g_task_return_pointer (task, g_memdup2 (&accuracy, sizeof accuracy), g_free);
}

/**
 * trb_history_evaluate_async:
 * @self: the history
 * @origin: the network
 * @task: the task
 * @model: the model version's hash
 * @idx_images: a local IDX images file, its labels beside it
 * @cancellable: (nullable): a cancellable
 * @callback: called when done
 * @user_data: data for @callback
 *
 * Downloads a verified model version and evaluates it on local data, off the main thread.
 */
void
trb_history_evaluate_async (TrbHistory          *self,
                            const char          *origin,
                            const char          *task,
                            const char          *model,
                            const char          *idx_images,
                            GCancellable        *cancellable,
                            GAsyncReadyCallback  callback,
                            gpointer             user_data)
{
  g_autoptr(GTask) gtask = NULL;
  BenefitData *data;

  g_return_if_fail (TRB_IS_HISTORY (self));

  data = g_new0 (BenefitData, 1);
  data->origin = g_strdup (origin);
  data->task = g_strdup (task);
  data->model = g_strdup (model);
  data->images = g_strdup (idx_images);
  gtask = g_task_new (self, cancellable, callback, user_data);
  g_task_set_source_tag (gtask, trb_history_evaluate_async);
  g_task_set_task_data (gtask, data, (GDestroyNotify) benefit_data_free);
  g_task_run_in_thread (gtask, evaluate_thread);
}

/**
 * trb_history_evaluate_finish:
 *
 * Returns: the accuracy, 0…1, or a negative value with @error set
 */
double
trb_history_evaluate_finish (TrbHistory    *self,
                             GAsyncResult  *result,
                             GError       **error)
{
  g_autofree double *accuracy = NULL;

  g_return_val_if_fail (g_task_is_valid (result, self), -1);
  accuracy = g_task_propagate_pointer (G_TASK (result), error);
  return accuracy != NULL ? *accuracy : -1;
}
