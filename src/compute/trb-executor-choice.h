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

G_END_DECLS
