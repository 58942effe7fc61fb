/* trb-reference-executor.c
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * Runs whole models with the fp64 reference ops. Parameters and optimizer state are kept in
 * double precision between steps, so comparing an fp32 executor with it over N steps measures
 * the fp32 executor's own rounding, not the oracle's.
 */

#define G_LOG_DOMAIN "trb-reference-executor"

#include "config.h"

#include "trb-reference-executor.h"

#include <glib/gi18n.h>
#include <math.h>
#include <string.h>

#include "compute/trb-reference.h"

struct _TrbReferenceExecutor
{
  GObject        parent_instance;

  TrbModelSpec  *spec;
  TrbWeights    *layout;       /* names and shapes of the parameters */
  int            max_batch;
  guint          n_params;
  double       **params;
  double       **grads;
  double       **m;
  double       **v;
  double       **anchor;       /* NULL until set */
  guint          n_layers;
  double       **acts;         /* n_layers + 1 activations, acts[0] the input */
  double        *d_a;
  double        *d_b;
};

static void executor_iface_init (TrbExecutorInterface *iface);

G_DEFINE_FINAL_TYPE_WITH_CODE (TrbReferenceExecutor, trb_reference_executor, G_TYPE_OBJECT,
                               G_IMPLEMENT_INTERFACE (TRB_TYPE_EXECUTOR, executor_iface_init))

static void
free_arrays (double ***arrays,
             guint     n)
{
  if (*arrays == NULL)
    return;
  for (guint i = 0; i < n; i++)
    g_free ((*arrays)[i]);
  g_clear_pointer (arrays, g_free);
}

static void
release (TrbReferenceExecutor *self)
{
  free_arrays (&self->params, self->n_params);
  free_arrays (&self->grads, self->n_params);
  free_arrays (&self->m, self->n_params);
  free_arrays (&self->v, self->n_params);
  free_arrays (&self->anchor, self->n_params);
  free_arrays (&self->acts, self->n_layers + 1);
  g_clear_pointer (&self->d_a, g_free);
  g_clear_pointer (&self->d_b, g_free);
  g_clear_object (&self->layout);
  g_clear_object (&self->spec);
}

static void
trb_reference_executor_finalize (GObject *object)
{
  release (TRB_REFERENCE_EXECUTOR (object));
  G_OBJECT_CLASS (trb_reference_executor_parent_class)->finalize (object);
}

static void
trb_reference_executor_class_init (TrbReferenceExecutorClass *klass)
{
  G_OBJECT_CLASS (klass)->finalize = trb_reference_executor_finalize;
}

static void
trb_reference_executor_init (TrbReferenceExecutor *self)
{
}

TrbExecutor *
trb_reference_executor_new (void)
{
  return g_object_new (TRB_TYPE_REFERENCE_EXECUTOR, NULL);
}

static const char *
reference_get_name (TrbExecutor *executor)
{
  return "reference";
}

static gsize
layer_out_size (const TrbLayer *l)
{
  return (gsize) l->out_c * l->out_h * l->out_w;
}

static double **
alloc_like (TrbWeights *layout)
{
  guint n = trb_weights_get_n_tensors (layout);
  double **arrays = g_new0 (double *, n);

  for (guint i = 0; i < n; i++)
    arrays[i] = g_new0 (double, MAX (trb_weights_get_n_elements (layout, i), 1));
  return arrays;
}

static gboolean
reference_prepare (TrbExecutor   *executor,
                   TrbModelSpec  *spec,
                   int            max_batch,
                   GError       **error)
{
  TrbReferenceExecutor *self = TRB_REFERENCE_EXECUTOR (executor);
  gsize max_act;

  release (self);
  self->spec = g_object_ref (spec);
  self->layout = trb_model_spec_init_weights (spec, 0);
  self->max_batch = max_batch;
  self->n_params = trb_weights_get_n_tensors (self->layout);
  self->params = alloc_like (self->layout);
  self->grads = alloc_like (self->layout);
  self->m = alloc_like (self->layout);
  self->v = alloc_like (self->layout);
  self->n_layers = trb_model_spec_get_n_layers (spec);
  self->acts = g_new0 (double *, self->n_layers + 1);
  self->acts[0] = g_new0 (double, (gsize) max_batch * trb_model_spec_get_input_size (spec));
  for (guint i = 0; i < self->n_layers; i++)
    self->acts[i + 1] = g_new0 (double, (gsize) max_batch *
                                layer_out_size (trb_model_spec_get_layer (spec, i)));
  max_act = trb_model_spec_get_max_activations (spec);
  self->d_a = g_new0 (double, (gsize) max_batch * max_act);
  self->d_b = g_new0 (double, (gsize) max_batch * max_act);
  return TRUE;
}

static gboolean
check_prepared (TrbReferenceExecutor  *self,
                GError               **error)
{
  return trb_executor_check_prepared (self->spec, error);
}

static gboolean
reference_set_weights (TrbExecutor  *executor,
                       TrbWeights   *params,
                       TrbWeights   *state,
                       GError      **error)
{
  TrbReferenceExecutor *self = TRB_REFERENCE_EXECUTOR (executor);

  if (!check_prepared (self, error) ||
      !trb_executor_check_weights (self->layout, params, state, error))
    return FALSE;
  for (guint i = 0; i < self->n_params; i++)
    {
      const float *src = trb_weights_get_data (params, i);
      for (gsize k = 0; k < trb_weights_get_n_elements (params, i); k++)
        {
          self->params[i][k] = src[k];
          self->m[i][k] = state ? trb_weights_get_data (state, 2 * i)[k] : 0;
          self->v[i][k] = state ? trb_weights_get_data (state, 2 * i + 1)[k] : 0;
        }
    }
  return TRUE;
}

static TrbWeights *
reference_get_weights (TrbExecutor *executor)
{
  TrbReferenceExecutor *self = TRB_REFERENCE_EXECUTOR (executor);
  TrbWeights *out;

  g_return_val_if_fail (self->layout != NULL, NULL);
  out = trb_weights_copy (self->layout);
  for (guint i = 0; i < self->n_params; i++)
    for (gsize k = 0; k < trb_weights_get_n_elements (out, i); k++)
      trb_weights_get_data (out, i)[k] = (float) self->params[i][k];
  return out;
}

static TrbWeights *
reference_get_optimizer_state (TrbExecutor *executor)
{
  TrbReferenceExecutor *self = TRB_REFERENCE_EXECUTOR (executor);
  TrbWeights *out;

  g_return_val_if_fail (self->layout != NULL, NULL);
  out = trb_optimizer_state_new (self->layout);
  for (guint i = 0; i < self->n_params; i++)
    for (gsize k = 0; k < trb_weights_get_n_elements (self->layout, i); k++)
      {
        trb_weights_get_data (out, 2 * i)[k] = (float) self->m[i][k];
        trb_weights_get_data (out, 2 * i + 1)[k] = (float) self->v[i][k];
      }
  return out;
}

static gboolean
reference_set_prox_anchor (TrbExecutor  *executor,
                           TrbWeights   *global,
                           GError      **error)
{
  TrbReferenceExecutor *self = TRB_REFERENCE_EXECUTOR (executor);

  if (!check_prepared (self, error))
    return FALSE;
  free_arrays (&self->anchor, self->n_params);
  if (global == NULL)
    return TRUE;
  if (!trb_weights_same_layout (self->layout, global, error))
    return FALSE;
  self->anchor = alloc_like (self->layout);
  for (guint i = 0; i < self->n_params; i++)
    for (gsize k = 0; k < trb_weights_get_n_elements (global, i); k++)
      self->anchor[i][k] = trb_weights_get_data (global, i)[k];
  return TRUE;
}

static void
forward (TrbReferenceExecutor *self,
         const TrbBatch       *batch,
         gboolean              training,
         const TrbStepParams  *sp)
{
  gsize in_size = trb_model_spec_get_input_size (self->spec);
  int n = batch->n;

  for (gsize k = 0; k < (gsize) n * in_size; k++)
    self->acts[0][k] = batch->x[k];
  for (guint i = 0; i < self->n_layers; i++)
    {
      const TrbLayer *l = trb_model_spec_get_layer (self->spec, i);
      double *x = self->acts[i], *y = self->acts[i + 1];
      gsize count = (gsize) n * layer_out_size (l);

      switch (l->kind)
        {
        case TRB_LAYER_DENSE:
          trb_ref_dense_forward (l, n, x, self->params[l->weight_index],
                                 self->params[l->bias_index], y);
          break;
        case TRB_LAYER_CONV2D:
          trb_ref_conv2d_forward (l, n, x, self->params[l->weight_index],
                                  self->params[l->bias_index], y);
          break;
        case TRB_LAYER_MAXPOOL2D:
          trb_ref_maxpool_forward (l, n, x, y);
          break;
        case TRB_LAYER_RELU:
          trb_ref_relu_forward (count, x, y);
          break;
        case TRB_LAYER_DROPOUT:
          if (training && l->rate > 0)
            trb_ref_dropout_forward (l, i, n, sp->dropout_seed, sp->step, x, y);
          else
            memcpy (y, x, count * sizeof (double));
          break;
        case TRB_LAYER_FLATTEN:
        default:
          memcpy (y, x, count * sizeof (double));
          break;
        }
    }
}

static gboolean
check_labels (TrbReferenceExecutor  *self,
              const TrbBatch        *batch,
              GError               **error)
{
  return trb_executor_check_batch (self->spec, self->max_batch, batch, error);
}

static gboolean
reference_evaluate (TrbExecutor     *executor,
                    const TrbBatch  *batch,
                    TrbStepResult   *result,
                    GError         **error)
{
  TrbReferenceExecutor *self = TRB_REFERENCE_EXECUTOR (executor);

  if (!check_prepared (self, error) || !check_labels (self, batch, error))
    return FALSE;
  forward (self, batch, FALSE, NULL);
  trb_ref_softmax_xent (batch->n, trb_model_spec_get_n_classes (self->spec),
                        self->acts[self->n_layers], batch->labels, NULL, &result->loss_sum,
                        &result->correct);
  result->n = batch->n;
  return TRUE;
}

/* The backward pass of layer @i, from the gradient of its output @dcur to that of its input
 * @dx (NULL for the first layer). */
static void
reference_backward_layer (TrbReferenceExecutor *self,
                          guint                 i,
                          int                   n,
                          double               *dcur,
                          double               *dx,
                          const TrbStepParams  *sp)
{
  const TrbLayer *l = trb_model_spec_get_layer (self->spec, i);
  double *x = self->acts[i];
  gsize count = (gsize) n * l->in_c * l->in_h * l->in_w;

  switch (l->kind)
    {
    case TRB_LAYER_DENSE:
      trb_ref_dense_backward (l, n, x, self->params[l->weight_index], dcur, dx,
                              self->grads[l->weight_index], self->grads[l->bias_index]);
      break;
    case TRB_LAYER_CONV2D:
      trb_ref_conv2d_backward (l, n, x, self->params[l->weight_index], dcur, dx,
                               self->grads[l->weight_index], self->grads[l->bias_index]);
      break;
    case TRB_LAYER_MAXPOOL2D:
      if (dx)
        trb_ref_maxpool_backward (l, n, x, dcur, dx);
      break;
    case TRB_LAYER_RELU:
      if (dx)
        trb_ref_relu_backward (count, x, dcur, dx);
      break;
    case TRB_LAYER_DROPOUT:
      if (dx && l->rate > 0)
        trb_ref_dropout_backward (l, i, n, sp->dropout_seed, sp->step, dcur, dx);
      else if (dx)
        memcpy (dx, dcur, count * sizeof (double));
      break;
    case TRB_LAYER_FLATTEN:
    default:
      if (dx)
        memcpy (dx, dcur, count * sizeof (double));
      break;
    }
}

/* Plain SGD, SGD with momentum or Adam, with weight decay and the FedProx term, on every
 * parameter. */
static void
reference_optimizer_step (TrbReferenceExecutor *self,
                          const TrbStepParams  *sp)
{
  double bc1 = 1.0 - pow (sp->beta1, (double) sp->step);
  double bc2 = 1.0 - pow (sp->beta2, (double) sp->step);

  for (guint p = 0; p < self->n_params; p++)
    {
      gsize count = trb_weights_get_n_elements (self->layout, p);
      double *w = self->params[p], *g = self->grads[p], *m = self->m[p], *v = self->v[p];

      for (gsize k = 0; k < count; k++)
        {
          double grad = g[k] + sp->weight_decay * w[k];

          if (self->anchor != NULL && sp->prox_mu > 0)
            grad += sp->prox_mu * (w[k] - self->anchor[p][k]);
          if (sp->optimizer == TRB_OPTIMIZER_ADAM)
            {
              m[k] = sp->beta1 * m[k] + (1 - sp->beta1) * grad;
              v[k] = sp->beta2 * v[k] + (1 - sp->beta2) * grad * grad;
              w[k] -= sp->learning_rate * (m[k] / bc1) / (sqrt (v[k] / bc2) + sp->eps);
            }
          else if (sp->momentum != 0)
            {
              m[k] = sp->momentum * m[k] + grad;
              w[k] -= sp->learning_rate * m[k];
            }
          else
            w[k] -= sp->learning_rate * grad;
        }
    }
}

static gboolean
reference_train_step (TrbExecutor          *executor,
                      const TrbBatch       *batch,
                      const TrbStepParams  *sp,
                      TrbStepResult        *result,
                      GError              **error)
{
  TrbReferenceExecutor *self = TRB_REFERENCE_EXECUTOR (executor);
  double *dcur = self->d_a, *dnext = self->d_b;
  int n = batch->n;

  if (!check_prepared (self, error) || !check_labels (self, batch, error))
    return FALSE;
  forward (self, batch, TRUE, sp);
  trb_ref_softmax_xent (n, trb_model_spec_get_n_classes (self->spec), self->acts[self->n_layers],
                        batch->labels, dcur, &result->loss_sum, &result->correct);
  result->n = n;
  for (guint i = self->n_layers; i-- > 0; )
    {
      reference_backward_layer (self, i, n, dcur, i > 0 ? dnext : NULL, sp);
      if (i > 0)
        {
          double *t = dcur;
          dcur = dnext;
          dnext = t;
        }
    }
  reference_optimizer_step (self, sp);
  return TRUE;
}

static void
executor_iface_init (TrbExecutorInterface *iface)
{
  iface->get_name = reference_get_name;
  iface->prepare = reference_prepare;
  iface->set_weights = reference_set_weights;
  iface->get_weights = reference_get_weights;
  iface->get_optimizer_state = reference_get_optimizer_state;
  iface->set_prox_anchor = reference_set_prox_anchor;
  iface->train_step = reference_train_step;
  iface->evaluate = reference_evaluate;
}
