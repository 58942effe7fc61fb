/* trb-executor-choice.h
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#pragma once

#include "compute/trb-executor.h"

G_BEGIN_DECLS

/**
 * trb_executor_new_for_task:
 * @spec: the task's model
 * @batch_size: the task's batch size
 * @device: (nullable): %NULL or "auto" for the automatic choice, "cpu", or "vulkan:N" for
 *   the Vulkan device of index N (see trb_vulkan_enumerate_devices())
 * @cache_path: (nullable): a key file where measured choices are remembered
 *
 * Returns the executor to train @spec with. The automatic choice is a GPU with a real Vulkan
 * driver; without one, the faster of the CPU executor and a software Vulkan device for this
 * model and batch size, measured once and remembered in @cache_path (see
 * trb_executor_choice_dup_cache_path()).
 *
 * Returns: (transfer full): an executor, already prepared for @spec and @batch_size
 */
TrbExecutor *trb_executor_new_for_task (TrbModelSpec  *spec,
                                        int            batch_size,
                                        const char    *device,
                                        const char    *cache_path,
                                        GError       **error);
char        *trb_executor_choice_dup_cache_path (void);

/**
 * TrbExecutorChoiceReason:
 * @TRB_EXECUTOR_CHOICE_GRAPHICS_CARD: a graphics card with a real Vulkan driver is there
 * @TRB_EXECUTOR_CHOICE_ONLY_PROCESSOR: no Vulkan device can train, so the processor does
 * @TRB_EXECUTOR_CHOICE_PROCESSOR_FASTER: measured: the processor is faster for this model than
 *   the software Vulkan device
 * @TRB_EXECUTOR_CHOICE_SOFTWARE_FASTER: measured: the software Vulkan device is faster for this
 *   model than the CPU executor
 * @TRB_EXECUTOR_CHOICE_NOT_MEASURED: only a software Vulkan device is there and no model was
 *   given to measure with; the choice is made when training starts
 *
 * Why the automatic choice takes the device it takes.
 */
typedef enum
{
  TRB_EXECUTOR_CHOICE_GRAPHICS_CARD,
  TRB_EXECUTOR_CHOICE_ONLY_PROCESSOR,
  TRB_EXECUTOR_CHOICE_PROCESSOR_FASTER,
  TRB_EXECUTOR_CHOICE_SOFTWARE_FASTER,
  TRB_EXECUTOR_CHOICE_NOT_MEASURED,
} TrbExecutorChoiceReason;

char        *trb_executor_choice_explain        (TrbModelSpec             *spec,
                                                 int                       batch_size,
                                                 const char               *cache_path,
                                                 TrbExecutorChoiceReason  *reason);

G_END_DECLS
