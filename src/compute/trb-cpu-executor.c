/* trb-cpu-executor.c
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * The CPU executor keeps every activation of the batch so the backward pass can reuse them
 * (the argmax of each pooling layer, ReLU outputs as their own masks), runs convolutions over
 * cache-sized chunks of samples, and does the optimizer update in one pass over each
 * parameter.
 */

#define G_LOG_DOMAIN "trb-cpu-executor"

#include "config.h"

#include "trb-cpu-executor.h"

#include <glib/gi18n.h>
#include <math.h>
#include <string.h>

#include "compute/trb-cpu-ops.h"

/* The optimizer update is element-wise: blocks of OPT_BLOCK elements of a parameter are the
 * tasks the threads share. */
#define OPT_BLOCK 32768

struct _TrbCpuExecutor
{
  GObject        parent_instance;

  TrbModelSpec  *spec;
  TrbWeights    *params;
  TrbWeights    *grads;
  TrbWeights    *state;      /* m and v per parameter */
  TrbWeights    *anchor;     /* FedProx global weights, or NULL */
  int            max_batch;
  guint          n_layers;
  float        **acts;       /* n_layers + 1; a fused ReLU shares its input's buffer */
  gboolean      *relu_fused; /* layer i is a ReLU done by the dense or convolution layer before
                              * it, in place */
  gboolean      *relu_masked; /* layer i is a ReLU whose backward pass another layer does: the
                               * convolution before it, or the dense layer after it */
  float        **cols;       /* per conv layer, else NULL */
  gint32       **argmax;     /* per pooling layer, else NULL */
  TrbCpuPool    *pool;
  int            n_threads;  /* atomic: wanted for the pool, 0 for one per processor */
  int            n_opt_tasks;
  guint         *opt_param;  /* per optimizer task: the parameter */
  gsize         *opt_first;  /* and its first element */
  float         *d_a;
  float         *d_b;
};

static void executor_iface_init (TrbExecutorInterface *iface);

G_DEFINE_FINAL_TYPE_WITH_CODE (TrbCpuExecutor, trb_cpu_executor, G_TYPE_OBJECT,
                               G_IMPLEMENT_INTERFACE (TRB_TYPE_EXECUTOR, executor_iface_init))

static void
release (TrbCpuExecutor *self)
{
  for (guint i = 0; self->acts && i <= self->n_layers; i++)
    if (i == 0 || !self->relu_fused[i - 1])
      g_free (self->acts[i]);
  g_clear_pointer (&self->relu_fused, g_free);
  g_clear_pointer (&self->relu_masked, g_free);
  for (guint i = 0; self->cols && i < self->n_layers; i++)
    g_free (self->cols[i]);
  for (guint i = 0; self->argmax && i < self->n_layers; i++)
    g_free (self->argmax[i]);
  g_clear_pointer (&self->acts, g_free);
  g_clear_pointer (&self->cols, g_free);
  g_clear_pointer (&self->argmax, g_free);
  g_clear_pointer (&self->pool, trb_cpu_pool_free);
  g_clear_pointer (&self->opt_param, g_free);
  g_clear_pointer (&self->opt_first, g_free);
  self->n_opt_tasks = 0;
  g_clear_pointer (&self->d_a, g_free);
  g_clear_pointer (&self->d_b, g_free);
  g_clear_object (&self->params);
  g_clear_object (&self->grads);
  g_clear_object (&self->state);
  g_clear_object (&self->anchor);
  g_clear_object (&self->spec);
}

static void
trb_cpu_executor_finalize (GObject *object)
{
  release (TRB_CPU_EXECUTOR (object));
  G_OBJECT_CLASS (trb_cpu_executor_parent_class)->finalize (object);
}

static void
trb_cpu_executor_class_init (TrbCpuExecutorClass *klass)
{
  G_OBJECT_CLASS (klass)->finalize = trb_cpu_executor_finalize;
}

static void
trb_cpu_executor_init (TrbCpuExecutor *self)
{
}

TrbExecutor *
trb_cpu_executor_new (void)
{
  return g_object_new (TRB_TYPE_CPU_EXECUTOR, NULL);
}

int
trb_cpu_executor_get_n_threads (TrbCpuExecutor *self)
{
  g_return_val_if_fail (TRB_IS_CPU_EXECUTOR (self), 0);

  return self->pool != NULL ? trb_cpu_pool_get_n_threads (self->pool) : 0;
}

static const char *
cpu_get_name (TrbExecutor *executor)
{
  return "cpu";
}

static gsize
out_size (const TrbLayer *l)
{
  return (gsize) l->out_c * l->out_h * l->out_w;
}

/* Dense layers apply their optimizer step in their backward pass. */
static gboolean
is_dense_param (TrbModelSpec *spec,
                guint         p)
{
  for (guint i = 0; i < trb_model_spec_get_n_layers (spec); i++)
    {
      const TrbLayer *l = trb_model_spec_get_layer (spec, i);

      if (l->kind == TRB_LAYER_DENSE && (l->weight_index == (int) p || l->bias_index == (int) p))
        return TRUE;
    }
  return FALSE;
}

/* Refuses sizes this machine cannot hold rather than failing half-way through a step. */
static gboolean
check_memory (TrbModelSpec  *spec,
              int            max_batch,
              GError       **error)
{
  gsize total = 0;

  for (guint i = 0; i < trb_model_spec_get_n_layers (spec); i++)
    {
      const TrbLayer *l = trb_model_spec_get_layer (spec, i);
      total += out_size (l) * max_batch;
      if (l->kind == TRB_LAYER_CONV2D)
        total += trb_cpu_conv2d_cols_size (l, max_batch);
    }
  if (total > (gsize) 1 << 32)
    {
      g_set_error (error, TRB_COMPUTE_ERROR, TRB_COMPUTE_ERROR_UNSUPPORTED,
                   _("The model with this batch size needs more memory than allowed. Use a "
                     "smaller batch size."));
      return FALSE;
    }
  return TRUE;
}

/* Each layer's output (a fused ReLU works in place), a convolution's columns, a pooling's
 * argmax, and which ReLUs another layer's pass does. */
static void
allocate_layers (TrbCpuExecutor *self)
{
  TrbModelSpec *spec = self->spec;
  int max_batch = self->max_batch;

  self->acts = g_new0 (float *, self->n_layers + 1);
  self->cols = g_new0 (float *, self->n_layers);
  self->argmax = g_new0 (gint32 *, self->n_layers);
  self->relu_fused = g_new0 (gboolean, self->n_layers);
  self->relu_masked = g_new0 (gboolean, self->n_layers);
  self->acts[0] = g_new0 (float, (gsize) max_batch * trb_model_spec_get_input_size (spec));
  for (guint i = 0; i < self->n_layers; i++)
    {
      const TrbLayer *l = trb_model_spec_get_layer (spec, i);

      TrbLayerKind before = i > 0 ? trb_model_spec_get_layer (spec, i - 1)->kind : TRB_LAYER_RELU;
      TrbLayerKind after = i + 1 < self->n_layers ?
                           trb_model_spec_get_layer (spec, i + 1)->kind : TRB_LAYER_RELU;

      self->relu_fused[i] = l->kind == TRB_LAYER_RELU &&
                            (before == TRB_LAYER_CONV2D || before == TRB_LAYER_DENSE);
      self->relu_masked[i] = l->kind == TRB_LAYER_RELU &&
                             (before == TRB_LAYER_CONV2D || after == TRB_LAYER_DENSE);
      if (self->relu_fused[i])
        self->acts[i + 1] = self->acts[i];
      else
        self->acts[i + 1] = g_new0 (float, (gsize) max_batch * out_size (l));
      if (l->kind == TRB_LAYER_CONV2D)
        {
          gsize cols = trb_cpu_conv2d_cols_size (l, max_batch);

          self->cols[i] = cols > 0 ? g_new0 (float, cols) : NULL;
        }
      else if (l->kind == TRB_LAYER_MAXPOOL2D)
        self->argmax[i] = g_new0 (gint32, (gsize) max_batch * out_size (l));
    }
}

/* The optimizer's tasks: blocks of OPT_BLOCK elements of the parameters that no dense layer's
 * backward pass updates (counted first, then numbered). */
static void
plan_optimizer_tasks (TrbCpuExecutor *self)
{
  for (int pass = 0; pass < 2; pass++)
    {
      self->n_opt_tasks = 0;
      for (guint p = 0; p < trb_weights_get_n_tensors (self->params); p++)
        for (gsize k = 0; !is_dense_param (self->spec, p) &&
                          k < trb_weights_get_n_elements (self->params, p); k += OPT_BLOCK)
          {
            if (pass == 1)
              {
                self->opt_param[self->n_opt_tasks] = p;
                self->opt_first[self->n_opt_tasks] = k;
              }
            self->n_opt_tasks++;
          }
      if (pass == 0)
        {
          self->opt_param = g_new (guint, MAX (self->n_opt_tasks, 1));
          self->opt_first = g_new (gsize, MAX (self->n_opt_tasks, 1));
        }
    }
}

static gboolean
cpu_prepare (TrbExecutor   *executor,
             TrbModelSpec  *spec,
             int            max_batch,
             GError       **error)
{
  TrbCpuExecutor *self = TRB_CPU_EXECUTOR (executor);
  gsize max_act = trb_model_spec_get_max_activations (spec);

  release (self);
  self->spec = g_object_ref (spec);
  self->params = trb_model_spec_init_weights (spec, 0);
  self->grads = trb_weights_copy (self->params);
  self->state = trb_optimizer_state_new (self->params);
  self->max_batch = max_batch;
  self->n_layers = trb_model_spec_get_n_layers (spec);
  if (!check_memory (spec, max_batch, error))
    {
      release (self);
      return FALSE;
    }
  allocate_layers (self);
  self->pool = trb_cpu_pool_new (g_atomic_int_get (&self->n_threads));
  plan_optimizer_tasks (self);
  self->d_a = g_new0 (float, (gsize) max_batch * max_act);
  self->d_b = g_new0 (float, (gsize) max_batch * max_act);
  return TRUE;
}

static gboolean
check_prepared (TrbCpuExecutor  *self,
                GError         **error)
{
  return trb_executor_check_prepared (self->spec, error);
}

static gboolean
cpu_set_weights (TrbExecutor  *executor,
                 TrbWeights   *params,
                 TrbWeights   *state,
                 GError      **error)
{
  TrbCpuExecutor *self = TRB_CPU_EXECUTOR (executor);

  if (!check_prepared (self, error) ||
      !trb_executor_check_weights (self->params, params, state, error))
    return FALSE;
  g_clear_object (&self->params);
  g_clear_object (&self->state);
  self->params = trb_weights_copy (params);
  self->state = state ? trb_weights_copy (state) : trb_optimizer_state_new (params);
  return TRUE;
}

static TrbWeights *
cpu_get_weights (TrbExecutor *executor)
{
  TrbCpuExecutor *self = TRB_CPU_EXECUTOR (executor);

  g_return_val_if_fail (self->params != NULL, NULL);
  return trb_weights_copy (self->params);
}

static TrbWeights *
cpu_get_optimizer_state (TrbExecutor *executor)
{
  TrbCpuExecutor *self = TRB_CPU_EXECUTOR (executor);

  g_return_val_if_fail (self->state != NULL, NULL);
  return trb_weights_copy (self->state);
}

static gboolean
cpu_set_prox_anchor (TrbExecutor  *executor,
                     TrbWeights   *global,
                     GError      **error)
{
  TrbCpuExecutor *self = TRB_CPU_EXECUTOR (executor);

  if (!check_prepared (self, error))
    return FALSE;
  g_clear_object (&self->anchor);
  if (global == NULL)
    return TRUE;
  if (!trb_weights_same_layout (self->params, global, error))
    return FALSE;
  self->anchor = trb_weights_copy (global);
  return TRUE;
}

static gboolean
check_batch (TrbCpuExecutor  *self,
             const TrbBatch  *batch,
             GError         **error)
{
  return trb_executor_check_batch (self->spec, self->max_batch, batch, error);
}

#define PARAM(idx) trb_weights_get_data (self->params, (idx))
#define GRAD(idx) trb_weights_get_data (self->grads, (idx))

static void
forward (TrbCpuExecutor      *self,
         const TrbBatch      *batch,
         gboolean             training,
         const TrbStepParams *sp)
{
  int n = batch->n;

  memcpy (self->acts[0], batch->x, (gsize) n * trb_model_spec_get_input_size (self->spec) *
          sizeof (float));
  for (guint i = 0; i < self->n_layers; i++)
    {
      const TrbLayer *l = trb_model_spec_get_layer (self->spec, i);
      float *x = self->acts[i], *y = self->acts[i + 1];
      gsize count = (gsize) n * out_size (l);

      switch (l->kind)
        {
        case TRB_LAYER_DENSE:
          trb_cpu_dense_forward (self->pool, l, n, x, PARAM (l->weight_index),
                                 PARAM (l->bias_index),
                                 i + 1 < self->n_layers && self->relu_fused[i + 1], y);
          break;
        case TRB_LAYER_CONV2D:
          trb_cpu_conv2d_forward (self->pool, l, n, x, PARAM (l->weight_index),
                                  PARAM (l->bias_index), y,
                                  i + 1 < self->n_layers && self->relu_fused[i + 1], self->cols[i]);
          break;
        case TRB_LAYER_MAXPOOL2D:
          trb_cpu_maxpool_forward (self->pool, l, n, x, y, self->argmax[i]);
          break;
        case TRB_LAYER_RELU:
          if (!self->relu_fused[i])
            trb_cpu_relu_forward (count, x, y);
          break;
        case TRB_LAYER_DROPOUT:
          if (training && l->rate > 0)
            {
              trb_cpu_dropout (l, i, n, sp->dropout_seed, sp->step, x, y);
              break;
            }
          G_GNUC_FALLTHROUGH;
        case TRB_LAYER_FLATTEN:
        default:
          memcpy (y, x, count * sizeof (float));
          break;
        }
    }
}

static gboolean
evaluate (TrbExecutor     *executor,
              const TrbBatch  *batch,
              TrbStepResult   *result,
              GError         **error)
{
  TrbCpuExecutor *self = TRB_CPU_EXECUTOR (executor);

  if (!check_prepared (self, error) || !check_batch (self, batch, error))
    return FALSE;
  forward (self, batch, FALSE, NULL);
  trb_cpu_softmax_xent (batch->n, trb_model_spec_get_n_classes (self->spec),
                        self->acts[self->n_layers], batch->labels, NULL, &result->loss_sum,
                        &result->correct);
  result->n = batch->n;
  return TRUE;
}

typedef struct
{
  TrbCpuExecutor  *self;
  TrbCpuOptimizer  o;
} OptJob;

static void
optimizer_task (int      task,
                int      thread,
                gpointer data)
{
  OptJob *j = data;
  TrbCpuExecutor *self = j->self;
  guint p = self->opt_param[task];
  gsize first = self->opt_first[task];
  gsize end = MIN (first + OPT_BLOCK, trb_weights_get_n_elements (self->params, p));

  trb_cpu_optimizer_update (&j->o, end - first, PARAM (p) + first, GRAD (p) + first,
                            trb_weights_get_data (self->state, 2 * p) + first,
                            trb_weights_get_data (self->state, 2 * p + 1) + first,
                            self->anchor ? trb_weights_get_data (self->anchor, p) + first : NULL);
}

static void
optimizer_init (TrbCpuExecutor      *self,
                const TrbStepParams *sp,
                TrbCpuOptimizer     *o)
{
  *o = (TrbCpuOptimizer) {
    sp->optimizer == TRB_OPTIMIZER_ADAM, (float) sp->learning_rate, (float) sp->weight_decay,
    self->anchor ? (float) sp->prox_mu : 0.0f, (float) sp->momentum,
    (float) sp->beta1, (float) sp->beta2, (float) sp->eps,
    (float) (1.0 - pow (sp->beta1, (double) sp->step)),
    (float) (1.0 - pow (sp->beta2, (double) sp->step)),
  };
}

static TrbCpuParam
param_of (TrbCpuExecutor *self,
          int             p)
{
  return (TrbCpuParam) {
    PARAM (p), trb_weights_get_data (self->state, 2 * p),
    trb_weights_get_data (self->state, 2 * p + 1),
    self->anchor ? trb_weights_get_data (self->anchor, p) : NULL,
  };
}

/* The backward pass of layer @i: from the gradient of its output @dcur, the gradient of its
 * input into @dx (NULL for the first layer). Returns @dx, or NULL where the layer left the
 * gradient where it was (a ReLU whose mask another layer applies). */
static float *
backward_layer (TrbCpuExecutor        *self,
                guint                  i,
                int                    n,
                float                 *dcur,
                float                 *dx,
                const TrbCpuOptimizer *o,
                const TrbStepParams   *sp)
{
  const TrbLayer *l = trb_model_spec_get_layer (self->spec, i);
  gsize count = (gsize) n * l->in_c * l->in_h * l->in_w;

  switch (l->kind)
    {
    case TRB_LAYER_DENSE:
      {
        TrbCpuParam pw = param_of (self, l->weight_index);
        TrbCpuParam pb = param_of (self, l->bias_index);
        gboolean after_relu = i > 0 &&
                              trb_model_spec_get_layer (self->spec, i - 1)->kind ==
                              TRB_LAYER_RELU;

        trb_cpu_dense_backward_update (self->pool, l, n, self->acts[i], dcur,
                                       after_relu ? self->acts[i] : NULL, dx, o, &pw, &pb);
      }
      break;
    case TRB_LAYER_CONV2D:
      trb_cpu_conv2d_backward (self->pool, l, n, self->acts[i], dcur,
                               i + 1 < self->n_layers && self->relu_fused[i + 1] ?
                               self->acts[i + 1] : NULL, PARAM (l->weight_index), dx,
                               GRAD (l->weight_index), GRAD (l->bias_index), self->cols[i],
                               TRUE);
      break;
    case TRB_LAYER_MAXPOOL2D:
      if (dx)
        trb_cpu_maxpool_backward (self->pool, l, n, self->argmax[i], dcur, dx);
      break;
    case TRB_LAYER_RELU:
      /* The convolution before or the dense layer after applies the mask. */
      if (self->relu_masked[i])
        return NULL;
      if (dx)
        trb_cpu_relu_backward (count, self->acts[i + 1], dcur, dx);
      break;
    case TRB_LAYER_DROPOUT:
      if (dx && l->rate > 0)
        {
          trb_cpu_dropout (l, i, n, sp->dropout_seed, sp->step, dcur, dx);
          break;
        }
      G_GNUC_FALLTHROUGH;
    case TRB_LAYER_FLATTEN:
    default:
      if (dx)
        memcpy (dx, dcur, count * sizeof (float));
      break;
    }
  return dx;
}

static gboolean
train_step (TrbExecutor          *executor,
            const TrbBatch       *batch,
            const TrbStepParams  *sp,
            TrbStepResult        *result,
            GError              **error)
{
  TrbCpuExecutor *self = TRB_CPU_EXECUTOR (executor);
  float *dcur = self->d_a, *dnext = self->d_b;
  int n = batch->n;
  OptJob j = { self };

  if (!check_prepared (self, error) || !check_batch (self, batch, error))
    return FALSE;
  optimizer_init (self, sp, &j.o);
  forward (self, batch, TRUE, sp);
  trb_cpu_softmax_xent (n, trb_model_spec_get_n_classes (self->spec), self->acts[self->n_layers],
                        batch->labels, dcur, &result->loss_sum, &result->correct);
  result->n = n;
  if (!isfinite (result->loss_sum))
    {
      g_set_error (error, TRB_COMPUTE_ERROR, TRB_COMPUTE_ERROR_DIVERGED,
                   _("Training became unstable (the loss is no longer a number). Try a smaller "
                     "learning rate."));
      return FALSE;
    }
  for (guint i = self->n_layers; i-- > 0; )
    if (backward_layer (self, i, n, dcur, i > 0 ? dnext : NULL, &j.o, sp) != NULL)
      {
        float *t = dcur;
        dcur = dnext;
        dnext = t;
      }
  trb_cpu_pool_run (self->pool, self->n_opt_tasks, optimizer_task, &j);
  return TRUE;
}

/* A new share of the processor takes effect between steps: the pool is made again with the
 * threads wanted. Results are the same bits whatever the number of threads. */
static void
apply_threads (TrbCpuExecutor *self)
{
  int wanted = g_atomic_int_get (&self->n_threads);

  if (self->pool != NULL && wanted > 0 && wanted != trb_cpu_pool_get_n_threads (self->pool))
    {
      trb_cpu_pool_free (self->pool);
      self->pool = trb_cpu_pool_new (wanted);
    }
}

static void
cpu_set_resource_share (TrbExecutor *executor,
                        guint        cpu_threads,
                        double       device_share)
{
  TrbCpuExecutor *self = TRB_CPU_EXECUTOR (executor);

  g_atomic_int_set (&self->n_threads, (int) MIN (cpu_threads, 16));
}

/* The ops share out their own work, so OpenBLAS must not start threads of its own. */
static gboolean
cpu_evaluate (TrbExecutor     *executor,
              const TrbBatch  *batch,
              TrbStepResult   *result,
              GError         **error)
{
  gboolean ok;

  apply_threads (TRB_CPU_EXECUTOR (executor));
  trb_cpu_blas_single_threaded ();
  ok = evaluate (executor, batch, result, error);
  trb_cpu_blas_restore ();
  return ok;
}

static gboolean
cpu_train_step (TrbExecutor          *executor,
                const TrbBatch       *batch,
                const TrbStepParams  *sp,
                TrbStepResult        *result,
                GError              **error)
{
  gboolean ok;

  apply_threads (TRB_CPU_EXECUTOR (executor));
  trb_cpu_blas_single_threaded ();
  ok = train_step (executor, batch, sp, result, error);
  trb_cpu_blas_restore ();
  return ok;
}

static void
executor_iface_init (TrbExecutorInterface *iface)
{
  iface->get_name = cpu_get_name;
  iface->prepare = cpu_prepare;
  iface->set_weights = cpu_set_weights;
  iface->get_weights = cpu_get_weights;
  iface->get_optimizer_state = cpu_get_optimizer_state;
  iface->set_prox_anchor = cpu_set_prox_anchor;
  iface->train_step = cpu_train_step;
  iface->evaluate = cpu_evaluate;
  iface->set_resource_share = cpu_set_resource_share;
}
