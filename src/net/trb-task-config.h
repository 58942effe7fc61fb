/* trb-task-config.h
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#pragma once

#include <json-glib/json-glib.h>

#include "compute/trb-trainer.h"

G_BEGIN_DECLS

/* The task's hyper-parameters when it names none, and the ranges accepted. */
#define TRB_TASK_DEFAULT_EPOCHS        1
#define TRB_TASK_MAX_EPOCHS            100
#define TRB_TASK_DEFAULT_BATCH_SIZE    32
#define TRB_TASK_MAX_BATCH_SIZE        4096
#define TRB_TASK_DEFAULT_LEARNING_RATE 0.05
#define TRB_TASK_MIN_LEARNING_RATE     1e-6
#define TRB_TASK_MAX_LEARNING_RATE     10.0
#define TRB_TASK_MAX_WEIGHT_DECAY      1.0
#define TRB_TASK_MAX_FEDPROX_MU        10.0
#define TRB_TASK_DEFAULT_BETA1         0.9
#define TRB_TASK_DEFAULT_BETA2         0.999
#define TRB_TASK_DEFAULT_EPSILON       1e-8
#define TRB_TASK_MIN_EPSILON           1e-12
#define TRB_TASK_MAX_EPSILON           1.0

/**
 * TrbTaskRewards:
 * @points_per_sample_epoch: `reward_policy.points_per_sample_epoch`
 * @cap_per_round: `reward_policy.cap_per_round`
 * @local_epochs: `hyper_parameters.local_epochs`, the most epochs the reward rule counts
 *
 * What reward rule 2 takes from a task, clamped as the node clamps it.
 */
typedef struct
{
  double points_per_sample_epoch;
  double cap_per_round;
  gint64 local_epochs;
} TrbTaskRewards;

void     trb_task_rewards         (JsonObject        *task,
                                   TrbTaskRewards   *policy);
gboolean trb_task_training_config (JsonObject        *task,
                                   TrbTrainerConfig  *config,
                                   GError           **error);

G_END_DECLS
