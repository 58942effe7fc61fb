/* trb-trainer.h
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#pragma once

#include <gio/gio.h>

#include "compute/trb-executor.h"

G_BEGIN_DECLS

/**
 * TrbTrainerConfig:
 * @epochs: local epochs E
 * @batch_size: batch size B
 * @seed: seeds the shuffle of every epoch and dropout
 * @step: optimizer and its hyper-parameters (its @step member is ignored); a non-zero
 *   @prox_mu makes the run FedProx, anchored at the initial weights
 * @checkpoint_path: (nullable): where weights and optimizer state are saved after each epoch;
 *   a run started with the same model, initial weights, data size and settings resumes there
 * @low_priority: lower the scheduling priority of the thread that trains
 * @holdout: (nullable): a local held-out split, evaluated after every epoch; its memory must
 *   stay valid while the trainer runs
 */
typedef struct
{
  int            epochs;
  int            batch_size;
  guint64        seed;
  TrbStepParams  step;
  const char    *checkpoint_path;
  gboolean       low_priority;
  const TrbDataSource *holdout;
} TrbTrainerConfig;

typedef struct
{
  int     epoch;           /* 1-based epoch in progress */
  int     epochs;
  guint64 samples_done;    /* over the whole run, resumed epochs included */
  guint64 samples_total;
  double  loss;            /* mean training loss of the epoch so far */
  double  accuracy;        /* training accuracy of the epoch so far, 0…1 */
  double  samples_per_second;
  double  eta_seconds;
  gboolean epoch_done;
  /* After an epoch, with a held-out split: its mean loss and accuracy; else negative. */
  double  holdout_loss;
  double  holdout_accuracy;
} TrbTrainerProgress;

typedef void (*TrbTrainerProgressFunc) (const TrbTrainerProgress *progress,
                                        gpointer                  user_data);

typedef struct
{
  double loss;             /* mean */
  double accuracy;         /* 0…1 */
  gsize  n_samples;
} TrbEvaluation;

#define TRB_TYPE_TRAINER (trb_trainer_get_type ())

G_DECLARE_FINAL_TYPE (TrbTrainer, trb_trainer, TRB, TRAINER, GObject)

TrbTrainer *trb_trainer_new               (TrbExecutor              *executor,
                                           TrbModelSpec             *spec,
                                           const TrbTrainerConfig   *config);
void        trb_trainer_set_progress_func (TrbTrainer               *self,
                                           TrbTrainerProgressFunc    func,
                                           gpointer                  user_data,
                                           GDestroyNotify            destroy);
TrbWeights *trb_trainer_run               (TrbTrainer               *self,
                                           TrbWeights               *initial,
                                           const TrbDataSource      *data,
                                           GCancellable             *cancellable,
                                           GError                  **error);
void        trb_trainer_run_async         (TrbTrainer               *self,
                                           TrbWeights               *initial,
                                           const TrbDataSource      *data,
                                           GCancellable             *cancellable,
                                           GAsyncReadyCallback       callback,
                                           gpointer                  user_data);
TrbWeights *trb_trainer_run_finish        (TrbTrainer               *self,
                                           GAsyncResult             *result,
                                           GError                  **error);
void        trb_trainer_pause             (TrbTrainer               *self);
void        trb_trainer_resume            (TrbTrainer               *self);
gboolean    trb_trainer_is_paused         (TrbTrainer               *self);
int         trb_trainer_get_resumed_epoch (TrbTrainer               *self);
const TrbTrainerProgress *
            trb_trainer_get_last_progress (TrbTrainer               *self);

gboolean    trb_data_source_check         (const TrbDataSource      *data,
                                           TrbModelSpec             *spec,
                                           GError                  **error);
void        trb_data_source_gather        (const TrbDataSource      *data,
                                           const gint32             *order,
                                           gsize                     first,
                                           int                       n,
                                           float                    *x,
                                           gint32                   *labels);
void        trb_data_source_shuffle       (gint32                   *order,
                                           gsize                     n,
                                           guint64                   seed,
                                           int                       epoch);
gboolean    trb_evaluate                  (TrbExecutor              *executor,
                                           TrbModelSpec             *spec,
                                           TrbWeights               *weights,
                                           const TrbDataSource      *data,
                                           int                       batch_size,
                                           TrbEvaluation            *out,
                                           GCancellable             *cancellable,
                                           GError                  **error);
gboolean    trb_evaluate_on_cpu           (TrbModelSpec             *spec,
                                           TrbWeights               *weights,
                                           const TrbDataSource      *data,
                                           TrbEvaluation            *out,
                                           GCancellable             *cancellable,
                                           GError                  **error);

G_END_DECLS
