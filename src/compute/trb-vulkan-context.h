/* trb-vulkan-context.h
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#pragma once

#include <gio/gio.h>
#include <vulkan/vulkan.h>

#include "compute/trb-compute-types.h"

G_BEGIN_DECLS

typedef enum
{
  TRB_VULKAN_DEVICE_DISCRETE,
  TRB_VULKAN_DEVICE_INTEGRATED,
  TRB_VULKAN_DEVICE_VIRTUAL,
  TRB_VULKAN_DEVICE_CPU,
  TRB_VULKAN_DEVICE_OTHER,
} TrbVulkanDeviceType;

/**
 * TrbVulkanDeviceInfo:
 *
 * What Preferences shows about one Vulkan device.
 */
typedef struct
{
  int                  index;
  char                *name;
  TrbVulkanDeviceType  type;
  guint64              memory_bytes;      /* largest device-local heap */
  guint32              api_version;
  guint32              vendor_id;
  guint32              device_id;
  gboolean             usable;            /* Vulkan 1.1 with a compute queue */
} TrbVulkanDeviceInfo;

void        trb_vulkan_device_info_free       (TrbVulkanDeviceInfo *info);
const char *trb_vulkan_device_type_to_string  (TrbVulkanDeviceType  type);
GPtrArray  *trb_vulkan_enumerate_devices      (GError             **error);
int         trb_vulkan_choose_device          (GPtrArray           *devices,
                                               gboolean             allow_cpu);

#define TRB_TYPE_VULKAN_CONTEXT (trb_vulkan_context_get_type ())

G_DECLARE_FINAL_TYPE (TrbVulkanContext, trb_vulkan_context, TRB, VULKAN_CONTEXT, GObject)

/* Binding numbers of the one descriptor set layout every kernel uses. */
#define TRB_VK_STORAGE_BINDINGS 6
#define TRB_VK_TEXEL_BINDING_A 6
#define TRB_VK_TEXEL_BINDING_B 7
#define TRB_VK_UNIFORM_BINDING 8
/* The fused updates read the parameters, momentum and second moment through these, and write
 * them through storage bindings 0 to 2. */
#define TRB_VK_TEXEL_BINDING_W 9
#define TRB_VK_TEXEL_BINDINGS_STATE 3
#define TRB_VK_BINDINGS 12
#define TRB_VK_TEXEL_BINDINGS 5
#define TRB_VK_PUSH_CONSTANT_BYTES 128

TrbVulkanContext *trb_vulkan_context_new               (int                index,
                                                        GError           **error);
const TrbVulkanDeviceInfo *
                  trb_vulkan_context_get_info          (TrbVulkanContext  *self);
VkDevice          trb_vulkan_context_get_device        (TrbVulkanContext  *self);
VkQueue           trb_vulkan_context_get_queue         (TrbVulkanContext  *self);
guint32           trb_vulkan_context_get_queue_family  (TrbVulkanContext  *self);
const VkPhysicalDeviceProperties *
                  trb_vulkan_context_get_properties    (TrbVulkanContext  *self);
guint32           trb_vulkan_context_get_timestamp_bits (TrbVulkanContext *self);
guint32           trb_vulkan_context_get_subgroup_size (TrbVulkanContext  *self);
gboolean          trb_vulkan_context_supports_texel_format (TrbVulkanContext *self,
                                                            VkFormat          format);
VkDescriptorSetLayout
                  trb_vulkan_context_get_set_layout    (TrbVulkanContext  *self);
VkPipelineLayout  trb_vulkan_context_get_pipeline_layout (TrbVulkanContext *self);
VkPipeline        trb_vulkan_context_get_pipeline      (TrbVulkanContext  *self,
                                                        const char        *kernel,
                                                        GError           **error);
int               trb_vulkan_context_find_memory_type  (TrbVulkanContext  *self,
                                                        guint32            type_bits,
                                                        gboolean          *device_local);
int               trb_vulkan_context_find_device_memory_type (TrbVulkanContext *self,
                                                              guint32           type_bits,
                                                              gboolean         *host_visible);
gboolean          trb_vulkan_context_is_lost           (TrbVulkanContext  *self);
void              trb_vulkan_context_mark_lost         (TrbVulkanContext  *self);
gboolean          trb_vulkan_check                     (VkResult           result,
                                                        TrbVulkanContext  *self,
                                                        const char        *what,
                                                        GError           **error);

G_END_DECLS
