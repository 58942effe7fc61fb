/* trb-executor.h
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#pragma once

#include <gio/gio.h>

#include "compute/trb-compute-types.h"
#include "compute/trb-model-spec.h"
#include "compute/trb-weights.h"

G_BEGIN_DECLS

#define TRB_TYPE_EXECUTOR (trb_executor_get_type ())

G_DECLARE_INTERFACE (TrbExecutor, trb_executor, TRB, EXECUTOR, GObject)

/**
 * TrbExecutorInterface:
 *
 * One way of running a model: the CPU executor, the Vulkan executor, or the fp64 reference.
 * An executor holds one model's parameters and optimizer state; the trainer drives it one batch
 * at a time. Optimizer state is a #TrbWeights with `<param>.m` (momentum or Adam's first moment)
 * and `<param>.v` (Adam's second moment) tensors, so it can be checkpointed as safetensors.
 * Methods are called from one thread at a time.
 */
struct _TrbExecutorInterface
{
  GTypeInterface parent_iface;

  const char *(*get_name)            (TrbExecutor          *self);
  gboolean    (*prepare)             (TrbExecutor          *self,
                                      TrbModelSpec         *spec,
                                      int                   max_batch,
                                      GError              **error);
  gboolean    (*set_weights)         (TrbExecutor          *self,
                                      TrbWeights           *params,
                                      TrbWeights           *optimizer_state,
                                      GError              **error);
  TrbWeights *(*get_weights)         (TrbExecutor          *self);
  TrbWeights *(*get_optimizer_state) (TrbExecutor          *self);
  gboolean    (*set_prox_anchor)     (TrbExecutor          *self,
                                      TrbWeights           *global,
                                      GError              **error);
  gboolean    (*train_step)          (TrbExecutor          *self,
                                      const TrbBatch       *batch,
                                      const TrbStepParams  *params,
                                      TrbStepResult        *result,
                                      GError              **error);
  gboolean    (*evaluate)            (TrbExecutor          *self,
                                      const TrbBatch       *batch,
                                      TrbStepResult        *result,
                                      GError              **error);
  /* Optional: keep a byte data set on the device and train on batches given by index. */
  gboolean    (*upload_dataset)      (TrbExecutor          *self,
                                      const TrbDataSource  *data,
                                      GError              **error);
  gboolean    (*train_step_indexed)  (TrbExecutor          *self,
                                      const gint32         *indices,
                                      int                   n,
                                      const TrbStepParams  *params,
                                      TrbStepResult        *result,
                                      GError              **error);
  /* Optional: @k steps at once on the uploaded data set, and how many it would take next. */
  gboolean    (*train_steps_indexed) (TrbExecutor          *self,
                                      const gint32         *indices,
                                      int                   n,
                                      int                   k,
                                      const TrbStepParams  *params,
                                      TrbStepResult        *results,
                                      GError              **error);
  int         (*get_steps_per_submit) (TrbExecutor         *self);
  /* Optional: how much of the computer training may use; called from any thread, it takes
   * effect from the next step. */
  void        (*set_resource_share)  (TrbExecutor          *self,
                                      guint                 cpu_threads,
                                      double                device_share);
};

/* The most steps trb_executor_train_steps_indexed() takes at once. */
#define TRB_EXECUTOR_MAX_STEPS 32

const char *trb_executor_get_name            (TrbExecutor          *self);
gboolean    trb_executor_prepare             (TrbExecutor          *self,
                                              TrbModelSpec         *spec,
                                              int                   max_batch,
                                              GError              **error);
gboolean    trb_executor_set_weights         (TrbExecutor          *self,
                                              TrbWeights           *params,
                                              TrbWeights           *optimizer_state,
                                              GError              **error);
TrbWeights *trb_executor_get_weights         (TrbExecutor          *self);
TrbWeights *trb_executor_get_optimizer_state (TrbExecutor          *self);
gboolean    trb_executor_set_prox_anchor     (TrbExecutor          *self,
                                              TrbWeights           *global,
                                              GError              **error);
gboolean    trb_executor_train_step          (TrbExecutor          *self,
                                              const TrbBatch       *batch,
                                              const TrbStepParams  *params,
                                              TrbStepResult        *result,
                                              GError              **error);
gboolean    trb_executor_evaluate            (TrbExecutor          *self,
                                              const TrbBatch       *batch,
                                              TrbStepResult        *result,
                                              GError              **error);

gboolean    trb_executor_upload_dataset      (TrbExecutor          *self,
                                              const TrbDataSource  *data,
                                              GError              **error);
gboolean    trb_executor_train_step_indexed  (TrbExecutor          *self,
                                              const gint32         *indices,
                                              int                   n,
                                              const TrbStepParams  *params,
                                              TrbStepResult        *result,
                                              GError              **error);
gboolean    trb_executor_train_steps_indexed (TrbExecutor          *self,
                                              const gint32         *indices,
                                              int                   n,
                                              int                   k,
                                              const TrbStepParams  *params,
                                              TrbStepResult        *results,
                                              GError              **error);
int         trb_executor_get_steps_per_submit (TrbExecutor         *self);
void        trb_executor_set_resource_share  (TrbExecutor          *self,
                                              guint                 cpu_threads,
                                              double                device_share);

void        trb_step_params_init_sgd         (TrbStepParams        *params,
                                              double                learning_rate,
                                              double                momentum);
void        trb_step_params_init_adam        (TrbStepParams        *params,
                                              double                learning_rate);

G_END_DECLS

G_BEGIN_DECLS

TrbWeights *trb_optimizer_state_new          (TrbWeights           *params);
gboolean    trb_executor_check_prepared      (gconstpointer         spec,
                                              GError              **error);
gboolean    trb_executor_check_weights       (TrbWeights           *layout,
                                              TrbWeights           *params,
                                              TrbWeights           *state,
                                              GError              **error);
gboolean    trb_optimizer_state_check        (TrbWeights           *params,
                                              TrbWeights           *state,
                                              GError              **error);
gboolean    trb_executor_check_batch         (TrbModelSpec         *spec,
                                              int                   max_batch,
                                              const TrbBatch       *batch,
                                              GError              **error);

G_END_DECLS
