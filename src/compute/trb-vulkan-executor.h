/* trb-vulkan-executor.h
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#pragma once

#include "compute/trb-executor.h"
#include "compute/trb-vulkan-context.h"

G_BEGIN_DECLS

/**
 * TrbVulkanGemmProfile:
 * @TRB_VULKAN_GEMM_AUTO: chosen by the kind of device
 * @TRB_VULKAN_GEMM_TEXEL: register tiles read through texel buffers, no shared memory (what
 *   suits software devices such as lavapipe)
 * @TRB_VULKAN_GEMM_TILED: shared-memory block tiles (what suits GPUs)
 */
typedef enum
{
  TRB_VULKAN_GEMM_AUTO,
  TRB_VULKAN_GEMM_TEXEL,
  TRB_VULKAN_GEMM_TILED,
} TrbVulkanGemmProfile;

#define TRB_TYPE_VULKAN_EXECUTOR (trb_vulkan_executor_get_type ())

G_DECLARE_FINAL_TYPE (TrbVulkanExecutor, trb_vulkan_executor, TRB, VULKAN_EXECUTOR, GObject)

TrbExecutor      *trb_vulkan_executor_new              (TrbVulkanContext   *context);
TrbVulkanContext *trb_vulkan_executor_get_context      (TrbVulkanExecutor  *self);
gboolean          trb_vulkan_executor_gemm             (TrbVulkanExecutor  *self,
                                                        gboolean            trans_a,
                                                        gboolean            trans_b,
                                                        int                 m,
                                                        int                 n,
                                                        int                 k,
                                                        const float        *a,
                                                        const float        *b,
                                                        float              *c,
                                                        GError            **error);
double            trb_vulkan_executor_gemm_gflops      (TrbVulkanExecutor  *self,
                                                        int                 n,
                                                        double              seconds,
                                                        GError            **error);
double            trb_vulkan_executor_fma_gflops       (TrbVulkanExecutor  *self,
                                                        double              seconds,
                                                        GError            **error);
guint             trb_vulkan_executor_get_dispatches_per_step (TrbVulkanExecutor *self);
void              trb_vulkan_executor_set_steps_per_submit    (TrbVulkanExecutor *self,
                                                               int                steps);
double            trb_vulkan_executor_get_last_submit_us      (TrbVulkanExecutor *self,
                                                               gboolean          *from_timestamps);
void              trb_vulkan_executor_get_throttle_us         (TrbVulkanExecutor *self,
                                                               double            *busy,
                                                               double            *idle);
void              trb_vulkan_executor_set_force_staging       (TrbVulkanExecutor *self,
                                                               gboolean           force);
gboolean          trb_vulkan_executor_uses_staging            (TrbVulkanExecutor *self);
void              trb_vulkan_executor_set_gemm_profile        (TrbVulkanExecutor *self,
                                                               TrbVulkanGemmProfile profile);
void              trb_vulkan_executor_simulate_device_lost    (TrbVulkanExecutor *self);

G_END_DECLS
