/* trb-executor.c
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#define G_LOG_DOMAIN "trb-executor"

#include "config.h"

#include "trb-executor.h"

#include <glib/gi18n.h>
#include <string.h>

G_DEFINE_INTERFACE (TrbExecutor, trb_executor, G_TYPE_OBJECT)

static void
trb_executor_default_init (TrbExecutorInterface *iface)
{
}

const char *
trb_executor_get_name (TrbExecutor *self)
{
  g_return_val_if_fail (TRB_IS_EXECUTOR (self), NULL);
  return TRB_EXECUTOR_GET_IFACE (self)->get_name (self);
}

gboolean
trb_executor_prepare (TrbExecutor   *self,
                      TrbModelSpec  *spec,
                      int            max_batch,
                      GError       **error)
{
  g_return_val_if_fail (TRB_IS_EXECUTOR (self), FALSE);
  g_return_val_if_fail (TRB_IS_MODEL_SPEC (spec), FALSE);

  if (max_batch < 1 || max_batch > 65536)
    {
      g_set_error (error, TRB_COMPUTE_ERROR, TRB_COMPUTE_ERROR_INVALID_DATA,
                   _("The batch size must be between 1 and 65,536."));
      return FALSE;
    }
  return TRB_EXECUTOR_GET_IFACE (self)->prepare (self, spec, max_batch, error);
}

gboolean
trb_executor_set_weights (TrbExecutor  *self,
                          TrbWeights   *params,
                          TrbWeights   *optimizer_state,
                          GError      **error)
{
  g_return_val_if_fail (TRB_IS_EXECUTOR (self), FALSE);
  g_return_val_if_fail (TRB_IS_WEIGHTS (params), FALSE);
  return TRB_EXECUTOR_GET_IFACE (self)->set_weights (self, params, optimizer_state, error);
}

/**
 * trb_executor_get_weights:
 *
 * Returns: (transfer full): a copy of the current parameters
 */
TrbWeights *
trb_executor_get_weights (TrbExecutor *self)
{
  g_return_val_if_fail (TRB_IS_EXECUTOR (self), NULL);
  return TRB_EXECUTOR_GET_IFACE (self)->get_weights (self);
}

/**
 * trb_executor_get_optimizer_state:
 *
 * Returns: (transfer full): a copy of the optimizer state
 */
TrbWeights *
trb_executor_get_optimizer_state (TrbExecutor *self)
{
  g_return_val_if_fail (TRB_IS_EXECUTOR (self), NULL);
  return TRB_EXECUTOR_GET_IFACE (self)->get_optimizer_state (self);
}

/* Sets the global weights of the round, which FedProx's proximal term pulls towards. */
gboolean
trb_executor_set_prox_anchor (TrbExecutor  *self,
                              TrbWeights   *global,
                              GError      **error)
{
  g_return_val_if_fail (TRB_IS_EXECUTOR (self), FALSE);
  return TRB_EXECUTOR_GET_IFACE (self)->set_prox_anchor (self, global, error);
}

static gboolean
check_batch (const TrbBatch  *batch,
             GError         **error)
{
  if (batch->n < 1 || batch->x == NULL || batch->labels == NULL)
    {
      g_set_error (error, TRB_COMPUTE_ERROR, TRB_COMPUTE_ERROR_INVALID_DATA,
                   _("A batch of training data is empty."));
      return FALSE;
    }
  return TRUE;
}

gboolean
trb_executor_train_step (TrbExecutor          *self,
                         const TrbBatch       *batch,
                         const TrbStepParams  *params,
                         TrbStepResult        *result,
                         GError              **error)
{
  g_return_val_if_fail (TRB_IS_EXECUTOR (self), FALSE);
  g_return_val_if_fail (batch != NULL && params != NULL && result != NULL, FALSE);

  if (!check_batch (batch, error))
    return FALSE;
  return TRB_EXECUTOR_GET_IFACE (self)->train_step (self, batch, params, result, error);
}

gboolean
trb_executor_evaluate (TrbExecutor     *self,
                       const TrbBatch  *batch,
                       TrbStepResult   *result,
                       GError         **error)
{
  g_return_val_if_fail (TRB_IS_EXECUTOR (self), FALSE);
  g_return_val_if_fail (batch != NULL && result != NULL, FALSE);

  if (!check_batch (batch, error))
    return FALSE;
  return TRB_EXECUTOR_GET_IFACE (self)->evaluate (self, batch, result, error);
}

/**
 * trb_executor_upload_dataset:
 *
 * Keeps @data on the device, for trb_executor_train_step_indexed(). Fails with
 * %TRB_COMPUTE_ERROR_UNSUPPORTED when the executor cannot (or the data does not fit); the
 * caller then gathers batches itself. The upload lasts until the next prepare.
 */
gboolean
trb_executor_upload_dataset (TrbExecutor          *self,
                             const TrbDataSource  *data,
                             GError              **error)
{
  TrbExecutorInterface *iface;

  g_return_val_if_fail (TRB_IS_EXECUTOR (self), FALSE);
  g_return_val_if_fail (data != NULL, FALSE);

  iface = TRB_EXECUTOR_GET_IFACE (self);
  if (iface->upload_dataset == NULL || iface->train_step_indexed == NULL)
    {
      g_set_error (error, TRB_COMPUTE_ERROR, TRB_COMPUTE_ERROR_UNSUPPORTED,
                   _("This compute device cannot hold the data set."));
      return FALSE;
    }
  return iface->upload_dataset (self, data, error);
}

/* One step on the samples @indices of the uploaded data set. */
gboolean
trb_executor_train_step_indexed (TrbExecutor          *self,
                                 const gint32         *indices,
                                 int                   n,
                                 const TrbStepParams  *params,
                                 TrbStepResult        *result,
                                 GError              **error)
{
  g_return_val_if_fail (TRB_IS_EXECUTOR (self), FALSE);
  g_return_val_if_fail (indices != NULL && n > 0 && params != NULL && result != NULL, FALSE);
  g_return_val_if_fail (TRB_EXECUTOR_GET_IFACE (self)->train_step_indexed != NULL, FALSE);

  return TRB_EXECUTOR_GET_IFACE (self)->train_step_indexed (self, indices, n, params, result,
                                                            error);
}

/**
 * trb_executor_train_steps_indexed:
 * @indices: @k batches of @n indices into the uploaded data set, one after the other
 * @n: samples in every batch
 * @k: number of steps, 1 to %TRB_EXECUTOR_MAX_STEPS
 * @params: @k step parameters, one per step
 * @results: @k results, filled in step order
 *
 * @k consecutive steps, which a device may run in one submission. The result is the same as
 * that of @k calls of trb_executor_train_step_indexed(); executors without a way of their own
 * make exactly those calls.
 *
 * Returns: %TRUE when every step ran
 */
gboolean
trb_executor_train_steps_indexed (TrbExecutor          *self,
                                  const gint32         *indices,
                                  int                   n,
                                  int                   k,
                                  const TrbStepParams  *params,
                                  TrbStepResult        *results,
                                  GError              **error)
{
  TrbExecutorInterface *iface;

  g_return_val_if_fail (TRB_IS_EXECUTOR (self), FALSE);
  g_return_val_if_fail (indices != NULL && n > 0 && params != NULL && results != NULL, FALSE);
  g_return_val_if_fail (k >= 1 && k <= TRB_EXECUTOR_MAX_STEPS, FALSE);

  iface = TRB_EXECUTOR_GET_IFACE (self);
  g_return_val_if_fail (iface->train_step_indexed != NULL, FALSE);
  if (iface->train_steps_indexed != NULL)
    return iface->train_steps_indexed (self, indices, n, k, params, results, error);
  for (int j = 0; j < k; j++)
    if (!iface->train_step_indexed (self, indices + (gsize) j * n, n, &params[j], &results[j],
                                    error))
      return FALSE;
  return TRUE;
}

/**
 * trb_executor_get_steps_per_submit:
 *
 * Returns: how many steps the executor would like trb_executor_train_steps_indexed() to hand
 *   it next (1 unless it runs several at once to better effect)
 */
int
trb_executor_get_steps_per_submit (TrbExecutor *self)
{
  TrbExecutorInterface *iface;

  g_return_val_if_fail (TRB_IS_EXECUTOR (self), 1);
  iface = TRB_EXECUTOR_GET_IFACE (self);
  if (iface->get_steps_per_submit == NULL)
    return 1;
  return CLAMP (iface->get_steps_per_submit (self), 1, TRB_EXECUTOR_MAX_STEPS);
}

/**
 * trb_executor_set_resource_share:
 * @cpu_threads: the processor threads the CPU executor may use (0: all)
 * @device_share: the share of a device's time the Vulkan executor may take, in (0, 1]: after
 *   each submission it leaves the device idle for (1 − share) / share of the time it took
 *
 * Applies the scheduler's preset (Light, Balanced, Full). May be called from any thread while
 * training runs; it takes effect from the next step. The results do not depend on it.
 */
void
trb_executor_set_resource_share (TrbExecutor *self,
                                 guint        cpu_threads,
                                 double       device_share)
{
  TrbExecutorInterface *iface;

  g_return_if_fail (TRB_IS_EXECUTOR (self));
  iface = TRB_EXECUTOR_GET_IFACE (self);
  if (iface->set_resource_share != NULL)
    iface->set_resource_share (self, cpu_threads, CLAMP (device_share, 0.01, 1.0));
}

void
trb_step_params_init_sgd (TrbStepParams *params,
                          double         learning_rate,
                          double         momentum)
{
  memset (params, 0, sizeof *params);
  params->optimizer = TRB_OPTIMIZER_SGD;
  params->learning_rate = learning_rate;
  params->momentum = momentum;
  params->beta1 = 0.9;
  params->beta2 = 0.999;
  params->eps = 1e-8;
  params->step = 1;
}

void
trb_step_params_init_adam (TrbStepParams *params,
                           double         learning_rate)
{
  trb_step_params_init_sgd (params, learning_rate, 0);
  params->optimizer = TRB_OPTIMIZER_ADAM;
}

/**
 * trb_optimizer_state_new:
 *
 * Returns: (transfer full): zeroed optimizer state for @params: for each parameter P, tensors
 *   `P.m` then `P.v` of the same shape.
 */
TrbWeights *
trb_optimizer_state_new (TrbWeights *params)
{
  TrbWeights *state = trb_weights_new ();

  for (guint i = 0; i < trb_weights_get_n_tensors (params); i++)
    {
      g_autofree char *m = g_strdup_printf ("%s.m", trb_weights_get_name (params, i));
      g_autofree char *v = g_strdup_printf ("%s.v", trb_weights_get_name (params, i));

      trb_weights_add (state, m, trb_weights_get_n_dims (params, i),
                       trb_weights_get_shape (params, i));
      trb_weights_add (state, v, trb_weights_get_n_dims (params, i),
                       trb_weights_get_shape (params, i));
    }
  return state;
}

/**
 * trb_executor_check_prepared:
 * @spec: (nullable): the model an executor was prepared for
 *
 * For executors: the error of a call that needs trb_executor_prepare() first.
 *
 * Returns: %TRUE when @spec is set
 */
gboolean
trb_executor_check_prepared (gconstpointer   spec,
                             GError        **error)
{
  if (spec == NULL)
    {
      g_set_error (error, TRB_COMPUTE_ERROR, TRB_COMPUTE_ERROR_FAILED,
                   _("The model has not been set up for training."));
      return FALSE;
    }
  return TRUE;
}

/**
 * trb_executor_check_weights:
 * @layout: the layout of the prepared model's parameters
 * @params: the weights trb_executor_set_weights() was given
 * @state: (nullable): and their optimizer state
 *
 * For executors: what trb_executor_set_weights() must refuse, weights of another model or a
 * state that is not theirs.
 *
 * Returns: %TRUE when both fit
 */
gboolean
trb_executor_check_weights (TrbWeights  *layout,
                            TrbWeights  *params,
                            TrbWeights  *state,
                            GError     **error)
{
  return trb_weights_same_layout (layout, params, error) &&
         (state == NULL || trb_optimizer_state_check (params, state, error));
}

gboolean
trb_optimizer_state_check (TrbWeights  *params,
                           TrbWeights  *state,
                           GError     **error)
{
  g_autoptr(TrbWeights) expected = trb_optimizer_state_new (params);

  if (!trb_weights_same_layout (expected, state, NULL))
    {
      g_set_error (error, TRB_COMPUTE_ERROR, TRB_COMPUTE_ERROR_INVALID_WEIGHTS,
                   _("The saved training state does not belong to this model."));
      return FALSE;
    }
  return TRUE;
}

/**
 * trb_executor_check_batch:
 * @spec: the model an executor was prepared for
 * @max_batch: the largest batch it was prepared for
 * @batch: a batch given to it
 * @error: return location for an error
 *
 * The checks every executor makes on a batch before using it: it fits what was prepared, and
 * every label names one of the model's classes.
 *
 * Returns: %TRUE when the batch may be used
 */
gboolean
trb_executor_check_batch (TrbModelSpec    *spec,
                          int              max_batch,
                          const TrbBatch  *batch,
                          GError         **error)
{
  int classes;

  g_return_val_if_fail (spec != NULL, FALSE);
  g_return_val_if_fail (batch != NULL, FALSE);

  classes = trb_model_spec_get_n_classes (spec);
  if (batch->n > max_batch)
    {
      g_set_error (error, TRB_COMPUTE_ERROR, TRB_COMPUTE_ERROR_INVALID_DATA,
                   _("A batch is larger than the model was set up for."));
      return FALSE;
    }
  for (int s = 0; s < batch->n; s++)
    if (batch->labels[s] < 0 || batch->labels[s] >= classes)
      {
        g_set_error (error, TRB_COMPUTE_ERROR, TRB_COMPUTE_ERROR_INVALID_DATA,
                     g_dngettext (GETTEXT_PACKAGE,
                                  /* Translators: the sample's label, then the number of classes the
                                   * model knows, which chooses the plural form. */
                                  "A sample has the label %d, but the model knows only %d class.",
                                  "A sample has the label %d, but the model knows only %d "
                                  "classes.", classes),
                     batch->labels[s], classes);
        return FALSE;
      }
  return TRUE;
}
