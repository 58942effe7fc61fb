/* trb-vulkan-update.h
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#pragma once

#include <gio/gio.h>

#include "compute/trb-vulkan-context.h"
#include "compute/trb-weights.h"

G_BEGIN_DECLS

/**
 * TrbUpdateStats:
 * @sum: Σ uᵢ over the finite elements
 * @squared_norm: Σ uᵢ² over the finite elements
 * @n_nonfinite: how many elements are NaN or infinite
 *
 * What one reduction over an update on the device gives.
 */
typedef struct
{
  double  sum;
  double  squared_norm;
  guint64 n_nonfinite;
} TrbUpdateStats;

#define TRB_TYPE_VULKAN_UPDATE (trb_vulkan_update_get_type ())

G_DECLARE_FINAL_TYPE (TrbVulkanUpdate, trb_vulkan_update, TRB, VULKAN_UPDATE, GObject)

TrbVulkanUpdate *trb_vulkan_update_new                  (TrbVulkanContext  *context);
gboolean         trb_vulkan_update_subtract             (TrbVulkanUpdate   *self,
                                                         TrbWeights        *trained,
                                                         TrbWeights        *global,
                                                         GError           **error);
gboolean         trb_vulkan_update_set                  (TrbVulkanUpdate   *self,
                                                         TrbWeights        *update,
                                                         GError           **error);
TrbWeights      *trb_vulkan_update_get                  (TrbVulkanUpdate   *self,
                                                         GError           **error);
gboolean         trb_vulkan_update_reduce               (TrbVulkanUpdate   *self,
                                                         TrbUpdateStats    *stats,
                                                         GError           **error);
gboolean         trb_vulkan_update_clip_norm            (TrbVulkanUpdate   *self,
                                                         double             max_norm,
                                                         double            *norm_before,
                                                         GError           **error);
gboolean         trb_vulkan_update_add_gaussian_noise   (TrbVulkanUpdate   *self,
                                                         double             stddev,
                                                         guint64            seed,
                                                         GError           **error);
GBytes          *trb_vulkan_update_quantize_f16         (TrbVulkanUpdate   *self,
                                                         GError           **error);
GBytes          *trb_vulkan_update_quantize_int8        (TrbVulkanUpdate   *self,
                                                         float            **scales,
                                                         GError           **error);
gboolean         trb_vulkan_update_dequantize_f16       (TrbVulkanUpdate   *self,
                                                         TrbWeights        *layout,
                                                         GBytes            *halves,
                                                         GError           **error);
gboolean         trb_vulkan_update_dequantize_int8      (TrbVulkanUpdate   *self,
                                                         TrbWeights        *layout,
                                                         GBytes            *codes,
                                                         const float       *scales,
                                                         guint              n_scales,
                                                         GError           **error);
void             trb_vulkan_update_make_async           (TrbVulkanUpdate   *self,
                                                         TrbWeights        *trained,
                                                         TrbWeights        *global,
                                                         double             max_norm,
                                                         double             stddev,
                                                         guint64            seed,
                                                         GCancellable      *cancellable,
                                                         GAsyncReadyCallback callback,
                                                         gpointer           user_data);
TrbWeights      *trb_vulkan_update_make_finish          (TrbVulkanUpdate   *self,
                                                         GAsyncResult      *result,
                                                         GError           **error);

G_END_DECLS
